//! `cargo xtask bench` (`-- --ignored --nocapture bench_live`): live updates in Chromium,
//! side by side with the polling fallback, in one run. Ignored in the test run.
//!
//! One local-studio (transitions of 1 s), two portal-proxies in front of it: one with live
//! updates, one without (its pages poll). A DCV stand-in (a bare HTTP listener) records
//! when each stream URL is opened; a raw event stream at the live proxy tells when each
//! stream was created, so it became READY 1 s later, by local-studio's clock (the same
//! host clock). Measured:
//! - READY upstream to the tab opening the stream, over `CONNECTS` connects per proxy;
//! - a stop or start made in one page to a second page showing it, over `CHANGES`.

use super::desktop_bench::percentile;
use super::harness::{browser, dist, until};
use super::page::{click_in_card, wait_for_state, WAIT};
use fantoccini::{Client, Locator};
use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use test_support::SseClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONNECTS: usize = 50;
const CHANGES: usize = 20;
const TRANSITION_MS: i64 = 1000;

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A stand-in for the DCV web client: answers every request, noting when it came.
async fn dcv_stand_in() -> (std::net::SocketAddr, Arc<Mutex<Vec<i64>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let opened = Arc::new(Mutex::new(Vec::new()));
    let seen = opened.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 2048];
                if matches!(socket.read(&mut head).await, Ok(n) if head[..n].starts_with(b"GET /dcv/?authToken="))
                {
                    seen.lock().unwrap().push(wall_ms());
                }
                let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
                let _ = socket.write_all(reply).await;
            });
        }
    });
    (addr, opened)
}

async fn proxy_to(studio: std::net::SocketAddr, live: bool) -> RunningProxy {
    let dev = local_studio::Credential::dev();
    let upstream = Upstream::Url {
        endpoint: format!("http://{studio}"),
        credentials: Some((dev.access_key_id, dev.secret_access_key)),
    };
    let mut config = ProxyConfig::new(upstream, AuthMode::Dev("alice".into()));
    config.dist = Some(dist());
    config.live_updates = live;
    test_support::start_proxy(config).await
}

fn summary(what: &str, mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let p95 = percentile(&values, 95.0);
    println!(
        "  {what}: p50 {:.0} ms, p95 {p95:.0} ms, max {:.0} ms ({} runs)",
        percentile(&values, 50.0),
        values[values.len() - 1],
        values.len()
    );
    p95
}

/// READY upstream to the tab opening, for `CONNECTS` connects of Lighting in `client`.
async fn connects(client: &Client, opened: &Mutex<Vec<i64>>, events: &mut SseClient) -> Vec<f64> {
    let home = client.window().await.unwrap();
    let mut latencies = Vec::new();
    for _ in 0..CONNECTS {
        let before = opened.lock().unwrap().len();
        click_in_card(client, "Lighting", "Connect").await;
        until(
            WAIT,
            "the stream URL opened",
            || async { opened.lock().unwrap().len() },
            |n| *n > before,
        )
        .await;
        let at = opened.lock().unwrap()[before];
        let ready = events
            .until(WAIT, |e| {
                e.event == "stream" && e.data["stream"]["state"] == "READY"
            })
            .await;
        let created = ready.last().unwrap().data["stream"]["createdAt"]
            .as_str()
            .unwrap()
            .to_owned();
        let created = nimble_model::Timestamp::parse(&created)
            .unwrap()
            .unix_millis();
        latencies.push((at - created - TRANSITION_MS) as f64);
        for window in client.windows().await.unwrap() {
            if window != home {
                client.switch_to_window(window).await.unwrap();
                client.close_window().await.unwrap();
            }
        }
        client.switch_to_window(home.clone()).await.unwrap();
    }
    latencies
}

