//! Prometheus metrics at `/metrics`: requests by operation and status, request latency,
//! upstream calls, and cache and coalescing hits.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

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
}

impl Metrics {
    pub fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.5 ms to about 16 s.
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let upstream_calls = Counter::default();
        let cache_hits = Counter::default();
        let coalesced = Counter::default();
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
        Metrics {
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
