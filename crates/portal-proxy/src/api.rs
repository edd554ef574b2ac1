//! The proxy's routes: `/api` (identity, CSRF, rate limit, validation, authorization,
//! signing and forwarding), sign-in, health, metrics, and the static portal.

use crate::authorize::{self, Owners, Rule};
use crate::coalesce::{Coalescer, Source};
use crate::config::{AuthMode, ProxyConfig};
use crate::identity::{self, Identities, Identity};
use crate::metrics::{Metrics, RequestLabels};
use crate::static_files;
use crate::upstream::{self, Reply};
use crate::{audit, signing, Error};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use nimble_model::*;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

pub struct State {
    pub config: ProxyConfig,
    identities: Identities,
    upstream: upstream::Client,
    coalescer: Coalescer,
    owners: Owners,
    limiter: DefaultKeyedRateLimiter<String>,
    pub metrics: Arc<Metrics>,
}

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
        let per_minute = NonZeroU32::new(config.rate_limit_per_minute)
            .ok_or_else(|| Error::Config("the rate limit must be at least 1 per minute".into()))?;
        let burst =
            NonZeroU32::new((config.rate_limit_per_minute / 5).max(1)).unwrap_or(NonZeroU32::MIN);
        if matches!(config.auth, AuthMode::TrustedHeader(_)) && config.trusted_proxies.is_empty() {
            tracing::warn!("trusted-header mode without --trusted-proxy: anyone who can reach this port can claim any user");
        }
        Ok(State {
            identities: Identities::load(&config).map_err(Error::Config)?,
            upstream,
            coalescer: Coalescer::new(config.cache_ttl),
            owners: Owners::default(),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            metrics,
            config,
        })
    }
}

type Shared = Arc<State>;

pub fn router(state: Shared) -> Router {
    let limit = state.config.body_limit_bytes;
    let api = Router::new()
        .route("/api/me", get(me))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/{*rest}", any(call))
        .route("/api", any(call))
        .layer(DefaultBodyLimit::max(limit));
    let mut router = Router::new()
        .merge(api)
        .route("/login", get(login_page))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    router = match &state.config.dist {
        Some(dist) => router.fallback_service(static_files::service(dist)),
        None => router.fallback(|| async { (StatusCode::NOT_FOUND, "not found") }),
    };
    static_files::with_security_headers(router.with_state(state))
}

fn reply_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = (status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    for (name, value) in [
        ("x-amzn-errortype", reply.error_type),
        ("x-amzn-requestid", reply.request_id),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    response
}

fn error_reply(status: u16, error: ApiError) -> Reply {
    Reply::error(status, &error)
}

fn refuse(error: ApiError) -> Reply {
    let status = error.kind.http_status();
    error_reply(status, error)
}

/// Whether the TLS terminator in front says the browser used HTTPS (cookies get `Secure`).
fn behind_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https")
}

/// Whether the request's Origin, when it has one, is this server itself.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin") else {
        return true;
    };
    let host = headers.get("host").and_then(|h| h.to_str().ok());
    let origin = origin.to_str().unwrap_or("");
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    host.is_some() && origin_host == host
}

/// Non-GET requests must carry our custom header and, when present, our own Origin.
fn csrf_ok(method: &Method, headers: &HeaderMap) -> bool {
    if method == Method::GET || method == Method::HEAD {
        return true;
    }
    let marked = headers.get("x-studio-portal").and_then(|v| v.to_str().ok()) == Some("1");
    marked && same_origin(headers)
}

fn csrf_refusal() -> ApiError {
    ApiError::new(
        ErrorType::AccessDenied,
        "Cross-site request refused: send X-Studio-Portal: 1 from the portal's own origin",
    )
    .with_code("CSRF")
}

fn rate_limited(state: &State, user: &str) -> Option<Response> {
    let wait = state
        .limiter
        .check_key(&user.to_owned())
        .err()?
        .wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
    let seconds = wait.as_secs() + 1;
    let error = ApiError::new(
        ErrorType::Throttling,
        format!("Too many requests: wait {seconds} s"),
    )
    .with_code("RATE_LIMITED");
    let mut response = reply_response(refuse(error));
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from(seconds));
    Some(response)
}

