//! The deploy journey behind what studios put in front: Debian's nginx terminating TLS
//! (a self-signed certificate made here) with HTTP/2, running the example configurations
//! shipped in `deploy/nginx/` as they are, with only addresses and paths replaced.
//! portal-proxy and local-studio listen on loopback as the deploy docs start them; the
//! demo's workstations are real desktops. In Chromium:
//!
//! - users-file sign-in (`studio-portal.conf`): sign in, Stop, Start, Connect (the desktop
//!   shows through nginx's WebSocket), then eight tabs at once, each acting in turn while
//!   every tab stays live: over HTTP/1.1 the browser's six connections per host would
//!   leave the seventh tab's event stream waiting, and that tab polling.
//! - nginx signing artists in (`studio-portal-basic-auth.conf`, trusted-header mode):
//!   the same Stop, Start and Connect as the artist nginx names.
//!
//! Before `--public-origin`, every action here was refused as cross-site: nginx's plain
//! `proxy_pass` sends portal-proxy its own address as `Host`.

mod deployment;

use super::harness::{alices_users_file, browser_with, shot, until};
use super::journey::{connect_and_see_the_desktop, start, stop};
use super::live::list_calls;
use super::page::{sign_in_as_alice, state_of, wait_for_state, WAIT};
use deployment::Deployment;
use fantoccini::{Client, Locator};
use portal_proxy::AuthMode;
use std::process::Command;
use std::time::Duration;
use test_support::DesktopRoot;

/// Chromium trusts the test's self-signed certificate this way (TOOLCHAIN: nginx).
const INSECURE_TLS: &str = "--ignore-certificate-errors";
/// How soon every open tab shows a change another tab made (events, not polling).
const LIVE: Duration = Duration::from_secs(10);

/// The protocol the current page's document came over ("h2" for HTTP/2).
async fn page_protocol(client: &Client) -> String {
    let script = "return performance.getEntriesByType('navigation')[0].nextHopProtocol";
    let value = client.execute(script, vec![]).await.unwrap();
    value.as_str().unwrap_or_default().to_owned()
}

/// Waits for alice's cards after sign-in; checks the page came over HTTP/2.
async fn sees_her_workstations(client: &Client, deployment: &Deployment) {
    let cards = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".card"))
        .await;
    assert!(
        cards.is_ok(),
        "no workstations after sign-in; nginx's requests: {:?}\nits error log:\n{}",
        deployment.requests(),
        deployment.error_log()
    );
    wait_for_state(client, "Lighting", "READY").await;
    assert_eq!(page_protocol(client).await, "h2");
}

/// Stop, Start and Connect from the page, through nginx; the desktop shows.
async fn stop_start_connect(client: &Client, deployment: &Deployment) {
    stop(client, "Lighting").await;
    start(client, "Lighting").await;
    let opened = connect_and_see_the_desktop(client, "Lighting").await;
    assert!(
        opened.starts_with(&format!("{}/desktop/", deployment.origin)),
        "the desktop opened at {opened}, not through nginx"
    );
    connect_and_see_the_desktop(client, "Dailies").await;
}

