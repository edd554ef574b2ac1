//! Idle stop, per launch profile (`config/idle_stop.rs`): at every drift check the
//! reconciler asks here about each READY workstation that runs. Use comes from
//! `activity.rs` (input in a viewer; the desktop's CPU where the profile says work counts);
//! what it does to stopAt is the state machine's (`lifecycle/idle.rs`).

use crate::app::App;
use crate::drivers::Driver;
use crate::lifecycle::SessionRecord;
use std::time::Instant;

/// Applies the session's profile's idle stop; whether the record changed.
pub fn review(app: &App, record: &mut SessionRecord, driver: &dyn Driver, now_ms: i64) -> bool {
    let id = record.session_id().to_owned();
    let policy = record
        .session
        .launch_profile_id
        .as_deref()
        .and_then(|profile| {
            app.studios
                .studio(&record.studio_id)?
                .launch_profile(profile)?
                .idle_stop
                .clone()
        });
    let Some(policy) = policy else {
        return false;
    };
    if let Some(percent) = policy.cpu_percent {
        if let Some(used) = driver.cpu_time(&id) {
            app.activity.cpu(&id, Instant::now(), now_ms, used, percent);
        }
    }
    let ready_ms = record
        .session
        .started_at
        .as_ref()
        .map_or(now_ms, |t| t.unix_millis());
    let last_active = app.activity.last_active(&id, ready_ms);
    record.review_idle(policy.minutes, policy.warning_minutes, last_active, now_ms)
}
