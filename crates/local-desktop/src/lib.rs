//! A real Linux desktop per streaming session, on this host, reachable only through a VNC unix
//! socket. This crate knows nothing of HTTP or of the Nimble API: a driver in local-studio
//! calls it, and a WebSocket bridge copies bytes between the browser's noVNC and
//! [`Desktop::vnc_socket`].
//!
//! A desktop is three processes, each in its own session so it outlives the server:
//!
//! 1. `Xvnc`: an X server and a VNC server in one. `-displayfd` picks a free display, `-auth`
//!    requires the cookie written beforehand, `-nolisten tcp` and `-rfbport -1` keep it off the
//!    network, and `-rfbunixpath … -rfbunixmode 0600` is the only way to see it.
//! 2. `openbox`: the window manager; the start command waits until it is up.
//! 3. the start command (`xterm` by default), with `HOME` and the working directory set to the
//!    session's home folder, and a clean environment (the server's own variables, such as
//!    credentials, are not passed on).
//!
//! ```no_run
//! use local_desktop::{Desktops, DesktopsConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! Desktops::check_installed()?;
//! let desktops = Desktops::new(DesktopsConfig::new("/var/lib/studio-portal/desktops"))?;
//! let desktop = desktops.launch("ss-1234")?; // idempotent: a second call returns the same one
//! let vnc = std::os::unix::net::UnixStream::connect(&desktop.vnc_socket)?; // speaks RFB
//! # drop(vnc);
//! assert!(desktops.find("ss-1234").is_some()); // cheap: call it to detect drift
//! desktops.stop("ss-1234")?; // ends every process; the home folder stays
//! // As an artist's own OS user (the server must be root); `desktop.user` names it.
//! let xterm = vec!["xterm".to_string()];
//! let desktop = desktops.launch_as("ss-5678", &xterm, Some("alice"))?;
//! # drop(desktop);
//! # Ok(()) }
//! ```
//!
//! **Surviving a restart.** Everything needed to find a desktop again is on disk under
//! `ROOT/run/SESSION/`, so a new [`Desktops`] on the same root sees the desktops an earlier
//! server process started, and stops them. Use one [`Desktops`] per root at a time.
//!
//! ```text
//! ROOT/                       server's, 0700 (0711 when the server is root: desktop users
//!                             may pass through to their own folders, but list nothing)
//!   homes/                    likewise
//!     SESSION/                the artist's home: HOME and cwd of the desktop (its user's, 0700)
//!   run/                      likewise
//!     SESSION/                server's, 0711; exists while the desktop does
//!       desktop.json          the Desktop record (server's, 0600): display, user, pids + start
//!                             times, paths
//!       xvnc.log, session.log stderr of Xvnc; of openbox and the start command (server's, 0600)
//!       x/                    the desktop user's, 0700
//!         vnc.sock            the VNC server (RFB), mode 0600: the only way in
//!         Xauthority          the display's cookie, 0600
//!   backups/BACKUP/           a copy of a home (`cp -a` as the home's owner, whose it is), in
//!                             a 0700 folder of the server's
//!
//! /sys/fs/cgroup/…/local-desktop/TAG/SESSION/   the desktop's control group (TAG names ROOT)
//! ```
//!
//! **Blocking.** Methods block: [`Desktops::launch`] for about 0.3 s (up to
//! [`DesktopsConfig::start_timeout`]), [`Desktops::stop`] for up to about 5 s, the home and
//! backup copies for as long as the copy takes. From async code, call them in
//! `tokio::task::spawn_blocking`. [`Desktops::find`] reads two small files and is fine to call
//! every few seconds per session. Calls for the same session are serialised; different
//! sessions proceed in parallel.
//!
//! **Isolation between artists.** Who a desktop runs as is chosen per launch:
//! [`Desktops::launch_as`] takes an OS user, and [`Desktops::launch`] and
//! [`Desktops::launch_with`] use [`DesktopsConfig::run_as`]. Starting a desktop as another
//! user needs a root server; every process then runs as that user, with its supplementary
//! groups (group-shared project folders and GPU device groups work).
//!
//! - **One OS user per artist** (`launch_as` with each artist's own user; what local-studio
//!   does when a studio maps artists to OS users). Each artist's desktop runs as their user
//!   and their home is theirs alone (mode 0700; it is handed over, files included, when it
//!   belonged to someone else, such as after restoring a backup taken as another user). The
//!   folders above the homes are 0711, so an artist cannot list the other sessions, enter
//!   another artist's home, read the server's records, logs or backups, or signal or trace
//!   another artist's processes: the kernel's ordinary separation between users. What they
//!   still share is whatever any user of the host may reach (`/tmp`, world-readable files,
//!   the GPU), and an artist with several sessions reaches all of them, as one user.
//! - **One shared user** (`run_as: Some(user)`, or `launch_as` with the same user for
//!   everyone). The desktops cannot touch the server's files, the records under `run/` or the
//!   backups, but the artists share one user, so they can reach each other's homes and
//!   processes.
//! - **The server's own user** (`run_as: None`, or `launch_as(…, None)`). The artists'
//!   desktops can read and write each other's homes, the backups, and any file the server can
//!   (its database and keys included), and as root they *are* root. That is only acceptable
//!   for a single artist or a demo.
//!
//! In every case the VNC socket is mode 0600 and owned by the desktop's user, and the X
//! display requires its cookie, so *other* local users can neither watch nor type into a
//! desktop. A desktop as root is refused unless [`DesktopsConfig::allow_root`] says so.
//!
//! **Root never acts through a path the artist can change.** The artist owns their socket
//! folder and home, so [`Desktops::connect`] reaches only the desktop's own Xvnc whatever is
//! at the socket's path (`connect.rs`), owners and modes are changed through descriptors
//! opened without following links (`nofollow.rs`), and copies of homes run as their owner
//! (`homes.rs`).
//!
//! **Containment.** Every process of a desktop is in its own control group, which Stop ends
//! whole, with [`Limits`] on its processes and memory (`contain.rs`); every process runs with
//! `PR_SET_NO_NEW_PRIVS` and without core files (`process.rs`).

