//! Owners and modes changed without following links, for a root server working in folders
//! that an artist can change while it works.
//!
//! A path is looked up afresh by every call that takes one, so `chown(path)` after a check
//! of `path` may act on whatever the artist put there in between: a link to `/etc/shadow`.
//! Here each file is opened once, with `O_NOFOLLOW` (a link is refused, never followed), and
//! changed through that descriptor (`fchown`, `fchmod`). A walk of a tree opens each folder
//! relative to its parent's descriptor, so swapping a folder for a link mid-walk leads
//! nowhere: the link itself is changed (`AT_SYMLINK_NOFOLLOW`) or refused.

use crate::error::{DesktopError, Result};
use nix::dir::Dir;
use nix::fcntl::{open, openat, AtFlags, OFlag};
use nix::sys::stat::{fchmod, fstat, fstatat, Mode, SFlag};
use nix::unistd::{fchown, fchownat, Gid, Uid};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

/// Opens `path` itself, never through a link: a link answers ELOOP.
fn open_nofollow(path: &Path, directory: bool) -> nix::Result<OwnedFd> {
    let mut flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    if directory {
        flags |= OFlag::O_DIRECTORY;
    }
    open(path, flags, Mode::empty())
}

/// Sets the mode and, when given, the owner of the folder or regular file at `path`, through
/// a descriptor opened without following links. A link or any other kind of file is refused.
pub(crate) fn set(
    path: &Path,
    directory: bool,
    mode: u32,
    owner: Option<(Uid, Gid)>,
) -> Result<()> {
    let fail = |e: nix::Error| DesktopError::io("cannot set the owner and mode of", path, e.into());
    let fd = open_nofollow(path, directory).map_err(fail)?;
    let kind = SFlag::from_bits_truncate(fstat(fd.as_fd()).map_err(fail)?.st_mode) & SFlag::S_IFMT;
    let expected = if directory {
        SFlag::S_IFDIR
    } else {
        SFlag::S_IFREG
    };
    if kind != expected {
        return Err(fail(nix::Error::EINVAL));
    }
    if let Some((uid, gid)) = owner {
        fchown(fd.as_fd(), Some(uid), Some(gid)).map_err(fail)?;
    }
    fchmod(fd.as_fd(), Mode::from_bits_truncate(mode)).map_err(fail)
}

/// Hands the folder at `path` and everything in it to `uid:gid`, never following a link
/// (links themselves change owner). Like `chown -R -P`, but done through descriptors.
pub(crate) fn hand_over_tree(path: &Path, uid: Uid, gid: Gid) -> Result<()> {
    let fail = |e: nix::Error| DesktopError::io("cannot hand over", path, e.into());
    let fd = open_nofollow(path, true).map_err(fail)?;
    hand_over_contents(fd, uid, gid).map_err(fail)
}

/// Changes the owner of every entry of the open folder `fd`, recursing into sub-folders
/// through descriptors, then of the folder itself.
fn hand_over_contents(fd: OwnedFd, uid: Uid, gid: Gid) -> nix::Result<()> {
    let mut dir = Dir::from_fd(fd)?;
    let names: Vec<std::ffi::CString> = dir
        .iter()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_owned())
        .filter(|n| n.as_bytes() != b"." && n.as_bytes() != b"..")
        .collect();
    for name in &names {
        let stat = fstatat(dir.as_fd(), name.as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW)?;
        if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR {
            let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
            let child = openat(dir.as_fd(), name.as_c_str(), flags, Mode::empty())?;
            hand_over_contents(child, uid, gid)?;
        } else {
            let nofollow = AtFlags::AT_SYMLINK_NOFOLLOW;
            fchownat(dir.as_fd(), name.as_c_str(), Some(uid), Some(gid), nofollow)?;
        }
    }
    fchown(dir.as_fd(), Some(uid), Some(gid))
}
