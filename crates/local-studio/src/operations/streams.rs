//! Streaming session streams: what a client asks for to connect. A stream is READY after
//! one transition time and carries a URL with a one-time token until it expires.
//!
//! The URL is a credential: it is never stored. This process keeps it in memory
//! (`tokens/issued.rs`) and puts it into every answer that shows the stream, the replay
//! of a repeated create included; a stream made before a restart reads as DELETED.

use super::{new_id, session, to_json, ts, Call, Result};
use crate::app::App;
use crate::lifecycle::{check_allowed, SessionRecord};
use crate::store::{self, StreamRecord};
use crate::tokens::Guest;
use nimble_model::StreamingSessionStatusCode as Code;
use nimble_model::*;
use rusqlite::Transaction;

/// Seconds a stream lives when the request does not say (the model gives no default):
/// long enough to open the DCV client, short because the URL carries a credential.
pub const DEFAULT_STREAM_EXPIRATION_SECONDS: i64 = 120;

pub fn create(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let body: CreateStreamingSessionStreamBody = parse_body(call.body)?;
    let record = session(tx, call.route)?;
    check_allowed(call.route.operation, &record.state(), record.session_id())?;
    let seconds = body
        .expiration_in_seconds
        .unwrap_or(DEFAULT_STREAM_EXPIRATION_SECONDS);
    let ready_ms = call.now_ms + app.transition_ms;
    let stream = new_stream(app, tx, call, &record, seconds, ready_ms, None)?;
    let owner = record.session.owned_by.as_deref().unwrap_or("");
    record_event(
        app,
        tx,
        &record.studio_id,
        owner,
        stream.clone(),
        call.now_ms,
    )?;
    app.wake_reconciler.notify_one();
    to_json(&StreamResponse {
        stream: Some(stream_now(app, stream, call.now_ms)),
    })
}

/// A new stream of `record` for the caller, READY at `ready_ms`, lasting `seconds`: the
/// owner's, or a `guest`'s (a colleague's or an admin's, `shares.rs`). It is stored with
/// its token's hash, and its URL kept in memory only.
pub(super) fn new_stream(
    app: &App,
    tx: &Transaction,
    call: &Call,
    record: &SessionRecord,
    seconds: i64,
    ready_ms: i64,
    guest: Option<(String, Guest)>,
) -> Result<StreamRecord> {
    let id = new_id("str");
    let token = crate::tokens::new_token();
    let url = app.drivers.stream_url(record, &token);
    let (state, status_code, url) = match (app.roll_failure(Code::InternalError), url) {
        (Ok(()), Some(url)) => (
            StreamingSessionStreamState::Ready,
            StreamingSessionStreamStatusCode::StreamReady,
            Some(SensitiveString(url)),
        ),
        _ => (
            StreamingSessionStreamState::CreateFailed,
            StreamingSessionStreamStatusCode::NetworkConnectionError,
            None,
        ),
    };
    let stream = StreamRecord {
        session_id: record.session_id().to_owned(),
        token_hash: Some(crate::tokens::token_hash(&token)),
        stream: StreamingSessionStream {
            created_at: ts(call.now_ms),
            created_by: Some(call.user.to_owned()),
            expires_at: ts(call.now_ms + seconds * 1000),
            owned_by: record.session.owned_by.clone(),
            state: Some(state),
            status_code: Some(status_code),
            stream_id: Some(id),
            url,
        },
        ready_ms,
        expires_ms: call.now_ms + seconds * 1000,
        machine: crate::drivers::Drivers::machine_of(record),
        guest,
    };
    store::put_stream(tx, &stream, call.now_ms)?;
    if let Some(url) = &stream.stream.url {
        let id = stream.stream.stream_id.as_deref().unwrap_or("");
        app.issued
            .keep(id, url.expose().to_owned(), stream.expires_ms, call.now_ms);
    }
    Ok(stream)
}

pub fn get(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let record = session(tx, call.route)?;
    let id = call.route.stream_id().unwrap_or("");
    let stream = store::get_stream(tx, record.session_id(), id)?
        .ok_or_else(|| ApiError::not_found("Streaming session stream", id))?;
    to_json(&StreamResponse {
        stream: Some(stream_now(app, stream, call.now_ms)),
    })
}

