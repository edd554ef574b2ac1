//! The EC2 agent's permissions watch: `GET /agent/permissions?sessionId=ID` on
//! local-studio's own address, outside SigV4, with the session's agent token
//! (`Authorization: Bearer TOKEN`, checked as `agent.rs` checks a report).
//!
//! It answers with the session's DCV permissions file (`drivers/ec2/permissions.rs`: the
//! owner, and each colleague it is shared with now) and its `ETag`. The agent
//! (`deploy/ec2/studio-portal-permissions.sh`) sends that tag back in `If-None-Match`, and
//! the call then waits, as the event watch does, until the file would differ: a share, a
//! change of mode or a revoke wakes it at once (every commit does), and while any share
//! is in force the file is read again every 200 ms, so one that runs out (on the
//! lifecycle clock, which tests move) is gone from it within a second. After 20 s without
//! a change the answer is 304 Not Modified, and the agent asks again.
//!
//! The file names colleagues, never a credential: the token that lets them in is theirs
//! and is checked by `/dcv/verify`.

use crate::agent::{named_session, reporting_session, SessionQuery};
use crate::app::App;
use crate::drivers::{clipboard_enabled, dcv_permissions};
use crate::store;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long a call waits for a change before it answers 304.
const LONGEST_WAIT: Duration = Duration::from_secs(20);
/// How often the file is read again while a share is in force, to see it run out.
const EXPIRY_TICK: Duration = Duration::from_millis(200);

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/agent/permissions", get(watch))
}

async fn watch(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Result<Query<SessionQuery>, QueryRejection>,
) -> Response {
    let session_id = match named_session(query) {
        Ok(session_id) => session_id,
        Err(refused) => return refused.into_response(),
    };
    let known = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let deadline = Instant::now() + LONGEST_WAIT;
    let mut committed = app.committed.subscribe();
    let mut stopping = app.stopping.subscribe();
    loop {
        // Marked seen before reading, so a commit after the read wakes the wait below.
        committed.borrow_and_update();
        let (file, shared) = match current(&app, &headers, &session_id) {
            Ok(current) => current,
            Err(refused) => return refused.into_response(),
        };
        let etag = etag_of(&file);
        if known.as_deref() != Some(etag.as_str()) {
            let headers = [
                (header::ETAG, etag),
                (header::CONTENT_TYPE, "text/plain; charset=utf-8".into()),
            ];
            return (headers, file).into_response();
        }
        let wake = match shared {
            true => (Instant::now() + EXPIRY_TICK).min(deadline),
            false => deadline,
        };
        let woken = tokio::select! {
            changed = committed.changed() => changed.is_ok(),
            _ = tokio::time::sleep_until(wake) => true,
            _ = stopping.wait_for(|stop| *stop) => false,
        };
        if !woken || Instant::now() >= deadline {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
        }
    }
}

/// The session's permissions file now, and whether it is shared with anyone.
fn current(
    app: &App,
    headers: &HeaderMap,
    session_id: &str,
) -> Result<(String, bool), (StatusCode, &'static str)> {
    let record = reporting_session(app, headers, session_id)?;
    const UNREADABLE: (StatusCode, &str) = (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the store cannot be read",
    );
    let shares = {
        let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
        let tx = db.transaction().map_err(|_| UNREADABLE)?;
        store::shares(&tx, Some(session_id), None, app.now_ms()).map_err(|_| UNREADABLE)?
    };
    let profile = (record.session.launch_profile_id.as_deref())
        .and_then(|p| app.studios.studio(&record.studio_id)?.launch_profile(p));
    let clipboard = profile.is_some_and(clipboard_enabled);
    let owner = dcv_permissions::owner_name(&record).unwrap_or_default();
    let guests: Vec<_> = (shares.iter())
        .map(|share| (share.user_id.as_str(), share.mode))
        .collect();
    let file = dcv_permissions::permissions_file(&owner, clipboard, &guests);
    Ok((file, !shares.is_empty()))
}

/// The file's entity tag: a quoted SHA-256 prefix of it.
fn etag_of(file: &str) -> String {
    let digest = Sha256::digest(file.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}
