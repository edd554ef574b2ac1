//! Where everything lives under the desktops root, and who owns it.
//!
//! The tree is drawn in the crate documentation (lib.rs).
//!
//! The record lives in a folder the desktop's user cannot write, so a desktop cannot make the
//! server signal another process by editing its own pid file.

use crate::error::{DesktopError, Result};
use crate::nofollow;
use crate::process::Identity;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Longest path the kernel accepts for a unix socket (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

pub(crate) struct Layout {
    pub root: PathBuf,
}

impl Layout {
    /// Creates the root and its three folders, and checks that the desktop user can reach them.
    ///
    /// A root server may start desktops as other users (`run_as`, or per launch), so the
    /// root, `homes/` and `run/` are 0711 then: each user may pass through to its own home
    /// and socket folder, but list nothing. A server that is not root can only start
    /// desktops as itself, and keeps them 0700.
    pub(crate) fn create(root: &Path, user: &Identity) -> Result<Layout> {
        let shared = if user.is_other_user() || nix::unistd::Uid::effective().is_root() {
            0o711
        } else {
            0o700
        };
        make_dir(root, shared, None)?;
        let root = root
            .canonicalize()
            .map_err(|e| DesktopError::io("cannot resolve the desktops root", root, e))?;
        make_dir(&root.join("homes"), shared, None)?;
        make_dir(&root.join("run"), shared, None)?;
        make_dir(&root.join("backups"), 0o700, None)?;
        if user.is_other_user() {
            check_reachable(&root, user)?;
        }
        Ok(Layout { root })
    }

    pub(crate) fn home(&self, session: &str) -> PathBuf {
        self.root.join("homes").join(session)
    }
    pub(crate) fn runs(&self) -> PathBuf {
        self.root.join("run")
    }
    pub(crate) fn run(&self, session: &str) -> PathBuf {
        self.runs().join(session)
    }
    pub(crate) fn private(&self, session: &str) -> PathBuf {
        self.run(session).join("x")
    }
    pub(crate) fn record(&self, session: &str) -> PathBuf {
        self.run(session).join("desktop.json")
    }
    pub(crate) fn backup(&self, backup: &str) -> PathBuf {
        self.root.join("backups").join(backup)
    }

    /// The VNC socket path, refused when the kernel could not bind it.
    pub(crate) fn socket(&self, session: &str) -> Result<PathBuf> {
        let path = self.private(session).join("vnc.sock");
        if path.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(DesktopError::PathTooLong(path));
        }
        Ok(path)
    }

    /// `NAME=VALUE` set in the environment of every process of this session's desktop.
    pub(crate) fn marker(&self, session: &str) -> String {
        format!("LOCAL_DESKTOP={}", self.run(session).display())
    }
}

/// Creates `path` (and parents) if missing, then sets `mode` and, when given, the owner,
/// through a descriptor (a link at `path` is refused, never followed).
pub(crate) fn make_dir(path: &Path, mode: u32, owner: Option<&Identity>) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(|e| DesktopError::io("cannot create", path, e))?;
    let owner = owner.filter(|u| u.is_other_user()).map(|u| (u.uid, u.gid));
    nofollow::set(path, true, mode, owner)
}

/// Makes an existing home `user`'s alone: mode 0700 and, when it belongs to someone else (a
/// home made before homes were copied as their user, or by a server that was not root),
/// every file in it handed over. The artist may be changing the home meanwhile (from another
/// desktop of theirs), so nothing here follows a link ([`nofollow`]). Only a root server can
/// hand over; otherwise the home is its own already.
pub(crate) fn own_home(home: &Path, user: &Identity) -> Result<()> {
    let meta =
        std::fs::symlink_metadata(home).map_err(|e| DesktopError::io("cannot read", home, e))?;
    if meta.uid() != user.uid.as_raw() && nix::unistd::Uid::effective().is_root() {
        nofollow::hand_over_tree(home, user.uid, user.gid)?;
    }
    nofollow::set(home, true, 0o700, None)
}

/// The desktop user must be able to pass through every folder above the root, or Xvnc fails
/// later with an obscure "cannot create socket". Checked once per user, with a clear message.
pub(crate) fn check_reachable(root: &Path, user: &Identity) -> Result<()> {
    for dir in root.ancestors() {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        let bits = if meta.uid() == user.uid.as_raw() {
            0o100
        } else if meta.gid() == user.gid.as_raw() {
            0o010
        } else {
            0o001
        };
        if meta.mode() & bits == 0 {
            return Err(DesktopError::RunAs {
                user: user.name.clone(),
                reason: format!(
                    "it cannot enter {}; allow it with `chmod o+x {}` or choose another root",
                    dir.display(),
                    dir.display()
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A folder the server hands to a desktop user may have been swapped for a link to one
    /// of root's: the link is refused, and its target keeps its owner and mode.
    #[test]
    fn handing_over_a_link_changes_nothing_behind_it() {
        if !nix::unistd::Uid::effective().is_root() {
            eprintln!("skipped: only root can hand folders over");
            return;
        }
        let nobody = Identity::resolve(Some("nobody")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let roots = dir.path().join("roots");
        std::fs::create_dir(&roots).unwrap();
        std::fs::set_permissions(&roots, std::fs::Permissions::from_mode(0o755)).unwrap();
        let link = dir.path().join("x");
        std::os::unix::fs::symlink(&roots, &link).unwrap();

        assert!(
            make_dir(&link, 0o700, Some(&nobody)).is_err(),
            "a link is refused"
        );
        let meta = std::fs::metadata(&roots).unwrap();
        assert_eq!(
            (meta.uid(), meta.mode() & 0o777),
            (0, 0o755),
            "the target is untouched"
        );

        // A real folder is handed over, as before.
        let real = dir.path().join("real");
        make_dir(&real, 0o700, Some(&nobody)).unwrap();
        let meta = std::fs::symlink_metadata(&real).unwrap();
        assert_eq!(
            (meta.uid(), meta.mode() & 0o777),
            (nobody.uid.as_raw(), 0o700)
        );
    }
}
