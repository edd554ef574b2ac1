//! Sessions that are real desktops (the local-desktop driver) through the API: their
//! files across stop, start, backups and delete; the stream token that opens exactly one
//! connection to its own desktop; drift; the per-host limit; and artists mapped to OS
//! users. Real Xvnc processes, all stopped when a test ends (test-support's DesktopRoot).

mod workstations;

use serde_json::json;
use std::time::Duration;
use workstations::*;

#[tokio::test]
async fn files_survive_a_retained_stop_come_back_from_a_backup_and_go_with_delete() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let id = create(&studio, "alice").await;
    let ready = wait_for(&studio, &id, "READY").await;
    assert_eq!(ready["statusMessage"], "");
    assert_eq!(host.root.sessions(), vec![id.clone()], "one desktop");
    std::fs::write(host.home(&id).join("notes.txt"), "shot 42").unwrap();

    act(
        &studio,
        &id,
        "stop",
        json!({"volumeRetentionMode": "RETAIN"}),
    )
    .await;
    wait_for(&studio, &id, "STOPPED").await;
    assert!(host.xvnc_pid(&id).is_none(), "the desktop stopped");
    act(&studio, &id, "start", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    let notes = host.home(&id).join("notes.txt");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "shot 42");

    // The first stop's backup holds the file; remove it, stop again, restore the first.
    let backups = studio.get(&format!("{BACKUPS}?ownedBy=alice")).await;
    let first = backups.json["streamingSessionBackups"][0].clone();
    assert_eq!(first["state"], "STOPPED", "{first}");
    std::fs::remove_file(&notes).unwrap();
    act(&studio, &id, "stop", json!({})).await;
    wait_for(&studio, &id, "STOPPED").await;
    act(
        &studio,
        &id,
        "start",
        json!({"backupId": first["backupId"]}),
    )
    .await;
    wait_for(&studio, &id, "READY").await;
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "shot 42",
        "restored"
    );

    act(
        &studio,
        &id,
        "stop",
        json!({"volumeRetentionMode": "DELETE"}),
    )
    .await;
    wait_for(&studio, &id, "STOPPED").await;
    assert!(!notes.exists(), "a stop with DELETE removes the files");
    // Three stops made three backups; maxBackupsToRetain = 2 keeps two, on disk too.
    let kept = studio.get(&format!("{BACKUPS}?ownedBy=alice")).await;
    let kept = kept.json["streamingSessionBackups"]
        .as_array()
        .unwrap()
        .len();
    let copies = std::fs::read_dir(host.root.path().join("backups"))
        .unwrap()
        .count();
    assert_eq!((kept, copies), (2, 2));
    let reply = studio
        .call("DELETE", &format!("{SESSIONS}/{id}"), None, None)
        .await;
    assert_eq!(reply.status, 200);
    wait_for(&studio, &id, "DELETED").await;
    assert!(host.xvnc_pid(&id).is_none());
}

#[tokio::test]
async fn a_stream_token_opens_one_connection_to_its_own_desktop_only() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let (alice, bob) = alice_and_bob_ready(&studio).await;

    let (_, alice_ws) = stream(&studio, &alice, 60).await;
    assert_eq!(desktop_name(&alice_ws).await, Ok(alice.clone()));
    assert_eq!(desktop_name(&alice_ws).await, Err(403), "a second use");
    let (_, bob_ws) = stream(&studio, &bob, 60).await;
    assert_eq!(
        desktop_name(&bob_ws).await,
        Ok(bob.clone()),
        "bob's token opens bob's desktop, never alice's"
    );
    let garbage = format!("ws://{}/desktop/ws?authToken=not-a-token", studio.addr);
    assert_eq!(desktop_name(&garbage).await, Err(403));
    let bare = format!("ws://{}/desktop/ws", studio.addr);
    assert_eq!(desktop_name(&bare).await, Err(403));

    let (_, expiring) = stream(&studio, &alice, 60).await;
    studio.server.advance_clock(Duration::from_secs(61));
    assert_eq!(desktop_name(&expiring).await, Err(403), "an expired token");

    let (_, unused) = stream(&studio, &alice, 600).await;
    act(&studio, &alice, "stop", json!({})).await;
    assert_eq!(desktop_name(&unused).await, Err(403), "its session stopped");
}

#[tokio::test]
async fn a_token_presented_for_another_session_is_refused_and_still_opens_its_own() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let (alice, bob) = alice_and_bob_ready(&studio).await;

    let (token, ws) = stream(&studio, &alice, 60).await;
    let base = format!("ws://{}/desktop/ws?authToken={token}", studio.addr);
    assert_eq!(
        desktop_name(&format!("{base}&sessionId={bob}")).await,
        Err(403)
    );
    assert_eq!(desktop_name(&base).await, Err(403), "no session named");
    assert_eq!(
        desktop_name(&ws).await,
        Ok(alice.clone()),
        "refusals spent nothing: the token opens its own desktop"
    );
    assert_eq!(desktop_name(&ws).await, Err(403), "once");
}

