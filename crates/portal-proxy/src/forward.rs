//! Every browser call under `/api/2020-08-01/...`, from the request to the answer.
//!
//! [`call`] reads the route, the artist and the guards in order, and stops at the first
//! refusal; those early refusals are neither counted nor audited. Then [`forward`]:
//!
//! 1. **Validate** ([`prepare`]): the studio must be ours, and the query or body must be
//!    what the operation takes (nimble-model's parsers, so a bad field gets the same 400
//!    as from local-studio). What goes upstream is rebuilt from the typed value, never
//!    copied: lists are held to the artist's own `ownedBy`, a create is owned by the artist,
//!    and a state change gets a client token so that a retry cannot act twice.
//! 2. **Authorize**: the artist must own the session or backup ([`owners::check_owner`]).
//! 3. **Sign and send** ([`upstream`](crate::upstream)): reads go through the
//!    [`Coalescer`](crate::coalesce::Coalescer), so identical reads in flight share one
//!    upstream call; a write clears its cache and teaches the owners cache.
//!
//! Every call that got this far is counted in `/metrics`, and every state change is written
//! to the audit log, refused or not. A state change is forwarded and audited in a task of
//! its own, which a client that hangs up mid-request cannot cancel: once sent, the change
//! is finished and logged whatever happens to the connection.

use crate::coalesce::Source;
use crate::error::Refusal;
use crate::identity::Identity;
use crate::metrics::RequestLabels;
use crate::state::{Shared, State};
use crate::upstream::{Answer, Call};
use crate::{audit, authorize, guards, owners};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{HeaderMap, Method, Uri};
use nimble_model::*;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::time::Instant;

/// `/api/...`: every API call but `me`, `login` and `logout`.
pub async fn call(
    AxumState(state): AxumState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Answer, Refusal> {
    let started = Instant::now();
    let body = body?;
    let route = route(&method, &uri)?;
    let identity = state
        .identities
        .resolve(&state.config, &headers, peer.ip())?;
    guards::csrf(&state.config, peer.ip(), &method, &headers)?;
    state.rate_limit.check(&identity.user, identity.admin)?;
    let is_read = route.operation.is_read();
    let handled = async move {
        let sent = Sent {
            query: uri.query().unwrap_or(""),
            headers: &headers,
            body: &body,
        };
        let answer = forward(&state, &identity, &route, &sent).await;
        let why = headers.get(REASON_HEADER).map(|v| {
            percent_encoding::percent_decode(v.as_bytes())
                .decode_utf8_lossy()
                .into_owned()
        });
        record(&state, &identity, &route, &answer, started, why.as_deref());
        answer
    };
    if is_read {
        return Ok(handled.await);
    }
    // Dropping this handler (the client hung up) does not stop the spawned task.
    tokio::task::spawn(handled).await.map_err(|error| {
        tracing::error!(%error, "a state change's task failed");
        Refusal::from(ApiError::new(
            ErrorType::InternalServerError,
            "The portal failed while handling this change",
        ))
    })
}

/// The operation at this path: 404 when there is none, 400 for an empty or undecodable id.
fn route(method: &Method, uri: &Uri) -> Result<Route, Refusal> {
    let path = uri.path().strip_prefix("/api").unwrap_or("");
    Route::parse(method.as_str(), path).map_err(|error| match error {
        RouteError::EmptyLabel(field) | RouteError::BadEncoding(field) => {
            ValidationError::new(field, "is empty or not valid UTF-8").into()
        }
        RouteError::NotFound | RouteError::MethodNotAllowed(_) => ApiError::new(
            ErrorType::ResourceNotFound,
            format!("No API at {method} {}", uri.path()),
        )
        .into(),
    })
}

/// What the browser sent besides the method and path.
struct Sent<'a> {
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// Validates, authorizes and forwards one call; every refusal happens before upstream.
async fn forward(state: &State, identity: &Identity, route: &Route, sent: &Sent<'_>) -> Answer {
    let call = match prepare(&state.config.studio_id, identity, route, sent) {
        Ok(call) => call,
        Err(refusal) => return refusal.into(),
    };
    if let Err(answer) = owners::check_owner(state, identity, route).await {
        return answer;
    }
    if route.operation.is_read() {
        let (answer, source) = state.coalesced_read(&call).await;
        match source {
            Source::Cache => {
                state.metrics.cache_hits.inc();
            }
            Source::Joined => {
                state.metrics.coalesced.inc();
            }
            Source::Upstream => {}
        }
        return answer;
    }
    let answer = state.upstream.call(&call).await;
    state.coalescer.invalidate();
    // A polling live watch looks at once, so other pages see this change soon.
    state.live.kick.notify_one();
    owners::learn_owner(state, &answer);
    answer
}

/// What goes upstream for an allowed call, or why it is refused.
fn prepare<'a>(
    studio_id: &str,
    identity: &Identity,
    route: &'a Route,
    sent: &Sent,
) -> Result<Call<'a>, Refusal> {
    if route.studio_id() != studio_id {
        return Err(ApiError::not_found("Studio", route.studio_id()).into());
    }
    authorize::check_artist(identity, route)?;
    let token = sent
        .headers
        .get(CLIENT_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    validate_client_token(token.as_deref())?;
    let operation = route.operation;
    // A retried request must stay idempotent: give every state change a token.
    let client_token = operation
        .takes_client_token()
        .then(|| token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()));
    Ok(Call {
        route,
        query: upstream_query(identity, operation, sent.query)?,
        body: upstream_body(identity, operation, sent.body)?,
        client_token,
        acting: reason(sent.headers, operation)?.map(|why| (identity.user.clone(), why)),
    })
}

