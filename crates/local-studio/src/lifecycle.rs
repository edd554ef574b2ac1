//! The session state machine, kept in one file (longer than most) so it reads as a
//! whole. A transition is stored as the moment it ends and what it ends in ([`Pending`]); nothing is scheduled. Reads first apply whatever is due
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

    /// When something happens next without a caller: a transition ends, stopAt or
    /// terminateAt is reached. Stored (indexed) so due sessions are found cheaply.
    pub fn next_event_ms(&self) -> Option<i64> {
        if let Some(pending) = &self.pending {
            return Some(pending.at_ms);
        }
        match self.state() {
            S::Ready => ms(&self.session.stop_at),
            S::Stopped => ms(&self.session.terminate_at),
            _ => None,
        }
    }

    /// Applies every event due at `now_ms`, in order.
    pub fn settle(&mut self, now_ms: i64, transition_ms: i64) -> Settled {
        let mut settled = Settled::default();
        while let Some(at) = self.next_event_ms().filter(|at| *at <= now_ms) {
            settled.changed = true;
            if let Some(pending) = self.pending.take() {
                self.finish(pending);
                continue;
            }
            // A limit was reached: the system stops or terminates the session.
            let action = match self.state() {
                S::Ready => Action::Stop,
                _ => Action::Delete,
            };
            self.begin(action, SYSTEM_ACTOR, at, transition_ms, Ok(()));
            if action == Action::Stop {
                settled.stops_begun.push(self.clone());
            }
        }
        settled
    }

    fn finish(&mut self, pending: Pending) {
        let at = ts(pending.at_ms);
        let s = &mut self.session;
        if pending.state == S::Ready {
            // A session runs for at most maxSessionLengthInMinutes from when it is ready.
            s.stop_at = self.max_session_minutes.map(|m| at.plus_seconds(m * 60));
            s.terminate_at = None;
        }
        if pending.state == S::Stopped {
            let auto_terminate =
                s.automatic_termination_mode == Some(AutomaticTerminationMode::Activated);
            s.terminate_at = self
                .max_stopped_minutes
                .filter(|_| auto_terminate)
                .map(|m| at.plus_seconds(m * 60));
        }
        s.state = Some(pending.state);
        s.status_code = Some(pending.status_code);
        s.status_message = Some(pending.status_message);
        s.updated_at = Some(at);
        s.updated_by = Some(pending.actor);
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
        });
    }
}

/// The states one kind of transition passes through.
struct Ends {
    during: S,
    during_code: Code,
    done: S,
    done_code: Code,
    failed: S,
    verb: &'static str,
}

