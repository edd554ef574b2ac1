//! `cargo xtask bench` (`cargo test -p portal-proxy --test rush_bench -- --ignored
//! --nocapture`): the morning rush. 500 artists' workstations are scheduled to start in the
//! same minute, with the simulated driver (a start takes `START`), while each artist has a
//! page open on `/api/events` through the proxy (its own process). Reported, side by side:
//!
//! - the time from the scheduled start until all are READY, against the driver's own time
//!   (goal: within it plus 2 s);
//! - the API's p50 and p99 during the rush: artists reading their sessions through the
//!   proxy, one after another, each a different artist so the proxy's short read cache
//!   rarely answers (goal: p99 ≤ 50 ms);
//! - the p95 from READY to the page hearing of it (SSE delivery);
//! - upstream calls per second while it lasts.
//!
//! Ignored in the test run; bounded (`ARTISTS`, and a minute at most).

mod bench_support;

use bench_support::spawn_proxy;
use serde_json::json;
use std::time::{Duration, Instant};
use test_support::{SseClient, Studio};

const ARTISTS: usize = 500;
const START: Duration = Duration::from_secs(2);
const SESSIONS: &str = "/2020-08-01/studios/demo-studio/streaming-sessions";

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "demo-studio"

[[studios.launch_profiles]]
launchProfileId = "lp-rush"
name = "Morning"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]

[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#;

fn ms(text: &serde_json::Value) -> i64 {
    let text = text.as_str().unwrap_or_default();
    text.parse::<jiff::Timestamp>()
        .map_or(0, |t| t.as_millisecond())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// 500 stopped workstations, artist `u{i}`'s the i-th, each scheduled for tomorrow 09:00
/// UTC; their ids and when their starts begin (the studio's clock).
async fn scheduled(studio: &Studio) -> (Vec<String>, i64) {
    let mut ids = Vec::new();
    for i in 0..ARTISTS {
        let body = json!({"launchProfileId": "lp-rush", "ownedBy": format!("u{i}")});
        ids.push(studio.create_in(SESSIONS, body).await);
    }
    for id in &ids {
        studio.wait_for_state(SESSIONS, id, "READY").await;
        studio.act(SESSIONS, id, "stop", json!({})).await;
    }
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap();
    let weekday = nimble_model::WEEKDAY_NAMES[tomorrow.weekday().to_monday_zero_offset() as usize];
    let mut starts = 0;
    for id in &ids {
        studio.wait_for_state(SESSIONS, id, "STOPPED").await;
        let week = json!({"days": { weekday: {"start": "09:00", "end": "18:00"} }});
        let path = format!("{SESSIONS}/{id}/schedule");
        let reply = studio.call("PUT", &path, Some(week), None).await;
        starts = ms(&reply.json["schedule"]["nextStartAt"]);
    }
    (ids, starts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_morning_rush() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("studio.toml");
    std::fs::write(&toml, STUDIO_TOML).unwrap();
    let studio = test_support::start(local_studio::Config {
        studio_config: Some(toml),
        transition: START,
        watch: true,
        ..local_studio::Config::default()
    })
    .await;
    let (ids, starts) = scheduled(&studio).await;
    let (_proxy, addr) = spawn_proxy(studio.server.addr(), dir.path());
    let mut pages = Vec::new();
    for i in 0..ARTISTS {
        pages.push(SseClient::open(addr, &format!("u{i}")).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The clock moves to the minute the starts begin: `moved_at` is that moment, for real.
    let server_now = jiff::Timestamp::now().as_millisecond();
    let before = studio.server.request_count();
    studio
        .server
        .advance_clock(Duration::from_millis((starts - server_now) as u64));
    let moved_at = Instant::now();
    let server_ms = |at: Instant| starts + at.duration_since(moved_at).as_millis() as i64;

    // Each page waits for its READY; one artist reads their session all along.
    let listeners: Vec<_> = pages
        .into_iter()
        .map(|mut page| {
            tokio::spawn(async move {
                let heard = page
                    .until(Duration::from_secs(60), |e| {
                        e.event == "session" && e.data["session"]["state"] == "READY"
                    })
                    .await;
                let ready = heard.last().map(|e| ms(&e.data["session"]["updatedAt"]));
                (ready.unwrap_or(0), Instant::now())
            })
        })
        .collect();
    let reader = {
        let http = reqwest::Client::new();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while moved_at.elapsed() < START + Duration::from_secs(3) {
                let k = latencies.len() % ARTISTS;
                let url = format!("http://{addr}/api{SESSIONS}/{}", ids[k]);
                let sent = Instant::now();
                let reply = http
                    .get(&url)
                    .header("x-user", format!("u{k}"))
                    .send()
                    .await;
                if reply.is_ok_and(|r| r.status().is_success()) {
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
            }
            latencies
        })
    };
    let mut ready = Vec::new();
    let mut delivery = Vec::new();
    let mut last_heard = 0;
    for listener in listeners {
        let (ready_ms, heard_at) = listener.await.unwrap();
        ready.push((ready_ms - starts) as f64);
        delivery.push((server_ms(heard_at) - ready_ms) as f64);
        last_heard = last_heard.max(server_ms(heard_at) - starts);
    }
    let window = moved_at.elapsed().as_secs_f64();
    let upstream = studio.server.request_count() - before;
    let mut api = reader.await.unwrap();
    for list in [&mut ready, &mut delivery, &mut api] {
        list.sort_by(f64::total_cmp);
    }
    let all_ready = ready.last().copied().unwrap_or(0.0);
    let heard = ready.iter().filter(|r| **r >= 0.0).count();
    println!("morning rush: {ARTISTS} workstations scheduled for the same minute, {ARTISTS} pages on /api/events");
    println!(
        "  all READY {:.0} ms after the scheduled start; the driver takes {} ms ({:+.0} ms; goal within +2,000 ms); {heard} pages heard theirs",
        all_ready,
        START.as_millis(),
        all_ready - START.as_millis() as f64
    );
    println!("  the last page heard its READY {last_heard} ms after the scheduled start");
    println!(
        "  API during the rush (GetStreamingSession through the proxy): p50 {:.1} ms, p99 {:.1} ms ({} calls; goal p99 <= 50 ms)",
        percentile(&api, 50.0),
        percentile(&api, 99.0),
        api.len()
    );
    println!(
        "  SSE delivery, READY to the page: p50 {:.0} ms, p95 {:.0} ms",
        percentile(&delivery, 50.0),
        percentile(&delivery, 95.0)
    );
    println!(
        "  upstream calls: {upstream} in {window:.1} s, {:.1}/s (the reader's reads included)",
        upstream as f64 / window
    );
}
