//! Client tokens (idempotency) and the server's own small facts (`meta`).

use super::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

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
