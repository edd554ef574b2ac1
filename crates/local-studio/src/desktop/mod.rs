//! What a browser opens to see a local desktop, at `/desktop/` on local-studio's own
//! address, without SigV4: the stream's one-time token is the credential, exactly as an
//! Amazon DCV URL's `authToken` is.
//!
//! - `GET /desktop/simulated`: what a simulated workstation's Connect opens, a page that says
//!   it has no desktop (its stream URLs point here unless `--dcv-url-base` is given).
//! - `GET /desktop/?authToken=T&name=NAME#SESSION`: the noVNC viewer page (built by `cargo xtask
//!   setup` into `.tools/desktop-viewer`). It removes the token from the address bar and
//!   sends no Referer.
//! - `GET /desktop/ws?authToken=T&sessionId=SESSION`, and
//!   `GET /desktop/ws?sessionId=SESSION&resume=1` to reconnect: the WebSocket to the
//!   desktop ([`bridge`] says how each is let in). Closing the tab ends the connection,
//!   not the desktop.
//!
//! Tokens and grants are kept only as SHA-256 hashes and never logged (nothing here logs
//! a URI).

mod bridge;
mod view_only;

use crate::app::App;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/desktop/", get(page))
        .route("/desktop/simulated", get(simulated))
        .route("/desktop/ws", get(bridge::connect))
        .route("/desktop/{file}", get(asset))
}

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
