//! What can go wrong, worded for the studio admin who reads it in a session's status message.
//!
//! Each variant names the thing that failed and, where there is one, the fix. The caller maps
//! them to API states: [`DesktopError::LimitReached`] is "this host is full, try later",
//! [`DesktopError::InvalidId`] is a bug or an attack, everything else is a `*_FAILED` state with
//! this message.

use std::path::PathBuf;
use std::time::Duration;

/// The command that installs everything this crate runs.
pub const INSTALL_HINT: &str = "run `cargo xtask setup` as root, or `apt-get install -y \
     tigervnc-standalone-server tigervnc-tools openbox xterm x11-utils xauth fonts-dejavu-core \
     xfonts-base`";

/// Why a desktop operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// A program the desktop needs is missing from PATH.
    #[error("{0}")]
    NotInstalled(String),

    /// A session or backup id with characters other than `[A-Za-z0-9_-]`, empty, or too long.
    /// Nothing was touched.
    #[error("invalid {kind} id {id:?}: use 1 to {max} characters from A-Z a-z 0-9 _ -", max = crate::ids::MAX_ID_LEN)]
    InvalidId { kind: &'static str, id: String },

    /// The host already runs `max` desktops; nothing was started.
    #[error("this host already runs its limit of {max} desktops; stop one or try again later")]
    LimitReached { max: usize },

    /// The operation needs the desktop stopped first (a home cannot be replaced under a
    /// running desktop).
    #[error("the desktop of session {0} is running; stop it first")]
    Running(String),

    /// `restore_home` was given a backup that does not exist.
    #[error("backup {0} does not exist")]
    BackupNotFound(String),

    /// The OS user of `run_as` or of [`crate::Desktops::launch_as`] cannot be used (no such
    /// user, another user while the server is not root, or the root is out of its reach).
    #[error("cannot run desktops as user {user:?}: {reason}")]
    RunAs { user: String, reason: String },

    /// A desktop's unix socket path would exceed the kernel's 107-byte limit.
    #[error("the VNC socket path {0} is too long for a unix socket (107 bytes at most): choose a shorter desktops root")]
    PathTooLong(PathBuf),

    /// A step of the launch did not finish in time. The desktop was cleaned up.
    #[error("{what} did not happen within {after:?}{log}")]
    Timeout {
        what: &'static str,
        after: Duration,
        /// The tail of the relevant log, already prefixed with a newline, or empty.
        log: String,
    },

    /// A process of the desktop exited or could not start. The desktop was cleaned up.
    #[error("{what} failed: {detail}{log}")]
    StartFailed {
        what: String,
        detail: String,
        /// The tail of the relevant log, already prefixed with a newline, or empty.
        log: String,
    },

    /// Some processes of a desktop were still alive 5 s after SIGTERM and SIGKILL (a process
    /// stuck in the kernel, such as on a hung network mount). Its run folder was kept.
    #[error(
        "could not stop the desktop of session {session}: processes {pids:?} survived SIGKILL"
    )]
    StopFailed { session: String, pids: Vec<u32> },

    /// `cp -a`, run as `user`, failed while copying a home or a backup (a full disk, a file
    /// that user may not read).
    #[error("copying into {to} as {user} failed: {detail}")]
    CopyFailed {
        to: PathBuf,
        user: String,
        detail: String,
    },

    /// The session has no running desktop.
    #[error("session {0} has no running desktop")]
    NotRunning(String),

    /// Something other than the desktop's own Xvnc is at its socket's path (the artist's
    /// folder): refused before a byte was exchanged. The desktop is left as it is.
    #[error(
        "refused to connect to the desktop of session {session}: its socket's path holds {found}"
    )]
    NotItsDesktop { session: String, found: String },

    /// A file operation on the desktops root failed.
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DesktopError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DesktopError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = DesktopError> = std::result::Result<T, E>;
