//! With `run_as`, a root server runs every process of a desktop as that unprivileged user: the
//! artist's programs cannot touch the server's files, while the server still reaches the VNC
//! socket. Needs root to switch users; skipped otherwise.

mod common;

use common::{desktops, rfb_greeting};
use local_desktop::{DesktopError, Desktops, DesktopsConfig};
use std::os::unix::fs::MetadataExt;

fn uid_of(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_desktop_runs_as_the_configured_user() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: only root can run desktops as another user");
        return;
    }
    let nobody = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("user nobody");
    let Some(desktops) = desktops(|c| c.run_as = Some("nobody".into())) else {
        return;
    };
    let desktop = desktops.launch("ss-user").expect("launch as nobody");

    for process in [desktop.xvnc, desktop.window_manager, desktop.app] {
        assert_eq!(
            uid_of(process.pid),
            nobody.uid.as_raw(),
            "pid {} runs as nobody",
            process.pid
        );
    }
    let owner = |path: &std::path::Path| std::fs::metadata(path).unwrap().uid();
    assert_eq!(owner(&desktop.vnc_socket), nobody.uid.as_raw());
    assert_eq!(owner(&desktop.home), nobody.uid.as_raw());
    let record = desktop
        .vnc_socket
        .parent()
        .unwrap()
        .with_file_name("desktop.json");
    assert_eq!(
        owner(&record),
        0,
        "the user cannot rewrite the server's record"
    );
    assert_eq!(owner(record.parent().unwrap()), 0);
    assert_eq!(rfb_greeting(&desktop.vnc_socket), "RFB 003.008\n");

    desktops.stop("ss-user").expect("stop");
    assert!(!desktop.xvnc.is_alive() && !desktop.app.is_alive());
}

#[test]
fn an_unknown_user_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = DesktopsConfig::new(dir.path());
    config.run_as = Some("no-such-artist-user".into());
    let error = Desktops::new(config).err().expect("refused");
    assert!(matches!(error, DesktopError::RunAs { .. }), "{error:?}");
    assert!(error.to_string().contains("no such user"), "{error}");
}
