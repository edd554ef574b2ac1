//! The X11 details of a desktop: the authorization cookie, the socket folder, and the bounded
//! waits that tell when Xvnc and the window manager are ready.
//!
//! **The cookie.** Xvnc reads `-auth FILE` when it starts, and X clients read the file named by
//! `XAUTHORITY`. The file is written *before* Xvnc starts, with one entry of the wildcard family
//! (`0xffff`, no address, no display number), which matches whatever display number
//! `-displayfd` picks. So there is never a moment when the display accepts clients without the
//! cookie. (Without `-auth`, any local user could open the display; it also listens on an
//! abstract socket, which file permissions do not protect.)
//!
//! **Waiting.** Each wait polls with a short sleep and gives up after a deadline with a clear
//! [`DesktopError::Timeout`]; nothing here can hang.

use crate::error::{DesktopError, Result};
use nix::unistd::{Gid, Uid};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often waits poll. Xvnc is up in about 0.1 s and openbox in 0.25 s on 2 cores.
const POLL: Duration = Duration::from_millis(20);

/// Writes a new Xauthority file at `path` (mode 0600) holding a wildcard
/// `MIT-MAGIC-COOKIE-1` entry with 16 random bytes, and hands it to `owner` through the open
/// file (the folder is the artist's already: a path could be swapped for a link meanwhile).
pub(crate) fn write_cookie(path: &Path, owner: Option<(Uid, Gid)>) -> Result<()> {
    let mut cookie = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut cookie))
        .map_err(|e| DesktopError::io("cannot read random bytes from", "/dev/urandom", e))?;
    // Xauthority entries: family (u16), then address, display number, auth name and data, each
    // a big-endian u16 length followed by the bytes.
    let mut entry = vec![0xff, 0xff];
    for field in [&b""[..], b"", b"MIT-MAGIC-COOKIE-1", &cookie] {
        entry.extend_from_slice(&(field.len() as u16).to_be_bytes());
        entry.extend_from_slice(field);
    }
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .and_then(|mut f| {
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::fchown(&f, Some(uid.as_raw()), Some(gid.as_raw()))?;
            }
            f.write_all(&entry)
        })
        .map_err(|e| DesktopError::io("cannot write the X authority file", path, e))
}

/// Creates `/tmp/.X11-unix` with mode 1777 (sticky, writable by all) when it is missing, as
/// systemd would at boot. If the first Xvnc of an unprivileged user created it instead, that
/// user would own it; so a root server refuses one that is not root's and sticky (an artist
/// who made it before the first desktop could replace the other desktops' X sockets).
pub(crate) fn ensure_socket_dir() -> Result<()> {
    let dir = Path::new("/tmp/.X11-unix");
    match std::fs::create_dir(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777))
            .map_err(|e| DesktopError::io("cannot set mode 1777 on", dir, e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if nix::unistd::Uid::effective().is_root() {
                check_socket_dir(dir)?;
            }
            Ok(())
        }
        Err(e) => Err(DesktopError::io("cannot create", dir, e)),
    }
}

/// `dir` must be a folder (not a link) of root's with the sticky bit, as the X socket folder
/// of a shared host is.
fn check_socket_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta =
        std::fs::symlink_metadata(dir).map_err(|e| DesktopError::io("cannot read", dir, e))?;
    if meta.is_dir() && meta.uid() == 0 && meta.mode() & 0o1000 != 0 {
        return Ok(());
    }
    Err(DesktopError::StartFailed {
        what: format!("checking {}", dir.display()),
        detail: format!(
            "it is not root's sticky folder (owner uid {}, mode {:o}), so another user could replace the desktops' X sockets; remove it and start again, and it is made anew",
            meta.uid(),
            meta.mode() & 0o7777
        ),
        log: String::new(),
    })
}

/// Polls `ready` until it returns `Some`, or fails with a timeout naming `what`.
pub(crate) fn wait_for<T>(
    what: &'static str,
    (deadline, timeout): (Instant, Duration),
    log: &Path,
    mut ready: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    loop {
        if let Some(value) = ready()? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(DesktopError::Timeout {
                what,
                after: timeout,
                log: log_tail(log),
            });
        }
        std::thread::sleep(POLL);
    }
}

