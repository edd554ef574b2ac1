//! Defect 2: trusted-header mode let the client choose the user when the header came
//! twice (a gateway that appends its own), and ran open to any client without
//! `--trusted-proxy`. (The IPv4-mapped peer is a unit test in `identity.rs`.)

use crate::common::{header_config, start, API};
use portal_proxy::{AuthMode, ProxyConfig, Upstream};

#[tokio::test]
async fn an_identity_header_sent_twice_is_refused() {
    let proxy = start(header_config()).await;
    let url = format!("http://{}{API}/streaming-sessions", proxy.addr());
    let client = reqwest::Client::new();
    // The client's own header first, the gateway's appended after it.
    let twice = client
        .get(&url)
        .header("x-user", "bob")
        .header("x-user", "alice")
        .send()
        .await
        .unwrap();
    let status = twice.status().as_u16();
    assert!(status == 401 || status == 403, "{status}");
    assert!(twice.headers().contains_key("x-amzn-errortype"));
    let once = client
        .get(&url)
        .header("x-user", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(once.status(), 200);
}

#[tokio::test]
async fn trusted_header_mode_without_trusted_proxies_does_not_start() {
    let mut config = ProxyConfig::new(
        Upstream::Embedded(crate::common::studio_config()),
        AuthMode::TrustedHeader("x-user".into()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = portal_proxy::start(listener, config.clone()).await;
    assert!(refused.is_err(), "started without --trusted-proxy");
    let message = refused.err().unwrap().to_string();
    assert!(message.contains("--trusted-proxy"), "{message}");
    // Said out loud, it starts.
    config.insecure_trust_any_client = true;
    let open = start(config).await;
    open.shutdown().await;
}
