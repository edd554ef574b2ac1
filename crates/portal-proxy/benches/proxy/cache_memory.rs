//! The read cache's memory: 100,000 distinct session-list queries (each names alice's
//! sessions plus an id of its own, so none can share an answer) sent through a proxy
//! whose answers never age out within the run, so only `cache_max_entries` bounds it.
//! The growth of this process's resident memory is printed beside the same run with
//! the cache off, in one run: the difference is what the cache holds.

use portal_proxy::{ProxyConfig, RunningProxy};
use std::time::Duration;

const QUERIES: usize = 100_000;
const WORKERS: usize = 8;

/// This process's resident memory, in MB (Linux: `VmRSS` in /proc/self/status).
fn resident_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

/// Sends `count` distinct list queries through `proxy` and checks every answer.
async fn send_distinct(proxy: &RunningProxy, alice_sessions: &str, from: usize, count: usize) {
    let base = format!("http://{}/api{}", proxy.addr(), test_support::SESSIONS);
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (base, ids) = (base.clone(), alice_sessions.to_owned());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for i in (from + w..from + count).step_by(WORKERS) {
                    let url = format!("{base}?ownedBy=alice&sessionIds={ids},ss-query-{i}");
                    let reply = http.get(&url).send().await.expect("the proxy answers");
                    assert_eq!(reply.status(), 200, "{url}");
                    reply.bytes().await.expect("a whole answer");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
}

/// Growth in MB of resident memory over `QUERIES` distinct reads through a proxy.
async fn growth(config: ProxyConfig, alice_sessions: &str) -> (f64, f64) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = portal_proxy::start(listener, config).await.unwrap();
    // Warm up connections, buffers and the allocator before the idle figure, with the
    // same few queries again and again: the cache holds only these few at the idle reading.
    for _ in 0..250 {
        send_distinct(&proxy, alice_sessions, 0, WORKERS).await;
    }
    let idle = resident_mb();
    send_distinct(&proxy, alice_sessions, 2_000, QUERIES).await;
    let after = resident_mb();
    proxy.shutdown().await;
    (idle, after - idle)
}

pub async fn run(config: &ProxyConfig, alice_sessions: &str) {
    let mut off = config.clone();
    off.cache_ttl = Duration::ZERO;
    let mut on = config.clone();
    // Answers never age out during the run: the entry bound alone limits the cache.
    on.cache_ttl = Duration::from_secs(3600);
    let (_, without) = growth(off, alice_sessions).await;
    let (idle, with) = growth(on.clone(), alice_sessions).await;
    println!(
        "  read cache: {QUERIES} distinct list queries: resident memory grew {with:.1} MB with the \
         cache ({} entries at most; idle {idle:.0} MB) and {without:.1} MB with it off: the cache \
         holds {:.1} MB (goal: under 20 MB above idle)",
        on.cache_max_entries,
        with - without
    );
}
