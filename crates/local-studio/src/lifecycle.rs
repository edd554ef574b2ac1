//! The session state machine. A transition is stored as the moment it ends and what it
//! ends in ([`Pending`]); nothing is scheduled. Reads first apply whatever is due
//! ([`settle`]), with each event dated when it was due, not when it was noticed, so a
//! server that was down mid-transition carries on exactly where it would have been.
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
}

/// What [`SessionRecord::settle`] did.
#[derive(Debug, Default)]
pub struct Settled {
    pub changed: bool,
    /// The session as it was when each automatic stop began (backups are taken then).
    pub stops_begun: Vec<SessionRecord>,
}

/// A transition a caller can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

    /// Starts a transition at `now_ms` that ends `transition_ms` later in `outcome`.
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
        let (during, during_code, done, done_code, failed) = match action {
            Action::Create => (
                S::CreateInProgress,
                Code::StreamingSessionCreateInProgress,
                S::Ready,
                Code::StreamingSessionReady,
                S::CreateFailed,
            ),
            Action::Stop => (
                S::StopInProgress,
                Code::StreamingSessionStopInProgress,
                S::Stopped,
                Code::StreamingSessionStopped,
                S::StopFailed,
            ),
            Action::Start => (
                S::StartInProgress,
                Code::StreamingSessionStartInProgress,
                S::Ready,
                Code::StreamingSessionStarted,
                S::StartFailed,
            ),
            Action::Delete => (
                S::DeleteInProgress,
                Code::StreamingSessionDeleteInProgress,
                S::Deleted,
                Code::StreamingSessionDeleted,
                S::DeleteFailed,
            ),
        };
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
        s.state = Some(during);
        s.status_code = Some(during_code);
        s.status_message = Some(String::new());
        s.updated_at = Some(now);
        s.updated_by = Some(actor.to_owned());
        let (state, status_code, status_message) = match outcome {
            Ok(()) => (done, done_code, String::new()),
            Err((code, message)) => (failed, code, message),
        };
        self.pending = Some(Pending {
            at_ms: now_ms + transition_ms,
            state,
            status_code,
            status_message,
            actor: actor.to_owned(),
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
}