mod activity;
mod connect;
mod contain;
mod error;
mod homes;
mod ids;
mod launch;
mod layout;
mod nofollow;
mod process;
mod rfb_input;
mod stop;
mod thumbnail;
mod x11;

pub use activity::cpu_time_of;
pub use contain::{Containment, Limits, DEFAULT_PIDS_MAX};
pub use error::{DesktopError, Result, INSTALL_HINT};
pub use ids::MAX_ID_LEN;
pub use process::Process;
pub use rfb_input::InputCounter;
pub use thumbnail::{take as take_thumbnail, Thumbnail};

use layout::Layout;
use process::Identity;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Child;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// How desktops are made on this host.
#[derive(Clone, Debug)]
pub struct DesktopsConfig {
    /// A folder of its own (it is created, and its mode set to 0700, or 0711 when the server
    /// is root and may start desktops as other users),
    /// holding `homes/`, `run/` and `backups/`. Keep it short: the VNC socket path
    /// `ROOT/run/SESSION/x/vnc.sock` must fit in 107 bytes.
    pub root: PathBuf,
    /// Screen size in pixels. The viewer scales it to the browser window.
    pub width: u32,
    pub height: u32,
    /// How many desktops may run at once on this host; [`Desktops::launch`] refuses more.
    pub max_desktops: usize,
    /// Program and arguments started once the window manager is up.
    pub start_command: Vec<String>,
    /// OS user that [`Desktops::launch`] and [`Desktops::launch_with`] run desktops as; `None`
    /// is the server's own user. [`Desktops::launch_as`] chooses per launch instead. See
    /// "Isolation" above.
    pub run_as: Option<String>,
    /// How long a launch may take before it is undone and reported as failed.
    pub start_timeout: Duration,
    /// Whether a desktop may run as root (a root server without `run_as` or a per-launch
    /// user). Off by default: a desktop as root gives its artist the host. Only for a host
    /// with a single artist.
    pub allow_root: bool,
    /// How every process of a desktop is kept together so Stop ends them all (see
    /// [`Containment`]).
    pub containment: Containment,
}

impl DesktopsConfig {
    /// 1280×800, 8 desktops, `xterm -fa 'DejaVu Sans Mono' -fs 12`, the server's user, 20 s.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DesktopsConfig {
            root: root.into(),
            width: 1280,
            height: 800,
            max_desktops: 8,
            start_command: ["xterm", "-fa", "DejaVu Sans Mono", "-fs", "12"]
                .map(String::from)
                .to_vec(),
            run_as: None,
            start_timeout: Duration::from_secs(20),
            allow_root: false,
            containment: Containment::Auto,
        }
    }
}

/// A running desktop, as recorded in `ROOT/run/SESSION/desktop.json`. Serializable, so a
/// caller may keep a copy in its own store; this crate re-reads its own record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desktop {
    pub session_id: String,
    /// The X display number (`DISPLAY=:N`).
    pub display: u32,
    /// The VNC server: connect, and the first bytes are `RFB 003.008\n`. No password (the
    /// socket's 0600 mode is the access control): check the artist before bridging.
    pub vnc_socket: PathBuf,
    /// The X cookie file; X clients need `XAUTHORITY` set to it.
    pub xauthority: PathBuf,
    /// The artist's home folder (`HOME` and working directory of the start command).
    pub home: PathBuf,
    pub width: u32,
    pub height: u32,
    /// The OS user every process of the desktop runs as (its name, or its uid when it has
    /// none); the home belongs to it. Empty in records written before it was kept.
    #[serde(default)]
    pub user: String,
    /// That user's uid. `None` in records written before it was kept.
    #[serde(default)]
    pub uid: Option<u32>,
    pub xvnc: Process,
    pub window_manager: Process,
    /// The start command. The desktop stays up if the artist closes it.
    pub app: Process,
    /// When the launch finished, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
}

