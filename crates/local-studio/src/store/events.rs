//! The event log: every change to a session or a stream, in order, as the document the
//! API would return for it then. A change and its event are written in the same
//! transaction, so a watcher never misses an acknowledged change and never sees one that
//! was rolled back. `seq` is SQLite's AUTOINCREMENT key: it only grows, also across
//! restarts and purges, so a client's `since` stays meaningful.
//!
//! Only the newest [`EVENTS_KEPT`] events are kept (`purge_events`); the highest seq
//! purged is remembered in `meta`, so a `since` older than that is told to re-list
//! instead of silently missing what was purged.

use super::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

/// How many events are kept: enough for any client that was away minutes (a busy studio
/// writes a few per session action), small enough to stay a few MB.
pub const EVENTS_KEPT: i64 = 10_000;

pub(super) const EVENTS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    studio_id  TEXT NOT NULL,
    session_id TEXT NOT NULL,
    owned_by   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    doc        TEXT NOT NULL,
    at_ms      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_studio ON events (studio_id, seq);
";

const PURGED_THROUGH: &str = "events_purged_through";

/// What changed: a session, one of its streams, or one of its shares (shared, joined,
/// revoked: `operations/shares.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Session,
    Stream,
    Share,
}

impl EventKind {
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Session => "session",
            EventKind::Stream => "stream",
            EventKind::Share => "share",
        }
    }
}

/// One stored event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub session_id: String,
    pub owned_by: String,
    pub kind: String,
    /// The resource's wire document (JSON text).
    pub doc: String,
}

/// What a watcher gets after `since`.
#[derive(Debug, Default)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// The `since` for the next call.
    pub next: i64,
    /// `since` is older than what is kept (or newer than anything written): re-list.
    pub reset: bool,
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Appends one event.
pub fn put_event(
    tx: &Transaction,
    studio_id: &str,
    session_id: &str,
    owned_by: &str,
    kind: EventKind,
    doc: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO events (studio_id, session_id, owned_by, kind, doc, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        studio_id,
        session_id,
        owned_by,
        kind.name(),
        doc,
        wall_ms()
    ])?;
    Ok(())
}

/// The highest seq written so far (0 before the first event).
pub fn latest_seq(tx: &Transaction) -> Result<i64, StoreError> {
    let written: Option<i64> = tx
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    Ok(written.unwrap_or(0))
}

fn purged_through(tx: &Transaction) -> Result<i64, StoreError> {
    let value: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [PURGED_THROUGH],
            |row| row.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Up to `limit` events of `studio_id` after `since`, oldest first. A `since` of `None`
/// starts from now: no events, only the position to watch from.
pub fn events_after(
    tx: &Transaction,
    studio_id: &str,
    since: Option<i64>,
    limit: usize,
) -> Result<EventPage, StoreError> {
    let latest = latest_seq(tx)?;
    let Some(since) = since else {
        return Ok(EventPage {
            next: latest,
            ..EventPage::default()
        });
    };
    if since < purged_through(tx)? || since > latest {
        return Ok(EventPage {
            events: Vec::new(),
            next: latest,
            reset: true,
        });
    }
    let mut statement = tx.prepare_cached(
        "SELECT seq, session_id, owned_by, kind, doc FROM events
         WHERE studio_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let events = statement
        .query_map(params![studio_id, since, limit as i64], |row| {
            Ok(Event {
                seq: row.get(0)?,
                session_id: row.get(1)?,
                owned_by: row.get(2)?,
                kind: row.get(3)?,
                doc: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // A full page continues from its last event; otherwise everything up to `latest`
    // has been seen (other studios' events included).
    let next = match events.last() {
        Some(last) if events.len() == limit => last.seq,
        _ => latest,
    };
    Ok(EventPage {
        events,
        next,
        reset: false,
    })
}

/// Keeps the newest `kept` events; remembers the highest seq deleted. How many went.
pub fn purge_events(tx: &Transaction, kept: i64) -> Result<usize, StoreError> {
    let cut = latest_seq(tx)? - kept;
    if cut <= purged_through(tx)? {
        return Ok(0);
    }
    let purged = tx.execute("DELETE FROM events WHERE seq <= ?1", [cut])?;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        params![PURGED_THROUGH, cut.to_string()],
    )?;
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{open, Storage};

    #[test]
    fn a_since_older_than_what_is_kept_says_to_relist() {
        let mut conn = open(&Storage::InMemory).unwrap();
        let tx = conn.transaction().unwrap();
        for i in 0..5 {
            put_event(
                &tx,
                "s",
                &format!("ss-{i}"),
                "alice",
                EventKind::Session,
                "{}",
            )
            .unwrap();
        }
        put_event(&tx, "other", "ss-x", "bob", EventKind::Session, "{}").unwrap();
        assert_eq!(purge_events(&tx, 3).unwrap(), 3);
        assert_eq!(purge_events(&tx, 3).unwrap(), 0, "nothing more to purge");

        let old = events_after(&tx, "s", Some(2), 100).unwrap();
        assert!(old.reset && old.events.is_empty());
        assert_eq!(old.next, 6);
        // From the purge's edge on, everything kept is there, in order, this studio's only.
        let kept = events_after(&tx, "s", Some(3), 100).unwrap();
        assert!(!kept.reset);
        let ids: Vec<_> = kept.events.iter().map(|e| e.session_id.as_str()).collect();
        assert_eq!(ids, ["ss-3", "ss-4"]);
        assert_eq!(kept.next, 6);
        // A full page continues from its last event.
        let page = events_after(&tx, "s", Some(3), 1).unwrap();
        assert_eq!(page.next, 4);
    }

    #[test]
    fn every_change_of_a_session_is_an_event_and_an_unchanged_write_is_not() {
        use crate::lifecycle::SessionRecord;
        let mut conn = open(&Storage::InMemory).unwrap();
        let tx = conn.transaction().unwrap();
        let mut record = SessionRecord {
            studio_id: "s".into(),
            session: nimble_model::StreamingSession {
                session_id: Some("ss-1".into()),
                owned_by: Some("alice".into()),
                state: Some(nimble_model::StreamingSessionState::StartInProgress),
                ..Default::default()
            },
            pending: None,
            max_session_minutes: None,
            max_stopped_minutes: None,
            stop_policy: Default::default(),
            auto_stop: Default::default(),
            schedule: None,
            driver: None,
        };
        crate::store::put_session(&tx, &record).unwrap();
        crate::store::put_session(&tx, &record).unwrap();
        // A driver's progress changes only statusMessage: that too is news.
        assert!(record.report_progress("Starting the desktop"));
        crate::store::put_session(&tx, &record).unwrap();
        let page = events_after(&tx, "s", Some(0), 100).unwrap();
        let messages: Vec<_> = page
            .events
            .iter()
            .map(|e| {
                serde_json::from_str::<serde_json::Value>(&e.doc).unwrap()["statusMessage"].clone()
            })
            .collect();
        assert_eq!(
            messages,
            [serde_json::Value::Null, "Starting the desktop".into()]
        );
        assert!(page
            .events
            .iter()
            .all(|e| e.owned_by == "alice" && e.kind == "session"));
    }
}
