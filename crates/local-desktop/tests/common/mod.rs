//! Shared by the desktop tests: a fresh root per test, and a guard that stops every desktop
//! under it when the test ends, passed or failed, so no test leaves an Xvnc behind.
//!
//! The tests start real processes. They are skipped, with the reason printed, only when the
//! programs are missing and the tests do not run as root; as root (CI), a missing program is a
//! failure: run `cargo xtask setup`.

#![allow(dead_code)] // each test file uses a different part of this module

use local_desktop::{Desktops, DesktopsConfig};
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// Desktops under a temporary root, all stopped on drop.
pub struct TestDesktops {
    pub desktops: Desktops,
    pub dir: tempfile::TempDir,
}

impl std::ops::Deref for TestDesktops {
    type Target = Desktops;
    fn deref(&self) -> &Desktops {
        &self.desktops
    }
}

impl Drop for TestDesktops {
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("run")) else {
            return;
        };
        for name in entries.filter_map(|e| e.ok()?.file_name().into_string().ok()) {
            if let Err(e) = self.desktops.stop(&name) {
                eprintln!("cleanup: {e}");
            }
        }
    }
}

/// Desktops with `edit` applied to the default configuration, or `None` (test skipped).
pub fn desktops(edit: impl FnOnce(&mut DesktopsConfig)) -> Option<TestDesktops> {
    if let Err(missing) = Desktops::check_installed() {
        if nix::unistd::Uid::effective().is_root() {
            panic!("running as root, so the desktop tests must run: {missing}");
        }
        eprintln!("skipped: {missing}");
        return None;
    }
    // A short root: the VNC socket path must fit in 107 bytes.
    let dir = tempfile::Builder::new()
        .prefix("ld")
        .tempdir_in("/tmp")
        .expect("temp root");
    let mut config = DesktopsConfig::new(dir.path());
    config.width = 800;
    config.height = 600;
    // These tests are about the mechanism; tests/containment.rs holds root to its rules.
    config.allow_root = true;
    edit(&mut config);
    let desktops = Desktops::new(config).expect("open the desktops root");
    Some(TestDesktops { desktops, dir })
}

/// The first 12 bytes the VNC server sends on `socket`.
pub fn rfb_greeting(socket: &Path) -> String {
    let mut stream = UnixStream::connect(socket).expect("connect to the VNC socket");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut greeting = [0u8; 12];
    stream
        .read_exact(&mut greeting)
        .expect("read the RFB greeting");
    String::from_utf8_lossy(&greeting).into_owned()
}

/// The environment of a process as `NAME=VALUE` strings.
pub fn environ(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// Pids of live processes whose environment names `run_dir` as their desktop.
pub fn processes_of(run_dir: &Path) -> Vec<u32> {
    let marker = format!("LOCAL_DESKTOP={}", run_dir.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| environ(*pid).contains(&marker) && !is_zombie(*pid))
        .collect()
}

fn is_zombie(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .is_none_or(|rest| rest.trim_start().starts_with('Z'))
}

/// The short command name of a process.
pub fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Polls `condition` for up to 5 s.
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
