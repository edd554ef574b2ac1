//! The portal's shared state and the rules every view follows with it.
//!
//! `App` creates one [`Portal`] and provides it as context; every component reads it with
//! `expect_context::<Portal>()`. Views and the app both depend on this module, never on
//! each other, so data flows one way: app → components → portal (and api, logic).

use crate::api::ProfileChoice;
use crate::logic::{describe, Failure};
use crate::workstation::Workstation;
use leptos::prelude::*;

/// Where the first load of the list stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Loading,
    Ready,
    Failed(String),
}

/// Everything the components share, as copyable signals.
#[derive(Clone, Copy)]
pub struct Portal {
    pub studio: RwSignal<String>,
    pub user: RwSignal<String>,
    /// Whether the signed-in user has the admin role (sees every session of the studio).
    pub admin: RwSignal<bool>,
    pub sessions: RwSignal<Vec<Workstation>>,
    pub profiles: RwSignal<Vec<ProfileChoice>>,
    pub load: RwSignal<Load>,
    /// The text of the aria-live region.
    pub announcement: RwSignal<String>,
    /// Wall-clock milliseconds, ticking every second for the countdowns.
    pub now_ms: RwSignal<i64>,
    /// Bumped to refresh at once (after an action, or when the tab comes back).
    pub kick: RwSignal<u64>,
    pub notify: RwSignal<bool>,
}

impl Portal {
    /// A portal with nobody signed in yet and nothing loaded.
    pub fn new() -> Self {
        Portal {
            studio: RwSignal::new(String::new()),
            user: RwSignal::new(String::new()),
            admin: RwSignal::new(false),
            sessions: RwSignal::new(Vec::new()),
            profiles: RwSignal::new(Vec::new()),
            load: RwSignal::new(Load::Loading),
            announcement: RwSignal::new(String::new()),
            now_ms: RwSignal::new(now_ms()),
            kick: RwSignal::new(0),
            notify: RwSignal::new(false),
        }
    }

    /// Asks for a refresh of the list at once.
    pub fn refresh_soon(&self) {
        self.kick.update(|k| *k += 1);
    }

    /// Puts a session the API just returned into the list and refreshes soon.
    pub fn upsert(&self, session: Workstation) {
        self.sessions.update(|all| {
            match all.iter_mut().find(|s| s.session_id == session.session_id) {
                Some(existing) => *existing = session,
                None => all.push(session),
            }
        });
        self.refresh_soon();
    }
}

impl Default for Portal {
    fn default() -> Self {
        Self::new()
    }
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A signed-out artist goes to the sign-in page.
pub fn handle_signed_out(failure: &Failure) {
    if *failure == Failure::SignedOut {
        let _ = window().location().set_href("/login");
    }
}

/// The plain words for a failure, after sending a signed-out artist to the sign-in page.
pub fn explain(failure: &Failure) -> String {
    handle_signed_out(failure);
    describe(failure)
}
