//! The SQLite store. Each record keeps its wire document as JSON beside the columns that
//! are searched (owner, creation time, next automatic event). WAL mode; every request's
//! changes happen in one transaction, and `synchronous = FULL` makes an acknowledged
//! change survive even a power cut, not only a killed process.

mod backups;
mod events;
mod purge;
mod sessions;
mod shares;
mod streams;
mod tokens;
mod usage;

pub use backups::*;
pub use events::*;
pub use purge::*;
pub use sessions::*;
pub use shares::*;
pub use streams::*;
pub use tokens::*;
pub use usage::{
    artist_limits, count_running, ready_ms_by, ready_ms_since, seed_spans_for_benchmark,
    set_artist_limits, spans_between, ArtistLimits, UsageKey,
};

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
CREATE INDEX IF NOT EXISTS streams_expiry ON streams (expires_ms);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// Client tokens, keyed by the caller (access key id) and the token.
const CLIENT_TOKENS: &str = "
CREATE TABLE IF NOT EXISTS client_tokens (
    caller     TEXT NOT NULL,
    token      TEXT NOT NULL,
    request    TEXT NOT NULL,
    response   TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (caller, token)
);
CREATE INDEX IF NOT EXISTS client_tokens_age ON client_tokens (created_ms);
";

/// Columns added since the first schema, with what makes them useful. A store written by
/// an older build gains them at start; old rows read as simulated sessions and streams
/// whose token cannot be spent, and its DELETED sessions count as deleted at the upgrade.
const ADDED: &[(&str, &str, &str)] = &[
    ("sessions", "driver", "CREATE INDEX IF NOT EXISTS sessions_driven ON sessions (session_id) WHERE driver IS NOT NULL"),
    ("streams", "token_hash", "CREATE UNIQUE INDEX IF NOT EXISTS streams_token ON streams (token_hash)"),
    ("streams", "used_ms", ""),
    ("sessions", "deleted_ms", "CREATE INDEX IF NOT EXISTS sessions_deleted ON sessions (deleted_ms) WHERE deleted_ms IS NOT NULL"),
    // The machine (an EC2 instance) a stream's token was issued for: it opens no other.
    ("streams", "machine", ""),
    // When a stream's readiness went into the event log (events.rs); NULL until then.
    ("streams", "announced_ms", "CREATE INDEX IF NOT EXISTS streams_unannounced ON streams (ready_ms) WHERE announced_ms IS NULL"),
    // A stream a colleague (a share) or an admin (support) joins with: who, and the mode.
    ("streams", "guest", ""),
    ("streams", "guest_mode", ""),
];

/// Older builds stored a stream's URL, one-time token and all, in its document and in the
/// saved answer of its create's client token. Only the hash is kept now (the URL lives in
/// memory: `tokens/issued.rs`), so those URLs are dropped; their streams read as DELETED.
const FORGET_STREAM_URLS: &str = "
UPDATE streams SET doc = json_remove(doc, '$.url')
    WHERE CASE WHEN json_valid(doc) THEN json_type(doc, '$.url') END IS NOT NULL;
UPDATE client_tokens SET response = json_remove(response, '$.stream.url')
    WHERE CASE WHEN json_valid(response) THEN json_type(response, '$.stream.url') END IS NOT NULL;
";

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    // The first client_tokens table knew no caller, so its tokens were shared by every
    // credential. Its rows cannot be given an owner: they are dropped with it (a retry
    // across the upgrade runs again, as one after the retention window would).
    if !has_column(conn, "client_tokens", "caller")? {
        conn.execute_batch("DROP TABLE IF EXISTS client_tokens")?;
    }
    conn.execute_batch(CLIENT_TOKENS)?;
    conn.execute_batch(events::EVENTS_SCHEMA)?;
    conn.execute_batch(usage::USAGE_SCHEMA)?;
    conn.execute_batch(shares::SHARES_SCHEMA)?;
    // Streams of an older build were never announced, and nobody waits for them now.
    let streams_unannounced = !has_column(conn, "streams", "announced_ms")?;
    for (table, column, index) in ADDED {
        if !has_column(conn, table, column)? {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column}"))?;
        }
        if !index.is_empty() {
            conn.execute_batch(index)?;
        }
    }
    if streams_unannounced {
        conn.execute_batch("UPDATE streams SET announced_ms = ready_ms")?;
    }
    conn.execute_batch(FORGET_STREAM_URLS)?;
    // When an old DELETED session was deleted is not stored: its retention starts now.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    conn.execute(
        "UPDATE sessions SET deleted_ms = ?1 WHERE deleted = 1 AND deleted_ms IS NULL",
        [now_ms],
    )?;
    Ok(())
}

fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        &format!("SELECT COUNT(*) > 0 FROM pragma_table_info('{table}') WHERE name = ?1"),
        [column],
        |row| row.get(0),
    )?)
}

