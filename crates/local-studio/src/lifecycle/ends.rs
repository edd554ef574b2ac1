//! The states each kind of transition passes through: while it runs, when it succeeds,
//! when it fails; and the verb its time-limit message uses.

use super::Action;
use nimble_model::{StreamingSessionState as S, StreamingSessionStatusCode as Code};

/// The states one kind of transition passes through.
pub struct Ends {
    pub during: S,
    pub during_code: Code,
    pub done: S,
    pub done_code: Code,
    pub failed: S,
    pub verb: &'static str,
}

impl Ends {
    pub fn of(action: Action) -> Ends {
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
