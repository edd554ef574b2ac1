//! Sign-in for users-file mode (`--auth users-file:PATH`): the login page, `POST
//! /api/login`, `POST /api/logout`, and the session cookie they set.
//!
//! - The page (`GET /login`) is a plain form with no script. It posts
//!   `application/x-www-form-urlencoded` and is answered with a redirect: to `/` when
//!   signed in, back to `/login?failed` or `/login?locked` when not. The portal's own
//!   script posts JSON `{user, password}` and gets JSON back, or a refusal.
//! - A form cannot set custom headers, so login is held to the Origin check alone; logout
//!   is a state change like any other and needs `X-Studio-Portal: 1` (see `guards.rs`).
//! - The session is a random token in an `HttpOnly; SameSite=Strict` cookie, `Secure`
//!   when the TLS terminator in front says `X-Forwarded-Proto: https`. Signing out ends
//!   it, at once the event streams it opened (`live/seats.rs`), and the artist's desktop
//!   viewers' reconnect grants (RevokeViewerGrants upstream). The sessions
//!   themselves, the password check and the lockout live in `identity.rs`.
//! - Every sign-in attempt, good or bad, is written to the audit log.
//! - Sign-ins are limited per client address (10 a minute) and per name (5 a minute):
//!   beyond, 429 Throttling with Retry-After (a form: `/login?locked`), before any
//!   password hashing. The address is the TCP peer's: behind a reverse proxy, all its
//!   clients share one budget.
//! - A user name longer than `MAX_LOGIN_BYTES` (256) is refused (400) before any hashing,
//!   so the failed-login table cannot be filled with huge keys.
//!
//! In the other modes `/login` sends the browser to `/`, and `/api/login` answers 404.

use crate::config::{AuthMode, ProxyConfig};
use crate::error::Refusal;
use crate::state::Shared;
use crate::upstream::Call;
use crate::{audit, guards, identity, static_files};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use nimble_model::{ApiError, ErrorType, Operation, Route, ValidationError};
use std::collections::HashMap;
use std::net::SocketAddr;

/// Accepts a form (the login page) or JSON; a form is answered with a redirect.
pub async fn login(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Refusal> {
    let body = body?;
    if !matches!(state.config.auth, AuthMode::UsersFile(_)) {
        let error = ApiError::new(
            ErrorType::ResourceNotFound,
            "This portal does not use passwords",
        );
        return Err(error.into());
    }
    // The login form cannot set custom headers: the Origin check stands in for it.
    guards::same_origin(&state.config, peer.ip(), &headers)?;
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let credentials = if is_form {
        Credentials::from_form(&body)
    } else {
        serde_json::from_slice(&body).ok()
    };
    let Some(Credentials { user, password }) = credentials else {
        return Err(ValidationError::new("user", "user and password are required").into());
    };
    if user.len() > identity::MAX_LOGIN_BYTES {
        audit::login(&user, false);
        let limit = identity::MAX_LOGIN_BYTES;
        return Err(ValidationError::new("user", format!("is longer than {limit} bytes")).into());
    }
    let signed_in = state.identities.login(peer.ip(), &user, &password).await;
    audit::login(&user, signed_in.is_ok());
    match signed_in {
        Ok(token) => {
            let mut response = if is_form {
                Redirect::to("/").into_response()
            } else {
                Json(serde_json::json!({"user": user})).into_response()
            };
            set_session_cookie(&mut response, &state.config, &headers, &token);
            Ok(response)
        }
        Err(refusal) if is_form => {
            let page = if refusal.status() == StatusCode::TOO_MANY_REQUESTS {
                "/login?locked"
            } else {
                "/login?failed"
            };
            Ok(Redirect::to(page).into_response())
        }
        Err(refusal) => Err(refusal),
    }
}

/// Ends the session of the cookie sent and its event streams, and tells the browser to
/// drop the cookie.
pub async fn logout(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    guards::csrf(&state.config, peer.ip(), &method, &headers)?;
    // Whose sign-in it was, read before it ends.
    let user = state
        .identities
        .resolve(&state.config, &headers, peer.ip())
        .ok()
        .map(|identity| identity.user);
    if let Some(sign_in) = state.identities.logout(&headers) {
        state.live.end_sign_in(&sign_in);
    }
    if let Some(user) = user {
        revoke_viewer_grants(&state, &user).await;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_session_cookie(&mut response, &state.config, &headers, "");
    Ok(response)
}

/// Tells the studio that `user` signed out, so that none of their desktop viewers
/// reconnects by itself any more (RevokeViewerGrants). A failure is logged, not shown:
/// the sign-out itself has happened.
async fn revoke_viewer_grants(state: &Shared, user: &str) {
    let studio = state.config.studio_id.as_str();
    let route = Route::new(Operation::RevokeViewerGrants, [studio, user]);
    let call = Call {
        route: &route,
        query: String::new(),
        body: None,
        client_token: None,
        acting: None,
    };
    if !state.upstream.call(&call).await.is_success() {
        tracing::warn!(%user, "sign-out: the studio did not revoke the viewers' reconnect grants");
    }
}

/// The sign-in form in users-file mode; elsewhere there is nothing to sign in to.
pub async fn login_page(AxumState(state): AxumState<Shared>) -> Response {
    if !matches!(state.config.auth, AuthMode::UsersFile(_)) {
        return Redirect::to("/").into_response();
    }
    static_files::login_page()
}

#[derive(serde::Deserialize)]
struct Credentials {
    user: String,
    password: String,
}

impl Credentials {
    /// `user=...&password=...`, percent-encoded with `+` for spaces.
    fn from_form(body: &[u8]) -> Option<Self> {
        let mut pairs: HashMap<String, String> = body
            .split(|b| *b == b'&')
            .filter_map(|pair| {
                let text = String::from_utf8_lossy(pair).replace('+', " ");
                let (k, v) = text.split_once('=')?;
                Some((percent_decode(k), percent_decode(v)))
            })
            .collect();
        Some(Credentials {
            user: pairs.remove("user")?,
            password: pairs.remove("password")?,
        })
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Sets the session cookie (`token` empty: removes it), `Secure` behind HTTPS.
fn set_session_cookie(
    response: &mut Response,
    config: &ProxyConfig,
    headers: &HeaderMap,
    token: &str,
) {
    // The TLS terminator in front says whether the browser used HTTPS.
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https");
    let cookie = identity::session_cookie(token, config.session_lifetime, secure);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert("set-cookie", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_is_read_with_its_encoding() {
        let form = Credentials::from_form(b"user=ann+lee&password=p%26ss%3D").unwrap();
        assert_eq!(
            (form.user.as_str(), form.password.as_str()),
            ("ann lee", "p&ss=")
        );
        assert!(Credentials::from_form(b"user=ann").is_none());
    }
}
