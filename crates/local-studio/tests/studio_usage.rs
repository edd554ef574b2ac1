//! GetStudioUsage on local-studio's clock (moved with `advance_clock`): READY hours and
//! their cost per owner, launch profile and instance type, across a month boundary, a
//! restart of local-studio, a session deleted mid-month and one stopped by the system;
//! paged; bad queries refused. GetStudioActivity counts every READY workstation's idle time,
//! simulated ones too.

use jiff::Timestamp;
use local_studio::{Config, Storage};
use serde_json::{json, Value};
use std::time::Duration;
use test_support::{start, Studio};

const SESSIONS: &str = "/2020-08-01/studios/cost-studio/streaming-sessions";
const USAGE: &str = "/2020-08-01/studios/cost-studio/usage";

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "cost-studio"
hourly_rates = { "g4dn.xlarge" = 0.5, "g5.2xlarge" = 1.25 }

[[studios.launch_profiles]]
launchProfileId = "lp-free"
name = "No maximum"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge", "g5.2xlarge"]
streamingImageIds = ["img"]

[[studios.launch_profiles]]
launchProfileId = "lp-short"
name = "Two hours at most"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]
maxSessionLengthInMinutes = 120

[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#;

fn ms(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_millisecond()
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

struct Clock {
    moved: i64,
}

impl Clock {
    /// Moves `studio`'s clock to `at_ms`.
    fn to(&mut self, studio: &Studio, at_ms: i64) {
        let by = at_ms - (now_ms() + self.moved);
        assert!(by > 0, "the clock only moves forward");
        studio
            .server
            .advance_clock(Duration::from_millis(by as u64));
        self.moved += by;
    }
}

async fn studio(dir: &std::path::Path) -> Studio {
    let file = dir.join("studio.toml");
    std::fs::write(&file, STUDIO_TOML).unwrap();
    start(Config {
        studio_config: Some(file),
        storage: Storage::Dir(dir.join("data")),
        transition: Duration::ZERO,
        ..Config::default()
    })
    .await
}

async fn create(studio: &Studio, owner: &str, profile: &str, instance: &str) -> String {
    let body = json!({"launchProfileId": profile, "ownedBy": owner, "ec2InstanceType": instance});
    let id = studio.create_in(SESSIONS, body).await;
    studio.wait_for_state(SESSIONS, &id, "READY").await;
    id
}

/// The usage between `from` and `to`, grouped by `group`: key → (hours, cost).
async fn usage(studio: &Studio, from: &str, to: &str, group: &str) -> Vec<(String, f64, f64)> {
    let reply = studio
        .get(&format!("{USAGE}?from={from}&to={to}&groupBy={group}"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    rows(&reply.json)
}

fn rows(json: &Value) -> Vec<(String, f64, f64)> {
    json["usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let number = |v: &Value| v.as_f64().unwrap_or(0.0);
            (
                g["key"].as_str().unwrap().to_owned(),
                number(&g["hours"]),
                number(&g["cost"]),
            )
        })
        .collect()
}

#[tokio::test]
async fn hours_and_cost_hold_across_months_restarts_deletes_and_system_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path()).await;
    let mut clock = Clock { moved: 0 };
    // 2026-12-31 22:00Z: alice's g5 runs three hours, into January, with a restart between.
    clock.to(&studio, ms("2026-12-31T22:00:00Z"));
    let alices = create(&studio, "alice", "lp-free", "g5.2xlarge").await;
    // Bob's two-hour profile: the system stops it at its maximum length.
    let bobs = create(&studio, "bob", "lp-short", "g4dn.xlarge").await;
    clock.to(&studio, ms("2027-01-01T00:30:00Z"));
    studio.server.shutdown().await;
    studio = self::studio(dir.path()).await;
    studio
        .server
        .advance_clock(Duration::from_millis(clock.moved as u64));
    clock.to(&studio, ms("2027-01-01T01:00:00Z"));
    studio.act(SESSIONS, &alices, "stop", json!({})).await;
    studio.wait_for_state(SESSIONS, &alices, "STOPPED").await;
    let stopped = studio.wait_for_state(SESSIONS, &bobs, "STOPPED").await;
    assert_eq!(stopped["stoppedBy"], "system");
    // Carol's runs an hour mid-January, then is deleted: still counted.
    clock.to(&studio, ms("2027-01-15T10:00:00Z"));
    let carols = create(&studio, "carol", "lp-free", "g4dn.xlarge").await;
    clock.to(&studio, ms("2027-01-15T11:00:00Z"));
    studio.act(SESSIONS, &carols, "stop", json!({})).await;
    studio.wait_for_state(SESSIONS, &carols, "STOPPED").await;
    let deleted = studio
        .call("DELETE", &format!("{SESSIONS}/{carols}"), None, None)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.json);

    let december = usage(
        &studio,
        "2026-12-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        "OWNER",
    )
    .await;
    assert_eq!(
        december,
        [("alice".into(), 2.0, 2.5), ("bob".into(), 2.0, 1.0)]
    );
    let january = usage(
        &studio,
        "2027-01-01T00:00:00Z",
        "2027-02-01T00:00:00Z",
        "OWNER",
    )
    .await;
    assert_eq!(
        january,
        [("alice".into(), 1.0, 1.25), ("carol".into(), 1.0, 0.5)]
    );
    let both = "2026-12-01T00:00:00Z";
    let by_type = usage(&studio, both, "2027-02-01T00:00:00Z", "INSTANCE_TYPE").await;
    assert_eq!(
        by_type,
        [
            ("g4dn.xlarge".into(), 3.0, 1.5),
            ("g5.2xlarge".into(), 3.0, 3.75)
        ]
    );
    let by_profile = usage(&studio, both, "2027-02-01T00:00:00Z", "LAUNCH_PROFILE").await;
    assert_eq!(
        by_profile,
        [("lp-free".into(), 4.0, 4.25), ("lp-short".into(), 2.0, 1.0)]
    );

    // The most READY at once, hour by hour, around midnight: alice's and bob's from 22:00,
    // bob's stopped by the system just after midnight, alice's just after 01:00.
    let concurrency = studio
        .get(&format!(
            "{USAGE}/concurrency?from=2026-12-31T21:00:00Z&to=2027-01-01T02:00:00Z&stepMinutes=60"
        ))
        .await;
    assert_eq!(concurrency.status, 200, "{}", concurrency.json);
    let ready: Vec<i64> = concurrency.json["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ready"].as_i64().unwrap())
        .collect();
    assert_eq!(ready, [0, 2, 2, 2, 1]);
    assert_eq!(concurrency.json["peak"], 2);
    assert_eq!(concurrency.json["points"][1]["at"], "2026-12-31T22:00:00Z");
    for query in ["stepMinutes=0", "stepMinutes=1&from=2026-01-01T00:00:00Z"] {
        let path = format!(
            "{USAGE}/concurrency?from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z&{query}"
        );
        let reply = studio.get(&path).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.json);
        assert!(
            reply.json.to_string().contains("stepMinutes"),
            "{}",
            reply.json
        );
    }

    // Paged: one group a page, each once.
    let first = studio
        .get(&format!(
            "{USAGE}?from={both}&to=2027-02-01T00:00:00Z&groupBy=OWNER&maxResults=2"
        ))
        .await
        .json;
    let token = first["nextToken"].as_str().unwrap().to_owned();
    let rest = studio
        .get(&format!("{USAGE}?from={both}&to=2027-02-01T00:00:00Z&groupBy=OWNER&maxResults=2&nextToken={token}"))
        .await
        .json;
    let keys: Vec<String> = [rows(&first), rows(&rest)]
        .concat()
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(keys, ["alice", "bob", "carol"]);
    assert!(rest["nextToken"].is_null());

    // Bad queries: 400, naming the field.
    for (query, field) in [
        ("to=2027-02-01T00:00:00Z&groupBy=OWNER", "from"),
        (
            "from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z&groupBy=OWNER",
            "to",
        ),
        (
            "from=2026-01-01T00:00:00Z&to=2027-02-01T00:00:00Z&groupBy=OWNER",
            "to",
        ),
        (
            "from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z&groupBy=SHOE",
            "groupBy",
        ),
        (
            "from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z&groupBy=OWNER&nextToken=zz",
            "nextToken",
        ),
    ] {
        let reply = studio.get(&format!("{USAGE}?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.json);
        assert!(
            reply.json.to_string().contains(field),
            "{query}: {}",
            reply.json
        );
    }
}

#[tokio::test]
async fn activity_lists_every_ready_workstation_with_its_last_use_simulated_ones_too() {
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(dir.path()).await;
    let ready = create(&studio, "bob", "lp-free", "g4dn.xlarge").await;
    let stopped = create(&studio, "bob", "lp-free", "g4dn.xlarge").await;
    studio.act(SESSIONS, &stopped, "stop", json!({})).await;
    studio.wait_for_state(SESSIONS, &stopped, "STOPPED").await;
    studio.server.advance_clock(Duration::from_secs(2 * 3600));

    let reply = studio.get("/2020-08-01/studios/cost-studio/activity").await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    let sessions = reply.json["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "only the READY one: {}", reply.json);
    assert_eq!(sessions[0]["sessionId"], ready.as_str());
    let at = ms(reply.json["at"].as_str().unwrap());
    let used = ms(sessions[0]["lastUsedAt"].as_str().unwrap());
    assert!(
        at - used >= 2 * 3600 * 1000,
        "idle two hours: {}",
        reply.json
    );
    assert!(sessions[0]["lastViewerAt"].is_null(), "{}", reply.json);
}
