//! A viewer whose connection dropped reopens its desktop with the reconnect grant the
//! bridge gave it, without a new stream: once per grant, only for its own session, only
//! while that session is READY on the same run, not after its window, and not after its
//! owner signed out. Real Xvnc processes, all stopped when a test ends (test-support's
//! DesktopRoot).

mod workstations;

use futures_util::StreamExt;
use serde_json::json;
use std::time::Duration;
use workstations::*;

/// The close codes of `desktop/bridge.rs`.
const USED: u16 = 4401;

#[tokio::test]
async fn a_grant_reopens_its_own_desktop_once_and_never_after_a_stop_or_its_window() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let (alice, bob) = alice_and_bob_ready(&studio).await;

    // The token's connection comes with a grant; the viewer drops.
    let (_, ws) = stream(&studio, &alice, 60).await;
    let first = open_viewer(&ws).await.unwrap();
    assert!(first.grant.len() >= 32, "a grant nobody can guess");
    drop(first.ws);

    // It reopens alice's desktop once, and the new connection brings the next grant.
    let second = resume_viewer(&studio, &alice, &first.grant).await.unwrap();
    assert_eq!(second.desktop_name(), alice);
    assert_ne!(second.grant, first.grant);
    assert_eq!(
        resume_viewer(&studio, &alice, &first.grant).await.err(),
        Some(USED),
        "a grant is spent once"
    );
    assert_eq!(
        resume_viewer(&studio, &alice, "made-up").await.err(),
        Some(USED)
    );
    // Never another session's desktop; a refusal spends nothing.
    assert_eq!(
        resume_viewer(&studio, &bob, &second.grant).await.err(),
        Some(USED)
    );

    // A reconnect while the old connection still looks open here (a half-open TCP
    // connection after a network drop) takes its place: the old one is cut.
    let mut old = second.ws;
    let third = resume_viewer(&studio, &alice, &second.grant).await.unwrap();
    assert!(
        ends_within(&mut old, Duration::from_secs(5)).await,
        "the connection the grant came from ends"
    );

    // A grant ages only once its connection has ended.
    drop(third.ws);
    tokio::time::sleep(Duration::from_millis(200)).await;
    studio.server.advance_clock(Duration::from_secs(5 * 60 + 1));
    assert_eq!(
        resume_viewer(&studio, &alice, &third.grant).await.err(),
        Some(USED),
        "expired five minutes after its connection ended"
    );

    // Stopped, and stopped then started again (another run): its grants open nothing.
    let (_, ws) = stream(&studio, &alice, 60).await;
    let before_stop = open_viewer(&ws).await.unwrap();
    drop(before_stop.ws);
    let (_, ws) = stream(&studio, &alice, 60).await;
    let before_restart = open_viewer(&ws).await.unwrap();
    drop(before_restart.ws);
    act(&studio, &alice, "stop", json!({})).await;
    wait_for(&studio, &alice, "STOPPED").await;
    assert_eq!(
        resume_viewer(&studio, &alice, &before_stop.grant)
            .await
            .err(),
        Some(USED),
        "its session stopped"
    );
    act(&studio, &alice, "start", json!({})).await;
    wait_for(&studio, &alice, "READY").await;
    assert_eq!(
        resume_viewer(&studio, &alice, &before_restart.grant)
            .await
            .err(),
        Some(USED),
        "a new run of the session is another desktop"
    );
}

#[tokio::test]
async fn a_reconnect_that_presents_no_grant_is_closed_as_used() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let url = format!("ws://{}/desktop/ws?sessionId=ss-1&resume=1", studio.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    // A binary frame (RFB, not a grant) is no grant.
    ws.send(Message::Binary(b"RFB 003.008\n".to_vec().into()))
        .await
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
        Ok(Some(Ok(Message::Close(Some(frame))))) => assert_eq!(u16::from(frame.code), USED),
        other => panic!("expected a close frame: {other:?}"),
    }
}

#[tokio::test]
async fn a_sign_out_revokes_that_artists_grants_and_no_one_elses() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let (alice, bob) = alice_and_bob_ready(&studio).await;
    let (_, ws) = stream(&studio, &alice, 60).await;
    let mut alices = open_viewer(&ws).await.unwrap();
    let (_, ws) = stream(&studio, &bob, 60).await;
    let bobs = open_viewer(&ws).await.unwrap();

    // What portal-proxy sends when alice signs out.
    let path = "/2020-08-01/studios/desk-studio/artists/alice/viewer-grants";
    let reply = studio.call("DELETE", path, None, None).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["revoked"], 1);
    // Her open connection ends with her sign-in.
    assert!(
        ends_within(&mut alices.ws, Duration::from_secs(1)).await,
        "alice's viewer is cut at her sign-out"
    );
    assert_eq!(
        resume_viewer(&studio, &alice, &alices.grant).await.err(),
        Some(USED),
        "alice signed out"
    );
    let reopened = resume_viewer(&studio, &bob, &bobs.grant).await.unwrap();
    assert_eq!(reopened.desktop_name(), bob);
}
