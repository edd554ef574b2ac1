//! With `run_as`, a root server runs every process of a desktop as that unprivileged user: the
//! artist's programs cannot touch the server's files, while the server still reaches the VNC
//! socket. With `launch_as`, each desktop runs as its own user (one per artist), and each home
//! is its user's alone. Uses the base system's `nobody` and `daemon`. Needs root to switch
//! users; skipped otherwise.

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

/// Runs `program args` as `user` (uid, gid, no supplementary groups); whether it succeeded.
fn succeeds_as(user: &nix::unistd::User, program: &str, args: &[&std::path::Path]) -> bool {
    use std::os::unix::process::CommandExt;
    std::process::Command::new(program)
        .args(args)
        .uid(user.uid.as_raw())
        .gid(user.gid.as_raw())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn owner(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().uid()
}

/// One OS user per artist: two desktops of one root, launched as two users, each with every
/// process as its own user and a home that the other cannot enter.
#[test]
fn each_launch_runs_as_its_own_user_and_homes_are_private() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: only root can run desktops as other users");
        return;
    }
    let user = |name: &str| {
        nix::unistd::User::from_name(name)
            .unwrap()
            .unwrap_or_else(|| panic!("user {name} (in every Debian and Ubuntu base system)"))
    };
    let (a, b) = (user("nobody"), user("daemon"));
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let command = desktops.config().start_command.clone();
    let desktop_a = desktops
        .launch_as("ss-a", &command, Some("nobody"))
        .expect("launch as nobody");
    let desktop_b = desktops
        .launch_as("ss-b", &command, Some("daemon"))
        .expect("launch as daemon");
    let root = desktops.dir.path();

    for (desktop, user) in [(&desktop_a, &a), (&desktop_b, &b)] {
        assert_eq!(desktop.user, user.name, "the record names the user");
        let run = desktop.vnc_socket.parent().unwrap().parent().unwrap();
        let processes = common::processes_of(run);
        assert!(processes.len() >= 3, "Xvnc, openbox, xterm: {processes:?}");
        for recorded in [desktop.xvnc, desktop.window_manager, desktop.app] {
            assert!(processes.contains(&recorded.pid), "{recorded:?} is marked");
        }
        for pid in processes {
            assert_eq!(
                uid_of(pid),
                user.uid.as_raw(),
                "{} (pid {pid}) of {} runs as {}",
                common::comm(pid),
                desktop.session_id,
                user.name
            );
        }
        assert_eq!(owner(&desktop.home), user.uid.as_raw(), "home owner");
        assert_eq!(mode(&desktop.home), 0o700, "home mode");
        assert_eq!(owner(&desktop.vnc_socket), user.uid.as_raw());
        assert_eq!(mode(&desktop.vnc_socket) & 0o777, 0o600);
        for server_file in ["desktop.json", "xvnc.log", "session.log"] {
            let path = run.join(server_file);
            assert_eq!((owner(&path), mode(&path)), (0, 0o600), "{server_file}");
        }
        assert_eq!(rfb_greeting(&desktop.vnc_socket), "RFB 003.008\n");
    }
    for shared in [root, &root.join("homes"), &root.join("run")] {
        assert_eq!(mode(shared), 0o711, "{}: pass, not list", shared.display());
    }

    // Each user reaches its own home, and nothing of the other's.
    let file_a = desktop_a.home.join("mine.txt");
    assert!(
        succeeds_as(&a, "touch", &[&file_a]),
        "nobody writes its home"
    );
    assert!(
        !succeeds_as(&a, "ls", &[&desktop_b.home]),
        "nobody lists daemon's home"
    );
    assert!(
        !succeeds_as(&b, "ls", &[&desktop_a.home]),
        "daemon lists nobody's home"
    );
    assert!(
        !succeeds_as(&b, "cat", &[&file_a]),
        "daemon reads nobody's file"
    );
    assert!(
        !succeeds_as(&a, "ls", &[&root.join("homes")]),
        "nobody lists the homes"
    );
    let log_b = root.join("run/ss-b/session.log");
    assert!(
        !succeeds_as(&a, "cat", &[&log_b]),
        "nobody reads daemon's log"
    );

    // Idempotent whoever asks: the running desktop is returned as it is.
    let again = desktops
        .launch_as("ss-a", &command, Some("daemon"))
        .unwrap();
    assert_eq!(again, desktop_a);
    assert_eq!(desktops.find("ss-b").unwrap().user, "daemon");

    // Backups keep the owner; a restored home launched as another user is handed over.
    desktops.stop("ss-a").expect("stop a");
    desktops.backup_home("ss-a", "bk-a").unwrap();
    let backup = root.join("backups/bk-a");
    assert_eq!(owner(&backup.join("mine.txt")), a.uid.as_raw());
    desktops.restore_home("ss-c", "bk-a").unwrap();
    let home_c = root.join("homes/ss-c");
    assert_eq!(owner(&home_c.join("mine.txt")), a.uid.as_raw(), "cp -a");
    let desktop_c = desktops
        .launch_as("ss-c", &command, Some("daemon"))
        .expect("launch the restored home as daemon");
    assert_eq!(owner(&desktop_c.home), b.uid.as_raw());
    assert_eq!(owner(&desktop_c.home.join("mine.txt")), b.uid.as_raw());
    assert_eq!(mode(&desktop_c.home), 0o700);
    assert!(!succeeds_as(&a, "cat", &[&desktop_c.home.join("mine.txt")]));

    for session in ["ss-b", "ss-c"] {
        desktops.stop(session).expect("stop");
    }
    for desktop in [&desktop_a, &desktop_b, &desktop_c] {
        assert!(!desktop.xvnc.is_alive() && !desktop.app.is_alive());
    }
}

#[test]
fn a_launch_as_an_unknown_user_is_a_clear_error_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let desktops = Desktops::new(DesktopsConfig::new(dir.path())).unwrap();
    let error = desktops
        .launch_as("ss-x", &["xterm".into()], Some("no-such-artist-user"))
        .unwrap_err();
    assert!(matches!(error, DesktopError::RunAs { .. }), "{error:?}");
    assert!(error.to_string().contains("no such user"), "{error}");
    assert!(!dir.path().join("homes/ss-x").exists());
    assert!(Desktops::check_user("no-such-artist-user").is_err());
    let me = nix::unistd::User::from_uid(nix::unistd::Uid::effective())
        .unwrap()
        .unwrap();
    if me.uid.is_root() {
        let error = Desktops::check_user(&me.name).expect_err("root is never a desktop user");
        assert!(error.to_string().contains("whole host"), "{error}");
    } else {
        Desktops::check_user(&me.name).expect("the server's own user");
    }
}
