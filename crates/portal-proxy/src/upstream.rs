//! Calls to the upstream API: pooled connections, timeouts, SigV4 on every attempt, and
//! retries with exponential backoff and full jitter on 429, 5xx and connection errors,
//! for reads and the operations the model marks idempotent only.
//!
//! A call ends in an [`Answer`]: the upstream's [`Reply`], kept whole so it reaches the
//! browser unchanged (status, body, `X-Amzn-ErrorType`, `x-amzn-RequestId`), or a
//! [`Refusal`] made here when the call could not be signed or the upstream did not answer
//! (502 `UPSTREAM_UNAVAILABLE`). Both kinds go to the browser through `IntoResponse`.

use crate::error::{api_response, Refusal};
use crate::metrics::Metrics;
use crate::signing::{self, Credentials};
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nimble_model::{
    ApiError, ErrorType, Route, CLIENT_TOKEN_HEADER, ON_BEHALF_OF_HEADER, REASON_HEADER,
};
use std::sync::Arc;
use std::time::Duration;

/// What the upstream answered, kept whole so it can be passed through unchanged.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub error_type: Option<String>,
    pub request_id: Option<String>,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = api_response(self.status, self.body);
        let headers = response.headers_mut();
        for (name, value) in [
            ("x-amzn-errortype", self.error_type),
            ("x-amzn-requestid", self.request_id),
        ] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// How an API call ended: the upstream's reply, or a refusal made by the proxy.
#[derive(Clone, Debug)]
pub enum Answer {
    Upstream(Reply),
    Refused(Refusal),
}

impl Answer {
    pub fn status(&self) -> StatusCode {
        match self {
            Answer::Upstream(reply) => reply.status,
            Answer::Refused(refusal) => refusal.status(),
        }
    }

    /// The upstream's request id, or the one a refusal made here was given.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Answer::Upstream(reply) => reply.request_id.as_deref(),
            Answer::Refused(refusal) => Some(refusal.request_id()),
        }
    }

    /// The upstream's successful answer, as JSON.
    pub fn success_json(&self) -> Option<serde_json::Value> {
        match self {
            Answer::Upstream(reply) if reply.is_success() => reply.json(),
            _ => None,
        }
    }

    pub fn is_success(&self) -> bool {
        self.status().is_success()
    }

    /// Whether trying again may help: throttling, a server error, no answer at all.
    fn is_transient(&self) -> bool {
        let status = self.status();
        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
    }
}

impl From<Refusal> for Answer {
    fn from(refusal: Refusal) -> Self {
        Answer::Refused(refusal)
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Upstream(reply) => reply.into_response(),
            Answer::Refused(refusal) => refusal.into_response(),
        }
    }
}

/// One operation to send: `query` already encoded, `body` already JSON.
#[derive(Debug)]
pub struct Call<'a> {
    pub route: &'a Route,
    pub query: String,
    pub body: Option<Vec<u8>>,
    pub client_token: Option<String>,
    /// Whom the change is made for and why (an admin's reason), signed along
    /// (`nimble_model::ON_BEHALF_OF_HEADER`); the reason is percent-encoded.
    pub acting: Option<(String, String)>,
}

impl<'a> Call<'a> {
    /// A read: no body, no client token.
    pub fn read(route: &'a Route, query: String) -> Self {
        Call {
            route,
            query,
            body: None,
            client_token: None,
            acting: None,
        }
    }
}

pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    host: String,
    credentials: Credentials,
    region: String,
    max_attempts: u32,
    metrics: Arc<Metrics>,
}

const BACKOFF_BASE: Duration = Duration::from_millis(50);
const BACKOFF_CAP: Duration = Duration::from_secs(2);

