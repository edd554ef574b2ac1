//! Sessions: the wire document as JSON beside the columns that are searched (owner,
//! creation time, next automatic event, driver).

use super::{put_event, EventKind, StoreError};
use crate::lifecycle::{AutoStop, Pending, Schedule, SessionRecord, StopPolicy};
use rusqlite::{params, OptionalExtension, Transaction};

/// The launch-profile limits kept with a session (they set stopAt and terminateAt).
#[derive(serde::Serialize, serde::Deserialize)]
struct Limits {
    max_session_minutes: Option<i64>,
    max_stopped_minutes: Option<i64>,
    #[serde(default)]
    stop_policy: StopPolicy,
    #[serde(default)]
    auto_stop: AutoStop,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schedule: Option<Schedule>,
}

const SESSION_COLUMNS: &str = "studio_id, limits, pending, doc, driver";

type SessionRow = (String, String, Option<String>, String, Option<String>);

fn session_from_row(row: &rusqlite::Row) -> rusqlite::Result<SessionRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn decode_session(
    (studio_id, limits, pending, doc, driver): SessionRow,
) -> Result<SessionRecord, StoreError> {
    let limits: Limits = serde_json::from_str(&limits)?;
    Ok(SessionRecord {
        studio_id,
        session: serde_json::from_str(&doc)?,
        pending: pending
            .map(|p| serde_json::from_str::<Pending>(&p))
            .transpose()?,
        max_session_minutes: limits.max_session_minutes,
        max_stopped_minutes: limits.max_stopped_minutes,
        stop_policy: limits.stop_policy,
        auto_stop: limits.auto_stop,
        schedule: limits.schedule,
        driver: driver.map(|d| serde_json::from_str(&d)).transpose()?,
    })
}

/// Inserts or replaces a session with all of its searched columns. A DELETED session's
/// `deleted_ms` (when it became DELETED, its updatedAt) starts its retention. A document
/// that differs from the stored one is also an event (events.rs), in the same transaction.
pub fn put_session(tx: &Transaction, record: &SessionRecord) -> Result<(), StoreError> {
    let s = &record.session;
    let created_ms = s.created_at.map(|t| t.unix_millis()).unwrap_or(0);
    let deleted = record.state() == nimble_model::StreamingSessionState::Deleted;
    let deleted_ms = deleted.then(|| s.updated_at.map(|t| t.unix_millis()).unwrap_or(created_ms));
    let limits = Limits {
        max_session_minutes: record.max_session_minutes,
        max_stopped_minutes: record.max_stopped_minutes,
        stop_policy: record.stop_policy.clone(),
        auto_stop: record.auto_stop.clone(),
        schedule: record.schedule.clone(),
    };
    let doc = serde_json::to_string(s)?;
    let unchanged: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE session_id = ?1 AND doc = ?2)",
        )?
        .query_row(params![record.session_id(), doc], |row| row.get(0))?;
    if !unchanged {
        let owner = s.owned_by.as_deref().unwrap_or("");
        put_event(
            tx,
            &record.studio_id,
            record.session_id(),
            owner,
            EventKind::Session,
            &doc,
        )?;
    }
    super::usage::keep_span(tx, record)?;
    tx.execute(
        "INSERT OR REPLACE INTO sessions
         (session_id, studio_id, owned_by, created_by, created_ms, next_event_ms, deleted, limits, pending, doc, driver, deleted_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            record.session_id(),
            record.studio_id,
            s.owned_by.as_deref().unwrap_or(""),
            s.created_by.as_deref().unwrap_or(""),
            created_ms,
            record.next_event_ms(),
            deleted,
            serde_json::to_string(&limits)?,
            record.pending.as_ref().map(serde_json::to_string).transpose()?,
            doc,
            record.driver.as_ref().map(serde_json::to_string).transpose()?,
            deleted_ms,
        ],
    )?;
    Ok(())
}

pub fn get_session(
    tx: &Transaction,
    studio_id: &str,
    session_id: &str,
) -> Result<Option<SessionRecord>, StoreError> {
    let row = tx
        .query_row(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE session_id = ?1 AND studio_id = ?2"
            ),
            params![session_id, studio_id],
            session_from_row,
        )
        .optional()?;
    row.map(decode_session).transpose()
}