impl Ends {
    fn of(action: Action) -> Ends {
        let (during, during_code, done, done_code, failed, verb) = match action {
            Action::Create => (
                S::CreateInProgress,
                Code::StreamingSessionCreateInProgress,
                S::Ready,
                Code::StreamingSessionReady,
                S::CreateFailed,
                "starting",
            ),
            Action::Stop => (
                S::StopInProgress,
                Code::StreamingSessionStopInProgress,
                S::Stopped,
                Code::StreamingSessionStopped,
                S::StopFailed,
                "stopping",
            ),
            Action::Start => (
                S::StartInProgress,
                Code::StreamingSessionStartInProgress,
                S::Ready,
                Code::StreamingSessionStarted,
                S::StartFailed,
                "starting",
            ),
            Action::Delete => (
                S::DeleteInProgress,
                Code::StreamingSessionDeleteInProgress,
                S::Deleted,
                Code::StreamingSessionDeleted,
                S::DeleteFailed,
                "deleting",
            ),
        };
        Ends {
            during,
            during_code,
            done,
            done_code,
            failed,
            verb,
        }
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
mod tests {
    use super::*;

    fn ready_session() -> SessionRecord {
        SessionRecord {
            studio_id: "s".into(),
            session: StreamingSession {
                session_id: Some("ss-1".into()),
                state: Some(S::Ready),
                automatic_termination_mode: Some(AutomaticTerminationMode::Activated),
                ..Default::default()
            },
            pending: None,
            max_session_minutes: Some(60),
            max_stopped_minutes: Some(10),
            driver: None,
        }
    }

    #[test]
    fn a_stop_ends_when_due_and_dates_the_end_when_it_was_due() {
        let mut record = ready_session();
        record.begin(Action::Stop, "alice", 1_000, 500, Ok(()));
        assert_eq!(record.state(), S::StopInProgress);
        assert!(!record.settle(1_499, 500).changed);
        assert!(record.settle(10_000, 500).changed);
        assert_eq!(record.state(), S::Stopped);
        assert_eq!(record.session.updated_at.unwrap().unix_millis(), 1_500);
        // Automatic termination is scheduled from when the stop ended.
        assert_eq!(
            record.session.terminate_at.unwrap().unix_millis(),
            1_500 + 600_000
        );
    }

    #[test]
    fn reaching_stop_at_stops_the_session_by_itself() {
        let mut record = ready_session();
        record.session.stop_at = Timestamp::from_unix_millis(5_000);
        let settled = record.settle(5_000 + 100 + 1, 100);
        assert_eq!(settled.stops_begun.len(), 1);
        assert_eq!(record.state(), S::Stopped);
        assert_eq!(record.session.stopped_by.as_deref(), Some(SYSTEM_ACTOR));
        assert_eq!(record.session.stopped_at.unwrap().unix_millis(), 5_000);
    }

    #[test]
    fn failures_end_in_the_failed_state_with_their_code() {
        let mut record = ready_session();
        record.session.state = Some(S::Stopped);
        let failure = (Code::InsufficientCapacity, "no capacity".to_owned());
        record.begin(Action::Start, "alice", 0, 0, Err(failure));
        record.settle(0, 0);
        assert_eq!(record.state(), S::StartFailed);
        assert_eq!(record.session.status_code, Some(Code::InsufficientCapacity));
    }

    #[test]
    fn conflicts_name_the_session() {
        let error =
            check_allowed(Operation::StopStreamingSession, &S::Stopped, "ss-9").unwrap_err();
        assert_eq!(error.kind.http_status(), 409);
        assert_eq!(error.context["resourceId"], "ss-9");
        assert!(check_allowed(Operation::DeleteStreamingSession, &S::StopInProgress, "x").is_err());
        assert!(check_allowed(Operation::DeleteStreamingSession, &S::StartFailed, "x").is_ok());
    }

    fn driven_session() -> SessionRecord {
        let mut record = ready_session();
        record.driver = Some(DriverLink {
            name: "local-desktop".into(),
            time_limit_ms: 60_000,
            state: serde_json::Value::Null,
            command: None,
        });
        record
    }

    #[test]
    fn a_driven_action_that_never_reports_fails_at_its_time_limit() {
        let mut record = driven_session();
        record.begin(Action::Stop, "alice", 1_000, 0, Ok(()));
        assert_eq!(record.state(), S::StopInProgress);
        assert!(!record.settle(60_999, 0).changed, "still within the limit");
        record.settle(61_000, 0);
        assert_eq!(record.state(), S::StopFailed);
        assert_eq!(record.session.status_code, Some(Code::InternalError));
        let message = record.session.status_message.clone().unwrap();
        assert!(message.contains("within 60 s"), "{message}");
    }

    #[test]
    fn a_driven_action_ends_when_its_driver_says() {
        let mut record = driven_session();
        record.session.state = Some(S::Stopped);
        record.begin(Action::Start, "alice", 1_000, 0, Ok(()));
        assert!(record.report_progress("Starting the desktop…"));
        assert!(
            !record.report_progress("Starting the desktop…"),
            "said once"
        );
        record.conclude(1_500, Ok(()));
        assert_eq!(record.state(), S::Ready);
        assert_eq!(record.session.status_message.as_deref(), Some(""));
        assert_eq!(record.session.updated_at.unwrap().unix_millis(), 1_500);
        // Its stopAt counts from when it became READY.
        assert_eq!(
            record.session.stop_at.unwrap().unix_millis(),
            1_500 + 3_600_000
        );

        record.begin(Action::Stop, "alice", 2_000, 0, Ok(()));
        let failure = (Code::InternalError, "the desktop would not stop".to_owned());
        record.conclude(2_100, Err(failure));
        assert_eq!(record.state(), S::StopFailed);
        assert_eq!(
            record.session.status_message.as_deref(),
            Some("the desktop would not stop")
        );
    }

    #[test]
    fn a_ready_session_whose_machine_is_gone_becomes_stopped_by_the_system() {
        let mut record = driven_session();
        record.workstation_lost(5_000, "gone");
        assert_eq!(record.state(), S::Stopped);
        assert_eq!(record.session.stopped_by.as_deref(), Some(SYSTEM_ACTOR));
        assert_eq!(
            record.session.status_code,
            Some(Code::StreamingSessionStopped)
        );
        assert!(S::Stopped.allows(Operation::StartStreamingSession));
        // Only READY is affected: a stopped session stays as it is.
        record.workstation_lost(6_000, "again");
        assert_eq!(record.session.status_message.as_deref(), Some("gone"));
    }
}
