//! The session state machine. A transition is stored as the moment it ends and what it ends in ([`Pending`]); nothing is scheduled. Reads first apply whatever is due
//! ([`settle`]), with each event dated when it was due, not when it was noticed, so a
//! server that was down mid-transition carries on exactly where it would have been.
//!
//! A session whose launch profile has a real workstation driver is *driven*: its
//! transition has no scheduled end, only a time limit. The stored ending is then the
//! failure it comes to if the driver never reports (so a hung or crashed driver ends in
//! *_FAILED by the same derivation, even with the reconciler gone), and the reconciler
//! replaces it with the driver's outcome through [`SessionRecord::conclude`].
//!
//! ```text
//! (Create) → CREATE_IN_PROGRESS → READY | CREATE_FAILED
//! READY → STOP_IN_PROGRESS → STOPPED | STOP_FAILED        (Stop, or stopAt reached)
//! STOPPED → START_IN_PROGRESS → READY | START_FAILED      (Start)
//! any settled state → DELETE_IN_PROGRESS → DELETED | DELETE_FAILED  (Delete, or terminateAt)
//! ```

use nimble_model::{
    ApiError, AutomaticTerminationMode, Operation, StreamingSession, StreamingSessionState as S,
    StreamingSessionStatusCode as Code, Timestamp,
};
use serde::{Deserialize, Serialize};

mod auto_stop;
mod ends;
mod schedule;
pub use auto_stop::{AutoStop, KeepRunning, StopPolicy};
use ends::Ends;
pub use schedule::{DayEnd, Schedule, WorkingDay, DEFAULT_LEAD_MS};

/// Who acts when a limit is reached rather than a caller.
pub const SYSTEM_ACTOR: &str = "system";

/// How a running transition ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub at_ms: i64,
    pub state: S,
    pub status_code: Code,
    pub status_message: String,
    pub actor: String,
    /// The work a driver is doing; `None` for a simulated transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driven: Option<Driven>,
    /// The status message when it succeeds (an automatic stop says why it stopped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_message: Option<String>,
}

/// A transition that a workstation driver carries out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Driven {
    pub action: Action,
    /// The backup a stop writes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    /// Older backups of the session that this stop's backup replaces (maxBackupsToRetain):
    /// their copies are removed too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pruned_backups: Vec<String>,
}

/// The workstation driver of a session, fixed when it is created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriverLink {
    /// The driver's name in the studio config (`local-desktop`).
    pub name: String,
    /// How long an action may take before it ends in *_FAILED.
    pub time_limit_ms: i64,
    /// What the driver keeps about the machine (a display, a PID, an instance id).
    #[serde(default)]
    pub state: serde_json::Value,
    /// What the machine runs, from the launch profile (a desktop's start command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// The OS user the machine runs as, from the studio's `os_users` for the session's
    /// owner; `None` is local-studio's own user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
    /// Limits on a local desktop's processes, from the launch profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<local_desktop::Limits>,
}

/// A session as stored: its wire document, the transition in flight, and the limits.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    pub studio_id: String,
    pub session: StreamingSession,
    pub pending: Option<Pending>,
    /// Minutes a session may run (launch profile), to set stopAt on every start.
    pub max_session_minutes: Option<i64>,
    /// Minutes a stopped session is kept when automatic termination is on.
    pub max_stopped_minutes: Option<i64>,
    /// `None` for a simulated workstation.
    pub driver: Option<DriverLink>,
    /// The launch profile's automatic stops and their warning (`auto_stop.rs`).
    pub stop_policy: StopPolicy,
    /// What stopAt is made of: the maximum length, or an idle deadline (`auto_stop.rs`).
    pub auto_stop: AutoStop,
    /// Working hours: when it starts and stops by itself (`schedule.rs`).
    pub schedule: Option<Schedule>,
}

/// What [`SessionRecord::settle`] did.
#[derive(Debug, Default)]
pub struct Settled {
    pub changed: bool,
    /// The session as it was when each automatic stop began (backups are taken then).
    pub stops_begun: Vec<SessionRecord>,
}

/// A transition a caller can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Create,
    Stop,
    Start,
    Delete,
}

/// How a transition that is starting will end: success, or failure with a status code.
pub type Outcome = Result<(), (Code, String)>;

