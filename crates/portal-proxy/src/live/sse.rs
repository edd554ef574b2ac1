//! `GET /api/events`: the changes an artist may see, as server-sent events.
//!
//! The same rules as every other `/api` route come first: the artist must be signed in,
//! a cross-site Origin is refused, and the connection counts against the rate limit. Each
//! artist may hold a few streams at once (`live_connections_per_user`, default 16; beyond,
//! 429), because each one holds a connection of the server's `max_connections`.
//!
//! The stream opens with `event: hello` (the page knows the stream really flows, even
//! through an intermediary that might buffer it), then carries `session` and `stream`
//! events whose owner is the artist (admins: every one), and `resync` when changes were
//! missed (the page then re-lists). A comment line every 15 s keeps idle connections
//! open; `Cache-Control: no-cache` and `X-Accel-Buffering: no` ask proxies in between
//! not to buffer. Stream events never carry a URL: that comes from
//! GetStreamingSessionStream, which checks ownership. The stream ends when the server
//! stops, and at once when its sign-in signs out (`seats.rs`).

use super::seats::Seat;
use super::Change;
use crate::error::Refusal;
use crate::guards;
use crate::identity::Identity;
use crate::state::Shared;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use nimble_model::{ApiError, ErrorType};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Shorter than the usual 30–60 s idle timeouts of proxies and load balancers.
const HEARTBEAT: Duration = Duration::from_secs(15);

pub async fn events(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    if !state.config.live_updates {
        return Err(ApiError::new(
            ErrorType::ResourceNotFound,
            "Live updates are turned off on this portal",
        )
        .into());
    }
    let identity = state
        .identities
        .resolve(&state.config, &headers, peer.ip())?;
    guards::same_origin(&state.config, peer.ip(), &headers)?;
    state.rate_limit.check(&identity.user, identity.admin)?;
    let seat = state.live.join(&identity)?;
    // A sign-out between the check above and taking the seat found no stream to end: the
    // sign-in is checked again now that a sign-out would find this one.
    state
        .identities
        .resolve(&state.config, &headers, peer.ip())?;
    let hello = serde_json::json!({"user": identity.user, "admin": identity.admin});
    let hello = Event::default().event("hello").data(hello.to_string());
    let changes = stream::unfold((seat, identity), next_event);
    let events = stream::once(async { Ok::<_, Infallible>(hello) }).chain(changes);
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        "cache-control",
        HeaderValue::from_static("no-cache, no-transform"),
    );
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// Whether `identity` may see `change`.
fn visible(identity: &Identity, change: &Change) -> bool {
    match &change.owned_by {
        None => true,
        Some(owner) => identity.admin || *owner == identity.user,
    }
}

/// The next event this stream may carry; `None` ends it (the server is stopping, or its
/// sign-in ended).
async fn next_event(
    (mut seat, identity): (Seat, Identity),
) -> Option<(Result<Event, Infallible>, (Seat, Identity))> {
    loop {
        let received = tokio::select! {
            received = seat.receiver.recv() => received,
            _ = seat.ending.wait() => return None,
        };
        let event = match received {
            Ok(change) if visible(&identity, &change) => {
                Event::default().event(change.kind).data(&change.data)
            }
            Ok(_) => continue,
            // This page read too slowly and missed changes: it re-lists.
            Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
            Err(RecvError::Closed) => return None,
        };
        return Some((Ok(event), (seat, identity)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artists_see_their_own_changes_admins_all_and_everyone_a_resync() {
        let artist = |user: &str, admin| Identity {
            login: user.into(),
            user: user.into(),
            admin,
            sign_in: None,
        };
        let change = |owner: Option<&str>| Change {
            kind: "session",
            owned_by: owner.map(str::to_owned),
            data: "{}".into(),
        };
        assert!(visible(&artist("alice", false), &change(Some("alice"))));
        assert!(!visible(&artist("bob", false), &change(Some("alice"))));
        assert!(visible(&artist("lead", true), &change(Some("alice"))));
        assert!(visible(&artist("bob", false), &change(None)));
    }
}
