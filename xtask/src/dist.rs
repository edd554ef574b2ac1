//! `cargo xtask dist [DIR]`: everything a server needs, built and gathered in one folder
//! (default `target/dist`):
//!
//! - `portal/`: the built portal (`trunk build --release`, run with the same PATH as
//!   `cargo xtask test`, so the project's pinned wasm-opt in `.tools` is found), with the
//!   admin page in `portal/admin/` ([`ADMIN_BUILD`], after it: Trunk empties its dist);
//! - `portal-proxy` and `local-studio`: the two servers, `--profile server`;
//! - `desktop-viewer/`: the noVNC viewer local-studio serves for real desktops;
//! - `deploy/systemd/`: the units that run both servers, with their environment files.
//!
//! What it does is first written down as a [`Step`] list ([`plan`]), which a test checks
//! without building anything; [`dist`] then carries the steps out.

use crate::run::{command, root, target_dir, Result};
use std::path::{Path, PathBuf};

/// Builds the admin page (`crates/admin`) into dist/admin/. After the artists' build,
/// which empties dist/.
pub const ADMIN_BUILD: [&str; 5] = [
    "trunk",
    "build",
    "--release",
    "--config",
    "crates/admin/Trunk.toml",
];

/// One thing `dist` does.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// A command run from the workspace root with the tool PATH of `run::command`.
    Run(Vec<String>),
    /// A file or folder copied; an older copy at `to` is replaced.
    Copy { from: PathBuf, to: PathBuf },
}

/// The steps that gather a deployment in `out`, for a workspace at `root` whose cargo
/// builds land in `target`.
pub fn plan(root: &Path, target: &Path, out: &Path) -> Vec<Step> {
    let run = |args: &[&str]| Step::Run(args.iter().map(|a| a.to_string()).collect());
    let copy = |from: PathBuf, to: &str| Step::Copy {
        from,
        to: out.join(to),
    };
    let binaries = target.join("server");
    vec![
        run(&["trunk", "build", "--release"]),
        run(&ADMIN_BUILD),
        run(&[
            "cargo",
            "build",
            "--profile",
            "server",
            "-p",
            "portal-proxy",
            "-p",
            "local-studio",
        ]),
        copy(root.join("dist"), "portal"),
        copy(binaries.join("portal-proxy"), "portal-proxy"),
        copy(binaries.join("local-studio"), "local-studio"),
        copy(root.join(".tools/desktop-viewer"), "desktop-viewer"),
        copy(root.join("deploy/systemd"), "deploy/systemd"),
    ]
}

pub fn dist(args: &[String]) -> Result {
    let root = root();
    let out = match args {
        [] => root.join("target/dist"),
        [dir] => std::env::current_dir()
            .map_err(|e| format!("no current folder: {e}"))?
            .join(dir),
        _ => return Err("usage: cargo xtask dist [DIR]".into()),
    };
    let started = std::time::Instant::now();
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    for step in plan(&root, &target_dir(), &out) {
        match step {
            Step::Run(args) => {
                println!("xtask dist: {}", args.join(" "));
                let status = command(&args[0], &[])
                    .args(&args[1..])
                    .status()
                    .map_err(|e| format!("cannot run {}: {e}", args[0]))?;
                if !status.success() {
                    return Err(format!("`{}` failed ({status})", args.join(" ")));
                }
            }
            Step::Copy { from, to } => {
                copy(&from, &to)?;
                println!("xtask dist: wrote {}", to.display());
            }
        }
    }
    println!(
        "xtask dist: done in {:.0} s: {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Copies a file, or a folder with everything in it, replacing what is at `to`.
fn copy(from: &Path, to: &Path) -> Result {
    let error =
        |e: std::io::Error| format!("cannot copy {} to {}: {e}", from.display(), to.display());
    if to.is_dir() {
        std::fs::remove_dir_all(to).map_err(error)?;
    }
    if !from.is_dir() {
        std::fs::copy(from, to).map_err(error)?;
        return Ok(());
    }
    std::fs::create_dir_all(to).map_err(error)?;
    for entry in std::fs::read_dir(from).map_err(error)? {
        let entry = entry.map_err(error)?;
        copy(&entry.path(), &to.join(entry.file_name()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::tool_path;

    #[test]
    fn the_plan_builds_both_pages_with_the_tool_path_and_gathers_five_things() {
        let (root, target, out) = (Path::new("/w"), Path::new("/t"), Path::new("/o"));
        let steps = plan(root, target, out);
        let runs: Vec<String> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Run(args) => Some(args.join(" ")),
                Step::Copy { .. } => None,
            })
            .collect();
        assert_eq!(
            runs,
            [
                "trunk build --release",
                "trunk build --release --config crates/admin/Trunk.toml",
                "cargo build --profile server -p portal-proxy -p local-studio"
            ]
        );
        let copies: Vec<(PathBuf, PathBuf)> = steps
            .into_iter()
            .filter_map(|s| match s {
                Step::Copy { from, to } => Some((from, to)),
                Step::Run(_) => None,
            })
            .collect();
        let pair = |a: &str, b: &str| (PathBuf::from(a), PathBuf::from(b));
        assert_eq!(
            copies,
            [
                pair("/w/dist", "/o/portal"),
                pair("/t/server/portal-proxy", "/o/portal-proxy"),
                pair("/t/server/local-studio", "/o/local-studio"),
                pair("/w/.tools/desktop-viewer", "/o/desktop-viewer"),
                pair("/w/deploy/systemd", "/o/deploy/systemd"),
            ]
        );
    }

    /// trunk finds wasm-opt only on PATH: the commands run with the project's tools first,
    /// exactly as `cargo xtask test` runs them.
    #[test]
    fn commands_run_with_the_pinned_wasm_opt_first_on_path() {
        let wasm_opt_dir = root().join(".tools/binaryen/node_modules/.bin");
        let path = command("trunk", &[])
            .get_envs()
            .find(|(name, _)| *name == "PATH")
            .and_then(|(_, value)| value.map(|v| v.to_owned()))
            .expect("dist's commands set PATH");
        assert_eq!(path, std::ffi::OsString::from(tool_path()));
        let first = std::env::split_paths(&path).next();
        assert_eq!(first, Some(wasm_opt_dir));
    }

    /// The deploy steps (docs/deploying.md) build with this command: a bare `trunk build`
    /// there fails on a machine set up by `cargo xtask setup` (wasm-opt is not on PATH).
    #[test]
    fn the_deploy_steps_build_with_this_command() {
        let path = root().join("docs/deploying.md");
        let deploying = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(deploying.contains("cargo xtask dist"), "{deploying}");
        assert!(!deploying.contains("`trunk build"), "{deploying}");
    }
}
