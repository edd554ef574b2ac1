//! Streams: what a client connects with. The document keeps the URL; the token in it
//! is also kept as a hash, so the desktop's side can spend it exactly once.

use super::StoreError;
use nimble_model::StreamingSessionStream;
use rusqlite::{params, OptionalExtension, Transaction};

/// A stream as it will be once ready, with the times that decide what it is now.
#[derive(Clone, Debug)]
pub struct StreamRecord {
    pub session_id: String,
    /// SHA-256 of the one-time token in the URL (hex); the token itself is never stored.
    pub token_hash: Option<String>,
    pub stream: StreamingSessionStream,
    pub ready_ms: i64,
    pub expires_ms: i64,
    /// The machine the session ran on when the stream was made (an EC2 instance id).
    pub machine: Option<String>,
}

pub fn put_stream(tx: &Transaction, record: &StreamRecord) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO streams (stream_id, session_id, ready_ms, expires_ms, doc, token_hash, machine)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            record.stream.stream_id.as_deref().unwrap_or(""),
            record.session_id,
            record.ready_ms,
            record.expires_ms,
            serde_json::to_string(&record.stream)?,
            record.token_hash,
            record.machine,
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
            token_hash: None,
            stream: serde_json::from_str(&doc)?,
            ready_ms,
            expires_ms,
            machine: None,
        })
    })
    .transpose()
}

/// What a stream's one-time token opens, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    pub stream_id: String,
    pub session_id: String,
    pub expires_ms: i64,
    /// The machine it was issued for, if its driver names one.
    pub machine: Option<String>,
}

/// Spends the stream token whose hash is `token_hash`: the grant the first time, while the
/// stream is ready and not expired; `None` ever after, or for a token nobody issued.
pub fn spend_stream_token(
    tx: &Transaction,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<TokenGrant>, StoreError> {
    let grant = tx
        .query_row(
            "SELECT stream_id, session_id, expires_ms, machine FROM streams
             WHERE token_hash = ?1 AND used_ms IS NULL AND ready_ms <= ?2 AND expires_ms > ?2",
            params![token_hash, now_ms],
            |row| {
                Ok(TokenGrant {
                    stream_id: row.get(0)?,
                    session_id: row.get(1)?,
                    expires_ms: row.get(2)?,
                    machine: row.get(3)?,
                })
            },
        )
        .optional()?;
    if let Some(grant) = &grant {
        tx.execute(
            "UPDATE streams SET used_ms = ?1 WHERE stream_id = ?2",
            params![now_ms, grant.stream_id],
        )?;
    }
    Ok(grant)
}
