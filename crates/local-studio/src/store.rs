//! The SQLite store. Each record keeps its wire document as JSON beside the columns that
//! are searched (owner, creation time, next automatic event). WAL mode; every request's
//! changes happen in one transaction, and `synchronous = FULL` makes an acknowledged
//! change survive even a power cut, not only a killed process.

use crate::lifecycle::{Pending, SessionRecord};
use nimble_model::{StreamingSessionBackup, StreamingSessionStream};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub enum Storage {
    InMemory,
    Dir(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored document: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot create data dir {0}: {1}")]
    DataDir(String, std::io::Error),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    session_id    TEXT PRIMARY KEY,
    studio_id     TEXT NOT NULL,
    owned_by      TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    next_event_ms INTEGER,
    deleted       INTEGER NOT NULL DEFAULT 0,
    limits        TEXT NOT NULL,
    pending       TEXT,
    doc           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_page ON sessions (studio_id, created_ms, session_id);
CREATE INDEX IF NOT EXISTS sessions_owner ON sessions (studio_id, owned_by, created_ms, session_id);
CREATE INDEX IF NOT EXISTS sessions_due ON sessions (next_event_ms) WHERE next_event_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS backups (
    backup_id  TEXT PRIMARY KEY,
    studio_id  TEXT NOT NULL,
    session_id TEXT NOT NULL,
    owned_by   TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    ready_ms   INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS backups_page ON backups (studio_id, created_ms, backup_id);
CREATE INDEX IF NOT EXISTS backups_session ON backups (session_id, created_ms);
CREATE TABLE IF NOT EXISTS streams (
    stream_id  TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    ready_ms   INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_tokens (
    token      TEXT PRIMARY KEY,
    request    TEXT NOT NULL,
    response   TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

pub fn open(storage: &Storage) -> Result<Connection, StoreError> {
    let conn = match storage {
        Storage::InMemory => Connection::open_in_memory()?,
        Storage::Dir(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::DataDir(dir.display().to_string(), e))?;
            let conn = Connection::open(dir.join("local-studio.sqlite3"))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn
        }
    };
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// The launch-profile limits kept with a session (they set stopAt and terminateAt).
#[derive(serde::Serialize, serde::Deserialize)]
struct Limits {
    max_session_minutes: Option<i64>,
    max_stopped_minutes: Option<i64>,
}

const SESSION_COLUMNS: &str = "studio_id, limits, pending, doc";

fn session_from_row(
    row: &rusqlite::Row,
) -> rusqlite::Result<(String, String, Option<String>, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn decode_session(
    (studio_id, limits, pending, doc): (String, String, Option<String>, String),
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
    })
}

/// Inserts or replaces a session with all of its searched columns.
pub fn put_session(tx: &Transaction, record: &SessionRecord) -> Result<(), StoreError> {
    let s = &record.session;
    let limits = Limits {
        max_session_minutes: record.max_session_minutes,
        max_stopped_minutes: record.max_stopped_minutes,
    };
    tx.execute(
        "INSERT OR REPLACE INTO sessions
         (session_id, studio_id, owned_by, created_by, created_ms, next_event_ms, deleted, limits, pending, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            record.session_id(),
            record.studio_id,
            s.owned_by.as_deref().unwrap_or(""),
            s.created_by.as_deref().unwrap_or(""),
            s.created_at.map(|t| t.unix_millis()).unwrap_or(0),
            record.next_event_ms(),
            record.state() == nimble_model::StreamingSessionState::Deleted,
            serde_json::to_string(&limits)?,
            record.pending.as_ref().map(serde_json::to_string).transpose()?,
            serde_json::to_string(s)?,
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

/// A backup and when the stop that makes it completes.
#[derive(Clone, Debug)]
pub struct BackupRecord {
    pub studio_id: String,
    pub backup: StreamingSessionBackup,
    pub ready_ms: i64,
}

pub fn put_backup(tx: &Transaction, record: &BackupRecord) -> Result<(), StoreError> {
    let b = &record.backup;
    tx.execute(
        "INSERT OR REPLACE INTO backups (backup_id, studio_id, session_id, owned_by, created_ms, ready_ms, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            b.backup_id.as_deref().unwrap_or(""),
            record.studio_id,
            b.session_id.as_deref().unwrap_or(""),
            b.owned_by.as_deref().unwrap_or(""),
            b.created_at.map(|t| t.unix_millis()).unwrap_or(0),
            record.ready_ms,
            serde_json::to_string(b)?,
        ],
    )?;
    Ok(())
}

fn backup_from_row(row: &rusqlite::Row) -> rusqlite::Result<(String, i64, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn decode_backup(
    (studio_id, ready_ms, doc): (String, i64, String),
) -> Result<BackupRecord, StoreError> {
    Ok(BackupRecord {
        studio_id,
        backup: serde_json::from_str(&doc)?,
        ready_ms,
    })
}

pub fn get_backup(
    tx: &Transaction,
    studio_id: &str,
    backup_id: &str,
) -> Result<Option<BackupRecord>, StoreError> {
    tx.query_row(
        "SELECT studio_id, ready_ms, doc FROM backups WHERE backup_id = ?1 AND studio_id = ?2",
        params![backup_id, studio_id],
        backup_from_row,
    )
    .optional()?
    .map(decode_backup)
    .transpose()
}

/// Backups of a session, oldest first.
pub fn session_backups(
    tx: &Transaction,
    session_id: &str,
) -> Result<Vec<BackupRecord>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT studio_id, ready_ms, doc FROM backups WHERE session_id = ?1 ORDER BY created_ms, backup_id",
    )?;
    let rows = statement.query_map([session_id], backup_from_row)?;
    rows.map(|r| decode_backup(r?)).collect()
}

pub fn delete_backup(tx: &Transaction, backup_id: &str) -> Result<(), StoreError> {
    tx.execute("DELETE FROM backups WHERE backup_id = ?1", [backup_id])?;
    Ok(())
}

/// One page of backups in (createdAt, backupId) order, strictly after `after`.
pub fn list_backups(
    tx: &Transaction,
    studio_id: &str,
    owned_by: Option<&str>,
    after: Option<(i64, String)>,
    limit: usize,
) -> Result<Vec<BackupRecord>, StoreError> {
    let (after_ms, after_id) = after.unwrap_or((i64::MIN, String::new()));
    let mut statement = tx.prepare_cached(
        "SELECT studio_id, ready_ms, doc FROM backups
         WHERE studio_id = ?1 AND (?2 IS NULL OR owned_by = ?2) AND (created_ms, backup_id) > (?3, ?4)
         ORDER BY created_ms, backup_id LIMIT ?5",
    )?;
    let rows = statement.query_map(
        params![studio_id, owned_by, after_ms, after_id, limit as i64],
        backup_from_row,
    )?;
    rows.map(|r| decode_backup(r?)).collect()
}

/// A stream as it will be once ready, with the times that decide what it is now.
#[derive(Clone, Debug)]
pub struct StreamRecord {
    pub session_id: String,
    pub stream: StreamingSessionStream,
    pub ready_ms: i64,
    pub expires_ms: i64,
}

pub fn put_stream(tx: &Transaction, record: &StreamRecord) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO streams (stream_id, session_id, ready_ms, expires_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            record.stream.stream_id.as_deref().unwrap_or(""),
            record.session_id,
            record.ready_ms,
            record.expires_ms,
            serde_json::to_string(&record.stream)?,
        ],
    )?;
    Ok(())
}

pub fn get_stream(
    tx: &Transaction,
    session_id: &str,
    stream_id: &str,
) -> Result<Option<StreamRecord>, StoreError> {
    tx.query_row(
        "SELECT ready_ms, expires_ms, doc FROM streams WHERE stream_id = ?1 AND session_id = ?2",
        params![stream_id, session_id],
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        },
    )
    .optional()?
    .map(|(ready_ms, expires_ms, doc)| {
        Ok(StreamRecord {
            session_id: session_id.to_owned(),
            stream: serde_json::from_str(&doc)?,
            ready_ms,
            expires_ms,
        })
    })
    .transpose()
}

/// A remembered client token: the request it came with and the response it got.
pub fn get_token(tx: &Transaction, token: &str) -> Result<Option<(String, String)>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT request, response FROM client_tokens WHERE token = ?1",
            [token],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

pub fn put_token(
    tx: &Transaction,
    token: &str,
    request: &str,
    response: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO client_tokens (token, request, response, created_ms) VALUES (?1, ?2, ?3, ?4)",
        params![token, request, response, now_ms],
    )?;
    Ok(())
}

pub fn get_meta(tx: &Transaction, key: &str) -> Result<Option<String>, StoreError> {
    Ok(tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get(0)
        })
        .optional()?)
}

pub fn set_meta(tx: &Transaction, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        params![key, value],
    )?;
    Ok(())
}
