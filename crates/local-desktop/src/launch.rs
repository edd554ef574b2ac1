//! Starting a desktop.
//!
//! Launch, in order, each step bounded by one deadline ([`DesktopsConfig::start_timeout`]):
//! refuse root unless allowed; write the cookie; create the desktop's control group, which
//! every process joins before it runs; start Xvnc and read the display number it prints on
//! `-displayfd 1`; wait until its socket, checked to be its own (`connect.rs`), answers
//! `RFB `; start openbox and wait for `_NET_SUPPORTING_WM_CHECK`;
//! start the start command and give it a moment to show its first window; write
//! `desktop.json`. Any failure undoes everything (through [`Desktops::stop`]'s own code)
//! and returns the error with the end of the relevant log. One sequence, kept in one file
//! (under 400 lines) so it reads in order.

use crate::connect::connect_checked;
use crate::contain::{Joiner, Limits};
use crate::error::{DesktopError, Result, INSTALL_HINT};
use crate::layout::{check_reachable, make_dir, own_home};
use crate::process::{Identity, Process};
use crate::x11::{self, wait_for};
use crate::{ids, Desktop, Desktops};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// PATH given to desktops: the system's programs, not whatever the server was started with.
pub(crate) const SAFE_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Programs every desktop needs besides its start command.
const REQUIRED: [&str; 3] = ["Xvnc", "openbox", "xprop"];
/// How long a launch waits for the start command's first window.
const APP_WINDOW_WAIT: Duration = Duration::from_secs(2);

pub(crate) fn check_installed(start_command: &[String]) -> Result<(), String> {
    let on_path = |program: &str| {
        program.contains('/') && Path::new(program).is_file()
            || std::env::split_paths(SAFE_PATH).any(|dir| dir.join(program).is_file())
    };
    let mut missing: Vec<&str> = REQUIRED.into_iter().filter(|p| !on_path(p)).collect();
    if let Some(app) = start_command.first().filter(|p| !on_path(p)) {
        missing.push(app);
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} not installed (looked in {SAFE_PATH}): {INSTALL_HINT}",
            missing.join(", ")
        ))
    }
}

impl Desktops {
    /// Starts the desktop of `session_id`, or returns it if it already runs (never two per
    /// session, even when called concurrently or by a restarted server). Leftovers of a
    /// desktop that died are cleaned up first, so a new one starts on a fresh display.
    ///
    /// Errors: [`DesktopError::LimitReached`] when `max_desktops` run already;
    /// [`DesktopError::NotInstalled`]; [`DesktopError::Timeout`] or
    /// [`DesktopError::StartFailed`] after undoing a launch that went wrong.
    pub fn launch(&self, session_id: &str) -> Result<Desktop> {
        let command = self.config.start_command.clone();
        self.launch_with(session_id, &command)
    }

    /// [`Desktops::launch`] with another start command than the configured one (a launch
    /// profile's application). A desktop that already runs is returned as it is.
    pub fn launch_with(&self, session_id: &str, start_command: &[String]) -> Result<Desktop> {
        let run_as = self.config.run_as.clone();
        self.launch_as(session_id, start_command, run_as.as_deref())
    }

    /// [`Desktops::launch_with`] as OS user `os_user` (`None`: the server's own user) instead
    /// of the configured `run_as`: one user per artist. Every process of the desktop runs as
    /// that user, with its supplementary groups; the session's home is handed to it (mode
    /// 0700, its files too when they belonged to someone else) and the socket folder is its
    /// own, while the record stays the server's. A desktop that already runs is returned as
    /// it is, whichever user it runs as ([`Desktop::user`] says).
    ///
    /// Errors, besides those of [`Desktops::launch`]: [`DesktopError::RunAs`] when the user
    /// does not exist, when it is another user and the server is not root, or when it cannot
    /// pass through the folders above the root.
    pub fn launch_as(
        &self,
        session_id: &str,
        start_command: &[String],
        os_user: Option<&str>,
    ) -> Result<Desktop> {
        self.launch_limited(session_id, start_command, os_user, &Limits::default())
    }

    /// [`Desktops::launch_as`] within `limits` (a launch profile's), which hold for every
    /// process of the desktop together when control groups are available
    /// ([`Desktops::containment`]).
    pub fn launch_limited(
        &self,
        session_id: &str,
        start_command: &[String],
        os_user: Option<&str>,
        limits: &Limits,
    ) -> Result<Desktop> {
        let id = ids::check("session", session_id)?;
        let user = self.identity(os_user)?;
        let _held = self.hold(id.to_owned());
        self.reap();
        if let Some(desktop) = self.live(id) {
            return Ok(desktop);
        }
        check_installed(start_command).map_err(DesktopError::NotInstalled)?;
        self.end_processes(id)?;
        {
            let mut state = self.lock();
            if self.count_live() + state.launching >= self.config.max_desktops {
                return Err(DesktopError::LimitReached {
                    max: self.config.max_desktops,
                });
            }
            state.launching += 1;
        }
        let result = self.start(id, start_command, &user, limits);
        self.lock().launching -= 1;
        if result.is_err() {
            let _ = self.end_processes(id);
        }
        result
    }