impl Client {
    pub fn new(
        endpoint: String,
        credentials: Credentials,
        region: String,
        timeout: Duration,
        max_attempts: u32,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let host = reqwest::Url::parse(&endpoint)
            .ok()
            .and_then(|url| {
                url.host_str().map(|h| match url.port() {
                    Some(port) => format!("{h}:{port}"),
                    None => h.to_owned(),
                })
            })
            .ok_or_else(|| format!("upstream {endpoint:?} is not an http(s) URL"))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(3))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Client {
            http,
            endpoint,
            host,
            credentials,
            region,
            max_attempts: max_attempts.max(1),
            metrics,
        })
    }

    /// Sends one operation, retrying when that is safe: a read or a modeled-idempotent
    /// operation is tried up to `max_attempts` times while the answer is transient.
    pub async fn call(&self, call: &Call<'_>) -> Answer {
        let operation = call.route.operation;
        let retryable = operation.is_read() || operation.is_modeled_idempotent();
        let attempts = if retryable { self.max_attempts } else { 1 };
        let mut attempt = 1;
        loop {
            let answer = self.attempt(call).await;
            if attempt >= attempts || !answer.is_transient() {
                return answer;
            }
            // Full jitter: a random wait up to an exponentially growing ceiling.
            let ceiling = BACKOFF_BASE
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(BACKOFF_CAP);
            tokio::time::sleep(ceiling.mul_f64(fastrand::f64())).await;
            attempt += 1;
        }
    }

    /// One signed try; a failure to sign or to get an answer is a refusal made here.
    async fn attempt(&self, call: &Call<'_>) -> Answer {
        let body = call.body.as_deref().unwrap_or_default();
        let request = self
            .signed(
                call.route.operation.method(),
                &call.route.path(),
                &call.query,
                body,
                call.client_token.as_deref(),
                call.acting.as_ref(),
            )
            .await;
        match request {
            Ok(request) => self.send_counted(request).await,
            Err(refusal) => refusal.into(),
        }
    }

    /// A signed GET of a path outside the Nimble operations (local-studio's watch), with
    /// its own time limit (a long poll outlasts the usual one); not retried.
    pub async fn get_extension(&self, path: &str, query: &str, timeout: Duration) -> Answer {
        match self.signed("GET", path, query, &[], None, None).await {
            Ok(request) => self.send_counted(request.timeout(timeout)).await,
            Err(refusal) => refusal.into(),
        }
    }

    async fn send_counted(&self, request: reqwest::RequestBuilder) -> Answer {
        self.metrics.upstream_calls.inc();
        match send(request).await {
            Ok(reply) => Answer::Upstream(reply),
            Err(error) => unavailable(&error).into(),
        }
    }

    /// The request, signed with SigV4; a refusal when it cannot be signed.
    async fn signed(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        client_token: Option<&str>,
        acting: Option<&(String, String)>,
    ) -> Result<reqwest::RequestBuilder, Refusal> {
        let url = if query.is_empty() {
            format!("{}{path}", self.endpoint)
        } else {
            format!("{}{path}?{query}", self.endpoint)
        };
        let mut headers: Vec<(&str, &str)> = vec![("host", &self.host)];
        if matches!(method, "POST" | "PUT") {
            headers.push(("content-type", "application/json"));
        }
        if let Some(token) = client_token {
            headers.push((CLIENT_TOKEN_HEADER, token));
        }
        if let Some((user, reason)) = acting {
            headers.push((ON_BEHALF_OF_HEADER, user));
            headers.push((REASON_HEADER, reason));
        }
        let signed = signing::signature_headers(
            &self.credentials,
            &self.region,
            method,
            &url,
            &headers,
            body,
        )
        .await
        .map_err(|message| {
            tracing::error!(%message, "cannot sign the upstream call");
            Refusal::new(ApiError::new(
                ErrorType::InternalServerError,
                "The portal could not sign the request to the studio service",
            ))
        })?;
        // The routing table's methods only: an unknown one was refused before this.
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self.http.request(method, &url).body(body.to_vec());
        // reqwest sets Host from the URL itself.
        for (name, value) in headers.iter().filter(|(n, _)| *n != "host") {
            request = request.header(*name, *value);
        }
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        Ok(request)
    }

    /// Whether the upstream answers at all (any HTTP answer counts, even an error).
    pub async fn reachable(&self) -> bool {
        self.http.get(&self.endpoint).send().await.is_ok()
    }
}

/// The whole answer, or the error that kept it from arriving.
async fn send(request: reqwest::RequestBuilder) -> Result<Reply, reqwest::Error> {
    let response = request.send().await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, error_type, request_id) = (
        response.status(),
        header("x-amzn-errortype"),
        header("x-amzn-requestid"),
    );
    Ok(Reply {
        status,
        error_type,
        request_id,
        body: response.bytes().await?,
    })
}

/// 502: the upstream did not answer, or not in time, or broke off its answer.
fn unavailable(error: &reqwest::Error) -> Refusal {
    tracing::warn!(%error, "upstream unreachable");
    let message = if error.is_timeout() {
        "The studio service did not answer in time; try again in a moment"
    } else {
        "The studio service cannot be reached; try again in a moment"
    };
    let error =
        ApiError::new(ErrorType::InternalServerError, message).with_code("UPSTREAM_UNAVAILABLE");
    Refusal::new(error).with_status(StatusCode::BAD_GATEWAY)
}
