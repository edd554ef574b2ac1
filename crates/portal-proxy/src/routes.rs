//! The proxy's routes, the [`State`] they share, and the small handlers.
//!
//! | route | handler | |
//! | --- | --- | --- |
//! | `GET /api/me` | [`me`] | who is signed in, in which studio, admin or not |
//! | `GET /api/events` | [`live::events`] | live changes, server-sent events (`live/`) |
//! | `POST /api/login`, `POST /api/logout`, `GET /login` | `login.rs` | users-file sign-in |
//! | `/api/...` | [`forward::call`] | the Nimble operations, checked, signed and forwarded |
//! | `GET /healthz`, `GET /readyz` | | alive; upstream reachable (`ops_access.rs`) |
//! | `GET /metrics` | [`metrics`] | Prometheus text (`ops_access.rs`) |
//! | anything else | `static_files.rs` | the built portal (404 without `--dist`) |
//!
//! Bodies under `/api` are capped at `body_limit_bytes` (413 beyond), and every response,
//! API or page, carries the security headers of `static_files::with_security_headers`.
//! Handlers that can refuse return `Result<_, Refusal>`: see `error.rs`.

use crate::authorize::Owners;
use crate::coalesce::Coalescer;
use crate::config::{AuthMode, ProxyConfig};
use crate::error::Refusal;
use crate::guards::RateLimit;
use crate::identity::Identities;
use crate::live::{self, Live};
use crate::metrics::{self, Metrics};
use crate::upstream::{self, Answer};
use crate::{forward, login, ops_access, signing, static_files, Error};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use nimble_model::Me;
use std::net::SocketAddr;
use std::sync::Arc;

/// Everything the handlers share, built once at start.
pub struct State {
    pub config: ProxyConfig,
    pub identities: Identities,
    pub upstream: upstream::Client,
    pub coalescer: Coalescer<Answer>,
    pub owners: Owners,
    pub rate_limit: RateLimit,
    pub metrics: Arc<Metrics>,
    pub live: Arc<Live>,
}

pub type Shared = Arc<State>;

impl State {
    pub fn new(
        config: ProxyConfig,
        endpoint: String,
        credentials: signing::Credentials,
    ) -> Result<Self, Error> {
        let metrics = Arc::new(Metrics::new());
        let upstream = upstream::Client::new(
            endpoint,
            credentials,
            config.region.clone(),
            config.upstream_timeout,
            config.max_attempts,
            metrics.clone(),
        )
        .map_err(Error::Config)?;
        let rate_limit = RateLimit::per_minute(config.rate_limit_per_minute)?;
        if matches!(config.auth, AuthMode::TrustedHeader(_)) && config.trusted_proxies.is_empty() {
            tracing::warn!(
                "--insecure-trust-any-client: anyone who can reach this port can claim any user"
            );
        }
        Ok(State {
            identities: Identities::load(&config).map_err(Error::Config)?,
            upstream,
            coalescer: Coalescer::new(config.cache_ttl, config.cache_max_entries),
            owners: Owners::default(),
            rate_limit,
            metrics,
            live: Arc::new(Live::new(config.live_connections_per_user)),
            config,
        })
    }
}

pub fn router(state: Shared) -> Router {
    let limit = state.config.body_limit_bytes;
    let api = Router::new()
        .route("/api/me", get(me))
        .route("/api/events", get(live::events))
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
        Some(dist) => router.fallback_service(static_files::service(dist)),
        None => router.fallback(|| async { (StatusCode::NOT_FOUND, "not found") }),
    };
    let router = router.layer(middleware::from_fn_with_state(
        state.clone(),
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