/// Records, in `client`'s page, when card `name` shows each new state.
async fn watch_card(client: &Client, name: &str) {
    let script = format!(
        "window.seen = []; let last = null; setInterval(() => {{
            const badge = document.evaluate(\"{}//span[contains(@class,'badge')]\", document, null,
                XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
            const state = badge && badge.getAttribute('data-state');
            if (state !== last) {{ last = state; window.seen.push([Date.now(), state]); }}
        }}, 5);",
        super::page::card(name)
    );
    client.execute(&script, vec![]).await.unwrap();
}

/// Clicks `button` of card `name` from a script, answering when (page time, ms).
async fn click_now(client: &Client, name: &str, button: &str) -> i64 {
    let script = format!(
        "const b = document.evaluate(\"{}//button[normalize-space()='{button}']\", document, null,
            XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
         const t = Date.now(); b.click(); return t;",
        super::page::card(name)
    );
    client
        .execute(&script, vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap()
}

/// A change made in `one` to `two` showing it, `CHANGES` times (stops and starts).
async fn changes(one: &Client, two: &Client) -> Vec<f64> {
    watch_card(two, "Lighting").await;
    let mut latencies = Vec::new();
    for i in 0..CHANGES {
        let (ask, confirm, during, after) = if i % 2 == 0 {
            ("Stop", "Stop workstation", "STOP_IN_PROGRESS", "STOPPED")
        } else {
            ("Start", "Start workstation", "START_IN_PROGRESS", "READY")
        };
        click_in_card(one, "Lighting", ask).await;
        let path = format!(
            "{}//button[normalize-space()='{confirm}']",
            super::page::card("Lighting")
        );
        one.wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&path))
            .await
            .unwrap();
        let clicked = click_now(one, "Lighting", confirm).await;
        let seen = until(
            WAIT,
            during,
            || async { two.execute("return window.seen", vec![]).await.unwrap() },
            |s| {
                s.as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e[1] == during && e[0].as_i64() >= Some(clicked))
            },
        )
        .await;
        let at = seen
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e[1] == during)
            .unwrap()[0]
            .as_i64()
            .unwrap();
        latencies.push((at - clicked) as f64);
        wait_for_state(one, "Lighting", after).await;
        two.execute("window.seen = []", vec![]).await.unwrap();
    }
    latencies
}

#[tokio::test]
#[ignore]
async fn bench_live() {
    let (dcv, opened) = dcv_stand_in().await;
    let studio = test_support::start(local_studio::Config {
        transition: Duration::from_millis(TRANSITION_MS as u64),
        dcv_url_base: Some(format!("http://{dcv}/dcv/")),
        ..test_support::test_config()
    })
    .await;
    let live = proxy_to(studio.server.addr(), true).await;
    let polling = proxy_to(studio.server.addr(), false).await;
    let mut events = SseClient::open(live.addr(), "alice").await;
    let (_one_driver, one) = browser().await;
    let (_two_driver, two) = browser().await;
    for (client, proxy) in [(&one, &live), (&two, &polling)] {
        client
            .goto(&format!("http://{}", proxy.addr()))
            .await
            .unwrap();
        wait_for_state(client, "Lighting", "READY").await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    println!("live updates in Chromium, transitions of {TRANSITION_MS} ms:");
    let sse = summary(
        "stream READY -> tab opens, SSE    ",
        connects(&one, &opened, &mut events).await,
    );
    let poll = summary(
        "stream READY -> tab opens, polling",
        connects(&two, &opened, &mut events).await,
    );
    println!("  polling/SSE p95: {:.1}x", poll / sse.max(1.0));

    // Both pages on the live proxy now.
    two.goto(&format!("http://{}", live.addr())).await.unwrap();
    wait_for_state(&two, "Lighting", "READY").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    summary(
        "change in one page -> second page shows it, SSE",
        changes(&one, &two).await,
    );
    println!("  (polling pages see it at their next poll: 1-2 s while busy, 30 s when settled)");
    one.close().await.unwrap();
    two.close().await.unwrap();
    live.shutdown().await;
    polling.shutdown().await;
}
