//! `cargo bench -p local-studio`: requests per second and p50/p99 latency of
//! GetStreamingSession, and of full ListStreamingSessions walks with 10,000 and 100,000
//! sessions stored; and of GetStudioUsage over a year of use by 500 artists (SQLite on
//! disk, real SigV4 on every request, over loopback).

use test_support as support;

use local_studio::{Config, Storage};
use std::time::{Duration, Instant};
use support::{Client, SESSIONS};

const CONCURRENCY: usize = 8;
const GET_SECONDS: u64 = 3;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn report(name: &str, mut latencies: Vec<Duration>, elapsed: Duration) {
    latencies.sort();
    println!(
        "{name:<44} {:>7} req  {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
}

async fn get_session(client: &Client) {
    let ids: Vec<String> = (0..CONCURRENCY)
        .map(|i| format!("ss-bench-{:07}", i * 997))
        .collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(GET_SECONDS);
    let workers: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let reply = client.get(&format!("{SESSIONS}/{id}")).await;
                    assert_eq!(reply.status, 200);
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
    report(
        &format!("GetStreamingSession ({CONCURRENCY} clients)"),
        all,
        started.elapsed(),
    );
}

async fn walk(client: &Client, stored: usize) {
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = 0;
    loop {
        let path = match &token {
            Some(t) => format!("{SESSIONS}?nextToken={t}"),
            None => SESSIONS.to_owned(),
        };
        let t = Instant::now();
        let reply = client.get(&path).await;
        latencies.push(t.elapsed());
        seen += reply.json["sessions"].as_array().unwrap().len();
        match reply.json["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let elapsed = started.elapsed();
    assert!(seen >= stored);
    report(
        &format!("ListStreamingSessions page, {stored} stored"),
        latencies,
        elapsed,
    );
    println!(
        "{:<44} {seen} sessions in {:.2} s",
        format!("  full walk, {stored} stored"),
        elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    println!("local-studio benchmark (2-core machine: compare figures from one run only)");
    for stored in [10_000, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::Dir(dir.path().to_owned());
        local_studio::seed_sessions_for_benchmark(&storage, "demo-studio", stored).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = Config {
            storage,
            demo: true,
            ..Config::default()
        };
        let server = local_studio::start(listener, config).await.unwrap();
        let client = Client::new(server.addr());
        if stored == 10_000 {
            get_session(&client).await;
        }
        walk(&client, stored).await;
        server.shutdown().await;
    }
    studio_usage().await;
}

/// GetStudioUsage over 365 days of use by 500 artists (182,500 READY spans): a month and
/// the whole year, grouped by owner and by instance type.
async fn studio_usage() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::Dir(dir.path().to_owned());
    local_studio::seed_usage_for_benchmark(&storage, "demo-studio", 500, 365).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = Config {
        storage,
        demo: true,
        ..Config::default()
    };
    let server = local_studio::start(listener, config).await.unwrap();
    let client = Client::new(server.addr());
    let now = std::time::SystemTime::now();
    let iso = |at: std::time::SystemTime| {
        let ms = at
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        nimble_model::Timestamp::from_unix_millis(ms)
            .unwrap()
            .to_string()
    };
    let year_ago = iso(now - Duration::from_secs(365 * 86_400));
    let month_ago = iso(now - Duration::from_secs(31 * 86_400));
    let to = iso(now);
    for (name, from, group) in [
        ("usage, a month by owner (500 rows)", &month_ago, "OWNER"),
        ("usage, a year by owner (500 rows)", &year_ago, "OWNER"),
        ("usage, a year by instance type", &year_ago, "INSTANCE_TYPE"),
    ] {
        let path = format!("/2020-08-01/studios/demo-studio/usage?from={from}&to={to}&groupBy={group}&maxResults=1000");
        let mut latencies = Vec::new();
        let started = Instant::now();
        for _ in 0..30 {
            let sent = Instant::now();
            let reply = client.get(&path).await;
            assert_eq!(reply.status, 200, "{}", reply.json);
            latencies.push(sent.elapsed());
        }
        report(name, latencies, started.elapsed());
    }
    server.shutdown().await;
}
