//! What an artist can ask of a workstation (Connect, Start, Stop, Delete, Keep running), as
//! an enum the compiler checks, and which of them a session's state offers (Keep running
//! also needs a warned stop: the card shows it only with `stopWarning`). The rule is nimble-model's
//! `StreamingSessionState::allows`, the one local-studio enforces too, so the portal never
//! offers a button the studio would refuse.

use nimble_model::{Operation, StreamingSessionState as S};

/// What an artist can ask of a workstation. An enum, not a string: a typo cannot turn one
/// action into another, and every `match` on it is checked by the compiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    Connect,
    Start,
    Stop,
    Delete,
    KeepRunning,
}

impl Intent {
    /// Every intent, in the order a card shows its buttons.
    pub const ALL: [Intent; 5] = [
        Intent::Connect,
        Intent::Start,
        Intent::Stop,
        Intent::Delete,
        Intent::KeepRunning,
    ];

    /// The API operation it runs.
    pub fn operation(self) -> Operation {
        match self {
            Intent::Connect => Operation::CreateStreamingSessionStream,
            Intent::Start => Operation::StartStreamingSession,
            Intent::Stop => Operation::StopStreamingSession,
            Intent::Delete => Operation::DeleteStreamingSession,
            Intent::KeepRunning => Operation::KeepStreamingSessionRunning,
        }
    }

    /// Whether a session in `state` offers it: nimble-model's one rule, the same one
    /// local-studio enforces with a 409.
    pub fn allowed_in(self, state: &S) -> bool {
        state.allows(self.operation())
    }

    /// What a card shows while the intent's request runs.
    pub fn progress(self) -> &'static str {
        match self {
            Intent::Connect => "Connecting…",
            Intent::Start => "Starting…",
            Intent::Stop => "Stopping…",
            Intent::Delete => "Deleting…",
            Intent::KeepRunning => "Keeping it running…",
        }
    }
}

// Plain native tests: nothing here needs a browser.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_lifecycle() {
        use Intent::*;
        let offered = |state: &S| {
            Intent::ALL
                .into_iter()
                .filter(|intent| intent.allowed_in(state))
                .collect::<Vec<_>>()
        };
        assert_eq!(offered(&S::Ready), [Connect, Stop, Delete, KeepRunning]);
        assert_eq!(offered(&S::Stopped), [Start, Delete]);
        for busy in [
            S::CreateInProgress,
            S::StartInProgress,
            S::StopInProgress,
            S::DeleteInProgress,
        ] {
            assert_eq!(offered(&busy), [], "{busy}");
        }
        assert_eq!(offered(&S::Deleted), []);
        assert!(Start.allowed_in(&S::StartFailed) && Delete.allowed_in(&S::CreateFailed));
        // A state this build does not know offers nothing, not even Delete.
        assert_eq!(offered(&S::Unknown("HIBERNATING".into())), []);
    }

    #[test]
    fn each_intent_runs_its_own_operation() {
        let operations = Intent::ALL.map(Intent::operation);
        assert_eq!(
            operations,
            [
                Operation::CreateStreamingSessionStream,
                Operation::StartStreamingSession,
                Operation::StopStreamingSession,
                Operation::DeleteStreamingSession,
                Operation::KeepStreamingSessionRunning,
            ]
        );
        assert_eq!(Intent::Stop.progress(), "Stopping…");
    }
}
