//! Workstation drivers: what makes a session a real machine. A driver provisions and
//! tears down workstations; it knows nothing of HTTP or the Nimble wire format.
//!
//! The shape follows JupyterHub's Spawner and Coder's provisioner: [`Driver::begin`]
//! starts an action and returns at once, [`Driver::observe`] reports progress and the end,
//! and each session keeps an opaque JSON state (a display, a PID, an instance id) that is
//! stored with it, so a restarted server re-attaches instead of starting twice. The
//! reconciler (`reconciler.rs`) is the only caller of begin and observe; the API reads
//! the database only.

mod ec2;
mod jobs;
mod local_desktop;
mod simulated;
mod thumbnails;

pub use ec2::{permissions as dcv_permissions, Ec2};
pub use local_desktop::{DesktopSettings, LocalDesktop};
pub use thumbnails::Thumbnails;

use crate::config::{DriverName, Profile, Studio};
use crate::lifecycle::{DriverLink, SessionRecord};
use crate::store;
use nimble_model::{ApiError, ErrorType, StreamingSession, StreamingSessionStatusCode as Code};
use rusqlite::Transaction;
use serde_json::Value;
use std::sync::Arc;

/// What a driver is asked to do for one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    Create,
    /// Start again, on the files restored from `restore` when given.
    Start {
        restore: Option<String>,
    },
    /// Stop; copy the files to backup `backup` first (removing the `pruned` backups it
    /// replaces), and delete them when `delete_files`.
    Stop {
        delete_files: bool,
        backup: Option<String>,
        pruned: Vec<String>,
    },
    Delete,
}

/// How the work begun for a session is going.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Nothing is in flight for this work here (for example after a restart): begin it.
    Idle,
    /// Still working; the message is shown as the session's statusMessage.
    Working(String),
    /// Finished; the session's new driver state.
    Done(Value),
    Failed(Code, String),
}

pub trait Driver: Send + Sync {
    /// Begins `work` and returns at once. Beginning the same work again, while it runs or
    /// after a restart, never makes a second machine.
    fn begin(&self, session: &str, work: Work, link: &DriverLink);
    /// How `work`, begun earlier, is going; `Idle` if this driver is not doing it.
    fn observe(&self, session: &str, work: &Work) -> Progress;
    /// Drops what the driver remembers of a finished action.
    fn forget(&self, session: &str);
    /// Whether the machine that `state` describes is still there. Called every drift
    /// interval for each session, so it must be cheap.
    fn alive(&self, session: &str, state: &Value) -> bool;
    /// The URL that a stream of `session` (called `name` by people), whose machine `state`
    /// describes, opens with its one-time `token`; `None` when the machine has no address.
    fn stream_url(&self, session: &str, name: &str, state: &Value, token: &str) -> Option<String>;
    /// Machines this host can run at once, if limited.
    fn capacity(&self) -> Option<usize>;
    /// Refuses, at create, a machine that would run as `os_user` (`None`: this server's
    /// own user) when this driver may not run one so.
    fn check_os_user(&self, _os_user: Option<&str>) -> Result<(), String> {
        Ok(())
    }
    /// A connection to the desktop of `session` for the browser's viewer (local desktops).
    fn connect_viewer(&self, _session: &str) -> Result<std::os::unix::net::UnixStream, String> {
        Err("this workstation has no desktop on this host".into())
    }
    /// CPU time the workstation's processes have used so far, where the driver can tell
    /// (idle stop's measure of work).
    fn cpu_time(&self, _session: &str) -> Option<std::time::Duration> {
        None
    }
    /// The GPU's busy share used by the workstation now, where the driver can tell.
    fn gpu_percent(&self, _session: &str) -> Option<f64> {
        None
    }
    /// Ends whatever is left of a machine found gone (a READY session whose machine the drift
    /// check did not find), so nothing of it outlives its session. Returns at once.
    fn clean_up(&self, _session: &str) {}
}

/// A profile's limits on each of its local desktops.
fn local_desktop_limits(profile: &Profile) -> Option<::local_desktop::Limits> {
    let limits = ::local_desktop::Limits {
        pids_max: profile.pids_limit,
        memory_max_bytes: profile.memory_limit_mib.map(|mib| mib * 1024 * 1024),
        no_clipboard: !clipboard_enabled(profile),
    };
    (limits != ::local_desktop::Limits::default()).then_some(limits)
}

/// Whether `profile`'s desktops have a clipboard: closed unless it says ENABLED.
pub fn clipboard_enabled(profile: &Profile) -> bool {
    let configuration = profile.api.stream_configuration.as_ref();
    configuration.and_then(|c| c.clipboard_mode.as_ref())
        == Some(&nimble_model::StreamingClipboardMode::Enabled)
}

/// Takes `profile`'s desktop limits as they are now into `record`'s link, at each start:
/// they were copied when the session was made, and a profile may have been tightened
/// since (a clipboard disabled must be off from the next start).
pub fn take_current_limits(record: &mut SessionRecord, profile: &Profile) {
    let link = record.driver.as_mut();
    if let Some(link) = link.filter(|l| l.name == DriverName::LocalDesktop.as_str()) {
        link.limits = local_desktop_limits(profile);
    }
}

