//! Per-artist limits (`config/limits.rs`): checked before a workstation would become READY
//! (Create and Start), and shown and set by two extensions (`GetArtistUsage`,
//! `PutArtistLimits`). A limit is the admin's for that artist (`store/usage.rs`), else the
//! studio file's. Only a start is ever refused: workstations already READY are never
//! stopped by a limit, whatever it becomes.
//!
//! Hours are READY hours in the current calendar month of the studio's time zone.

use super::{to_json, Call, Result};
use crate::config::{Profile, Studio};
use crate::store::{self, ArtistLimits};
use jiff::tz::TimeZone;
use nimble_model::{
    parse_body, ApiError, ArtistUsage, ArtistUsageResponse, ErrorType, PutArtistLimitsBody,
    UsageLine,
};
use rusqlite::Transaction;

const HOUR_MS: f64 = 3_600_000.0;

/// Refuses a start of a `profile` workstation for `owner` when it would pass a limit.
pub fn check_start(
    tx: &Transaction,
    studio: &Studio,
    profile: &Profile,
    owner: &str,
    now_ms: i64,
) -> Result<()> {
    let (month_start, month) = month_of(now_ms, &studio.time_zone());
    for scope in [None, Some(profile)] {
        let limits = limits_of(tx, studio, owner, scope)?;
        let profile_id = scope.and_then(|p| p.api.launch_profile_id.as_deref());
        let whose = match scope.and_then(|p| p.api.name.as_deref()) {
            Some(name) => format!("launch profile {name:?}"),
            None => "this studio".to_owned(),
        };
        if let Some(max) = limits.ready_at_once {
            let running = store::count_running(tx, &studio.studio_id, owner, profile_id)?;
            if running >= max {
                return Err(quota(
                    format!(
                        "{owner} already has {running} workstation{} running, the most {whose} \
                         allows at once ({max}); stop one first",
                        if running == 1 { "" } else { "s" }
                    ),
                    "ready_at_once",
                ));
            }
        }
        if let Some(max) = limits.hours_per_month {
            let used = store::ready_ms_since(
                tx,
                &studio.studio_id,
                owner,
                profile_id,
                month_start,
                now_ms,
            )? as f64
                / HOUR_MS;
            if used >= max as f64 {
                return Err(quota(
                    format!(
                        "{owner} has used {used:.1} of the {max} hours {whose} allows in {month}; \
                         an admin can raise the limit"
                    ),
                    "hours_per_month",
                ));
            }
        }
    }
    Ok(())
}

/// GetArtistUsage: the artist's use against the studio's limits and each profile's.
pub fn get(tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
    let user = call.route.user_id().unwrap_or("");
    to_json(&ArtistUsageResponse {
        usage: Some(usage(tx, studio, user, call.now_ms)?),
    })
}

/// PutArtistLimits: an admin sets one artist's limits in one scope; answers their usage.
pub fn put(tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
    let user = call.route.user_id().unwrap_or("");
    let body: PutArtistLimitsBody = parse_body(call.body)?;
    let scope = body.launch_profile_id.as_deref().unwrap_or("");
    if !scope.is_empty() && studio.launch_profile(scope).is_none() {
        return Err(ApiError::not_found("Launch profile", scope));
    }
    let limits = ArtistLimits {
        ready_at_once: body.ready_at_once,
        hours_per_month: body.hours_per_month,
    };
    store::set_artist_limits(tx, &studio.studio_id, user, scope, limits)?;
    get(tx, call, studio)
}

fn usage(tx: &Transaction, studio: &Studio, user: &str, now_ms: i64) -> Result<ArtistUsage> {
    let (month_start, month) = month_of(now_ms, &studio.time_zone());
    let scopes = std::iter::once(None).chain(studio.launch_profiles.iter().map(Some));
    let mut lines = Vec::new();
    for scope in scopes {
        let limits = limits_of(tx, studio, user, scope)?;
        if scope.is_some() && limits == ArtistLimits::default() {
            continue;
        }
        let profile_id = scope.and_then(|p| p.api.launch_profile_id.as_deref());
        let ready_ms =
            store::ready_ms_since(tx, &studio.studio_id, user, profile_id, month_start, now_ms)?;
        lines.push(UsageLine {
            launch_profile_id: profile_id.map(str::to_owned),
            ready_now: Some(store::count_running(
                tx,
                &studio.studio_id,
                user,
                profile_id,
            )?),
            ready_at_once: limits.ready_at_once,
            hours_this_month: Some((ready_ms as f64 / HOUR_MS * 10.0).round() / 10.0),
            hours_per_month: limits.hours_per_month,
        });
    }
    Ok(ArtistUsage {
        user_id: Some(user.to_owned()),
        month: Some(month),
        lines: Some(lines),
    })
}

/// The limits that apply to `user` in a scope: the admin's, else the studio file's.
fn limits_of(
    tx: &Transaction,
    studio: &Studio,
    user: &str,
    scope: Option<&Profile>,
) -> Result<ArtistLimits> {
    let configured = scope.map_or(studio.limits, |p| p.limits);
    let key = scope
        .and_then(|p| p.api.launch_profile_id.as_deref())
        .unwrap_or("");
    let set = store::artist_limits(tx, &studio.studio_id, user, key)?.unwrap_or_default();
    Ok(ArtistLimits {
        ready_at_once: set
            .ready_at_once
            .or(configured.ready_at_once.map(i64::from)),
        hours_per_month: set
            .hours_per_month
            .or(configured.hours_per_month.map(i64::from)),
    })
}

/// When the calendar month of `now_ms` began in `zone` (ms), and its name (`YYYY-MM`).
pub fn month_of(now_ms: i64, zone: &TimeZone) -> (i64, String) {
    let now = jiff::Timestamp::from_millisecond(now_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let first = now.to_zoned(zone.clone()).date().first_of_month();
    let start = first
        .to_zoned(zone.clone())
        .map_or(now_ms, |midnight| midnight.timestamp().as_millisecond());
    (start, format!("{:04}-{:02}", first.year(), first.month()))
}

fn quota(message: String, limit: &str) -> ApiError {
    ApiError::new(ErrorType::ServiceQuotaExceeded, message).with_context("quota", limit)
}

#[cfg(test)]
mod tests {
    use super::month_of;
    use jiff::tz::TimeZone;

    #[test]
    fn a_month_begins_at_local_midnight_on_its_first_day() {
        let london = TimeZone::get("Europe/London").unwrap();
        // 2026-07-15T12:00Z: July began at 2026-07-01T00:00+01:00 (summer time).
        let (start, month) = month_of(1_784_116_800_000, &london);
        assert_eq!(month, "2026-07");
        assert_eq!(start, 1_782_860_400_000);
        // 2026-12-31T23:30-08:00 in Los Angeles is already January in UTC.
        let la = TimeZone::get("America/Los_Angeles").unwrap();
        let (_, month) = month_of(1_798_788_600_000, &la);
        assert_eq!(month, "2026-12");
        let (_, month) = month_of(1_798_788_600_000, &TimeZone::UTC);
        assert_eq!(month, "2027-01");
    }
}
