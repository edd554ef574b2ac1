//! What local-studio keeps only for a while, and when it forgets it. Without this, four
//! tables grow with every request forever:
//!
//! - **Client tokens** are remembered for [`CLIENT_TOKEN_RETENTION`] (24 hours), AWS's
//!   usual promise that a retried request is recognised for at least a day. A token sent
//!   again after that is a new request.
//! - **Streams** are kept [`EXPIRED_STREAM_RETENTION`] (1 hour) after they expire, so a
//!   client polling an old stream still reads it as DELETED for a while, then gets 404.
//! - **DELETED sessions** stay readable for [`crate::Config::deleted_retention`] (a week
//!   by default, `--deleted-retention-hours`): the SDK's waiters and the portal read a
//!   deleted session as DELETED, and must not see it vanish while they wait. After that,
//!   the session and its streams are removed; its backups are kept.
//!
//! - **Events** (the watch's log, `store/events.rs`): the newest
//!   [`store::EVENTS_KEPT`] (10,000) are kept; a watcher whose `since` is older is told
//!   to re-list.
//!
//! The reconciler's pass calls [`purge_if_due`], which purges at most once per
//! [`PURGE_INTERVAL`] of the lifecycle clock (the one tests move with `advance_clock`).

use crate::app::App;
use crate::store::{self, Cutoffs, StoreError};
use rusqlite::Transaction;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub const CLIENT_TOKEN_RETENTION: Duration = Duration::from_secs(24 * 3600);
pub const EXPIRED_STREAM_RETENTION: Duration = Duration::from_secs(3600);
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Whether a purge is due at `now_ms` after the last one at `last_ms`. A clock that went
/// backwards does not hold purges off.
fn due(last_ms: i64, now_ms: i64) -> bool {
    !(0..ms(PURGE_INTERVAL)).contains(&now_ms.saturating_sub(last_ms))
}

/// Purges what is past its time, unless a purge ran less than [`PURGE_INTERVAL`] ago.
pub fn purge_if_due(app: &App, tx: &Transaction, now_ms: i64) -> Result<(), StoreError> {
    if !due(app.last_purge_ms.load(Ordering::Relaxed), now_ms) {
        return Ok(());
    }
    let before = |kept: Duration| now_ms.saturating_sub(ms(kept));
    let purged = store::purge(
        tx,
        Cutoffs {
            tokens_before_ms: before(CLIENT_TOKEN_RETENTION),
            streams_expired_before_ms: before(EXPIRED_STREAM_RETENTION),
            deleted_before_ms: before(app.deleted_retention),
        },
    )?;
    let events = store::purge_events(tx, store::EVENTS_KEPT)?;
    app.last_purge_ms.store(now_ms, Ordering::Relaxed);
    if purged != store::Purged::default() || events > 0 {
        tracing::info!(
            events,
            client_tokens = purged.client_tokens,
            streams = purged.streams,
            sessions = purged.sessions,
            "purged what was past its retention"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purges_run_at_most_once_a_minute() {
        assert!(due(i64::MIN, 0), "the first pass purges");
        assert!(!due(1_000, 1_000));
        assert!(!due(1_000, 60_999));
        assert!(due(1_000, 61_000));
        assert!(due(1_000, 999), "a clock set back does not hold purges off");
    }
}