/// Memory of one desktop's processes, in KiB (see [`Desktops::memory`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryUse {
    /// Proportional set size: shared pages divided among their users. What one more desktop
    /// costs the host.
    pub pss_kib: u64,
    /// Resident set size: shared pages counted in full for each process.
    pub rss_kib: u64,
    /// How many processes carry the desktop's mark (the artist's programs included).
    pub processes: usize,
}

/// The desktops of one root. `Send + Sync`: share it in an `Arc`.
pub struct Desktops {
    config: DesktopsConfig,
    user: Identity,
    layout: Layout,
    /// The control groups that contain each desktop, or why there are none.
    cgroups: std::result::Result<contain::Cgroups, String>,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Processes this server started: waited for, so that a dead one does not linger as a
    /// zombie (an X display stays locked until its dead server is reaped).
    children: Vec<Child>,
    /// Sessions and backups with an operation in progress.
    busy: HashSet<String>,
    /// Launches past the limit check that have not written their record yet.
    launching: usize,
}

impl Desktops {
    /// `Ok` when every program a desktop runs is on PATH; otherwise a message naming the
    /// missing ones and how to install them.
    pub fn check_installed() -> Result<(), String> {
        launch::check_installed(&DesktopsConfig::new("/").start_command)
    }

    /// Opens (creating if needed) the desktops root. Fails when `run_as` names an unknown user,
    /// or another user while the server is not root, or the root is out of that user's reach.
    pub fn new(config: DesktopsConfig) -> Result<Desktops> {
        let user = Identity::resolve(config.run_as.as_deref())?;
        let layout = Layout::create(&config.root, &user)?;
        let cgroups = contain::Cgroups::detect(config.containment, &layout.root);
        Ok(Desktops {
            config,
            user,
            layout,
            cgroups,
            state: Mutex::default(),
            changed: Condvar::new(),
        })
    }

    /// `Ok` when desktops can start as OS user `name` on this host: it exists, and it is the
    /// server's own user or the server runs as root. For checking a configuration at start;
    /// [`Desktops::launch_as`] checks again.
    /// Root is refused: a mapping never makes an artist root.
    pub fn check_user(name: &str) -> Result<()> {
        let user = Identity::resolve(Some(name))?;
        if user.uid.is_root() {
            return Err(DesktopError::RunAs {
                user: name.to_owned(),
                reason: "it is root, and a desktop as root gives its artist the whole host".into(),
            });
        }
        Ok(())
    }

    /// How desktops are contained on this host, for the server's log: the cgroup hierarchy
    /// used, or why there is none (then Stop finds a desktop's processes by their recorded
    /// pids and environment mark only, which a process that clears its environment escapes).
    pub fn containment(&self) -> String {
        match &self.cgroups {
            Ok(cgroups) => cgroups.describe(),
            Err(why) => format!("no control groups ({why})"),
        }
    }

    /// The configuration in use, with `root` as given.
    pub fn config(&self) -> &DesktopsConfig {
        &self.config
    }

    /// The live desktop of `session_id`, if any: its Xvnc runs (not a zombie, pid not reused)
    /// and its socket exists. `None` for an invalid id. Cheap: two small file reads.
    pub fn find(&self, session_id: &str) -> Option<Desktop> {
        let id = ids::check("session", session_id).ok()?;
        self.reap();
        self.live(id)
    }

    /// How many desktops are live under this root.
    pub fn running(&self) -> usize {
        self.reap();
        self.count_live()
    }

    /// The memory that `session_id`'s desktop uses now, with every process it started.
    /// Reads `/proc/*/environ` and `smaps_rollup`: for benchmarks and admin pages, not polling.
    pub fn memory(&self, session_id: &str) -> Option<MemoryUse> {
        let id = ids::check("session", session_id).ok()?;
        self.live(id)?;
        let processes = process::marked(&self.layout.marker(id));
        let (rss_kib, pss_kib) = process::memory_kib(&processes)?;
        Some(MemoryUse {
            pss_kib,
            rss_kib,
            processes: processes.len(),
        })
    }

    fn live(&self, id: &str) -> Option<Desktop> {
        let text = std::fs::read(self.layout.record(id)).ok()?;
        let desktop: Desktop = serde_json::from_slice(&text).ok()?;
        (desktop.xvnc.is_alive() && desktop.vnc_socket.exists()).then_some(desktop)
    }

    fn count_live(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.layout.runs()) else {
            return 0;
        };
        entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| ids::check("session", name).is_ok() && self.live(name).is_some())
            .count()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for the exit status of every child that has ended.
    fn reap(&self) {
        self.lock()
            .children
            .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    }

    /// Waits until no other operation holds `key`, then holds it until the guard drops.
    fn hold(&self, key: String) -> Held<'_> {
        let mut state = self.lock();
        while state.busy.contains(&key) {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        state.busy.insert(key.clone());
        Held {
            desktops: self,
            key,
        }
    }
}

/// An operation in progress on one session or backup; others on the same key wait for it.
struct Held<'a> {
    desktops: &'a Desktops,
    key: String,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.desktops.lock().busy.remove(&self.key);
        self.desktops.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn desktops_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Desktops>();
    }
}
