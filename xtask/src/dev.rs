//! `cargo xtask dev`: portal-proxy (with its embedded local-studio and demo data) on
//! 127.0.0.1:8080 and `trunk serve` on 127.0.0.1:8081, which proxies /api to it
//! (Trunk.toml's [[proxy]]). Ctrl-C stops both.

use crate::run::{command, root, run, target_dir, Result};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PROXY_ADDR: &str = "127.0.0.1:8080";
const PORTAL_PORT: &str = "8081";

pub fn dev(extra_proxy_args: &[String]) -> Result {
    run("cargo", &["build", "-p", "portal-proxy"])?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;

    let proxy_bin = target_dir().join("debug/portal-proxy");
    // The page's origin is Trunk's, and Trunk's proxy sends the proxy its own Host.
    let portal_origin = format!("http://127.0.0.1:{PORTAL_PORT}");
    let mut proxy_args = vec![
        "--listen",
        PROXY_ADDR,
        "--upstream",
        "embedded",
        "--auth",
        "dev:alice",
        "--public-origin",
        &portal_origin,
    ];
    // Real desktops for the demo when the packages are there (set-up installs them as
    // root); otherwise local-studio says why and simulates them.
    // A desktop's VNC socket path lives under this folder and must fit in 107 bytes.
    let mut desktops = root().join(".data/desktops").to_string_lossy().into_owned();
    if desktops.len() > 48 {
        desktops = "/tmp/studio-portal-desktops".into();
    }
    let viewer = root()
        .join(".tools/desktop-viewer")
        .to_string_lossy()
        .into_owned();
    if std::path::Path::new("/usr/bin/Xvnc").exists() {
        proxy_args.extend(["--desktops-dir", &desktops, "--viewer-dir", &viewer]);
        if is_root() {
            // The demo maps no artists to OS users; as root its desktops would run as root,
            // which local-studio refuses unless told this is a single-user host.
            println!("xtask dev: running as root, so the demo's desktops run as root (--single-user-desktops-as-root): fine for a demo on your own machine, never for a shared host");
            proxy_args.push("--single-user-desktops-as-root");
        }
    } else {
        println!("xtask dev: Xvnc is not installed, so the demo workstations are simulated (run `cargo xtask setup` as root to get real desktops)");
    }
    proxy_args.extend(extra_proxy_args.iter().map(String::as_str));
    let mut children = vec![spawn(&proxy_bin.to_string_lossy(), &proxy_args)?];
    // A separate dist folder: `trunk serve` would otherwise overwrite the release dist/.
    let dev_dist = target_dir().join("dev-dist");
    let dev_dist = dev_dist.to_string_lossy();
    match spawn(
        "trunk",
        &[
            "serve",
            "--address",
            "127.0.0.1",
            "--port",
            PORTAL_PORT,
            "--dist",
            &dev_dist,
        ],
    ) {
        Ok(child) => children.push(child),
        Err(error) => {
            stop_all(&mut children);
            return Err(error);
        }
    }
    println!(
        "\n  studio-portal is starting: open http://127.0.0.1:{PORTAL_PORT}/  \
         (signed in as alice; API on http://{PROXY_ADDR}). Ctrl-C stops it.\n"
    );

    while !stop.load(Ordering::SeqCst) {
        if let Some(exited) = children
            .iter_mut()
            .find_map(|c| c.try_wait().ok().flatten())
        {
            stop_all(&mut children);
            return Err(format!(
                "a dev server exited ({exited}); see its output above"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("\nstopping…");
    stop_all(&mut children);
    Ok(())
}

fn spawn(program: &str, args: &[&str]) -> Result<Child> {
    command(program, args)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))
}

/// Asks each child to stop (SIGTERM, so servers shut down gracefully), then waits.
fn stop_all(children: &mut [Child]) {
    for child in children.iter() {
        let _ = command("kill", &["-TERM", &child.id().to_string()]).status();
    }
    for child in children.iter_mut() {
        for _ in 0..50 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Whether this process runs as root (it owns its own /proc entry as uid 0).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}
