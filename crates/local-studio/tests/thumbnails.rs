//! Live thumbnails of real desktops: a JPEG 320 pixels wide, taken from the desktop's
//! framebuffer, that changes once the desktop does (at most every 10 s); for the owner's
//! path always, for a colleague only while it is shared with them; none once stopped.

mod workstations;

use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;
use workstations::*;

const STUDIO: &str = "/2020-08-01/studios/desk-studio";

/// Paints the desktop's background `colour`, as a program on it would.
fn paint(host: &Host, session: &str, colour: &str) {
    let record = host.record(session).unwrap();
    let status = Command::new("timeout")
        .args(["10", "xsetroot", "-solid", colour])
        .env("DISPLAY", format!(":{}", record["display"]))
        .env("XAUTHORITY", record["xauthority"].as_str().unwrap())
        .stderr(Stdio::null())
        .status()
        .expect("xsetroot (`cargo xtask setup` installs it)");
    assert!(status.success());
}

#[tokio::test]
async fn a_ready_desktops_thumbnail_follows_the_desktop_and_is_shown_only_to_whom_it_may_be() {
    let Some(host) = Host::new() else { return };
    let studio = test_support::start(host.config(4)).await;
    let alice = create(&studio, "alice").await;
    wait_for(&studio, &alice, "READY").await;
    let owners = format!("{STUDIO}/streaming-sessions/{alice}/thumbnail");
    let bobs = format!("{STUDIO}/artists/bob/shared-sessions/{alice}/thumbnail");

    paint(&host, &alice, "#ff0000");
    let (status, first, red) = studio.thumbnail(&owners).await;
    assert_eq!(status, 200, "{first}");
    let picture = &first["thumbnail"];
    assert_eq!(
        (picture["width"].as_i64(), picture["height"].as_i64()),
        (Some(320), Some(240))
    );
    assert_eq!(picture["contentType"], "image/jpeg");
    let red = red.unwrap();
    assert_eq!(&red[..2], &[0xFF, 0xD8], "a JPEG");

    // Within 10 s the same picture is served, even after the desktop changed.
    paint(&host, &alice, "#0000ff");
    let (_, again, same) = studio.thumbnail(&owners).await;
    assert_eq!(again["thumbnail"]["takenAt"], first["thumbnail"]["takenAt"]);
    assert_eq!(same.unwrap(), red);
    // Then a new one, of the desktop as it is now.
    studio.server.advance_clock(Duration::from_secs(10));
    let (_, later, blue) = studio.thumbnail(&owners).await;
    assert_ne!(later["thumbnail"]["takenAt"], first["thumbnail"]["takenAt"]);
    assert_ne!(blue.as_ref(), Some(&red), "the picture follows the desktop");

    // A colleague sees it only while it is shared with them, and otherwise hears of no
    // such session.
    let (status, refused, _) = studio.thumbnail(&bobs).await;
    assert_eq!(status, 404, "{refused}");
    let share = format!("{STUDIO}/streaming-sessions/{alice}/shares/bob");
    let shared = studio.call("PUT", &share, Some(json!({})), None).await;
    assert_eq!(shared.status, 200);
    let (status, seen, his) = studio.thumbnail(&bobs).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(his, blue);

    act(&studio, &alice, "stop", json!({})).await;
    wait_for(&studio, &alice, "STOPPED").await;
    let (status, stopped, _) = studio.thumbnail(&owners).await;
    assert_eq!(status, 409, "{stopped}");
}

/// `cargo xtask bench`: what a thumbnail costs, in CPU time of this process (local-studio
/// reading, scaling and encoding it) and of the desktop's Xvnc (sending its framebuffer), at
/// 1280×800 with a full-screen picture that changes every time; and what that is, as a share
/// of one core, at the cards' rate of one every 10 s per desktop.
#[tokio::test]
#[ignore]
async fn bench_thumbnail_cost() {
    let Some(host) = Host::new() else { return };
    let mut config = host.config(2);
    if let Some(desktops) = config.desktops.as_mut() {
        (desktops.width, desktops.height) = (1280, 800);
    }
    let studio = test_support::start(config).await;
    let alice = create(&studio, "alice").await;
    wait_for(&studio, &alice, "READY").await;
    let path = format!("{STUDIO}/streaming-sessions/{alice}/thumbnail");
    let xvnc = host.xvnc_pid(&alice).unwrap() as u32;
    let self_cpu = || local_desktop::cpu_time_of([std::process::id()]);
    const TAKEN: u32 = 20;
    let (mut ours, mut xvncs, mut bytes) = (Duration::ZERO, Duration::ZERO, 0);
    for i in 0..TAKEN {
        paint(
            &host,
            &alice,
            &format!("#{:02x}40{:02x}", i * 12, 255 - i * 12),
        );
        studio.server.advance_clock(Duration::from_secs(10));
        let (before, xvnc_before) = (self_cpu(), local_desktop::cpu_time_of([xvnc]));
        let (status, answer, jpeg) = studio.thumbnail(&path).await;
        assert_eq!(status, 200, "{answer}");
        ours += self_cpu() - before;
        xvncs += local_desktop::cpu_time_of([xvnc]) - xvnc_before;
        bytes += jpeg.unwrap().len();
    }
    let per = |total: Duration| total.as_secs_f64() * 1000.0 / f64::from(TAKEN);
    let (ours, xvncs) = (per(ours), per(xvncs));
    println!(
        "thumbnail of a 1280x800 desktop, 320 px JPEG ({} B on average): local-studio {ours:.1} ms CPU, Xvnc {xvncs:.1} ms CPU each; at one per 10 s: {:.2}% of a core per desktop ({TAKEN} taken; CPU clock ticks are 10 ms)",
        bytes / TAKEN as usize,
        (ours + xvncs) / 10_000.0 * 100.0
    );
}
