//! What per-artist limits count (`operations/usage.rs`): the spans each session was READY
//! (opened when it becomes READY, closed when it leaves READY, kept as the session is
//! written), and the limits an admin set for one artist in place of the studio's.
//!
//! A span is kept for its hours; purging deleted sessions leaves them, so a month's hours
//! stay counted after the workstation is gone.

use super::StoreError;
use crate::lifecycle::SessionRecord;
use nimble_model::StreamingSessionState as S;
use rusqlite::{params, OptionalExtension, Transaction};

pub(super) const USAGE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ready_spans (
    session_id        TEXT NOT NULL,
    studio_id         TEXT NOT NULL,
    owned_by          TEXT NOT NULL,
    launch_profile_id TEXT NOT NULL,
    instance_type     TEXT NOT NULL,
    from_ms           INTEGER NOT NULL,
    to_ms             INTEGER,
    PRIMARY KEY (session_id, from_ms)
);
CREATE INDEX IF NOT EXISTS ready_spans_owner ON ready_spans (studio_id, owned_by, to_ms);
-- Usage over a period reads the spans that end after it begins (open ones last forever).
CREATE INDEX IF NOT EXISTS ready_spans_end
    ON ready_spans (studio_id, COALESCE(to_ms, 9223372036854775807));
CREATE TABLE IF NOT EXISTS artist_limits (
    studio_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    scope           TEXT NOT NULL,
    ready_at_once   INTEGER,
    hours_per_month INTEGER,
    PRIMARY KEY (studio_id, user_id, scope)
);
";

/// Opens the session's span when it is READY, closes it when it is no longer.
pub(super) fn keep_span(tx: &Transaction, record: &SessionRecord) -> Result<(), StoreError> {
    let s = &record.session;
    if record.state() == S::Ready {
        let Some(from_ms) = record.auto_stop.ready_ms else {
            return Ok(());
        };
        tx.prepare_cached(
            "INSERT OR IGNORE INTO ready_spans (session_id, studio_id, owned_by,
             launch_profile_id, instance_type, from_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            record.session_id(),
            record.studio_id,
            s.owned_by.as_deref().unwrap_or(""),
            s.launch_profile_id.as_deref().unwrap_or(""),
            s.ec2_instance_type.as_deref().unwrap_or(""),
            from_ms
        ])?;
        return Ok(());
    }
    let ended = s.stopped_at.or(s.updated_at).map(|t| t.unix_millis());
    tx.prepare_cached("UPDATE ready_spans SET to_ms = ?2 WHERE session_id = ?1 AND to_ms IS NULL")?
        .execute(params![record.session_id(), ended.unwrap_or(0)])?;
    Ok(())
}

/// Milliseconds `owner` had workstations READY between `from_ms` and `now_ms`, in all
/// (`profile` `None`) or of one launch profile.
pub fn ready_ms_since(
    tx: &Transaction,
    studio_id: &str,
    owner: &str,
    profile: Option<&str>,
    from_ms: i64,
    now_ms: i64,
) -> Result<i64, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT COALESCE(SUM(MAX(0, MIN(COALESCE(to_ms, ?4), ?4) - MAX(from_ms, ?3))), 0)
             FROM ready_spans
             WHERE studio_id = ?1 AND owned_by = ?2 AND (to_ms IS NULL OR to_ms > ?3)
               AND (?5 IS NULL OR launch_profile_id = ?5)",
        )?
        .query_row(params![studio_id, owner, from_ms, now_ms, profile], |row| {
            row.get(0)
        })?)
}

/// `owner`'s workstations READY or on their way to it, in all or of one launch profile.
pub fn count_running(
    tx: &Transaction,
    studio_id: &str,
    owner: &str,
    profile: Option<&str>,
) -> Result<i64, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT COUNT(*) FROM sessions
             WHERE studio_id = ?1 AND owned_by = ?2 AND deleted = 0
               AND json_extract(doc, '$.state') IN ('READY', 'CREATE_IN_PROGRESS', 'START_IN_PROGRESS')
               AND (?3 IS NULL OR json_extract(doc, '$.launchProfileId') = ?3)",
        )?
        .query_row(params![studio_id, owner, profile], |row| row.get(0))?)
}

/// What studio usage is grouped by (`GetStudioUsage`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UsageKey {
    Owner,
    LaunchProfile,
    InstanceType,
}

