//! Which operations a session's state allows: the one rule that the portal's buttons and
//! local-studio's 409s both follow.
//!
//! The service model documents Stop as READY → STOPPED and Start as STOPPED → READY.
//! A Start that failed may be tried again, so START_FAILED allows Start too. Delete is
//! allowed in every settled state except DELETED. Nothing is allowed while a transition
//! runs, and nothing on a state this build does not know.

use crate::{Operation, StreamingSessionState as S};

impl S {
    /// Whether `operation` may run on a session in this state. Reads and creates do not
    /// depend on a session's state and are always allowed.
    pub fn allows(&self, operation: Operation) -> bool {
        if let S::Unknown(_) = self {
            return false;
        }
        match operation {
            Operation::StopStreamingSession
            | Operation::CreateStreamingSessionStream
            | Operation::KeepStreamingSessionRunning => *self == S::Ready,
            Operation::StartStreamingSession => matches!(self, S::Stopped | S::StartFailed),
            Operation::DeleteStreamingSession => !self.is_in_progress() && *self != S::Deleted,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_allowed_mid_transition_or_in_an_unknown_state() {
        let changes = [
            Operation::StopStreamingSession,
            Operation::StartStreamingSession,
            Operation::DeleteStreamingSession,
            Operation::CreateStreamingSessionStream,
            Operation::KeepStreamingSessionRunning,
        ];
        for state in [
            S::CreateInProgress,
            S::StartInProgress,
            S::StopInProgress,
            S::DeleteInProgress,
            S::Unknown("HIBERNATING".into()),
        ] {
            for operation in changes {
                assert!(!state.allows(operation), "{state} allows {operation:?}");
            }
        }
        assert!(S::StopFailed.allows(Operation::DeleteStreamingSession));
        assert!(!S::Deleted.allows(Operation::DeleteStreamingSession));
        assert!(S::StartFailed.allows(Operation::StartStreamingSession));
    }
}
