//! `cargo xtask bench` (`-- --ignored --nocapture bench_desktops`): real desktops behind the
//! portal, measured over 10 runs each. Ignored in the test run.

use super::desktop::{proxy, session_named, studio_client, NON_UNIFORM, SESSIONS};
use super::harness::browser;
use local_desktop::{Containment, Desktops, DesktopsConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use test_support::DesktopRoot;

/// Nearest-rank percentile of sorted `values` (p95 of 10 values is the largest).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `cargo xtask bench` (`-- --ignored --nocapture bench_desktops`): over 10 runs each,
/// StartStreamingSession to READY of a real desktop, navigation to a fresh stream URL until
/// Chromium shows a desktop frame, and memory per running desktop.
#[tokio::test]
#[ignore]
async fn bench_desktops() {
    const RUNS: usize = 10;
    let Some(root) = DesktopRoot::new() else {
        panic!("the desktop packages are missing: run `cargo xtask setup`");
    };
    // Streams are READY at once, so (b) measures the viewer and the desktop only.
    let proxy = proxy(&root, Duration::ZERO).await;
    let studio = studio_client(&proxy);
    let desktops = Desktops::new(DesktopsConfig::new(root.path())).unwrap();
    let lighting = session_named(&studio, "Lighting").await;
    let animation = session_named(&studio, "Animation").await;
    let path = format!("{SESSIONS}/{lighting}");

    async fn state(studio: &test_support::Client, path: &str) -> Value {
        studio.get(path).await.json["session"]["state"].clone()
    }
    async fn wait_for(studio: &test_support::Client, path: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let now = state(studio, path).await;
            if now == want {
                return;
            }
            assert!(Instant::now() < deadline, "{path} never {want}: {now}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // (a) StartStreamingSession → READY, as GetStreamingSession reports it.
    let mut start_ms = Vec::new();
    for _ in 0..RUNS {
        let stop = json!({"volumeRetentionMode": "RETAIN"});
        let reply = studio
            .call("POST", &format!("{path}/stop"), Some(stop), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        wait_for(&studio, &path, "STOPPED").await;
        let started = Instant::now();
        let reply = studio
            .call("POST", &format!("{path}/start"), Some(json!({})), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        wait_for(&studio, &path, "READY").await;
        start_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    // For comparison, the launch alone (local-desktop, no API): its own root, one session;
    // with containment (a control group per desktop, as served) and without, interleaved
    // so both see the same machine.
    let (bare, uncontained) = (DesktopRoot::new().unwrap(), DesktopRoot::new().unwrap());
    let roots = (bare.path().to_owned(), uncontained.path().to_owned());
    let (mut launch_ms, mut uncontained_ms, containment) = tokio::task::spawn_blocking(move || {
        let open = |root, containment| {
            let mut config = DesktopsConfig::new(root);
            config.allow_root = true; // CI runs as root; these desktops map no users
            config.containment = containment;
            Desktops::new(config).unwrap()
        };
        let contained = open(roots.0, Containment::Auto);
        let bare = open(roots.1, Containment::Off);
        let time = |desktops: &Desktops| {
            let started = Instant::now();
            desktops.launch("ss-bare-launch").unwrap();
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            desktops.stop("ss-bare-launch").unwrap();
            ms
        };
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            with.push(time(&contained));
            without.push(time(&bare));
        }
        (with, without, contained.containment())
    })
    .await
    .unwrap();
    drop((bare, uncontained));

    // (b) Connect → first desktop frame: from navigating to a fresh stream URL until the
    //     canvas is not uniform, timed in the page (performance.now() counts from the
    //     navigation's start). (c) The desktop's memory after each connection.
    let (driver, client) = browser().await;
    let client = &client;
    let first_frame = format!(
        "{NON_UNIFORM}
const done = arguments[arguments.length - 1];
const limit = performance.now() + 20000;
(function poll() {{
  const n = nonUniform();
  if (n !== null && n > 0) return done(performance.now());
  if (performance.now() > limit) return done(null);
  setTimeout(poll, 5);
}})();"
    );
    let mut frame_ms = Vec::new();
    let (mut pss_mib, mut rss_mib) = (Vec::new(), Vec::new());
    let mut processes = 0;
    for _ in 0..RUNS {
        let reply = studio
            .call(
                "POST",
                &format!("{path}/streams"),
                Some(json!({"expirationInSeconds": 60})),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        assert_eq!(reply.json["stream"]["state"], "READY", "{}", reply.json);
        let url = reply.json["stream"]["url"].as_str().unwrap().to_owned();
        client.goto("about:blank").await.unwrap();
        client.goto(&url).await.unwrap();
        let at = client.execute_async(&first_frame, vec![]).await.unwrap();
        frame_ms.push(
            at.as_f64()
                .expect("a desktop frame within 20 s of navigation"),
        );
        let memory = desktops.memory(&lighting).expect("the desktop runs");
        pss_mib.push(memory.pss_kib as f64 / 1024.0);
        rss_mib.push(memory.rss_kib as f64 / 1024.0);
        processes = memory.processes;
    }
    client.goto("about:blank").await.unwrap();
    let idle = desktops
        .memory(&animation)
        .expect("bob's desktop runs (never connected)");

    for values in [
        &mut start_ms,
        &mut launch_ms,
        &mut uncontained_ms,
        &mut frame_ms,
        &mut pss_mib,
        &mut rss_mib,
    ] {
        values.sort_by(f64::total_cmp);
    }
    println!("\nreal desktops (Xvnc + openbox + xterm, 1280x800), {RUNS} runs each; p95 is the nearest rank (of 10: the largest)");
    println!("{:<58} {:>9} {:>9}", "", "p50", "p95");
    let row = |name: &str, unit: &str, values: &[f64]| {
        println!(
            "{name:<58} {:>6.0} {unit} {:>6.0} {unit}",
            percentile(values, 50.0),
            percentile(values, 95.0)
        )
    };
    row(
        "(a) StartStreamingSession -> READY (GetStreamingSession)",
        "ms",
        &start_ms,
    );
    row(
        "    for comparison: Desktops::launch alone (no API)",
        "ms",
        &launch_ms,
    );
    row(
        "    the same without containment (no control group)",
        "ms",
        &uncontained_ms,
    );
    println!(
        "    containment ({containment}): launch p50 x{:.2} of the uncontained",
        percentile(&launch_ms, 50.0) / percentile(&uncontained_ms, 50.0)
    );
    row(
        "(b) navigation to stream URL -> first frame (Chromium)",
        "ms",
        &frame_ms,
    );
    let row = |name: &str, values: &[f64]| {
        println!(
            "{name:<58} {:>5.1} MiB {:>5.1} MiB",
            percentile(values, 50.0),
            percentile(values, 95.0)
        )
    };
    row(
        &format!("(c) memory per desktop, PSS ({processes} processes)"),
        &pss_mib,
    );
    row("(c) memory per desktop, RSS", &rss_mib);
    println!(
        "    an idle desktop never connected: PSS {:.1} MiB, RSS {:.1} MiB, {} processes",
        idle.pss_kib as f64 / 1024.0,
        idle.rss_kib as f64 / 1024.0,
        idle.processes
    );

    client.clone().close().await.unwrap();
    drop(driver);
    proxy.shutdown().await;
}
