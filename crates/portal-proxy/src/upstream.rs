//! Calls to the upstream API: pooled connections, timeouts, SigV4 on every attempt, and
//! retries with exponential backoff and full jitter on 429, 5xx and connection errors,
//! for reads and the operations the model marks idempotent only.

use crate::metrics::Metrics;
use crate::signing::{self, Credentials};
use axum::body::Bytes;
use nimble_model::{ApiError, ErrorType, Route, CLIENT_TOKEN_HEADER};
use std::sync::Arc;
use std::time::Duration;

/// What the upstream answered, kept whole so it can be passed through unchanged.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub error_type: Option<String>,
    pub request_id: Option<String>,
    pub body: Bytes,
}

impl Reply {
    /// A reply made here, in the API's error format.
    pub fn error(status: u16, error: &ApiError) -> Self {
        Reply {
            status,
            error_type: Some(error.kind.shape_name().to_owned()),
            request_id: None,
            body: Bytes::from(serde_json::to_vec(&error.body()).unwrap_or_default()),
        }
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
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

    /// Sends one operation, retrying when that is safe. `query` is already encoded.
    pub async fn call(
        &self,
        route: &Route,
        query: &str,
        body: Option<&[u8]>,
        client_token: Option<&str>,
    ) -> Reply {
        let retryable = route.operation.is_read() || route.operation.is_modeled_idempotent();
        let attempts = if retryable { self.max_attempts } else { 1 };
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                // Full jitter: a random wait up to an exponentially growing ceiling.
                let ceiling = (BACKOFF_BASE * 2u32.pow(attempt)).min(BACKOFF_CAP);
                tokio::time::sleep(ceiling.mul_f64(fastrand::f64())).await;
            }
            let reply = self.attempt(route, query, body, client_token).await;
            let transient = reply.status == 429 || reply.status >= 500;
            if !transient {
                return reply;
            }
            last = Some(reply);
        }
        last.unwrap_or_else(|| {
            Reply::error(
                502,
                &ApiError::new(ErrorType::InternalServerError, "no attempt was made"),
            )
        })
    }

    async fn attempt(
        &self,
        route: &Route,
        query: &str,
        body: Option<&[u8]>,
        client_token: Option<&str>,
    ) -> Reply {
        self.metrics.upstream_calls.inc();
        let path = route.path();
        let url = if query.is_empty() {
            format!("{}{path}", self.endpoint)
        } else {
            format!("{}{path}?{query}", self.endpoint)
        };
        let method = route.operation.method();
        let body = body.unwrap_or_default();
        let mut headers: Vec<(&str, &str)> = vec![("host", &self.host)];
        if method == "POST" {
            headers.push(("content-type", "application/json"));
        }
        if let Some(token) = client_token {
            headers.push((CLIENT_TOKEN_HEADER, token));
        }
        let signed = match signing::signature_headers(
            &self.credentials,
            &self.region,
            method,
            &url,
            &headers,
            body,
        )
        .await
        {
            Ok(signed) => signed,
            Err(message) => {
                tracing::error!(%message, "cannot sign the upstream call");
                return Reply::error(
                    500,
                    &ApiError::new(
                        ErrorType::InternalServerError,
                        "The portal could not sign the request to the studio service",
                    ),
                );
            }
        };
        let mut request = self
            .http
            .request(method.parse().unwrap_or(reqwest::Method::GET), &url)
            .body(body.to_vec());
        // reqwest sets Host from the URL itself.
        for (name, value) in headers.iter().filter(|(n, _)| *n != "host") {
            request = request.header(*name, *value);
        }
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let (error_type, request_id) =
                    (header("x-amzn-errortype"), header("x-amzn-requestid"));
                match response.bytes().await {
                    Ok(body) => Reply {
                        status,
                        error_type,
                        request_id,
                        body,
                    },
                    Err(error) => unreachable_reply(&error),
                }
            }
            Err(error) => unreachable_reply(&error),
        }
    }

    /// Whether the upstream answers at all (any HTTP answer counts, even an error).
    pub async fn reachable(&self) -> bool {
        self.http.get(&self.endpoint).send().await.is_ok()
    }
}

fn unreachable_reply(error: &reqwest::Error) -> Reply {
    tracing::warn!(%error, "upstream unreachable");
    let message = if error.is_timeout() {
        "The studio service did not answer in time; try again in a moment"
    } else {
        "The studio service cannot be reached; try again in a moment"
    };
    Reply::error(
        502,
        &ApiError::new(ErrorType::InternalServerError, message).with_code("UPSTREAM_UNAVAILABLE"),
    )
}
