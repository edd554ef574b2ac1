//! Streaming session streams: what a client asks for to connect. A stream is READY after
//! one transition time and carries a URL with a one-time token until it expires.

use super::{new_id, session, to_json, ts, Call, Result};
use crate::app::App;
use crate::lifecycle::check_allowed;
use crate::store::{self, StreamRecord};
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
    let id = new_id("str");
    let token = crate::tokens::new_token();
    let url = app.drivers.stream_url(&record, &token);
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
        ready_ms: call.now_ms + app.transition_ms,
        expires_ms: call.now_ms + seconds * 1000,
        machine: crate::drivers::Drivers::machine_of(&record),
    };
    store::put_stream(tx, &stream, call.now_ms)?;
    let owner = record.session.owned_by.as_deref().unwrap_or("");
    record_event(tx, &record.studio_id, owner, stream.clone(), call.now_ms)?;
    app.wake_reconciler.notify_one();
    to_json(&StreamResponse {
        stream: Some(stream_now(stream, call.now_ms)),
    })
}

pub fn get(tx: &Transaction, call: &Call) -> Result<String> {
    let record = session(tx, call.route)?;
    let id = call.route.stream_id().unwrap_or("");
    let stream = store::get_stream(tx, record.session_id(), id)?
        .ok_or_else(|| ApiError::not_found("Streaming session stream", id))?;
    to_json(&StreamResponse {
        stream: Some(stream_now(stream, call.now_ms)),
    })
}

/// Puts the stream as it is at `now_ms` into the event log, without its URL: the URL
/// carries a one-time credential, which only a GetStreamingSessionStream by someone
/// allowed to see the session hands out; an event says only that it is ready.
fn record_event(
    tx: &Transaction,
    studio_id: &str,
    owner: &str,
    record: StreamRecord,
    now_ms: i64,
) -> std::result::Result<(), store::StoreError> {
    let session_id = record.session_id.clone();
    let mut stream = stream_now(record, now_ms);
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
pub fn announce_ready(tx: &Transaction, now_ms: i64) -> std::result::Result<(), store::StoreError> {
    for due in store::unannounced_streams(tx, now_ms)? {
        let id = due.record.stream.stream_id.clone().unwrap_or_default();
        record_event(tx, &due.studio_id, &due.owned_by, due.record, now_ms)?;
        store::mark_announced(tx, &id, now_ms)?;
    }
    Ok(())
}

/// A stream as it is now: no URL until it is ready, and none once it has expired.
fn stream_now(record: StreamRecord, now_ms: i64) -> StreamingSessionStream {
    let mut stream = record.stream;
    if stream.state == Some(StreamingSessionStreamState::CreateFailed) {
        return stream;
    }
    if now_ms < record.ready_ms {
        stream.state = Some(StreamingSessionStreamState::CreateInProgress);
        stream.status_code = Some(StreamingSessionStreamStatusCode::StreamCreateInProgress);
        stream.url = None;
    } else if now_ms >= record.expires_ms {
        stream.state = Some(StreamingSessionStreamState::Deleted);
        stream.status_code = Some(StreamingSessionStreamStatusCode::StreamDeleted);
        stream.url = None;
    }
    stream
}
