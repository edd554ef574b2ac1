//! Studios, their users and launch profiles, read from TOML (`--config`, or the built-in
//! demo studio). Launch profiles are the API's own `LaunchProfile` and are checked against
//! the model's constraints, so a bad file fails at start with the field named.
//!
//! Beside the API's fields, each launch profile names the workstation driver that makes
//! its sessions real machines (`driver = "simulated"` by default, `"local-desktop"`, or
//! `"ec2"` with its `ec2` table: `config/ec2.rs`), the time limit of each
//! action, and what a desktop starts (`start_command`).
//!
//! A studio's streaming images are the API's own `StreamingImage`s; an EC2 profile's
//! `streamingImageIds` must name images that have an `ec2ImageId` (the AMI).
//!
//! A studio may map its artists to OS users (`[studios.os_users]`, and `default_os_user` for
//! the others): their local desktops then run as those users, each home theirs alone. Without
//! a mapping, desktops run as the user local-studio runs as, and artists are not separated
//! from each other (see the local-desktop crate's "Isolation between artists").

mod auto_stop;
pub mod ec2;
mod images;
mod limits;
mod os_users;
mod schedule;

pub use auto_stop::IdleStop;
use ec2::Ec2Settings;
pub use limits::UsageLimits;
use nimble_model::{LaunchProfile, LaunchProfileState, StreamingImage, Validate};
pub use schedule::{schedule_of, ProfileSchedule};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The demo studio `demo-studio` and its launch profiles; also an example config file.
pub const DEMO_TOML: &str = include_str!("studio.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudioConfig {
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default = "default_account")]
    pub account_id: String,
    #[serde(default)]
    pub studios: Vec<Studio>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Studio {
    pub studio_id: String,
    /// When not empty, sessions may only be owned by these users.
    #[serde(default)]
    pub users: Vec<String>,
    /// Sessions per owner that are not DELETED; beyond it, 402 ServiceQuotaExceeded.
    pub max_sessions_per_user: Option<u32>,
    /// Per-artist limits on running workstations (`config/limits.rs`).
    #[serde(default)]
    pub limits: UsageLimits,
    /// The studio's IANA time zone (`config/limits.rs`); absent: UTC.
    pub time_zone: Option<String>,
    /// What an hour READY costs, by instance type (studio usage's cost); absent: 0.
    #[serde(default)]
    pub hourly_rates: BTreeMap<String, f64>,
    #[serde(default)]
    pub launch_profiles: Vec<Profile>,
    /// The OS user that each artist's local desktops run as, by studio user id (a session's
    /// `ownedBy`). Artists not listed run as `default_os_user`. Every user named must exist
    /// on this host, and local-studio must run as root to switch to them.
    #[serde(default)]
    pub os_users: BTreeMap<String, String>,
    /// The OS user for artists not in `os_users`. Absent with a mapping, an artist who is not
    /// in it is refused at create; absent without one, desktops run as local-studio's own user.
    pub default_os_user: Option<String>,
    /// What sessions run: AMIs for EC2 profiles (`[[studios.streaming_images]]`).
    #[serde(default)]
    pub streaming_images: Vec<StreamingImage>,
}

/// A launch profile as the API shows it, and how its workstations are made.
#[derive(Clone, Debug, Deserialize)]
pub struct Profile {
    #[serde(flatten)]
    pub api: LaunchProfile,
    #[serde(default)]
    pub driver: DriverName,
    /// Seconds an action (create, start, stop, delete) may take before it ends in its
    /// *_FAILED state.
    #[serde(default = "default_time_limit")]
    pub time_limit_seconds: u64,
    /// What a local desktop runs once its window manager is up (default: a terminal).
    pub start_command: Option<Vec<String>>,
    /// Most processes and threads a local desktop may have at once, all of its programs
    /// together (default 4,096: `local_desktop::DEFAULT_PIDS_MAX`).
    pub pids_limit: Option<u64>,
    /// Most memory a local desktop may use, all of its programs together, in MiB (default:
    /// no limit but the host's).
    pub memory_limit_mib: Option<u64>,
    /// Where an `ec2` profile's instances run (required with `driver = "ec2"`).
    pub ec2: Option<Ec2Settings>,
    /// Notice before any automatic stop, in minutes (`config/auto_stop.rs`; default 10).
    pub stop_warning_minutes: Option<i64>,
    /// Stop workstations nobody uses (`config/auto_stop.rs`); absent: only the maximum length.
    pub idle_stop: Option<IdleStop>,
    /// What Keep running may add to the maximum length (`config/auto_stop.rs`); absent: nothing.
    pub keep_running: Option<crate::lifecycle::KeepRunning>,
    /// Per-artist limits on this profile's workstations (`config/limits.rs`).
    #[serde(default)]
    pub limits: UsageLimits,
    /// Working hours: the default week and what its day's end does (`config/schedule.rs`).
    pub schedule: Option<ProfileSchedule>,
}

/// The workstation drivers this build has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriverName {
    /// Transitions are timers; no machine exists. Tests, demos without desktops.
    #[default]
    Simulated,
    /// A real X desktop on this host (Xvnc + openbox), shown with noVNC.
    LocalDesktop,
    /// An Amazon EC2 instance running Amazon DCV.
    Ec2,
}