async fn me(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match state.identities.resolve(&state.config, &headers, peer.ip()) {
        Ok(identity) => Json(Me {
            user: identity.user,
            studio_id: state.config.studio_id.clone(),
            admin: identity.admin,
        })
        .into_response(),
        Err((status, error)) => reply_response(error_reply(status, error)),
    }
}

#[derive(serde::Deserialize)]
struct Credentials {
    user: String,
    password: String,
}

/// Accepts a form (the login page) or JSON; a form is answered with a redirect.
async fn login(AxumState(state): AxumState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !matches!(state.config.auth, AuthMode::UsersFile(_)) {
        return reply_response(error_reply(
            404,
            ApiError::new(
                ErrorType::ResourceNotFound,
                "This portal does not use passwords",
            ),
        ));
    }
    // The login form cannot set custom headers: the Origin check stands in for it.
    let origin_ok = same_origin(&headers);
    if !origin_ok {
        return reply_response(error_reply(403, csrf_refusal()));
    }
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let credentials: Option<Credentials> = if is_form {
        let pairs: std::collections::HashMap<String, String> = body
            .split(|b| *b == b'&')
            .filter_map(|pair| {
                let text = String::from_utf8_lossy(pair).replace('+', " ");
                let (k, v) = text.split_once('=')?;
                Some((percent_decode(k), percent_decode(v)))
            })
            .collect();
        pairs
            .get("user")
            .zip(pairs.get("password"))
            .map(|(u, p)| Credentials {
                user: u.clone(),
                password: p.clone(),
            })
    } else {
        serde_json::from_slice(&body).ok()
    };
    let Some(credentials) = credentials else {
        return reply_response(refuse(
            ValidationError::new("user", "user and password are required").into(),
        ));
    };
    let secure = behind_https(&headers);
    match state
        .identities
        .login(&state.config, &credentials.user, &credentials.password)
    {
        Ok(token) => {
            tracing::info!(target: "audit", "{}", serde_json::json!({"time": Timestamp::now().to_string(), "login": credentials.user, "operation": "Login", "result": "ok"}));
            let cookie = identity::session_cookie(&token, state.config.session_lifetime, secure);
            let mut response = if is_form {
                Redirect::to("/").into_response()
            } else {
                Json(serde_json::json!({"user": credentials.user})).into_response()
            };
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert("set-cookie", value);
            }
            response
        }
        Err((status, error)) => {
            tracing::info!(target: "audit", "{}", serde_json::json!({"time": Timestamp::now().to_string(), "login": credentials.user, "operation": "Login", "result": "refused"}));
            if is_form {
                return Redirect::to(if status == 429 {
                    "/login?locked"
                } else {
                    "/login?failed"
                })
                .into_response();
            }
            reply_response(error_reply(status, error))
        }
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

async fn logout(
    AxumState(state): AxumState<Shared>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if !csrf_ok(&method, &headers) {
        return reply_response(error_reply(403, csrf_refusal()));
    }
    state.identities.logout(&headers);
    let mut response = StatusCode::NO_CONTENT.into_response();
    let secure = behind_https(&headers);
    if let Ok(value) = HeaderValue::from_str(&identity::session_cookie(
        "",
        state.config.session_lifetime,
        secure,
    )) {
        response.headers_mut().insert("set-cookie", value);
    }
    response
}

async fn login_page(AxumState(state): AxumState<Shared>) -> Response {
    if !matches!(state.config.auth, AuthMode::UsersFile(_)) {
        return Redirect::to("/").into_response();
    }
    static_files::login_page()
}

async fn readyz(AxumState(state): AxumState<Shared>) -> Response {
    if state.upstream.reachable().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "upstream unreachable").into_response()
    }
}