    /// Who a launch as `os_user` runs as: the configured user as resolved at start, or
    /// another one, checked now (it may have been created or removed since).
    fn identity(&self, os_user: Option<&str>) -> Result<Identity> {
        if os_user == self.config.run_as.as_deref() {
            return Ok(self.user.clone());
        }
        let user = Identity::resolve(os_user)?;
        if user.is_other_user() {
            check_reachable(&self.layout.root, &user)?;
        }
        Ok(user)
    }

    /// `Ok` when a desktop may start as `os_user` (`None`: the server's own user): the user
    /// exists, the server may switch to it, and it is not root unless the configuration
    /// allows root desktops. For refusing a launch before anything is under way.
    pub fn check_launch_user(&self, os_user: Option<&str>) -> Result<()> {
        self.refuse_root(&self.identity(os_user)?)
    }

    /// Refuses a desktop as root unless the configuration allows it: its artist would own
    /// the host.
    fn refuse_root(&self, user: &Identity) -> Result<()> {
        if user.uid.is_root() && !self.config.allow_root {
            return Err(DesktopError::RunAs {
                user: user.name.clone(),
                reason: "a desktop as root gives its artist the whole host; map artists to their own OS users, or allow root desktops explicitly for a single-artist host".into(),
            });
        }
        Ok(())
    }

    fn start(
        &self,
        id: &str,
        start_command: &[String],
        user: &Identity,
        limits: &Limits,
    ) -> Result<Desktop> {
        self.refuse_root(user)?;
        let timeout = self.config.start_timeout;
        let deadline = (Instant::now() + timeout, timeout);
        let layout = &self.layout;
        x11::ensure_socket_dir()?;
        let home = layout.home(id);
        if home.is_dir() {
            own_home(&home, user)?;
        } else {
            make_dir(&home, 0o700, Some(user))?;
        }
        let run = layout.run(id);
        make_dir(&run, 0o711, None)?;
        make_dir(&layout.private(id), 0o700, Some(user))?;
        let socket = layout.socket(id)?;
        let xauthority = layout.private(id).join("Xauthority");
        x11::write_cookie(
            &xauthority,
            user.is_other_user().then_some((user.uid, user.gid)),
        )?;
        let group = match &self.cgroups {
            Ok(cgroups) => Some(cgroups.create(id, limits).map_err(|e| {
                DesktopError::io("cannot create the control group of", layout.run(id), e)
            })?),
            Err(_) => None,
        };
        let group = group.as_ref();

        let environment = |program: &str| {
            let mut cmd = Command::new(program);
            cmd.env_clear()
                .env("PATH", SAFE_PATH)
                .env("HOME", &home)
                .env("USER", &user.name)
                .env("LOGNAME", &user.name)
                .env("SHELL", &user.shell)
                .env("LANG", "C.UTF-8")
                .env("XAUTHORITY", &xauthority)
                .env("LOCAL_DESKTOP", run.as_os_str())
                .current_dir(&home)
                .stdin(Stdio::null());
            cmd
        };
        let log = |name: &str| -> Result<(File, std::path::PathBuf)> {
            let path = run.join(name);
            let file = private_file(&path)?;
            Ok((file, path))
        };

        let (xvnc_log, xvnc_log_path) = log("xvnc.log")?;
        let geometry = format!("{}x{}", self.config.width, self.config.height);
        let mut xvnc = environment("Xvnc");
        xvnc.args(["-displayfd", "1", "-auth"])
            .arg(&xauthority)
            .args(["-nolisten", "tcp", "-geometry", &geometry, "-depth", "24"])
            .args(["-rfbport", "-1", "-rfbunixpath"])
            .arg(&socket)
            .args([
                "-rfbunixmode",
                "0600",
                "-SecurityTypes",
                "None",
                "-desktop",
                id,
                // Nothing but the name may be changed from inside the desktop (TigerVNC's
                // vncconfig would otherwise switch the clipboard back on).
                "-AllowOverride",
                "desktop",
                // Every viewer shares the desktop, whatever its ClientInit asks: no viewer
                // (a colleague with control, a thumbnail) can disconnect the others.
                "-AlwaysShared",
            ])
            .args(limits.xvnc_args())
            .stdout(Stdio::piped())
            .stderr(xvnc_log);
        let (xvnc, display) = self.spawn_xvnc(user, group, xvnc, deadline, &xvnc_log_path)?;
        let own = |path: &Path| connect_checked(id, path, xvnc, user.uid.as_raw()).ok();
        wait_for("the VNC socket answering", deadline, &xvnc_log_path, || {
            Ok(own(&socket).and_then(x11::greets))
        })?;

        let (session_log, session_log_path) = log("session.log")?;
        let stderr = |f: &File| {
            f.try_clone()
                .map_err(|e| DesktopError::io("cannot share", &session_log_path, e))
        };
        let display_var = format!(":{display}");
        let mut openbox = environment("openbox");
        openbox
            .env("DISPLAY", &display_var)
            .stdout(stderr(&session_log)?)
            .stderr(stderr(&session_log)?);
        let window_manager = self.spawn(user, group, "openbox", openbox, &session_log_path)?;
        wait_for(
            "the window manager (openbox) starting",
            deadline,
            &session_log_path,
            || {
                if !window_manager.is_alive() {
                    return Err(exited("openbox", &session_log_path));
                }
                Ok(x11::window_manager_ready(display, &xauthority).then_some(()))
            },
        )?;

        let [program, args @ ..] = start_command else {
            return Err(DesktopError::StartFailed {
                what: "the start command".into(),
                detail: "it is empty".into(),
                log: String::new(),
            });
        };
        let mut app = environment(program);
        app.args(args)
            .env("DISPLAY", &display_var)
            .stdout(stderr(&session_log)?)
            .stderr(session_log);
        let app = self.spawn(user, group, program, app, &session_log_path)?;
        x11::wait_for_app_window(display, &xauthority, &app, APP_WINDOW_WAIT);

        let desktop = Desktop {
            session_id: id.to_owned(),
            display,
            vnc_socket: socket,
            xauthority: xauthority.clone(),
            home: home.clone(),
            width: self.config.width,
            height: self.config.height,
            user: user.name.clone(),
            uid: Some(user.uid.as_raw()),
            xvnc,
            window_manager,
            app,
            started_unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        };
        let record = layout.record(id);
        let partial = run.join(".desktop.json.partial");
        let json = serde_json::to_vec_pretty(&desktop).expect("a Desktop always serializes");
        private_file(&partial)?
            .write_all(&json)
            .and_then(|()| std::fs::rename(&partial, &record))
            .map_err(|e| DesktopError::io("cannot write", &record, e))?;
        Ok(desktop)
    }

