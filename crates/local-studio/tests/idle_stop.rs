//! Idle stop with real desktops: a workstation nobody uses stops itself, after a warning
//! that every client sees as stopAt moving forward; key and pointer events through the
//! viewer count as use, an open but untouched viewer does not; and where the profile says
//! work counts, a desktop busy on its CPU keeps running with nobody at the keyboard.
//! The server's clock is moved forward; use is real (the viewer's bytes, the CPU).

mod workstations;

use serde_json::{json, Value};
use std::time::Duration;
use test_support::Studio;
use workstations::{open_viewer, stream, wait_for, Host, SESSIONS};

const IDLE_TOML: &str = r#"
[[studios]]
studio_id = "desk-studio"
users = ["alice"]

[[studios.launch_profiles]]
launchProfileId = "lp-idle"
name = "Idle after 3 minutes"
driver = "local-desktop"
start_command = ["sh", "-c", "sleep 3600"]
stop_warning_minutes = 1
idle_stop = { minutes = 3 }
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img-desktop"]
maxSessionLengthInMinutes = 60
sessionPersistenceMode = "DEACTIVATED"

# A desktop that renders with nobody at the keyboard: a CPU burner as its application.
[[studios.launch_profiles]]
launchProfileId = "lp-work-counts"
name = "Render, work counts"
driver = "local-desktop"
start_command = ["sh", "-c", "while :; do :; done"]
stop_warning_minutes = 1
idle_stop = { minutes = 3, cpu_percent = 5 }
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img-desktop"]
maxSessionLengthInMinutes = 60
sessionPersistenceMode = "DEACTIVATED"

[[studios.launch_profiles]]
launchProfileId = "lp-input-decides"
name = "Render, input decides"
driver = "local-desktop"
start_command = ["sh", "-c", "while :; do :; done"]
stop_warning_minutes = 1
idle_stop = { minutes = 3 }
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img-desktop"]
maxSessionLengthInMinutes = 60
sessionPersistenceMode = "DEACTIVATED"
"#;

const WARNED: &str = "Nobody has used this workstation";

async fn create(studio: &Studio, profile: &str) -> String {
    let body = json!({"launchProfileId": profile, "ownedBy": "alice"});
    let id = studio.create_in(SESSIONS, body).await;
    wait_for(studio, &id, "READY").await;
    id
}

/// Polls the session until `done` holds, for up to 20 s; its last document.
async fn until(studio: &Studio, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let session = studio.session_in(SESSIONS, id).await;
        if done(&session) {
            return session;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: {}", studio.session_in(SESSIONS, id).await);
}

/// GetStudioActivity's entry for session `id` (the admin page's idle and viewer minutes).
async fn activity(studio: &Studio, id: &str) -> Value {
    let reply = studio.get("/2020-08-01/studios/desk-studio/activity").await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    let sessions = reply.json["sessions"].as_array().unwrap();
    let found = sessions.iter().find(|s| s["sessionId"] == id);
    found
        .unwrap_or_else(|| panic!("{id} is READY: {}", reply.json))
        .clone()
}

fn warned(session: &Value) -> bool {
    session["statusMessage"]
        .as_str()
        .is_some_and(|m| m.starts_with(WARNED))
}

/// It stays as it is for `checks` drift checks (200 ms each).
async fn stays(studio: &Studio, id: &str, checks: u32, holds: impl Fn(&Value) -> bool) {
    for _ in 0..checks {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let session = studio.session_in(SESSIONS, id).await;
        assert!(holds(&session), "{session}");
    }
}

#[tokio::test]
async fn keys_in_the_viewer_keep_a_desktop_running_and_nobody_stops_it_after_a_warning() {
    let Some(host) = Host::with_studio(IDLE_TOML) else {
        return;
    };
    let studio = test_support::start(host.config(4)).await;
    let id = create(&studio, "lp-idle").await;
    let longest = studio.session_in(SESSIONS, &id).await["stopAt"].clone();
    assert!(longest.is_string(), "the maximum length sets stopAt");

    // Two untouched minutes: the warning. stopAt moves to the idle deadline.
    studio.server.advance_clock(Duration::from_secs(121));
    let warning = until(&studio, &id, "the warning", warned).await;
    assert_ne!(warning["stopAt"], longest);
    assert_eq!(warning["state"], "READY");

    // A viewer that is open but untouched (it only asks for screen updates) is not use,
    // once the connection itself (which is) is older than the warning.
    let before = activity(&studio, &id).await;
    assert!(before["lastViewerAt"].is_null(), "no viewer yet: {before}");
    let (_, ws) = stream(&studio, &id, 600).await;
    let mut viewer = open_viewer(&ws).await.unwrap();
    until(&studio, &id, "connecting counts as use", |s| !warned(s)).await;
    let connected = activity(&studio, &id).await;
    assert_eq!(
        connected["lastViewerAt"], connected["lastUsedAt"],
        "{connected}"
    );
    assert_ne!(connected["lastUsedAt"], before["lastUsedAt"], "{connected}");
    studio.server.advance_clock(Duration::from_secs(121));
    until(&studio, &id, "warned with the viewer open", warned).await;
    viewer.ask_for_update().await;
    stays(&studio, &id, 5, warned).await;
    // The admin page's idle minutes: an untouched viewer left the last use where it was.
    assert_eq!(activity(&studio, &id).await, connected);

    // A key: use. stopAt is back at the maximum length, and the warning is gone.
    viewer.press_key().await;
    let used = until(&studio, &id, "a key counts as use", |s| !warned(s)).await;
    assert_eq!(used["stopAt"], longest);
    let _ = viewer.ws.close(None).await;

    // Nobody again: the warning first, then the stop, by the system, saying why.
    studio.server.advance_clock(Duration::from_secs(121));
    until(&studio, &id, "the second warning", warned).await;
    studio.server.advance_clock(Duration::from_secs(60));
    let stopped = wait_for(&studio, &id, "STOPPED").await;
    assert_eq!(stopped["stoppedBy"], "system", "{stopped}");
    let said = stopped["statusMessage"].as_str().unwrap();
    assert!(said.contains("nobody used it for 3 minutes"), "{said}");
    assert!(host.root.sessions().is_empty(), "the desktop is gone");
}

#[tokio::test]
async fn a_busy_desktop_keeps_running_without_input_only_where_the_profile_says_work_counts() {
    let Some(host) = Host::with_studio(IDLE_TOML) else {
        return;
    };
    let studio = test_support::start(host.config(4)).await;
    let work_counts = create(&studio, "lp-work-counts").await;
    let input_decides = create(&studio, "lp-input-decides").await;
    // Both burn a core with nobody at the keyboard for two minutes.
    studio.server.advance_clock(Duration::from_secs(121));
    until(&studio, &input_decides, "input alone decides", warned).await;
    stays(&studio, &work_counts, 5, |s| {
        !warned(s) && s["state"] == "READY"
    })
    .await;
    studio.server.advance_clock(Duration::from_secs(60));
    wait_for(&studio, &input_decides, "STOPPED").await;
    stays(&studio, &work_counts, 5, |s| s["state"] == "READY").await;
}
