//! Backups: the document and when the stop that makes it completes (`ready_ms`).

use super::StoreError;
use nimble_model::StreamingSessionBackup;
use rusqlite::{params, OptionalExtension, Transaction};

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

/// Completes the backup a driven stop wrote, now, in the state the stop ended in.
pub fn finish_backup(
    tx: &Transaction,
    backup_id: &str,
    now_ms: i64,
    session: &nimble_model::StreamingSession,
) -> Result<(), StoreError> {
    let found = tx
        .query_row(
            "SELECT studio_id, ready_ms, doc FROM backups WHERE backup_id = ?1",
            [backup_id],
            backup_from_row,
        )
        .optional()?;
    let Some(mut record) = found.map(decode_backup).transpose()? else {
        return Ok(());
    };
    record.ready_ms = now_ms;
    record.backup.state = session.state.clone();
    record.backup.status_code = session.status_code.clone();
    record.backup.status_message = session.status_message.clone();
    put_backup(tx, &record)
}
