//! What a workstation card does when its buttons are pressed: Start, Stop and Delete, the
//! questions asked before them, the progress label while a request runs, and the error
//! shown when one fails.
//!
//! A card's state lives in [`Card`], a bundle of copyable signals, so every handler and
//! view piece can hold it. Each intent gets one client token: a double click or a retry
//! of the same intent reuses it, so the studio runs it once.

use super::connect_button::{self, Connecting};
use crate::api::{self, BackupChoice, Change};
use crate::intent::Intent;
use crate::logic::Failure;
use crate::portal::{explain, Portal};
use crate::workstation::Workstation;
use leptos::prelude::*;
use leptos::task::spawn_local;
use nimble_model::{SessionPersistenceMode, StreamingSessionState, VolumeRetentionMode};

/// The question open under a card, if any.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Panel {
    None,
    Stop,
    Start(Vec<BackupChoice>),
    Delete,
}

/// A card's state beyond its session.
#[derive(Clone, Copy)]
pub(super) struct Card {
    pub portal: Portal,
    pub session: Memo<Workstation>,
    pub panel: RwSignal<Panel>,
    /// What runs now, in words; the buttons wait while it is set.
    pub pending: RwSignal<Option<&'static str>>,
    pub error: RwSignal<Option<String>>,
    /// The Stop question's answer: keep the files (RETAIN) or not.
    pub retain: RwSignal<bool>,
    /// The Start question's answer: a backup id, empty for the latest state.
    pub backup: RwSignal<String>,
    pub connect: RwSignal<Connecting>,
    /// The intent that has a client token, and the token.
    intent: RwSignal<Option<(Intent, String)>>,
}

impl Card {
    pub fn new(portal: Portal, session: Memo<Workstation>) -> Self {
        Card {
            portal,
            session,
            panel: RwSignal::new(Panel::None),
            pending: RwSignal::new(None),
            error: RwSignal::new(None),
            retain: RwSignal::new(true),
            backup: RwSignal::new(String::new()),
            connect: RwSignal::new(Connecting::Idle),
            intent: RwSignal::new(None),
        }
    }

    pub fn studio(self) -> String {
        self.portal.studio.get_untracked()
    }

    pub fn session_id(self) -> String {
        self.session
            .with_untracked(|s| s.session_id.clone().unwrap_or_default())
    }

    /// The client token of `what`: the same one until the intent ends.
    pub fn token_for(self, what: Intent) -> String {
        match self.intent.get_untracked() {
            Some((kind, token)) if kind == what => token,
            _ => {
                let token = api::new_client_token();
                self.intent.set(Some((what, token.clone())));
                token
            }
        }
    }

    /// The intent is over: the next one, even of the same kind, gets a new token.
    pub fn end_intent(self) {
        self.intent.set(None);
    }

    fn persistent(self) -> bool {
        self.session.with_untracked(|s| {
            s.session_persistence_mode == Some(SessionPersistenceMode::Activated)
        })
    }

    /// Stop, keeping or erasing the files as answered (asked only of persistent sessions).
    pub fn stop(self) -> Change {
        let mode = if self.retain.get_untracked() {
            VolumeRetentionMode::Retain
        } else {
            VolumeRetentionMode::Delete
        };
        Change::Stop {
            mode: self.persistent().then_some(mode),
        }
    }

    /// Start from the chosen backup, or from the latest state.
    pub fn start(self) -> Change {
        let chosen = self.backup.get_untracked();
        Change::Start {
            backup_id: (!chosen.is_empty()).then_some(chosen),
        }
    }

    /// Sends `change` once: ignored while another request of the card runs.
    pub fn run(self, change: Change) {
        if self.pending.get_untracked().is_some() {
            return;
        }
        let intent = change.intent();
        let token = self.token_for(intent);
        self.pending.set(Some(intent.progress()));
        self.panel.set(Panel::None);
        let (studio, id) = (self.studio(), self.session_id());
        spawn_local(async move {
            let result = api::change(&studio, &id, change, &token).await;
            self.finish(result);
        });
    }

    fn finish(self, result: Result<Workstation, Failure>) {
        self.pending.set(None);
        match result {
            Ok(updated) => {
                self.end_intent();
                self.error.set(None);
                self.portal.upsert(updated);
            }
            Err(failure) => {
                // A request lost on the network may have arrived: its retry keeps the token.
                if failure != Failure::Network {
                    self.end_intent();
                }
                self.error.set(Some(explain(&failure)));
                // The view may be stale (a conflict, a missing session): refresh it.
                self.portal.refresh_soon();
            }
        }
    }

    /// Start: asks which backup to start from when the session has any.
    fn ask_start(self) {
        let (studio, id) = (self.studio(), self.session_id());
        self.pending.set(Some("Checking backups…"));
        spawn_local(async move {
            let backups = api::list_backups(&studio).await.unwrap_or_default();
            self.pending.set(None);
            let mine: Vec<_> = backups
                .into_iter()
                .filter(|b| b.session_id.as_deref() == Some(id.as_str()))
                .collect();
            if mine.is_empty() {
                self.backup.set(String::new());
                self.run(self.start());
            } else {
                self.panel.set(Panel::Start(mine));
            }
        });
    }

    /// Stop: asks whether to keep the files when the session has a persistent volume.
    fn ask_stop(self) {
        if self.persistent() {
            self.retain.set(true);
            self.panel.set(Panel::Stop);
        } else {
            self.run(self.stop());
        }
    }
}

/// The card's buttons, each shown only in the states that allow its intent.
pub(super) fn buttons(card: Card, state: Signal<StreamingSessionState>) -> impl IntoView {
    // One closure type for the four buttons, so `Show` is built once for them.
    let offered = move |intent: Intent| move || intent.allowed_in(&state.get());
    let busy = move || card.pending.get().is_some();
    view! {
        <div class="actions">
            {move || card.pending.get().map(|label| view! { <span class="progress" role="status">{label}</span> })}
            <Show when=offered(Intent::Connect)>
                {connect_button::button(card)}
            </Show>
            <Show when=offered(Intent::Start)>
                <button on:click=move |_| card.ask_start() disabled=busy>"Start"</button>
            </Show>
            <Show when=offered(Intent::Stop)>
                <button on:click=move |_| card.ask_stop() disabled=busy>"Stop"</button>
            </Show>
            <Show when=offered(Intent::Delete)>
                <button class="danger" on:click=move |_| card.panel.set(Panel::Delete) disabled=busy>"Delete"</button>
            </Show>
        </div>
    }
}
