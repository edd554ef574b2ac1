//! What the hardening tests share: proxies on loopback and a small client.

use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use serde_json::Value;
use std::time::Duration;
pub use test_support::Reply;

pub const API: &str = "/api/2020-08-01/studios/demo-studio";

pub fn studio_config() -> local_studio::Config {
    local_studio::Config {
        demo: true,
        transition: Duration::ZERO,
        ..local_studio::Config::default()
    }
}

pub async fn start(config: ProxyConfig) -> RunningProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    portal_proxy::start(listener, config)
        .await
        .expect("proxy starts")
}

/// An embedded upstream, and the artist taken from `X-User` set by a gateway on loopback.
pub fn header_config() -> ProxyConfig {
    let mut config = ProxyConfig::new(
        Upstream::Embedded(studio_config()),
        AuthMode::TrustedHeader("x-user".into()),
    );
    config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    config
}

/// Sends `method path` as `user` (header `X-User`), marked as coming from the portal.
pub async fn send(
    proxy: &RunningProxy,
    method: &str,
    path: &str,
    user: Option<&str>,
    body: Option<Value>,
) -> Reply {
    test_support::send_as(proxy.addr(), method, path, user, body).await
}

/// A users file in `dir` where each of `names` has the password "correct horse".
pub fn users_file(dir: &std::path::Path, names: &[&str]) -> std::path::PathBuf {
    let hash = portal_proxy::hash_password("correct horse").unwrap();
    let path = dir.join("users.toml");
    let entries: String = names
        .iter()
        .map(|name| format!("[users.{name}]\npassword_hash = \"{hash}\"\n"))
        .collect();
    std::fs::write(&path, entries).unwrap();
    path
}
