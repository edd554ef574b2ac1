//! What the hardening tests share: proxies on loopback and a small client.

use portal_proxy::{ProxyConfig, RunningProxy, Upstream};
use serde_json::Value;
pub use test_support::Reply;

pub const API: &str = "/api/2020-08-01/studios/demo-studio";

pub use test_support::{start_proxy as start, test_config as studio_config};

/// An embedded upstream, and the artist taken from `X-User` set by a gateway on loopback.
pub fn header_config() -> ProxyConfig {
    test_support::gateway_config(Upstream::Embedded(studio_config()), &[])
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

/// Signs `user` in with the password of [`users_file`] at the proxy at `addr`; the
/// `portal_session=…` cookie to send back.
pub async fn sign_in(addr: std::net::SocketAddr, user: &str) -> String {
    let signed_in = reqwest::Client::new()
        .post(format!("http://{addr}/api/login"))
        .json(&serde_json::json!({"user": user, "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200, "{user} signs in");
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}
