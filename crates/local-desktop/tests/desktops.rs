//! A desktop's life with real processes: it starts and greets in RFB, runs its application in
//! the artist's home, is never started twice, stops completely, is seen dead when its X server
//! is killed, is found again by a restarted server, and respects the per-host limit.

mod common;

use common::{comm, desktops, environ, eventually, processes_of, rfb_greeting};
use local_desktop::{Desktop, DesktopError, Desktops};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::process::Command;

#[test]
fn launch_greets_in_rfb_runs_the_app_at_home_and_stops_completely() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let desktop = desktops.launch("ss-one").expect("launch");

    assert_eq!(rfb_greeting(&desktop.vnc_socket), "RFB 003.008\n");
    let socket = std::fs::metadata(&desktop.vnc_socket).unwrap();
    assert!(socket.file_type().is_socket());
    assert_eq!(
        socket.mode() & 0o777,
        0o600,
        "only the desktop's user may connect"
    );
    assert_eq!(comm(desktop.app.pid), "xterm");
    let home = format!("HOME={}", desktop.home.display());
    assert!(
        environ(desktop.app.pid).contains(&home),
        "xterm runs with {home}"
    );
    assert_eq!(
        std::fs::read_link(format!("/proc/{}/cwd", desktop.app.pid)).unwrap(),
        desktop.home
    );
    let without_cookie = Command::new("xprop")
        .args(["-root", "-display", &format!(":{}", desktop.display)])
        .env("XAUTHORITY", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        !without_cookie.status.success(),
        "the display refuses clients without the cookie"
    );
    eventually("the xterm window on screen", || {
        window_names(&desktop).contains("\"xterm\"")
    });
    assert!(
        !environ(desktop.app.pid)
            .iter()
            .any(|v| v.starts_with("CARGO")),
        "the server's environment is not passed on"
    );

    let again = desktops.launch("ss-one").expect("second launch");
    assert_eq!(again, desktop, "a second launch returns the same desktop");
    let run_dir = desktop
        .vnc_socket
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    let xvncs = processes_of(&run_dir)
        .into_iter()
        .filter(|p| comm(*p) == "Xvnc")
        .count();
    assert_eq!(xvncs, 1, "never two X servers for one session");
    assert_eq!(desktops.running(), 1);
    assert!(desktops
        .memory("ss-one")
        .is_some_and(|m| m.pss_kib > 0 && m.processes >= 3));

    desktops.stop("ss-one").expect("stop");
    assert_eq!(
        processes_of(&run_dir),
        Vec::<u32>::new(),
        "no process of the desktop is left"
    );
    assert!(!desktop.xvnc.is_alive() && !desktop.app.is_alive());
    assert!(!run_dir.exists(), "run files removed");
    assert!(desktop.home.is_dir(), "the home stays");
    assert_eq!(desktops.find("ss-one"), None);
    assert_eq!(desktops.running(), 0);
    desktops
        .stop("ss-one")
        .expect("stopping a stopped desktop is fine");
}

/// The X window tree of the desktop, as `xwininfo` prints it (with the desktop's cookie).
fn window_names(desktop: &Desktop) -> String {
    let out = Command::new("xwininfo")
        .args(["-root", "-tree"])
        .env("DISPLAY", format!(":{}", desktop.display))
        .env("XAUTHORITY", &desktop.xauthority)
        .output()
        .expect("run xwininfo");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_killed_x_server_is_noticed_and_a_new_launch_works() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let first = desktops.launch("ss-kill").expect("launch");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first.xvnc.pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    eventually("find to notice the dead Xvnc", || {
        desktops.find("ss-kill").is_none()
    });
    assert_eq!(desktops.running(), 0);

    let second = desktops.launch("ss-kill").expect("launch after the crash");
    assert_ne!(second.xvnc, first.xvnc);
    assert!(
        !first.app.is_alive(),
        "the old desktop's leftovers were ended"
    );
    assert_eq!(rfb_greeting(&second.vnc_socket), "RFB 003.008\n");
}

#[test]
fn a_restarted_server_finds_the_desktop_and_can_stop_it() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let desktop = desktops.launch("ss-restart").expect("launch");
    let restarted = Desktops::new(desktops.config().clone()).expect("reopen the root");
    assert_eq!(restarted.find("ss-restart"), Some(desktop.clone()));
    assert_eq!(
        restarted.launch("ss-restart").expect("launch"),
        desktop,
        "no second desktop"
    );
    restarted
        .stop("ss-restart")
        .expect("stop from the new server");
    assert!(desktops.find("ss-restart").is_none() && !desktop.xvnc.is_alive());
}

#[test]
fn the_host_limit_refuses_one_more() {
    let Some(desktops) = desktops(|c| c.max_desktops = 1) else {
        return;
    };
    desktops.launch("ss-a").expect("the first fits");
    let refused = desktops.launch("ss-b");
    assert!(
        matches!(refused, Err(DesktopError::LimitReached { max: 1 })),
        "{refused:?}"
    );
    assert!(desktops.find("ss-b").is_none());
    desktops
        .launch("ss-a")
        .expect("the running one is still returned");
    desktops.stop("ss-a").unwrap();
    desktops.launch("ss-b").expect("room again after a stop");
}

#[test]
fn concurrent_launches_of_one_session_start_one_desktop() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let launched: Vec<Desktop> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| desktops.launch("ss-race").unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(launched.iter().all(|d| *d == launched[0]), "{launched:#?}");
    assert_eq!(desktops.running(), 1);
}
