//! GetStudioUsage (an extension for admins and their tools; `nimble-model/src/
//! studio_usage.rs`): READY hours between two instants, grouped by owner, launch profile or
//! instance type, with their cost at the studio's `hourly_rates`. The hours come from the
//! READY spans the store keeps as sessions change (`store/usage.rs`): written in the same
//! transaction as the change, never purged, so they cover restarts and deleted sessions.
//! Groups are few (one per artist at most), so a page is cut from all of them, by key.

use super::{to_json, Call, Result};
use crate::config::Studio;
use crate::paging::{decode_token, encode_token};
use crate::store::{self, UsageKey};
use nimble_model::{parse_query, StudioUsageQuery, StudioUsageResponse, Timestamp, UsageGroup};
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