/// The drivers of one server, by name.
pub struct Drivers {
    simulated: Arc<dyn Driver>,
    local_desktop: Option<Arc<dyn Driver>>,
    ec2: Option<Arc<dyn Driver>>,
}

impl Drivers {
    pub fn new(
        simulated_url_base: String,
        local_desktop: Option<Arc<dyn Driver>>,
        ec2: Option<Arc<dyn Driver>>,
    ) -> Drivers {
        Drivers {
            simulated: Arc::new(simulated::Simulated::new(simulated_url_base)),
            local_desktop,
            ec2,
        }
    }

    /// The link a new `session` of `studio`'s `profile` gets (with the OS user its owner
    /// runs as); `None` for a simulated one, whose transitions are timers. An EC2 session's
    /// first state names what it launches; a bad owner name for an EC2 OS user is refused.
    pub fn link(
        &self,
        studio: &Studio,
        profile: &Profile,
        session: &StreamingSession,
    ) -> Result<Option<DriverLink>, ApiError> {
        let owner = session.owned_by.as_deref().unwrap_or_default();
        let (state, os_user) = match (profile.driver, &profile.ec2) {
            (DriverName::Simulated, _) => return Ok(None),
            (DriverName::Ec2, Some(settings)) => {
                let os_user = settings.os_user(owner).map_err(|message| {
                    ApiError::from(nimble_model::ValidationError::new("ownedBy", message))
                })?;
                (ec2::first_state(studio, profile, session), Some(os_user))
            }
            (DriverName::LocalDesktop, _) => {
                let refused = |message: String| {
                    ApiError::from(nimble_model::ValidationError::new("ownedBy", message))
                };
                let os_user = studio.os_user(owner).map_err(refused)?;
                if let Some(driver) = &self.local_desktop {
                    driver.check_os_user(os_user).map_err(refused)?;
                }
                (Value::Null, os_user.map(str::to_owned))
            }
            (DriverName::Ec2, None) => (Value::Null, None),
        };
        Ok(Some(DriverLink {
            name: profile.driver.as_str().to_owned(),
            time_limit_ms: profile.time_limit_seconds as i64 * 1000,
            state,
            command: profile.start_command.clone(),
            os_user,
            limits: local_desktop_limits(profile),
        }))
    }

    /// The driver of a session.
    pub fn of(&self, link: Option<&DriverLink>) -> Option<&Arc<dyn Driver>> {
        match link.map(|l| l.name.as_str()) {
            None => Some(&self.simulated),
            Some(name) if name == DriverName::LocalDesktop.as_str() => self.local_desktop.as_ref(),
            Some(name) if name == DriverName::Ec2.as_str() => self.ec2.as_ref(),
            Some(_) => None,
        }
    }

    /// A connection to `session`'s local desktop for the browser's viewer.
    pub fn connect_viewer(&self, session: &str) -> Result<std::os::unix::net::UnixStream, String> {
        match &self.local_desktop {
            Some(driver) => driver.connect_viewer(session),
            None => Err("this server runs no local desktops".into()),
        }
    }

    pub fn stream_url(&self, record: &SessionRecord, token: &str) -> Option<String> {
        let state = record
            .driver
            .as_ref()
            .map(|l| &l.state)
            .unwrap_or(&Value::Null);
        self.of(record.driver.as_ref())?.stream_url(
            record.session_id(),
            Self::name_of(record),
            state,
            token,
        )
    }

    /// The portal's name for a workstation: its `name` tag, else its id.
    pub fn name_of(record: &SessionRecord) -> &str {
        let name = record.session.tags.as_ref().and_then(|t| t.get("name"));
        name.map_or(record.session_id(), String::as_str)
    }

    /// The machine a session runs on now (an EC2 instance id), which its stream tokens
    /// are bound to.
    pub fn machine_of(record: &SessionRecord) -> Option<String> {
        let link = record.driver.as_ref()?;
        link.state[ec2::MACHINE_KEY].as_str().map(str::to_owned)
    }

    /// Refuses, before anything starts, a machine more than the host can run.
    pub fn check_capacity(&self, tx: &Transaction, record: &SessionRecord) -> Result<(), ApiError> {
        let Some(link) = &record.driver else {
            return Ok(());
        };
        let Some(max) = self.of(Some(link)).and_then(|d| d.capacity()) else {
            return Ok(());
        };
        if store::count_machines(tx, &link.name)? >= max {
            return Err(ApiError::new(
                ErrorType::ServiceQuotaExceeded,
                format!("This host already runs {max} workstations, the most it allows; stop one first or ask your studio's administrator"),
            )
            .with_context("quota", "max_desktops"));
        }
        Ok(())
    }
}

/// The work a driven transition asks of its driver.
pub fn work_of(record: &SessionRecord) -> Option<Work> {
    use crate::lifecycle::Action;
    let driven = record.pending.as_ref()?.driven.as_ref()?;
    let session = &record.session;
    Some(match driven.action {
        Action::Create => Work::Create,
        Action::Start => Work::Start {
            restore: session.started_from_backup_id.clone(),
        },
        Action::Stop => Work::Stop {
            delete_files: session.volume_retention_mode
                == Some(nimble_model::VolumeRetentionMode::Delete),
            backup: driven.backup_id.clone(),
            pruned: driven.pruned_backups.clone(),
        },
        Action::Delete => Work::Delete,
    })
}
