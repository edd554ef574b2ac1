//! The "New workstation" form: pick a launch profile, an instance type it allows and a
//! name, then create. The form's client token is made when it opens, so a double click or
//! a retry after a network error creates one workstation, not two.

use super::error_message;
use crate::api;
use crate::logic::describe;
use crate::portal::{explain, Portal};
use leptos::prelude::*;
use leptos::task::spawn_local;
use nimble_model::{CreateStreamingSessionBody, StreamingInstanceType};

/// A button that opens the form; the form itself while it is open.
#[component]
pub fn NewWorkstation() -> impl IntoView {
    let portal = expect_context::<Portal>();
    let open = RwSignal::new(false);
    let profile = RwSignal::new(String::new());
    let instance = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let token = RwSignal::new(None::<String>);
    let show = move |_| {
        open.set(true);
        error.set(None);
        token.set(Some(api::new_client_token()));
        let studio = portal.studio.get_untracked();
        spawn_local(async move {
            match api::launch_profiles(&studio).await {
                Ok(profiles) => {
                    if let Some(first) = profiles.first() {
                        profile.set(first.launch_profile_id.clone().unwrap_or_default());
                        instance.set(String::new());
                    }
                    portal.profiles.set(profiles);
                }
                Err(failure) => error.set(Some(describe(&failure))),
            }
        });
    };
    let types = move || {
        let chosen = profile.get();
        portal.profiles.with(|all| {
            all.iter()
                .find(|p| p.launch_profile_id.as_deref() == Some(chosen.as_str()))
                .and_then(|p| p.stream_configuration.as_ref()?.ec2_instance_types.clone())
                .unwrap_or_default()
        })
    };
    let create = move |_| {
        if pending.get_untracked() {
            return;
        }
        let Some(intent) = token.get_untracked() else {
            return;
        };
        pending.set(true);
        let name = label.get_untracked();
        let body = CreateStreamingSessionBody {
            launch_profile_id: Some(profile.get_untracked()),
            ec2_instance_type: Some(instance.get_untracked())
                .filter(|i| !i.is_empty())
                .map(|i| StreamingInstanceType::from(i.as_str())),
            tags: (!name.trim().is_empty())
                .then(|| [("name".to_owned(), name.trim().to_owned())].into()),
            ..Default::default()
        };
        let studio = portal.studio.get_untracked();
        spawn_local(async move {
            let result = api::create(&studio, &body, &intent).await;
            pending.set(false);
            match result {
                Ok(session) => {
                    open.set(false);
                    label.set(String::new());
                    token.set(None);
                    portal.upsert(session);
                }
                Err(failure) => error.set(Some(explain(&failure))),
            }
        });
    };
    view! {
        <section class="new">
            <Show when=move || open.get() fallback=move || view! { <button class="primary" on:click=show>"New workstation"</button> }>
                <fieldset class="panel">
                    <legend>"New workstation"</legend>
                    <label>"Launch profile "
                        <select prop:value=move || profile.get() on:change=move |ev| { profile.set(event_target_value(&ev)); instance.set(String::new()); }>
                            {move || portal.profiles.get().into_iter().map(|p| {
                                let id = p.launch_profile_id.clone().unwrap_or_default();
                                let name = p.name.clone().unwrap_or_else(|| id.clone());
                                view! { <option value=id>{name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Instance type "
                        <select prop:value=move || instance.get() on:change=move |ev| instance.set(event_target_value(&ev))>
                            <option value="">"Default"</option>
                            {move || types().into_iter().map(|t| view! { <option value=t.to_string()>{t.to_string()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Name "<input prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) placeholder="e.g. Lighting seq 040" /></label>
                    <button class="primary" on:click=create disabled=move || pending.get()>{move || if pending.get() { "Creating…" } else { "Create" }}</button>
                    <button class="quiet" on:click=move |_| open.set(false)>"Cancel"</button>
                    {error_message(error)}
                </fieldset>
            </Show>
        </section>
    }
}
