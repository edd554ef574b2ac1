//! Client tokens (idempotency) and the server's own small facts (`meta`).
//!
//! A client token belongs to the caller that sent it (its access key id), as in AWS: the
//! same token from another credential is another request, and never replays a response
//! that was meant for someone else.

use super::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

/// A client token that `caller` sent before: the request it came with and the response
/// it got.
pub fn get_token(
    tx: &Transaction,
    caller: &str,
    token: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT request, response FROM client_tokens WHERE caller = ?1 AND token = ?2",
            [caller, token],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

pub fn put_token(
    tx: &Transaction,
    caller: &str,
    token: &str,
    request: &str,
    response: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO client_tokens (caller, token, request, response, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![caller, token, request, response, now_ms],
    )?;
    Ok(())
}

/// The EC2 agents' key (`tokens/agent.rs`), made on first use and kept in `meta`.
pub fn agent_key(conn: &mut rusqlite::Connection) -> Result<crate::tokens::AgentKey, StoreError> {
    let tx = conn.transaction()?;
    let kept = get_meta(&tx, "agent_key")?.and_then(|hex| crate::tokens::AgentKey::from_hex(&hex));
    let key = match kept {
        Some(key) => key,
        None => {
            let key = crate::tokens::AgentKey::random();
            set_meta(&tx, "agent_key", &key.to_hex())?;
            key
        }
    };
    tx.commit()?;
    Ok(key)
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
