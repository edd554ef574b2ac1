//! Users-file sign-ins and failed sign-ins, kept in a small SQLite file in the proxy's
//! data directory (`sign-ins.sqlite3`), so a restart signs nobody out and forgets no
//! lockout, and replicas on one host that share the directory accept each other's cookies.
//!
//! - A session is stored by the SHA-256 of its token, never the token: whoever reads the
//!   file cannot sign in with it. It ends after `idle` without a request, and after
//!   `lifetime` in any case. Its last use is written at most once a minute, so reads do
//!   not become writes.
//! - A failed sign-in counts toward a lockout for `LOCKOUT_FOR`; older failures are
//!   pruned on every new one, so the table holds only the names tried lately (and names
//!   are at most `MAX_LOGIN_BYTES`, checked before).
//! - Without a data directory (tests, a config that asks for it) the store is in memory.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sign_ins (
    token_sha256 TEXT PRIMARY KEY,
    login        TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    seen_ms      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_sign_ins (
    login    TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_ms  INTEGER NOT NULL
);";

/// How stale a session's last use may be written: finer would turn every read into a write.
const SEEN_GRANULARITY_MS: i64 = 60_000;

pub struct SignIns {
    db: Mutex<Connection>,
    idle_ms: i64,
    lifetime_ms: i64,
    lockout_ms: i64,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// How a session is keyed, in the store and in memory (`live/seats.rs`): the SHA-256 of
/// its token, which cannot be used to sign in.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl SignIns {
    /// The store in `dir` (created 0700, the file 0600), or in memory without one.
    pub fn open(
        dir: Option<&Path>,
        idle: Duration,
        lifetime: Duration,
        lockout: Duration,
    ) -> Result<Self, String> {
        let conn = match dir {
            Some(dir) => local_studio::open_private_database(dir, "sign-ins.sqlite3")
                .map_err(|e| format!("sign-in store in {}: {e}", dir.display()))?,
            None => Connection::open_in_memory().map_err(|e| e.to_string())?,
        };
        conn.busy_timeout(Duration::from_secs(5))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .map_err(|e| format!("sign-in store: {e}"))?;
        Ok(SignIns {
            db: Mutex::new(conn),
            idle_ms: ms(idle),
            lifetime_ms: ms(lifetime),
            lockout_ms: ms(lockout),
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session for `login`; returns its token. Ended sessions are pruned here.
    pub fn open_session(&self, login: &str) -> Result<String, rusqlite::Error> {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let now = now_ms();
        let db = self.db();
        db.execute(
            "DELETE FROM sign_ins WHERE created_ms <= ?1 OR seen_ms <= ?2",
            params![now - self.lifetime_ms, now - self.idle_ms],
        )?;
        db.execute(
            "INSERT INTO sign_ins (token_sha256, login, created_ms, seen_ms)
             VALUES (?1, ?2, ?3, ?3)",
            params![digest(&token), login, now],
        )?;
        Ok(token)
    }

    /// The login of a live session, noting its use; `None` for an unknown or ended one.
    pub fn session(&self, token: &str) -> Result<Option<String>, rusqlite::Error> {
        let key = digest(token);
        let now = now_ms();
        let db = self.db();
        let found: Option<(String, i64, i64)> = db
            .query_row(
                "SELECT login, created_ms, seen_ms FROM sign_ins WHERE token_sha256 = ?1",
                [&key],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((login, created, seen)) = found else {
            return Ok(None);
        };
        if now - created >= self.lifetime_ms || now - seen >= self.idle_ms {
            db.execute("DELETE FROM sign_ins WHERE token_sha256 = ?1", [&key])?;
            return Ok(None);
        }
        if now - seen >= SEEN_GRANULARITY_MS {
            db.execute(
                "UPDATE sign_ins SET seen_ms = ?2 WHERE token_sha256 = ?1",
                params![key, now],
            )?;
        }
        Ok(Some(login))
    }

    /// Ends every session of a login that `keep` refuses; how many ended.
    pub fn end_all_but(&self, keep: impl Fn(&str) -> bool) -> Result<usize, rusqlite::Error> {
        let db = self.db();
        let logins: Vec<String> = db
            .prepare("SELECT DISTINCT login FROM sign_ins")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let mut ended = 0;
        for login in logins.iter().filter(|login| !keep(login)) {
            ended += db.execute("DELETE FROM sign_ins WHERE login = ?1", [login])?;
        }
        Ok(ended)
    }

    pub fn close_session(&self, token: &str) -> Result<(), rusqlite::Error> {
        self.db()
            .execute(
                "DELETE FROM sign_ins WHERE token_sha256 = ?1",
                [digest(token)],
            )
            .map(drop)
    }

    /// Counts a failed sign-in of `login`; failures older than the lockout window are
    /// forgotten first, its own included.
    pub fn record_failure(&self, login: &str) -> Result<(), rusqlite::Error> {
        let now = now_ms();
        let db = self.db();
        db.execute(
            "DELETE FROM failed_sign_ins WHERE last_ms <= ?1",
            [now - self.lockout_ms],
        )?;
        db.execute(
            "INSERT INTO failed_sign_ins (login, failures, last_ms) VALUES (?1, 1, ?2)
             ON CONFLICT (login) DO UPDATE SET failures = failures + 1, last_ms = ?2",
            params![login, now],
        )
        .map(drop)
    }

    pub fn clear_failures(&self, login: &str) -> Result<(), rusqlite::Error> {
        self.db()
            .execute("DELETE FROM failed_sign_ins WHERE login = ?1", [login])
            .map(drop)
    }

    /// Failed sign-ins of `login` within the lockout window, and how long until the
    /// latest leaves it.
    pub fn failures(&self, login: &str) -> Result<(u32, Duration), rusqlite::Error> {
        let now = now_ms();
        let found: Option<(u32, i64)> = self
            .db()
            .query_row(
                "SELECT failures, last_ms FROM failed_sign_ins WHERE login = ?1",
                [login],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(match found {
            Some((count, last)) if now - last < self.lockout_ms => {
                let left = (self.lockout_ms - (now - last)).max(0) as u64;
                (count, Duration::from_millis(left))
            }
            _ => (0, Duration::ZERO),
        })
    }
}

#[cfg(test)]
impl SignIns {
    /// Makes every stored time `by` older, as if that much time had passed.
    pub fn age(&self, by: Duration) {
        let by = ms(by);
        let db = self.db();
        db.execute(
            "UPDATE sign_ins SET created_ms = created_ms - ?1, seen_ms = seen_ms - ?1",
            [by],
        )
        .unwrap();
        db.execute("UPDATE failed_sign_ins SET last_ms = last_ms - ?1", [by])
            .unwrap();
    }

    pub fn failed_names(&self) -> usize {
        self.db()
            .query_row("SELECT COUNT(*) FROM failed_sign_ins", [], |row| row.get(0))
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn store(dir: Option<&Path>) -> SignIns {
        SignIns::open(dir, HOUR, 12 * HOUR, Duration::from_secs(900)).unwrap()
    }

    #[test]
    fn sessions_are_stored_by_digest_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let token = store(Some(dir.path())).open_session("alice").unwrap();
        let reopened = store(Some(dir.path()));
        assert_eq!(reopened.session(&token).unwrap().as_deref(), Some("alice"));
        assert_eq!(reopened.session("not-a-token").unwrap(), None);
        let file = std::fs::read(dir.path().join("sign-ins.sqlite3")).unwrap();
        let wal = std::fs::read(dir.path().join("sign-ins.sqlite3-wal")).unwrap_or_default();
        let needle = token.as_bytes();
        for bytes in [&file, &wal] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the token itself is never written"
            );
        }
        reopened.close_session(&token).unwrap();
        assert_eq!(store(Some(dir.path())).session(&token).unwrap(), None);
    }

    #[test]
    fn a_session_ends_when_idle_and_at_its_lifetime() {
        let signins = store(None);
        let almost_idle = HOUR - Duration::from_secs(5);
        let used = signins.open_session("alice").unwrap();
        let unused = signins.open_session("carol").unwrap();
        signins.age(almost_idle);
        // A request just before the idle hour is up starts the hour again…
        assert!(signins.session(&used).unwrap().is_some());
        signins.age(Duration::from_secs(10));
        assert_eq!(signins.session(&unused).unwrap(), None, "idle an hour");
        signins.age(almost_idle - Duration::from_secs(10));
        assert_eq!(signins.session(&used).unwrap().as_deref(), Some("alice"));

        let busy = signins.open_session("bob").unwrap();
        let step = HOUR - Duration::from_secs(60);
        // …but in steady use, 12 × 59 minutes is within the 12 hour lifetime…
        for _ in 0..12 {
            signins.age(step);
            assert_eq!(signins.session(&busy).unwrap().as_deref(), Some("bob"));
        }
        // …and 13 × 59 minutes is past it.
        signins.age(step);
        assert_eq!(signins.session(&busy).unwrap(), None);
    }

    #[test]
    fn failures_count_within_the_window_and_are_pruned_after() {
        let signins = store(None);
        for _ in 0..3 {
            signins.record_failure("bob").unwrap();
        }
        let (count, left) = signins.failures("bob").unwrap();
        assert_eq!(count, 3);
        assert!(left > Duration::from_secs(890), "{left:?}");
        signins.age(Duration::from_secs(901));
        assert_eq!(signins.failures("bob").unwrap().0, 0);
        signins.record_failure("carol").unwrap();
        assert_eq!(signins.failed_names(), 1, "bob's old failures were pruned");
        signins.clear_failures("carol").unwrap();
        assert_eq!(signins.failed_names(), 0);
    }
}