pub fn open(storage: &Storage) -> Result<Connection, StoreError> {
    let mut conn = match storage {
        Storage::InMemory => Connection::open_in_memory()?,
        Storage::Dir(dir) => open_private(dir, "local-studio.sqlite3")?,
    };
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Every transaction takes the write lock as it begins, waiting for it: one that read
    // first and then found another connection's write (a stopping server's last pass)
    // would fail at once with SQLITE_BUSY_SNAPSHOT instead of waiting.
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    conn.execute_batch(SCHEMA)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens (or creates) the SQLite database `file` in `dir`, for this user alone whatever
/// the umask: the folder 0700, the database created 0600 before SQLite opens it (SQLite
/// gives its -wal and -shm files the database's mode; older ones are set too). WAL with
/// full sync: a commit that returned survives a crash. portal-proxy keeps its sign-ins
/// the same way.
pub fn open_private(dir: &std::path::Path, file: &str) -> Result<Connection, StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let data_dir_error = |e| StoreError::DataDir(dir.display().to_string(), e);
    std::fs::create_dir_all(dir).map_err(data_dir_error)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(data_dir_error)?;
    let path = dir.join(file);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .map_err(data_dir_error)?;
    let conn = Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = dir.join(format!("{file}{suffix}"));
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(data_dir_error)?;
        }
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_urls_stored_by_an_older_build_are_dropped_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://dcv.example/?authToken=0123456789abcdef#ss-1";
        let conn = open(&Storage::Dir(dir.path().to_owned())).unwrap();
        conn.execute(
            "INSERT INTO streams (stream_id, session_id, ready_ms, expires_ms, doc)
             VALUES ('str-1', 'ss-1', 0, 1, ?1)",
            [serde_json::json!({"streamId": "str-1", "state": "READY", "url": url}).to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO client_tokens (caller, token, request, response, created_ms)
             VALUES ('AKID', 't', '{}', ?1, 0), ('AKID', 'u', '{}', 'not json', 0)",
            [serde_json::json!({"stream": {"streamId": "str-1", "url": url}}).to_string()],
        )
        .unwrap();
        drop(conn);

        let conn = open(&Storage::Dir(dir.path().to_owned())).unwrap();
        let doc: String = conn
            .query_row("SELECT doc FROM streams", [], |row| row.get(0))
            .unwrap();
        let response: String = conn
            .query_row(
                "SELECT response FROM client_tokens WHERE token = 't'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(!doc.contains("authToken") && doc.contains("str-1"), "{doc}");
        assert!(
            !response.contains("authToken") && response.contains("str-1"),
            "{response}"
        );
    }

    #[test]
    fn a_store_with_unscoped_client_tokens_is_upgraded_and_forgets_them() {
        let dir = tempfile::tempdir().unwrap();
        let old = Connection::open(dir.path().join("local-studio.sqlite3")).unwrap();
        old.execute_batch(
            "CREATE TABLE client_tokens (token TEXT PRIMARY KEY, request TEXT NOT NULL,
                 response TEXT NOT NULL, created_ms INTEGER NOT NULL);
             INSERT INTO client_tokens VALUES ('t', '{}', '{\"old\":1}', 0);",
        )
        .unwrap();
        drop(old);

        let mut conn = open(&Storage::Dir(dir.path().to_owned())).unwrap();
        let tx = conn.transaction().unwrap();
        assert_eq!(get_token(&tx, "", "t").unwrap(), None);
        put_token(&tx, "AKID", "t", "{}", "{}", 1).unwrap();
        put_token(&tx, "OTHER", "t", "{}", "{\"b\":1}", 1).unwrap();
        assert_eq!(
            get_token(&tx, "OTHER", "t").unwrap().unwrap().1,
            "{\"b\":1}"
        );
        tx.commit().unwrap();
        drop(conn);
        // Opening again keeps the upgraded table and its rows.
        let mut conn = open(&Storage::Dir(dir.path().to_owned())).unwrap();
        let tx = conn.transaction().unwrap();
        assert!(get_token(&tx, "AKID", "t").unwrap().is_some());
    }

    /// A server stopping while its reconciler still writes, and the next one already
    /// answering: a request that read first must wait for the other's write, not fail.
    #[test]
    fn a_write_waits_for_another_connection_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::Dir(dir.path().to_owned());
        let mut old = open(&storage).unwrap();
        let mut new = open(&storage).unwrap();
        let write = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)";
        let held = old.transaction().unwrap();
        held.execute(write, ["old", "1"]).unwrap();
        let request = std::thread::spawn(move || {
            let tx = new.transaction()?;
            let before: i64 = tx.query_row("SELECT COUNT(*) FROM meta", [], |r| r.get(0))?;
            std::thread::sleep(std::time::Duration::from_millis(300));
            tx.execute(write, ["new", &before.to_string()])?;
            tx.commit()
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        held.commit().unwrap();
        request
            .join()
            .unwrap()
            .expect("the request's write waits its turn");
        let counted: String = old
            .query_row("SELECT value FROM meta WHERE key = 'new'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(counted, "1", "it read after the other write, not before");
    }
}