/// The longest reason an admin may give for a change of someone's workstation.
const LONGEST_REASON: usize = 200;

/// `X-Studio-Portal-Reason` on Stop, Start or Delete: why it is done (an admin's stop of an
/// artist's workstation). The workstation then says who did it and why. Percent-encoded for
/// upstream, where a header is ASCII; a reason that is empty, too long, has control
/// characters or comes with another operation is refused.
fn reason(headers: &HeaderMap, operation: Operation) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(REASON_HEADER) else {
        return Ok(None);
    };
    let refused = |why: &str| ValidationError::new("reason", why.to_owned());
    let on_a_change = matches!(
        operation,
        Operation::StopStreamingSession
            | Operation::StartStreamingSession
            | Operation::DeleteStreamingSession
    );
    if !on_a_change {
        return Err(refused("is taken only with Stop, Start or Delete").into());
    }
    let text = percent_encoding::percent_decode(value.as_bytes())
        .decode_utf8()
        .map_err(|_| refused("must be percent-encoded UTF-8"))?;
    let text = text.trim();
    if text.is_empty()
        || text.chars().count() > LONGEST_REASON
        || text.chars().any(char::is_control)
    {
        return Err(refused(&format!(
            "must be 1 to {LONGEST_REASON} characters, without control characters"
        ))
        .into());
    }
    let encoded = percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC);
    Ok(Some(encoded.to_string()))
}

/// The query of the lists and of studio usage, validated; the two session lists are held
/// to the artist.
fn upstream_query(
    identity: &Identity,
    operation: Operation,
    query: &str,
) -> Result<String, ApiError> {
    Ok(match operation {
        Operation::ListStreamingSessions => {
            let mut typed: ListStreamingSessionsQuery = parse_query(query)?;
            typed.owned_by = authorize::owned_by(identity, typed.owned_by)?;
            typed.to_query_string()
        }
        Operation::ListStreamingSessionBackups => {
            let mut typed: ListStreamingSessionBackupsQuery = parse_query(query)?;
            typed.owned_by = authorize::owned_by(identity, typed.owned_by)?;
            typed.to_query_string()
        }
        Operation::ListLaunchProfiles => {
            parse_query::<ListLaunchProfilesQuery>(query)?.to_query_string()
        }
        Operation::ListStreamingImages => {
            parse_query::<ListStreamingImagesQuery>(query)?.to_query_string()
        }
        Operation::GetStudioUsage => parse_query::<StudioUsageQuery>(query)?.to_query_string(),
        Operation::GetStudioConcurrency => {
            parse_query::<ConcurrencyQuery>(query)?.to_query_string()
        }
        _ => String::new(),
    })
}

/// The body of the operations that take one, validated; a create is the artist's.
fn upstream_body(
    identity: &Identity,
    operation: Operation,
    body: &[u8],
) -> Result<Option<Vec<u8>>, ApiError> {
    let json = match operation {
        Operation::CreateStreamingSession => {
            let mut typed: CreateStreamingSessionBody = parse(body)?;
            let owner = authorize::owned_by(identity, typed.owned_by)?;
            typed.owned_by = Some(owner.unwrap_or_else(|| identity.user.clone()));
            to_json(&typed)
        }
        Operation::StartStreamingSession => to_json(&parse::<StartStreamingSessionBody>(body)?),
        Operation::StopStreamingSession => to_json(&parse::<StopStreamingSessionBody>(body)?),
        Operation::CreateStreamingSessionStream => {
            to_json(&parse::<CreateStreamingSessionStreamBody>(body)?)
        }
        Operation::PutArtistLimits => to_json(&parse::<PutArtistLimitsBody>(body)?),
        Operation::PutWorkstationSchedule => to_json(&parse::<PutWorkstationScheduleBody>(body)?),
        Operation::PutSessionShare => to_json(&parse::<PutSessionShareBody>(body)?),
        _ => return Ok(None),
    };
    Ok(Some(json))
}

fn parse<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    parse_body(&json_body(body)?)
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Counts the call in `/metrics`, and audits it when it changes state, with whose
/// workstation it is and the reason given.
fn record(
    state: &State,
    identity: &Identity,
    route: &Route,
    answer: &Answer,
    started: Instant,
    reason: Option<&str>,
) {
    let operation = route.operation.name();
    let status = answer.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            operation: operation.to_owned(),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .observe(started.elapsed().as_secs_f64());
    if route.operation.is_read() {
        return;
    }
    // A create names its new session only in the answer.
    let created = answer
        .success_json()
        .and_then(|v| v["session"]["sessionId"].as_str().map(str::to_owned));
    let session = route.session_id().map(str::to_owned).or(created);
    let owner = session
        .as_deref()
        .and_then(|id| state.owners.get(&format!("session/{id}")));
    audit::record(&audit::Entry {
        login: &identity.login,
        user: &identity.user,
        operation,
        session: session.as_deref(),
        status,
        request_id: answer.request_id().unwrap_or(""),
        owner: owner.as_deref(),
        reason,
    });
}