/// What a client token keeps of a create's `response`: all of it but the URL.
pub fn kept_of_created(response: &str) -> Result<String> {
    let mut kept: StreamResponse = parse_response(response)?;
    if let Some(stream) = &mut kept.stream {
        stream.url = None;
    }
    to_json(&kept)
}

/// The replay of a create whose answer was `kept`: the same, with the URL put back while
/// this process holds it (a READY stream whose URL is gone reads as DELETED).
pub fn replayed_create(app: &App, kept: &str, now_ms: i64) -> Result<String> {
    let mut replay: StreamResponse = parse_response(kept)?;
    if let Some(stream) = &mut replay.stream {
        if stream.state == Some(StreamingSessionStreamState::Ready) {
            with_url(app, stream, now_ms);
        }
    }
    to_json(&replay)
}

fn parse_response(text: &str) -> Result<StreamResponse> {
    serde_json::from_str(text).map_err(|_| {
        ApiError::new(
            ErrorType::InternalServerError,
            "cannot read a stored response",
        )
    })
}

/// Puts the stream as it is at `now_ms` into the event log, without its URL: the URL
/// carries a one-time credential, which only a GetStreamingSessionStream by someone
/// allowed to see the session hands out; an event says only that it is ready.
fn record_event(
    app: &App,
    tx: &Transaction,
    studio_id: &str,
    owner: &str,
    record: StreamRecord,
    now_ms: i64,
) -> std::result::Result<(), store::StoreError> {
    let session_id = record.session_id.clone();
    let mut stream = stream_now(app, record, now_ms);
    stream.url = None;
    store::put_event(
        tx,
        studio_id,
        &session_id,
        owner,
        store::EventKind::Stream,
        &serde_json::to_string(&stream)?,
    )
}

/// Announces every stream that became ready by `now_ms` (once each).
pub fn announce_ready(
    app: &App,
    tx: &Transaction,
    now_ms: i64,
) -> std::result::Result<(), store::StoreError> {
    for due in store::unannounced_streams(tx, now_ms)? {
        let id = due.record.stream.stream_id.clone().unwrap_or_default();
        record_event(app, tx, &due.studio_id, &due.owned_by, due.record, now_ms)?;
        store::mark_announced(tx, &id, now_ms)?;
    }
    Ok(())
}

/// A stream as it is now: no URL until it is ready, and none once it has expired.
pub(super) fn stream_now(app: &App, record: StreamRecord, now_ms: i64) -> StreamingSessionStream {
    let mut stream = record.stream;
    if stream.state == Some(StreamingSessionStreamState::CreateFailed) {
        return stream;
    }
    if now_ms < record.ready_ms {
        stream.state = Some(StreamingSessionStreamState::CreateInProgress);
        stream.status_code = Some(StreamingSessionStreamStatusCode::StreamCreateInProgress);
        stream.url = None;
    } else if now_ms >= record.expires_ms {
        deleted(&mut stream);
    } else {
        with_url(app, &mut stream, now_ms);
    }
    stream
}

/// Puts a ready stream's URL in from memory; without it (made before a restart, or
/// expired) no client that asks now can connect with this stream.
fn with_url(app: &App, stream: &mut StreamingSessionStream, now_ms: i64) {
    let id = stream.stream_id.as_deref().unwrap_or("");
    match app.issued.url(id, now_ms) {
        Some(url) => stream.url = Some(SensitiveString(url)),
        None => deleted(stream),
    }
}

fn deleted(stream: &mut StreamingSessionStream) {
    stream.state = Some(StreamingSessionStreamState::Deleted);
    stream.status_code = Some(StreamingSessionStreamStatusCode::StreamDeleted);
    stream.url = None;
}

/// RevokeViewerGrants: the artist signed out of the portal (portal-proxy says so), so
/// none of their desktop viewers may reconnect by itself (`tokens/grants.rs`).
pub fn revoke_grants(app: &App, call: &Call, studio: &crate::config::Studio) -> Result<String> {
    let user = call.route.user_id().unwrap_or("");
    let revoked = app.grants.revoke(&studio.studio_id, user);
    to_json(&RevokeViewerGrantsResponse {
        revoked: Some(revoked as i64),
    })
}
