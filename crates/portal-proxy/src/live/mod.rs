//! Live updates: every change to a session or stream reaches every open page at once,
//! at the same upstream cost whether 5 or 500 pages are open.
//!
//! ```text
//! upstream ──(one watch, or one poll, per studio)──▶ Live ──broadcast──▶ /api/events (SSE)
//!                                                                        one per open page
//! ```
//!
//! - `upstream_watch.rs` holds the one upstream connection: local-studio's long-poll watch
//!   (`GET /2020-08-01/studios/{id}/events`), or, for an upstream without one, a poll of
//!   ListStreamingSessions through the read cache (fast while anything is in progress,
//!   slow otherwise) whose differences become the same events. It runs only while a
//!   browser listens.
//! - `sse.rs` is the browser side: each page's EventSource gets the changes to sessions
//!   its artist may see (admins: all), as the documents the API returns, with a heartbeat.
//! - `seats.rs` keeps the open streams: how many each artist holds, and which sign-in
//!   opened each, so a sign-out ends that sign-in's streams at once.
//!
//! Each change also clears the read cache, so a list read after an event is fresh.

mod seats;
pub mod sse;
pub mod upstream_watch;

use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch, Notify};

/// Changes buffered for a page that reads slowly; one that falls further behind is told to
/// re-list (`resync`) rather than slowing everyone else.
const BUFFERED: usize = 1024;

/// One change, as sent to browsers.
#[derive(Debug)]
pub struct Change {
    /// The SSE event name: `session`, `stream`, or `resync` (re-list: changes were missed).
    pub kind: &'static str,
    /// Who may see it; `None` for everyone (a resync).
    pub owned_by: Option<String>,
    /// The event's data: `{"session": {...}}` or `{"sessionId": ..., "stream": {...}}`.
    pub data: String,
}

/// The hub between the one upstream watch and the browsers' event streams.
pub struct Live {
    changes: broadcast::Sender<Arc<Change>>,
    /// Told when a browser starts listening, so the upstream watch starts.
    listening: Notify,
    /// Told on a write through the proxy: a polling watch polls now.
    pub kick: Notify,
    seats: Mutex<seats::Seats>,
    max_per_user: usize,
    stopping: watch::Sender<bool>,
}

impl Live {
    pub fn new(max_per_user: usize) -> Self {
        Live {
            changes: broadcast::channel(BUFFERED).0,
            listening: Notify::new(),
            kick: Notify::new(),
            seats: Mutex::default(),
            max_per_user,
            stopping: watch::channel(false).0,
        }
    }

    pub fn publish(&self, change: Change) {
        // No receivers is fine: nobody is listening.
        let _ = self.changes.send(Arc::new(change));
    }

    /// How many event streams are open.
    pub fn listeners(&self) -> usize {
        self.changes.receiver_count()
    }

    /// Ends every event stream and the upstream watch (the server is stopping).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }
}
