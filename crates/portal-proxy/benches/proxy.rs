//! `cargo bench -p portal-proxy`: what the proxy adds. The same request mix is sent straight
//! to local-studio (signed by the client) and through portal-proxy, in one run; then 500
//! simulated browsers poll the session list every 2 s and the upstream calls are counted.

use test_support as support;

use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use std::time::{Duration, Instant};
use support::Client;

const REQUESTS: usize = 4000;
const CONCURRENCY: usize = 8;
const MIX: [&str; 2] = [
    "/2020-08-01/studios/demo-studio/streaming-sessions?ownedBy=alice",
    "/2020-08-01/studios/demo-studio/launch-profiles",
];

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// Runs the mix with `concurrency` workers; returns (requests/s, p50 ms, p99 ms).
async fn run<F, Fut>(concurrency: usize, send: F) -> (f64, f64, f64)
where
    F: Fn(&'static str) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = u16> + Send,
{
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let send = send.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for i in 0..REQUESTS / concurrency {
                    let t = Instant::now();
                    assert_eq!(send(MIX[(i + w) % MIX.len()]).await, 200);
                    latencies.push(t.elapsed());
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
    (
        all.len() as f64 / elapsed,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    )
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let studio_config = local_studio::Config {
        demo: true,
        ..local_studio::Config::default()
    };
    let studio = local_studio::start(listener, studio_config).await.unwrap();
    let credential = local_studio::Credential::dev();
    let upstream = Upstream::Url {
        endpoint: format!("http://{}", studio.addr()),
        credentials: Some((
            credential.access_key_id.clone(),
            credential.secret_access_key.clone(),
        )),
    };
    let mut config = ProxyConfig::new(upstream, AuthMode::Dev("alice".into()));
    config.rate_limit_per_minute = 10_000_000;
    // No cache for the overhead figures: every proxied request goes upstream.
    config.cache_ttl = Duration::ZERO;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = portal_proxy::start(listener, config.clone()).await.unwrap();

    let direct = Client::new(studio.addr());
    let http = reqwest::Client::new();
    let base = format!("http://{}/api", proxy.addr());
    println!(
        "portal-proxy benchmark ({REQUESTS} requests per run, list + launch profiles, cache off)"
    );
    // One at a time nothing can be coalesced: this is the cost of the extra hop. With
    // several at once, identical reads in flight share one upstream call.
    for concurrency in [1, CONCURRENCY] {
        let direct = direct.clone();
        let (direct_rps, direct_p50, direct_p99) = run(concurrency, move |path| {
            let direct = direct.clone();
            async move { direct.get(path).await.status }
        })
        .await;
        let (http, base) = (http.clone(), base.clone());
        let (proxy_rps, proxy_p50, proxy_p99) = run(concurrency, move |path| {
            let (http, url) = (http.clone(), format!("{base}{path}"));
            async move { http.get(url).send().await.unwrap().status().as_u16() }
        })
        .await;
        println!("  {concurrency} concurrent: direct {direct_rps:>6.0} req/s p50 {direct_p50:.2} ms p99 {direct_p99:.2} ms | proxy {proxy_rps:>6.0} req/s p50 {proxy_p50:.2} ms p99 {proxy_p99:.2} ms");
        println!(
            "  {concurrency} concurrent: added p50 {:+.2} ms, p99 {:+.2} ms; throughput ratio proxy/direct {:.2}",
            proxy_p50 - direct_p50,
            proxy_p99 - direct_p99,
            proxy_rps / direct_rps
        );
    }
    proxy.shutdown().await;

    // Fan-in: 500 browsers of the same artist poll every 2 s for 10 s, with the default cache.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = portal_proxy::start(
        listener,
        ProxyConfig {
            cache_ttl: Duration::from_millis(1000),
            ..config
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
    studio.shutdown().await;
}
