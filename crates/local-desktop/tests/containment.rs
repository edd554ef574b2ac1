//! Containment: every process of a desktop ends with it, whatever it did to escape, and the
//! limits hold for the desktop as a whole. Runs as root (CI), where control groups can be
//! made; skipped otherwise. Processes run as `nobody`, an unprivileged user every base
//! system has, as an artist's desktop would on a shared host.

mod common;

use common::desktops;
use local_desktop::{Containment, DesktopError, Limits};

/// Live processes whose command line holds `needle`.
fn running(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = state
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'));
            !zombie
                && String::from_utf8_lossy(&cmd)
                    .replace('\0', " ")
                    .contains(needle)
        })
        .collect()
}

fn is_root() -> bool {
    let root = nix::unistd::Uid::effective().is_root();
    if !root {
        eprintln!("skipped: only root can make control groups and switch users");
    }
    root
}

/// A terminal that first detaches `sleep SECONDS` twice: `setsid -f` with a cleared
/// environment, and a double fork. Neither keeps the desktop's mark or process group.
fn escaping(seconds: u32) -> Vec<String> {
    let script =
        format!("setsid -f env -i sleep {seconds}; (setsid env -i sleep {seconds} &); exec xterm");
    ["sh", "-c", &script].map(String::from).to_vec()
}

#[test]
fn detached_processes_end_with_the_desktop_in_v1_and_v2() {
    if !is_root() {
        return;
    }
    for (containment, seconds) in [(Containment::Auto, 6101), (Containment::V2, 6102)] {
        let Some(desktops) = desktops(|c| c.containment = containment) else {
            return;
        };
        println!("containment: {}", desktops.containment());
        assert!(
            !desktops.containment().starts_with("no control groups"),
            "{}",
            desktops.containment()
        );
        desktops
            .launch_as("ss-escape", &escaping(seconds), Some("nobody"))
            .expect("launch");
        let needle = format!("sleep {seconds}");
        common::eventually("both escapes running", || running(&needle).len() == 2);
        desktops.stop("ss-escape").expect("stop");
        assert_eq!(
            running(&needle),
            Vec::<u32>::new(),
            "{containment:?}: nothing outlives Stop"
        );
    }
}

#[test]
fn the_pids_limit_holds_for_the_whole_desktop() {
    if !is_root() {
        return;
    }
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let script = "for i in $(seq 60); do sleep 6103 & done; exec xterm";
    let command = ["sh", "-c", script].map(String::from).to_vec();
    let limits = Limits {
        pids_max: Some(24),
        memory_max_bytes: Some(512 << 20),
        ..Limits::default()
    };
    desktops
        .launch_limited("ss-pids", &command, Some("nobody"), &limits)
        .expect("launch");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sleeping = running("sleep 6103").len();
    assert!(
        sleeping > 0 && sleeping < 24,
        "{sleeping} sleeps: the limit of 24 holds"
    );
    let xvnc = desktops.find("ss-pids").unwrap().xvnc.pid;
    let groups = std::fs::read_to_string(format!("/proc/{xvnc}/cgroup")).unwrap();
    let memory = groups
        .lines()
        .find_map(|l| l.split_once(":memory:").map(|(_, p)| p.to_owned()));
    if let Some(path) = memory {
        let limit =
            std::fs::read_to_string(format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"))
                .unwrap();
        assert_eq!(
            limit.trim(),
            (512u64 << 20).to_string(),
            "the memory limit is the kernel's"
        );
    }
    desktops.stop("ss-pids").expect("stop");
    assert!(running("sleep 6103").is_empty());
}

#[test]
fn desktop_processes_cannot_gain_privileges_and_dump_no_core() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let desktop = desktops.launch("ss-privs").expect("launch");
    for process in [desktop.xvnc, desktop.window_manager, desktop.app] {
        let status = std::fs::read_to_string(format!("/proc/{}/status", process.pid)).unwrap();
        assert!(
            status.contains("NoNewPrivs:\t1"),
            "pid {}: {status}",
            process.pid
        );
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", process.pid)).unwrap();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        assert_eq!(core.split_whitespace().nth(4), Some("0"), "{core}");
    }
    desktops.stop("ss-privs").unwrap();
}

#[test]
fn a_root_server_starts_no_desktop_as_root_unless_allowed() {
    if !is_root() {
        return;
    }
    let Some(desktops) = desktops(|c| c.allow_root = false) else {
        return;
    };
    let error = desktops.launch("ss-root").expect_err("refused");
    assert!(matches!(error, DesktopError::RunAs { .. }), "{error:?}");
    assert!(desktops.find("ss-root").is_none());
    assert!(
        !desktops.dir.path().join("run/ss-root").exists(),
        "nothing started"
    );
    assert!(desktops.check_launch_user(None).is_err());
    assert!(desktops.check_launch_user(Some("nobody")).is_ok());
}
