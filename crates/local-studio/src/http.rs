//! The HTTP surface: every request is authenticated, may be faulted, is routed by
//! nimble-model's table, and runs in one SQLite transaction. Errors carry their status,
//! `X-Amzn-ErrorType`, `x-amzn-RequestId` and a `{message, code, context}` body.

use crate::app::App;
use crate::operations::{self, Call};
use crate::{faults, store};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use nimble_model::{
    validate_client_token, ApiError, ErrorType, Route, RouteError, ValidationError,
    CLIENT_TOKEN_HEADER,
};
use std::sync::Arc;

/// Far above any valid request: the largest body is a session with its tags.
const MAX_BODY_BYTES: usize = 1 << 20;

pub fn router(app: Arc<App>) -> Router {
    crate::desktop::routes()
        .merge(crate::dcv::routes())
        .merge(crate::agent::routes())
        .merge(crate::permissions::routes())
        .merge(crate::agent_thumbnails::routes())
        .fallback(handle)
        .with_state(app)
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    app.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let result = process(app, request).await;
    let (status, body, error_type) = match result {
        Ok(body) => (StatusCode::OK, body, None),
        Err(error) => {
            let status = StatusCode::from_u16(error.kind.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = serde_json::to_string(&error.body()).unwrap_or_default();
            (status, body, Some(error.kind.shape_name()))
        }
    };
    tracing::info!(%request_id, %method, %path, status = status.as_u16(), error = error_type, "request");
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Some(name) = error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(name));
    }
    response
}

fn route_error(error: RouteError, method: &str, path: &str) -> ApiError {
    match error {
        RouteError::NotFound | RouteError::MethodNotAllowed(_) => ApiError::new(
            ErrorType::ResourceNotFound,
            format!("No operation at {method} {path}"),
        ),
        RouteError::EmptyLabel(field) | RouteError::BadEncoding(field) => {
            ValidationError::new(field, error.to_string()).into()
        }
    }
}

async fn process(app: Arc<App>, request: Request) -> Result<String, ApiError> {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::from(ValidationError::new(
                "body",
                format!("must be at most {MAX_BODY_BYTES} bytes"),
            ))
        })?;
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let caller = app
        .verifier
        .verify(
            parts.method.as_str(),
            path_and_query,
            &parts.headers,
            &body,
            std::time::SystemTime::now(),
        )
        .map_err(|message| ApiError::new(ErrorType::AccessDenied, message))?;

    let injected = app.faults();
    if faults::happens(injected.throttle) {
        return Err(ApiError::new(
            ErrorType::Throttling,
            "Rate exceeded (injected fault)",
        ));
    }
    if faults::happens(injected.internal_error) {
        return Err(ApiError::new(
            ErrorType::InternalServerError,
            "Internal failure (injected fault)",
        ));
    }

    // The watch is ours, not the Nimble API's: it has no route in the model.
    let watch = crate::events::watch_path(parts.method.as_str(), parts.uri.path());
    if let Some(studio_id) = watch.filter(|_| app.watch) {
        return crate::events::watch(app, studio_id, parts.uri.query().unwrap_or("")).await;
    }
    let route = Route::parse(parts.method.as_str(), parts.uri.path())
        .map_err(|e| route_error(e, parts.method.as_str(), parts.uri.path()))?;
    if crate::thumbnails::serves(route.operation) {
        return crate::thumbnails::get(app, route).await;
    }
    let token = match parts.headers.get(CLIENT_TOKEN_HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::from(ValidationError::new("clientToken", "must be text")))?
                .to_owned(),
        ),
        None => None,
    };
    validate_client_token(token.as_deref())?;
    let body = nimble_model::json_body(&body)?;
    let query = parts.uri.query().unwrap_or("").to_owned();

    // SQLite work is blocking: keep it off the async workers.
    tokio::task::spawn_blocking(move || {
        let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
        let changes_before = db.total_changes();
        let tx = db.transaction().map_err(store::StoreError::from)?;
        let now_ms = app.now_ms();
        operations::settle(&app, &tx, now_ms)?;
        let call = Call {
            route: &route,
            query: &query,
            body: &body,
            user: caller
                .acting
                .as_ref()
                .map_or(&caller.user, |(user, _)| user),
            reason: caller.acting.as_ref().map(|(_, reason)| reason.as_str()),
            now_ms,
        };
        let token = token.filter(|_| route.operation.takes_client_token());
        let result = match &token {
            Some(token) => idempotent(&app, &tx, &call, &caller.access_key_id, token),
            None => operations::run(&app, &tx, &call),
        };
        // On an error the transaction is dropped, rolling back: a refused request changes nothing.
        if result.is_ok() {
            app.commit(tx, changes_before)?;
        }
        result
    })
    .await
    .map_err(|_| {
        ApiError::new(
            ErrorType::InternalServerError,
            "The request could not be completed",
        )
    })?
}

/// Replays the stored response of a client token this caller (access key id) sent
/// before, or runs and remembers it. Another caller's token of the same text is not seen.
/// A response is stored without its credentials (a stream's URL), which the replay puts
/// back from memory.
fn idempotent(
    app: &App,
    tx: &rusqlite::Transaction,
    call: &Call,
    caller: &str,
    token: &str,
) -> Result<String, ApiError> {
    let request = serde_json::json!({
        "operation": call.route.operation.name(),
        "path": call.route.path(),
        "body": call.body,
    })
    .to_string();
    let operation = call.route.operation;
    if let Some((seen, kept)) = store::get_token(tx, caller, token)? {
        if seen == request {
            return operations::replay(app, operation, &kept, call.now_ms);
        }
        return Err(ApiError::from(ValidationError::new(
            "clientToken",
            "was already used for a different request; use a new token for a new request",
        ))
        .with_code("IDEMPOTENT_PARAMETER_MISMATCH"));
    }
    let response = operations::run(app, tx, call)?;
    let kept = operations::kept_for_replay(operation, &response)?;
    store::put_token(tx, caller, token, &request, &kept, call.now_ms)?;
    Ok(response)
}
