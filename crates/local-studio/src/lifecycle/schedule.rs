//! Working-hours schedules: a week of working days in the studio's IANA time zone, each a
//! start and an end in local time (an end at or before the start is the next day's, so a
//! night shift crosses midnight). Local times become instants with jiff, so a day that
//! begins at 09:00 begins at 09:00 on both sides of a daylight-saving change; a local time
//! that does not exist (spring forward) is taken an hour later, one that occurs twice
//! (autumn) the first time.
//!
//! A schedule starts a STOPPED workstation `lead_ms` before its day begins (its last
//! measured start plus a margin), so it is READY when the day begins; its day's end is one
//! of the automatic stops (`auto_stop.rs`). Pure: the clock is an argument.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Local minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingDay {
    pub start_minute: u16,
    pub end_minute: u16,
}

/// What the end of a working day does: always stops, or only a workstation nobody uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DayEnd {
    #[default]
    Always,
    WhenIdle,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Monday first; `None`: not a working day.
    pub days: [Option<WorkingDay>; 7],
    pub day_end: DayEnd,
    pub time_zone: String,
    /// How long before its day begins a scheduled start begins.
    pub lead_ms: i64,
    /// The next scheduled start: when it begins, and when its day begins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_start: Option<(i64, i64)>,
    /// A day end that Keep running called off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_end_ms: Option<i64>,
}

/// Before any start was measured: five minutes.
pub const DEFAULT_LEAD_MS: i64 = 5 * 60_000;

impl Schedule {
    /// The working days around `after_ms` as (begins, ends) instants, in order.
    fn days_around(&self, after_ms: i64) -> Vec<(i64, i64)> {
        let zone = TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC);
        let after = Timestamp::from_millisecond(after_ms).unwrap_or(Timestamp::UNIX_EPOCH);
        let today = after.to_zoned(zone.clone()).date();
        let mut days = Vec::new();
        for offset in -1..=8 {
            let Ok(date) = today.checked_add(jiff::Span::new().days(offset)) else {
                continue;
            };
            let index = date.weekday().to_monday_zero_offset() as usize;
            let Some(day) = self.days[index] else {
                continue;
            };
            let end_date = match day.end_minute <= day.start_minute {
                true => date.tomorrow().unwrap_or(date),
                false => date,
            };
            if let (Some(begins), Some(ends)) = (
                instant(&zone, date, day.start_minute),
                instant(&zone, end_date, day.end_minute),
            ) {
                days.push((begins, ends));
            }
        }
        days
    }

    /// The first day end after `after_ms`.
    pub fn end_after(&self, after_ms: i64) -> Option<i64> {
        self.days_around(after_ms)
            .into_iter()
            .map(|(_, ends)| ends)
            .find(|ends| *ends > after_ms)
    }

    /// Plans the next start: for the first day that begins after `after_ms`, `lead_ms`
    /// before it (not before `now_ms`).
    pub fn plan_start(&mut self, after_ms: i64, now_ms: i64) {
        self.next_start = self
            .days_around(after_ms)
            .into_iter()
            .find(|(begins, _)| *begins > after_ms)
            .map(|(begins, _)| ((begins - self.lead_ms).max(now_ms), begins));
    }
}

impl super::SessionRecord {
    /// A scheduled start due at `now_ms`: when its day begins. The caller starts the
    /// workstation if it can, then plans the next with [`Schedule::plan_start`].
    pub fn due_start(&self, now_ms: i64) -> Option<i64> {
        let (at, day_begins) = self.schedule.as_ref()?.next_start?;
        (at <= now_ms).then_some(day_begins)
    }

    /// A start measured: scheduled starts lead their day by that plus a margin.
    pub(super) fn measure_start(&mut self, took_ms: i64) {
        self.auto_stop.start_took_ms = Some(took_ms.max(0));
        if let Some(schedule) = self.schedule.as_mut() {
            schedule.lead_ms = lead_after(took_ms);
        }
    }