fn ms(t: &Option<Timestamp>) -> Option<i64> {
    t.as_ref().map(Timestamp::unix_millis)
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap_or_else(Timestamp::now)
}

impl SessionRecord {
    pub fn state(&self) -> S {
        self.session.state.clone().unwrap_or(S::CreateInProgress)
    }

    pub fn session_id(&self) -> &str {
        self.session.session_id.as_deref().unwrap_or("")
    }

    /// When something happens next without a caller: a transition ends, a warning or
    /// stopAt or terminateAt is reached, a scheduled start is due. Stored (indexed) so due
    /// sessions are found cheaply.
    pub fn next_event_ms(&self) -> Option<i64> {
        let scheduled = self
            .schedule
            .as_ref()
            .and_then(|s| s.next_start)
            .map(|(at, _)| at);
        match (self.next_lifecycle_ms(), scheduled) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next event of the state machine itself (scheduled starts are the caller's).
    fn next_lifecycle_ms(&self) -> Option<i64> {
        if let Some(pending) = &self.pending {
            return Some(pending.at_ms);
        }
        match self.state() {
            S::Ready => self.next_automatic_ms(),
            S::Stopped => ms(&self.session.terminate_at),
            _ => None,
        }
    }

    /// Applies every event due at `now_ms`, in order.
    pub fn settle(&mut self, now_ms: i64, transition_ms: i64) -> Settled {
        let mut settled = Settled::default();
        while let Some(at) = self.next_lifecycle_ms().filter(|at| *at <= now_ms) {
            settled.changed = true;
            if let Some(pending) = self.pending.take() {
                self.finish(pending);
                continue;
            }
            // An automatic stop is near: the warning (once it is shown, the stop is next).
            let warned = self.session.stop_warning.is_some();
            if self.state() == S::Ready && !warned && ms(&self.session.stop_at) > Some(at) {
                self.review_stop(None, now_ms);
                if self.session.stop_warning.is_some() {
                    continue;
                }
            }
            // A limit was reached: the system stops or terminates the session.
            let action = match self.state() {
                S::Ready => Action::Stop,
                _ => Action::Delete,
            };
            let message = self.automatic_stop_message();
            self.begin(action, SYSTEM_ACTOR, at, transition_ms, Ok(()));
            if let Some(pending) = self.pending.as_mut().filter(|_| action == Action::Stop) {
                pending.done_message = Some(message);
            }
            if action == Action::Stop {
                settled.stops_begun.push(self.clone());
            }
        }
        settled
    }

    fn finish(&mut self, pending: Pending) {
        let at = ts(pending.at_ms);
        self.session.stop_warning = None;
        if pending.state == S::Ready {
            // A session runs for at most maxSessionLengthInMinutes from when it is ready.
            self.ready_at(pending.at_ms);
            self.session.terminate_at = None;
            // How long this start took: scheduled starts begin that much before the day.
            let began = self.session.started_at.map(|t| t.unix_millis());
            self.measure_start(pending.at_ms - began.unwrap_or(pending.at_ms));
        }
        let s = &mut self.session;
        if pending.state == S::Stopped {
            let auto_terminate =
                s.automatic_termination_mode == Some(AutomaticTerminationMode::Activated);
            s.terminate_at = self
                .max_stopped_minutes
                .filter(|_| auto_terminate)
                .map(|m| at.plus_seconds(m * 60));
        }
        let succeeded = !pending.state.is_failed();
        s.state = Some(pending.state);
        s.status_code = Some(pending.status_code);
        s.status_message = Some(match (succeeded, pending.done_message) {
            (true, Some(message)) => message,
            _ => pending.status_message,
        });
        s.updated_at = Some(at);
        s.updated_by = Some(pending.actor);
        // stopAt is the earliest automatic stop: the maximum length or the day's end.
        self.review_stop(None, pending.at_ms);
    }

    /// Starts a transition at `now_ms`. A simulated one ends `transition_ms` later in
    /// `outcome`; a driven one waits for its driver, up to the driver's time limit.
    /// The caller has checked that the action is allowed.
    pub fn begin(
        &mut self,
        action: Action,
        actor: &str,
        now_ms: i64,
        transition_ms: i64,
        outcome: Outcome,
    ) {
        let now = ts(now_ms);
        let ends = Ends::of(action);
        let s = &mut self.session;
        match action {
            Action::Stop => {
                s.stopped_at = Some(now);
                s.stopped_by = Some(actor.to_owned());
                s.stop_at = None;
            }
            // A new session runs from its creation: it counts as started then.
            Action::Create | Action::Start => {
                s.started_at = Some(now);
                s.started_by = Some(actor.to_owned());
                s.terminate_at = None;
            }
            Action::Delete => {
                s.stop_at = None;
                s.terminate_at = None;
            }
        }
        s.stop_warning = None;
        s.state = Some(ends.during);
        s.status_code = Some(ends.during_code);
        s.status_message = Some(String::new());
        s.updated_at = Some(now);
        s.updated_by = Some(actor.to_owned());
        self.pending = Some(match &self.driver {
            None => {
                let (state, status_code, status_message) = match outcome {
                    Ok(()) => (ends.done, ends.done_code, String::new()),
                    Err((code, message)) => (ends.failed, code, message),
                };
                Pending {
                    at_ms: now_ms + transition_ms,
                    state,
                    status_code,
                    status_message,
                    actor: actor.to_owned(),
                    driven: None,
                    done_message: None,
                }
            }
            Some(link) => Pending {
                at_ms: now_ms + link.time_limit_ms,
                state: ends.failed,
                status_code: Code::InternalError,
                status_message: format!(
                    "The workstation did not finish {} within {} s; try again, or ask your studio's administrator",
                    ends.verb,
                    link.time_limit_ms / 1000
                ),
                actor: actor.to_owned(),
                driven: Some(Driven {
                    action,
                    backup_id: None,
                    pruned_backups: Vec::new(),
                }),
                done_message: None,
            },
        });
    }

    /// Ends a driven transition now, with the driver's outcome.
    pub fn conclude(&mut self, now_ms: i64, outcome: Outcome) {
        let Some(mut pending) = self.pending.take() else {
            return;
        };
        let Some(driven) = &pending.driven else {
            self.pending = Some(pending);
            return;
        };
        let ends = Ends::of(driven.action);
        (pending.state, pending.status_code, pending.status_message) = match outcome {
            Ok(()) => (ends.done, ends.done_code, String::new()),
            Err((code, message)) => (ends.failed, code, message),
        };
        pending.at_ms = now_ms;
        self.finish(pending);
    }

    /// The driver's word on a running transition, shown as statusMessage.
    pub fn report_progress(&mut self, message: &str) -> bool {
        let changed = self.session.status_message.as_deref() != Some(message);
        if changed && self.state().is_in_progress() {
            self.session.status_message = Some(message.to_owned());
            return true;
        }
        false
    }

    /// A READY session whose machine is gone is STOPPED from then on, by the system, with
    /// its files kept: Start brings it back, and it is never shown READY without a machine.
    pub fn workstation_lost(&mut self, now_ms: i64, message: &str) {
        if self.state() != S::Ready {
            return;
        }
        let s = &mut self.session;
        s.stopped_at = ts(now_ms).into();
        s.stopped_by = Some(SYSTEM_ACTOR.to_owned());
        s.stop_at = None;
        s.volume_retention_mode = Some(nimble_model::VolumeRetentionMode::Retain);
        self.finish(Pending {
            at_ms: now_ms,
            state: S::Stopped,
            status_code: Code::StreamingSessionStopped,
            status_message: message.to_owned(),
            actor: SYSTEM_ACTOR.to_owned(),
            driven: None,
            done_message: None,
        });
    }
}

/// Whether `operation` may run on a session in `state` (the rule is nimble-model's
/// [`S::allows`], which the portal's buttons follow too); a 409 that says why otherwise.
pub fn check_allowed(operation: Operation, state: &S, session_id: &str) -> Result<(), ApiError> {
    if state.allows(operation) {
        return Ok(());
    }
    let message = if state.is_in_progress() {
        format!(
            "Another operation is in progress on streaming session {session_id} (state {state})"
        )
    } else {
        format!(
            "{} is not allowed on streaming session {session_id} in state {state}",
            operation.name()
        )
    };
    Err(ApiError::conflict(message).with_context("resourceId", session_id))
}

#[cfg(test)]
mod tests;
