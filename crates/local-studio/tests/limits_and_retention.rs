//! The limits that keep one caller from growing or reading what is not theirs, over real
//! HTTP: tags are bounded, client tokens belong to the credential that sent them, paging
//! tokens are checked, and what is kept only for a while (client tokens, expired streams,
//! DELETED sessions) is purged by the reconciler once its time is up. Time is moved with
//! `advance_clock`, which wakes the reconciler, so nothing here waits for real hours.

use test_support as support;

use local_studio::{Config, Credential};
use serde_json::{json, Value};
use std::time::Duration;
use support::*;

const HOUR: Duration = Duration::from_secs(3600);

/// Asks `probe` until it says yes (the reconciler purges on its own time), for up to 10 s.
async fn eventually<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if probe().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 10 s");
}

fn tags(n: usize, value: &str) -> Value {
    (0..n)
        .map(|i| (format!("k{i}"), json!(value)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[tokio::test]
async fn oversized_tags_answer_400_naming_tags_and_create_nothing() {
    let studio = start(test_config()).await;
    let before = studio.walk("").await.len();
    let huge = json!({"launchProfileId": "lp-artist", "ownedBy": "carol", "tags": {"k": "v".repeat(900_000)}});
    for (what, body) in [
        ("a 900 KB value", huge),
        (
            "51 tags",
            json!({"launchProfileId": "lp-artist", "tags": tags(51, "v")}),
        ),
        (
            "a 129-character key",
            json!({"launchProfileId": "lp-artist", "tags": {"k".repeat(129): "v"}}),
        ),
        (
            "an empty key",
            json!({"launchProfileId": "lp-artist", "tags": {"": "v"}}),
        ),
        (
            "a 257-character value",
            json!({"launchProfileId": "lp-artist", "tags": {"k": "v".repeat(257)}}),
        ),
    ] {
        let reply = studio.call("POST", SESSIONS, Some(body), None).await;
        // The body of an accepted create would echo all the tags: name only the state.
        let session = &reply.json["session"];
        assert_eq!(reply.status, 400, "{what}: accepted, {}", session["state"]);
        assert_eq!(reply.error_type(), "ValidationException", "{what}");
        assert_eq!(reply.json["context"]["field"], "tags", "{what}");
    }
    assert_eq!(
        studio.walk("").await.len(),
        before,
        "a refused create made a session"
    );

    // The most the limits allow is fine.
    let mut most = tags(49, &"v".repeat(256));
    most["k".repeat(128)] = json!("v".repeat(256));
    let body = json!({"launchProfileId": "lp-artist", "ownedBy": "carol", "tags": most});
    let reply = studio.call("POST", SESSIONS, Some(body), None).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["session"]["tags"].as_object().unwrap().len(), 50);
}

#[tokio::test]
async fn client_tokens_are_scoped_to_the_credential_that_sent_them() {
    let other = Credential::parse("OTHERKEY:other-secret:bob").unwrap();
    let studio = start(Config {
        credentials: vec![Credential::dev(), other.clone()],
        ..test_config()
    })
    .await;
    let bobs = Client {
        credential: other,
        ..studio.client.clone()
    };
    let body = json!({"launchProfileId": "lp-review", "ownedBy": "bob"});
    let create = |client: &Client| {
        let (client, body) = (client.clone(), body.clone());
        async move {
            let reply = client
                .call("POST", SESSIONS, Some(body), Some("shared-token"))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.json);
            reply.json["session"].clone()
        }
    };
    let first = create(&studio.client).await;
    let second = create(&bobs).await;
    assert_ne!(
        first["sessionId"], second["sessionId"],
        "another credential's token replayed the first caller's response"
    );
    assert_eq!(second["createdBy"], "bob");
    // Each caller's own retry still replays its own response.
    assert_eq!(
        create(&studio.client).await["sessionId"],
        first["sessionId"]
    );
    assert_eq!(create(&bobs).await["sessionId"], second["sessionId"]);
}

#[tokio::test]
async fn malformed_launch_profile_tokens_answer_400_and_issued_ones_page() {
    let studio = start(test_config()).await;
    let path = format!("/2020-08-01/studios/{STUDIO}/launch-profiles");
    let first = studio.get(&format!("{path}?maxResults=1")).await;
    assert_eq!(first.status, 200, "{}", first.json);
    let token = first.json["nextToken"].as_str().unwrap().to_owned();
    let second = studio
        .get(&format!("{path}?maxResults=1&nextToken={token}"))
        .await;
    assert_eq!(second.status, 200, "{}", second.json);
    assert_ne!(first.json["launchProfiles"], second.json["launchProfiles"]);

    for bad in [
        "18446744073709551615",
        "18446744073709551600",
        "99",
        "-1",
        "+1",
        "01",
        "1.0",
        "",
        "abc",
    ] {
        let reply = studio
            .get(&format!("{path}?maxResults=100&nextToken={bad}"))
            .await;
        assert_eq!(reply.status, 400, "nextToken={bad:?}: {}", reply.json);
        assert_eq!(reply.error_type(), "ValidationException", "{bad:?}");
        assert_eq!(reply.json["context"]["field"], "nextToken", "{bad:?}");
    }
}

#[tokio::test]
async fn expired_streams_are_purged_after_an_hour_and_client_tokens_after_a_day() {
    let studio = start(test_config()).await;
    let body = json!({"launchProfileId": "lp-review", "ownedBy": "carol"});
    let create = || async {
        let reply = studio
            .call("POST", SESSIONS, Some(body.clone()), Some("day-token"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        reply.json["session"]["sessionId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let id = create().await;
    let stream = studio
        .call(
            "POST",
            &format!("{SESSIONS}/{id}/streams"),
            Some(json!({"expirationInSeconds": 60})),
            None,
        )
        .await;
    let stream_path = format!(
        "{SESSIONS}/{id}/streams/{}",
        stream.json["stream"]["streamId"].as_str().unwrap()
    );

    // Expired, but kept for an hour: still readable, as DELETED.
    studio.server.advance_clock(Duration::from_secs(120));
    let expired = studio.get(&stream_path).await;
    assert_eq!(
        expired.json["stream"]["state"], "DELETED",
        "{}",
        expired.json
    );

    // Past the hour (and within the day): the stream is gone, the token still replays.
    studio.server.advance_clock(23 * HOUR);
    eventually("the purge of an expired stream", || async {
        studio.get(&stream_path).await.status == 404
    })
    .await;
    assert_eq!(
        create().await,
        id,
        "a client token was forgotten within a day"
    );

    // Past the day, the same token is a new request.
    studio.server.advance_clock(HOUR + Duration::from_secs(120));
    eventually("the purge of a day-old client token", || async {
        create().await != id
    })
    .await;
}

#[tokio::test]
async fn deleted_sessions_stay_readable_until_their_retention_ends() {
    let studio = start(Config {
        deleted_retention: 2 * HOUR,
        ..test_config()
    })
    .await;
    let delete = |id: String| {
        let client = studio.client.clone();
        async move {
            let reply = client
                .call("DELETE", &format!("{SESSIONS}/{id}"), None, None)
                .await;
            assert_eq!(reply.status, 200, "{}", reply.json);
            assert_eq!(client.session(&id).await["state"], "DELETED");
        }
    };
    let early = studio.create("carol").await;
    delete(early.clone()).await;
    studio.server.advance_clock(HOUR);
    let late = studio.create("carol").await;
    delete(late.clone()).await;

    studio.server.advance_clock(HOUR + Duration::from_secs(120));
    let early_path = format!("{SESSIONS}/{early}");
    eventually("the purge of a session deleted 2 h ago", || async {
        studio.get(&early_path).await.status == 404
    })
    .await;
    let gone = studio.get(&early_path).await;
    assert_eq!(gone.error_type(), "ResourceNotFoundException");
    // Deleted an hour later, the other is still within its retention.
    assert_eq!(studio.session(&late).await["state"], "DELETED");
    let listed: Vec<Value> = studio.walk("").await;
    assert!(listed.iter().all(|s| s["sessionId"] != early.as_str()));
    assert!(listed.iter().any(|s| s["sessionId"] == late.as_str()));
}
