//! Defect 10: a flood of sign-ins stalled the proxy. argon2 ran on the async workers (an
//! unknown name is hashed too, so it costs what a wrong password does) and `/api/login`
//! had no rate limit. Sign-ins are now limited per client address and per name (429
//! Throttling with Retry-After, before any hashing), and hashing runs on blocking threads,
//! a few at a time.

use crate::common::{start, studio_config};
use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// A users file with alice (password "correct horse"), and its proxy config.
fn users_config(dir: &tempfile::TempDir) -> ProxyConfig {
    let users = dir.path().join("users.toml");
    let hash = portal_proxy::hash_password("correct horse").unwrap();
    std::fs::write(
        &users,
        format!("[users.alice]\npassword_hash = \"{hash}\"\n"),
    )
    .unwrap();
    ProxyConfig::new(
        Upstream::Embedded(studio_config()),
        AuthMode::UsersFile(users),
    )
}

/// A client whose connections come from `source` (any 127.x.y.z is this machine).
fn client_from(source: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .build()
        .unwrap()
}

async fn sign_in(
    client: &reqwest::Client,
    url: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(url)
        .json(&json!({"user": user, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_ins_beyond_the_limits_are_throttled_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = start(users_config(&dir)).await;
    let url = format!("http://{}/api/login", proxy.addr());

    // Per address: ten tries a minute, whatever the names. The tries are sent at once:
    // the limit is taken as each arrives, long before a bucket refills (one per 6 s).
    let client = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let tries = (0..14).map(|i| {
        let (client, url) = (client.clone(), url.clone());
        async move { sign_in(&client, &url, &format!("ghost-{i}"), "guess").await }
    });
    let replies = futures_join(tries).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        4,
        "{statuses:?}"
    );
    let throttled = replies.into_iter().find(|r| r.status() == 429).unwrap();
    assert_eq!(
        throttled.headers()["x-amzn-errortype"],
        "ThrottlingException"
    );
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED", "{body}");
    // Another address is not held back by this one.
    let other = client_from(Ipv4Addr::new(127, 0, 0, 3));
    assert_eq!(
        sign_in(&other, &url, "ghost-x", "guess").await.status(),
        401
    );

    // Per name: five tries a minute, even with the right password, from any address.
    let tries = (0..6).map(|i| {
        let (client, url) = (client_from(Ipv4Addr::new(127, 0, 1, i + 1)), url.clone());
        async move { sign_in(&client, &url, "alice", "correct horse").await }
    });
    let replies = futures_join(tries).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        5,
        "{statuses:?}"
    );
    let throttled = replies.iter().find(|r| r.status() == 429);
    assert!(throttled.is_some_and(|r| r.headers().contains_key("retry-after")));
}

/// Runs the futures at once (each in its own task), in order of their results.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<reqwest::Response>
where
    F: std::future::Future<Output = reqwest::Response> + Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_are_answered_during_a_sign_in_flood() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = start(users_config(&dir)).await;
    let base = format!("http://{}", proxy.addr());
    let flood_for = Duration::from_secs(2);
    let started = Instant::now();
    // Sixteen clients from sixteen addresses, each a new unknown name with a wrong password.
    let flooders: Vec<_> = (0..16u8)
        .map(|c| {
            let client = client_from(Ipv4Addr::new(127, 0, 2, c + 1));
            let url = format!("{base}/api/login");
            tokio::spawn(async move {
                let mut i = 0;
                while started.elapsed() < flood_for {
                    let _ = client
                        .post(&url)
                        .json(&json!({"user": format!("ghost-{c}-{i}"), "password": "x"}))
                        .send()
                        .await;
                    i += 1;
                }
            })
        })
        .collect();
    let health = reqwest::Client::new();
    let mut checks = 0;
    while started.elapsed() < flood_for {
        let answer = tokio::time::timeout(
            Duration::from_secs(2),
            health.get(format!("{base}/healthz")).send(),
        )
        .await;
        let status = answer.map(|r| r.map(|r| r.status().as_u16()));
        assert!(
            matches!(status, Ok(Ok(200))),
            "/healthz after {checks} good checks: {status:?}"
        );
        checks += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for flooder in flooders {
        flooder.await.unwrap();
    }
    proxy.shutdown().await;
}
