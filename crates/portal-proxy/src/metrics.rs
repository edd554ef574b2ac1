//! Prometheus metrics at `/metrics`: requests by operation and status, request latency,
//! upstream calls, cache and coalescing hits, and the refusals that tell of an attack or a
//! client in a loop ([`count_refusals`]: cross-site, rate-limited, locked out).

use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// `csrf`, `rate_limited` or `locked_out`.
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub operation: String,
    pub status: u16,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Histogram,
    pub upstream_calls: Counter,
    pub cache_hits: Counter,
    pub coalesced: Counter,
    pub refusals: Family<RefusalLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.5 ms to about 16 s.
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let upstream_calls = Counter::default();
        let cache_hits = Counter::default();
        let coalesced = Counter::default();
        let refusals = Family::<RefusalLabels, Counter>::default();
        let mut registry = Registry::with_prefix("portal_proxy");
        registry.register(
            "requests",
            "API requests by operation and status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "API request latency",
            latency.clone(),
        );
        registry.register(
            "upstream_calls",
            "Calls sent upstream, retries included",
            upstream_calls.clone(),
        );
        registry.register(
            "cache_hits",
            "Reads answered from the short-lived cache",
            cache_hits.clone(),
        );
        registry.register(
            "coalesced_reads",
            "Reads that joined an identical read in flight",
            coalesced.clone(),
        );
        registry.register(
            "refusals",
            "Requests refused as cross-site (csrf), over the rate limit (rate_limited) \
             or from a locked-out login (locked_out)",
            refusals.clone(),
        );
        Metrics {
            refusals,
            registry,
            requests,
            latency,
            upstream_calls,
            cache_hits,
            coalesced,
        }
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// The refusal codes counted in `refusals`, by the `code` of the proxy's own error body.
const COUNTED: [(&str, &str); 3] = [
    ("CSRF", "csrf"),
    ("RATE_LIMITED", "rate_limited"),
    ("LOCKED_OUT", "locked_out"),
];

/// Middleware: counts each answer that is one of the proxy's refusals in [`COUNTED`]. Only
/// 403 and 429 answers are looked into; their bodies are small JSON, read and put back.
pub async fn count_refusals(
    AxumState(metrics): AxumState<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        // Too big for one of ours, or broken: not a refusal of the proxy's.
        return (parts.status, parts.headers, "").into_response();
    };
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|json| json["code"].as_str().map(str::to_owned));
    if let Some((_, reason)) = COUNTED.iter().find(|(c, _)| Some(*c) == code.as_deref()) {
        metrics
            .refusals
            .get_or_create(&RefusalLabels { reason })
            .inc();
    }
    Response::from_parts(parts, Body::from(bytes))
}
