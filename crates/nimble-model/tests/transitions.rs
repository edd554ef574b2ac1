//! `StreamingSessionState::allows` checked against the transitions the service model
//! documents ("Transitions sessions from the READY state into the STOPPED state") and
//! against its waiters, which say which states end a wait.

mod model;

use model::Model;
use nimble_model::{Operation, StreamingSessionState as S};

/// The `from` and `into` states of an operation's "Transitions sessions from the X state
/// into the Y state" sentence.
fn documented_transition(model: &Model, operation: Operation) -> (S, S) {
    let doc = model.operation(operation.name())["documentation"]
        .as_str()
        .unwrap_or_default()
        .replace("<code>", "")
        .replace("</code>", "");
    let rest = doc
        .split("Transitions sessions from the ")
        .nth(1)
        .unwrap_or_else(|| panic!("{} documents no transition", operation.name()));
    let mut words = rest.split_whitespace();
    let from = words.next().unwrap_or_default();
    let into = rest
        .split("into the ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_default();
    (S::from(from), S::from(into))
}

#[test]
fn start_and_stop_are_allowed_from_the_documented_state_only() {
    let model = Model::load();
    for operation in [
        Operation::StartStreamingSession,
        Operation::StopStreamingSession,
    ] {
        let (from, into) = documented_transition(&model, operation);
        assert!(from.is_known() && into.is_known(), "{from} → {into}");
        assert!(from.allows(operation), "{from} must allow {operation:?}");
        assert!(
            !into.allows(operation),
            "{into} must not allow {operation:?}"
        );
        // Every other settled state refuses it, except a failed start, which may be retried.
        let settled = model.shape("StreamingSessionState")["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| S::from(v.as_str().unwrap()))
            .filter(|s| *s != from && !s.is_in_progress());
        for state in settled {
            let retry = operation == Operation::StartStreamingSession && state == S::StartFailed;
            assert_eq!(state.allows(operation), retry, "{state} and {operation:?}");
        }
    }
}

/// The session waiters of the model end on settled states; a caller who waited must then
/// be able to act: every failure a waiter reports can be deleted, and the states it waits
/// through (in progress) allow no change at all.
#[test]
fn what_the_waiters_end_on_can_be_acted_on_and_what_they_wait_through_cannot() {
    let text = std::fs::read_to_string(model::model_dir().join("waiters-2.json")).unwrap();
    let waiters: serde_json::Value = serde_json::from_str(&text).unwrap();
    let session_waiters: Vec<_> = waiters["waiters"]
        .as_object()
        .unwrap()
        .values()
        .filter(|w| w["operation"] == "GetStreamingSession")
        .collect();
    assert_eq!(session_waiters.len(), 3, "the model's session waiters");
    for acceptor in session_waiters
        .iter()
        .flat_map(|w| w["acceptors"].as_array().unwrap())
    {
        let state = S::from(acceptor["expected"].as_str().unwrap_or_default());
        assert!(state.is_known() && !state.is_in_progress(), "{state}");
        if acceptor["state"] == "failure" {
            assert!(state.allows(Operation::DeleteStreamingSession), "{state}");
        }
    }
    let changes = [
        Operation::StartStreamingSession,
        Operation::StopStreamingSession,
        Operation::DeleteStreamingSession,
        Operation::CreateStreamingSessionStream,
    ];
    for state in [
        S::CreateInProgress,
        S::StartInProgress,
        S::StopInProgress,
        S::DeleteInProgress,
    ] {
        for operation in changes {
            assert!(!state.allows(operation), "{state} allows {operation:?}");
        }
    }
}
