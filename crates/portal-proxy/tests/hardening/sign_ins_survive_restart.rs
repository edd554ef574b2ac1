//! Defect: users-file sign-ins and lockouts lived only in memory, so a restart signed every
//! artist out and lifted every lockout. They are now kept in the proxy's data directory;
//! a second proxy on the same directory (a restart, or a replica on the same host)
//! accepts the first one's cookies and keeps its lockouts.

use crate::common::{start, studio_config, users_file};
use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use serde_json::{json, Value};

#[tokio::test]
async fn a_restart_keeps_sign_ins_and_lockouts_and_a_sign_out_stays_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ProxyConfig::new(
        Upstream::Embedded(studio_config()),
        AuthMode::UsersFile(users_file(dir.path(), &["alice", "bob"])),
    );
    config.data_dir = Some(dir.path().join("proxy-data"));
    let client = reqwest::Client::new();
    let login = |base: String, user: &'static str, password: &'static str| {
        client
            .post(format!("{base}/api/login"))
            .json(&json!({"user": user, "password": password}))
            .send()
    };
    let me = |base: String, cookie: String| {
        client
            .get(format!("{base}/api/me"))
            .header("cookie", cookie)
            .send()
    };

    let first = start(config.clone()).await;
    let base = format!("http://{}", first.addr());
    let signed_in = login(base.clone(), "alice", "correct horse").await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    for _ in 0..5 {
        let guess = login(base.clone(), "bob", "guess").await.unwrap();
        assert_eq!(guess.status(), 401);
    }
    first.shutdown().await;

    let second = start(config.clone()).await;
    let base = format!("http://{}", second.addr());
    let reply = me(base.clone(), cookie.clone()).await.unwrap();
    assert_eq!(reply.status(), 200, "alice is still signed in");
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["user"], "alice");
    let locked = login(base.clone(), "bob", "correct horse").await.unwrap();
    assert_eq!(locked.status(), 429, "bob is still locked out");
    let body: Value = locked.json().await.unwrap();
    assert_eq!(body["code"], "LOCKED_OUT");

    let out = client
        .post(format!("{base}/api/logout"))
        .header("cookie", cookie.clone())
        .header("x-studio-portal", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    second.shutdown().await;

    let third = start(config).await;
    let base = format!("http://{}", third.addr());
    let reply = me(base, cookie).await.unwrap();
    assert_eq!(reply.status(), 401, "a sign-out is not undone by a restart");
    third.shutdown().await;
}
