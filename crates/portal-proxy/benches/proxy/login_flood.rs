//! `/healthz` latency idle and while 16 clients flood `/api/login` with wrong passwords.
//! The sign-in limits are lifted so that every attempt is hashed: this is the worst case
//! for the workers, bounded only by `login_concurrency` hashes at a time.

use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use std::time::{Duration, Instant};

const CHECKS: usize = 200;
const FLOODERS: usize = 16;

/// p50 and p99 of `CHECKS` sequential `/healthz`, in ms.
async fn healthz(http: &reqwest::Client, url: &str) -> (f64, f64) {
    let mut latencies = Vec::with_capacity(CHECKS);
    for _ in 0..CHECKS {
        let t = Instant::now();
        let reply = http.get(url).send().await.expect("healthz answers");
        assert_eq!(reply.status(), 200);
        latencies.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    latencies.sort();
    (
        super::percentile(&latencies, 0.5),
        super::percentile(&latencies, 0.99),
    )
}

pub async fn run(upstream: Upstream) {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    let hash = portal_proxy::hash_password("correct horse").unwrap();
    std::fs::write(
        &users,
        format!("[users.alice]\npassword_hash = \"{hash}\"\n"),
    )
    .unwrap();
    let mut config = ProxyConfig::new(upstream, AuthMode::UsersFile(users));
    config.login_per_minute_per_address = 10_000_000;
    config.login_per_minute_per_name = 10_000_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = portal_proxy::start(listener, config).await.unwrap();
    let base = format!("http://{}", proxy.addr());
    let http = reqwest::Client::new();
    let health = format!("{base}/healthz");
    healthz(&http, &health).await;
    let idle = healthz(&http, &health).await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|c| {
            let (http, url, stop) = (http.clone(), format!("{base}/api/login"), stop.clone());
            tokio::spawn(async move {
                let mut attempts = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let body = format!(r#"{{"user":"ghost-{c}-{attempts}","password":"x"}}"#);
                    let sent = http.post(&url).header("content-type", "application/json");
                    let _ = sent.body(body).send().await;
                    attempts += 1;
                }
                attempts
            })
        })
        .collect();
    let started = Instant::now();
    let flooded = healthz(&http, &health).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut attempts = 0;
    for flooder in flooders {
        attempts += flooder.await.unwrap();
    }
    let per_second = attempts as f64 / started.elapsed().as_secs_f64();
    println!(
        "  /healthz: idle p50 {:.2} ms p99 {:.2} ms | {FLOODERS} clients flooding login ({per_second:.0} sign-ins/s, all hashed) p50 {:.2} ms p99 {:.2} ms",
        idle.0, idle.1, flooded.0, flooded.1
    );
    proxy.shutdown().await;
}
