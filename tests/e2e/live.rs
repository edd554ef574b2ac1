//! Live updates in Chromium: a change made in one page shows in another without a reload
//! (and without the other page polling), Connect opens its tab from the stream's event,
//! bob's page never hears of alice's sessions, and with live updates off the page falls
//! back to polling and keeps working.

use super::harness::{browser, proxy, proxy_with, until, users_file};
use super::intermediary::buffering_intermediary;
use super::page::{
    click_in_card, sign_in, state_of, text_of, wait_for_announcement, wait_for_state,
    wait_for_state_within, WAIT,
};
use fantoccini::Client;
use portal_proxy::AuthMode;
use serde_json::{json, Value};
use std::time::Duration;

/// Less than the 30 s a settled page waits between polls: a page that sees a change this
/// soon heard of it.
pub(super) const LIVE: Duration = Duration::from_secs(8);

/// List calls the page has made so far.
pub(super) async fn list_calls(client: &Client) -> u64 {
    let script = "return performance.getEntriesByType('resource')
        .filter(e => new URL(e.name).pathname.endsWith('/streaming-sessions')).length";
    client
        .execute(script, vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

pub(super) async fn open_portal(client: &Client, base: &str) {
    client.goto(base).await.unwrap();
    wait_for_state(client, "Lighting", "READY").await;
    // The catch-up lists (on hello, and the watch's first resync) are done.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

pub(super) async fn stop(client: &Client, name: &str) {
    click_in_card(client, name, "Stop").await;
    click_in_card(client, name, "Stop workstation").await;
}

#[tokio::test]
async fn a_stop_in_one_page_shows_in_another_and_connect_opens_on_the_streams_event() {
    let proxy = proxy(AuthMode::Dev("alice".into())).await;
    let base = format!("http://{}", proxy.addr());
    let (_one_driver, one) = browser().await;
    let (_two_driver, two) = browser().await;
    open_portal(&one, &base).await;
    open_portal(&two, &base).await;
    let lists = list_calls(&two).await;

    stop(&one, "Lighting").await;
    let reads = || state_of(&two, "Lighting");
    until(LIVE, "page two shows the stop", reads, |s| {
        s == "STOP_IN_PROGRESS"
    })
    .await;
    until(LIVE, "page two shows STOPPED", reads, |s| s == "STOPPED").await;
    let announced = wait_for_announcement(&two, "is now STOPPED").await;
    assert_eq!(
        announced, "Workstation Lighting is now STOPPED",
        "said once"
    );
    assert_eq!(
        list_calls(&two).await,
        lists,
        "page two listened; it did not poll"
    );

    // Connect: the tab opened in the click goes to the stream once its event says READY.
    let home = two.window().await.unwrap();
    click_in_card(&two, "Dailies", "Connect").await;
    let tab = until(
        WAIT,
        "a new tab",
        || async { two.windows().await.unwrap() },
        |w| w.len() == 2,
    )
    .await
    .into_iter()
    .find(|w| *w != home)
    .unwrap();
    two.switch_to_window(tab).await.unwrap();
    let url = until(
        WAIT,
        "the stream URL",
        || async { two.current_url().await.unwrap().to_string() },
        |u| u.contains("authToken="),
    )
    .await;
    assert!(url.starts_with(&format!("{base}/dcv/?authToken=")), "{url}");
    one.close().await.unwrap();
    two.close().await.unwrap();
    proxy.shutdown().await;
}

/// Every event a plain EventSource in the page has heard, as [name, data].
async fn heard(client: &Client) -> Vec<(String, Value)> {
    let events = client.execute("return window.heard", vec![]).await.unwrap();
    let events: Vec<(String, String)> = serde_json::from_value(events).unwrap();
    events
        .into_iter()
        .map(|(name, data)| (name, serde_json::from_str(&data).unwrap_or(Value::Null)))
        .collect()
}

#[tokio::test]
async fn bobs_page_never_hears_of_alices_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = proxy(AuthMode::UsersFile(users_file(
        dir.path(),
        &["alice", "bob"],
    )))
    .await;
    let base = format!("http://{}", proxy.addr());
    let (_alice_driver, alice) = browser().await;
    let (_bob_driver, bob) = browser().await;
    sign_in(&alice, &base, "alice").await;
    sign_in(&bob, &base, "bob").await;
    // Besides the portal's own, a plain EventSource in bob's page records what it hears.
    let record = "window.heard = []; const source = new EventSource('/api/events');
        for (const name of ['hello', 'session', 'stream', 'resync'])
            source.addEventListener(name, e => window.heard.push([name, e.data]));";
    bob.execute(record, vec![]).await.unwrap();
    until(WAIT, "bob's hello", || heard(&bob), |h| !h.is_empty()).await;

    wait_for_state(&alice, "Lighting", "READY").await;
    stop(&alice, "Lighting").await;
    wait_for_state_within(LIVE, &alice, "Lighting", "STOPPED").await;
    stop(&bob, "Animation").await;
    let seen = until(
        LIVE,
        "bob's own stop, heard",
        || heard(&bob),
        |h| h.iter().any(|(_, d)| d["session"]["state"] == "STOPPED"),
    )
    .await;
    assert_eq!(seen[0].1, json!({"user": "bob", "admin": false}));
    for (name, data) in &seen[1..] {
        match name.as_str() {
            "session" => assert_eq!(data["session"]["ownedBy"], "bob", "{seen:#?}"),
            "resync" => {}
            other => panic!("bob heard {other}: {seen:#?}"),
        }
    }
    let cards = text_of(&bob, "main").await;
    assert!(!cards.contains("Lighting"), "{cards}");
    alice.close().await.unwrap();
    bob.close().await.unwrap();
    proxy.shutdown().await;
}

#[tokio::test]
async fn without_live_updates_the_page_polls_and_keeps_working() {
    let proxy = proxy_with(AuthMode::Dev("alice".into()), |config| {
        config.live_updates = false;
    })
    .await;
    let base = format!("http://{}", proxy.addr());
    let (_driver, client) = browser().await;
    open_portal(&client, &base).await;
    let lists = list_calls(&client).await;

    stop(&client, "Lighting").await;
    let reads = || state_of(&client, "Lighting");
    until(WAIT, "STOPPED by polling", reads, |s| s == "STOPPED").await;
    wait_for_announcement(&client, "Workstation Lighting is now STOPPED").await;
    assert!(list_calls(&client).await > lists, "the page polled");

    // Connect polls its stream instead of hearing of it.
    let home = client.window().await.unwrap();
    click_in_card(&client, "Dailies", "Connect").await;
    let tab = until(
        WAIT,
        "a new tab",
        || async { client.windows().await.unwrap() },
        |w| w.len() == 2,
    )
    .await
    .into_iter()
    .find(|w| *w != home)
    .unwrap();
    client.switch_to_window(tab).await.unwrap();
    until(
        WAIT,
        "the stream URL",
        || async { client.current_url().await.unwrap().to_string() },
        |u| u.contains("authToken="),
    )
    .await;
    client.close().await.unwrap();
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_stream_held_back_by_an_intermediary_falls_back_to_polling() {
    let proxy = proxy(AuthMode::Dev("alice".into())).await;
    let base = format!("http://{}", buffering_intermediary(proxy.addr()).await);
    let (_driver, client) = browser().await;
    client.goto(&base).await.unwrap();
    // No hello ever comes: after 5 s the page polls, and shows its workstations.
    wait_for_state(&client, "Lighting", "READY").await;
    let lists = list_calls(&client).await;
    stop(&client, "Lighting").await;
    wait_for_state(&client, "Lighting", "STOPPED").await;
    assert!(list_calls(&client).await > lists, "the page polled");
    client.close().await.unwrap();
    proxy.shutdown().await;
}
