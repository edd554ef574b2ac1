//! `GET /desktop/ws`: the WebSocket between a viewer page and its desktop's VNC socket.
//!
//! Two ways in:
//! - **A stream's token**, `?authToken=T&sessionId=SESSION`, spent on the upgrade (as
//!   `tokens/` says): it opens one connection, only for a request that names its own
//!   session, while its stream is ready and unexpired and its session READY, and only to
//!   that session's desktop, checked to be its own Xvnc whatever the artist put at its
//!   socket's path (`local_desktop::Desktops::connect`). A refusal spends nothing and
//!   answers 403; beyond the rate limits of `tokens/limits.rs`, 429.
//! - **A reconnect grant**, `?sessionId=SESSION&resume=1`: the upgrade is accepted first
//!   and the grant comes in the client's first text frame (never in a URL, which access
//!   logs keep), within [`GRANT_WAIT`]. A refusal is a close frame whose code the viewer
//!   tells apart: [`USED`] (show the message), [`SLOW_DOWN`], [`UNAVAILABLE`] and 1011
//!   (the store failed) (retry).
//!
//! Either way, the server's first frame is a text frame with a new grant
//! (`tokens/grants.rs`), then the bridge copies raw RFB bytes both ways (noVNC needs no
//! websockify) until either side closes, or a reconnect with that grant takes over.

use super::view_only::ViewOnly;
use crate::app::App;
use crate::config::DriverName;
use crate::lifecycle::SessionRecord;
use crate::tokens::redeem::{present, resume, Presented};
use crate::tokens::{Guest, Viewer};
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

const REFUSED: &str = "This link has been used or has expired. Connect again from the portal.";
const NOT_ANSWERING: &str =
    "The workstation's desktop is not answering. Connect again from the portal in a moment.";
/// How long a reconnect may take to present its grant.
const GRANT_WAIT: Duration = Duration::from_secs(10);
/// Close codes of a refused reconnect (private use, 4000–4999).
pub const USED: u16 = 4401;
pub const SLOW_DOWN: u16 = 4429;
pub const UNAVAILABLE: u16 = 4503;

#[derive(serde::Deserialize)]
pub struct WsQuery {
    #[serde(rename = "authToken")]
    auth_token: Option<String>,
    /// The session the viewer shows (its page's `#SESSION`): a token opens only its own.
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
    /// Present on a reconnect, whose grant comes in the first frame.
    resume: Option<String>,
}

/// A desktop a token or grant opened, and who sees it.
struct Opened {
    vnc: UnixStream,
    viewer: Viewer,
}

/// Why nothing was opened.
enum Refusal {
    Refused,
    Throttled(u64),
    /// The desktop's socket did not answer.
    Unavailable,
    /// The check itself failed (the store).
    Failed,
}

impl Refusal {
    fn response(self) -> Response {
        match self {
            Refusal::Refused => (StatusCode::FORBIDDEN, REFUSED).into_response(),
            Refusal::Throttled(seconds) => {
                let slow_down = "Too many connection attempts: wait a moment, then connect again.";
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, seconds)],
                    slow_down,
                )
                    .into_response()
            }
            Refusal::Unavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, NOT_ANSWERING).into_response()
            }
            Refusal::Failed => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }

    fn close_frame(self) -> Message {
        let (code, reason) = match self {
            Refusal::Refused => (USED, "used or expired"),
            Refusal::Throttled(_) => (SLOW_DOWN, "too many attempts"),
            Refusal::Unavailable => (UNAVAILABLE, "desktop not answering"),
            // WebSocket's own "internal error": the viewer tries again.
            Refusal::Failed => (1011, "server error"),
        };
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    }
}

/// Connects `viewer` to the desktop of `record` (on the blocking thread that checked the
/// token).
fn connect_desktop(
    app: &App,
    record: SessionRecord,
    viewer: Viewer,
) -> (Result<std::os::unix::net::UnixStream, String>, Viewer) {
    (app.drivers.connect_viewer(record.session_id()), viewer)
}

/// What a token or grant, once presented, opens.
fn opened(
    presented: Presented<(Result<std::os::unix::net::UnixStream, String>, Viewer)>,
) -> Result<Opened, Refusal> {
    let (vnc, viewer) = match presented {
        Presented::Opened(found) => found,
        Presented::Throttled(throttled) => {
            return Err(Refusal::Throttled(throttled.retry_after_secs))
        }
        Presented::Refused => return Err(Refusal::Refused),
        Presented::Failed(error) => {
            if let Some(error) = error {
                tracing::error!(%error, "cannot check a desktop token or grant");
            }
            return Err(Refusal::Failed);
        }
    };
    let session = viewer.session.clone();
    let vnc = vnc.and_then(|std| {
        std.set_nonblocking(true).map_err(|e| e.to_string())?;
        UnixStream::from_std(std).map_err(|e| e.to_string())
    });
    match vnc {
        Ok(vnc) => Ok(Opened { vnc, viewer }),
        Err(error) => {
            // Logged: an artist may have put something else at their desktop's socket path.
            tracing::warn!(%session, %error, "desktop connection refused");
            Err(Refusal::Unavailable)
        }
    }
}

