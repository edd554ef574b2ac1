//! Sharing a desktop with a colleague, against real Xvnc: bob joins alice's workstation
//! with his own one-time stream; view-only means the server drops his input (checked from
//! the desktop's side, with xev on its root window); control lets it through; revoking,
//! a change of mode, expiry (on the test clock) and alice's Stop cut him off within a
//! second; and without a share in force he is told the session does not exist.

mod workstations;

use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::Duration;
use test_support::Studio;
use workstations::*;

const STUDIO: &str = "/2020-08-01/studios/desk-studio";

fn share_path(session: &str, user: &str) -> String {
    format!("{STUDIO}/streaming-sessions/{session}/shares/{user}")
}

async fn share(studio: &Studio, session: &str, user: &str, body: Value) -> Value {
    let reply = studio
        .call("PUT", &share_path(session, user), Some(body), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    reply.json["share"].clone()
}

/// Bob's join: the WebSocket URL his viewer opens, or the error status and type.
async fn join(studio: &Studio, session: &str, user: &str) -> Result<String, (u16, Value)> {
    let path = format!("{STUDIO}/artists/{user}/shared-sessions/{session}/streams");
    let reply = studio.call("POST", &path, Some(json!({})), None).await;
    if reply.status != 200 {
        return Err((reply.status, reply.json));
    }
    let url = reply.json["stream"]["url"].as_str().unwrap();
    Ok(viewer_ws_url(studio, session, url))
}

/// Pointer and key events reaching the desktop's root window, as xev prints them.
struct Xev {
    child: std::process::Child,
    out: std::path::PathBuf,
}

impl Xev {
    fn watch(host: &Host, session: &str) -> Xev {
        let record = host.record(session).expect("the desktop's record");
        let out = host.files.path().join("xev.txt");
        let child = Command::new("timeout")
            .args([
                "120", "xev", "-root", "-event", "mouse", "-event", "keyboard",
            ])
            .env("DISPLAY", format!(":{}", record["display"]))
            .env("XAUTHORITY", record["xauthority"].as_str().unwrap())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("xev (x11-utils: `cargo xtask setup` installs it)");
        Xev { child, out }
    }

    fn seen(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

impl Drop for Xev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Moves the pointer across the screen and types, as a viewer's page would.
async fn use_desktop(viewer: &mut Viewer) {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    for (x, y) in [(10u16, 10u16), (200, 150), (400, 300)] {
        let [xh, xl] = x.to_be_bytes();
        let [yh, yl] = y.to_be_bytes();
        let pointer = vec![5, 0, xh, xl, yh, yl];
        viewer
            .ws
            .send(Message::Binary(pointer.into()))
            .await
            .unwrap();
    }
    viewer.press_key().await;
    viewer.ask_for_update().await;
}

/// The shares of `session`, and who is connected to it (ListSessionShares).
async fn shares_of(studio: &Studio, session: &str) -> Value {
    let path = format!("{STUDIO}/streaming-sessions/{session}/shares");
    studio.call("GET", &path, None, None).await.json
}

/// Uses the desktop through `viewer`, and checks that nothing of it reached the desktop.
async fn assert_input_dropped(xev: &Xev, viewer: &mut Viewer, why: &str) {
    let before = xev.seen();
    use_desktop(viewer).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(xev.seen(), before, "{why}");
}

#[tokio::test]
async fn a_colleague_joins_view_only_or_with_control_until_the_share_ends() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let alice = create(&studio, "alice").await;
    wait_for(&studio, &alice, "READY").await;

    // Not shared: bob's join reads as a missing session.
    let (status, error) = join(&studio, &alice, "bob").await.unwrap_err();
    assert_eq!(status, 404, "{error}");
    let missing = join(&studio, "ss-missing", "bob").await.unwrap_err();
    assert_eq!(
        error["message"].as_str().map(|m| m.replace(&alice, "X")),
        missing.1["message"]
            .as_str()
            .map(|m| m.replace("ss-missing", "X"))
    );

    let shared = share(&studio, &alice, "bob", json!({"mode": "VIEW_ONLY"})).await;
    assert_eq!(shared["mode"], "VIEW_ONLY");
    let listed = studio
        .call(
            "GET",
            &format!("{STUDIO}/artists/bob/shared-sessions"),
            None,
            None,
        )
        .await;
    assert_eq!(
        listed.json["shares"][0]["sessionId"],
        alice.as_str(),
        "{}",
        listed.json
    );

    // View-only: bob sees alice's desktop and nothing he sends reaches it.
    let xev = Xev::watch(&host, &alice);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut bob = open_viewer(&join(&studio, &alice, "bob").await.unwrap())
        .await
        .unwrap();
    assert_eq!(bob.desktop_name(), alice);
    assert_input_dropped(&xev, &mut bob, "a view-only guest's input is dropped").await;
    let shares = shares_of(&studio, &alice).await;
    assert_eq!(
        shares["viewers"],
        json!(["bob"]),
        "alice sees who is connected"
    );
    assert_eq!(shares["shares"][0]["connected"], true);

    // A change of mode cuts him off; with control, his input arrives.
    share(&studio, &alice, "bob", json!({"mode": "CONTROL"})).await;
    assert!(
        ends_within(&mut bob.ws, Duration::from_secs(1)).await,
        "cut at the change"
    );
    let mut bob = open_viewer(&join(&studio, &alice, "bob").await.unwrap())
        .await
        .unwrap();
    use_desktop(&mut bob).await;
    let reached = async {
        while !xev.seen().contains("MotionNotify") {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), reached)
        .await
        .expect("a guest with control moves the pointer");

    // A viewer asking for the desktop alone (ClientInit not shared) never disconnects
    // alice's: Xvnc runs with -AlwaysShared.
    let (_, alices_ws) = stream(&studio, &alice, 60).await;
    let mut alices = open_viewer(&alices_ws).await.unwrap();
    let (_, second) = stream(&studio, &alice, 60).await;
    let _alone = open_viewer_alone(&second).await;
    assert!(alices.still_shown().await, "alice's viewer stays connected");

    // Revoked: cut within a second, and his reconnect grant opens nothing.
    let revoked = studio
        .call("DELETE", &share_path(&alice, "bob"), None, None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.json);
    assert!(
        ends_within(&mut bob.ws, Duration::from_secs(1)).await,
        "cut at the revoke"
    );
    assert!(resume_viewer(&studio, &alice, &bob.grant).await.is_err());
    assert_eq!(join(&studio, &alice, "bob").await.unwrap_err().0, 404);

    // Expiry, on the test clock.
    share(
        &studio,
        &alice,
        "bob",
        json!({"mode": "CONTROL", "minutes": 5}),
    )
    .await;
    let mut bob = open_viewer(&join(&studio, &alice, "bob").await.unwrap())
        .await
        .unwrap();
    studio.server.advance_clock(Duration::from_secs(5 * 60 + 1));
    assert!(
        ends_within(&mut bob.ws, Duration::from_secs(1)).await,
        "cut when it expires"
    );
    assert_eq!(join(&studio, &alice, "bob").await.unwrap_err().0, 404);

    // An admin joins for support (portal-proxy lets only admins ask): view-only too.
    let support = format!("{STUDIO}/streaming-sessions/{alice}/support-streams");
    let reply = studio.call("POST", &support, Some(json!({})), None).await;
    assert_eq!(reply.json["mode"], "VIEW_ONLY", "{}", reply.json);
    let ws = viewer_ws_url(
        &studio,
        &alice,
        reply.json["stream"]["url"].as_str().unwrap(),
    );
    let mut admin = open_viewer(&ws).await.unwrap();
    assert_input_dropped(&xev, &mut admin, "an admin's support view drops input").await;

    // Alice's Stop cuts him off within a second.
    share(&studio, &alice, "bob", json!({"mode": "VIEW_ONLY"})).await;
    let mut bob = open_viewer(&join(&studio, &alice, "bob").await.unwrap())
        .await
        .unwrap();
    act(&studio, &alice, "stop", json!({})).await;
    assert!(
        ends_within(&mut bob.ws, Duration::from_secs(1)).await,
        "cut at the stop"
    );

    // Every share, join and revoke was an event, in order.
    let events = studio
        .call("GET", &format!("{STUDIO}/events?since=0"), None, None)
        .await;
    let actions: Vec<String> = (events.json["events"].as_array().unwrap().iter())
        .filter(|e| e["kind"] == "share")
        .map(|e| {
            format!(
                "{} {}",
                e["share"]["action"].as_str().unwrap(),
                e["share"]["userId"].as_str().unwrap()
            )
        })
        .collect();
    let by_bob = [
        "SHARED bob",
        "JOINED bob",
        "SHARED bob",
        "JOINED bob",
        "REVOKED bob",
        "SHARED bob",
        "JOINED bob",
    ];
    assert_eq!(actions[..7], by_bob, "{actions:?}");
    assert!(actions[7].starts_with("SUPPORT_JOINED "), "{actions:?}");
    assert_eq!(actions[8..], ["SHARED bob", "JOINED bob"], "{actions:?}");
}

#[tokio::test]
async fn bad_shares_are_refused_with_a_clear_error_and_change_nothing() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let alice = create(&studio, "alice").await;
    let path = share_path(&alice, "bob");
    wait_for(&studio, &alice, "READY").await;
    for (path, body, status, says) in [
        (share_path(&alice, "alice"), json!({}), 400, "owner"),
        (share_path(&alice, "b%20b"), json!({}), 400, "userId"),
        (path.clone(), json!({"mode": "EVERYTHING"}), 400, "body"),
        (path.clone(), json!({"minutes": 0}), 400, "minutes"),
        (path.clone(), json!({"minutes": 100000}), 400, "minutes"),
        (share_path("ss-missing", "bob"), json!({}), 404, "not found"),
    ] {
        let reply = studio.call("PUT", &path, Some(body), None).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.json);
        assert!(
            reply.json.to_string().contains(says),
            "{path}: {}",
            reply.json
        );
    }
    let listed = shares_of(&studio, &alice).await;
    assert_eq!(listed["shares"], json!([]), "nothing was shared");
    let revoke = studio
        .call("DELETE", &share_path(&alice, "bob"), None, None)
        .await;
    assert_eq!(revoke.status, 404, "{}", revoke.json);
    // Stopped: it cannot be shared.
    act(&studio, &alice, "stop", json!({})).await;
    wait_for(&studio, &alice, "STOPPED").await;
    let stopped = studio.call("PUT", &path, Some(json!({})), None).await;
    assert_eq!(stopped.status, 409, "{}", stopped.json);
}
