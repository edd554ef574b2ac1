//! `cargo xtask bench` (`-- --ignored --nocapture bench_viewer_fps`): what a desktop whose
//! whole screen changes all the time looks like in the viewer, and what it costs.
//!
//! Lighting's desktop (1280×800) runs an animation: its root window redrawn, as fast as
//! `xsetroot` can, with one random pattern after another, so every frame changes the whole
//! screen. noVNC shows it in headless Chromium through the real bridge, over a [`Relay`]
//! that counts the bytes. Measured over 10 s after a 2 s warm-up:
//! - frames per second the page drew (a sample of the canvas compared every animation
//!   frame, so at most the browser's 60);
//! - bandwidth to the browser;
//! - CPU of the desktop's Xvnc (its encoding) and of the whole desktop (the animation too),
//!   in percent of one core.
//!
//! The other demo desktops are stopped first, so that only this one runs.

use super::desktop::{proxy_with, session_named, studio_client, SESSIONS};
use super::harness::{browser, until};
use super::intermediary::Relay;
use super::page::state_of;
use super::viewer::open_desktop;
use local_desktop::{cpu_time_of, Desktops, DesktopsConfig};
use std::time::{Duration, Instant};
use test_support::DesktopRoot;

const WARM_UP: Duration = Duration::from_secs(2);
const WINDOW_MS: u64 = 10_000;

/// Writes `count` noisy 128×128 X bitmaps into `dir` (xorshift: noise, not secrets).
fn patterns(dir: &std::path::Path, count: usize) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    };
    for n in 0..count {
        let bytes: Vec<String> = (0..128 * 128 / 8)
            .map(|_| format!("0x{:02x}", next()))
            .collect();
        // Short lines: Xlib reads the line that opens the data with a 255-byte buffer.
        let lines: Vec<String> = bytes.chunks(12).map(|line| line.join(", ")).collect();
        let xbm = format!(
            "#define p_width 128\n#define p_height 128\nstatic unsigned char p_bits[] = {{\n{}}};\n",
            lines.join(",\n")
        );
        std::fs::write(dir.join(format!("p{n}.xbm")), xbm).unwrap();
    }
}

/// The page's drawn frames in `WINDOW_MS` (a 16×16 sample of the canvas compared every
/// animation frame), and the time it took (ms).
const COUNT_FRAMES: &str = "
const [windowMs, done] = arguments;
const c = document.querySelector('#screen canvas');
const g = c.getContext('2d');
let last = null, frames = 0;
const start = performance.now();
const tick = () => {
  const d = g.getImageData(c.width >> 1, c.height >> 1, 16, 16).data;
  let sig = 0;
  for (let i = 0; i < d.length; i += 4) sig = (sig * 31 + d[i] + 3 * d[i + 1] + 7 * d[i + 2]) | 0;
  if (sig !== last) { frames += 1; last = sig; }
  const now = performance.now();
  if (now - start < windowMs) requestAnimationFrame(tick); else done([frames, now - start]);
};
requestAnimationFrame(tick);";

#[tokio::test]
#[ignore]
async fn bench_viewer_fps() {
    let Some(root) = DesktopRoot::new() else {
        panic!("the desktop packages are missing: run `cargo xtask setup`");
    };
    let art = tempfile::tempdir().unwrap();
    patterns(art.path(), 6);
    let animation = format!(
        "while :; do for f in {}/*.xbm; do xsetroot -bitmap \"$f\" -fg '#d08030' -bg '#203050'; done; done",
        art.path().display()
    );
    let relay = Relay::start().await;
    let url_base = Some(format!("http://{}/", relay.addr));
    let start_command = Some(vec!["sh".into(), "-c".into(), animation]);
    let alice = portal_proxy::AuthMode::Dev("alice".into());
    let proxy = proxy_with(
        &root,
        Duration::from_millis(200),
        start_command,
        url_base,
        alice,
    )
    .await;
    relay.send_to(proxy.embedded().expect("embedded local-studio").addr());
    let studio = studio_client(&proxy);
    for other in ["Dailies", "Animation"] {
        let id = session_named(&studio, other).await;
        studio
            .act(SESSIONS, &id, "stop", serde_json::json!({}))
            .await;
    }
    let lighting = session_named(&studio, "Lighting").await;
    let desktops = Desktops::new(DesktopsConfig::new(root.path())).unwrap();

    let (_driver, client) = browser().await;
    client
        .goto(&format!("http://{}/", proxy.addr()))
        .await
        .unwrap();
    // A page of 1280×800 (the window's frame around it measured), which fit to window
    // makes the desktop's size too.
    let frame = client
        .execute(
            "return [outerWidth - innerWidth, outerHeight - innerHeight]",
            vec![],
        )
        .await
        .unwrap();
    let (dw, dh) = (frame[0].as_u64().unwrap(), frame[1].as_u64().unwrap());
    client
        .set_window_size(1280 + dw as u32, 800 + dh as u32)
        .await
        .unwrap();
    until(
        Duration::from_secs(30),
        "Lighting READY",
        || state_of(&client, "Lighting"),
        |s| s == "READY",
    )
    .await;
    open_desktop(&client, "Lighting").await;
    tokio::time::sleep(WARM_UP).await;

    let desktop = desktops.find(&lighting).expect("Lighting's desktop runs");
    let xvnc_before = cpu_time_of([desktop.xvnc.pid]);
    let all_before = desktops.cpu_time(&lighting).unwrap();
    let bytes_before = relay.bytes_down();
    let started = Instant::now();
    let counted = client
        .execute_async(COUNT_FRAMES, vec![WINDOW_MS.into()])
        .await
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let xvnc = (cpu_time_of([desktop.xvnc.pid]) - xvnc_before).as_secs_f64();
    let all = (desktops.cpu_time(&lighting).unwrap() - all_before).as_secs_f64();
    let bytes = (relay.bytes_down() - bytes_before) as f64;
    let frames = counted[0].as_f64().unwrap();
    let page_ms = counted[1].as_f64().unwrap();
    let size = client
        .execute(
            "const c = document.querySelector('#screen canvas'); return `${c.width}×${c.height}`;",
            vec![],
        )
        .await
        .unwrap();
    println!(
        "viewer, full-screen change at {}: {:.1} fps drawn, {:.1} Mbit/s to the browser; CPU: Xvnc {:.0}% of a core, the whole desktop (with the animation) {:.0}%",
        size.as_str().unwrap_or("?"),
        frames * 1000.0 / page_ms,
        bytes * 8.0 / wall / 1e6,
        100.0 * xvnc / wall,
        100.0 * all / wall,
    );
    client.close().await.unwrap();
    proxy.shutdown().await;
}
