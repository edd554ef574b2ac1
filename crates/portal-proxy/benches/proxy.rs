//! `cargo bench --workspace --bench proxy`: what the proxy adds. The same request mix is
//! sent straight to local-studio and through portal-proxy, in one run; then 500 simulated
//! browsers poll the session list every 2 s and the upstream calls are counted.
//!
//! The direct and proxied runs are measured alike, so that their ratio is the proxy's:
//! - the same client type, `support::Client`: it signs every request with SigV4, as a
//!   direct client must, and reads and parses every JSON answer. The proxy ignores the
//!   signature and signs its own call, so the client does the same work on both sides;
//! - the same connection reuse: one client, so one connection pool, per side, shared by
//!   all of that side's workers;
//! - the same mix: the same operations in the same order, the same number of requests,
//!   the same number of workers;
//! - a warm-up of each side before each measurement, and rounds that alternate which side
//!   goes first; the figures are the medians of the rounds.
//!
//! The proxy's cache is off, so every proxied read goes upstream, unless it joins an
//! identical read already in flight. That sharing is the proxy's own work, not the cost of
//! the hop: the upstream calls of each proxied run are printed beside its figures, and with
//! several workers the mix is also run with reads that no two workers share (the same
//! answers, asked in words of each worker's own), where the ratio is the hop alone.
//!
//! Last, the read cache's memory after 100,000 distinct queries (`proxy/cache_memory.rs`)
//! and `/healthz` idle and during a sign-in flood (`proxy/login_flood.rs`).

#[path = "proxy/cache_memory.rs"]
mod cache_memory;
#[path = "proxy/login_flood.rs"]
mod login_flood;

use test_support as support;

use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Client, SESSIONS};

const REQUESTS: usize = 4000;
const WARM_UP: usize = 400;
const ROUNDS: usize = 5;
const CONCURRENCY: usize = 8;
const MIX: [&str; 2] = [
    "/2020-08-01/studios/demo-studio/streaming-sessions?ownedBy=alice",
    "/2020-08-01/studios/demo-studio/launch-profiles",
];

/// Which reads the workers send.
#[derive(Clone)]
enum Mix {
    /// Alice's session list and the launch profiles, the same for every worker.
    Shared,
    /// The same two answers, but no two workers ask alike, so no read can join another:
    /// the sessions named by id (alice's, plus an unknown id of the worker's own), and the
    /// launch profiles with a page size of the worker's own, larger than the list.
    Distinct { alice_sessions: Arc<str> },
}

impl Mix {
    /// The path of the `i`th request of `worker`.
    fn path(&self, worker: usize, i: usize) -> String {
        let list = (i + worker) % MIX.len();
        match self {
            Mix::Shared => MIX[list].to_owned(),
            Mix::Distinct { alice_sessions } if list == 0 => {
                format!("{SESSIONS}?ownedBy=alice&sessionIds={alice_sessions},ss-worker-{worker}")
            }
            Mix::Distinct { .. } => format!("{}?maxResults={}", MIX[1], 50 + worker),
        }
    }
}

/// One way to the API: a client, and the prefix of every path (`/api` through the proxy).
struct Side {
    client: Client,
    prefix: &'static str,
}