/// READY milliseconds between `from_ms` and `to_ms` (spans still open count up to
/// `now_ms`), per group and instance type: (group, instance type, ms), by group.
pub fn ready_ms_by(
    tx: &Transaction,
    studio_id: &str,
    key: UsageKey,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let column = match key {
        UsageKey::Owner => "owned_by",
        UsageKey::LaunchProfile => "launch_profile_id",
        UsageKey::InstanceType => "instance_type",
    };
    let mut statement = tx.prepare_cached(&format!(
        "SELECT {column}, instance_type,
                SUM(MAX(0, MIN(COALESCE(to_ms, ?4), ?3) - MAX(from_ms, ?2)))
         FROM ready_spans
         WHERE studio_id = ?1 AND COALESCE(to_ms, 9223372036854775807) > ?2 AND from_ms < ?3
         GROUP BY {column}, instance_type ORDER BY {column}"
    ))?;
    let rows = statement.query_map(params![studio_id, from_ms, to_ms, now_ms], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The READY spans that overlap `from_ms`..`to_ms`, as (start, end) with open spans ending
/// at `now_ms`.
pub fn spans_between(
    tx: &Transaction,
    studio_id: &str,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT from_ms, COALESCE(to_ms, ?4) FROM ready_spans
         WHERE studio_id = ?1 AND COALESCE(to_ms, 9223372036854775807) > ?2 AND from_ms < ?3",
    )?;
    let rows = statement.query_map(params![studio_id, from_ms, to_ms, now_ms], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An admin's limits for one artist in one scope (`""`: the studio's; else a profile id).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ArtistLimits {
    pub ready_at_once: Option<i64>,
    pub hours_per_month: Option<i64>,
}

pub fn artist_limits(
    tx: &Transaction,
    studio_id: &str,
    user: &str,
    scope: &str,
) -> Result<Option<ArtistLimits>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT ready_at_once, hours_per_month FROM artist_limits
             WHERE studio_id = ?1 AND user_id = ?2 AND scope = ?3",
        )?
        .query_row(params![studio_id, user, scope], |row| {
            Ok(ArtistLimits {
                ready_at_once: row.get(0)?,
                hours_per_month: row.get(1)?,
            })
        })
        .optional()?)
}

/// Sets (or, with no limit in it, removes) an artist's limits in one scope.
pub fn set_artist_limits(
    tx: &Transaction,
    studio_id: &str,
    user: &str,
    scope: &str,
    limits: ArtistLimits,
) -> Result<(), StoreError> {
    if limits == ArtistLimits::default() {
        tx.execute(
            "DELETE FROM artist_limits WHERE studio_id = ?1 AND user_id = ?2 AND scope = ?3",
            params![studio_id, user, scope],
        )?;
        return Ok(());
    }
    tx.execute(
        "INSERT OR REPLACE INTO artist_limits VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            studio_id,
            user,
            scope,
            limits.ready_at_once,
            limits.hours_per_month
        ],
    )?;
    Ok(())
}

/// `cargo bench`'s year of use: `artists` artists, each READY one working day (09:00 to
/// 17:00, give or take) on each of the `days` days before `end_ms`, on one of three
/// instance types.
pub fn seed_spans_for_benchmark(
    tx: &Transaction,
    studio_id: &str,
    artists: usize,
    days: i64,
    end_ms: i64,
) -> Result<(), StoreError> {
    const DAY: i64 = 86_400_000;
    let types = ["g4dn.xlarge", "g5.2xlarge", "g6.4xlarge"];
    let mut insert = tx.prepare_cached(
        "INSERT INTO ready_spans (session_id, studio_id, owned_by, launch_profile_id,
         instance_type, from_ms, to_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let first_day = end_ms / DAY * DAY - days * DAY;
    for artist in 0..artists {
        for day in 0..days {
            let start = first_day + day * DAY + 9 * 3_600_000 + (artist as i64 % 60) * 60_000;
            insert.execute(params![
                format!("ss-usage-{artist:04}"),
                studio_id,
                format!("artist-{artist:03}"),
                if artist % 2 == 0 {
                    "lp-artist"
                } else {
                    "lp-review"
                },
                types[artist % 3],
                start,
                start + 8 * 3_600_000
            ])?;
        }
    }
    Ok(())
}