async fn metrics(AxumState(state): AxumState<Shared>) -> Response {
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Every browser call to the API.
async fn call(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let path = uri.path().strip_prefix("/api").unwrap_or("");
    let route = match Route::parse(method.as_str(), path) {
        Ok(route) => route,
        Err(RouteError::EmptyLabel(field) | RouteError::BadEncoding(field)) => {
            return reply_response(refuse(
                ValidationError::new(field, "is empty or not valid UTF-8").into(),
            ))
        }
        Err(_) => {
            return reply_response(error_reply(
                404,
                ApiError::new(
                    ErrorType::ResourceNotFound,
                    format!("No API at {method} {}", uri.path()),
                ),
            ))
        }
    };
    let identity = match state.identities.resolve(&state.config, &headers, peer.ip()) {
        Ok(identity) => identity,
        Err((status, error)) => return reply_response(error_reply(status, error)),
    };
    if !csrf_ok(&method, &headers) {
        return reply_response(error_reply(403, csrf_refusal()));
    }
    if let Some(response) = rate_limited(&state, &identity.user) {
        return response;
    }
    let reply = forward(
        &state,
        &identity,
        &route,
        uri.query().unwrap_or(""),
        &headers,
        &body,
    )
    .await;
    let operation = route.operation.name();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            operation: operation.to_owned(),
            status: reply.status,
        })
        .inc();
    state
        .metrics
        .latency
        .observe(started.elapsed().as_secs_f64());
    if !route.operation.is_read() {
        // A create names its new session only in the answer.
        let created = reply
            .json()
            .and_then(|v| v["session"]["sessionId"].as_str().map(str::to_owned));
        let session = route.session_id().map(str::to_owned).or(created);
        audit::record(&audit::Entry {
            login: &identity.login,
            user: &identity.user,
            operation,
            session: session.as_deref(),
            status: reply.status,
            request_id: reply.request_id.as_deref().unwrap_or(""),
        });
    }
    reply_response(reply)
}

fn parse_json<T: serde::de::DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::from(ValidationError::new("body", format!("is not JSON: {e}")))
        })?
    };
    let typed: T = serde_json::from_value(value)
        .map_err(|e| ApiError::from(ValidationError::new("body", e.to_string())))?;
    typed.validate()?;
    Ok(typed)
}

fn parse_query<T: QueryString + Validate>(query: &str) -> Result<T, ApiError> {
    let typed = T::from_query_string(query)?;
    typed.validate()?;
    Ok(typed)
}

fn to_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Validates, authorizes and forwards one call; every refusal happens before upstream.
async fn forward(
    state: &State,
    identity: &Identity,
    route: &Route,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    match prepare(state, identity, route, query, headers, body).await {
        Ok((query, body, token)) => {
            if route.operation.is_read() {
                let key = format!("{}?{query}", route.path());
                let (reply, source) = state
                    .coalescer
                    .read(&key, state.upstream.call(route, &query, None, None))
                    .await;
                match source {
                    Source::Cache => {
                        state.metrics.cache_hits.inc();
                    }
                    Source::Joined => {
                        state.metrics.coalesced.inc();
                    }
                    Source::Upstream => {}
                }
                reply
            } else {
                let reply = state
                    .upstream
                    .call(route, &query, body.as_deref(), token.as_deref())
                    .await;
                state.coalescer.invalidate();
                if let (true, Some(json)) = (reply.is_success(), reply.json()) {
                    if let (Some(id), Some(owner)) = (
                        json["session"]["sessionId"].as_str(),
                        json["session"]["ownedBy"].as_str(),
                    ) {
                        state.owners.remember(&format!("session/{id}"), owner);
                    }
                }
                reply
            }
        }
        Err(reply) => reply,
    }
}

type Prepared = (String, Option<Vec<u8>>, Option<String>);

