//! portal-proxy against a real local-studio over loopback: authorization, signing,
//! retries, coalescing, static hosting, sign-in and protections.

use local_studio::{Credential, Faults};
use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use serde_json::{json, Value};
use std::time::Duration;
use test_support::{gateway_config, start_proxy, test_config, Reply};

const API: &str = "/api/2020-08-01/studios/demo-studio";

/// A proxy that takes the artist from `X-User`, with carol as admin.
async fn header_proxy() -> RunningProxy {
    start_proxy(gateway_config(
        Upstream::Embedded(test_config()),
        &["carol"],
    ))
    .await
}

/// An upstream local-studio of its own, and a proxy pointing at its URL.
async fn url_proxy(
    secret: &str,
    tweak: impl FnOnce(&mut ProxyConfig),
) -> (local_studio::RunningServer, RunningProxy) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let studio = local_studio::start(listener, test_config()).await.unwrap();
    let upstream = Upstream::Url {
        endpoint: format!("http://{}", studio.addr()),
        credentials: Some((Credential::dev().access_key_id, secret.to_owned())),
    };
    let mut config = ProxyConfig::new(upstream, AuthMode::Dev("alice".into()));
    tweak(&mut config);
    (studio, start_proxy(config).await)
}

/// Sends `method path` as `user` (header `X-User`), marked as coming from the portal.
async fn send(
    proxy: &RunningProxy,
    method: &str,
    path: &str,
    user: Option<&str>,
    body: Option<Value>,
) -> Reply {
    test_support::send_as(proxy.addr(), method, path, user, body).await
}

fn ids(reply: &Reply, key: &str, id: &str) -> Vec<String> {
    reply.json[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[id].as_str().unwrap().to_owned())
        .collect()
}

fn owners(reply: &Reply) -> Vec<String> {
    let mut owners: Vec<String> = reply.json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ownedBy"].as_str().unwrap().to_owned())
        .collect();
    owners.sort();
    owners.dedup();
    owners
}

