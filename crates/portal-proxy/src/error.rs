//! [`Error`]: why the proxy could not start. [`Refusal`]: the one type for every answer
//! the proxy makes up itself instead of forwarding — a bad request, no identity, a
//! cross-site call, too many requests, a stranger's session, an upstream that could not be
//! signed for or reached.
//!
//! A refusal is an [`ApiError`] (what went wrong, in the API's own words) plus the HTTP
//! status and, when waiting helps, a Retry-After. Handlers return `Result<_, Refusal>` and
//! stop at the first `?`; axum turns the error into a response through [`IntoResponse`],
//! as in axum's own error-handling example. Because there is only this one way out, every
//! refusal looks the same on the wire:
//!
//! - the body `{message, code, context}` of [`ApiError::body`], the upstream's own error
//!   format, so the browser parses one format whoever answered;
//! - `content-type: application/json` and `cache-control: no-store` ([`api_response`],
//!   shared with the upstream's answers passed through);
//! - `X-Amzn-ErrorType`, the exception's shape name (`AccessDeniedException`, ...);
//! - `Retry-After`, in whole seconds, when set;
//! - `x-amzn-RequestId`, a v4 UUID made for it, as the upstream's answers carry one: a
//!   stranger's session must answer exactly as a missing one does, down to the headers.
//!
//! The status is the one the model gives the error type (`ThrottlingException` is 429)
//! unless [`Refusal::with_status`] says something more precise: 401 for "not signed in",
//! 502 for an upstream that did not answer.

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nimble_model::{ApiError, ValidationError};

/// Why the proxy could not start: a bad setting, the embedded local-studio, or the
/// listener.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("embedded local-studio: {0}")]
    Embedded(#[from] local_studio::StartError),
    #[error("{0}")]
    Config(String),
    #[error("cannot serve: {0}")]
    Io(#[from] std::io::Error),
}

/// A request the proxy answers itself, with an error in the API's format.
#[derive(Clone, Debug)]
pub struct Refusal {
    status: StatusCode,
    /// Boxed: a refusal travels in every handler's `Err`, so it is kept small.
    error: Box<ApiError>,
    retry_after: Option<u64>,
    request_id: String,
}

impl Refusal {
    /// Refuses with the status the model gives `error`'s type.
    pub fn new(error: ApiError) -> Self {
        let status = StatusCode::from_u16(error.kind.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Refusal {
            status,
            error: Box::new(error),
            retry_after: None,
            request_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The same error under another status (401 rather than 403 for "not signed in").
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Tells the browser to wait this many seconds before trying again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The id it is answered with (and audited under), like an upstream request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::new(error)
    }
}

/// A body that could not be read: over `body_limit_bytes` (413), or cut short. Answered
/// in the API's format like every other refusal, not axum's plain text.
impl From<axum::extract::rejection::BytesRejection> for Refusal {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        let status = rejection.status();
        let (code, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
            (
                "BODY_TOO_LARGE",
                "The request body is larger than this portal accepts",
            )
        } else {
            ("BODY_UNREADABLE", "The request body could not be read")
        };
        let error = ApiError::new(nimble_model::ErrorType::Validation, message).with_code(code);
        Refusal::new(error).with_status(status)
    }
}

impl From<ValidationError> for Refusal {
    fn from(error: ValidationError) -> Self {
        Refusal::new(error.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.error.body()).unwrap_or_default();
        let mut response = api_response(self.status, Bytes::from(body));
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(self.error.kind.shape_name()),
        );
        if let Ok(id) = HeaderValue::from_str(&self.request_id) {
            headers.insert("x-amzn-requestid", id);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// An answer to an API call: JSON, and never stored by the browser or a shared cache.
pub fn api_response(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimble_model::ErrorType;

    #[tokio::test]
    async fn every_refusal_has_the_api_error_shape() {
        let error = ApiError::new(ErrorType::Throttling, "Too many requests: wait 3 s")
            .with_code("RATE_LIMITED");
        let response = Refusal::new(error).retry_after(3).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["x-amzn-errortype"], "ThrottlingException");
        assert_eq!(headers["retry-after"], "3");
        assert_eq!(headers["x-amzn-requestid"].len(), 36);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "RATE_LIMITED");
        assert_eq!(body["message"], "Too many requests: wait 3 s");

        let unsigned = Refusal::from(ValidationError::new("user", "is required"))
            .with_status(StatusCode::UNAUTHORIZED)
            .into_response();
        assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            unsigned.headers()["x-amzn-errortype"],
            "ValidationException"
        );
        assert!(!unsigned.headers().contains_key("retry-after"));
    }
}
