//! Per-artist limits, as the studio file sets them (`operations/usage.rs` applies them):
//! `limits = { ready_at_once, hours_per_month }` on a studio (all of an artist's
//! workstations) and on a launch profile (those of that profile), and the studio's
//! `time_zone` (IANA), in which its calendar months (and working days) are counted.

use super::Studio;
use jiff::tz::TimeZone;
use serde::Deserialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageLimits {
    /// Workstations one artist may have READY (or starting) at once.
    pub ready_at_once: Option<u32>,
    /// Hours one artist's workstations may be READY in a calendar month.
    pub hours_per_month: Option<u32>,
}

impl Studio {
    /// The studio's time zone; UTC when the file names none.
    pub fn time_zone(&self) -> TimeZone {
        self.time_zone
            .as_deref()
            .and_then(|name| TimeZone::get(name).ok())
            .unwrap_or(TimeZone::UTC)
    }

    /// Why the studio's time zone cannot be used, if it cannot.
    pub fn check_time_zone(&self) -> Result<(), String> {
        match self.time_zone.as_deref().map(TimeZone::get) {
            Some(Err(_)) => Err(format!(
                "time_zone {:?} is not an IANA time zone (such as \"Europe/London\")",
                self.time_zone.as_deref().unwrap_or("")
            )),
            _ => Ok(()),
        }
    }
}
