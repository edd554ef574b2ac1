//! Live updates at the proxy (`GET /api/events`), read with a raw SSE client against a
//! real local-studio: each artist's stream carries only their own sessions (admins see
//! all), the route keeps every /api rule, an upstream without a watch is polled once for
//! everyone, and a restart of local-studio loses no event.

use portal_proxy::{ProxyConfig, RunningProxy, Upstream};
use serde_json::{json, Value};
use std::time::Duration;
use test_support::{send_as, SseClient, SseEvent};

const API: &str = "/api/2020-08-01/studios/demo-studio";
const WAIT: Duration = Duration::from_secs(15);

fn studio_config(transition_ms: u64) -> local_studio::Config {
    local_studio::Config {
        demo: true,
        transition: Duration::from_millis(transition_ms),
        ..local_studio::Config::default()
    }
}

/// Artists from `X-User`; carol is an admin.
fn header_config(upstream: Upstream) -> ProxyConfig {
    test_support::gateway_config(upstream, &["carol"])
}

async fn ready_session_of(proxy: &RunningProxy, user: &str) -> String {
    let list = send_as(
        proxy.addr(),
        "GET",
        &format!("{API}/streaming-sessions"),
        Some(user),
        None,
    )
    .await;
    list.json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "READY")
        .and_then(|s| s["sessionId"].as_str())
        .unwrap()
        .to_owned()
}

