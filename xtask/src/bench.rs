//! `cargo xtask bench`: every benchmark in one run, so the figures are comparable.

use crate::dist::ADMIN_BUILD;
use crate::run::{run, Result};
use crate::test::E2E_TESTS;

pub fn bench() -> Result {
    println!("=== local-studio: GetStreamingSession and full ListStreamingSessions walks ===");
    run("cargo", &["bench", "-p", "local-studio"])?;
    run(
        "cargo",
        &[
            "test",
            "--workspace",
            "--exclude",
            "studio-portal",
            "--lib",
            "--",
            "--ignored",
            "million",
            "--nocapture",
        ],
    )?;
    println!("\n=== idle detection per desktop: input accounting and the activity sampler ===");
    run("cargo", &["bench", "-p", "local-desktop"])?;
    println!("\n=== portal-proxy: overhead against local-studio, and fan-in ===");
    run("cargo", &["bench", "-p", "portal-proxy"])?;
    println!("\n=== desktop thumbnails: CPU per picture, and per desktop at one every 10 s ===");
    let bench = ["--test", "thumbnails", "--", "--ignored", "--nocapture"];
    run(
        "cargo",
        &[&["test", "-p", "local-studio"][..], &bench[..]].concat(),
    )?;
    println!(
        "\n=== live updates: upstream calls with 500 event streams, against polling; memory ==="
    );
    run(
        "cargo",
        &[
            "test",
            "-p",
            "portal-proxy",
            "--test",
            "live_bench",
            "--",
            "--ignored",
            "--nocapture",
        ],
    )?;
    println!("\n=== the morning rush: 500 scheduled starts in one minute, 500 pages listening ===");
    run(
        "cargo",
        &[
            "test",
            "-p",
            "portal-proxy",
            "--test",
            "rush_bench",
            "--",
            "--ignored",
            "--nocapture",
        ],
    )?;
    println!("\n=== portal: dist/ sizes against the budget, and time to first session list ===");
    run("trunk", &["build", "--release"])?;
    run(ADMIN_BUILD[0], &ADMIN_BUILD[1..])?;
    // The same (debug) test build as `cargo xtask test`; the browser does the work measured.
    // It prints the first load's size with its margin to the budget that test enforces.
    let bench = ["--", "--ignored", "--nocapture", "bench_first_render"];
    run(E2E_TESTS[0], &[&E2E_TESTS[1..], &bench[..]].concat())?;
    println!("\n=== admin page: first load and time to first rows, 5,000 workstations stored ===");
    let bench = ["--", "--ignored", "--nocapture", "bench_admin_first_rows"];
    run(E2E_TESTS[0], &[&E2E_TESTS[1..], &bench[..]].concat())?;
    println!(
        "\n=== live updates in Chromium: READY to the tab opening, a change to a second page ==="
    );
    let bench = ["--", "--ignored", "--nocapture", "bench_live"];
    run(E2E_TESTS[0], &[&E2E_TESTS[1..], &bench[..]].concat())?;
    println!("\n=== real desktops: start to READY, Connect to first frame in Chromium, memory ===");
    let bench = ["--", "--ignored", "--nocapture", "bench_desktops"];
    run(E2E_TESTS[0], &[&E2E_TESTS[1..], &bench[..]].concat())?;
    println!("\n=== the desktop viewer: a full-screen animation, and reconnect after a cut ===");
    let bench = ["--", "--ignored", "--nocapture", "bench_viewer_fps"];
    run(E2E_TESTS[0], &[&E2E_TESTS[1..], &bench[..]].concat())?;
    let bench = ["--", "--ignored", "--nocapture", "bench_reconnect"];
    run(E2E_TESTS[0], &[&E2E_TESTS[1..], &bench[..]].concat())
}
