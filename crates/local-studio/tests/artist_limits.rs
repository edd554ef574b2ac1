//! Per-artist limits over signed HTTP: workstations READY at once and READY hours per
//! calendar month, per studio and per launch profile. The next start beyond a limit is
//! refused with ServiceQuotaExceededException naming it, and changes nothing; an admin's
//! limit for one artist replaces the studio's; sessions already READY are never stopped by a
//! limit change. Time is moved with `advance_clock`.

use local_studio::Config;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::{start, Studio};

const SESSIONS: &str = "/2020-08-01/studios/limit-studio/streaming-sessions";
const USAGE: &str = "/2020-08-01/studios/limit-studio/artists/alice/usage";
const LIMITS: &str = "/2020-08-01/studios/limit-studio/artists/alice/limits";

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "limit-studio"
time_zone = "Europe/London"
limits = { ready_at_once = 1 }

[[studios.launch_profiles]]
launchProfileId = "lp-any"
name = "Any"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]

[[studios.launch_profiles]]
launchProfileId = "lp-gpu"
name = "GPU"
limits = { hours_per_month = 1 }
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]

[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#;

async fn studio() -> (Studio, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("studio.toml");
    std::fs::write(&file, STUDIO_TOML).unwrap();
    let config = Config {
        studio_config: Some(file),
        transition: Duration::from_millis(100),
        ..Config::default()
    };
    (start(config).await, dir)
}

async fn create(studio: &Studio, profile: &str) -> test_support::Reply {
    let body = json!({"launchProfileId": profile, "ownedBy": "alice"});
    studio.call("POST", SESSIONS, Some(body), None).await
}

fn refused(reply: &test_support::Reply, quota: &str) -> String {
    assert_eq!(reply.status, 402, "{}", reply.json);
    assert_eq!(reply.error_type(), "ServiceQuotaExceededException");
    assert_eq!(reply.json["context"]["quota"], quota, "{}", reply.json);
    reply.json["message"].as_str().unwrap().to_owned()
}

async fn sessions(studio: &Studio) -> Value {
    studio.get(SESSIONS).await.json["sessions"].clone()
}

async fn usage_line(studio: &Studio, profile: Option<&str>) -> Value {
    let usage = studio.get(USAGE).await;
    assert_eq!(usage.status, 200, "{}", usage.json);
    let lines = usage.json["usage"]["lines"].as_array().unwrap().clone();
    lines
        .into_iter()
        .find(|l| l["launchProfileId"].as_str() == profile)
        .unwrap_or_else(|| panic!("no line for {profile:?}: {}", usage.json))
}

#[tokio::test]
async fn the_next_start_beyond_a_limit_is_refused_and_ready_sessions_keep_running() {
    let (studio, _dir) = studio().await;
    let first = create(&studio, "lp-any").await.json["session"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    studio.wait_for_state(SESSIONS, &first, "READY").await;

    // One at once, studio-wide: a second is refused, and nothing is created.
    let before = sessions(&studio).await;
    let said = refused(&create(&studio, "lp-gpu").await, "ready_at_once");
    assert!(
        said.contains("the most this studio allows at once (1)"),
        "{said}"
    );
    assert_eq!(sessions(&studio).await, before, "a refusal changes nothing");
    let line = usage_line(&studio, None).await;
    assert_eq!(
        (line["readyNow"].clone(), line["readyAtOnce"].clone()),
        (json!(1), json!(1))
    );

    // Stopped, it no longer counts: the GPU workstation starts.
    studio.act(SESSIONS, &first, "stop", json!({})).await;
    studio.wait_for_state(SESSIONS, &first, "STOPPED").await;
    let gpu = create(&studio, "lp-gpu").await.json["session"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    studio.wait_for_state(SESSIONS, &gpu, "READY").await;

    // An hour and a bit READY: the GPU profile's hour a month is used up.
    studio.server.advance_clock(Duration::from_secs(3_700));
    studio.act(SESSIONS, &gpu, "stop", json!({})).await;
    studio.wait_for_state(SESSIONS, &gpu, "STOPPED").await;
    let start = format!("{SESSIONS}/{gpu}/start");
    let reply = studio.call("POST", &start, Some(json!({})), None).await;
    let said = refused(&reply, "hours_per_month");
    assert!(
        said.contains("of the 1 hours launch profile \"GPU\" allows"),
        "{said}"
    );
    let line = usage_line(&studio, Some("lp-gpu")).await;
    assert_eq!(line["hoursPerMonth"], 1);
    assert!(line["hoursThisMonth"].as_f64().unwrap() >= 1.0, "{line}");
    assert_eq!(
        studio.session_in(SESSIONS, &gpu).await["state"],
        "STOPPED",
        "the refused start changed nothing"
    );

    // An admin raises alice's GPU hours: she starts again.
    let raise = json!({"launchProfileId": "lp-gpu", "hoursPerMonth": 10});
    let reply = studio.call("PUT", LIMITS, Some(raise), None).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    studio.act(SESSIONS, &gpu, "start", json!({})).await;
    studio.wait_for_state(SESSIONS, &gpu, "READY").await;

    // A lower limit while it runs: it keeps running; only the next start is refused.
    let none = json!({"readyAtOnce": 0});
    assert_eq!(
        studio.call("PUT", LIMITS, Some(none), None).await.status,
        200
    );
    studio.server.advance_clock(Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(studio.session_in(SESSIONS, &gpu).await["state"], "READY");
    let start = format!("{SESSIONS}/{first}/start");
    let reply = studio.call("POST", &start, Some(json!({})), None).await;
    refused(&reply, "ready_at_once");
}

#[tokio::test]
async fn bad_limits_are_refused_naming_the_field_and_change_nothing() {
    let (studio, _dir) = studio().await;
    let before = studio.get(USAGE).await.json;
    for (body, status, named) in [
        (json!({"hoursPerMonth": -1}), 400, "hoursPerMonth"),
        (json!({"readyAtOnce": "two"}), 400, "body"),
        (
            json!({"launchProfileId": "lp-none", "readyAtOnce": 2}),
            404,
            "lp-none",
        ),
    ] {
        let reply = studio.call("PUT", LIMITS, Some(body.clone()), None).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.json);
        assert!(
            reply.json.to_string().contains(named),
            "{body}: {}",
            reply.json
        );
    }
    assert_eq!(studio.get(USAGE).await.json, before);
}
