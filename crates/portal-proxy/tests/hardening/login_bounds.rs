//! Defect 6: the failed-login table was keyed on the name as sent (up to the body limit)
//! and never pruned. A name beyond 256 bytes is now refused before any hashing. (Pruning
//! and what the audit log keeps are unit tests in `identity.rs` and `audit.rs`.)

use crate::common::{start, studio_config, users_file};
use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use serde_json::{json, Value};

#[tokio::test]
async fn an_overlong_user_name_is_refused_as_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &["alice"]);
    let config = ProxyConfig::new(
        Upstream::Embedded(studio_config()),
        AuthMode::UsersFile(users),
    );
    let proxy = start(config).await;
    let url = format!("http://{}/api/login", proxy.addr());
    let client = reqwest::Client::new();
    let login = |user: String| {
        client
            .post(&url)
            .json(&json!({"user": user, "password": "guess"}))
            .send()
    };
    let long = login("a".repeat(257)).await.unwrap();
    assert_eq!(long.status(), 400);
    assert_eq!(long.headers()["x-amzn-errortype"], "ValidationException");
    let body: Value = long.json().await.unwrap();
    assert_eq!(body["context"]["field"], "user", "{body}");
    // 256 bytes is still a name (a wrong one).
    assert_eq!(login("a".repeat(256)).await.unwrap().status(), 401);
}
