//! Every operation, transition and error of local-studio over real HTTP with real SigV4.

use test_support as support;

use local_studio::{Config, Credential, Faults};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use support::*;

fn state(session: &Value) -> &str {
    session["state"].as_str().unwrap_or("")
}

#[tokio::test]
async fn create_goes_through_create_in_progress_to_ready_with_every_field_set() {
    let studio = start(Config {
        transition: Duration::from_millis(300),
        ..test_config()
    })
    .await;
    let body = json!({"launchProfileId": "lp-artist", "ec2InstanceType": "g5.2xlarge", "ownedBy": "alice", "streamingImageId": "img-artist-2026", "tags": {"shot": "010"}});
    let reply = studio.call("POST", SESSIONS, Some(body), None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/json");
    let created = &reply.json["session"];
    assert_eq!(state(created), "CREATE_IN_PROGRESS");
    assert_eq!(
        created["statusCode"],
        "STREAMING_SESSION_CREATE_IN_PROGRESS"
    );
    let id = created["sessionId"].as_str().unwrap();

    tokio::time::sleep(Duration::from_millis(400)).await;
    let session = studio.session(id).await;
    assert_eq!(state(&session), "READY");
    assert_eq!(session["statusCode"], "STREAMING_SESSION_READY");
    for field in [
        "arn",
        "createdAt",
        "createdBy",
        "updatedAt",
        "updatedBy",
        "startedAt",
        "startedBy",
        "stopAt",
        "terminateAt",
    ] {
        if field == "terminateAt" {
            assert!(
                session.get(field).is_none(),
                "a running session has no terminateAt"
            );
            continue;
        }
        assert!(session.get(field).is_some(), "{field} missing: {session}");
    }
    assert_eq!(session["ec2InstanceType"], "g5.2xlarge");
    assert_eq!(session["ownedBy"], "alice");
    assert_eq!(session["createdBy"], "LOCALSTUDIODEV");
    assert_eq!(session["tags"]["shot"], "010");
    assert_eq!(session["sessionPersistenceMode"], "ACTIVATED");
    assert_eq!(session["backupMode"], "AUTOMATIC");
    assert_eq!(session["maxBackupsToRetain"], 3);
    assert_eq!(session["volumeConfiguration"]["size"], 500);
    // stopAt is maxSessionLengthInMinutes (720) after the session became ready.
    let ready = nimble_model::Timestamp::parse(session["updatedAt"].as_str().unwrap()).unwrap();
    let stop_at = nimble_model::Timestamp::parse(session["stopAt"].as_str().unwrap()).unwrap();
    assert_eq!(stop_at.unix_millis() - ready.unix_millis(), 720 * 60 * 1000);
    // Timestamps are RFC 3339 strings in UTC.
    assert!(session["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn stop_start_delete_walk_the_lifecycle_and_deleted_stays_readable() {
    let studio = start(test_config()).await;
    let id = studio.create("alice").await;
    let path = format!("{SESSIONS}/{id}");
    assert_eq!(state(&studio.session(&id).await), "READY");

    let stop = studio
        .call(
            "POST",
            &format!("{path}/stop"),
            Some(json!({"volumeRetentionMode": "DELETE"})),
            None,
        )
        .await;
    assert_eq!(state(&stop.json["session"]), "STOP_IN_PROGRESS");
    let stopped = studio.session(&id).await;
    assert_eq!(state(&stopped), "STOPPED");
    assert_eq!(stopped["statusCode"], "STREAMING_SESSION_STOPPED");
    assert_eq!(stopped["stoppedBy"], "LOCALSTUDIODEV");
    assert_eq!(stopped["volumeRetentionMode"], "DELETE");
    assert!(stopped.get("stoppedAt").is_some() && stopped.get("stopAt").is_none());
    assert!(
        stopped.get("terminateAt").is_some(),
        "automatic termination is on for lp-artist"
    );

    let start_reply = studio
        .call("POST", &format!("{path}/start"), Some(json!({})), None)
        .await;
    assert_eq!(state(&start_reply.json["session"]), "START_IN_PROGRESS");
    let started = studio.session(&id).await;
    assert_eq!(state(&started), "READY");
    assert_eq!(started["statusCode"], "STREAMING_SESSION_STARTED");
    assert!(started.get("terminateAt").is_none() && started.get("stopAt").is_some());

    let delete = studio.call("DELETE", &path, None, None).await;
    assert_eq!(state(&delete.json["session"]), "DELETE_IN_PROGRESS");
    let deleted = studio.session(&id).await;
    assert_eq!(state(&deleted), "DELETED");
    assert_eq!(deleted["statusCode"], "STREAMING_SESSION_DELETED");
}

#[tokio::test]
async fn transitions_the_state_does_not_allow_answer_409_and_change_nothing() {
    let studio = start(Config {
        transition: Duration::from_secs(60),
        ..test_config()
    })
    .await;
    let id = studio.create("alice").await;
    let path = format!("{SESSIONS}/{id}");
    // Everything but reads conflicts while the session is being created.
    for (method, suffix, body) in [
        ("POST", "/stop", Some(json!({}))),
        ("POST", "/start", Some(json!({}))),
        ("DELETE", "", None),
        ("POST", "/streams", Some(json!({}))),
    ] {
        let reply = studio
            .call(method, &format!("{path}{suffix}"), body, None)
            .await;
        assert_eq!(reply.status, 409, "{method} {suffix}: {}", reply.json);
        assert_eq!(reply.error_type(), "ConflictException");
        assert_eq!(reply.json["context"]["resourceId"], id.as_str());
        assert!(reply.json["message"]
            .as_str()
            .unwrap()
            .contains("in progress"));
    }
    assert_eq!(state(&studio.session(&id).await), "CREATE_IN_PROGRESS");

    // Starting a READY session and stopping a STOPPED one conflict too.
    studio.server.advance_clock(Duration::from_secs(61));
    let reply = studio
        .call("POST", &format!("{path}/start"), Some(json!({})), None)
        .await;
    assert_eq!(
        (reply.status, reply.error_type()),
        (409, "ConflictException")
    );
    assert_eq!(state(&studio.session(&id).await), "READY");
}

#[tokio::test]
async fn unknown_studios_sessions_streams_and_backups_answer_404_with_the_resource() {
    let studio = start(test_config()).await;
    let id = studio.create("alice").await;
    for (path, resource) in [
        (
            "/2020-08-01/studios/nowhere/streaming-sessions".to_owned(),
            "nowhere",
        ),
        (format!("{SESSIONS}/ss-missing"), "ss-missing"),
        (
            format!("{SESSIONS}/{id}/streams/str-missing"),
            "str-missing",
        ),
        (format!("{BACKUPS}/bk-missing"), "bk-missing"),
        (
            "/2020-08-01/studios/demo-studio/launch-profiles/lp-missing".to_owned(),
            "lp-missing",
        ),
    ] {
        let reply = studio.get(&path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.error_type(), "ResourceNotFoundException");
        assert_eq!(reply.json["code"], "RESOURCE_NOT_FOUND");
        assert_eq!(reply.json["context"]["resourceId"], resource);
        assert!(reply.headers.contains_key("x-amzn-requestid"));
    }
    let reply = studio
        .call(
            "POST",
            &format!("{SESSIONS}/ss-missing/stop"),
            Some(json!({})),
            None,
        )
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn every_validation_error_names_its_field_and_changes_nothing() {
    let studio = start(test_config()).await;
    let id = studio.create("alice").await;
    let before = studio.walk("").await;
    let cases = [
        (
            "POST",
            SESSIONS.to_owned(),
            json!({"ownedBy": "alice"}),
            "launchProfileId",
        ),
        (
            "POST",
            SESSIONS.to_owned(),
            json!({"launchProfileId": "lp-artist", "ownedBy": "alice", "ec2InstanceType": "p9.huge"}),
            "ec2InstanceType",
        ),
        (
            "POST",
            SESSIONS.to_owned(),
            json!({"launchProfileId": "lp-artist", "ownedBy": "alice", "ec2InstanceType": "g5.xlarge"}),
            "ec2InstanceType",
        ),
        (
            "POST",
            SESSIONS.to_owned(),
            json!({"launchProfileId": "lp-artist", "ownedBy": "alice", "streamingImageId": "bad id!"}),
            "streamingImageId",
        ),
        (
            "POST",
            SESSIONS.to_owned(),
            json!({"launchProfileId": "lp-artist", "ownedBy": "alice", "streamingImageId": "x".repeat(23)}),
            "streamingImageId",
        ),
        (
            "POST",
            SESSIONS.to_owned(),
            json!({"launchProfileId": "lp-artist", "ownedBy": "mallory"}),
            "ownedBy",
        ),
        (
            "POST",
            format!("{SESSIONS}/{id}/stop"),
            json!({"volumeRetentionMode": "BOGUS"}),
            "volumeRetentionMode",
        ),
        (
            "POST",
            format!("{SESSIONS}/{id}/streams"),
            json!({"expirationInSeconds": 59}),
            "expirationInSeconds",
        ),
        (
            "POST",
            format!("{SESSIONS}/{id}/streams"),
            json!({"expirationInSeconds": 3601}),
            "expirationInSeconds",
        ),
        (
            "POST",
            format!("{SESSIONS}/{id}/streams"),
            json!({"expirationInSeconds": "soon"}),
            "body",
        ),
    ];
    for (method, path, body, field) in cases {
        let reply = studio.call(method, &path, Some(body.clone()), None).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.json);
        assert_eq!(reply.error_type(), "ValidationException");
        assert_eq!(reply.json["context"]["field"], field, "{body}");
        assert!(reply.json["message"].as_str().unwrap().contains(field));
    }
    let long_token = "t".repeat(65);
    let reply = studio
        .call(
            "POST",
            &format!("{SESSIONS}/{id}/stop"),
            Some(json!({})),
            Some(&long_token),
        )
        .await;
    assert_eq!(
        (reply.status, reply.json["context"]["field"].as_str()),
        (400, Some("clientToken"))
    );
    let reply = studio
        .get("/2020-08-01/studios/demo-studio/launch-profiles?maxResults=0")
        .await;
    assert_eq!(
        (reply.status, reply.json["context"]["field"].as_str()),
        (400, Some("maxResults"))
    );
    let reply = studio.get(&format!("{SESSIONS}?nextToken=garbage")).await;
    assert_eq!(
        (reply.status, reply.json["context"]["field"].as_str()),
        (400, Some("nextToken"))
    );
    let reply = studio.call("POST", SESSIONS, None, None).await.status;
    assert_eq!(reply, 400);

    // Nothing changed: the same sessions, the target still READY.
    assert_eq!(studio.walk("").await, before);
    assert_eq!(state(&studio.session(&id).await), "READY");
}

#[tokio::test]
async fn path_labels_are_percent_decoded_after_splitting() {
    let studio = start(test_config()).await;
    let reply = studio
        .get("/2020-08-01/studios/demo%2Dstudio/streaming-sessions")
        .await;
    assert_eq!(reply.status, 200, "an encoded '-' decodes to demo-studio");
    let reply = studio
        .get("/2020-08-01/studios/demo-studio%2Fx/streaming-sessions")
        .await;
    assert_eq!(reply.json["context"]["resourceId"], "demo-studio/x");
}

#[tokio::test]
async fn a_repeated_client_token_replays_the_original_response_and_acts_once() {
    let studio = start(test_config()).await;
    let body = json!({"launchProfileId": "lp-review", "ownedBy": "bob"});
    let first = studio
        .call("POST", SESSIONS, Some(body.clone()), Some("token-1"))
        .await;
    let again = studio
        .call("POST", SESSIONS, Some(body), Some("token-1"))
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(
        again.json, first.json,
        "the original response, CREATE_IN_PROGRESS included"
    );
    let bobs = studio.walk("ownedBy=bob").await;
    assert_eq!(
        bobs.len(),
        3,
        "bob's two demo sessions and exactly one new one"
    );

    // The same token with other parameters is refused and changes nothing.
    let other = studio
        .call(
            "POST",
            SESSIONS,
            Some(json!({"launchProfileId": "lp-artist", "ownedBy": "bob"})),
            Some("token-1"),
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(other.json["code"], "IDEMPOTENT_PARAMETER_MISMATCH");
    assert_eq!(other.json["context"]["field"], "clientToken");
    assert_eq!(studio.walk("ownedBy=bob").await.len(), 3);

    // A retried stop with its token does not conflict with itself.
    let id = first.json["session"]["sessionId"].as_str().unwrap();
    let stop = format!("{SESSIONS}/{id}/stop");
    let a = studio
        .call("POST", &stop, Some(json!({})), Some("stop-1"))
        .await;
    let b = studio
        .call("POST", &stop, Some(json!({})), Some("stop-1"))
        .await;
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.json, b.json);
}

#[tokio::test]
async fn pages_walk_every_session_once_while_others_are_created() {
    // The demo studio's launch profiles without its per-user quota, and no demo sessions.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("studio.toml");
    std::fs::write(
        &file,
        local_studio::DEMO_TOML.replace("max_sessions_per_user = 6", ""),
    )
    .unwrap();
    let studio = start(Config {
        page_size: 3,
        demo: false,
        studio_config: Some(file),
        ..test_config()
    })
    .await;
    for _ in 0..10 {
        studio.create("carol").await;
    }
    let existing: Vec<String> = studio
        .walk("ownedBy=carol")
        .await
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(existing.len(), 10);

    // Walk page by page, creating a session between every two pages.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            Some(t) => format!("{SESSIONS}?ownedBy=carol&nextToken={t}"),
            None => format!("{SESSIONS}?ownedBy=carol"),
        };
        let reply = studio.get(&path).await;
        let page = reply.json["sessions"].as_array().unwrap();
        assert!(page.len() <= 3);
        seen.extend(
            page.iter()
                .map(|s| s["sessionId"].as_str().unwrap().to_owned()),
        );
        studio.create("carol").await;
        match reply.json["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    for id in &existing {
        assert_eq!(
            seen.iter().filter(|s| *s == id).count(),
            1,
            "{id} seen once"
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no session twice");
}

#[tokio::test]
async fn list_filters_work_together() {
    let studio = start(test_config()).await;
    let alice: Vec<String> = studio
        .walk("ownedBy=alice")
        .await
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(alice.len(), 3);
    let bob = studio.walk("ownedBy=bob").await;
    assert!(bob.iter().all(|s| s["ownedBy"] == "bob") && bob.len() == 2);
    let picked = format!(
        "ownedBy=alice&sessionIds={}%2C{}",
        alice[0],
        bob[0]["sessionId"].as_str().unwrap()
    );
    let both = studio.walk(&picked).await;
    assert_eq!(both.len(), 1, "sessionIds and ownedBy combine");
    assert_eq!(both[0]["sessionId"], alice[0].as_str());
    assert_eq!(studio.walk("createdBy=alice&ownedBy=bob").await.len(), 0);
    assert_eq!(studio.walk("createdBy=bob&ownedBy=bob").await.len(), 2);
}

#[tokio::test]
async fn streams_become_ready_with_a_secret_url_and_expire() {
    let studio = start(Config {
        transition: Duration::from_millis(200),
        dcv_url_base: Some("https://dcv.example/".into()),
        ..test_config()
    })
    .await;
    let id = studio.create("alice").await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let reply = studio
        .call(
            "POST",
            &format!("{SESSIONS}/{id}/streams"),
            Some(json!({"expirationInSeconds": 300})),
            None,
        )
        .await;
    let stream = &reply.json["stream"];
    assert_eq!(stream["state"], "CREATE_IN_PROGRESS");
    assert!(stream.get("url").is_none(), "no URL before READY");
    let created = nimble_model::Timestamp::parse(stream["createdAt"].as_str().unwrap()).unwrap();
    let expires = nimble_model::Timestamp::parse(stream["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires.unix_millis() - created.unix_millis(), 300_000);
    assert_eq!(
        (stream["ownedBy"].as_str(), stream["createdBy"].as_str()),
        (Some("alice"), Some("LOCALSTUDIODEV"))
    );

    tokio::time::sleep(Duration::from_millis(250)).await;
    let path = format!(
        "{SESSIONS}/{id}/streams/{}",
        stream["streamId"].as_str().unwrap()
    );
    let ready = studio.get(&path).await.json["stream"].clone();
    assert_eq!(
        (ready["state"].as_str(), ready["statusCode"].as_str()),
        (Some("READY"), Some("STREAM_READY"))
    );
    let url = ready["url"].as_str().unwrap();
    assert!(url.starts_with("https://dcv.example/?authToken="), "{url}");
    let second = studio
        .call(
            "POST",
            &format!("{SESSIONS}/{id}/streams"),
            Some(json!({})),
            None,
        )
        .await;
    assert_ne!(second.json["stream"]["streamId"], stream["streamId"]);

    studio.server.advance_clock(Duration::from_secs(301));
    let expired = studio.get(&path).await.json["stream"].clone();
    assert_eq!(expired["state"], "DELETED");
    assert!(expired.get("url").is_none());

    // The default expiration is documented: 120 s.
    let id2 = studio.create("alice").await;
    studio.server.advance_clock(Duration::from_secs(1));
    let default = studio
        .call(
            "POST",
            &format!("{SESSIONS}/{id2}/streams"),
            Some(json!({})),
            None,
        )
        .await
        .json["stream"]
        .clone();
    let created = nimble_model::Timestamp::parse(default["createdAt"].as_str().unwrap()).unwrap();
    let expires = nimble_model::Timestamp::parse(default["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.unix_millis() - created.unix_millis(),
        local_studio::DEFAULT_STREAM_EXPIRATION_SECONDS * 1000
    );
}

#[tokio::test]
async fn automatic_backups_are_retained_up_to_the_limit_and_restore_on_start() {
    let studio = start(test_config()).await;
    let id = studio.create("carol").await;
    let path = format!("{SESSIONS}/{id}");
    let mut backups = Vec::new();
    for _ in 0..4 {
        let stop = studio
            .call("POST", &format!("{path}/stop"), Some(json!({})), None)
            .await;
        assert_eq!(stop.status, 200);
        let listed = studio.get(&format!("{BACKUPS}?ownedBy=carol")).await.json
            ["streamingSessionBackups"]
            .clone();
        backups.push(
            listed.as_array().unwrap().last().unwrap()["backupId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        studio
            .call("POST", &format!("{path}/start"), Some(json!({})), None)
            .await;
    }
    let listed = studio.get(&format!("{BACKUPS}?ownedBy=carol")).await.json
        ["streamingSessionBackups"]
        .clone();
    let kept: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["backupId"].as_str().unwrap())
        .collect();
    assert_eq!(
        kept,
        backups[1..].iter().map(String::as_str).collect::<Vec<_>>(),
        "the oldest is deleted beyond 3"
    );
    let oldest = studio.get(&format!("{BACKUPS}/{}", backups[0])).await;
    assert_eq!(oldest.status, 404);

    let backup = studio.get(&format!("{BACKUPS}/{}", backups[1])).await.json
        ["streamingSessionBackup"]
        .clone();
    assert_eq!(
        (backup["state"].as_str(), backup["sessionId"].as_str()),
        (Some("STOPPED"), Some(id.as_str()))
    );
    assert_eq!(backup["launchProfileId"], "lp-artist");

    // This stop takes a fifth backup, so backups[1] goes; backups[3] is still kept.
    studio
        .call("POST", &format!("{path}/stop"), Some(json!({})), None)
        .await;
    let start = studio
        .call(
            "POST",
            &format!("{path}/start"),
            Some(json!({"backupId": backups[3]})),
            None,
        )
        .await;
    assert_eq!(
        start.json["session"]["startedFromBackupId"],
        backups[3].as_str()
    );
    assert_eq!(state(&studio.session(&id).await), "READY");
    studio
        .call("POST", &format!("{path}/stop"), Some(json!({})), None)
        .await;
    let missing = studio
        .call(
            "POST",
            &format!("{path}/start"),
            Some(json!({"backupId": "bk-nope"})),
            None,
        )
        .await;
    assert_eq!(
        (
            missing.status,
            missing.json["context"]["resourceId"].as_str()
        ),
        (404, Some("bk-nope"))
    );
    assert_eq!(
        state(&studio.session(&id).await),
        "STOPPED",
        "a refused start changes nothing"
    );
}

#[tokio::test]
async fn a_backup_is_in_progress_until_its_stop_completes() {
    let studio = start(Config {
        transition: Duration::from_secs(30),
        ..test_config()
    })
    .await;
    let id = studio.create("carol").await;
    studio.server.advance_clock(Duration::from_secs(31));
    studio
        .call(
            "POST",
            &format!("{SESSIONS}/{id}/stop"),
            Some(json!({})),
            None,
        )
        .await;
    let listed = studio.get(&format!("{BACKUPS}?ownedBy=carol")).await.json
        ["streamingSessionBackups"][0]
        .clone();
    assert_eq!(listed["state"], "STOP_IN_PROGRESS");
    studio.server.advance_clock(Duration::from_secs(31));
    let listed = studio.get(&format!("{BACKUPS}?ownedBy=carol")).await.json
        ["streamingSessionBackups"][0]
        .clone();
    assert_eq!(listed["state"], "STOPPED");
}

#[tokio::test]
async fn sessions_stop_by_themselves_at_stop_at_and_terminate_at_terminate_at() {
    let studio = start(test_config()).await;
    let id = studio.create("carol").await;
    let session = studio.session(&id).await;
    assert_eq!(state(&session), "READY");
    // lp-artist: 720 minutes of running, then 4320 minutes kept stopped.
    studio
        .server
        .advance_clock(Duration::from_secs(720 * 60 + 1));
    let stopped = studio.session(&id).await;
    assert_eq!(state(&stopped), "STOPPED");
    assert_eq!(stopped["stoppedBy"], "system");
    assert_eq!(stopped["stoppedAt"], session["stopAt"]);
    let backups = studio.get(&format!("{BACKUPS}?ownedBy=carol")).await.json
        ["streamingSessionBackups"]
        .clone();
    assert_eq!(
        backups.as_array().unwrap().len(),
        1,
        "an automatic stop takes a backup too"
    );
    studio
        .server
        .advance_clock(Duration::from_secs(4320 * 60 + 1));
    assert_eq!(state(&studio.session(&id).await), "DELETED");
}

#[tokio::test]
async fn launch_profiles_are_listed_and_read() {
    let studio = start(test_config()).await;
    let reply = studio
        .get("/2020-08-01/studios/demo-studio/launch-profiles?maxResults=1")
        .await;
    let profiles = reply.json["launchProfiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1);
    let next = reply.json["nextToken"].as_str().unwrap();
    let rest = studio
        .get(&format!(
            "/2020-08-01/studios/demo-studio/launch-profiles?maxResults=1&nextToken={next}"
        ))
        .await;
    assert_eq!(
        rest.json["launchProfiles"][0]["launchProfileId"],
        "lp-review"
    );
    assert!(rest.json.get("nextToken").is_none());
    let one = studio
        .get("/2020-08-01/studios/demo-studio/launch-profiles/lp-artist")
        .await;
    let config = &one.json["launchProfile"]["streamConfiguration"];
    assert_eq!(
        config["ec2InstanceTypes"],
        json!(["g4dn.xlarge", "g4dn.2xlarge", "g5.2xlarge"])
    );
    assert_eq!(one.json["launchProfile"]["state"], "READY");
    let none = studio
        .get("/2020-08-01/studios/demo-studio/launch-profiles?states=DELETED")
        .await;
    assert_eq!(none.json["launchProfiles"], json!([]));
}

#[tokio::test]
async fn unsigned_malformed_expired_and_wrong_signatures_answer_403_and_run_nothing() {
    let studio = start(test_config()).await;
    let create = json!({"launchProfileId": "lp-review", "ownedBy": "carol"}).to_string();
    let headers = [("content-type", "application/json")];

    let unsigned = studio.send_unsigned("POST", SESSIONS, &headers).await;
    let malformed = studio
        .send_unsigned(
            "POST",
            SESSIONS,
            &[
                ("authorization", "AWS4-HMAC-SHA256 garbage"),
                ("x-amz-date", "20261125T000000Z"),
            ],
        )
        .await;
    let old = SystemTime::now() - Duration::from_secs(6 * 60);
    let expired = studio
        .send(
            "POST",
            SESSIONS,
            &headers,
            create.as_bytes(),
            &studio.credential,
            old,
        )
        .await;
    let wrong_secret = Credential {
        secret_access_key: "not-the-secret".into(),
        ..Credential::dev()
    };
    let wrong = studio
        .send(
            "POST",
            SESSIONS,
            &headers,
            create.as_bytes(),
            &wrong_secret,
            SystemTime::now(),
        )
        .await;
    let unknown_key = Credential {
        access_key_id: "AKIDUNKNOWN".into(),
        ..Credential::dev()
    };
    let unknown = studio
        .send(
            "POST",
            SESSIONS,
            &headers,
            create.as_bytes(),
            &unknown_key,
            SystemTime::now(),
        )
        .await;
    for (reply, words) in [
        (unsigned, "not signed"),
        (malformed, "not a valid"),
        (expired, "expired"),
        (wrong, "does not match"),
        (unknown, "unknown access key"),
    ] {
        assert_eq!(reply.status, 403, "{words}");
        assert_eq!(reply.error_type(), "AccessDeniedException");
        assert!(
            reply.json["message"].as_str().unwrap().contains(words),
            "{}",
            reply.json
        );
    }
    assert_eq!(studio.walk("ownedBy=carol").await.len(), 0, "nothing ran");

    // A body changed after signing fails too.
    let signed_for = json!({"launchProfileId": "lp-review"}).to_string();
    let url = studio.url(SESSIONS);
    let host = studio.addr.to_string();
    let auth = signature_headers(
        "POST",
        &url,
        &[("host", &host), ("content-type", "application/json")],
        signed_for.as_bytes(),
        &studio.credential,
        SystemTime::now(),
    );
    let mut request = studio
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(create.clone());
    for (k, v) in auth {
        request = request.header(k, v);
    }
    assert_eq!(request.send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn other_credentials_act_as_their_user_and_any_region_is_accepted() {
    let artist = Credential::parse("AKIDCAROL:carol-secret:carol").unwrap();
    let studio = start(Config {
        credentials: vec![Credential::dev(), artist.clone()],
        ..test_config()
    })
    .await;
    let body = json!({"launchProfileId": "lp-review"}).to_string();
    let reply = studio
        .send(
            "POST",
            SESSIONS,
            &[("content-type", "application/json")],
            body.as_bytes(),
            &artist,
            SystemTime::now(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["session"]["createdBy"], "carol");
    assert_eq!(
        reply.json["session"]["ownedBy"], "carol",
        "ownedBy defaults to the caller"
    );
}

#[tokio::test]
async fn injected_faults_throttle_fail_and_break_transitions_with_real_codes() {
    let studio = start(test_config()).await;
    studio.server.set_faults(Faults {
        throttle: 1.0,
        ..Faults::default()
    });
    let reply = studio.get(SESSIONS).await;
    assert_eq!(
        (reply.status, reply.error_type()),
        (429, "ThrottlingException")
    );
    studio.server.set_faults(Faults {
        internal_error: 1.0,
        ..Faults::default()
    });
    let reply = studio.get(SESSIONS).await;
    assert_eq!(
        (reply.status, reply.error_type()),
        (500, "InternalServerErrorException")
    );
    assert!(
        reply.json["message"].is_string(),
        "5xx always has a JSON body"
    );

    studio.server.set_faults(Faults {
        transition_failure: 1.0,
        ..Faults::default()
    });
    let failed = studio
        .call(
            "POST",
            SESSIONS,
            Some(json!({"launchProfileId": "lp-review", "ownedBy": "carol"})),
            None,
        )
        .await;
    let id = failed.json["session"]["sessionId"].as_str().unwrap();
    let session = studio.session(id).await;
    assert_eq!(
        (state(&session), session["statusCode"].as_str()),
        ("CREATE_FAILED", Some("INSUFFICIENT_CAPACITY"))
    );
    assert!(!session["statusMessage"].as_str().unwrap().is_empty());
    studio.server.set_faults(Faults::default());
    assert_eq!(studio.get(SESSIONS).await.status, 200);
}

#[tokio::test]
async fn a_quota_of_sessions_per_user_answers_402() {
    let studio = start(test_config()).await;
    // demo-studio allows 6 live sessions per user.
    for _ in 0..6 {
        studio.create("carol").await;
    }
    let reply = studio
        .call(
            "POST",
            SESSIONS,
            Some(json!({"launchProfileId": "lp-review", "ownedBy": "carol"})),
            None,
        )
        .await;
    assert_eq!(
        (reply.status, reply.error_type()),
        (402, "ServiceQuotaExceededException")
    );
    assert_eq!(studio.walk("ownedBy=carol").await.len(), 6);
}

#[tokio::test]
async fn unknown_routes_answer_404_in_the_api_error_format() {
    let studio = start(test_config()).await;
    let reply = studio
        .get("/2020-08-01/studios/demo-studio/nothing-here")
        .await;
    assert_eq!(
        (reply.status, reply.error_type()),
        (404, "ResourceNotFoundException")
    );
    let reply = studio.call("PUT", SESSIONS, Some(json!({})), None).await;
    assert_eq!(reply.status, 404);
}

/// Newcomer 2: a simulated workstation's Connect opened `https://dcv.local-studio.invalid/`,
/// a dead page. By default its stream URL is local-studio's own page saying it is simulated.
#[tokio::test]
async fn a_simulated_workstation_connects_to_a_page_that_says_so() {
    let studio = start(Config {
        transition: Duration::ZERO,
        ..test_config()
    })
    .await;
    let id = studio.create("alice").await;
    let (url, _token) = studio.new_stream(SESSIONS, &id, 60).await;
    let page = format!("http://{}/desktop/simulated?authToken=", studio.addr);
    assert!(url.starts_with(&page), "{url}");
    let reply = reqwest::get(&url).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["referrer-policy"], "no-referrer");
    let body = reply.text().await.unwrap();
    assert!(body.contains("This workstation is simulated"), "{body}");
}
