//! The portal's components: the header, the state badge, a workstation card with its
//! actions and Connect, and the new-workstation form.

use crate::api;
use crate::app::{handle_signed_out, Portal};
use crate::logic::{self, describe, Failure};
use leptos::prelude::*;
use leptos::task::spawn_local;
use nimble_model::*;

/// The state in words, with a colour class on top.
#[component]
pub fn StateBadge(#[prop(into)] state: Signal<StreamingSessionState>) -> impl IntoView {
    // One reactive closure for the whole badge: it changes only with the state.
    move || {
        let state = state.get();
        let (words, colour) = logic::badge(&state);
        view! { <span class=format!("badge {colour}") data-state=state.to_string()>{words}</span> }
    }
}

#[component]
pub fn Header() -> impl IntoView {
    let portal = expect_context::<Portal>();
    let cycle_theme = move |_| {
        let Some(root) = document().document_element() else {
            return;
        };
        let next = match root.get_attribute("data-theme").as_deref() {
            None => "light",
            Some("light") => "dark",
            _ => "auto",
        };
        let storage = window().local_storage().ok().flatten();
        if next == "auto" {
            let _ = root.remove_attribute("data-theme");
            storage.map(|s| s.remove_item("theme"));
        } else {
            let _ = root.set_attribute("data-theme", next);
            storage.map(|s| s.set_item("theme", next));
        }
    };
    // Permission can only be asked from a click.
    let enable_notifications = move |_| {
        if let Ok(promise) = web_sys::Notification::request_permission() {
            spawn_local(async move {
                let _ = wasm_bindgen_futures_await(promise).await;
                portal.notify.set(
                    web_sys::Notification::permission() == web_sys::NotificationPermission::Granted,
                );
            });
        }
    };
    view! {
        <header class="top">
            <h1>"Your workstations"</h1>
            <span class="who">{move || portal.user.get()}</span>
            <button class="quiet" on:click=cycle_theme aria-label="Switch between automatic, light and dark theme">"Theme"</button>
            <button class="quiet" on:click=enable_notifications disabled=move || portal.notify.get()>
                {move || if portal.notify.get() { "Notifications on" } else { "Notify me when ready" }}
            </button>
        </header>
    }
}

async fn wasm_bindgen_futures_await(
    promise: js_sys::Promise,
) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
    wasm_bindgen_futures::JsFuture::from(promise).await
}

#[derive(Clone, Debug, PartialEq)]
enum Panel {
    None,
    Stop,
    Start(Vec<api::BackupChoice>),
    Delete,
}

#[derive(Clone, Debug, PartialEq)]
enum Connect {
    Idle,
    Waiting,
    /// The tab could not be opened for us: the artist opens it from this link.
    Link(String),
    Failed(String),
}

