//! Reaching a desktop's own VNC server, and nothing else.
//!
//! The socket lives in the artist's own folder (`run/SESSION/x/`), so whatever is at its path
//! is the artist's choice: they may rename it and put a link to any socket of the host there,
//! the Docker socket or another artist's desktop, hoping that a root server connects through
//! it. So the server never trusts the path:
//!
//! 1. It opens the path itself with `O_PATH | O_NOFOLLOW`: a link is seen as a link, never
//!    followed.
//! 2. What it opened must be a socket owned by the desktop's user.
//! 3. It connects through that very descriptor (`/proc/self/fd/N`), so nothing can be swapped
//!    in between the check and the connect.
//! 4. The kernel names the listening process (`SO_PEERCRED`): it must be the desktop's
//!    recorded Xvnc (pid and start time) running as the desktop's user.
//!
//! Anything else is refused with [`DesktopError::NotItsDesktop`] before a byte is read or
//! written. The desktop itself is left as it is.

use crate::error::{DesktopError, Result};
use crate::{Desktop, Desktops, Process};
use nix::fcntl::{open, OFlag};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::sys::stat::{fstat, Mode, SFlag};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

impl Desktops {
    /// A connection to the VNC server of `session_id`'s desktop, which speaks RFB, checked to
    /// be that desktop's own Xvnc. [`DesktopError::NotRunning`] when there is no desktop;
    /// [`DesktopError::NotItsDesktop`] when anything else answers at its socket's path.
    pub fn connect(&self, session_id: &str) -> Result<UnixStream> {
        let desktop = self
            .find(session_id)
            .ok_or_else(|| DesktopError::NotRunning(session_id.to_owned()))?;
        connect_to_own(&desktop)
    }
}

/// Connects to `desktop`'s socket, checked to be its own.
fn connect_to_own(desktop: &Desktop) -> Result<UnixStream> {
    let uid = desktop_uid(desktop).ok_or_else(|| DesktopError::NotItsDesktop {
        session: desktop.session_id.clone(),
        found: "a desktop of no known user".into(),
    })?;
    connect_checked(&desktop.session_id, &desktop.vnc_socket, desktop.xvnc, uid)
}

/// Connects to the socket at `path` through steps 1 to 4 above: it must be served by `xvnc`
/// running as `uid`.
pub(crate) fn connect_checked(
    session: &str,
    path: &Path,
    xvnc: Process,
    uid: u32,
) -> Result<UnixStream> {
    let refuse = |found: String| DesktopError::NotItsDesktop {
        session: session.to_owned(),
        found,
    };
    let flags = OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd =
        open(path, flags, Mode::empty()).map_err(|e| refuse(format!("nothing to open ({e})")))?;
    let stat = fstat(fd.as_fd()).map_err(|e| refuse(format!("cannot inspect it ({e})")))?;
    let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
    if kind != SFlag::S_IFSOCK {
        return Err(refuse(format!("not a socket but {}", kind_name(kind))));
    }
    if stat.st_uid != uid {
        return Err(refuse(format!(
            "a socket of uid {}, not {uid}",
            stat.st_uid
        )));
    }
    let stream = UnixStream::connect(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map_err(|e| DesktopError::io("cannot connect to", path, e))?;
    let peer = getsockopt(&stream, PeerCredentials)
        .map_err(|e| refuse(format!("no peer credentials ({e})")))?;
    if peer.pid() as u32 != xvnc.pid || peer.uid() != uid || !xvnc.is_alive() {
        return Err(refuse(format!(
            "a socket served by pid {} (uid {}), not its Xvnc (pid {})",
            peer.pid(),
            peer.uid(),
            xvnc.pid
        )));
    }
    Ok(stream)
}

/// The uid every process of `desktop` runs as: recorded, or (records written before it was
/// kept) looked up by name.
fn desktop_uid(desktop: &Desktop) -> Option<u32> {
    desktop.uid.or_else(|| {
        let user = nix::unistd::User::from_name(&desktop.user).ok()??;
        Some(user.uid.as_raw())
    })
}

fn kind_name(kind: SFlag) -> &'static str {
    match kind {
        SFlag::S_IFLNK => "a symbolic link",
        SFlag::S_IFREG => "a regular file",
        SFlag::S_IFDIR => "a folder",
        SFlag::S_IFIFO => "a FIFO",
        _ => "a device",
    }
}