#[tokio::test]
async fn a_desktop_that_dies_is_not_ready_within_the_drift_interval() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let id = create(&studio, "alice").await;
    wait_for(&studio, &id, "READY").await;
    let pid = host.xvnc_pid(&id).expect("the desktop's Xvnc");
    // SAFETY-free: kill(2) through the shell's own kill, as an operator would.
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = wait_for(&studio, &id, "STOPPED").await;
    assert_eq!(stopped["stoppedBy"], "system");
    assert!(
        stopped["statusMessage"]
            .as_str()
            .unwrap()
            .contains("stopped unexpectedly"),
        "{stopped}"
    );
    // Start brings it back on the same files.
    act(&studio, &id, "start", json!({})).await;
    wait_for(&studio, &id, "READY").await;
}

#[tokio::test]
async fn more_desktops_than_the_host_allows_are_refused_before_anything_starts() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(1)).await;
    let first = create(&studio, "alice").await;
    let body = json!({"launchProfileId": "lp-desktop", "ownedBy": "bob"});
    let refused = studio.call("POST", SESSIONS, Some(body), None).await;
    assert_eq!(refused.status, 402, "{}", refused.json);
    assert_eq!(refused.error_type(), "ServiceQuotaExceededException");
    wait_for(&studio, &first, "READY").await;
    assert_eq!(host.root.sessions().len(), 1, "nothing else started");
}

#[tokio::test]
async fn a_missing_program_fails_the_create_clearly_instead_of_hanging() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let body = json!({"launchProfileId": "lp-missing-app", "ownedBy": "alice"});
    let reply = studio.call("POST", SESSIONS, Some(body), None).await;
    let id = reply.json["session"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = wait_for(&studio, &id, "CREATE_FAILED").await;
    let message = failed["statusMessage"].as_str().unwrap();
    assert!(
        message.contains("dcc-app") && message.contains("cargo xtask setup"),
        "{message}"
    );
    assert!(host.xvnc_pid(&id).is_none(), "nothing left running");
}

/// The uid of OS user `name` (`id -u`).
fn uid_of(name: &str) -> u32 {
    let out = std::process::Command::new("id")
        .args(["-u", name])
        .output()
        .unwrap();
    assert!(out.status.success(), "user {name} exists");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[tokio::test]
async fn with_os_users_each_artist_desktop_runs_as_their_own_user() {
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata("/proc/self").unwrap().uid() != 0 {
        eprintln!("skipped: only a root server runs desktops as the artists' OS users");
        return;
    }
    let Some(host) = Host::with_studio(OS_USERS_TOML) else {
        return;
    };
    let studio = test_support::start(host.config(4)).await;
    let alice = create(&studio, "alice").await;
    let bob = create(&studio, "bob").await;
    for id in [&alice, &bob] {
        wait_for(&studio, id, "READY").await;
    }
    // Not mapped, and no default_os_user: refused, never local-studio's own user (root).
    let body = json!({"launchProfileId": "lp-desktop", "ownedBy": "carol"});
    let reply = studio.call("POST", SESSIONS, Some(body), None).await;
    assert_eq!(reply.status, 400, "carol is refused: {}", reply.json);

    for (id, user, uid) in [
        (&alice, "nobody", uid_of("nobody")),
        (&bob, "daemon", uid_of("daemon")),
    ] {
        assert_eq!(host.record(id).unwrap()["user"], user, "{id}'s record");
        let processes = host.processes(id);
        assert!(processes.len() >= 3, "Xvnc, openbox, xterm: {processes:?}");
        for (pid, runs_as) in processes {
            assert_eq!(runs_as, uid, "pid {pid} of {id} runs as {user}");
        }
        let home = std::fs::metadata(host.home(id)).unwrap();
        assert_eq!(
            (home.uid(), home.mode() & 0o777),
            (uid, 0o700),
            "{id}'s home"
        );
    }

    // A stop with a backup and a start from it keep alice's files hers.
    std::fs::write(host.home(&alice).join("notes.txt"), "shot 42").unwrap();
    std::os::unix::fs::chown(
        host.home(&alice).join("notes.txt"),
        Some(uid_of("nobody")),
        None,
    )
    .unwrap();
    act(&studio, &alice, "stop", json!({})).await;
    wait_for(&studio, &alice, "STOPPED").await;
    let backups = studio.get(&format!("{BACKUPS}?ownedBy=alice")).await;
    let backup = backups.json["streamingSessionBackups"][0]["backupId"].clone();
    act(&studio, &alice, "start", json!({ "backupId": backup })).await;
    wait_for(&studio, &alice, "READY").await;
    let notes = std::fs::metadata(host.home(&alice).join("notes.txt")).unwrap();
    assert_eq!(notes.uid(), uid_of("nobody"), "restored with its owner");
    assert!(host
        .processes(&alice)
        .iter()
        .all(|(_, uid)| *uid == uid_of("nobody")));
}
