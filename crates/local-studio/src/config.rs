//! Studios, their users and launch profiles, read from TOML (`--config`, or the built-in
//! demo studio). Launch profiles are the API's own `LaunchProfile` and are checked against
//! the model's constraints, so a bad file fails at start with the field named.
//!
//! Beside the API's fields, each launch profile names the workstation driver that makes
//! its sessions real machines (`driver = "simulated"` by default, or `"local-desktop"`),
//! the time limit of each action, and what a desktop starts (`start_command`).

use nimble_model::{LaunchProfile, LaunchProfileState, Validate};
use serde::Deserialize;
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
    #[serde(default)]
    pub launch_profiles: Vec<Profile>,
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
}

impl DriverName {
    pub fn as_str(self) -> &'static str {
        match self {
            DriverName::Simulated => "simulated",
            DriverName::LocalDesktop => "local-desktop",
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
            for entry in &mut studio.launch_profiles {
                if entry.time_limit_seconds == 0 {
                    return Err(ConfigError::Invalid(format!(
                        "studio {}: time_limit_seconds must be at least 1",
                        studio.studio_id
                    )));
                }
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
                if profile.stream_configuration.is_none() {
                    return Err(context("streamConfiguration is required".into()));
                }
                profile.validate().map_err(|e| context(e.to_string()))?;
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
