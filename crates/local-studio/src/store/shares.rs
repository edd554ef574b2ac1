//! Shares: a workstation lent to a colleague, view-only or with control, until a time
//! (`operations/shares.rs`). One row per (session, colleague); putting it again replaces
//! it, revoking deletes it, and an expired row opens nothing (it is dropped the next time
//! the session's shares are written).

use super::StoreError;
use nimble_model::ShareMode;
use rusqlite::{params, Transaction};

pub(super) const SHARES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS shares (
    session_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    studio_id  TEXT NOT NULL,
    mode       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX IF NOT EXISTS shares_user ON shares (studio_id, user_id);
";

/// A share as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRecord {
    pub session_id: String,
    pub user_id: String,
    pub mode: ShareMode,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// Shares (or shares again) `share` in `studio_id`.
pub fn put_share(
    tx: &Transaction,
    studio_id: &str,
    share: &ShareRecord,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM shares WHERE session_id = ?1 AND expires_ms <= ?2",
        params![share.session_id, now_ms],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO shares (session_id, user_id, studio_id, mode, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            share.session_id,
            share.user_id,
            studio_id,
            share.mode.as_str(),
            share.created_ms,
            share.expires_ms
        ],
    )?;
    Ok(())
}

/// Revokes the share of `session_id` with `user_id`; whether there was one in force.
pub fn delete_share(
    tx: &Transaction,
    session_id: &str,
    user_id: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let deleted = tx.execute(
        "DELETE FROM shares WHERE session_id = ?1 AND user_id = ?2 AND expires_ms > ?3",
        params![session_id, user_id, now_ms],
    )?;
    Ok(deleted > 0)
}

/// The shares in force at `now_ms` of one session (`Some(session)`) or with one colleague
/// in a studio (`None`, `Some((studio, user))`), oldest first.
pub fn shares(
    tx: &Transaction,
    session_id: Option<&str>,
    with: Option<(&str, &str)>,
    now_ms: i64,
) -> Result<Vec<ShareRecord>, StoreError> {
    let (studio, user) = with.unwrap_or_default();
    let mut statement = tx.prepare_cached(
        "SELECT session_id, user_id, mode, created_ms, expires_ms FROM shares
         WHERE expires_ms > ?1 AND (?2 IS NULL OR session_id = ?2)
           AND (?3 = '' OR (studio_id = ?3 AND user_id = ?4))
         ORDER BY created_ms, session_id, user_id",
    )?;
    let rows = statement.query_map(params![now_ms, session_id, studio, user], |row| {
        Ok(ShareRecord {
            session_id: row.get(0)?,
            user_id: row.get(1)?,
            mode: ShareMode::parse(&row.get::<_, String>(2)?).unwrap_or(ShareMode::ViewOnly),
            created_ms: row.get(3)?,
            expires_ms: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The share of `session_id` with `user_id` in force at `now_ms`.
pub fn share(
    tx: &Transaction,
    session_id: &str,
    user_id: &str,
    now_ms: i64,
) -> Result<Option<ShareRecord>, StoreError> {
    Ok(shares(tx, Some(session_id), None, now_ms)?
        .into_iter()
        .find(|share| share.user_id == user_id))
}
