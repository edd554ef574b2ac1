//! The SQLite store. Each record keeps its wire document as JSON beside the columns that
//! are searched (owner, creation time, next automatic event). WAL mode; every request's
//! changes happen in one transaction, and `synchronous = FULL` makes an acknowledged
//! change survive even a power cut, not only a killed process.

mod backups;
mod sessions;
mod streams;
mod tokens;

pub use backups::*;
pub use sessions::*;
pub use streams::*;
pub use tokens::*;

use rusqlite::Connection;
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

/// Columns added since the first schema, with what makes them useful. A store written by
/// an older build gains them at start; old rows read as simulated sessions and streams
/// whose token cannot be spent.
const ADDED: &[(&str, &str, &str)] = &[
    ("sessions", "driver", "CREATE INDEX IF NOT EXISTS sessions_driven ON sessions (session_id) WHERE driver IS NOT NULL"),
    ("streams", "token_hash", "CREATE UNIQUE INDEX IF NOT EXISTS streams_token ON streams (token_hash)"),
    ("streams", "used_ms", ""),
];

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    for (table, column, index) in ADDED {
        let exists: bool = conn.query_row(
            &format!("SELECT COUNT(*) > 0 FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |row| row.get(0),
        )?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column}"))?;
        }
        if !index.is_empty() {
            conn.execute_batch(index)?;
        }
    }
    Ok(())
}

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
    migrate(&conn)?;
    Ok(conn)
}