#[component]
pub fn SessionCard(id: String) -> impl IntoView {
    let portal = expect_context::<Portal>();
    let session = {
        let id = id.clone();
        Memo::new(move |_| {
            portal.sessions.with(|all| {
                all.iter()
                    .find(|s| s.session_id.as_deref() == Some(id.as_str()))
                    .cloned()
                    .unwrap_or_default()
            })
        })
    };
    let state = Signal::derive(move || {
        session.with(|s| {
            s.state
                .clone()
                .unwrap_or(StreamingSessionState::Unknown(String::new()))
        })
    });
    let panel = RwSignal::new(Panel::None);
    let pending = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    let retain = RwSignal::new(true);
    let backup = RwSignal::new(String::new());
    let connect = RwSignal::new(Connect::Idle);
    // One client token per intent: a double click or a retry of the same intent reuses it.
    let intent = RwSignal::new(None::<(&'static str, String)>);
    let studio = move || portal.studio.get_untracked();
    let session_id = move || session.with_untracked(|s| s.session_id.clone().unwrap_or_default());

    let token_for = move |what: &'static str| match intent.get_untracked() {
        Some((kind, token)) if kind == what => token,
        _ => {
            let token = api::new_client_token();
            intent.set(Some((what, token.clone())));
            token
        }
    };
    let finish = move |result: Result<StreamingSession, Failure>| {
        pending.set(None);
        match result {
            Ok(updated) => {
                intent.set(None);
                error.set(None);
                portal.upsert(updated);
            }
            Err(failure) => {
                handle_signed_out(&failure);
                if failure != Failure::Network {
                    intent.set(None);
                }
                error.set(Some(describe(&failure)));
                // The view may be stale (a conflict, a missing session): refresh it.
                portal.kick.update(|k| *k += 1);
            }
        }
    };
    let run = move |what: &'static str, label: &'static str| {
        if pending.get_untracked().is_some() {
            return;
        }
        let token = token_for(what);
        pending.set(Some(label));
        panel.set(Panel::None);
        let (studio, id) = (studio(), session_id());
        let mode = if retain.get_untracked() {
            VolumeRetentionMode::Retain
        } else {
            VolumeRetentionMode::Delete
        };
        let persistent = session.with_untracked(|s| {
            s.session_persistence_mode == Some(SessionPersistenceMode::Activated)
        });
        let chosen = backup.get_untracked();
        spawn_local(async move {
            let result = match what {
                "stop" => api::stop(&studio, &id, persistent.then_some(mode), &token).await,
                "start" => {
                    api::start(&studio, &id, (!chosen.is_empty()).then_some(chosen), &token).await
                }
                _ => api::delete(&studio, &id, &token).await,
            };
            finish(result);
        });
    };
    let ask_start = move |_| {
        let (studio, id) = (studio(), session_id());
        pending.set(Some("Checking backups…"));
        spawn_local(async move {
            let backups = api::list_backups(&studio).await.unwrap_or_default();
            pending.set(None);
            let mine: Vec<_> = backups
                .into_iter()
                .filter(|b| b.session_id.as_deref() == Some(id.as_str()))
                .collect();
            if mine.is_empty() {
                backup.set(String::new());
                run("start", "Starting…");
            } else {
                panel.set(Panel::Start(mine));
            }
        });
    };
    let ask_stop = move |_| {
        if session.with_untracked(|s| {
            s.session_persistence_mode == Some(SessionPersistenceMode::Activated)
        }) {
            retain.set(true);
            panel.set(Panel::Stop);
        } else {
            run("stop", "Stopping…");
        }
    };
    let open = move |_| {
        if connect.get_untracked() == Connect::Waiting {
            return;
        }
        // Opened inside the click, so no popup blocker stops it; navigated when ready.
        let tab = window()
            .open_with_url_and_target("about:blank", "_blank")
            .ok()
            .flatten();
        connect.set(Connect::Waiting);
        let token = token_for("connect");
        let (studio, id) = (studio(), session_id());
        spawn_local(async move {
            let result = connect_stream(&studio, &id, &token).await;
            intent.set(None);
            match result {
                Ok(url) => match &tab {
                    Some(tab) if tab.location().set_href(&url).is_ok() => {
                        connect.set(Connect::Idle)
                    }
                    _ => {
                        connect.set(Connect::Link(url));
                        // The URL is a credential: it leaves the page after a minute.
                        gloo_timers::future::sleep(std::time::Duration::from_secs(60)).await;
                        if matches!(connect.get_untracked(), Connect::Link(_)) {
                            connect.set(Connect::Idle);
                        }
                    }
                },
                Err(message) => {
                    if let Some(tab) = tab {
                        let _ = tab.close();
                    }
                    connect.set(Connect::Failed(message));
                }
            }
        });
    };

    let name = move || logic::display_name(&session.get());
    let profile_name = move || {
        let profile_id = session.with(|s| s.launch_profile_id.clone().unwrap_or_default());
        portal.profiles.with(|all| {
            all.iter()
                .find(|p| p.launch_profile_id.as_deref() == Some(profile_id.as_str()))
                .and_then(|p| p.name.clone())
                .unwrap_or(profile_id)
        })
    };
    let time = |t: Option<Timestamp>| {
        t.map(|t| {
            js_sys::Date::new(&(t.unix_millis() as f64).into())
                .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
                .as_string()
                .unwrap_or_default()
        })
    };
    // One closure type for both rows, so the view code for it is built once.
    let time_row = move |label: &'static str, at: fn(&StreamingSession) -> Option<Timestamp>| {
        move || time(session.with(at)).map(|t| view! { <dt>{label}</dt><dd>{t}</dd> })
    };
    // One closure type for the four buttons, so `Show` is built once for them.
    let offered =
        move |action: fn(&logic::Actions) -> bool| move || action(&logic::actions(&state.get()));
    let busy = move || pending.get().is_some();
    view! {
        <li class="card" data-session=id.clone()>
            <div class="card-head">
                <h2>{name}</h2>
                <StateBadge state=state />
            </div>
            <p class="meta">{move || format!("{} · {}", profile_name(), session.with(|s| s.ec2_instance_type.clone().unwrap_or_default()))}</p>
            {move || session.with(|s| s.status_message.clone()).filter(|m| !m.is_empty()).map(|m| view! { <p class="status-message">{m}</p> })}
            <dl class="times">
                {time_row("Started", |s| s.started_at)}
                {time_row("Stopped", |s| s.stopped_at)}
                {move || session.with(logic::deadline).map(|(label, at)| {
                    let left = logic::countdown(portal.now_ms.get(), at);
                    view! { <dt>{label}</dt><dd class:warning=left.warning>{left.text}{left.warning.then_some(" — save your work")}</dd> }
                })}
            </dl>
            <div class="actions">
                {move || pending.get().map(|label| view! { <span class="progress" role="status">{label}</span> })}
                <Show when=offered(|a| a.connect)>
                    <button class="primary" on:click=open disabled=move || busy() || connect.get() == Connect::Waiting>
                        {move || if connect.get() == Connect::Waiting { "Connecting…" } else { "Connect" }}
                    </button>
                </Show>
                <Show when=offered(|a| a.start)>
                    <button on:click=ask_start disabled=busy>"Start"</button>
                </Show>
                <Show when=offered(|a| a.stop)>
                    <button on:click=ask_stop disabled=busy>"Stop"</button>
                </Show>
                <Show when=offered(|a| a.delete)>
                    <button class="danger" on:click=move |_| panel.set(Panel::Delete) disabled=busy>"Delete"</button>
                </Show>
            </div>
            {move || {
                let confirm = move |what, label| Callback::new(move |()| run(what, label));
                let cancel = Callback::new(move |()| panel.set(Panel::None));
                match panel.get() {
                    Panel::None => ().into_any(),
                    Panel::Stop => view! {
                        <ConfirmPanel legend="Stop this workstation?".into() confirm="Stop workstation" danger=false
                            on_confirm=confirm("stop", "Stopping…") on_cancel=cancel>
                            // Uncontrolled: a fresh panel starts on RETAIN, as `ask_stop` set it. Grouped by
                            // session id, so two cards with the same name do not share one group.
                            <label><input type="radio" name=format!("keep-{}", session_id()) checked on:change=move |_| retain.set(true) />
                                " Keep my files (recommended): the disk is kept and the workstation starts again as you left it."</label>
                            <label><input type="radio" name=format!("keep-{}", session_id()) on:change=move |_| retain.set(false) />
                                " Delete my files: the disk is erased; the next start is a fresh workstation."</label>
                        </ConfirmPanel>
                    }.into_any(),
                    Panel::Start(backups) => view! {
                        <ConfirmPanel legend="Start from".into() confirm="Start workstation" danger=false
                            on_confirm=confirm("start", "Starting…") on_cancel=cancel>
                            <select aria-label="Backup to start from" on:change=move |ev| backup.set(event_target_value(&ev))>
                                <option value="">"Latest state"</option>
                                {backups.into_iter().map(|b| {
                                    let id = b.backup_id.clone().unwrap_or_default();
                                    let label = format!("Backup of {}", time(b.created_at).unwrap_or_default());
                                    view! { <option value=id>{label}</option> }
                                }).collect_view()}
                            </select>
                        </ConfirmPanel>
                    }.into_any(),
                    Panel::Delete => view! {
                        <ConfirmPanel legend=format!("Delete {}? This cannot be undone.", name()) confirm="Delete workstation" danger=true
                            on_confirm=confirm("delete", "Deleting…") on_cancel=cancel />
                    }.into_any(),
                }
            }}
            {move || match connect.get() {
                Connect::Idle | Connect::Waiting => ().into_any(),
                Connect::Link(url) => view! {
                    <p class="panel">"Your workstation is ready. "
                        <a href=url target="_blank" rel="noopener noreferrer" on:click=move |_| connect.set(Connect::Idle)>"Open workstation"</a></p>
                }.into_any(),
                Connect::Failed(message) => view! {
                    <p class="panel error" role="alert">{message}" "
                        <button on:click=move |_| connect.set(Connect::Idle)>"Dismiss"</button></p>
                }.into_any(),
            }}
            {error_message(error)}
        </li>
    }
}

