//! Ops 1: `/metrics` and `/readyz` answered anyone who could reach the port. Now only
//! peers in `metrics_allow` (default loopback) or a request with the `metrics_token` bearer
//! token get them: 403 otherwise, 401 for a wrong token.

use crate::common::{header_config, start};
use portal_proxy::RunningProxy;

async fn get(proxy: &RunningProxy, path: &str, token: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(format!("http://{}{path}", proxy.addr()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn metrics_and_readyz_are_refused_outside_the_allow_list() {
    let mut config = header_config();
    config.metrics_allow = vec!["10.0.0.0/8".parse().unwrap()];
    let proxy = start(config).await;
    assert_eq!(get(&proxy, "/metrics", None).await, 403);
    assert_eq!(get(&proxy, "/readyz", None).await, 403);
    assert_eq!(get(&proxy, "/healthz", None).await, 200);
    proxy.shutdown().await;
}

#[tokio::test]
async fn the_metrics_token_opens_metrics_and_a_wrong_one_is_401() {
    let mut config = header_config();
    config.metrics_allow = vec!["10.0.0.0/8".parse().unwrap()];
    config.metrics_token = Some("scrape-secret-1".into());
    let proxy = start(config).await;
    assert_eq!(get(&proxy, "/metrics", Some("scrape-secret-1")).await, 200);
    assert_eq!(get(&proxy, "/readyz", Some("scrape-secret-1")).await, 200);
    assert_eq!(get(&proxy, "/metrics", Some("scrape-secret-2")).await, 401);
    assert_eq!(get(&proxy, "/metrics", None).await, 403);
    proxy.shutdown().await;
}

#[tokio::test]
async fn loopback_reads_metrics_by_default() {
    let proxy = start(header_config()).await;
    assert_eq!(get(&proxy, "/metrics", None).await, 200);
    proxy.shutdown().await;
}
