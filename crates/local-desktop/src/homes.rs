//! Home folders and their backups: the artist's files outlive the desktop.
//!
//! Copies use `cp -a`, which keeps modes, times and symbolic links (a link is copied as a
//! link, never followed). The artist may change their home while it is copied (from another
//! desktop of theirs), swapping a folder for a link to `/etc` mid-copy, so a copy never runs
//! as root: it runs as the user who owns what it copies, in a child that dropped every
//! privilege before `cp` started, and reads nothing that user could not read anyway. The
//! server only creates the (empty) target folder, owned by that user, and starts the child
//! inside the folder to copy from or to (its working folder, entered while still root), so
//! backups stay in `backups/`, which no artist can enter.
//!
//! A copy is written to a hidden `.NAME.partial` folder first and renamed into place when
//! complete, so an interrupted backup or restore never leaves a half-copied folder under its
//! real name, and a retry starts over cleanly. Deleting uses the standard library's
//! `remove_dir_all`, which opens each folder without following links and removes its entries
//! relative to it, so a link swapped in mid-delete is removed, not followed.

use crate::error::{DesktopError, Result};
use crate::layout::make_dir;
use crate::process::Identity;
use crate::{ids, Desktops};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};

impl Desktops {
    /// Deletes the home folder of `session_id` (for `volumeRetentionMode = DELETE` and for
    /// deleted sessions). Missing is `Ok`; a running desktop is [`DesktopError::Running`].
    pub fn delete_home(&self, session_id: &str) -> Result<()> {
        let id = ids::check("session", session_id)?;
        let _held = self.hold(id.to_owned());
        self.refuse_running(id)?;
        remove(&self.layout.home(id))
    }

    /// Copies the home folder of `session_id` to `ROOT/backups/BACKUP_ID` (a real, independent
    /// copy; the desktop may be running). A missing home gives an empty backup. A backup id
    /// that already exists is left as it is and `Ok`, so a retried call does no harm.
    pub fn backup_home(&self, session_id: &str, backup_id: &str) -> Result<()> {
        let id = ids::check("session", session_id)?;
        let backup_id = ids::check("backup", backup_id)?;
        let _held = self.hold(id.to_owned());
        let _backup = self.hold(format!("backup:{backup_id}"));
        let target = self.layout.backup(backup_id);
        if target.exists() {
            return Ok(());
        }
        let home = self.layout.home(id);
        if !home.exists() {
            crate::layout::make_dir(&home, 0o700, Some(&self.user))?;
        }
        let owner = owner_of(&home)?;
        copy_as(&owner, &target, |cp, _| {
            cp.arg(home.join(".")).arg(".");
        })
    }

    /// Replaces the home folder of `session_id` with a copy of backup `backup_id` (the backup
    /// stays). The desktop must be stopped: [`DesktopError::Running`] otherwise.
    pub fn restore_home(&self, session_id: &str, backup_id: &str) -> Result<()> {
        let id = ids::check("session", session_id)?;
        let backup_id = ids::check("backup", backup_id)?;
        let _held = self.hold(id.to_owned());
        let _backup = self.hold(format!("backup:{backup_id}"));
        self.refuse_running(id)?;
        let source = self.layout.backup(backup_id);
        if !source.is_dir() {
            return Err(DesktopError::BackupNotFound(backup_id.to_owned()));
        }
        let home = self.layout.home(id);
        let staged = home.with_file_name(format!(".{id}.restored"));
        let owner = owner_of(&source)?;
        copy_as(&owner, &staged, |cp, into| {
            cp.current_dir(&source).arg(".").arg(into);
        })?;
        let old = home.with_file_name(format!(".{id}.replaced"));
        remove(&old)?;
        if home.exists() {
            std::fs::rename(&home, &old)
                .map_err(|e| DesktopError::io("cannot move aside", &home, e))?;
        }
        std::fs::rename(&staged, &home)
            .map_err(|e| DesktopError::io("cannot put in place", &home, e))?;
        remove(&old)
    }

    /// Deletes backup `backup_id`. Missing is `Ok`.
    pub fn delete_backup(&self, backup_id: &str) -> Result<()> {
        let backup_id = ids::check("backup", backup_id)?;
        let _backup = self.hold(format!("backup:{backup_id}"));
        remove(&self.layout.backup(backup_id))
    }

    fn refuse_running(&self, id: &str) -> Result<()> {
        self.reap();
        match self.live(id) {
            Some(_) => Err(DesktopError::Running(id.to_owned())),
            None => Ok(()),
        }
    }
}

/// The user who owns `path`, which a copy of it runs as.
fn owner_of(path: &Path) -> Result<Identity> {
    let meta =
        std::fs::symlink_metadata(path).map_err(|e| DesktopError::io("cannot read", path, e))?;
    Identity::of_uid(meta.uid())
}

/// Copies into `to` as `owner`: `to` is made through a `.partial` folder beside it (empty,
/// `owner`'s, mode 0700) that is renamed into place at the end. `args` adds the source and
/// target to `cp -a --` (it is given the partial folder, which is also the working folder
/// unless it sets another).
fn copy_as(owner: &Identity, to: &Path, args: impl FnOnce(&mut Command, &Path)) -> Result<()> {
    let name = to.file_name().and_then(|n| n.to_str()).unwrap_or("copy");
    let partial = to.with_file_name(format!(".{name}.partial"));
    remove(&partial)?;
    make_dir(&partial, 0o700, Some(owner))?;
    let mut cp = Command::new("cp");
    cp.current_dir(&partial).args(["-a", "--"]);
    args(&mut cp, &partial);
    let out = owner
        .spawn(
            cp.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped()),
            None,
        )
        .and_then(|child| child.wait_with_output())
        .map_err(|e| DesktopError::io("cannot run cp to copy into", to, e))?;
    if !out.status.success() {
        let _ = remove(&partial);
        return Err(DesktopError::CopyFailed {
            to: to.to_owned(),
            user: owner.name.clone(),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    std::fs::rename(&partial, to).map_err(|e| DesktopError::io("cannot put in place", to, e))
}

/// Removes a folder and everything in it (never following links out of it). Missing is `Ok`.
fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(DesktopError::io("cannot remove", path, e))
        }
        _ => Ok(()),
    }
}
