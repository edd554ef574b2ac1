//! The local-desktop driver: each session is a real X desktop on this host (the
//! `local-desktop` crate: Xvnc + openbox + the profile's start command), shown in the
//! browser by the noVNC viewer that local-studio serves (`desktop/`).
//!
//! The crate's calls block (a launch takes about 0.3 s, a backup as long as its copy), so
//! each action runs on a thread of its own and [`Driver::observe`] reads how it went.
//! Launching is idempotent per session, so an action begun again after a restart finds
//! the desktop that is already running instead of starting a second one.
//!
//! Each session's desktop runs as the OS user its link names (the studio's `os_users`
//! mapping for the session's owner), or as local-studio's own user when it names none;
//! when that is root, only if [`DesktopSettings::allow_root`] says so (single-artist hosts).
//! Every process of a desktop is kept in its control group (the crate's containment), and
//! the viewer reaches a desktop only through [`Desktops::connect`], which refuses anything
//! but the desktop's own Xvnc at its socket's path.

use super::jobs::Jobs;
use super::{Driver, Progress, Work};
use crate::lifecycle::DriverLink;
use local_desktop::{DesktopError, Desktops, DesktopsConfig};
use nimble_model::StreamingSessionStatusCode as Code;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// Where desktops live on this host and how they look.
#[derive(Clone, Debug)]
pub struct DesktopSettings {
    /// Holds the sessions' homes, backups and run files; keep the path short (the VNC
    /// socket path under it must fit in 107 bytes).
    pub root: PathBuf,
    pub max_desktops: usize,
    pub width: u32,
    pub height: u32,
    /// The start command when a launch profile names none (default: a terminal).
    pub start_command: Option<Vec<String>>,
    /// Where browsers reach this server's viewer (`…/desktop/`); by default its own
    /// listen address.
    pub url_base: Option<String>,
    /// The built noVNC viewer (`cargo xtask setup` writes `.tools/desktop-viewer`).
    pub viewer_dir: PathBuf,
    /// Whether desktops of a studio without an OS user mapping may run as root, when
    /// local-studio does (`--single-user-desktops-as-root`): each artist would then be root
    /// on this host, so only for a host with a single artist, or a demo.
    pub allow_root: bool,
}

pub struct LocalDesktop {
    desktops: Arc<Desktops>,
    url_base: String,
    /// Why no desktop can start here (missing packages), reported by every action.
    unusable: Option<String>,
    jobs: Jobs,
    /// Told when an action finishes, so its outcome is written at once.
    finished: Arc<tokio::sync::Notify>,
}

impl LocalDesktop {
    pub fn new(
        settings: &DesktopSettings,
        url_base: String,
        finished: Arc<tokio::sync::Notify>,
    ) -> Result<LocalDesktop, String> {
        let mut config = DesktopsConfig::new(&settings.root);
        config.max_desktops = settings.max_desktops;
        config.width = settings.width;
        config.height = settings.height;
        if let Some(command) = &settings.start_command {
            config.start_command = command.clone();
        }
        config.allow_root = settings.allow_root;
        let desktops = Desktops::new(config).map_err(|e| e.to_string())?;
        tracing::info!(containment = %desktops.containment(), "local desktops");
        if settings.allow_root {
            tracing::warn!("--single-user-desktops-as-root: desktops of studios without an OS user mapping run as local-studio's own user, root if it runs as root, and then their artists can do anything on this host");
        }
        Ok(LocalDesktop {
            desktops: Arc::new(desktops),
            url_base,
            unusable: Desktops::check_installed().err(),
            jobs: Jobs::default(),
            finished,
        })
    }
}

fn working(work: &Work) -> &'static str {
    match work {
        Work::Create | Work::Start { restore: None } => "Starting the desktop…",
        Work::Start { restore: Some(_) } => "Restoring your files and starting the desktop…",
        Work::Stop {
            backup: Some(_), ..
        } => "Stopping the desktop and copying your files…",
        Work::Stop { .. } => "Stopping the desktop…",
        Work::Delete => "Stopping the desktop and removing its files…",
    }
}

