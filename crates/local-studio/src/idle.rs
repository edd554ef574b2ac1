//! Idle stop, per launch profile (`config/auto_stop.rs`): at every drift check the
//! reconciler asks here about each READY workstation that runs. Use comes from
//! `activity.rs` (input in a viewer; the desktop's CPU where the profile says work counts);
//! what it does to stopAt is the state machine's (`lifecycle/auto_stop.rs`).

use crate::app::App;
use crate::config::IdleStop;
use crate::drivers::Driver;
use crate::lifecycle::{DayEnd, SessionRecord};
use std::time::Instant;

/// Applies idle stop, and a working day's end that stops only an idle workstation, to a
/// READY session whose profile has either; whether the record changed.
pub fn review(app: &App, record: &mut SessionRecord, driver: &dyn Driver, now_ms: i64) -> bool {
    let when_idle = record.schedule.as_ref().map(|s| s.day_end) == Some(DayEnd::WhenIdle);
    if record.stop_policy.idle_minutes.is_none() && !when_idle {
        return false;
    }
    let id = record.session_id().to_owned();
    if let Some(idle_stop) = idle_stop(app, record) {
        if let (Some(percent), Some(used)) = (idle_stop.cpu_percent, driver.cpu_time(&id)) {
            app.activity.cpu(&id, Instant::now(), now_ms, used, percent);
        }
        // The GPU's share now (where the driver can tell): above the threshold is work.
        if let Some(threshold) = idle_stop.gpu_percent {
            if driver.gpu_percent(&id).is_some_and(|gpu| gpu > threshold) {
                app.activity.used(&id, now_ms);
            }
        }
    }
    let ready_ms = record.auto_stop.ready_ms.unwrap_or(now_ms);
    let last_active = app.activity.last_active(&id, ready_ms);
    record.review_stop(Some(last_active), now_ms)
}

/// The session's profile's idle stop, as the studio file has it now.
fn idle_stop(app: &App, record: &SessionRecord) -> Option<IdleStop> {
    let profile = record.session.launch_profile_id.as_deref()?;
    app.studios
        .studio(&record.studio_id)?
        .launch_profile(profile)?
        .idle_stop
        .clone()
}
