//! A launch profile's working hours (`schedule = { day_end, days }`): the week each new
//! workstation of the profile starts with (artists change theirs from the card), and what
//! the day's end does, which the studio decides: `"always"` stops, `"when_idle"` stops only
//! a workstation nobody uses.
//!
//! ```toml
//! schedule = { day_end = "when_idle", days = { MONDAY = { start = "09:00", end = "18:00" } } }
//! ```

use super::{Profile, Studio};
use crate::lifecycle::{DayEnd, Schedule, WorkingDay, DEFAULT_LEAD_MS};
use nimble_model::{minutes_of, PutWorkstationScheduleBody, Validate, WorkingHours, WEEKDAY_NAMES};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSchedule {
    #[serde(default)]
    pub day_end: DayEnd,
    #[serde(default)]
    pub days: BTreeMap<String, WorkingHours>,
}

impl ProfileSchedule {
    pub fn check(&self) -> Result<(), String> {
        let body = PutWorkstationScheduleBody {
            days: Some(self.days.clone()),
        };
        body.validate()
            .map_err(|e| format!("schedule.{}: {}", e.field, e.message))
    }
}

impl Profile {
    /// What the profile's days end with (`Always` without a schedule).
    pub fn day_end(&self) -> DayEnd {
        self.schedule
            .as_ref()
            .map(|s| s.day_end)
            .unwrap_or_default()
    }

    /// A new workstation's schedule: the profile's week, if it has one.
    pub fn default_schedule(&self, studio: &Studio, now_ms: i64) -> Option<Schedule> {
        let days = &self.schedule.as_ref()?.days;
        schedule_of(days, self.day_end(), studio, DEFAULT_LEAD_MS, now_ms)
    }
}

/// The schedule of `days` (checked), planned from `now_ms`; `None` when no day works.
pub fn schedule_of(
    days: &BTreeMap<String, WorkingHours>,
    day_end: DayEnd,
    studio: &Studio,
    lead_ms: i64,
    now_ms: i64,
) -> Option<Schedule> {
    let mut week = [None; 7];
    for (index, name) in WEEKDAY_NAMES.iter().enumerate() {
        let hours = days.get(*name);
        let minute = |t: Option<&String>| t.and_then(|t| minutes_of(t));
        if let Some((start, end)) =
            hours.and_then(|h| Some((minute(h.start.as_ref())?, minute(h.end.as_ref())?)))
        {
            week[index] = Some(WorkingDay {
                start_minute: start,
                end_minute: end,
            });
        }
    }
    if week.iter().all(Option::is_none) {
        return None;
    }
    let mut schedule = Schedule {
        days: week,
        day_end,
        time_zone: studio.time_zone.clone().unwrap_or_else(|| "UTC".into()),
        lead_ms,
        next_start: None,
        skipped_end_ms: None,
    };
    schedule.plan_start(now_ms, now_ms);
    Some(schedule)
}
