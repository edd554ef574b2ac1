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
//!
//! Each change also clears the read cache, so a list read after an event is fresh.

mod sse;
mod upstream_watch;

pub use sse::events;
pub use upstream_watch::spawn;

use crate::error::Refusal;
use nimble_model::{ApiError, ErrorType};
use std::collections::HashMap;
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
    per_user: Mutex<HashMap<String, usize>>,
    max_per_user: usize,
    stopping: watch::Sender<bool>,
}

impl Live {
    pub fn new(max_per_user: usize) -> Self {
        Live {
            changes: broadcast::channel(BUFFERED).0,
            listening: Notify::new(),
            kick: Notify::new(),
            per_user: Mutex::new(HashMap::new()),
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

    /// A place for one more of `user`'s event streams, or 429 beyond the cap.
    fn join(self: &Arc<Self>, user: &str) -> Result<Seat, Refusal> {
        let mut per_user = self.per_user.lock().unwrap_or_else(|e| e.into_inner());
        let open = per_user.entry(user.to_owned()).or_insert(0);
        if *open >= self.max_per_user {
            let error = ApiError::new(
                ErrorType::Throttling,
                format!(
                    "At most {} live connections per artist; close another tab of the portal",
                    self.max_per_user
                ),
            );
            return Err(Refusal::new(error).retry_after(10));
        }
        *open += 1;
        let receiver = self.changes.subscribe();
        self.listening.notify_one();
        Ok(Seat {
            live: self.clone(),
            user: user.to_owned(),
            receiver,
            stopping: self.stopping.subscribe(),
        })
    }
}

/// One open event stream: its receiver, and its place in the per-user count.
struct Seat {
    live: Arc<Live>,
    user: String,
    receiver: broadcast::Receiver<Arc<Change>>,
    stopping: watch::Receiver<bool>,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut per_user = self.live.per_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = per_user.get_mut(&self.user) {
            *open -= 1;
            if *open == 0 {
                per_user.remove(&self.user);
            }
        }
    }
}
