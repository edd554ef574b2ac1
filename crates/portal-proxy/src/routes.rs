//! The proxy's routes and the small handlers; the state they share is `state.rs`.
//!
//! | route | handler | |
//! | --- | --- | --- |
//! | `GET /api/me` | [`me`] | who is signed in, in which studio, admin or not |
//! | `GET /api/events` | [`live::sse::events`] | live changes, server-sent events (`live/`) |
//! | `POST /api/login`, `POST /api/logout`, `GET /login` | `login.rs` | users-file sign-in |
//! | `/api/...` | [`forward::call`] | the Nimble operations, checked, signed and forwarded |
//! | `GET /healthz`, `GET /readyz` | | alive; upstream reachable (`ops_access.rs`) |
//! | `GET /metrics` | [`metrics`] | Prometheus text (`ops_access.rs`) |
//! | `GET /admin/...` | `admin_page.rs` | the studio's view, to admins only |
//! | anything else | `static_files.rs` | the built portal (404 without `--dist`) |
//!
//! Bodies under `/api` are capped at `body_limit_bytes` (413 beyond), and every response,
//! API or page, carries the security headers of `static_files::with_security_headers`.
//! Handlers that can refuse return `Result<_, Refusal>`: see `error.rs`.

use crate::error::Refusal;
use crate::state::Shared;
use crate::{admin_page, forward, live, login, metrics, ops_access, static_files};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use nimble_model::Me;
use std::net::SocketAddr;

pub fn router(state: Shared) -> Router {
    let limit = state.config.body_limit_bytes;
    let api = Router::new()
        .route("/api/me", get(me))
        .route("/api/events", get(live::sse::events))
        .route("/api/login", post(login::login))
        .route("/api/logout", post(login::logout))
        .route("/api/{*rest}", any(forward::call))
        .route("/api", any(forward::call))
        .layer(DefaultBodyLimit::max(limit));
    // For the cluster and its monitoring only (`ops_access.rs`).
    let operations = Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            ops_access::guard,
        ));
    let mut router = Router::new()
        .merge(api)
        .route("/login", get(login::login_page))
        .route("/healthz", get(|| async { "ok" }))
        .merge(operations);
    router = match &state.config.dist {
        Some(dist) => {
            let admin = Router::new()
                .nest_service("/admin", static_files::service(&dist.join("admin")))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    admin_page::guard,
                ));
            router
                .merge(admin)
                .fallback_service(static_files::service(dist))
        }
        None => router.fallback(|| async { (StatusCode::NOT_FOUND, "not found") }),
    };
    let router = router.layer(middleware::from_fn_with_state(
        state.metrics.clone(),
        metrics::count_refusals,
    ));
    static_files::with_security_headers(router.with_state(state))
}

/// `GET /api/me`: the signed-in artist, or 401.
async fn me(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<Me>, Refusal> {
    let identity = state
        .identities
        .resolve(&state.config, &headers, peer.ip())?;
    Ok(Json(Me {
        user: identity.user,
        studio_id: state.config.studio_id.clone(),
        admin: identity.admin,
    }))
}

/// `GET /readyz`: 200 while the upstream answers at all, else 503 (see `ops_access.rs`
/// for who may ask).
async fn readyz(AxumState(state): AxumState<Shared>) -> Response {
    if state.upstream.reachable().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "upstream unreachable").into_response()
    }
}

/// `GET /metrics`: Prometheus text format (see `ops_access.rs` for who may ask).
async fn metrics(AxumState(state): AxumState<Shared>) -> Response {
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
