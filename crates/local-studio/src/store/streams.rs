//! Streams: what a client connects with. The document is kept without its URL, whose
//! token is a credential: the token is kept only as a hash, so the machine's side can
//! spend it exactly once, and the URL only in memory (`tokens/issued.rs`).
//!
//! A stream becomes READY by time, without a write; `announced_ms` records when that
//! went into the event log, so each readiness is announced exactly once.

use super::StoreError;
use crate::tokens::Guest;
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
    /// Who joins with it when it is not the owner: the user and how (a share, support).
    pub guest: Option<(String, Guest)>,
}

/// Stores a new stream, without its URL; one ready at `now_ms` counts as announced (its
/// creation's event says so already).
pub fn put_stream(tx: &Transaction, record: &StreamRecord, now_ms: i64) -> Result<(), StoreError> {
    let doc = StreamingSessionStream {
        url: None,
        ..record.stream.clone()
    };
    tx.execute(
        "INSERT INTO streams (stream_id, session_id, ready_ms, expires_ms, doc, token_hash, machine,
                              announced_ms, guest, guest_mode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            record.stream.stream_id.as_deref().unwrap_or(""),
            record.session_id,
            record.ready_ms,
            record.expires_ms,
            serde_json::to_string(&doc)?,
            record.token_hash,
            record.machine,
            (record.ready_ms <= now_ms).then_some(now_ms),
            record.guest.as_ref().map(|(user, _)| user),
            record.guest.as_ref().map(|(_, guest)| guest.as_str()),
        ],
    )?;
    Ok(())
}

/// A stream whose readiness is due to be announced, with its session's studio and owner.
pub struct Unannounced {
    pub studio_id: String,
    pub owned_by: String,
    pub record: StreamRecord,
}

/// Streams that became ready by `now_ms` and were not announced yet.
pub fn unannounced_streams(tx: &Transaction, now_ms: i64) -> Result<Vec<Unannounced>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT s.session_id, s.ready_ms, s.expires_ms, s.doc, x.studio_id, x.owned_by
         FROM streams s JOIN sessions x ON x.session_id = s.session_id
         WHERE s.announced_ms IS NULL AND s.ready_ms <= ?1",
    )?;
    let rows = statement.query_map([now_ms], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (session_id, ready_ms, expires_ms, doc, studio_id, owned_by) = row?;
        Ok(Unannounced {
            studio_id,
            owned_by,
            record: StreamRecord {
                session_id,
                token_hash: None,
                stream: serde_json::from_str(&doc)?,
                ready_ms,
                expires_ms,
                machine: None,
                guest: None,
            },
        })
    })
    .collect()
}

pub fn mark_announced(tx: &Transaction, stream_id: &str, now_ms: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE streams SET announced_ms = ?1 WHERE stream_id = ?2",
        params![now_ms, stream_id],
    )?;
    Ok(())
}

/// When the next change after `now_ms` happens by time alone (a transition ends, a limit
/// is reached, a stream becomes ready): the reconciler wakes then, so its event is
/// written on time.
pub fn next_due_ms(tx: &Transaction, now_ms: i64) -> Result<Option<i64>, StoreError> {
    Ok(tx.query_row(
        "SELECT MIN(t) FROM (SELECT MIN(next_event_ms) AS t FROM sessions WHERE next_event_ms > ?1
         UNION ALL SELECT MIN(ready_ms) FROM streams WHERE announced_ms IS NULL AND ready_ms > ?1)",
        [now_ms],
        |row| row.get(0),
    )?)
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
            guest: None,
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
    /// Whom it lets in, when not the owner.
    pub guest: Option<(String, Guest)>,
}

/// What the stream token whose hash is `token_hash` opens now: its grant while the stream
/// is ready, unexpired and the token unspent; `None` for a token nobody issued.
pub fn stream_token(
    tx: &Transaction,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<TokenGrant>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT stream_id, session_id, expires_ms, machine, guest, guest_mode FROM streams
             WHERE token_hash = ?1 AND used_ms IS NULL AND ready_ms <= ?2 AND expires_ms > ?2",
            params![token_hash, now_ms],
            |row| {
                let user: Option<String> = row.get(4)?;
                let mode: Option<String> = row.get(5)?;
                Ok(TokenGrant {
                    stream_id: row.get(0)?,
                    session_id: row.get(1)?,
                    expires_ms: row.get(2)?,
                    machine: row.get(3)?,
                    // A mode this build cannot read lets the guest only watch.
                    guest: user.map(|user| {
                        let guest = mode.as_deref().and_then(Guest::parse);
                        (user, guest.unwrap_or(Guest::Support))
                    }),
                })
            },
        )
        .optional()?)
}

/// Spends the token of stream `stream_id`: it opens nothing ever after.
pub fn spend_stream_token(
    tx: &Transaction,
    stream_id: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE streams SET used_ms = ?1 WHERE stream_id = ?2",
        params![now_ms, stream_id],
    )?;
    Ok(())
}
