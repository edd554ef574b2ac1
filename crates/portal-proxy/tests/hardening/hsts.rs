//! Ops 2: no `Strict-Transport-Security`, so a browser that once reached the portal over
//! HTTPS could be sent to plain HTTP later. It is sent when the TLS terminator says
//! `X-Forwarded-Proto: https`, and only then (over plain HTTP a browser ignores it anyway,
//! and a development server must not pin `localhost` to HTTPS).

use crate::common::{header_config, start};

#[tokio::test]
async fn hsts_is_sent_behind_https_and_only_then() {
    let proxy = start(header_config()).await;
    let client = reqwest::Client::new();
    for path in ["/api/me", "/", "/healthz"] {
        let url = format!("http://{}{path}", proxy.addr());
        let https = client
            .get(&url)
            .header("x-user", "alice")
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        let hsts = https.headers().get("strict-transport-security");
        assert_eq!(
            hsts.and_then(|v| v.to_str().ok()),
            Some("max-age=31536000"),
            "{path}"
        );
        let plain = client
            .get(&url)
            .header("x-user", "alice")
            .send()
            .await
            .unwrap();
        assert!(
            !plain.headers().contains_key("strict-transport-security"),
            "{path}"
        );
    }
    proxy.shutdown().await;
}