/// An error in plain words, announced when it appears. One function, so one copy of its
/// view code however many places show one.
fn error_message(error: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|message| view! { <p class="error" role="alert">{message}</p> })
    }
}

/// A question under a card: what it asks, its content, a confirming button and Cancel.
/// One component (with type-erased children and callbacks) keeps one copy of its code.
#[component]
fn ConfirmPanel(
    legend: String,
    confirm: &'static str,
    danger: bool,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <fieldset class="panel">
            <legend>{legend}</legend>
            {children.map(|children| children())}
            <button class=if danger { "danger" } else { "primary" } on:click=move |_| on_confirm.run(())>{confirm}</button>
            <button class="quiet" on:click=move |_| on_cancel.run(())>"Cancel"</button>
        </fieldset>
    }
}

/// Asks for a stream and waits, with backoff and a bound, until it is READY.
async fn connect_stream(studio: &str, id: &str, token: &str) -> Result<String, String> {
    let stream = api::create_stream(studio, id, token).await.map_err(|f| {
        handle_signed_out(&f);
        describe(&f)
    })?;
    let stream_id = stream.stream_id.clone().unwrap_or_default();
    let mut current = stream;
    for delay in logic::stream_poll_delays() {
        match current.state {
            Some(StreamingSessionStreamState::Ready) => {
                if let Some(url) = current.url {
                    return Ok(url.0);
                }
            }
            Some(StreamingSessionStreamState::CreateFailed) => {
                return Err("The connection could not be prepared. Try Connect again.".into());
            }
            _ => {}
        }
        gloo_timers::future::sleep(delay).await;
        current = api::get_stream(studio, id, &stream_id)
            .await
            .map_err(|f| describe(&f))?;
    }
    Err("The connection was not ready within a minute. Try Connect again.".into())
}

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
                Err(failure) => {
                    handle_signed_out(&failure);
                    error.set(Some(describe(&failure)));
                }
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

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_badge_renders_words_a_colour_class_and_the_state() {
        let host = document().create_element("div").unwrap();
        document().body().unwrap().append_child(&host).unwrap();
        let state = RwSignal::new(StreamingSessionState::StopInProgress);
        let _mounted = leptos::mount::mount_to(
            host.clone().unchecked_into(),
            move || view! { <StateBadge state=state /> },
        );
        let span = host.first_element_child().unwrap();
        assert_eq!(span.text_content().unwrap(), "Stopping…");
        assert_eq!(span.get_attribute("class").unwrap(), "badge busy");
        assert_eq!(
            span.get_attribute("data-state").unwrap(),
            "STOP_IN_PROGRESS"
        );
    }
}