pub async fn connect(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(token) = query.auth_token {
        let presented = present(
            app.clone(),
            peer.ip(),
            token,
            query.session_id,
            DriverName::LocalDesktop,
            connect_desktop,
        )
        .await;
        return match opened(presented) {
            Ok(desktop) => upgrade.on_upgrade(move |ws| serve(ws, desktop, app)),
            Err(refusal) => refusal.response(),
        };
    }
    match query.session_id.filter(|_| query.resume.is_some()) {
        Some(session) => upgrade.on_upgrade(move |ws| reconnect(ws, app, peer.ip(), session)),
        None => Refusal::Refused.response(),
    }
}

/// A reconnect: its grant is the first text frame; then as a token's connection.
async fn reconnect(mut ws: WebSocket, app: Arc<App>, peer: IpAddr, session: String) {
    let grant = match tokio::time::timeout(GRANT_WAIT, ws.next()).await {
        Ok(Some(Ok(Message::Text(grant)))) => grant.to_string(),
        _ => {
            let _ = ws.send(Refusal::Refused.close_frame()).await;
            return;
        }
    };
    let presented = resume(app.clone(), peer, grant, session, connect_desktop).await;
    match opened(presented) {
        Ok(desktop) => serve(ws, desktop, app).await,
        Err(refusal) => {
            let _ = ws.send(refusal.close_frame()).await;
        }
    }
}

/// Hands the viewer a reconnect grant, then bridges until either side closes, a
/// reconnect with that grant takes over, a guest's share ends (revoked: cut at once;
/// expired: within [`SHARE_CHECK`]), or the server stops.
async fn serve(mut ws: WebSocket, desktop: Opened, app: Arc<App>) {
    let Opened { vnc, viewer } = desktop;
    let session = viewer.session.clone();
    let view_only = viewer.guest.is_some_and(Guest::view_only);
    if let Some(guest) = viewer.guest {
        // Who joined whose desktop, and how (a share or support): the audit's other half,
        // beside portal-proxy's line for the join.
        tracing::info!(%session, user = %viewer.user, mode = guest.as_str(), "guest connected");
    }
    // Connecting is using it: idle stop counts from here.
    app.activity.viewed(&session, app.now_ms());
    let issued = app.grants.issue(viewer);
    // The server's drain waits for every connection, this one too (`serving`).
    let mut stopping = app.stopping.subscribe();
    if ws.send(Message::Text(issued.grant.into())).await.is_ok() {
        tokio::select! {
            _ = bridge(ws, vnc, &app, &session, view_only) => {}
            _ = issued.cut.notified() => {}
            _ = share_ends(&app, &issued.hash) => {}
            _ = stopping.wait_for(|stop| *stop) => {}
        }
    }
    app.grants.ended(&issued.hash, app.now_ms());
}

/// How often a guest's connection looks at its share's end (on the lifecycle clock, which
/// tests move).
const SHARE_CHECK: Duration = Duration::from_millis(200);

/// Returns when the share of grant `hash`'s viewer has ended (never, for the owner).
async fn share_ends(app: &App, hash: &str) {
    loop {
        match app.grants.until(hash) {
            Some(None) => std::future::pending::<()>().await,
            Some(Some(until_ms)) if app.now_ms() < until_ms => {}
            _ => return,
        }
        tokio::time::sleep(SHARE_CHECK).await;
    }
}

/// Copies bytes both ways until either side closes; the artist's key and pointer events on
/// the way in count as use of the session (idle stop, `idle.rs`). A `view_only` guest's
/// input is dropped here, so it never reaches the desktop whatever their page sends.
async fn bridge(ws: WebSocket, vnc: UnixStream, app: &App, session: &str, view_only: bool) {
    let (mut to_browser, mut from_browser) = ws.split();
    let (mut from_vnc, mut to_vnc) = vnc.into_split();
    let upstream = async {
        let mut input = local_desktop::InputCounter::new();
        let mut filter = view_only.then(ViewOnly::new);
        while let Some(Ok(message)) = from_browser.next().await {
            let failed = match message {
                Message::Binary(bytes) => {
                    let kept;
                    let bytes: &[u8] = match filter.as_mut().map(|f| f.filter(&bytes)) {
                        None => &bytes,
                        Some(Ok(filtered)) => {
                            kept = filtered;
                            &kept
                        }
                        Some(Err(unknown)) => {
                            tracing::warn!(%session, message = unknown.0, "a view-only guest sent a message the bridge cannot size");
                            break;
                        }
                    };
                    if input.feed(bytes) > 0 {
                        app.activity.used(session, app.now_ms());
                    }
                    to_vnc.write_all(bytes).await.is_err()
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
