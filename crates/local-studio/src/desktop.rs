//! What a browser opens to see a local desktop, at `/desktop/` on local-studio's own
//! address, without SigV4: the stream's one-time token is the credential, exactly as an
//! Amazon DCV URL's `authToken` is.
//!
//! - `GET /desktop/simulated`: what a simulated workstation's Connect opens, a page that says
//!   it has no desktop (its stream URLs point here unless `--dcv-url-base` is given).
//! - `GET /desktop/?authToken=T#SESSION`: the noVNC viewer page (built by `cargo xtask
//!   setup` into `.tools/desktop-viewer`). It removes the token from the address bar and
//!   sends no Referer.
//! - `GET /desktop/ws?authToken=T&sessionId=SESSION`: the WebSocket. The token is spent
//!   on the upgrade (as `tokens/` says): it opens one connection, only for a request that
//!   names its own session, while its stream is ready and unexpired and its session
//!   READY, and only to that session's desktop, checked to be its own Xvnc whatever the
//!   artist put at its socket's path (`local_desktop::Desktops::connect`); a refusal spends
//!   nothing. Beyond the rate limits of `tokens/limits.rs` the answer is 429. Then the
//!   bridge copies raw RFB bytes between the WebSocket and the desktop's VNC unix socket
//!   (noVNC needs no websockify).
//!   Closing the tab ends the connection, not the desktop.
//!
//! Tokens are kept only as SHA-256 hashes and never logged (nothing here logs a URI).

use crate::app::App;
use crate::config::DriverName;
use crate::lifecycle::SessionRecord;
use crate::tokens::redeem::{present, Presented};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/desktop/", get(page))
        .route("/desktop/simulated", get(simulated))
        .route("/desktop/ws", get(connect))
        .route("/desktop/{file}", get(asset))
}

const REFUSED: &str = "This link has been used or has expired. Connect again from the portal.";

/// Headers of every viewer answer: its own scripts only, no Referer, never framed.
fn viewer_response(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn viewer_file(app: &App, name: &str) -> Option<Vec<u8>> {
    let dir: PathBuf = app.viewer_dir.clone()?;
    std::fs::read(dir.join(name)).ok()
}

async fn page(State(app): State<Arc<App>>) -> Response {
    match viewer_file(&app, "index.html") {
        Some(body) => viewer_response("text/html; charset=utf-8", body),
        None => (
            StatusCode::NOT_FOUND,
            "The desktop viewer is not installed on this server: run `cargo xtask setup`.",
        )
            .into_response(),
    }
}

/// What a simulated workstation's Connect opens: it has no machine, so there is nothing to
/// show, and the page says so instead of leaving the artist at a dead address. The token in
/// its URL opens nothing (a simulated session has no desktop) and is not read here.
const SIMULATED: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulated workstation</title></head>
<body><h1>This workstation is simulated</h1>
<p>It has no machine behind it, so there is no desktop to show. Simulated workstations
start and stop like real ones, for demos and tests.</p>
<p>Your studio's administrator makes a launch profile real with
<code>driver = "local-desktop"</code> (a desktop on the studio's host) or
<code>driver = "ec2"</code> (an Amazon EC2 instance with Amazon DCV).</p>
</body></html>
"#;

async fn simulated() -> Response {
    viewer_response("text/html; charset=utf-8", SIMULATED.as_bytes().to_vec())
}

async fn asset(State(app): State<Arc<App>>, Path(file): Path<String>) -> Response {
    let content_type = match file.as_str() {
        "viewer.js" => "text/javascript; charset=utf-8",
        "viewer.css" => "text/css; charset=utf-8",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match viewer_file(&app, &file) {
        Some(body) => viewer_response(content_type, body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    #[serde(rename = "authToken")]
    auth_token: Option<String>,
    /// The session the viewer shows (its page's `#SESSION`): a token opens only its own.
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

async fn connect(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<TokenQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(token) = query.auth_token else {
        return (StatusCode::FORBIDDEN, REFUSED).into_response();
    };
    // The token opens its session's desktop: connect to it on the same blocking thread.
    let connect = |app: &App, record: SessionRecord| {
        let session = record.session_id().to_owned();
        (app.drivers.connect_viewer(&session), session)
    };
    let presented = present(
        app.clone(),
        peer.ip(),
        token,
        query.session_id,
        DriverName::LocalDesktop,
        connect,
    )
    .await;
    let (vnc, session) = match presented {
        Presented::Opened(found) => found,
        Presented::Throttled(throttled) => {
            let retry = [(header::RETRY_AFTER, throttled.retry_after_secs)];
            let slow_down = "Too many connection attempts: wait a moment, then connect again.";
            return (StatusCode::TOO_MANY_REQUESTS, retry, slow_down).into_response();
        }
        Presented::Refused => return (StatusCode::FORBIDDEN, REFUSED).into_response(),
        Presented::Failed(error) => {
            if let Some(error) = error {
                tracing::error!(%error, "cannot check a desktop token");
            }
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match vnc.and_then(|std| {
        std.set_nonblocking(true).map_err(|e| e.to_string())?;
        UnixStream::from_std(std).map_err(|e| e.to_string())
    }) {
        Ok(vnc) => {
            // Connecting is using it: idle stop counts from here.
            app.activity.viewed(&session, app.now_ms());
            upgrade.on_upgrade(move |ws| bridge(ws, vnc, app, session))
        }
        Err(error) => {
            // Logged: an artist may have put something else at their desktop's socket path.
            tracing::warn!(%session, %error, "desktop connection refused");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The workstation's desktop is not answering. Connect again from the portal in a moment.",
            )
                .into_response()
        }
    }
}

/// Copies bytes both ways until either side closes; the artist's key and pointer events on
/// the way in count as use of the session (idle stop, `idle.rs`).
async fn bridge(ws: WebSocket, vnc: UnixStream, app: Arc<App>, session: String) {
    let (mut to_browser, mut from_browser) = ws.split();
    let (mut from_vnc, mut to_vnc) = vnc.into_split();
    let upstream = async {
        let mut input = local_desktop::InputCounter::new();
        while let Some(Ok(message)) = from_browser.next().await {
            let failed = match message {
                Message::Binary(bytes) => {
                    if input.feed(&bytes) > 0 {
                        app.activity.used(&session, app.now_ms());
                    }
                    to_vnc.write_all(&bytes).await.is_err()
                }
                Message::Close(_) => true,
                _ => false,
            };
            if failed {
                break;
            }
        }
    };
    let downstream = async {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match from_vnc.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let frame = Message::Binary(Bytes::copy_from_slice(&buffer[..n]));
                    if to_browser.send(frame).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to_browser.send(Message::Close(None)).await;
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}
