//! Newcomer 1: the same-origin check compared the request's Origin with its Host, so every
//! action from a page served through a front end that rewrites Host was refused as
//! cross-site: `trunk serve` in `cargo xtask dev` (the page at :8081, Host :8080) and nginx's
//! default `proxy_pass`. The proxy now knows its public origins (`--public-origin`) and a
//! `--trusted-proxy`'s `X-Forwarded-Host`/`-Proto`; a refusal names the origin it came from
//! and the origins allowed.

use crate::common::{start, studio_config, API};
use portal_proxy::{parse_origin, AuthMode, ProxyConfig, RunningProxy, Upstream};
use serde_json::{json, Value};

/// A POST from the portal's page at `origin`, sent to the proxy as a front end would:
/// with `Host: 127.0.0.1:8080` (what Trunk's proxy and nginx's default send) and `extra`.
async fn create_from(proxy: &RunningProxy, origin: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let url = format!("http://{}{API}/streaming-sessions", proxy.addr());
    let mut request = reqwest::Client::new()
        .post(url)
        .header("host", "127.0.0.1:8080")
        .header("origin", origin)
        .header("x-studio-portal", "1")
        .json(&json!({"launchProfileId": "lp-review"}));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

fn dev_config(edit: impl FnOnce(&mut ProxyConfig)) -> ProxyConfig {
    let mut config = ProxyConfig::new(
        Upstream::Embedded(studio_config()),
        AuthMode::Dev("alice".into()),
    );
    edit(&mut config);
    config
}

#[tokio::test]
async fn a_page_behind_a_front_end_that_rewrites_host_can_act_from_its_public_origin() {
    let trunk = "http://127.0.0.1:8081";
    let proxy = start(dev_config(|c| c.public_origins = vec![trunk.into()])).await;
    let (status, body) = create_from(&proxy, trunk, &[]).await;
    assert_eq!(status, 200, "{body}");
    // Another site is still refused, and told which origins are this portal's.
    let (status, body) = create_from(&proxy, "https://evil.example", &[]).await;
    assert_eq!(status, 403, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("https://evil.example") && message.contains(trunk),
        "the refusal names both origins: {message}"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn without_its_public_origin_such_a_page_is_refused_and_told_the_fix() {
    let proxy = start(dev_config(|_| {})).await;
    let (status, body) = create_from(&proxy, "http://127.0.0.1:8081", &[]).await;
    assert_eq!(status, 403, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("--public-origin http://127.0.0.1:8081"),
        "{message}"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn forwarded_host_counts_only_from_a_trusted_proxy() {
    let forwarded = [
        ("x-forwarded-host", "portal.studio.example"),
        ("x-forwarded-proto", "https"),
    ];
    let origin = "https://portal.studio.example";
    let trusted = start(dev_config(|c| {
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()]
    }))
    .await;
    let (status, body) = create_from(&trusted, origin, &forwarded).await;
    assert_eq!(status, 200, "{body}");
    trusted.shutdown().await;

    // The same headers from a peer outside --trusted-proxy are ignored.
    let other = start(dev_config(|c| {
        c.trusted_proxies = vec!["10.9.0.0/16".parse().unwrap()]
    }))
    .await;
    let (status, body) = create_from(&other, origin, &forwarded).await;
    assert_eq!(status, 403, "{body}");
    other.shutdown().await;
}

#[test]
fn public_origins_are_checked_and_normalised() {
    assert_eq!(
        parse_origin("HTTPS://Portal.Example/").unwrap(),
        "https://portal.example"
    );
    assert_eq!(
        parse_origin("http://127.0.0.1:8081").unwrap(),
        "http://127.0.0.1:8081"
    );
    for bad in [
        "portal.example",
        "https://",
        "https://portal.example/path",
        "ftp://x",
    ] {
        let error = parse_origin(bad).expect_err(bad);
        assert!(error.contains("--public-origin"), "{error}");
    }
}
