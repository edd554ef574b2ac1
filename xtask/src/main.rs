//! `cargo xtask <command>`: the project's own entry points, so that a fresh machine, a
//! developer and CI all run exactly the same steps.
//!
//! - `setup`: install what a fresh machine lacks (skips what is already there).
//! - `dev`:   portal-proxy with the embedded local-studio and demo data, plus `trunk serve`.
//! - `tidy`:  the house rules the compiler does not check (layers, file length, names).
//! - `test`:  tidy, fmt, clippy, native tests, wasm tests, browser end-to-end tests.
//! - `bench`: the benchmarks, printed side by side.
//! - `dist`:  the portal, both servers and the desktop viewer, built into one folder.

mod bench;
mod dev;
mod dist;
mod setup;
mod test;
mod tidy;

use std::process::ExitCode;
use xtask::run;

const USAGE: &str = "usage: cargo xtask <setup|dev|tidy|test|bench|dist [DIR]>

  setup   install the build tools, the desktop packages (as root), and the test tools
          (Chromium, nginx, moto); dev and dist install only what they need
  dev     run the portal with the embedded local-studio and demo data
  tidy    check that imports go down the layers, that long files say why, and that
          comments name files that exist
  test    run every check and test; ends with 'N passed, N failed'
  bench   print the benchmark figures
  dist    build the portal, portal-proxy, local-studio and the desktop viewer into DIR
          (default target/dist), ready to copy to a server";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::setup(),
        Some("dev") => setup::for_dev().and_then(|()| dev::dev(&args[1..])),
        Some("tidy") => tidy::tidy(),
        Some("test") => setup::setup().and_then(|()| test::test()),
        Some("bench") => setup::setup().and_then(|()| bench::bench()),
        Some("dist") => setup::for_dev().and_then(|()| dist::dist(&args[1..])),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
