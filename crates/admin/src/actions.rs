//! What an admin does to workstations: Stop, Stop with DELETE (a persistent volume is
//! deleted, not kept) and Delete, on one or many. Each asks for confirmation and a reason
//! first; the reason goes with every call (`X-Studio-Portal-Reason`), so the audit line
//! names admin, owner and reason, and the owner's card says who stopped it and why.
//! Workstations whose state does not allow the action are left out and counted, by the
//! rule local-studio enforces (`StreamingSessionState::allows`).

use crate::row::{Row, RowReply};
use nimble_model::VolumeRetentionMode;
use studio_portal::api::{self, Change};
use studio_portal::intent::Intent;
use studio_portal::logic::describe;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    Stop,
    StopDeletingVolume,
    Delete,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Stop => "Stop",
            Action::StopDeletingVolume => "Stop with DELETE",
            Action::Delete => "Delete",
        }
    }

    /// The action a button's `data-act` names.
    pub fn named(name: &str) -> Option<Action> {
        match name {
            "stop" => Some(Action::Stop),
            "stop-delete" => Some(Action::StopDeletingVolume),
            "delete" => Some(Action::Delete),
            _ => None,
        }
    }

    fn intent(self) -> Intent {
        match self {
            Action::Stop | Action::StopDeletingVolume => Intent::Stop,
            Action::Delete => Intent::Delete,
        }
    }

    /// Whether `row`'s state allows it now.
    pub fn applies_to(self, row: &Row) -> bool {
        self.intent().allowed_in(&row.state())
    }

    /// The call for `row`: a volume mode only where there is a persistent volume.
    fn change(self, row: &Row) -> Change {
        match self {
            Action::Stop => Change::Stop { mode: None },
            Action::StopDeletingVolume => Change::Stop {
                mode: row.keeps_a_volume().then_some(VolumeRetentionMode::Delete),
            },
            Action::Delete => Change::Delete,
        }
    }
}

/// What the confirmation is about: an action and the ids it was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub action: Action,
    pub ids: Vec<String>,
}

/// Runs `action` with `reason` on each of `rows` whose state allows it, one after the
/// other (the studio throttles each caller), handing each changed session to `changed`.
/// Answers what happened, in words.
pub async fn run(
    studio: &str,
    action: Action,
    rows: Vec<Row>,
    reason: &str,
    changed: impl Fn(Row),
) -> String {
    let (mut done, mut skipped, mut failures) = (0, 0, Vec::new());
    for row in rows {
        if !action.applies_to(&row) {
            skipped += 1;
            continue;
        }
        let token = api::new_client_token();
        let answer = api::change_as_admin(studio, row.id(), action.change(&row), &token, reason);
        match answer.await.and_then(api::decode::<RowReply>) {
            Ok(reply) => {
                done += 1;
                reply.session.into_iter().for_each(&changed);
            }
            Err(failure) => failures.push(format!("{}: {}", row.name(), describe(&failure))),
        }
    }
    let mut report = format!("{}: {done} done", action.label());
    if skipped > 0 {
        report += &format!(", {skipped} skipped (their state does not allow it)");
    }
    if !failures.is_empty() {
        report += &format!(". Failed: {}", failures.join("; "));
    }
    report
}