/// Sessions whose next automatic event is due.
pub fn due_sessions(tx: &Transaction, now_ms: i64) -> Result<Vec<SessionRecord>, StoreError> {
    let mut statement = tx.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE next_event_ms <= ?1"
    ))?;
    let rows = statement.query_map([now_ms], session_from_row)?;
    rows.map(|r| decode_session(r?)).collect()
}

/// The filters of ListStreamingSessions, all applied together.
#[derive(Default)]
pub struct SessionFilter<'a> {
    pub owned_by: Option<&'a str>,
    pub created_by: Option<&'a str>,
    pub session_ids: Vec<&'a str>,
}

/// One page in (createdAt, sessionId) order, strictly after `after`. Keyset paging: a
/// session created while a client walks the pages sorts after every existing one, so it
/// never shifts a page and nothing is returned twice or skipped.
pub fn list_sessions(
    tx: &Transaction,
    studio_id: &str,
    filter: &SessionFilter,
    after: Option<(i64, String)>,
    limit: usize,
) -> Result<Vec<SessionRecord>, StoreError> {
    let mut sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE studio_id = ?");
    let mut args: Vec<rusqlite::types::Value> = vec![studio_id.to_owned().into()];
    if let Some(owner) = filter.owned_by {
        sql.push_str(" AND owned_by = ?");
        args.push(owner.to_owned().into());
    }
    if let Some(creator) = filter.created_by {
        sql.push_str(" AND created_by = ?");
        args.push(creator.to_owned().into());
    }
    if !filter.session_ids.is_empty() {
        let marks = vec!["?"; filter.session_ids.len()].join(",");
        sql.push_str(&format!(" AND session_id IN ({marks})"));
        args.extend(filter.session_ids.iter().map(|id| (*id).to_owned().into()));
    }
    if let Some((created_ms, session_id)) = after {
        sql.push_str(" AND (created_ms, session_id) > (?, ?)");
        args.push(created_ms.into());
        args.push(session_id.into());
    }
    sql.push_str(" ORDER BY created_ms, session_id LIMIT ?");
    args.push((limit as i64).into());
    let mut statement = tx.prepare_cached(&sql)?;
    let rows = statement.query_map(rusqlite::params_from_iter(args), session_from_row)?;
    rows.map(|r| decode_session(r?)).collect()
}

/// Sessions of `owner` that still count against the quota (not DELETED).
pub fn count_live_sessions(
    tx: &Transaction,
    studio_id: &str,
    owner: &str,
) -> Result<u32, StoreError> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM sessions WHERE studio_id = ?1 AND owned_by = ?2 AND deleted = 0",
        params![studio_id, owner],
        |row| row.get(0),
    )?)
}

/// Sessions that a workstation driver keeps, other than deleted ones: the reconciler
/// drives their transitions and checks their machines.
pub fn driven_sessions(tx: &Transaction) -> Result<Vec<SessionRecord>, StoreError> {
    let mut statement = tx.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE driver IS NOT NULL AND deleted = 0"
    ))?;
    let rows = statement.query_map([], session_from_row)?;
    rows.map(|r| decode_session(r?)).collect()
}

/// The READY sessions of `studio_id`, whatever drives them (simulated ones too).
pub fn ready_sessions(tx: &Transaction, studio_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
    let mut statement = tx.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE studio_id = ?1 AND deleted = 0
         AND json_extract(doc, '$.state') = 'READY'"
    ))?;
    let rows = statement.query_map([studio_id], session_from_row)?;
    rows.map(|r| decode_session(r?)).collect()
}

/// Sessions of driver `name` that hold a machine or are about to.
pub fn count_machines(tx: &Transaction, name: &str) -> Result<usize, StoreError> {
    let count: i64 = tx.query_row(
        "SELECT COUNT(*) FROM sessions WHERE driver IS NOT NULL AND deleted = 0
         AND json_extract(driver, '$.name') = ?1
         AND json_extract(doc, '$.state') IN ('CREATE_IN_PROGRESS', 'START_IN_PROGRESS', 'READY', 'STOP_IN_PROGRESS')",
        [name],
        |row| row.get(0),
    )?;
    Ok(count as usize)
}

/// A session by id alone, in whichever studio (the desktop bridge knows only the id).
pub fn session_by_id(
    tx: &Transaction,
    session_id: &str,
) -> Result<Option<SessionRecord>, StoreError> {
    let row = tx
        .query_row(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE session_id = ?1"),
            [session_id],
            session_from_row,
        )
        .optional()?;
    row.map(decode_session).transpose()
}
