//! Root never acts through a path the artist can change. The artist owns their socket folder
//! and their home, so whatever is there is their choice: the server must reach only its own
//! desktop's Xvnc, copy only what the artist could read, and change owners and modes only
//! of what it means to. Desktops run as `nobody` (an unprivileged user every base system
//! has) under a root server, as on a shared host; skipped when not root.

mod common;

use common::{desktops, TestDesktops};
use local_desktop::DesktopError;
use proptest::prelude::*;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixListener;
use std::path::Path;

fn as_root() -> bool {
    let root = nix::unistd::Uid::effective().is_root();
    if !root {
        eprintln!("skipped: needs a root server and a second user");
    }
    root
}

/// What an artist may put at their desktop's socket path.
#[derive(Clone, Debug)]
enum Planted {
    Nothing,
    LinkToOwnSocket,
    LinkToRootSocket,
    LinkToOtherDesktop,
    DanglingLink,
    RegularFile,
    Fifo,
    Folder,
    ForeignSocket,
}

fn planted() -> impl Strategy<Value = Planted> {
    prop_oneof![
        Just(Planted::Nothing),
        Just(Planted::LinkToOwnSocket),
        Just(Planted::LinkToRootSocket),
        Just(Planted::LinkToOtherDesktop),
        Just(Planted::DanglingLink),
        Just(Planted::RegularFile),
        Just(Planted::Fifo),
        Just(Planted::Folder),
        Just(Planted::ForeignSocket),
    ]
}

/// Puts `what` at `socket` after moving the real socket to `aside`; returns a listener it
/// bound, if any, to keep it alive.
fn plant(
    what: &Planted,
    socket: &Path,
    aside: &Path,
    root_socket: &Path,
    other: &Path,
) -> Option<UnixListener> {
    std::fs::rename(socket, aside).unwrap();
    let link = |to: &Path| std::os::unix::fs::symlink(to, socket).unwrap();
    match what {
        Planted::Nothing => None,
        Planted::LinkToOwnSocket => {
            link(aside);
            None
        }
        Planted::LinkToRootSocket => {
            link(root_socket);
            None
        }
        Planted::LinkToOtherDesktop => {
            link(other);
            None
        }
        Planted::DanglingLink => {
            link(Path::new("/nonexistent/vnc.sock"));
            None
        }
        Planted::RegularFile => {
            std::fs::write(socket, b"RFB 003.008\n").unwrap();
            None
        }
        Planted::Fifo => {
            nix::unistd::mkfifo(socket, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
            None
        }
        Planted::Folder => {
            std::fs::create_dir(socket).unwrap();
            None
        }
        Planted::ForeignSocket => Some(UnixListener::bind(socket).unwrap()),
    }
}

fn unplant(socket: &Path, aside: &Path) {
    match std::fs::symlink_metadata(socket) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir(socket).unwrap(),
        Ok(_) => std::fs::remove_file(socket).unwrap(),
        Err(_) => {}
    }
    std::fs::rename(aside, socket).unwrap();
}

#[test]
fn the_bridge_reaches_its_own_xvnc_or_refuses_whatever_is_at_the_socket_path() {
    if !as_root() {
        return;
    }
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let own = desktops
        .launch_as("ss-own", &["xterm".into()], Some("nobody"))
        .unwrap();
    let other = desktops
        .launch_as("ss-other", &["xterm".into()], Some("daemon"))
        .unwrap();
    let root_dir = tempfile::tempdir().unwrap();
    let root_socket = root_dir.path().join("root-only.sock");
    let root_listener = UnixListener::bind(&root_socket).unwrap();
    root_listener.set_nonblocking(true).unwrap();
    let aside = own.vnc_socket.with_file_name("vnc.aside");

    proptest!(ProptestConfig::with_cases(48), |(what in planted())| {
        let _keep = plant(&what, &own.vnc_socket, &aside, &root_socket, &other.vnc_socket);
        let result = desktops.connect("ss-own");
        unplant(&own.vnc_socket, &aside);
        match result {
            Ok(stream) => {
                let peer = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials).unwrap();
                prop_assert_eq!(peer.pid() as u32, own.xvnc.pid, "{:?} reached another process", what);
            }
            // Nothing at the path reads as no desktop at all (the drift check then stops it).
            Err(error) => prop_assert!(
                matches!(error, DesktopError::NotItsDesktop { .. } | DesktopError::NotRunning(_)),
                "{:?}: {}", what, error
            ),
        }
    });
    assert!(
        root_listener.accept().is_err(),
        "nothing ever connected to the root-only socket"
    );
    // Left as it was: the desktop still runs, and its own socket opens.
    assert!(desktops.find("ss-own").is_some());
    assert_eq!(common::rfb_greeting(&own.vnc_socket), "RFB 003.008\n");
    desktops.connect("ss-own").expect("its own Xvnc");
}

/// A home whose files root put there and the artist may not read: a copy made as root would
/// carry them into a backup the artist can restore and read.
fn plant_root_only_file(desktops: &TestDesktops, session: &str) -> std::path::PathBuf {
    let secret = desktops
        .dir
        .path()
        .join("homes")
        .join(session)
        .join("root-only.txt");
    std::fs::write(&secret, "root's secret").unwrap();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    secret
}

#[test]
fn backups_and_restores_copy_as_the_artist() {
    if !as_root() {
        return;
    }
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    let nobody = nix::unistd::User::from_name("nobody")
        .unwrap()
        .unwrap()
        .uid
        .as_raw();
    let desktop = desktops
        .launch_as("ss-copy", &["xterm".into()], Some("nobody"))
        .unwrap();
    let notes = desktop.home.join("notes.txt");
    std::fs::write(&notes, "shot 42").unwrap();
    std::os::unix::fs::chown(&notes, Some(nobody), None).unwrap();
    desktops.stop("ss-copy").unwrap();

    // What the artist may read is copied, as theirs, and comes back on restore.
    desktops.backup_home("ss-copy", "bk-mine").expect("backup");
    let backup = desktops.dir.path().join("backups/bk-mine");
    assert_eq!(
        std::fs::metadata(backup.join("notes.txt")).unwrap().uid(),
        nobody
    );
    desktops.delete_home("ss-copy").unwrap();
    desktops
        .restore_home("ss-copy", "bk-mine")
        .expect("restore");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "shot 42");
    assert_eq!(std::fs::metadata(&notes).unwrap().uid(), nobody);

    // What only root may read is not: the copy runs as the artist and says so.
    plant_root_only_file(&desktops, "ss-copy");
    let error = desktops
        .backup_home("ss-copy", "bk-root")
        .expect_err("refused");
    assert!(
        matches!(error, DesktopError::CopyFailed { ref user, .. } if user == "nobody"),
        "{error:?}"
    );
    assert!(!desktops.dir.path().join("backups/bk-root").exists());
}

#[test]
fn deleting_a_home_removes_links_and_never_follows_them() {
    let Some(desktops) = desktops(|_| {}) else {
        return;
    };
    desktops.launch("ss-links").unwrap();
    desktops.stop("ss-links").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("keep.txt"), "not the artist's").unwrap();
    let home = desktops.dir.path().join("homes/ss-links");
    std::os::unix::fs::symlink(outside.path(), home.join("elsewhere")).unwrap();
    desktops.delete_home("ss-links").unwrap();
    assert!(!home.exists());
    assert!(
        outside.path().join("keep.txt").exists(),
        "the link's target is untouched"
    );
}
