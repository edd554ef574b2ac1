//! Working-hours schedules (`lifecycle/schedule.rs`): the two extensions that read and set
//! a workstation's week, and the scheduled start, which the settle pass runs when due. A
//! scheduled start passes the same checks as an artist's (limits, capacity); refused, it
//! says why in the status message, and the next working day is planned either way.

use super::{session, to_json, Call, Result};
use crate::app::App;
use crate::config::{schedule_of, Studio};
use crate::lifecycle::{Action, DayEnd, Schedule, SessionRecord, SYSTEM_ACTOR};
use crate::store;
use nimble_model::{
    parse_body, PutWorkstationScheduleBody, ScheduleResponse, StreamingSessionState as S,
    StreamingSessionStatusCode, Timestamp, WorkingHours, WorkstationSchedule, WEEKDAY_NAMES,
};
use rusqlite::Transaction;
use std::collections::BTreeMap;

/// GetWorkstationSchedule.
pub fn get(tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
    let record = session(tx, call.route)?;
    answer(&record, studio)
}

/// PutWorkstationSchedule: the week replaces the workstation's; stopAt follows at once.
pub fn put(tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
    let body: PutWorkstationScheduleBody = parse_body(call.body)?;
    let mut record = session(tx, call.route)?;
    let day_end = profile_of(&record, studio)
        .map(|p| p.day_end())
        .unwrap_or_default();
    let lead_ms = record.start_lead_ms();
    let days = body.days.unwrap_or_default();
    record.schedule = schedule_of(&days, day_end, studio, lead_ms, call.now_ms);
    record.review_stop(None, call.now_ms);
    store::put_session(tx, &record)?;
    answer(&record, studio)
}

/// Runs `record`'s scheduled start if it is due: starts a STOPPED workstation when the
/// checks allow, and plans the next working day. Whether the record changed.
pub fn start_if_due(app: &App, tx: &Transaction, record: &mut SessionRecord, now_ms: i64) -> bool {
    let Some(day_begins) = record.due_start(now_ms) else {
        return false;
    };
    let startable =
        matches!(record.state(), S::Stopped | S::StartFailed) && record.pending.is_none();
    if startable {
        match super::sessions::start_checks(app, tx, record, now_ms) {
            Ok(()) => {
                let outcome = app.roll_failure(StreamingSessionStatusCode::InsufficientCapacity);
                record.begin(
                    Action::Start,
                    SYSTEM_ACTOR,
                    now_ms,
                    app.transition_ms,
                    outcome,
                );
                app.wake_reconciler.notify_one();
            }
            Err(refusal) => {
                record.session.status_message = Some(format!(
                    "The scheduled start did not happen: {}",
                    refusal.message
                ));
            }
        }
    }
    if let Some(schedule) = record.schedule.as_mut() {
        schedule.plan_start(day_begins, now_ms);
    }
    true
}

fn profile_of<'a>(
    record: &SessionRecord,
    studio: &'a Studio,
) -> Option<&'a crate::config::Profile> {
    studio.launch_profile(record.session.launch_profile_id.as_deref()?)
}

fn answer(record: &SessionRecord, studio: &Studio) -> Result<String> {
    let day_end = profile_of(record, studio)
        .map(|p| p.day_end())
        .unwrap_or_default();
    let schedule = record.schedule.as_ref();
    to_json(&ScheduleResponse {
        schedule: Some(WorkstationSchedule {
            days: Some(schedule.map(days_of).unwrap_or_default()),
            time_zone: Some(studio.time_zone.clone().unwrap_or_else(|| "UTC".into())),
            day_end: Some(match day_end {
                DayEnd::Always => "ALWAYS".into(),
                DayEnd::WhenIdle => "WHEN_IDLE".into(),
            }),
            next_start_at: schedule
                .and_then(|s| s.next_start)
                .and_then(|(at, _)| Timestamp::from_unix_millis(at)),
        }),
    })
}

fn days_of(schedule: &Schedule) -> BTreeMap<String, WorkingHours> {
    let hhmm = |minute: u16| format!("{:02}:{:02}", minute / 60, minute % 60);
    WEEKDAY_NAMES
        .iter()
        .zip(schedule.days)
        .filter_map(|(name, day)| {
            let day = day?;
            Some((
                (*name).to_owned(),
                WorkingHours {
                    start: Some(hhmm(day.start_minute)),
                    end: Some(hhmm(day.end_minute)),
                },
            ))
        })
        .collect()
}
