//! A launch profile's automatic stops, as the studio file sets them:
//!
//! - `stop_warning_minutes` (default 10): notice before any automatic stop.
//! - `idle_stop = { minutes, cpu_percent, gpu_percent }`: a workstation nobody has used
//!   for `minutes` stops itself. Use is input (in a viewer, or as an EC2 agent reports it);
//!   with `cpu_percent`, also work above that share of one core (a render with nobody at
//!   the keyboard), and with `gpu_percent`, GPU use above it (where `nvidia-smi` is).
//!   Without them, input alone decides.
//! - `keep_running = { step_minutes, longest_minutes }`: what Keep running adds to the
//!   maximum session length, and the longest a session may run from READY in all.
//!
//! Each session keeps the policy it was created with (`lifecycle/auto_stop.rs`).

use super::Profile;
use crate::lifecycle::StopPolicy;
use serde::Deserialize;

pub const DEFAULT_WARNING_MINUTES: i64 = 10;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdleStop {
    pub minutes: i64,
    pub cpu_percent: Option<f64>,
    /// GPU use above this counts as work (EC2: its agent reads `nvidia-smi`; local
    /// desktops: their processes' share, where the host has `nvidia-smi`).
    pub gpu_percent: Option<f64>,
}

impl Profile {
    /// What each session of this profile keeps.
    pub fn stop_policy(&self) -> StopPolicy {
        StopPolicy {
            warning_minutes: self.warning_minutes(),
            idle_minutes: self.idle_stop.as_ref().map(|idle| idle.minutes),
            keep_running: self.keep_running,
        }
    }

    fn warning_minutes(&self) -> i64 {
        self.stop_warning_minutes.unwrap_or(DEFAULT_WARNING_MINUTES)
    }

    /// Why these settings cannot work, if they cannot.
    pub fn check_auto_stop(&self) -> Result<(), String> {
        let warning = self.warning_minutes();
        if warning < 0 {
            return Err("stop_warning_minutes must not be negative".into());
        }
        if let Some(idle) = &self.idle_stop {
            if idle.minutes <= warning {
                return Err(format!(
                    "idle_stop.minutes must be more than stop_warning_minutes ({warning})"
                ));
            }
            let thresholds = [("cpu", idle.cpu_percent), ("gpu", idle.gpu_percent)];
            for (what, percent) in thresholds {
                if percent.is_some_and(|p| !(p > 0.0 && p.is_finite())) {
                    return Err(format!("idle_stop.{what}_percent must be above 0"));
                }
            }
        }
        if let Some(keep) = self.keep_running {
            let maximum = self
                .api
                .stream_configuration
                .as_ref()
                .and_then(|c| c.max_session_length_in_minutes)
                .map(i64::from);
            let Some(maximum) = maximum else {
                return Err("keep_running needs maxSessionLengthInMinutes to extend".into());
            };
            if keep.step_minutes <= warning {
                return Err(format!(
                    "keep_running.step_minutes must be more than stop_warning_minutes ({warning})"
                ));
            }
            if keep.longest_minutes < maximum {
                return Err(format!(
                    "keep_running.longest_minutes must be at least maxSessionLengthInMinutes ({maximum})"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::StudioConfig;

    fn check(keys: &str) -> Result<(), String> {
        let toml = format!(
            r#"
[[studios]]
studio_id = "s"
[[studios.launch_profiles]]
launchProfileId = "lp"
name = "Artist"
{keys}
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]
maxSessionLengthInMinutes = 60
[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#
        );
        StudioConfig::parse(&toml)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn settings_that_cannot_work_are_refused_with_the_key_to_fix() {
        check("idle_stop = { minutes = 60, cpu_percent = 5.0 }").unwrap();
        check(
            "stop_warning_minutes = 5\nkeep_running = { step_minutes = 30, longest_minutes = 240 }",
        )
        .unwrap();
        let refused = [
            ("idle_stop = { minutes = 10 }", "idle_stop.minutes"),
            ("stop_warning_minutes = -1", "stop_warning_minutes"),
            (
                "idle_stop = { minutes = 60, cpu_percent = nan }",
                "cpu_percent",
            ),
            ("idle_stop = { minutes = 60, warning = 5 }", "warning"),
            (
                "keep_running = { step_minutes = 5, longest_minutes = 240 }",
                "step_minutes",
            ),
            (
                "keep_running = { step_minutes = 30, longest_minutes = 30 }",
                "longest_minutes",
            ),
        ];
        for (keys, named) in refused {
            let error = check(keys).unwrap_err();
            assert!(error.contains(named), "{keys}: {error}");
        }
    }
}
