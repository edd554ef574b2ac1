//! What studio-portal adds to AWS's streaming-session API, outside the service model. AWS's
//! SDKs ignore members they do not know, so real clients read these documents unharmed.
//!
//! - `stopWarning` on a StreamingSession: present while an automatic stop is near. stopAt
//!   is then when it stops; this says why, and whether Keep running can put it off.
//! - `KeepStreamingSessionRunning` (`POST …/streaming-sessions/{sessionId}/keep-running`,
//!   no body): counts as use against an idle stop, and extends a maximum length by the
//!   launch profile's step. It answers `{"session": …}` like Start and Stop.
//! - `GetWorkstationSchedule` and `PutWorkstationSchedule` (`…/streaming-sessions/
//!   {sessionId}/schedule`): a workstation's working hours, a local start and end per
//!   weekday in the studio's time zone; it starts before its day begins and stops at its end.
//! - `GetArtistUsage` (`GET …/artists/{userId}/usage`): an artist's use against each of
//!   their limits (workstations READY at once, hours this calendar month).
//! - `PutArtistLimits` (`PUT …/artists/{userId}/limits`): an admin sets one artist's limits,
//!   studio-wide or for one launch profile, in place of the studio's.
//! - `RevokeViewerGrants` (`DELETE …/artists/{userId}/viewer-grants`, no body): the artist
//!   signed out, so none of their desktop viewers may reconnect by itself any more.
//!   portal-proxy calls it at each sign-out; it answers how many grants it revoked.

use crate::shapes::wire_struct;
use crate::validate::{length, range, Validate};
use crate::ValidationError;
use serde::{Deserialize, Serialize};

/// Why a session is about to stop by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StopReason {
    /// Nobody has used it for the launch profile's idle minutes.
    Idle,
    /// It reaches its maximum session length (with any extensions).
    MaximumLength,
    /// The artist's working day ends.
    Schedule,
}

wire_struct!(
    /// An automatic stop that is near (`stopAt` says when).
    StopWarning {
        reason: StopReason,
        /// Whether Keep running can put it off.
        can_keep_running: bool,
        /// What the artist is told, including why Keep running cannot help when it cannot.
        message: String,
    }
);

wire_struct!(
    /// One limit scope of an artist: the studio's (no `launchProfileId`) or one profile's.
    UsageLine {
        launch_profile_id: String,
        /// Workstations READY now, or starting.
        ready_now: i64,
        /// The most allowed at once (absent: no limit).
        ready_at_once: i64,
        /// Hours READY this calendar month, in the studio's time zone.
        hours_this_month: f64,
        /// The most allowed this month (absent: no limit).
        hours_per_month: i64,
    }
);

wire_struct!(
    /// An artist's use against their limits.
    ArtistUsage {
        user_id: String,
        /// The calendar month counted, `YYYY-MM`.
        month: String,
        lines: Vec<UsageLine>,
    }
);

wire_struct!(
    /// `GetArtistUsage`'s and `PutArtistLimits`' answer.
    ArtistUsageResponse { usage: ArtistUsage }
);

wire_struct!(
    /// `RevokeViewerGrants`' answer.
    RevokeViewerGrantsResponse { revoked: i64 }
);

wire_struct!(
    /// `PutArtistLimits`' body: one artist's limits for a scope; an absent limit is the
    /// studio's (or the profile's) again.
    PutArtistLimitsBody {
        launch_profile_id: String,
        ready_at_once: i64,
        hours_per_month: i64,
    }
);

impl Validate for PutArtistLimitsBody {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(id) = &self.launch_profile_id {
            length("launchProfileId", id, 1, 22)?;
        }
        if let Some(count) = self.ready_at_once {
            range("readyAtOnce", count, 0, 1000)?;
        }
        if let Some(hours) = self.hours_per_month {
            range("hoursPerMonth", hours, 0, 744)?;
        }
        Ok(())
    }
}

/// The weekdays a schedule names, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

wire_struct!(
    /// One working day: local `HH:MM` times; an end at or before the start is the next day's.
    WorkingHours { start: String, end: String }
);

wire_struct!(
    /// A workstation's working hours. Only `days` is set by a client; the rest is read.
    WorkstationSchedule {
        /// By weekday (`MONDAY` … `SUNDAY`); absent: not a working day.
        days: std::collections::BTreeMap<String, WorkingHours>,
        /// The studio's IANA time zone, which the times are in.
        time_zone: String,
        /// What the day's end does: `ALWAYS` stops, `WHEN_IDLE` only if nobody uses it.
        day_end: String,
        /// When the next scheduled start begins.
        next_start_at: crate::Timestamp,
    }
);

wire_struct!(
    /// `GetWorkstationSchedule`'s and `PutWorkstationSchedule`'s answer.
    ScheduleResponse { schedule: WorkstationSchedule }
);

wire_struct!(
    /// `PutWorkstationSchedule`'s body: the working days (none: no schedule).
    PutWorkstationScheduleBody { days: std::collections::BTreeMap<String, WorkingHours> }
);

/// `HH:MM` as minutes after midnight.
pub fn minutes_of(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

impl Validate for PutWorkstationScheduleBody {
    fn validate(&self) -> Result<(), ValidationError> {
        for (day, hours) in self.days.iter().flatten() {
            if !WEEKDAY_NAMES.contains(&day.as_str()) {
                return Err(ValidationError::new(
                    "days",
                    format!("{day:?} is not a weekday (MONDAY … SUNDAY)"),
                ));
            }
            let field = format!("days.{day}");
            let start = hours.start.as_deref().and_then(minutes_of);
            let end = hours.end.as_deref().and_then(minutes_of);
            match (start, end) {
                (Some(start), Some(end)) if start != end => {}
                (Some(_), Some(_)) => {
                    return Err(ValidationError::new(field, "start and end must differ"))
                }
                _ => {
                    return Err(ValidationError::new(
                        field,
                        "needs a start and an end as HH:MM (00:00 to 23:59)",
                    ))
                }
            }
        }
        Ok(())
    }
}
