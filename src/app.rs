//! The app: the signed-in artist's workstations, refreshed live, with their actions.
//! It creates the shared [`Portal`] state, asks who is signed in, listens for changes
//! (`live/`) or, where that cannot be used, polls the list (fast while anything
//! changes, never while the tab is hidden; `sessions.rs` reads it), and lays out the page.

use crate::api;
use crate::components::{Header, NewWorkstation, SessionCard};
use crate::live::{self, Live};
use crate::logic;
use crate::portal::{explain, now_ms, Load, Portal};
use crate::sessions::{refresh, tab_hidden};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// Refreshes quickly while anything is changing, slowly otherwise, and not at all while
/// the tab is hidden or the page listens to the event stream; a kick, the tab coming
/// back, or the stream failing refreshes at once.
fn start_polling(portal: Portal) {
    spawn_local(async move {
        let mut quick_polls = 0;
        loop {
            let polling = live::state() == Live::Off;
            if polling && !tab_hidden() {
                refresh(portal).await;
            }
            let busy = portal.sessions.with_untracked(|all| {
                all.iter()
                    .any(|s| s.state.as_ref().is_some_and(|st| st.is_in_progress()))
            });
            quick_polls = if busy { quick_polls + 1 } else { 0 };
            let delay = logic::refresh_delay(busy, quick_polls);
            let kick = portal.kick.get_untracked();
            let was_hidden = tab_hidden();
            let mut waited = Duration::ZERO;
            while waited < delay {
                gloo_timers::future::sleep(Duration::from_millis(250)).await;
                waited += Duration::from_millis(250);
                let came_back = was_hidden && !tab_hidden();
                let now_polling = live::state() == Live::Off;
                if portal.kick.get_untracked() != kick || came_back || now_polling != polling {
                    quick_polls = 0;
                    break;
                }
            }
        }
    });
}

fn apply_saved_theme() {
    let saved = window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item("theme").ok().flatten());
    if let (Some(theme), Some(root)) = (saved, document().document_element()) {
        let _ = root.set_attribute("data-theme", &theme);
    }
}

#[component]
pub fn App() -> impl IntoView {
    let portal = Portal::new();
    provide_context(portal);
    apply_saved_theme();
    set_interval(move || portal.now_ms.set(now_ms()), Duration::from_secs(1));
    spawn_local(async move {
        match api::me().await {
            Ok(me) => {
                portal.user.set(me.user);
                portal.admin.set(me.admin);
                portal.studio.set(me.studio_id.clone());
                live::start(portal);
                start_polling(portal);
                // Profile names for the cards; the ids show until they arrive.
                if let Ok(profiles) = api::launch_profiles(&me.studio_id).await {
                    portal.profiles.set(profiles);
                }
            }
            Err(failure) => portal.load.set(Load::Failed(explain(&failure))),
        }
    });
    Effect::new(move |_| {
        let title = portal.sessions.with(|all| logic::title(all));
        document().set_title(&title);
    });
    let retry = move |_| {
        portal.load.set(Load::Loading);
        if portal.studio.get_untracked().is_empty() {
            let _ = window().location().reload();
        } else {
            spawn_local(refresh(portal));
        }
    };
    let ids = move || {
        portal.sessions.with(|all| {
            all.iter()
                .filter(|s| s.state != Some(nimble_model::StreamingSessionState::Deleted))
                .filter_map(|s| s.session_id.clone())
                .collect::<Vec<_>>()
        })
    };
    // Only a change between empty and not empty redraws the page; the list itself is
    // keyed, so cards (and their open panels and messages) survive every refresh.
    let empty = Memo::new(move |_| ids().is_empty());
    view! {
        <Header />
        <main id="main">
            <p class="sr-only" aria-live="polite" role="status" id="announcements">{move || portal.announcement.get()}</p>
            <NewWorkstation />
            {move || match portal.load.get() {
                Load::Loading => view! { <p class="state-note" role="status">"Loading your workstations…"</p> }.into_any(),
                Load::Failed(message) => view! {
                    <div class="state-note error" role="alert">
                        <p>{message}</p>
                        <button on:click=retry>"Try again"</button>
                    </div>
                }.into_any(),
                Load::Ready if empty.get() => view! {
                    <p class="state-note">"You have no workstations yet. Choose “New workstation” to create one."</p>
                }.into_any(),
                Load::Ready => view! {
                    <ul class="sessions" aria-label="Your workstations">
                        <For each=ids key=|id| id.clone() children=move |id| view! { <SessionCard id=id /> } />
                    </ul>
                }.into_any(),
            }}
        </main>
    }
}

/// Mounts the app on the page's body.
pub fn mount() {
    leptos::mount::mount_to_body(App);
}
