//! GetStudioUsage (an extension for admins and their tools; `nimble-model/src/
//! studio_usage.rs`): READY hours between two instants, grouped by owner, launch profile or
//! instance type, with their cost at the studio's `hourly_rates`. The hours come from the
//! READY spans the store keeps as sessions change (`store/usage.rs`): written in the same
//! transaction as the change, never purged, so they cover restarts and deleted sessions.
//! Groups are few (one per artist at most), so a page is cut from all of them, by key.
//!
//! GetStudioConcurrency sweeps the same spans: the most READY at once in each step.
//! GetStudioActivity reads `activity.rs`: when each READY workstation was last used and
//! last had a viewer connect.

use super::{to_json, Call, Result};
use crate::app::App;
use crate::config::Studio;
use crate::paging::{decode_token, encode_token};
use crate::store::{self, UsageKey};
use nimble_model::{
    parse_query, ConcurrencyPoint, ConcurrencyQuery, ConcurrencyResponse, SessionActivity,
    StudioActivityResponse, StudioUsageQuery, StudioUsageResponse, Timestamp, UsageGroup,
};
use rusqlite::Transaction;

const HOUR_MS: f64 = 3_600_000.0;

pub fn get(tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
    let query: StudioUsageQuery = parse_query(call.query)?;
    let (from_ms, to_ms) = query.span_ms();
    let key = match query.group_by.as_deref() {
        Some("LAUNCH_PROFILE") => UsageKey::LaunchProfile,
        Some("INSTANCE_TYPE") => UsageKey::InstanceType,
        _ => UsageKey::Owner,
    };
    let after = match &query.next_token {
        Some(token) => Some(decode_token(token)?.1),
        None => None,
    };
    let rows = store::ready_ms_by(tx, &studio.studio_id, key, from_ms, to_ms, call.now_ms)?;
    let mut groups: Vec<UsageGroup> = Vec::new();
    for (group, instance_type, ms) in rows {
        if after.as_ref().is_some_and(|after| group <= *after) {
            continue;
        }
        let hours = ms as f64 / HOUR_MS;
        let cost = hours
            * studio
                .hourly_rates
                .get(&instance_type)
                .copied()
                .unwrap_or(0.0);
        match groups.last_mut() {
            Some(last) if last.key.as_deref() == Some(group.as_str()) => {
                last.hours = Some(last.hours.unwrap_or(0.0) + hours);
                last.cost = Some(last.cost.unwrap_or(0.0) + cost);
            }
            _ => groups.push(UsageGroup {
                key: Some(group),
                hours: Some(hours),
                cost: Some(cost),
            }),
        }
    }
    for group in &mut groups {
        // Hours to the second, cost to the cent: what a report shows.
        group.hours = group.hours.map(|h| (h * 3600.0).round() / 3600.0);
        group.cost = group.cost.map(|c| (c * 100.0).round() / 100.0);
    }
    // A span that only touches the period (less than a second in it) is not usage in it.
    groups.retain(|g| g.hours.is_some_and(|h| h > 0.0));
    let size = query.page_size();
    let next_token = (groups.len() > size)
        .then(|| encode_token(0, groups[size - 1].key.as_deref().unwrap_or("")));
    groups.truncate(size);
    to_json(&StudioUsageResponse {
        usage: Some(groups),
        from: Timestamp::from_unix_millis(from_ms),
        to: Timestamp::from_unix_millis(to_ms),
        group_by: query.group_by,
        next_token,
    })
}

/// GetStudioConcurrency: the most workstations READY at once in each step of the period.
pub fn concurrency(tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
    let query: ConcurrencyQuery = parse_query(call.query)?;
    let (from_ms, to_ms, step_ms) = query.span_ms();
    let spans = store::spans_between(tx, &studio.studio_id, from_ms, to_ms, call.now_ms)?;
    let peaks = peaks(&spans, from_ms, to_ms, step_ms);
    to_json(&ConcurrencyResponse {
        peak: Some(peaks.iter().copied().max().unwrap_or(0)),
        points: Some(
            peaks
                .into_iter()
                .enumerate()
                .map(|(i, ready)| ConcurrencyPoint {
                    at: Timestamp::from_unix_millis(from_ms + i as i64 * step_ms),
                    ready: Some(ready),
                })
                .collect(),
        ),
    })
}

/// GetStudioActivity: every READY workstation of the studio with its last use and viewer.
pub fn activity(app: &App, tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
    let sessions = store::ready_sessions(tx, &studio.studio_id)?
        .into_iter()
        .map(|record| {
            let id = record.session_id();
            let ready_ms = record.auto_stop.ready_ms.unwrap_or(call.now_ms);
            SessionActivity {
                session_id: Some(id.to_owned()),
                last_used_at: Timestamp::from_unix_millis(app.activity.last_active(id, ready_ms)),
                last_viewer_at: app
                    .activity
                    .last_viewer(id)
                    .and_then(Timestamp::from_unix_millis),
            }
        })
        .collect();
    to_json(&StudioActivityResponse {
        sessions: Some(sessions),
        at: Timestamp::from_unix_millis(call.now_ms),
    })
}

/// The most of `spans` (start, end) that overlap at once within each step from `from_ms`.
fn peaks(spans: &[(i64, i64)], from_ms: i64, to_ms: i64, step_ms: i64) -> Vec<i64> {
    let steps = ((to_ms - from_ms + step_ms - 1) / step_ms).max(0) as usize;
    // Each span begins (+1) and ends (-1); an end sorts before a begin at the same instant.
    let mut changes: Vec<(i64, i64)> = spans
        .iter()
        .filter(|(start, end)| start < end)
        .flat_map(|(start, end)| [(*start, 1), (*end, -1)])
        .collect();
    changes.sort();
    let mut peaks = vec![0; steps];
    let mut ready = 0;
    let mut next = changes.iter().peekable();
    for (i, peak) in peaks.iter_mut().enumerate() {
        let step_start = from_ms + i as i64 * step_ms;
        let step_end = step_start + step_ms;
        // What is READY as the step begins, then the most it reaches inside it.
        while let Some((_, change)) = next.next_if(|(at, _)| *at <= step_start) {
            ready += change;
        }
        *peak = ready;
        while let Some((_, change)) = next.next_if(|(at, _)| *at < step_end) {
            ready += change;
            *peak = (*peak).max(ready);
        }
    }
    peaks
}

#[cfg(test)]
mod tests {
    use super::peaks;

    #[test]
    fn each_step_has_the_most_ready_at_once_within_it() {
        const H: i64 = 3_600_000;
        // Hours 0-3: one all along; one in hour 1; another from 1:30 to 2:30.
        let spans = [(0, 3 * H), (H, 2 * H), (H + H / 2, 2 * H + H / 2)];
        assert_eq!(peaks(&spans, 0, 4 * H, H), [1, 3, 2, 0]);
        // A span ending as another begins is never counted with it.
        assert_eq!(peaks(&[(0, H), (H, 2 * H)], 0, 2 * H, 2 * H), [1]);
        // Spans from before the period count from its start.
        assert_eq!(peaks(&[(-5 * H, H / 2)], 0, H, H), [1]);
        assert!(peaks(&[], 0, 0, H).is_empty());
    }
}