#[tokio::test]
async fn authorization_matrix_of_every_operation_and_identity() {
    let proxy = header_proxy().await;
    let sessions = format!("{API}/streaming-sessions");
    let backups = format!("{API}/streaming-session-backups");

    // Lists: each artist sees only their own; no identity is 401; the admin sees all.
    assert_eq!(
        owners(&send(&proxy, "GET", &sessions, Some("alice"), None).await),
        ["alice"]
    );
    assert_eq!(
        owners(&send(&proxy, "GET", &sessions, Some("bob"), None).await),
        ["bob"]
    );
    assert_eq!(send(&proxy, "GET", &sessions, None, None).await.status, 401);
    assert_eq!(
        owners(&send(&proxy, "GET", &sessions, Some("carol"), None).await),
        ["alice", "bob"]
    );
    let peek = send(
        &proxy,
        "GET",
        &format!("{sessions}?ownedBy=bob"),
        Some("alice"),
        None,
    )
    .await;
    assert_eq!(
        (peek.status, peek.json["context"]["field"].as_str()),
        (403, Some("ownedBy"))
    );
    let alice_backups = send(&proxy, "GET", &backups, Some("alice"), None).await;
    assert!(alice_backups.json["streamingSessionBackups"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["ownedBy"] == "alice"));
    assert_eq!(send(&proxy, "GET", &backups, None, None).await.status, 401);

    // Launch profiles: anyone signed in.
    for (user, status) in [(Some("bob"), 200), (None, 401), (Some("carol"), 200)] {
        assert_eq!(
            send(&proxy, "GET", &format!("{API}/launch-profiles"), user, None)
                .await
                .status,
            status
        );
        assert_eq!(
            send(
                &proxy,
                "GET",
                &format!("{API}/launch-profiles/lp-artist"),
                user,
                None
            )
            .await
            .status,
            status
        );
    }

    let listed = send(&proxy, "GET", &sessions, Some("alice"), None).await;
    let ready = listed.json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "READY" && s["launchProfileId"] == "lp-artist")
        .unwrap();
    let id = ready["sessionId"].as_str().unwrap().to_owned();
    let one = format!("{sessions}/{id}");
    let snapshot = || async { send(&proxy, "GET", &one, Some("carol"), None).await.json };

    // Every operation on alice's session: bob gets the 404 of a missing session, no identity
    // 401, and neither changes anything; then the owner succeeds.
    let steps: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", one.clone(), None),
        // The extension: signed and owner-checked like the rest.
        ("POST", format!("{one}/keep-running"), None),
        ("POST", format!("{one}/stop"), Some(json!({}))),
        ("POST", format!("{one}/start"), Some(json!({}))),
        ("POST", format!("{one}/streams"), Some(json!({}))),
    ];
    for (method, path, body) in steps {
        let before = snapshot().await;
        let stranger = send(&proxy, method, &path, Some("bob"), body.clone()).await;
        assert_eq!(stranger.status, 404, "{method} {path} by bob");
        assert_eq!(
            stranger.json["message"],
            format!("Streaming session {id} not found")
        );
        assert_eq!(stranger.json["context"]["resourceId"], id.as_str());
        let missing = send(
            &proxy,
            "GET",
            &format!("{sessions}/ss-does-not-exist"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(
            missing.json["code"], stranger.json["code"],
            "a stranger's session looks missing"
        );
        assert_eq!(
            send(&proxy, method, &path, None, body.clone()).await.status,
            401
        );
        assert_eq!(
            snapshot().await,
            before,
            "{method} {path} refused, nothing changed"
        );
        let owner = send(&proxy, method, &path, Some("alice"), body).await;
        assert_eq!(
            owner.status, 200,
            "{method} {path} by alice: {}",
            owner.text
        );
        if path.ends_with("/streams") {
            let stream = owner.json["stream"]["streamId"].as_str().unwrap();
            let get = format!("{one}/streams/{stream}");
            assert_eq!(
                send(&proxy, "GET", &get, Some("bob"), None).await.status,
                404
            );
            assert_eq!(send(&proxy, "GET", &get, None, None).await.status, 401);
            assert_eq!(
                send(&proxy, "GET", &get, Some("alice"), None).await.status,
                200
            );
            assert_eq!(
                send(&proxy, "GET", &get, Some("carol"), None).await.status,
                200,
                "admin"
            );
        }
    }

    // Backups: alice's backup is hers only (and the admin's).
    let backup = send(&proxy, "GET", &backups, Some("alice"), None)
        .await
        .json["streamingSessionBackups"][0]["backupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("{backups}/{backup}");
    assert_eq!(
        send(&proxy, "GET", &path, Some("bob"), None).await.status,
        404
    );
    assert_eq!(send(&proxy, "GET", &path, None, None).await.status, 401);
    assert_eq!(
        send(&proxy, "GET", &path, Some("alice"), None).await.status,
        200
    );
    assert_eq!(
        send(&proxy, "GET", &path, Some("carol"), None).await.status,
        200
    );

    // Create: owned by the artist; another owner is refused; the admin may choose.
    let create = json!({"launchProfileId": "lp-review"});
    let mine = send(&proxy, "POST", &sessions, Some("bob"), Some(create.clone())).await;
    assert_eq!(
        (mine.status, mine.json["session"]["ownedBy"].as_str()),
        (200, Some("bob"))
    );
    let theirs = send(
        &proxy,
        "POST",
        &sessions,
        Some("bob"),
        Some(json!({"launchProfileId": "lp-review", "ownedBy": "alice"})),
    )
    .await;
    assert_eq!(theirs.status, 403);
    assert_eq!(
        send(&proxy, "POST", &sessions, None, Some(create))
            .await
            .status,
        401
    );
    let for_bob = send(
        &proxy,
        "POST",
        &sessions,
        Some("carol"),
        Some(json!({"launchProfileId": "lp-review", "ownedBy": "bob"})),
    )
    .await;
    assert_eq!(
        (for_bob.status, for_bob.json["session"]["ownedBy"].as_str()),
        (200, Some("bob"))
    );
    assert_eq!(
        owners(&send(&proxy, "GET", &sessions, Some("alice"), None).await),
        ["alice"],
        "bob's new sessions stay his"
    );

    // Delete: bob cannot, alice can; the admin can act on anyone's.
    let bobs_new = mine.json["session"]["sessionId"].as_str().unwrap();
    assert_eq!(
        send(&proxy, "DELETE", &one, Some("bob"), None).await.status,
        404
    );
    assert_eq!(send(&proxy, "DELETE", &one, None, None).await.status, 401);
    assert_eq!(
        send(&proxy, "DELETE", &one, Some("alice"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        send(
            &proxy,
            "DELETE",
            &format!("{sessions}/{bobs_new}"),
            Some("carol"),
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(snapshot().await["session"]["state"], "DELETED");
    proxy.shutdown().await;
}

/// Usage and limits: an artist reads only their own usage, an admin anyone's; only an
/// admin sets limits or reads the studio's usage, and a refused PUT changes nothing.
#[tokio::test]
async fn artists_read_their_own_usage_and_only_admins_set_limits() {
    let proxy = header_proxy().await;
    let usage = |who: &str| format!("{API}/artists/{who}/usage");
    let limits = format!("{API}/artists/alice/limits");
    let own = send(&proxy, "GET", &usage("alice"), Some("alice"), None).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.json["usage"]["userId"], "alice");
    let other = send(&proxy, "GET", &usage("alice"), Some("bob"), None).await;
    assert_eq!(other.status, 403, "{}", other.text);
    assert_eq!(
        send(&proxy, "GET", &usage("alice"), None, None)
            .await
            .status,
        401
    );
    assert_eq!(
        send(&proxy, "GET", &usage("alice"), Some("carol"), None)
            .await
            .status,
        200,
        "an admin reads anyone's"
    );

    let raise = json!({"readyAtOnce": 3});
    let by_alice = send(&proxy, "PUT", &limits, Some("alice"), Some(raise.clone())).await;
    assert_eq!(by_alice.status, 403, "{}", by_alice.text);
    let line = |reply: &Reply| reply.json["usage"]["lines"][0]["readyAtOnce"].clone();
    let after = send(&proxy, "GET", &usage("alice"), Some("alice"), None).await;
    assert_eq!(line(&after), Value::Null, "the refused PUT changed nothing");
    let by_admin = send(&proxy, "PUT", &limits, Some("carol"), Some(raise)).await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.text);
    assert_eq!(line(&by_admin), 3);
    // The studio's usage: admins only.
    let studio_usage =
        format!("{API}/usage?from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z&groupBy=OWNER");
    let artist = send(&proxy, "GET", &studio_usage, Some("alice"), None).await;
    assert_eq!(artist.status, 403, "{}", artist.text);
    let chart = format!(
        "{API}/usage/concurrency?from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z&stepMinutes=1440"
    );
    assert_eq!(
        send(&proxy, "GET", &chart, Some("alice"), None)
            .await
            .status,
        403
    );
    let points = send(&proxy, "GET", &chart, Some("carol"), None).await;
    assert_eq!(points.status, 200, "{}", points.text);
    assert_eq!(points.json["points"].as_array().unwrap().len(), 31);
    let admin = send(&proxy, "GET", &studio_usage, Some("carol"), None).await;
    assert_eq!(admin.status, 200, "{}", admin.text);
    assert!(admin.json["usage"].is_array(), "{}", admin.text);
    let bad = json!({"readyAtOnce": -2});
    let refused = send(&proxy, "PUT", &limits, Some("carol"), Some(bad)).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains("readyAtOnce"), "{}", refused.text);
}

#[tokio::test]
async fn me_and_unknown_api_paths() {
    let proxy = header_proxy().await;
    let me = send(&proxy, "GET", "/api/me", Some("carol"), None).await;
    assert_eq!(
        me.json,
        json!({"user": "carol", "studioId": "demo-studio", "admin": true})
    );
    assert_eq!(send(&proxy, "GET", "/api/me", None, None).await.status, 401);
    assert_eq!(
        send(&proxy, "GET", "/api/nothing", Some("alice"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        send(
            &proxy,
            "GET",
            "/api/2020-08-01/studios/demo-studio/tags",
            Some("alice"),
            None
        )
        .await
        .status,
        404
    );
    let other_studio = send(
        &proxy,
        "GET",
        "/api/2020-08-01/studios/elsewhere/streaming-sessions",
        Some("alice"),
        None,
    )
    .await;
    assert_eq!(
        (
            other_studio.status,
            other_studio.json["context"]["resourceId"].as_str()
        ),
        (404, Some("elsewhere"))
    );
    let invalid = send(
        &proxy,
        "POST",
        &format!("{API}/streaming-sessions"),
        Some("alice"),
        Some(json!({"launchProfileId": "lp-review", "streamingImageId": "bad id"})),
    )
    .await;
    assert_eq!(
        (invalid.status, invalid.json["context"]["field"].as_str()),
        (400, Some("streamingImageId"))
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn upstream_signatures_are_verified_and_a_wrong_secret_fails() {
    let (studio, proxy) = url_proxy(&Credential::dev().secret_access_key, |_| {}).await;
    let ok = send(
        &proxy,
        "GET",
        &format!("{API}/streaming-sessions"),
        None,
        None,
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(owners(&ok), ["alice"]);
    let (_studio_kept_alive, wrong) = url_proxy("not-the-secret", |_| {}).await;
    let denied = send(
        &wrong,
        "GET",
        &format!("{API}/streaming-sessions"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (
            denied.status,
            denied.headers["x-amzn-errortype"].to_str().unwrap()
        ),
        (403, "AccessDeniedException")
    );
    assert!(denied.json["message"]
        .as_str()
        .unwrap()
        .contains("signature"));
    proxy.shutdown().await;
    studio.shutdown().await;
}

#[tokio::test]
async fn retries_on_429_and_500_only_for_idempotent_operations() {
    let (studio, proxy) = url_proxy(&Credential::dev().secret_access_key, |c| {
        c.cache_ttl = Duration::ZERO
    })
    .await;
    let list = format!("{API}/streaming-sessions");
    let id = send(&proxy, "GET", &list, None, None).await.json["sessions"][0]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    for faults in [
        Faults {
            throttle: 1.0,
            ..Faults::default()
        },
        Faults {
            internal_error: 1.0,
            ..Faults::default()
        },
    ] {
        studio.set_faults(faults);
        let calls = |before: u64| studio.request_count() - before;

        let before = studio.request_count();
        let read = send(&proxy, "GET", &list, None, None).await;
        assert!(read.status == 429 || read.status == 500);
        assert_eq!(calls(before), 3, "a read is tried three times");

        let before = studio.request_count();
        send(
            &proxy,
            "POST",
            &format!("{list}/{id}/stop"),
            None,
            Some(json!({})),
        )
        .await;
        assert_eq!(
            calls(before),
            3,
            "Stop is idempotent (it carries a client token)"
        );

        let before = studio.request_count();
        let create = send(
            &proxy,
            "POST",
            &list,
            None,
            Some(json!({"launchProfileId": "lp-review"})),
        )
        .await;
        assert!(create.status == 429 || create.status == 500);
        assert_eq!(
            calls(before),
            1,
            "CreateStreamingSession is not idempotent: no retry"
        );
    }
    studio.set_faults(Faults::default());
    proxy.shutdown().await;
    studio.shutdown().await;
}

#[tokio::test]
async fn identical_concurrent_reads_share_one_upstream_call_and_writes_invalidate() {
    let (studio, proxy) = url_proxy(&Credential::dev().secret_access_key, |c| {
        c.rate_limit_per_minute = 100_000
    })
    .await;
    let list = format!("{API}/streaming-sessions");
    let before = studio.request_count();
    let replies = futures_join(&proxy, &list, 50).await;
    assert!(replies.iter().all(|s| *s == 200));
    let calls = studio.request_count() - before;
    assert!(calls <= 2, "50 identical reads made {calls} upstream calls");

    // Within the cache lifetime: no call. After a write through the proxy: a fresh one.
    let before = studio.request_count();
    send(&proxy, "GET", &list, None, None).await;
    assert_eq!(studio.request_count() - before, 0);
    send(
        &proxy,
        "POST",
        &list,
        None,
        Some(json!({"launchProfileId": "lp-review"})),
    )
    .await;
    let before = studio.request_count();
    let fresh = send(&proxy, "GET", &list, None, None).await;
    assert_eq!(studio.request_count() - before, 1);
    assert_eq!(
        fresh.json["sessions"].as_array().unwrap().len(),
        4,
        "the new session shows at once"
    );
    let metrics = send(&proxy, "GET", "/metrics", None, None).await.text;
    for name in [
        "portal_proxy_requests_total",
        "portal_proxy_request_duration_seconds_bucket",
        "portal_proxy_upstream_calls_total",
        "portal_proxy_cache_hits_total",
    ] {
        assert!(metrics.contains(name), "{name} in /metrics");
    }
    proxy.shutdown().await;
    studio.shutdown().await;
}

async fn futures_join(proxy: &RunningProxy, path: &str, count: usize) -> Vec<u16> {
    let client = reqwest::Client::new();
    let url = format!("http://{}{path}", proxy.addr());
    let tasks: Vec<_> = (0..count)
        .map(|_| tokio::spawn(client.get(url.clone()).send()))
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().unwrap().status().as_u16());
    }
    statuses
}

/// The admin page's files (`<dist>/admin/`) go to admins only: an artist gets a plain 403
/// page and someone not signed in a 401 that links to sign-in, neither with any admin code.
/// GetStudioActivity, the data only the admin page reads, is refused to artists the same way.
#[tokio::test]
async fn the_admin_page_is_served_to_admins_only() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "artists' page").unwrap();
    let admin = dist.path().join("admin");
    std::fs::create_dir(&admin).unwrap();
    std::fs::write(admin.join("index.html"), "admin page").unwrap();
    let wasm = "studio-admin-e8ef3326dcbe2b7_bg.wasm";
    std::fs::write(admin.join(wasm), b"\0asm admin code").unwrap();
    let mut config = gateway_config(Upstream::Embedded(test_config()), &["carol"]);
    config.dist = Some(dist.path().to_owned());
    let proxy = start_proxy(config).await;
    for path in [
        "/admin/",
        "/admin",
        &format!("/admin/{wasm}"),
        "/admin/some/view",
    ] {
        let artist = send(&proxy, "GET", path, Some("alice"), None).await;
        assert_eq!(artist.status, 403, "{path}: {}", artist.text);
        assert!(
            artist.text.contains("for the studio's administrators"),
            "{}",
            artist.text
        );
        assert!(!artist.text.contains("admin page") && !artist.text.contains("asm"));
        assert_eq!(artist.headers["content-type"], "text/html; charset=utf-8");
        assert!(artist.headers.contains_key("content-security-policy"));
        let nobody = send(&proxy, "GET", path, None, None).await;
        assert_eq!(nobody.status, 401, "{path}");
        assert!(nobody.text.contains("href=\"/login\""), "{}", nobody.text);
    }
    let index = send(&proxy, "GET", "/admin/", Some("carol"), None).await;
    assert_eq!((index.status, index.text.as_str()), (200, "admin page"));
    let code = send(
        &proxy,
        "GET",
        &format!("/admin/{wasm}"),
        Some("carol"),
        None,
    )
    .await;
    assert_eq!(code.status, 200);
    assert_eq!(code.headers["content-type"], "application/wasm");
    assert_eq!(
        code.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let deep_link = send(&proxy, "GET", "/admin/some/view", Some("carol"), None).await;
    assert_eq!(deep_link.text, "admin page", "the admin app's own fallback");
    let artists_page = send(&proxy, "GET", "/", Some("alice"), None).await;
    assert_eq!(artists_page.text, "artists' page");

    let activity = format!("{API}/activity");
    let refused = send(&proxy, "GET", &activity, Some("alice"), None).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let read = send(&proxy, "GET", &activity, Some("carol"), None).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(read.json["sessions"].is_array(), "{}", read.text);
    proxy.shutdown().await;
}

#[tokio::test]
async fn static_portal_has_strict_headers_caching_and_spa_fallback() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>portal</title>",
    )
    .unwrap();
    std::fs::write(
        dist.path().join("studio-portal-0123456789abcdef_bg.wasm"),
        b"\0asm",
    )
    .unwrap();
    std::fs::write(dist.path().join("style-0123456789abcdef.css"), "body{}").unwrap();
    std::fs::write(
        dist.path().join("style-0123456789abcdef.css.br"),
        b"brotli bytes",
    )
    .unwrap();
    let mut config = ProxyConfig::new(
        Upstream::Embedded(test_config()),
        AuthMode::Dev("alice".into()),
    );
    config.dist = Some(dist.path().to_owned());
    let proxy = start_proxy(config).await;
    let index = send(&proxy, "GET", "/", None, None).await;
    assert_eq!(index.status, 200);
    let csp = index.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && csp.contains("frame-ancestors 'none'")
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(index.headers["x-content-type-options"], "nosniff");
    assert_eq!(index.headers["referrer-policy"], "same-origin");
    assert_eq!(index.headers["cache-control"], "no-cache");
    let wasm = send(
        &proxy,
        "GET",
        "/studio-portal-0123456789abcdef_bg.wasm",
        None,
        None,
    )
    .await;
    assert_eq!(wasm.headers["content-type"], "application/wasm");
    assert_eq!(
        wasm.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let spa = send(&proxy, "GET", "/sessions/ss-1", None, None).await;
    assert_eq!(
        (spa.status, spa.text.as_str()),
        (200, "<!doctype html><title>portal</title>")
    );
    let compressed = reqwest::Client::new()
        .get(format!(
            "http://{}/style-0123456789abcdef.css",
            proxy.addr()
        ))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "br");
    assert_eq!(compressed.headers()["content-type"], "text/css");
    let api = send(
        &proxy,
        "GET",
        &format!("{API}/streaming-sessions"),
        None,
        None,
    )
    .await;
    assert!(
        api.headers.contains_key("content-security-policy"),
        "API answers carry the headers too"
    );
    assert_eq!(
        send(&proxy, "GET", "/healthz", None, None).await.status,
        200
    );
    assert_eq!(send(&proxy, "GET", "/readyz", None, None).await.status, 200);
    proxy.shutdown().await;
}

#[tokio::test]
async fn sign_in_sign_out_lockout_and_csrf() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    let hash = portal_proxy::hash_password("correct horse").unwrap();
    std::fs::write(
        &users,
        format!(
            "[users.alice]\npassword_hash = \"{hash}\"\n[users.bob]\npassword_hash = \"{hash}\"\n"
        ),
    )
    .unwrap();
    let proxy = start_proxy(ProxyConfig::new(
        Upstream::Embedded(test_config()),
        AuthMode::UsersFile(users),
    ))
    .await;
    let base = format!("http://{}", proxy.addr());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = |user: &str, password: &str| {
        client
            .post(format!("{base}/api/login"))
            .json(&json!({"user": user, "password": password}))
            .send()
    };

    assert_eq!(
        client
            .get(format!("{base}/api/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(login("alice", "wrong").await.unwrap().status(), 401);
    let ok = login("alice", "correct horse").await.unwrap();
    assert_eq!(ok.status(), 200);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let me: Value = client
        .get(format!("{base}/api/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"], "alice");
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<form method=\"post\" action=\"/api/login\">") && !page.contains("<script")
    );

    // CSRF: a state change without the portal's header, or from another origin, is refused.
    let sessions = format!("{base}{API}/streaming-sessions");
    let bare = client
        .post(&sessions)
        .json(&json!({"launchProfileId": "lp-review"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    let foreign = client
        .post(&sessions)
        .header("x-studio-portal", "1")
        .header("origin", "https://evil.example")
        .json(&json!({"launchProfileId": "lp-review"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let own = client
        .post(&sessions)
        .header("x-studio-portal", "1")
        .header("origin", base.clone())
        .json(&json!({"launchProfileId": "lp-review"}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);

    let out = client
        .post(format!("{base}/api/logout"))
        .header("x-studio-portal", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(
        client
            .get(format!("{base}/api/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Five failures lock bob out, even with the right password next.
    for _ in 0..5 {
        assert_eq!(login("bob", "guess").await.unwrap().status(), 401);
    }
    let locked = login("bob", "correct horse").await.unwrap();
    assert_eq!(locked.status(), 429);
    let body: Value = locked.json().await.unwrap();
    assert_eq!(body["code"], "LOCKED_OUT");
    assert_eq!(
        login("alice", "correct horse").await.unwrap().status(),
        200,
        "others are not locked"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn body_limit_and_per_user_rate_limit() {
    let mut config = ProxyConfig::new(
        Upstream::Embedded(test_config()),
        AuthMode::TrustedHeader("x-user".into()),
    );
    config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    config.rate_limit_per_minute = 60;
    config.admins = vec!["carol".into()];
    let proxy = start_proxy(config).await;
    let huge = json!({"launchProfileId": "lp-review", "tags": {"x": "y".repeat(100_000)}});
    let reply = send(
        &proxy,
        "POST",
        &format!("{API}/streaming-sessions"),
        Some("alice"),
        Some(huge),
    )
    .await;
    assert_eq!(reply.status, 413);
    // In the API's error format like every other refusal, not axum's plain text.
    assert_eq!(reply.headers["x-amzn-errortype"], "ValidationException");
    assert_eq!(reply.json["code"], "BODY_TOO_LARGE", "{:?}", reply.text);

    let mut limited = None;
    for _ in 0..30 {
        let reply = send(
            &proxy,
            "GET",
            &format!("{API}/launch-profiles"),
            Some("alice"),
            None,
        )
        .await;
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
    }
    let limited = limited.expect("alice is rate limited within 30 quick requests");
    assert!(
        limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(limited.json["code"], "RATE_LIMITED");
    assert_eq!(
        send(
            &proxy,
            "GET",
            &format!("{API}/launch-profiles"),
            Some("bob"),
            None
        )
        .await
        .status,
        200,
        "per user"
    );
    // An admin's page lists the whole fleet: 30 quick calls are within an admin's allowance.
    for n in 0..30 {
        let reply = send(
            &proxy,
            "GET",
            &format!("{API}/launch-profiles"),
            Some("carol"),
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "carol's call {n}: {:?}", reply.text);
    }
    proxy.shutdown().await;
}

#[tokio::test]
async fn ids_with_reserved_characters_are_encoded_once() {
    let proxy = header_proxy().await;
    let reply = send(
        &proxy,
        "GET",
        &format!("{API}/streaming-sessions/ss%2F1%20x"),
        Some("alice"),
        None,
    )
    .await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json["context"]["resourceId"], "ss/1 x",
        "decoded once by the proxy, once by the upstream"
    );
    let listed = send(
        &proxy,
        "GET",
        &format!("{API}/streaming-sessions?sessionIds=a%2Cb"),
        Some("alice"),
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(ids(&listed, "sessions", "sessionId"), Vec::<String>::new());
    proxy.shutdown().await;
}

#[tokio::test]
async fn logins_map_to_studio_users() {
    let mut config = ProxyConfig::new(
        Upstream::Embedded(test_config()),
        AuthMode::TrustedHeader("x-user".into()),
    );
    config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    config.user_map = [("alice@studio.example".to_owned(), "alice".to_owned())].into();
    let proxy = start_proxy(config).await;
    let me = send(&proxy, "GET", "/api/me", Some("alice@studio.example"), None).await;
    assert_eq!(me.json["user"], "alice");
    let listed = send(
        &proxy,
        "GET",
        &format!("{API}/streaming-sessions"),
        Some("alice@studio.example"),
        None,
    )
    .await;
    assert_eq!(
        owners(&listed),
        ["alice"],
        "the login sees the sessions of the studio user it maps to"
    );
    let unmapped = send(
        &proxy,
        "GET",
        &format!("{API}/streaming-sessions"),
        Some("bob"),
        None,
    )
    .await;
    assert_eq!(
        owners(&unmapped),
        ["bob"],
        "an unmapped login is its own studio user"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn every_refusal_is_typed_json_that_is_never_cached() {
    let proxy = header_proxy().await;
    let sessions = format!("{API}/streaming-sessions");
    let refusals = [
        (send(&proxy, "GET", "/api/me", None, None).await, 401),
        (
            send(&proxy, "GET", "/api/nothing", Some("alice"), None).await,
            404,
        ),
        (
            send(
                &proxy,
                "GET",
                &format!("{sessions}?ownedBy=bob"),
                Some("alice"),
                None,
            )
            .await,
            403,
        ),
        (
            send(&proxy, "POST", &sessions, Some("alice"), Some(json!([]))).await,
            400,
        ),
    ];
    for (reply, status) in refusals {
        assert_eq!(reply.status, status, "{}", reply.text);
        assert_eq!(reply.headers["content-type"], "application/json");
        assert_eq!(reply.headers["cache-control"], "no-store");
        assert!(reply.headers["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .ends_with("Exception"));
        assert!(reply.json["message"].is_string() && reply.json["code"].is_string());
    }
    proxy.shutdown().await;
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_is_a_502_after_retries() {
    // A port that was free a moment ago: nothing answers there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let credential = Credential::dev();
    let upstream = Upstream::Url {
        endpoint: format!("http://{addr}"),
        credentials: Some((credential.access_key_id, credential.secret_access_key)),
    };
    let proxy = start_proxy(ProxyConfig::new(upstream, AuthMode::Dev("alice".into()))).await;
    let sessions = format!("{API}/streaming-sessions");
    let reply = send(&proxy, "GET", &sessions, None, None).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json["code"], "UPSTREAM_UNAVAILABLE");
    assert_eq!(
        reply.headers["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    let metrics = send(&proxy, "GET", "/metrics", None, None).await.text;
    assert!(
        metrics.contains("portal_proxy_upstream_calls_total 3"),
        "a read is tried three times: {metrics}"
    );
    assert_eq!(send(&proxy, "GET", "/readyz", None, None).await.status, 503);
    proxy.shutdown().await;
}
