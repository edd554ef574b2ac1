//! Reconnect without the portal, in headless Chromium, with the network between the
//! browser and local-studio made by the test ([`Relay`]) so that it can be cut: the
//! viewer comes back to the same desktop by itself, again after a second drop; once the
//! workstation has stopped, or its artist has signed out, it says so instead.
//!
//! `bench_reconnect` (`cargo xtask bench`) times it: from the cut to the desktop drawn
//! again, p50 and p95.

use super::desktop::{
    drawn_pixels, proxy_with, session_named, studio_client, viewer_status, NON_UNIFORM, SESSIONS,
};
use super::desktop_bench::percentile;
use super::harness::alices_users_file;
use super::harness::{browser, until};
use super::intermediary::Relay;
use super::page::{sign_in_as_alice, sign_out, state_of};
use super::viewer::open_desktop;
use fantoccini::Client;
use portal_proxy::AuthMode;
use std::time::Duration;
use test_support::DesktopRoot;

const WAIT: Duration = Duration::from_secs(20);

fn alice() -> AuthMode {
    AuthMode::Dev("alice".into())
}

/// The demo behind a relay (the viewer's network), its artists signing in as `auth`
/// says, a browser on its page (signed in as alice), and Lighting's desktop open in the
/// viewer.
async fn viewer_behind_relay(
    root: &DesktopRoot,
    auth: AuthMode,
) -> (
    Relay,
    portal_proxy::RunningProxy,
    super::harness::Driver,
    Client,
) {
    let relay = Relay::start().await;
    let url_base = Some(format!("http://{}/", relay.addr));
    let signs_in = matches!(auth, AuthMode::UsersFile(_));
    let proxy = proxy_with(root, Duration::from_millis(500), None, url_base, auth).await;
    relay.send_to(proxy.embedded().expect("embedded local-studio").addr());
    let (driver, client) = browser().await;
    let base = format!("http://{}/", proxy.addr());
    if signs_in {
        sign_in_as_alice(&client, &base).await;
    } else {
        client.goto(&base).await.unwrap();
    }
    until(
        WAIT,
        "Lighting READY",
        || state_of(&client, "Lighting"),
        |s| s == "READY",
    )
    .await;
    open_desktop(&client, "Lighting").await;
    (relay, proxy, driver, client)
}

/// Cuts the viewer's network, and waits until a new connection has drawn the desktop
/// (noVNC makes a new canvas per connection); the time it took in the page (ms).
async fn drop_and_wait_for_the_desktop(client: &Client, relay: &Relay) -> f64 {
    let mark = "const c = document.querySelector('#screen canvas');
                c.dataset.before = '1'; return performance.now();";
    let cut_at = client
        .execute(mark, vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    relay.cut();
    let back = format!(
        "{NON_UNIFORM}
         const done = arguments[arguments.length - 1];
         const back = () => {{
           const c = document.querySelector('#screen canvas');
           c && !c.dataset.before && nonUniform() > 0
             ? done(performance.now()) : requestAnimationFrame(back);
         }};
         back();"
    );
    let back_at = tokio::time::timeout(WAIT, client.execute_async(&back, vec![]))
        .await
        .expect("the desktop came back within 20 s")
        .unwrap();
    back_at.as_f64().unwrap() - cut_at
}

/// Waits until the viewer tells the artist the connection was closed and to connect
/// again from the portal.
async fn says_the_connection_was_closed(client: &Client) {
    let said = until(
        WAIT,
        "the page saying the connection was closed",
        || viewer_status(client),
        |s| s.contains("Connect again from the portal"),
    )
    .await;
    assert!(said.contains("was closed"), "{said}");
}

#[tokio::test]
async fn a_dropped_connection_comes_back_by_itself_until_the_workstation_stops() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let (relay, proxy, _driver, client) = viewer_behind_relay(&root, alice()).await;
    for _ in 0..2 {
        drop_and_wait_for_the_desktop(&client, &relay).await;
        assert_eq!(viewer_status(&client).await, "", "nothing is left said");
    }
    assert!(drawn_pixels(&client).await.unwrap_or(0) > 0);

    // Stopped from elsewhere: the page says the connection was closed, and stays so.
    let studio = studio_client(&proxy);
    let lighting = session_named(&studio, "Lighting").await;
    studio
        .act(SESSIONS, &lighting, "stop", serde_json::json!({}))
        .await;
    says_the_connection_was_closed(&client).await;
    client.close().await.unwrap();
    proxy.shutdown().await;
}

#[tokio::test]
async fn after_a_sign_out_a_dropped_viewer_does_not_come_back() {
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let users = tempfile::tempdir().unwrap();
    let auth = AuthMode::UsersFile(alices_users_file(users.path()));
    let (relay, proxy, _driver, client) = viewer_behind_relay(&root, auth).await;
    let viewer = client.window().await.unwrap();
    // alice signs out in the portal's tab (what its sign-out does: POST /api/logout).
    let portal = client.windows().await.unwrap();
    let portal = portal.into_iter().find(|w| *w != viewer).unwrap();
    client.switch_to_window(portal).await.unwrap();
    sign_out(&client).await;
    client.switch_to_window(viewer).await.unwrap();

    // The network drops: the viewer's grant was revoked at the sign-out.
    relay.cut();
    says_the_connection_was_closed(&client).await;
    assert_eq!(drawn_pixels(&client).await.unwrap_or(0), 0, "no desktop");
    client.close().await.unwrap();
    proxy.shutdown().await;
}

/// `cargo xtask bench`: reconnect time after a network cut, 20 drops.
#[tokio::test]
#[ignore]
async fn bench_reconnect() {
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let (relay, proxy, _driver, client) = viewer_behind_relay(&root, alice()).await;
    let mut times = Vec::new();
    for _ in 0..20 {
        times.push(drop_and_wait_for_the_desktop(&client, &relay).await);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "viewer reconnect after a network cut, to the desktop drawn again: p50 {:.0} ms, p95 {:.0} ms (20 drops)",
        percentile(&times, 50.0),
        percentile(&times, 95.0)
    );
    client.close().await.unwrap();
    proxy.shutdown().await;
}
