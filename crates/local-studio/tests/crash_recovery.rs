//! kill -9 in the middle of transitions, restart on the same data dir: every acknowledged
//! change is there, and the sessions that were mid-transition carry on to their end.

use test_support as support;

use serde_json::json;
use std::process::Command;
use std::time::Duration;
use support::{ChildGuard, Client, SESSIONS};

/// Starts the real binary on the data dir; killed when the guard drops.
fn spawn(data_dir: &std::path::Path) -> (ChildGuard, std::net::SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-studio"));
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--transition-seconds",
            "2",
        ])
        .arg("--data-dir")
        .arg(data_dir);
    support::spawn_server(&mut command)
}

#[tokio::test]
async fn a_killed_server_loses_nothing_acknowledged_and_resumes_transitions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, addr) = spawn(dir.path());
    let client = Client::new(addr);

    let created = client
        .call(
            "POST",
            SESSIONS,
            Some(json!({"launchProfileId": "lp-review", "ownedBy": "carol"})),
            Some("create-1"),
        )
        .await;
    assert_eq!(created.status, 200);
    let new_id = created.json["session"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let ready: Vec<String> = client
        .walk("ownedBy=alice")
        .await
        .iter()
        .filter(|s| s["state"] == "READY" && s["launchProfileId"] == "lp-artist")
        .map(|s| s["sessionId"].as_str().unwrap().to_owned())
        .collect();
    let stop = client
        .call(
            "POST",
            &format!("{SESSIONS}/{}/stop", ready[0]),
            Some(json!({})),
            None,
        )
        .await;
    assert_eq!(stop.json["session"]["state"], "STOP_IN_PROGRESS");
    let before = client.walk("").await;

    // Both transitions are in flight: kill -9 now.
    first.kill();

    let (mut second, addr) = spawn(dir.path());
    let client = Client::new(addr);
    let after = client.walk("").await;
    assert_eq!(
        after.iter().map(|s| &s["sessionId"]).collect::<Vec<_>>(),
        before.iter().map(|s| &s["sessionId"]).collect::<Vec<_>>(),
        "every acknowledged session is still there"
    );
    // The demo is not seeded twice, and the create's token still replays.
    assert_eq!(after.len(), 6);
    let replay = client
        .call(
            "POST",
            SESSIONS,
            Some(json!({"launchProfileId": "lp-review", "ownedBy": "carol"})),
            Some("create-1"),
        )
        .await;
    assert_eq!(replay.json["session"]["sessionId"], new_id.as_str());

    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(client.session(&new_id).await["state"], "READY");
    let stopped = client.session(&ready[0]).await;
    assert_eq!(stopped["state"], "STOPPED");
    let backups = client
        .get(&format!("{}?ownedBy=alice", support::BACKUPS))
        .await;
    assert_eq!(
        backups.json["streamingSessionBackups"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the demo backup and the new stop's"
    );
    second.kill();
}