/// What one run measured.
#[derive(Clone, Copy)]
struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    upstream_calls: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// Sends `requests` of the mix from `concurrency` workers, each taking its turn through
/// the mix; `studio` counts the calls that reached the upstream.
async fn run(
    side: &Side,
    studio: &local_studio::RunningServer,
    mix: &Mix,
    concurrency: usize,
    requests: usize,
) -> Figures {
    let before = studio.request_count();
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (client, prefix, mix) = (side.client.clone(), side.prefix, mix.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for i in 0..requests / concurrency {
                    let path = format!("{prefix}{}", mix.path(w, i));
                    let t = Instant::now();
                    let reply = client.get(&path).await;
                    latencies.push(t.elapsed());
                    assert_eq!(reply.status, 200, "{path}: {}", reply.json);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    Figures {
        per_second: all.len() as f64 / elapsed,
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
        upstream_calls: studio.request_count() - before,
    }
}

/// The median of each figure over the rounds.
fn median(mut rounds: Vec<Figures>) -> Figures {
    let mid = rounds.len() / 2;
    let mut pick = |key: fn(&Figures) -> f64| {
        rounds.sort_by(|a, b| key(a).total_cmp(&key(b)));
        rounds[mid]
    };
    Figures {
        per_second: pick(|f| f.per_second).per_second,
        p50_ms: pick(|f| f.p50_ms).p50_ms,
        p99_ms: pick(|f| f.p99_ms).p99_ms,
        upstream_calls: pick(|f| f.upstream_calls as f64).upstream_calls,
    }
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let studio_config = local_studio::Config {
        demo: true,
        ..local_studio::Config::default()
    };
    let studio = local_studio::start(listener, studio_config).await.unwrap();
    let upstream = upstream_of(&studio);
    let mut config = ProxyConfig::new(upstream, AuthMode::Dev("alice".into()));
    config.rate_limit_per_minute = 10_000_000;
    // No cache for the overhead figures: every proxied request goes upstream.
    config.cache_ttl = Duration::ZERO;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = portal_proxy::start(listener, config.clone()).await.unwrap();

    let direct = Side {
        client: Client::new(studio.addr()),
        prefix: "",
    };
    let proxied = Side {
        client: Client::new(proxy.addr()),
        prefix: "/api",
    };
    let listed = direct.client.get(MIX[0]).await;
    let ids: Vec<&str> = listed.json["sessions"]
        .as_array()
        .expect("alice's sessions")
        .iter()
        .filter_map(|s| s["sessionId"].as_str())
        .collect();
    let alice_sessions = ids.join(",");
    let distinct = Mix::Distinct {
        alice_sessions: alice_sessions.as_str().into(),
    };
    println!(
        "portal-proxy benchmark ({REQUESTS} requests per run, list + launch profiles, cache off, \
         median of {ROUNDS} rounds, the same signing client both ways)"
    );
    // One at a time nothing can be shared: this is the cost of the extra hop. With several
    // at once, identical reads in flight share one upstream call unless the reads differ.
    let runs = [
        (1, Mix::Shared, "same reads"),
        (CONCURRENCY, Mix::Shared, "same reads"),
        (CONCURRENCY, distinct, "distinct reads"),
    ];
    for (concurrency, mix, name) in runs {
        let (mut direct_rounds, mut proxy_rounds) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let order = if round % 2 == 0 {
                [(&direct, &mut direct_rounds), (&proxied, &mut proxy_rounds)]
            } else {
                [(&proxied, &mut proxy_rounds), (&direct, &mut direct_rounds)]
            };
            for (side, rounds) in order {
                run(side, &studio, &mix, concurrency, WARM_UP).await;
                rounds.push(run(side, &studio, &mix, concurrency, REQUESTS).await);
            }
        }
        let (d, p) = (median(direct_rounds), median(proxy_rounds));
        let label = format!("{concurrency} concurrent, {name}");
        println!(
            "  {label}: direct {:>6.0} req/s p50 {:.2} ms p99 {:.2} ms | proxy {:>6.0} req/s p50 {:.2} ms p99 {:.2} ms, {} upstream calls",
            d.per_second, d.p50_ms, d.p99_ms, p.per_second, p.p50_ms, p.p99_ms, p.upstream_calls
        );
        println!(
            "  {label}: added p50 {:+.2} ms, p99 {:+.2} ms; throughput ratio proxy/direct {:.2}",
            p.p50_ms - d.p50_ms,
            p.p99_ms - d.p99_ms,
            p.per_second / d.per_second
        );
    }
    proxy.shutdown().await;

    // Fan-in: 500 browsers of the same artist poll every 2 s for 10 s, with the default cache.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = portal_proxy::start(
        listener,
        ProxyConfig {
            cache_ttl: Duration::from_millis(1000),
            ..config.clone()
        },
    )
    .await
    .unwrap();
    let url = format!("http://{}/api{}", proxy.addr(), MIX[0]);
    let before = studio.request_count();
    let seconds = 10;
    let started = Instant::now();
    let browsers: Vec<_> = (0..500)
        .map(|b| {
            let url = url.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                // Browsers start spread over the first poll interval.
                tokio::time::sleep(Duration::from_millis(b * 4)).await;
                let mut polls = 0u64;
                while started.elapsed() < Duration::from_secs(seconds) {
                    if http
                        .get(&url)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                    {
                        polls += 1;
                    }
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                polls
            })
        })
        .collect();
    let mut polls = 0;
    for browser in browsers {
        polls += browser.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let upstream = studio.request_count() - before;
    println!(
        "  fan-in: 500 browsers polling every 2 s: {:.0} browser req/s -> {:.1} upstream calls/s ({} polls, {} upstream calls in {:.1} s)",
        polls as f64 / elapsed,
        upstream as f64 / elapsed,
        polls,
        upstream,
        elapsed
    );
    proxy.shutdown().await;
    cache_memory::run(&config, &alice_sessions).await;
    login_flood::run(upstream_of(&studio)).await;
    studio.shutdown().await;
}

fn upstream_of(studio: &local_studio::RunningServer) -> Upstream {
    let credential = local_studio::Credential::dev();
    Upstream::Url {
        endpoint: format!("http://{}", studio.addr()),
        credentials: Some((credential.access_key_id, credential.secret_access_key)),
    }
}