/// Does `work`, blocking; the driver state it leaves.
/// Launches run as `os_user` (the studio's mapping for the session's owner; `None` is
/// local-studio's own user).
fn run(
    desktops: &Desktops,
    session: &str,
    work: &Work,
    link: &Launch,
) -> Result<Value, DesktopError> {
    match work {
        Work::Create | Work::Start { .. } => {
            if let Work::Start {
                restore: Some(backup),
            } = work
            {
                desktops.stop(session)?;
                desktops.restore_home(session, backup)?;
            }
            let desktop = desktops.launch_limited(
                session,
                &link.command,
                link.os_user.as_deref(),
                &link.limits,
            )?;
            Ok(serde_json::to_value(desktop).unwrap_or(Value::Null))
        }
        Work::Stop {
            delete_files,
            backup,
            pruned,
        } => {
            desktops.stop(session)?;
            if let Some(backup) = backup {
                desktops.backup_home(session, backup)?;
            }
            for old in pruned {
                desktops.delete_backup(old)?;
            }
            if *delete_files {
                desktops.delete_home(session)?;
            }
            Ok(Value::Null)
        }
        Work::Delete => {
            desktops.stop(session)?;
            desktops.delete_home(session)?;
            Ok(Value::Null)
        }
    }
}

fn failure(error: DesktopError) -> Progress {
    let code = match error {
        DesktopError::LimitReached { .. } => Code::InsufficientCapacity,
        DesktopError::StartFailed { .. } | DesktopError::Timeout { .. } => {
            Code::InitializationScriptError
        }
        _ => Code::InternalError,
    };
    Progress::Failed(code, error.to_string())
}

impl Driver for LocalDesktop {
    fn begin(&self, session: &str, work: Work, link: &DriverLink) {
        let progress = match &self.unusable {
            Some(why) => Progress::Failed(
                Code::InternalError,
                format!("No desktop can start on this host: {why}"),
            ),
            None => Progress::Working(working(&work).to_owned()),
        };
        let start = matches!(progress, Progress::Working(_));
        let Some(job) = self.jobs.start(session, &work, progress) else {
            return; // already under way
        };
        if !start {
            return;
        }
        let desktops = self.desktops.clone();
        let session = session.to_owned();
        let launch = Launch {
            command: link
                .command
                .clone()
                .unwrap_or_else(|| desktops.config().start_command.clone()),
            os_user: link.os_user.clone(),
            limits: link.limits.unwrap_or_default(),
        };
        let finished = self.finished.clone();
        std::thread::spawn(move || {
            let progress = match run(&desktops, &session, &work, &launch) {
                Ok(state) => Progress::Done(state),
                Err(error) => failure(error),
            };
            job.report(progress);
            finished.notify_one();
        });
    }

    fn observe(&self, session: &str, work: &Work) -> Progress {
        self.jobs.observe(session, work)
    }

    fn forget(&self, session: &str) {
        self.jobs.forget(session);
    }

    fn alive(&self, session: &str, _state: &Value) -> bool {
        self.desktops.find(session).is_some()
    }

    fn stream_url(&self, session: &str, name: &str, _state: &Value, token: &str) -> Option<String> {
        // The name titles the viewer's tab.
        let name = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        Some(format!(
            "{}desktop/?authToken={token}&name={name}#{session}",
            self.url_base
        ))
    }

    fn cpu_time(&self, session: &str) -> Option<std::time::Duration> {
        self.desktops.cpu_time(session)
    }

    fn gpu_percent(&self, session: &str) -> Option<f64> {
        self.desktops.gpu_percent(session)
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.desktops.config().max_desktops)
    }

    fn check_os_user(&self, os_user: Option<&str>) -> Result<(), String> {
        if os_user.is_none() && self.desktops.check_launch_user(None).is_err() {
            return Err("this studio maps no artist to an OS user, and local-studio runs as root, so the desktop would run as root: set `os_users` or `default_os_user` in the studio config, or, on a host with a single artist, start local-studio with --single-user-desktops-as-root".into());
        }
        Ok(())
    }

    fn connect_viewer(&self, session: &str) -> Result<std::os::unix::net::UnixStream, String> {
        self.desktops.connect(session).map_err(|e| e.to_string())
    }

    fn clean_up(&self, session: &str) {
        let desktops = self.desktops.clone();
        let session = session.to_owned();
        std::thread::spawn(move || {
            if let Err(error) = desktops.stop(&session) {
                tracing::warn!(%session, %error, "cannot end what is left of a desktop");
            }
        });
    }
}

/// What a launch runs, as whom, within which limits (from the session's link).
struct Launch {
    command: Vec<String>,
    os_user: Option<String>,
    limits: local_desktop::Limits,
}
