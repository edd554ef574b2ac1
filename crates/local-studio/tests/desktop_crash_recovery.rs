//! kill -9 local-studio while a real desktop starts, then restart it on the same data:
//! the session ends READY with exactly one desktop, or START_FAILED with none running.
//! Kills land at several moments: before the reconciler begins, mid-launch, after it.

mod workstations;

use serde_json::json;
use std::process::Command;
use std::time::Duration;
use test_support::{ChildGuard, Client};
use workstations::*;

fn spawn(host: &Host, data: &std::path::Path) -> (ChildGuard, Client) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-studio"));
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--transition-seconds",
            "0",
            "--drift-seconds",
            "0.2",
        ])
        .arg("--config")
        .arg(host.files.path().join("studio.toml"))
        .arg("--desktops-dir")
        .arg(host.root.path())
        .arg("--single-user-desktops-as-root")
        .arg("--data-dir")
        .arg(data);
    let (server, addr) = test_support::spawn_server(&mut command);
    (server, Client::new(addr))
}

/// Xvnc processes serving `session`'s desktop, found by their command line.
fn xvnc_count(session: &str) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .filter(|cmd| cmd.starts_with("Xvnc") || cmd.contains("/Xvnc "))
        .filter(|cmd| cmd.contains(&format!("-desktop {session}")))
        .count()
}

#[tokio::test]
async fn a_start_interrupted_by_kill_9_ends_with_one_desktop_or_none() {
    let Some(host) = Host::new() else { return };
    let data = tempfile::tempdir().unwrap();
    let (mut server, client) = spawn(&host, data.path());
    let studio_path = |id: &str, action: &str| format!("{SESSIONS}/{id}/{action}");
    let body = json!({"launchProfileId": "lp-desktop", "ownedBy": "alice"});
    let created = client.call("POST", SESSIONS, Some(body), None).await;
    let id = created.json["session"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut client = client;
    wait_for(&client, &id, "READY").await;

    for delay_ms in [0u64, 40, 120, 400] {
        let stop = client
            .call("POST", &studio_path(&id, "stop"), Some(json!({})), None)
            .await;
        assert_eq!(stop.status, 200, "{}", stop.json);
        wait_for(&client, &id, "STOPPED").await;
        assert_eq!(xvnc_count(&id), 0);
        let start = client
            .call("POST", &studio_path(&id, "start"), Some(json!({})), None)
            .await;
        assert_eq!(start.json["session"]["state"], "START_IN_PROGRESS");
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        server.kill();

        let (restarted, restarted_client) = spawn(&host, data.path());
        server = restarted;
        client = restarted_client;
        let session = loop {
            let session = client.get(&format!("{SESSIONS}/{id}")).await.json["session"].clone();
            if !session["state"].as_str().unwrap().ends_with("IN_PROGRESS") {
                break session;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        match session["state"].as_str().unwrap() {
            "READY" => assert_eq!(
                xvnc_count(&id),
                1,
                "killed after {delay_ms} ms: one desktop"
            ),
            "START_FAILED" => assert_eq!(xvnc_count(&id), 0, "killed after {delay_ms} ms"),
            other => panic!("killed after {delay_ms} ms, the session ended {other}: {session}"),
        }
        if session["state"] == "START_FAILED" {
            let again = client
                .call("POST", &studio_path(&id, "start"), Some(json!({})), None)
                .await;
            assert_eq!(again.status, 200);
            wait_for(&client, &id, "READY").await;
        }
    }
}
