//! Forgetting what is kept only for a while: client tokens past their window, streams
//! some time after they expired, and DELETED sessions past their retention (with their
//! streams). Which times those are is `retention.rs`'s business; this file deletes the
//! rows older than the cut-offs it is given, in the caller's transaction.

use super::StoreError;
use rusqlite::{params, Transaction};

/// Rows older than these (milliseconds on the lifecycle clock) are deleted.
#[derive(Clone, Copy, Debug)]
pub struct Cutoffs {
    /// Client tokens first seen before this.
    pub tokens_before_ms: i64,
    /// Streams that expired before this.
    pub streams_expired_before_ms: i64,
    /// Sessions that became DELETED before this.
    pub deleted_before_ms: i64,
}

/// How many rows a purge deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub client_tokens: usize,
    pub streams: usize,
    pub sessions: usize,
}

pub fn purge(tx: &Transaction, cutoffs: Cutoffs) -> Result<Purged, StoreError> {
    let client_tokens = tx.execute(
        "DELETE FROM client_tokens WHERE created_ms < ?1",
        [cutoffs.tokens_before_ms],
    )?;
    let streams = tx.execute(
        "DELETE FROM streams WHERE expires_ms < ?1
         OR session_id IN (SELECT session_id FROM sessions WHERE deleted_ms < ?2)",
        params![cutoffs.streams_expired_before_ms, cutoffs.deleted_before_ms],
    )?;
    let sessions = tx.execute(
        "DELETE FROM sessions WHERE deleted_ms < ?1",
        [cutoffs.deleted_before_ms],
    )?;
    Ok(Purged {
        client_tokens,
        streams,
        sessions,
    })
}