impl DriverName {
    pub fn as_str(self) -> &'static str {
        match self {
            DriverName::Simulated => "simulated",
            DriverName::LocalDesktop => "local-desktop",
            DriverName::Ec2 => "ec2",
        }
    }
}

fn default_time_limit() -> u64 {
    120
}

fn default_region() -> String {
    "us-west-2".into()
}

fn default_account() -> String {
    "123456789012".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("invalid studio config: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid studio config: {0}")]
    Invalid(String),
}

impl StudioConfig {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut config: StudioConfig = toml::from_str(text)?;
        config.complete()?;
        for studio in &config.studios {
            studio.check_os_users(local_desktop::Desktops::check_user)?;
        }
        Ok(config)
    }

    /// Combines several configs (a file and the demo studio); a studio id may appear once.
    pub fn merge(mut self, other: StudioConfig) -> Result<Self, ConfigError> {
        for studio in other.studios {
            if self.studio(&studio.studio_id).is_some() {
                return Err(ConfigError::Invalid(format!(
                    "studio {} is defined twice",
                    studio.studio_id
                )));
            }
            self.studios.push(studio);
        }
        Ok(self)
    }

    pub fn empty() -> Self {
        StudioConfig {
            region: default_region(),
            account_id: default_account(),
            studios: Vec::new(),
        }
    }

    pub fn studio(&self, studio_id: &str) -> Option<&Studio> {
        self.studios.iter().find(|s| s.studio_id == studio_id)
    }

    pub fn studio_mut(&mut self, studio_id: &str) -> Option<&mut Studio> {
        self.studios.iter_mut().find(|s| s.studio_id == studio_id)
    }

    pub fn arn(&self, kind: &str, id: &str) -> String {
        format!(
            "arn:aws:nimble:{}:{}:{kind}/{id}",
            self.region, self.account_id
        )
    }

    /// Validates every launch profile and fills in what the server derives (ARN, state).
    fn complete(&mut self) -> Result<(), ConfigError> {
        let (region, account) = (self.region.clone(), self.account_id.clone());
        for studio in &mut self.studios {
            if studio.studio_id.is_empty() {
                return Err(ConfigError::Invalid(
                    "a studio has an empty studio_id".into(),
                ));
            }
            studio
                .check_time_zone()
                .map_err(|e| ConfigError::Invalid(format!("studio {}: {e}", studio.studio_id)))?;
            images::complete(studio, &region, &account)?;
            for entry in &mut studio.launch_profiles {
                if entry.time_limit_seconds == 0 {
                    return Err(ConfigError::Invalid(format!(
                        "studio {}: time_limit_seconds must be at least 1",
                        studio.studio_id
                    )));
                }
                let auto_stop = entry.check_auto_stop().and_then(|()| {
                    entry
                        .schedule
                        .as_ref()
                        .map_or(Ok(()), ProfileSchedule::check)
                });
                let profile = &mut entry.api;
                let id = profile.launch_profile_id.clone().unwrap_or_default();
                let context = |e: String| {
                    ConfigError::Invalid(format!(
                        "studio {} launch profile {id:?}: {e}",
                        studio.studio_id
                    ))
                };
                if id.is_empty() {
                    return Err(context("launchProfileId is required".into()));
                }
                auto_stop.map_err(context)?;
                if profile.stream_configuration.is_none() {
                    return Err(context("streamConfiguration is required".into()));
                }
                profile.validate().map_err(|e| context(e.to_string()))?;
                images::check_profile(entry, &studio.streaming_images).map_err(context)?;
                let profile = &mut entry.api;
                profile.arn = Some(format!(
                    "arn:aws:nimble:{region}:{account}:launch-profile/{id}"
                ));
                profile.state.get_or_insert(LaunchProfileState::Ready);
            }
        }
        Ok(())
    }
}

impl Studio {
    pub fn launch_profile(&self, id: &str) -> Option<&Profile> {
        self.launch_profiles
            .iter()
            .find(|p| p.api.launch_profile_id.as_deref() == Some(id))
    }

    /// Makes every profile that names `from` use `to` (the demo without desktops).
    pub fn replace_driver(&mut self, from: DriverName, to: DriverName) {
        for profile in &mut self.launch_profiles {
            if profile.driver == from {
                profile.driver = to;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_config_is_valid() {
        let config = StudioConfig::parse(DEMO_TOML).unwrap();
        let studio = config.studio("demo-studio").unwrap();
        assert_eq!(studio.launch_profiles.len(), 2);
        assert!(studio
            .launch_profile("lp-artist")
            .unwrap()
            .api
            .arn
            .is_some());
    }

    #[test]
    fn invalid_launch_profiles_are_rejected_with_the_field_named() {
        let bad = DEMO_TOML.replace("maxBackupsToRetain = 3", "maxBackupsToRetain = 11");
        let error = StudioConfig::parse(&bad).unwrap_err().to_string();
        assert!(error.contains("maxBackupsToRetain"), "{error}");
        let bad = DEMO_TOML.replace("\"g5.2xlarge\"", "\"p9.huge\"");
        let error = StudioConfig::parse(&bad).unwrap_err().to_string();
        assert!(error.contains("ec2InstanceTypes"), "{error}");
    }
}
