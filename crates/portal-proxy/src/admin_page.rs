//! `/admin/`: the studio's view (`crates/admin`), a wasm of its own built into
//! `<dist>/admin/`. It is served to a signed-in admin only; anyone else gets a plain page
//! that says so and no byte of the admin code: 403 for a signed-in artist, 401 with a link
//! to the sign-in page for someone who is not signed in. The data it reads is refused to
//! non-admins by the API's own rules (`authorize.rs`); this keeps the code to admins too.

use crate::state::Shared;
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

pub async fn guard(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let identity = state
        .identities
        .resolve(&state.config, request.headers(), peer.ip());
    let (status, words) = match identity {
        Ok(identity) if identity.admin => return next.run(request).await,
        Ok(_) => (
            StatusCode::FORBIDDEN,
            "This page is for the studio's administrators. Your workstations are on <a href=\"/\">the portal's main page</a>.",
        ),
        Err(_) => (
            StatusCode::UNAUTHORIZED,
            "Sign in first: <a href=\"/login\">sign in</a>, then open this page again.",
        ),
    };
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Studio · Workstations</title></head>\
         <body><main><h1>Studio</h1><p role=\"alert\">{words}</p></main></body></html>\n"
    );
    (
        status,
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
        ],
        page,
    )
        .into_response()
}