async fn stop(proxy: &RunningProxy, user: &str, id: &str) {
    let path = format!("{API}/streaming-sessions/{id}/stop");
    let reply = send_as(proxy.addr(), "POST", &path, Some(user), Some(json!({}))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

fn is_state<'a>(id: &'a str, state: &'a str) -> impl Fn(&SseEvent) -> bool + 'a {
    move |e| {
        e.event == "session"
            && e.data["session"]["sessionId"] == id
            && e.data["session"]["state"] == state
    }
}

fn owners(events: &[SseEvent]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.event == "session" || e.event == "stream")
        .map(|e| e.data["session"]["ownedBy"].clone())
        .collect()
}

#[tokio::test]
async fn bobs_event_stream_never_carries_alices_sessions() {
    let proxy =
        test_support::start_proxy(header_config(Upstream::Embedded(studio_config(300)))).await;
    let addr = proxy.addr();
    let mut alice = SseClient::open(addr, "alice").await;
    let mut bob = SseClient::open(addr, "bob").await;
    let mut carol = SseClient::open(addr, "carol").await;
    for (client, user, admin) in [
        (&mut alice, "alice", false),
        (&mut bob, "bob", false),
        (&mut carol, "carol", true),
    ] {
        let hello = client.next(WAIT).await.unwrap();
        assert_eq!(hello.event, "hello");
        assert_eq!(hello.data, json!({"user": user, "admin": admin}));
    }
    let alices = ready_session_of(&proxy, "alice").await;
    let bobs = ready_session_of(&proxy, "bob").await;
    stop(&proxy, "alice", &alices).await;
    let seen = alice.until(WAIT, is_state(&alices, "STOPPED")).await;
    assert!(
        seen.iter().any(is_state(&alices, "STOP_IN_PROGRESS")),
        "{seen:#?}"
    );
    stop(&proxy, "bob", &bobs).await;
    let bob_saw = bob.until(WAIT, is_state(&bobs, "STOPPED")).await;
    let carol_saw = carol.until(WAIT, is_state(&bobs, "STOPPED")).await;

    // A stream of alice's: ready, without its URL, to alice only.
    let path = format!("{API}/streaming-sessions/{}/start", alices);
    assert_eq!(
        send_as(addr, "POST", &path, Some("alice"), Some(json!({})))
            .await
            .status,
        200
    );
    alice.until(WAIT, is_state(&alices, "READY")).await;
    let path = format!("{API}/streaming-sessions/{alices}/streams");
    let created = send_as(addr, "POST", &path, Some("alice"), Some(json!({}))).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let stream = alice
        .until(WAIT, |e| {
            e.event == "stream" && e.data["stream"]["state"] == "READY"
        })
        .await;
    let ready = stream.last().unwrap();
    assert_eq!(ready.data["sessionId"], alices.as_str());
    assert!(ready.data["stream"].get("url").is_none(), "{ready:?}");

    let bob_saw = [bob_saw, bob.drain(Duration::from_millis(700)).await].concat();
    assert!(!bob_saw.is_empty());
    assert!(owners(&bob_saw).iter().all(|o| o == "bob"), "{bob_saw:#?}");
    assert!(bob_saw.iter().all(|e| e.event != "stream"), "{bob_saw:#?}");
    assert!(
        owners(&carol_saw).contains(&json!("alice")) && owners(&carol_saw).contains(&json!("bob"))
    );
    let alice_saw = [seen, alice.drain(Duration::from_millis(300)).await].concat();
    assert!(owners(&alice_saw)
        .iter()
        .all(|o| o == "alice" || o.is_null()));
    proxy.shutdown().await;
}

#[tokio::test]
async fn the_event_stream_keeps_the_rules_of_every_api_route() {
    let mut config = header_config(Upstream::Embedded(studio_config(0)));
    config.live_connections_per_user = 2;
    let proxy = test_support::start_proxy(config).await;
    let addr = proxy.addr();
    let url = format!("http://{addr}/api/events");
    let http = reqwest::Client::new();

    let anonymous = http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let cross_site = http
        .get(&url)
        .header("x-user", "alice")
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);

    let first = SseClient::open(addr, "alice").await;
    let headers = first.response.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache, no-transform");
    assert_eq!(headers["x-accel-buffering"], "no");
    let _second = SseClient::open(addr, "alice").await;
    let third = SseClient::connect(addr, "alice").await.unwrap();
    assert_eq!(third.status(), 429);
    assert_eq!(third.headers()["x-amzn-errortype"], "ThrottlingException");
    // Another artist has places of their own; a closed stream gives its place back.
    SseClient::open(addr, "bob").await;
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        let reply = SseClient::connect(addr, "alice").await.unwrap();
        if reply.status() == 200 {
            again = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "a closed stream's place is given back");
    proxy.shutdown().await;

    let mut off = header_config(Upstream::Embedded(studio_config(0)));
    off.live_updates = false;
    let proxy = test_support::start_proxy(off).await;
    let reply = SseClient::connect(proxy.addr(), "alice").await.unwrap();
    assert_eq!(
        reply.status(),
        404,
        "turned off, the portal falls back to polling"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn an_upstream_without_a_watch_is_polled_once_for_every_browser() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let studio = local_studio::start(
        listener,
        local_studio::Config {
            watch: false,
            ..studio_config(1500)
        },
    )
    .await
    .unwrap();
    let upstream = Upstream::Url {
        endpoint: format!("http://{}", studio.addr()),
        credentials: Some((
            local_studio::Credential::dev().access_key_id,
            local_studio::Credential::dev().secret_access_key,
        )),
    };
    let proxy = test_support::start_proxy(header_config(upstream)).await;
    let addr = proxy.addr();
    let mut alice = SseClient::open(addr, "alice").await;
    let mut pages = Vec::new();
    for i in 0..20 {
        pages.push(SseClient::open(addr, if i % 2 == 0 { "alice" } else { "bob" }).await);
    }
    // Settled: the studio is polled slowly, once for all 21 pages.
    alice.until(WAIT, |e| e.event == "resync").await;
    let before = studio.request_count();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let polls = studio.request_count() - before;
    assert!(
        polls <= 1,
        "{polls} upstream calls in 2 s for 21 idle pages"
    );

    // A stop through the proxy: the poll looks at once, and again while it is in progress.
    let alices = ready_session_of(&proxy, "alice").await;
    stop(&proxy, "alice", &alices).await;
    let seen = alice.until(WAIT, is_state(&alices, "STOPPED")).await;
    assert!(
        seen.iter().any(is_state(&alices, "STOP_IN_PROGRESS")),
        "{seen:#?}"
    );
    let bob_saw = pages[1].drain(Duration::from_millis(300)).await;
    assert!(owners(&bob_saw).iter().all(|o| o == "bob"), "{bob_saw:#?}");
    proxy.shutdown().await;
    studio.shutdown().await;
}

#[tokio::test]
async fn after_local_studio_restarts_the_watch_resumes_without_losing_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let config = || local_studio::Config {
        storage: local_studio::Storage::Dir(dir.path().to_owned()),
        ..studio_config(1500)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let studio_addr = listener.local_addr().unwrap();
    let studio = local_studio::start(listener, config()).await.unwrap();
    let dev = local_studio::Credential::dev();
    let upstream = Upstream::Url {
        endpoint: format!("http://{studio_addr}"),
        credentials: Some((dev.access_key_id, dev.secret_access_key)),
    };
    let proxy = test_support::start_proxy(header_config(upstream)).await;
    let mut alice = SseClient::open(proxy.addr(), "alice").await;
    alice.until(WAIT, |e| e.event == "resync").await;

    let id = ready_session_of(&proxy, "alice").await;
    stop(&proxy, "alice", &id).await;
    alice.until(WAIT, is_state(&id, "STOP_IN_PROGRESS")).await;
    // Down while the stop is in flight; back on the same address and store.
    studio.shutdown().await;
    let listener = tokio::net::TcpListener::bind(studio_addr).await.unwrap();
    let studio = local_studio::start(listener, config()).await.unwrap();

    let seen = alice.until(WAIT, is_state(&id, "STOPPED")).await;
    assert!(
        seen.iter().all(|e| e.event != "resync"),
        "the watch went on from its place, it did not start over: {seen:#?}"
    );
    proxy.shutdown().await;
    studio.shutdown().await;
}
