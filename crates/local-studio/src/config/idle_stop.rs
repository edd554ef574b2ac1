//! A launch profile's idle stop (`[studios.launch_profiles.idle_stop]`): a workstation that
//! nobody has used for `minutes` stops itself, with `warning_minutes` of notice first.
//! Use is input in a viewer; with `cpu_percent`, also its processes at work above that
//! share of one core (a render with nobody at the keyboard). Without it, input alone decides.

use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdleStop {
    pub minutes: i64,
    #[serde(default = "default_warning_minutes")]
    pub warning_minutes: i64,
    pub cpu_percent: Option<f64>,
}

fn default_warning_minutes() -> i64 {
    10
}

impl IdleStop {
    /// Why these settings cannot work, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.minutes < 2 {
            return Err("idle_stop.minutes must be at least 2".into());
        }
        if !(1..self.minutes).contains(&self.warning_minutes) {
            return Err(format!(
                "idle_stop.warning_minutes must be at least 1 and less than minutes ({})",
                self.minutes
            ));
        }
        if self
            .cpu_percent
            .is_some_and(|p| !(p > 0.0 && p.is_finite()))
        {
            return Err("idle_stop.cpu_percent must be above 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::IdleStop;

    #[test]
    fn settings_that_cannot_work_are_refused_with_the_key_to_fix() {
        let idle = |minutes, warning_minutes, cpu_percent| IdleStop {
            minutes,
            warning_minutes,
            cpu_percent,
        };
        assert!(idle(60, 10, Some(5.0)).check().is_ok());
        assert!(idle(60, 10, None).check().is_ok());
        assert!(idle(1, 1, None).check().unwrap_err().contains("minutes"));
        assert!(idle(30, 30, None)
            .check()
            .unwrap_err()
            .contains("warning_minutes"));
        assert!(idle(30, 0, None)
            .check()
            .unwrap_err()
            .contains("warning_minutes"));
        let nan = idle(30, 5, Some(f64::NAN)).check().unwrap_err();
        assert!(nan.contains("cpu_percent"));
    }
}
