//! What a browser sends portal-proxy in the tests: the artist in `X-User` (trusted-header
//! mode), and `X-Studio-Portal: 1` on every state change, as the portal does.

use crate::Reply;
use serde_json::Value;
use std::net::SocketAddr;

/// Sends `method path` to the proxy at `addr` as `user`, with a JSON `body`.
pub async fn send_as(
    addr: SocketAddr,
    method: &str,
    path: &str,
    user: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request =
        reqwest::Client::new().request(method.parse().unwrap(), format!("http://{addr}{path}"));
    if let Some(user) = user {
        request = request.header("x-user", user);
    }
    if method != "GET" {
        request = request.header("x-studio-portal", "1");
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    crate::signed::reply(request.send().await.unwrap()).await
}
