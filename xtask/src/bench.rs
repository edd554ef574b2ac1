//! `cargo xtask bench`: every benchmark in one run, so the figures are comparable.

use crate::run::{run, Result};

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
    println!("\n=== portal-proxy: overhead against local-studio, and fan-in ===");
    run("cargo", &["bench", "-p", "portal-proxy"])?;
    println!("\n=== portal: dist/ sizes and time to first session list ===");
    run("trunk", &["build", "--release"])?;
    // The same (debug) test build as `cargo xtask test`; the browser does the work measured.
    let args = [
        "test",
        "--workspace",
        "--features",
        "studio-portal/e2e",
        "--test",
        "e2e",
    ];
    run(
        "cargo",
        &[&args[..], &["--", "--ignored", "--nocapture", "bench"]].concat(),
    )
}
