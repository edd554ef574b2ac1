//! `cargo xtask test`: every check in a fixed order, then one line that sums them.
//! All stages run even after a failure, so one run shows everything that is wrong.

use crate::run::{command, Result};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
}

/// The portal's browser tests (an artist's day, the size budget, real desktops), run on a
/// release build in dist/.
pub const E2E_TESTS: [&str; 7] = [
    "cargo",
    "test",
    "--workspace",
    "--features",
    "studio-portal/e2e",
    "--test",
    "e2e",
];

/// The deploy steps of docs/deploying.md, run on what `cargo xtask dist` wrote to target/dist.
/// `--workspace` as for the native tests: the same features, so no dependency is rebuilt.
const DEPLOY_TESTS: [&str; 7] = [
    "cargo",
    "test",
    "--workspace",
    "--test",
    "deploy",
    "--",
    "--ignored",
];

/// A stage is one or more commands; a check (tidy, fmt, clippy, a build) counts as one test.
struct Stage {
    name: &'static str,
    commands: Vec<Vec<&'static str>>,
    counts_tests: bool,
}

fn stages() -> Vec<Stage> {
    vec![
        // Imports down the layers, long files explained, file names that exist: seconds,
        // and what it finds is cheapest to fix first.
        Stage {
            name: "tidy",
            commands: vec![vec!["cargo", "xtask", "tidy"]],
            counts_tests: false,
        },
        Stage {
            name: "fmt",
            commands: vec![vec!["cargo", "fmt", "--all", "--", "--check"]],
            counts_tests: false,
        },
        Stage {
            name: "clippy",
            commands: vec![
                vec![
                    "cargo",
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    // The browser tests too, which need the feature to build.
                    "--features",
                    "studio-portal/e2e",
                    "--",
                    "-D",
                    "warnings",
                ],
                vec![
                    "cargo",
                    "clippy",
                    "-p",
                    "studio-portal",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ],
            counts_tests: false,
        },
        // The portal's DOM-free unit tests run here too; the wasm stage keeps those that
        // need a browser.
        Stage {
            name: "native tests",
            commands: vec![vec!["cargo", "test", "--workspace"]],
            counts_tests: true,
        },
        Stage {
            name: "wasm tests (headless Chromium)",
            commands: vec![vec![
                "cargo",
                "test",
                "-p",
                "studio-portal",
                "--target",
                "wasm32-unknown-unknown",
                "--lib",
            ]],
            counts_tests: true,
        },
        Stage {
            name: "deploy (docs/deploying.md's steps) and browser end-to-end tests",
            // `dist` is the deploy steps' build; its `trunk build --release` is also the
            // portal that the browser tests load from dist/.
            commands: vec![
                vec!["cargo", "xtask", "dist"],
                DEPLOY_TESTS.to_vec(),
                E2E_TESTS.to_vec(),
            ],
            counts_tests: true,
        },
    ]
}

/// Runs a command, echoing its output, and adds the `test result:` lines it prints.
fn run_counted(args: &[&str], tally: &mut Tally) -> bool {
    let mut child = match command(args[0], &args[1..]).stdout(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(error) => {
            eprintln!("cannot run {}: {error}", args[0]);
            return false;
        }
    };
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            println!("{line}");
            if let Some(result) = line.trim().strip_prefix("test result: ") {
                tally.passed += count(result, " passed");
                tally.failed += count(result, " failed");
            }
        }
    }
    child.wait().map(|s| s.success()).unwrap_or(false)
}

/// Reads `N` in front of `label` in "ok. 5 passed; 0 failed; ...".
fn count(result: &str, label: &str) -> u64 {
    result
        .split(';')
        .find(|part| part.ends_with(label))
        .and_then(|part| part.trim_end_matches(label).rsplit([' ', '.']).next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

pub fn test() -> Result {
    let mut total = Tally::default();
    let mut failed_stages = Vec::new();
    let mut took = Vec::new();
    for stage in stages() {
        println!("\n=== xtask test: {} ===", stage.name);
        let started = std::time::Instant::now();
        let mut tally = Tally::default();
        let mut ok = true;
        for args in &stage.commands {
            if !run_counted(args, &mut tally) {
                ok = false;
                break;
            }
        }
        if !stage.counts_tests {
            tally = Tally::default();
            if ok {
                tally.passed = 1;
            }
        }
        // A build or check that failed without a failing test still counts as a failure.
        if !ok && tally.failed == 0 {
            tally.failed = 1;
        }
        if !ok {
            failed_stages.push(stage.name);
        }
        println!(
            "=== {}: {} passed, {} failed ===",
            stage.name, tally.passed, tally.failed
        );
        took.push((stage.name, started.elapsed()));
        total.passed += tally.passed;
        total.failed += tally.failed;
    }
    // Where a run's time goes, so a slow CI run says which stage to look at.
    println!();
    for (name, elapsed) in took {
        println!("{:>6.0} s  {name}", elapsed.as_secs_f64());
    }
    println!();
    if !failed_stages.is_empty() {
        println!("failed stages: {}", failed_stages.join(", "));
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    if failed_stages.is_empty() {
        Ok(())
    } else {
        Err("some checks failed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn reads_cargo_and_wasm_bindgen_result_lines() {
        let line = "ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out";
        assert_eq!(count(line, " passed"), 12);
        assert_eq!(count(line, " failed"), 0);
        assert_eq!(count("FAILED. 3 passed; 2 failed; 0 ignored", " failed"), 2);
    }
}
