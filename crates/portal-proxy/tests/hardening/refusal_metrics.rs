//! Ops 3: cross-site (CSRF) and rate-limited refusals were not counted, so an attack or
//! a client stuck in a retry loop was invisible in `/metrics`. They are counted in
//! `portal_proxy_refusals_total{reason}`.

use crate::common::{header_config, start, API};
use portal_proxy::RunningProxy;

async fn metrics(proxy: &RunningProxy) -> String {
    let url = format!("http://{}/metrics", proxy.addr());
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

fn count(text: &str, reason: &str) -> Option<u64> {
    let prefix = format!("portal_proxy_refusals_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
}

#[tokio::test]
async fn csrf_and_rate_limit_refusals_are_counted() {
    let mut config = header_config();
    config.rate_limit_per_minute = 5; // a burst of one
    let proxy = start(config).await;
    let url = format!("http://{}{API}/streaming-sessions", proxy.addr());
    let client = reqwest::Client::new();
    // A POST without X-Studio-Portal: what a cross-site form would send.
    let cross_site = client
        .post(&url)
        .header("x-user", "alice")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(count(&metrics(&proxy).await, "csrf"), Some(1));

    let mut statuses = Vec::new();
    for _ in 0..3 {
        let reply = client
            .get(&url)
            .header("x-user", "bob")
            .send()
            .await
            .unwrap();
        statuses.push(reply.status().as_u16());
    }
    let limited = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert!(limited >= 1, "{statuses:?}");
    let text = metrics(&proxy).await;
    assert_eq!(count(&text, "rate_limited"), Some(limited), "{text}");
    assert_eq!(count(&text, "csrf"), Some(1));
    proxy.shutdown().await;
}