    /// Starts a process as the desktop user, in its own session and in the desktop's `group`,
    /// and keeps its handle to reap it.
    fn spawn(
        &self,
        user: &Identity,
        group: Option<&Joiner>,
        what: &str,
        mut cmd: Command,
        log: &Path,
    ) -> Result<Process> {
        let child = user
            .spawn(&mut cmd, group)
            .map_err(|e| DesktopError::StartFailed {
                what: format!("starting {what}"),
                detail: e.to_string(),
                log: x11::log_tail(log),
            })?;
        let process = Process::of(child.id());
        self.lock().children.push(child);
        process.ok_or_else(|| exited(what, log))
    }

    /// Starts Xvnc and reads the display number it writes to its stdout (`-displayfd 1`).
    fn spawn_xvnc(
        &self,
        user: &Identity,
        group: Option<&Joiner>,
        mut cmd: Command,
        (deadline, timeout): (Instant, Duration),
        log: &Path,
    ) -> Result<(Process, u32)> {
        let mut child = user
            .spawn(&mut cmd, group)
            .map_err(|e| DesktopError::StartFailed {
                what: "starting Xvnc".into(),
                detail: e.to_string(),
                log: String::new(),
            })?;
        let stdout = child.stdout.take();
        let process = Process::of(child.id());
        self.lock().children.push(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(out) = stdout {
                let _ = BufReader::new(out).read_line(&mut line);
            }
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .map_err(|_| DesktopError::Timeout {
                what: "Xvnc choosing a display",
                after: timeout,
                log: x11::log_tail(log),
            })?;
        match (process, line.trim().parse::<u32>()) {
            (Some(process), Ok(display)) => Ok((process, display)),
            _ => Err(exited("Xvnc", log)),
        }
    }
}

/// A new file only the server may read (mode 0600): the record and the logs, which other
/// users may reach by name through the 0711 folders but must not read.
fn private_file(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| DesktopError::io("cannot create", path, e))
}

fn exited(what: &str, log: &Path) -> DesktopError {
    DesktopError::StartFailed {
        what: format!("starting {what}"),
        detail: "it exited at once".into(),
        log: x11::log_tail(log),
    }
}
