//! The coalescer's own tests: single-flight, the cache, and its bounds.

use super::*;
use axum::body::Bytes;
use std::sync::atomic::{AtomicUsize, Ordering};

fn ok(text: &str) -> Reply {
    Reply {
        status: axum::http::StatusCode::OK,
        error_type: None,
        request_id: None,
        body: Bytes::from(text.to_owned()),
    }
}

#[tokio::test]
async fn identical_reads_in_flight_share_one_call_and_writes_clear_the_cache() {
    let coalescer = Arc::new(Coalescer::new(Duration::from_secs(60), 1000));
    let calls = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (coalescer, calls) = (coalescer.clone(), calls.clone());
        tasks.push(tokio::spawn(async move {
            coalescer
                .read("k", async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    ok("v")
                })
                .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().0.body, "v");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let (_, source) = coalescer.read("k", async { ok("new") }).await;
    assert_eq!(source, Source::Cache);
    coalescer.invalidate();
    let (reply, source) = coalescer.read("k", async { ok("new") }).await;
    assert_eq!((reply.body, source), (Bytes::from("new"), Source::Upstream));
}

#[tokio::test]
async fn the_cache_holds_at_most_its_bound_and_drops_old_answers() {
    let coalescer = Coalescer::new(Duration::from_secs(60), 1000);
    for i in 0..1500 {
        coalescer
            .read(&format!("list?createdBy={i}"), async { ok("v") })
            .await;
    }
    assert!(coalescer.len() <= 1000, "{} answers kept", coalescer.len());

    let short = Coalescer::new(Duration::from_millis(20), 1000);
    for i in 0..10 {
        short.read(&format!("k{i}"), async { ok("v") }).await;
    }
    tokio::time::sleep(Duration::from_millis(40)).await;
    short.read("another", async { ok("v") }).await;
    assert_eq!(short.len(), 1, "answers older than the TTL are dropped");
}