/// The upstream query, body and client token of an allowed call, or the refusal.
async fn prepare(
    state: &State,
    identity: &Identity,
    route: &Route,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Prepared, Reply> {
    if route.studio_id() != state.config.studio_id {
        return Err(refuse(ApiError::not_found("Studio", route.studio_id())));
    }
    let token = headers
        .get(CLIENT_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    validate_client_token(token.as_deref()).map_err(|e| refuse(e.into()))?;
    // A retried request must stay idempotent: give every state change a token.
    let token = route
        .operation
        .takes_client_token()
        .then(|| token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()));
    let op = route.operation;
    let (query, body) = match op {
        Operation::ListStreamingSessions => {
            let mut q: ListStreamingSessionsQuery = parse_query(query).map_err(refuse)?;
            q.owned_by = authorize::owned_by(identity, q.owned_by).map_err(refuse)?;
            (q.to_query_string(), None)
        }
        Operation::ListStreamingSessionBackups => {
            let mut q: ListStreamingSessionBackupsQuery = parse_query(query).map_err(refuse)?;
            q.owned_by = authorize::owned_by(identity, q.owned_by).map_err(refuse)?;
            (q.to_query_string(), None)
        }
        Operation::ListLaunchProfiles => (
            parse_query::<ListLaunchProfilesQuery>(query)
                .map_err(refuse)?
                .to_query_string(),
            None,
        ),
        Operation::CreateStreamingSession => {
            let mut b: CreateStreamingSessionBody = parse_json(body).map_err(refuse)?;
            let owner = authorize::owned_by(identity, b.owned_by).map_err(refuse)?;
            b.owned_by = Some(owner.unwrap_or_else(|| identity.user.clone()));
            (String::new(), Some(to_bytes(&b)))
        }
        Operation::StartStreamingSession => (
            String::new(),
            Some(to_bytes(
                &parse_json::<StartStreamingSessionBody>(body).map_err(refuse)?,
            )),
        ),
        Operation::StopStreamingSession => (
            String::new(),
            Some(to_bytes(
                &parse_json::<StopStreamingSessionBody>(body).map_err(refuse)?,
            )),
        ),
        Operation::CreateStreamingSessionStream => (
            String::new(),
            Some(to_bytes(
                &parse_json::<CreateStreamingSessionStreamBody>(body).map_err(refuse)?,
            )),
        ),
        _ => (String::new(), None),
    };
    match authorize::rule(op) {
        Rule::SessionOwner => {
            let id = route.session_id().unwrap_or("");
            let lookup = Route::new(Operation::GetStreamingSession, [route.studio_id(), id]);
            check_owner(
                state,
                identity,
                &format!("session/{id}"),
                &lookup,
                "session",
                "Streaming session",
                id,
            )
            .await?;
        }
        Rule::BackupOwner => {
            let id = route.backup_id().unwrap_or("");
            let lookup = Route::new(
                Operation::GetStreamingSessionBackup,
                [route.studio_id(), id],
            );
            check_owner(
                state,
                identity,
                &format!("backup/{id}"),
                &lookup,
                "streamingSessionBackup",
                "Streaming session backup",
                id,
            )
            .await?;
        }
        Rule::Open | Rule::OwnedByFilter | Rule::OwnedByOnCreate => {}
    }
    Ok((query, body, token))
}

/// Learns the owner (cache, else the upstream's Get) and refuses a stranger with the same
/// 404 a missing resource gets.
async fn check_owner(
    state: &State,
    identity: &Identity,
    key: &str,
    lookup: &Route,
    member: &str,
    kind: &str,
    id: &str,
) -> Result<(), Reply> {
    let owner = match state.owners.get(key) {
        Some(owner) => owner,
        None => {
            let cache_key = format!("{}?", lookup.path());
            let (reply, _) = state
                .coalescer
                .read(&cache_key, state.upstream.call(lookup, "", None, None))
                .await;
            if !reply.is_success() {
                return Err(reply);
            }
            let owner = reply
                .json()
                .and_then(|v| v[member]["ownedBy"].as_str().map(str::to_owned))
                .unwrap_or_default();
            state.owners.remember(key, &owner);
            owner
        }
    };
    if identity.admin || owner == identity.user {
        Ok(())
    } else {
        Err(refuse(ApiError::not_found(kind, id)))
    }
}
