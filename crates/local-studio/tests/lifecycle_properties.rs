//! Property test of the lifecycle over real HTTP: random sequences of creates, stops,
//! starts, deletes, streams and passing time never reach an invalid state, every refusal
//! changes nothing, and no acknowledged session is ever lost.

use test_support as support;

use local_studio::Config;
use proptest::prelude::*;
use serde_json::json;
use std::time::Duration;
use support::*;

#[derive(Clone, Debug)]
enum Op {
    Create,
    Stop(usize),
    Start(usize),
    Delete(usize),
    Stream(usize),
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Create),
        (0..4usize).prop_map(Op::Stop),
        (0..4usize).prop_map(Op::Start),
        (0..4usize).prop_map(Op::Delete),
        (0..4usize).prop_map(Op::Stream),
        (1..25u64).prop_map(Op::Wait),
    ]
}

/// The status codes each state may carry when nothing fails.
fn valid(state: &str, code: &str) -> bool {
    matches!(
        (state, code),
        ("CREATE_IN_PROGRESS", "STREAMING_SESSION_CREATE_IN_PROGRESS")
            | (
                "READY",
                "STREAMING_SESSION_READY" | "STREAMING_SESSION_STARTED"
            )
            | ("STOP_IN_PROGRESS", "STREAMING_SESSION_STOP_IN_PROGRESS")
            | ("STOPPED", "STREAMING_SESSION_STOPPED")
            | ("START_IN_PROGRESS", "STREAMING_SESSION_START_IN_PROGRESS")
            | ("DELETE_IN_PROGRESS", "STREAMING_SESSION_DELETE_IN_PROGRESS")
            | ("DELETED", "STREAMING_SESSION_DELETED")
    )
}

/// Whether an action is allowed from a state (the documented rules, not the server's code).
fn allowed(action: &str, state: &str) -> bool {
    match action {
        "stop" | "streams" => state == "READY",
        "start" => state == "STOPPED",
        "delete" => matches!(state, "READY" | "STOPPED"),
        _ => false,
    }
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let studio = start(Config {
        demo: true,
        transition: Duration::from_secs(10),
        ..Config::default()
    })
    .await;
    let mut ids: Vec<String> = Vec::new();
    for op in ops {
        let target = |i: usize| ids.get(i % ids.len().max(1)).cloned();
        let (action, id) = match op {
            Op::Create => {
                let reply = studio
                    .call(
                        "POST",
                        SESSIONS,
                        Some(json!({"launchProfileId": "lp-artist", "ownedBy": "carol"})),
                        None,
                    )
                    .await;
                if reply.status == 200 {
                    ids.push(
                        reply.json["session"]["sessionId"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                    );
                } else {
                    prop_assert_eq!(reply.status, 402, "only the quota may refuse a create");
                }
                continue;
            }
            Op::Wait(seconds) => {
                studio.server.advance_clock(Duration::from_secs(seconds));
                continue;
            }
            Op::Stop(i) => ("stop", target(i)),
            Op::Start(i) => ("start", target(i)),
            Op::Delete(i) => ("delete", target(i)),
            Op::Stream(i) => ("streams", target(i)),
        };
        let Some(id) = id else { continue };
        let before = studio.session(&id).await;
        let state = before["state"].as_str().unwrap().to_owned();
        let reply = match action {
            "delete" => {
                studio
                    .call("DELETE", &format!("{SESSIONS}/{id}"), None, None)
                    .await
            }
            _ => {
                studio
                    .call(
                        "POST",
                        &format!("{SESSIONS}/{id}/{action}"),
                        Some(json!({})),
                        None,
                    )
                    .await
            }
        };
        if allowed(action, &state) {
            prop_assert_eq!(
                reply.status,
                200,
                "{} from {}: {}",
                action,
                state,
                reply.json
            );
        } else {
            prop_assert_eq!(
                reply.status,
                409,
                "{} from {}: {}",
                action,
                state,
                reply.json
            );
            prop_assert_eq!(
                studio.session(&id).await,
                before,
                "a refused {} changed the session",
                action
            );
        }
        for id in &ids {
            let session = studio.session(id).await;
            let (state, code) = (
                session["state"].as_str().unwrap(),
                session["statusCode"].as_str().unwrap(),
            );
            prop_assert!(valid(state, code), "{} with {}", state, code);
            prop_assert_eq!(
                session.get("stopAt").is_some(),
                state == "READY",
                "stopAt only while running: {}",
                session
            );
        }
    }
    let mut listed: Vec<String> = studio
        .walk("ownedBy=carol")
        .await
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_owned())
        .collect();
    // Sessions made in the same millisecond are listed in id order, so compare as sets.
    listed.sort();
    ids.sort();
    prop_assert_eq!(listed, ids, "every acknowledged session is listed, once");
    studio.server.shutdown().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_every_session_valid_and_listed(ops in proptest::collection::vec(op(), 1..24)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(ops))?;
    }
}
