//! `cargo xtask bench` (`cargo test -p portal-proxy --test live_bench -- --ignored
//! --nocapture`): what live updates cost upstream and in the proxy's memory, side by side
//! with polling, in one run. Ignored in the test run. Like the browser benches, it uses the
//! test (debug) build: the upstream call counts do not depend on it; the proxy's memory
//! is a debug build's, so an upper bound.
//!
//! The proxy runs as its own process (the `portal-proxy` binary), so its resident memory
//! (VmRSS) is its alone; local-studio runs in this process and counts every request it
//! gets. 500 simulated browsers, each a distinct artist (trusted-header mode), then:
//!
//! 1. **watch**: hold `/api/events` open while 20 sessions start and stop (changed directly
//!    at local-studio, as other clients would); the upstream calls are the proxy's watch;
//! 2. **upstream poll**: the same against a local-studio without the watch (the proxy polls
//!    ListStreamingSessions once for everyone);
//! 3. **page polling**: what the pages did before, each listing its sessions every 1.5 s
//!    (the busy pace) through the proxy.
//!
//! Then the proxy's RSS with 0, 500 and 5,000 event streams open. Every phase is bounded
//! in time (`WINDOW`) and count.

mod bench_support;

use bench_support::{rss_mib, spawn_proxy};
use test_support as support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::{Client, SseClient, SESSIONS};

const BROWSERS: usize = 500;
const SESSIONS_CHANGING: usize = 20;
const WINDOW: Duration = Duration::from_secs(12);

/// Starts and stops `SESSIONS_CHANGING` sessions of bob's, directly at local-studio, for
/// `WINDOW`; how many calls that took.
async fn churn(client: &Client, ids: &[String]) -> u64 {
    let started = Instant::now();
    let mut calls = 0;
    let mut stop = true;
    while started.elapsed() < WINDOW {
        for id in ids {
            let action = if stop { "stop" } else { "start" };
            client
                .call(
                    "POST",
                    &format!("{SESSIONS}/{id}/{action}"),
                    Some(json!({})),
                    None,
                )
                .await;
            calls += 1;
        }
        stop = !stop;
        // Each transition takes 1 s; a little longer, so every action is allowed.
        tokio::time::sleep(Duration::from_millis(1300)).await;
    }
    calls
}

/// The demo studio without its per-artist quota (bob keeps all 20), and bob's sessions.
async fn studio(watch: bool) -> (support::Studio, Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("studio.toml");
    let config = local_studio::DEMO_TOML.replace("max_sessions_per_user = 6", "");
    std::fs::write(&toml, config).unwrap();
    let studio = support::start(local_studio::Config {
        studio_config: Some(toml),
        transition: Duration::from_secs(1),
        watch,
        ..local_studio::Config::default()
    })
    .await;
    let mut ids = Vec::new();
    for _ in 0..SESSIONS_CHANGING {
        ids.push(studio.create("bob").await);
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    (studio, ids, dir)
}

/// Opens `count` event streams, artist `u{i}` each (bob's changes reach the first, `bob`).
async fn open_streams(addr: std::net::SocketAddr, count: usize) -> Vec<SseClient> {
    let mut streams = Vec::with_capacity(count);
    for i in 0..count {
        let user = if i == 0 {
            "bob".to_owned()
        } else {
            format!("u{i}")
        };
        streams.push(SseClient::open(addr, &user).await);
    }
    streams
}

/// Upstream calls per second made by the proxy while sessions churn, with 500 streams.
async fn with_streams(watch: bool) -> (f64, usize) {
    let (studio, ids, _dir) = studio(watch).await;
    let dir = tempfile::tempdir().unwrap();
    let (_proxy, addr) = spawn_proxy(studio.server.addr(), dir.path());
    let mut streams = open_streams(addr, BROWSERS).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = studio.server.request_count();
    let own = churn(&studio.client, &ids).await;
    let upstream = studio.server.request_count() - before - own;
    let heard = streams[0].drain(Duration::from_millis(1500)).await;
    let changes = heard.iter().filter(|e| e.event == "session").count();
    (upstream as f64 / WINDOW.as_secs_f64(), changes)
}

/// Upstream calls per second when every page polls its list every 1.5 s.
async fn with_page_polling() -> f64 {
    let (studio, ids, _dir) = studio(true).await;
    let dir = tempfile::tempdir().unwrap();
    let (_proxy, addr) = spawn_proxy(studio.server.addr(), dir.path());
    let http = reqwest::Client::new();
    let stop = Instant::now() + WINDOW;
    let pages: Vec<_> = (0..BROWSERS)
        .map(|i| {
            let http = http.clone();
            tokio::spawn(async move {
                let url = format!("http://{addr}/api{SESSIONS}");
                tokio::time::sleep(Duration::from_millis((i as u64 * 3) % 1500)).await;
                while Instant::now() < stop {
                    let _ = http
                        .get(&url)
                        .header("x-user", format!("u{i}"))
                        .send()
                        .await;
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                }
            })
        })
        .collect();
    let before = studio.server.request_count();
    let own = churn(&studio.client, &ids).await;
    for page in pages {
        let _ = page.await;
    }
    let upstream = studio.server.request_count() - before - own;
    upstream as f64 / WINDOW.as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_live_fan_out() {
    println!("live updates, {BROWSERS} browsers, {SESSIONS_CHANGING} sessions starting and stopping for {WINDOW:?}:");
    let (watch, heard) = with_streams(true).await;
    println!("  SSE + local-studio watch:   {watch:>7.2} upstream calls/s (bob's stream carried {heard} session events)");
    let (poll, heard) = with_streams(false).await;
    println!("  SSE + upstream poll:        {poll:>7.2} upstream calls/s (bob's stream carried {heard} session events)");
    let pages = with_page_polling().await;
    println!("  pages polling (no SSE):     {pages:>7.2} upstream calls/s");
    println!("  ratio polling/watch: {:.0}x", pages / watch.max(0.01));

    // Memory: the proxy's RSS with 0, 500 and 5,000 streams open.
    let (studio, _, _dir) = studio(true).await;
    let dir = tempfile::tempdir().unwrap();
    let (proxy, addr) = spawn_proxy(studio.server.addr(), dir.path());
    let pid = proxy.0.id();
    let idle = rss_mib(pid);
    let mut streams = open_streams(addr, 500).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_500 = rss_mib(pid);
    streams.extend(open_streams(addr, 4500).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_5000 = rss_mib(pid);
    println!(
        "  proxy RSS: idle {idle:.1} MiB, 500 streams {at_500:.1} MiB, 5,000 streams {at_5000:.1} MiB ({:.1} KiB per stream)",
        (at_5000 - idle) * 1024.0 / 5000.0
    );
    drop(streams);
}