    /// How long before its day a scheduled start begins: the last start's time plus a
    /// quarter, and at least a minute more; five minutes before any was measured.
    pub fn start_lead_ms(&self) -> i64 {
        self.auto_stop
            .start_took_ms
            .map_or(DEFAULT_LEAD_MS, lead_after)
    }
}

fn lead_after(took_ms: i64) -> i64 {
    took_ms.max(0) + (took_ms / 4).max(60_000)
}

/// `minute` of local `date` in `zone`, as ms since the epoch.
fn instant(zone: &TimeZone, date: Date, minute: u16) -> Option<i64> {
    let time = jiff::civil::Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?;
    let zoned = date.to_datetime(time).to_zoned(zone.clone()).ok()?;
    Some(zoned.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NINE_TO_SIX: Option<WorkingDay> = Some(WorkingDay {
        start_minute: 9 * 60,
        end_minute: 18 * 60,
    });

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn london(days: [Option<WorkingDay>; 7]) -> Schedule {
        Schedule {
            days,
            day_end: DayEnd::Always,
            time_zone: "Europe/London".into(),
            lead_ms: 10 * 60_000,
            next_start: None,
            skipped_end_ms: None,
        }
    }

    #[test]
    fn a_day_begins_at_local_nine_on_both_sides_of_daylight_saving() {
        // Sundays: 2027-03-28 springs forward, 2026-10-25 falls back.
        let mut sundays = london([None, None, None, None, None, None, NINE_TO_SIX]);
        let saturday = ms("2027-03-27T12:00:00Z");
        sundays.plan_start(saturday, saturday);
        // 09:00 BST is 08:00Z; ten minutes' lead.
        assert_eq!(
            sundays.next_start,
            Some((ms("2027-03-28T07:50:00Z"), ms("2027-03-28T08:00:00Z")))
        );
        assert_eq!(
            sundays.end_after(saturday),
            Some(ms("2027-03-28T17:00:00Z"))
        );
        let saturday = ms("2026-10-24T12:00:00Z");
        sundays.plan_start(saturday, saturday);
        // 09:00 GMT is 09:00Z.
        assert_eq!(sundays.next_start.unwrap().1, ms("2026-10-25T09:00:00Z"));
        assert_eq!(
            sundays.end_after(saturday),
            Some(ms("2026-10-25T18:00:00Z"))
        );
    }

    #[test]
    fn a_night_shift_ends_after_midnight_and_the_next_start_is_the_next_working_day() {
        let night = Some(WorkingDay {
            start_minute: 22 * 60,
            end_minute: 6 * 60,
        });
        // Friday nights only; 2026-12-04 is a Friday, in winter (GMT).
        let mut fridays = london([None, None, None, None, night, None, None]);
        let friday_noon = ms("2026-12-04T12:00:00Z");
        assert_eq!(
            fridays.end_after(friday_noon),
            Some(ms("2026-12-05T06:00:00Z"))
        );
        fridays.plan_start(friday_noon, friday_noon);
        assert_eq!(fridays.next_start.unwrap().1, ms("2026-12-04T22:00:00Z"));
        // Once that day is handled, the next is a week on.
        fridays.plan_start(ms("2026-12-04T22:00:00Z"), ms("2026-12-04T22:00:00Z"));
        assert_eq!(fridays.next_start.unwrap().1, ms("2026-12-11T22:00:00Z"));
        // Inside the lead: the start is now, not in the past.
        let late = ms("2026-12-11T21:55:00Z");
        fridays.plan_start(late, late);
        assert_eq!(fridays.next_start, Some((late, ms("2026-12-11T22:00:00Z"))));
        // No working day at all: nothing planned.
        let mut never = london([None; 7]);
        never.plan_start(late, late);
        assert_eq!(never.next_start, None);
        assert_eq!(never.end_after(late), None);
    }
}
