//! The watch (`GET /2020-08-01/studios/{id}/events`), over HTTP with real SigV4 against
//! the real binary: every change arrives in order, including the ones that happen by time
//! alone (a transition ending, a stream becoming ready); a stream's event never carries
//! its one-time URL; after kill -9 and a restart the same `since` goes on without losing
//! an event; a `since` the server cannot serve says to re-list; bad input is refused.

use test_support as support;

use serde_json::{json, Value};
use std::process::Command;
use support::{ChildGuard, Client, SESSIONS};

const EVENTS: &str = "/2020-08-01/studios/demo-studio/events";

fn spawn(data_dir: &std::path::Path) -> (ChildGuard, std::net::SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-studio"));
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--transition-seconds",
            "1",
        ])
        .arg("--data-dir")
        .arg(data_dir);
    support::spawn_server(&mut command)
}

/// One watch call; its events and the `since` for the next.
async fn watch(client: &Client, since: i64, wait: u32) -> (Vec<Value>, i64) {
    let reply = client
        .get(&format!("{EVENTS}?since={since}&waitSeconds={wait}"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["reset"], false);
    let events = reply.json["events"].as_array().unwrap().clone();
    (events, reply.json["next"].as_i64().unwrap())
}

/// Watches until an event of `session` says `state`; every event seen on the way.
async fn until_state(client: &Client, since: &mut i64, session: &str, state: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let (events, next) = watch(client, *since, 5).await;
        *since = next;
        seen.extend(events);
        let reached = seen.iter().any(|e| {
            e["sessionId"] == session
                && (e["session"]["state"] == state || e["stream"]["state"] == state)
        });
        if reached {
            return seen;
        }
    }
    panic!("no {state} event for {session}: {seen:#?}");
}

fn ready_session_of(sessions: &[Value], owner: &str) -> String {
    sessions
        .iter()
        .find(|s| s["state"] == "READY" && s["ownedBy"] == owner)
        .and_then(|s| s["sessionId"].as_str())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_change_is_watched_in_order_and_a_restart_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, addr) = spawn(dir.path());
    let client = Client::new(addr);

    // Without `since`: at once, no events, the position to watch from.
    let start = client.get(EVENTS).await;
    assert_eq!(start.json["events"], json!([]));
    let mut since = start.json["next"].as_i64().unwrap();
    assert!(since > 0, "the demo's sessions were events too");

    let sessions = client.walk("").await;
    let alice = ready_session_of(&sessions, "alice");
    let stop = client
        .call(
            "POST",
            &format!("{SESSIONS}/{alice}/stop"),
            Some(json!({})),
            None,
        )
        .await;
    assert_eq!(stop.status, 200);
    // The stop, then its end a transition later, woken by the reconciler, not a read.
    let seen = until_state(&client, &mut since, &alice, "STOPPED").await;
    let states: Vec<&Value> = seen.iter().map(|e| &e["session"]["state"]).collect();
    assert_eq!(states, ["STOP_IN_PROGRESS", "STOPPED"], "{seen:#?}");
    assert!(seen[0]["seq"].as_i64() < seen[1]["seq"].as_i64());
    assert_eq!(seen[0]["ownedBy"], "alice");
    assert_eq!(seen[0]["kind"], "session");

    // A stream: created, then READY by time alone; never with its URL (a credential).
    let bob = ready_session_of(&sessions, "bob");
    let stream = client
        .call(
            "POST",
            &format!("{SESSIONS}/{bob}/streams"),
            Some(json!({})),
            None,
        )
        .await;
    assert_eq!(stream.status, 200, "{}", stream.text);
    let seen = until_state(&client, &mut since, &bob, "READY").await;
    let kinds: Vec<(&Value, &Value)> = seen
        .iter()
        .map(|e| (&e["kind"], &e["stream"]["state"]))
        .collect();
    assert_eq!(
        kinds,
        [
            (&json!("stream"), &json!("CREATE_IN_PROGRESS")),
            (&json!("stream"), &json!("READY"))
        ]
    );
    assert!(seen.iter().all(|e| e["stream"].get("url").is_none()));
    assert_eq!(
        seen[1]["stream"]["streamId"],
        stream.json["stream"]["streamId"]
    );

    // A stop in flight, then kill -9: after the restart the same `since` brings the
    // stop's end, and nothing before it again.
    let restart = client
        .call(
            "POST",
            &format!("{SESSIONS}/{bob}/stop"),
            Some(json!({})),
            None,
        )
        .await;
    assert_eq!(restart.status, 200);
    let (events, next) = watch(&client, since, 0).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["session"]["state"], "STOP_IN_PROGRESS");
    since = next;
    first.kill();

    let (mut second, addr) = spawn(dir.path());
    let client = Client::new(addr);
    let seen = until_state(&client, &mut since, &bob, "STOPPED").await;
    assert_eq!(seen.len(), 1, "only what came after `since`: {seen:#?}");
    assert!(seen[0]["seq"].as_i64().unwrap() > next);

    // A `since` beyond anything written (another store, say) says to re-list.
    let ahead = client
        .get(&format!("{EVENTS}?since={}&waitSeconds=0", since + 1000))
        .await;
    assert_eq!(ahead.json["reset"], true);
    assert_eq!(ahead.json["next"].as_i64(), Some(since));
    second.kill();
}

#[tokio::test]
async fn a_bad_watch_is_refused_and_a_quiet_one_times_out_empty() {
    let studio = support::start(support::test_config()).await;
    for (query, field) in [("since=x", "since"), ("waitSeconds=60", "waitSeconds")] {
        let reply = studio.get(&format!("{EVENTS}?{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.error_type(), "ValidationException");
        assert_eq!(reply.json["context"]["field"], field);
    }
    let missing = studio
        .get("/2020-08-01/studios/no-such-studio/events")
        .await;
    assert_eq!(missing.status, 404);
    let unsigned = studio.send_unsigned("GET", EVENTS, &[]).await;
    assert_eq!(unsigned.status, 403);

    let next = studio.get(EVENTS).await.json["next"].as_i64().unwrap();
    let quiet = studio
        .get(&format!("{EVENTS}?since={next}&waitSeconds=1"))
        .await;
    assert_eq!(
        quiet.json,
        json!({"events": [], "next": next, "reset": false})
    );
    studio.server.shutdown().await;
}
