//! `cargo xtask dev`: portal-proxy (with its embedded local-studio and demo data) on
//! 127.0.0.1:8080 and `trunk serve` on 127.0.0.1:8081, which proxies /api to it. What they
//! are started with is `dev_plan.rs`, shared with the browser test of this journey.
//! Ctrl-C stops both.

use crate::run::{command, root, run, target_dir, Result};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use xtask::dev_plan::{self, DemoDesktops, RealDesktops, DEV_PORTS};

pub fn dev(extra_proxy_args: &[String]) -> Result {
    run("cargo", &["build", "-p", "portal-proxy"])?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;

    let proxy_bin = target_dir().join("debug/portal-proxy");
    let mut proxy_args = dev_plan::proxy_args(DEV_PORTS, &demo_desktops());
    proxy_args.extend_from_slice(extra_proxy_args);
    let proxy_args: Vec<&str> = proxy_args.iter().map(String::as_str).collect();
    let mut children = vec![spawn(&proxy_bin.to_string_lossy(), &proxy_args)?];
    // A separate dist folder: `trunk serve` would otherwise overwrite the release dist/.
    let trunk_args = dev_plan::trunk_args(DEV_PORTS, &target_dir().join("dev-dist"));
    let trunk_args: Vec<&str> = trunk_args.iter().map(String::as_str).collect();
    match spawn("trunk", &trunk_args) {
        Ok(child) => children.push(child),
        Err(error) => {
            stop_all(&mut children);
            return Err(error);
        }
    }
    println!(
        "\n  studio-portal is starting: open {}/  (signed in as alice; API on \
         http://127.0.0.1:{}). Ctrl-C stops it.\n",
        DEV_PORTS.portal_origin(),
        DEV_PORTS.proxy
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

/// Real desktops when their packages are there (set-up installs them as root); otherwise
/// local-studio simulates the workstations, and this says why.
fn demo_desktops() -> DemoDesktops {
    // A desktop's VNC socket path lives under this folder and must fit in 107 bytes.
    let mut dir = root().join(".data/desktops");
    if dir.as_os_str().len() > 48 {
        dir = "/tmp/studio-portal-desktops".into();
    }
    let as_root = is_root();
    let real = RealDesktops {
        dir,
        viewer: root().join(".tools/desktop-viewer"),
        as_root,
    };
    let plan = dev_plan::demo_desktops(&dev_plan::missing_desktop_packages(), real);
    match &plan {
        DemoDesktops::Simulated { why } => println!("xtask dev: {why}"),
        DemoDesktops::Real(_) if as_root => println!(
            "xtask dev: running as root, so the demo's desktops run as root \
             (--single-user-desktops-as-root): fine for a demo on your own machine, never \
             for a shared host"
        ),
        DemoDesktops::Real(_) => {}
    }
    plan
}

/// Whether this process runs as root (it owns its own /proc entry as uid 0).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}