#[tokio::test]
async fn behind_nginx_an_artist_signs_in_acts_connects_and_keeps_eight_tabs_live() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(desktops) = DesktopRoot::new() else {
        return;
    };
    let deployment = Deployment::start("studio-portal.conf", &desktops, |dir| {
        AuthMode::UsersFile(alices_users_file(dir))
    })
    .await;
    let (_driver, client) = browser_with(&[INSECURE_TLS]).await;
    let client = &client;
    sign_in_as_alice(client, &deployment.origin).await;
    sees_her_workstations(client, &deployment).await;
    stop_start_connect(client, &deployment).await;
    shot(client, "nginx-1-signed-in").await;

    // Eight tabs at once, each with its event stream open.
    let mut tabs = vec![client.window().await.unwrap()];
    for _ in 1..8 {
        let tab = client.new_window(true).await.unwrap().handle;
        client.switch_to_window(tab.clone()).await.unwrap();
        client.goto(&deployment.origin).await.unwrap();
        tabs.push(tab);
    }
    let mut lists = Vec::new();
    for tab in &tabs {
        client.switch_to_window(tab.clone()).await.unwrap();
        wait_for_state(client, "Lighting", "READY").await;
        assert_eq!(page_protocol(client).await, "h2");
    }
    // The catch-up lists on each stream's hello are done.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for tab in &tabs {
        client.switch_to_window(tab.clone()).await.unwrap();
        lists.push(list_calls(client).await);
    }
    // Each tab acts in turn; every tab shows it, and none of them polls.
    for (turn, tab) in tabs.iter().enumerate() {
        client.switch_to_window(tab.clone()).await.unwrap();
        let want = if turn % 2 == 0 {
            stop(client, "Lighting").await;
            "STOPPED"
        } else {
            start(client, "Lighting").await;
            "READY"
        };
        for (other, each) in tabs.iter().enumerate() {
            client.switch_to_window(each.clone()).await.unwrap();
            let what = format!("tab {other} to show tab {turn}'s {want}");
            until(LIVE, &what, || state_of(client, "Lighting"), |s| s == want).await;
        }
    }
    for (n, tab) in tabs.iter().enumerate() {
        client.switch_to_window(tab.clone()).await.unwrap();
        assert_eq!(
            list_calls(client).await,
            lists[n],
            "tab {n} polled: its event stream was not open"
        );
    }
    shot(client, "nginx-2-eighth-tab").await;
    // All over HTTP/2 but the viewer's WebSocket: nginx 1.22 has no WebSocket over HTTP/2
    // (RFC 8441), so Chromium opens it on a connection of its own, one per open desktop.
    let requests = deployment.requests();
    let other: Vec<&String> = requests
        .iter()
        .filter(|r| !r.starts_with("HTTP/2.0 ") && !r.starts_with("HTTP/1.1 101 /desktop/ws"))
        .collect();
    assert!(other.is_empty(), "not over HTTP/2: {other:?}");
    client.clone().close().await.unwrap();
    deployment.stop().await;
}

#[tokio::test]
async fn behind_nginx_that_signs_artists_in_the_artist_it_names_acts_and_connects() {
    let Some(desktops) = DesktopRoot::new() else {
        return;
    };
    let deployment = Deployment::start("studio-portal-basic-auth.conf", &desktops, |dir| {
        let made = Command::new("openssl")
            .args(["passwd", "-apr1", "render-farm"])
            .output()
            .unwrap();
        let hash = String::from_utf8(made.stdout).unwrap();
        std::fs::write(dir.join("htpasswd"), format!("alice:{}", hash.trim())).unwrap();
        AuthMode::TrustedHeader("x-remote-user".into())
    })
    .await;
    let (_driver, client) = browser_with(&[INSECURE_TLS]).await;
    let client = &client;
    // Without the password, nginx answers 401 and nothing of the portal is served.
    client.goto(&deployment.origin).await.unwrap();
    let requests = deployment.requests();
    assert_eq!(requests, ["HTTP/2.0 401 /"], "nginx asked for a password");
    // With it: given once in the address, as a browser's sign-in dialog would, the browser
    // keeps sending it. (The page itself must not carry it: a page whose address holds a
    // password may not fetch.)
    let with_password = deployment
        .origin
        .replace("https://", "https://alice:render-farm@");
    client.goto(&format!("{with_password}/")).await.unwrap();
    client
        .goto(&format!("{}/", deployment.origin))
        .await
        .unwrap();
    sees_her_workstations(client, &deployment).await;
    let me = client
        .execute(
            "return fetch('/api/me').then(r => r.json()).then(j => j.user)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(me, "alice");
    stop_start_connect(client, &deployment).await;
    shot(client, "nginx-3-basic-auth").await;
    client.clone().close().await.unwrap();
    deployment.stop().await;
}