/// `Some(())` when the VNC server on `stream` answers with the RFB greeting.
pub(crate) fn greets(mut stream: UnixStream) -> Option<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut greeting = [0u8; 4];
    stream.read_exact(&mut greeting).ok()?;
    (&greeting == b"RFB ").then_some(())
}

/// True once a window manager has set `_NET_SUPPORTING_WM_CHECK` on the root window.
/// Applications started earlier may stay unmapped, and the viewer would show black.
pub(crate) fn window_manager_ready(display: u32, xauthority: &Path) -> bool {
    root_property(display, xauthority, "_NET_SUPPORTING_WM_CHECK")
}

/// True once the window manager manages at least one application window
/// (`_NET_CLIENT_LIST`), so keys typed into the desktop reach the application.
pub(crate) fn has_app_window(display: u32, xauthority: &Path) -> bool {
    root_property(display, xauthority, "_NET_CLIENT_LIST")
}

/// Waits, at most `wait`, for the start command's first window. A quick application (a
/// terminal) shows it within a moment, so a desktop that is READY takes keys at once; a
/// slow one (a DCC application) is not waited for past `wait`, its desktop usable while it
/// loads. Never an error: an application without a window is allowed.
pub(crate) fn wait_for_app_window(
    display: u32,
    xauthority: &Path,
    app: &crate::Process,
    wait: Duration,
) {
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline
        && app.is_alive()
        && !has_app_window(display, xauthority)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether xprop's answer for a WINDOW property names at least one window. An empty
/// list still prints its label (openbox sets `_NET_CLIENT_LIST` empty at once), so the
/// label alone is not enough: an id must follow it.
fn names_a_window(xprop: &str) -> bool {
    xprop.contains("window id # 0x")
}

/// Whether the root window's `property` names a window.
fn root_property(display: u32, xauthority: &Path, property: &str) -> bool {
    Command::new("xprop")
        .args(["-root", property])
        .env_clear()
        .env("PATH", crate::launch::SAFE_PATH)
        .env("DISPLAY", format!(":{display}"))
        .env("XAUTHORITY", xauthority)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| names_a_window(&String::from_utf8_lossy(&out.stdout)))
}

/// The last lines of a log file, prefixed with a newline, for error messages.
pub(crate) fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(6)..].join("\n  ");
    if tail.is_empty() {
        String::new()
    } else {
        format!("\n  {} says:\n  {tail}", log.display())
    }
}

#[cfg(test)]
mod tests {
    use super::{check_socket_dir, names_a_window};
    use std::os::unix::fs::PermissionsExt;

    /// A socket folder that a user made before root: refused; root's sticky one: fine.
    #[test]
    fn only_roots_sticky_socket_folder_is_used() {
        if !nix::unistd::Uid::effective().is_root() {
            eprintln!("skipped: only a root server checks the folder's owner");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(".X11-unix");
        std::fs::create_dir(&folder).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o1777)).unwrap();
        check_socket_dir(&folder).expect("root's, sticky");
        std::os::unix::fs::chown(&folder, Some(65534), None).unwrap();
        let error = check_socket_dir(&folder).expect_err("another user's");
        assert!(error.to_string().contains("owner uid 65534"), "{error}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/tmp", &link).unwrap();
        assert!(check_socket_dir(&link).is_err(), "a link is refused");
    }

    /// What xprop printed on a desktop with openbox running, before and after a terminal.
    #[test]
    fn an_empty_client_list_names_no_window() {
        assert!(!names_a_window("_NET_CLIENT_LIST(WINDOW): window id # \n"));
        assert!(names_a_window(
            "_NET_CLIENT_LIST(WINDOW): window id # 0x40000c\n"
        ));
        assert!(names_a_window(
            "_NET_SUPPORTING_WM_CHECK(WINDOW): window id # 0x200001\n"
        ));
        assert!(!names_a_window("_NET_CLIENT_LIST:  not found.\n"));
    }
}
