//! The open event streams, each a [`Seat`]: its place in its artist's count, and the
//! sign-in that opened it, so that signing out ends it at once.
//!
//! - Each artist may hold `max_per_user` streams (beyond, 429), because each one holds a
//!   connection of the server's `max_connections`.
//! - A sign-out ends the streams of that sign-in (that cookie), not every stream of the
//!   artist: the same artist signed in on another computer is still signed in there, and
//!   that page keeps its live updates, as it keeps its other calls. What a sign-out takes
//!   away is this browser's access, and its open pages are part of it. Removing a user
//!   from the users file takes effect at a restart, which ends every stream anyway and
//!   refuses that user's sign-ins (`identity.rs`).
//! - Streams of the other modes have no sign-in of the proxy's to end: the gateway in
//!   front (trusted-header) or nobody (dev) signs artists in and out.

use super::{Change, Live};
use crate::error::Refusal;
use crate::identity::Identity;
use nimble_model::{ApiError, ErrorType};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Every open stream, and how many each artist holds.
#[derive(Default)]
pub(super) struct Seats {
    open: HashMap<u64, Open>,
    per_user: HashMap<String, usize>,
    next_id: u64,
}

/// What ending one open stream takes.
struct Open {
    sign_in: Option<String>,
    end: watch::Sender<bool>,
}

/// One open event stream: its receiver, and its place among the open ones.
pub(super) struct Seat {
    live: Arc<Live>,
    id: u64,
    user: String,
    pub receiver: broadcast::Receiver<Arc<Change>>,
    pub ending: Ending,
}

/// When a stream must end: the server stops, or its sign-in ended.
pub(super) struct Ending {
    stopping: watch::Receiver<bool>,
    ended: watch::Receiver<bool>,
}

impl Live {
    /// A place for one more of `identity`'s event streams, or 429 beyond the cap.
    pub(super) fn join(self: &Arc<Self>, identity: &Identity) -> Result<Seat, Refusal> {
        let mut seats = self.seats.lock().unwrap_or_else(|e| e.into_inner());
        let open = seats.per_user.entry(identity.user.clone()).or_insert(0);
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
        let id = seats.next_id;
        seats.next_id += 1;
        let (end, ended) = watch::channel(false);
        let sign_in = identity.sign_in.clone();
        seats.open.insert(id, Open { sign_in, end });
        let receiver = self.changes.subscribe();
        self.listening.notify_one();
        Ok(Seat {
            live: self.clone(),
            id,
            user: identity.user.clone(),
            receiver,
            ending: Ending {
                stopping: self.stopping.subscribe(),
                ended,
            },
        })
    }

    /// Ends every event stream opened by the sign-in `sign_in` (it signed out).
    pub fn end_sign_in(&self, sign_in: &str) {
        let seats = self.seats.lock().unwrap_or_else(|e| e.into_inner());
        for open in seats.open.values() {
            if open.sign_in.as_deref() == Some(sign_in) {
                open.end.send_replace(true);
            }
        }
    }
}

impl Ending {
    /// Resolves when the stream must end.
    pub async fn wait(&mut self) {
        // The senders live as long as the seat: neither wait fails before it is dropped.
        tokio::select! {
            _ = self.stopping.wait_for(|stop| *stop) => {}
            _ = self.ended.wait_for(|ended| *ended) => {}
        }
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut seats = self.live.seats.lock().unwrap_or_else(|e| e.into_inner());
        seats.open.remove(&self.id);
        if let Some(open) = seats.per_user.get_mut(&self.user) {
            *open -= 1;
            if *open == 0 {
                seats.per_user.remove(&self.user);
            }
        }
    }
}
