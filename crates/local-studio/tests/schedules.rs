//! Working-hours schedules over signed HTTP, on local-studio's clock (moved forward with
//! `advance_clock`): a stopped workstation starts before its day begins and is READY when
//! it does, warns before the day's end and stops at it (Keep running calls that off); a
//! schedule edited while its start is pending moves the start; and a start in flight
//! when local-studio restarts finishes after it, the next day then planned.
//! Daylight-saving changes and midnight are `lifecycle/schedule.rs`'s unit tests.

use jiff::{tz::TimeZone, Timestamp, ToSpan};
use local_studio::{Config, Storage};
use serde_json::{json, Value};
use std::time::Duration;
use test_support::{start, Studio};

const SESSIONS: &str = "/2020-08-01/studios/day-studio/streaming-sessions";

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "day-studio"
time_zone = "Europe/London"

[[studios.launch_profiles]]
launchProfileId = "lp-day"
name = "Day shift"
stop_warning_minutes = 10
schedule = { day_end = "always" }
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]

[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#;

struct Day {
    /// Tomorrow in London, as the API names its weekday.
    weekday: &'static str,
    begins_ms: i64,
    ends_ms: i64,
}

/// Tomorrow, 09:00 to 18:00 in London.
fn tomorrow() -> Day {
    let london = TimeZone::get("Europe/London").unwrap();
    let date = Timestamp::now()
        .to_zoned(london.clone())
        .date()
        .tomorrow()
        .unwrap();
    let at = |hour: i8| {
        date.at(hour, 0, 0, 0)
            .to_zoned(london.clone())
            .unwrap()
            .timestamp()
            .as_millisecond()
    };
    let names = nimble_model::WEEKDAY_NAMES;
    Day {
        weekday: names[date.weekday().to_monday_zero_offset() as usize],
        begins_ms: at(9),
        ends_ms: at(18),
    }
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

fn ms(value: &Value) -> i64 {
    value
        .as_str()
        .unwrap()
        .parse::<Timestamp>()
        .unwrap()
        .as_millisecond()
}

/// Moves the studio's clock to `at_ms` (from the real clock plus `moved`).
fn move_to(studio: &Studio, moved: &mut i64, at_ms: i64) {
    let by = at_ms - (now_ms() + *moved);
    assert!(by > 0, "the clock only moves forward");
    studio
        .server
        .advance_clock(Duration::from_millis(by as u64));
    *moved += by;
}

async fn studio(storage: Storage, transition: Duration) -> (Studio, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("studio.toml");
    std::fs::write(&file, STUDIO_TOML).unwrap();
    let config = Config {
        studio_config: Some(file),
        storage,
        transition,
        ..Config::default()
    };
    (start(config).await, dir)
}

/// A stopped workstation of alice's; its id.
async fn stopped_workstation(studio: &Studio) -> String {
    let body = json!({"launchProfileId": "lp-day", "ownedBy": "alice"});
    let id = studio.create_in(SESSIONS, body).await;
    studio.wait_for_state(SESSIONS, &id, "READY").await;
    studio.act(SESSIONS, &id, "stop", json!({})).await;
    studio.wait_for_state(SESSIONS, &id, "STOPPED").await;
    id
}

async fn put_week(studio: &Studio, id: &str, days: Value) -> Value {
    let path = format!("{SESSIONS}/{id}/schedule");
    let reply = studio
        .call("PUT", &path, Some(json!({ "days": days })), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    reply.json["schedule"].clone()
}

#[tokio::test]
async fn a_scheduled_day_starts_before_it_begins_and_stops_at_its_end_after_a_warning() {
    let (studio, _dir) = studio(Storage::InMemory, Duration::from_millis(300)).await;
    let id = stopped_workstation(&studio).await;
    let day = tomorrow();
    let week = json!({ day.weekday: {"start": "09:00", "end": "18:00"} });
    let schedule = put_week(&studio, &id, week.clone()).await;
    assert_eq!(schedule["days"], week);
    assert_eq!(schedule["timeZone"], "Europe/London");
    let starts = ms(&schedule["nextStartAt"]);
    // Led by the measured start (0.3 s) and a margin (a minute).
    let lead = day.begins_ms - starts;
    assert!((60_000..=61_000).contains(&lead), "lead {lead} ms");

    // Just before: nothing. At it: started by the system, READY before the day begins.
    let mut moved = 0;
    move_to(&studio, &mut moved, starts - 2_000);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(studio.session_in(SESSIONS, &id).await["state"], "STOPPED");
    move_to(&studio, &mut moved, starts + 10);
    let ready = studio.wait_for_state(SESSIONS, &id, "READY").await;
    assert_eq!(ready["startedBy"], "system");
    assert!(ms(&ready["updatedAt"]) < day.begins_ms, "{ready}");
    assert_eq!(ms(&ready["stopAt"]), day.ends_ms, "the day's end");

    // Ten minutes before the end: the warning; at the end, the stop, saying why.
    move_to(&studio, &mut moved, day.ends_ms - 10 * 60_000 + 100);
    let warned = until(&studio, &id, |s| !s["stopWarning"].is_null()).await;
    assert_eq!(warned["stopWarning"]["reason"], "SCHEDULE");
    move_to(&studio, &mut moved, day.ends_ms + 100);
    let stopped = studio.wait_for_state(SESSIONS, &id, "STOPPED").await;
    assert_eq!(stopped["stoppedBy"], "system");
    assert_eq!(
        stopped["statusMessage"],
        "Stopped at the end of the working day"
    );
    // The next start is a week on.
    let path = format!("{SESSIONS}/{id}/schedule");
    let next = ms(&studio.get(&path).await.json["schedule"]["nextStartAt"]);
    assert_eq!(
        next,
        starts + 7 * 24 * 3_600_000 - shift(day.begins_ms, 7),
        "a week on"
    );
}

/// How much earlier (ms) the same local time is `days` later, across a daylight-saving
/// change in London (0 on most weeks).
fn shift(from_ms: i64, days: i64) -> i64 {
    let london = TimeZone::get("Europe/London").unwrap();
    let from = Timestamp::from_millisecond(from_ms)
        .unwrap()
        .to_zoned(london);
    let later = from.checked_add(days.days()).unwrap();
    from_ms + days * 24 * 3_600_000 - later.timestamp().as_millisecond()
}

#[tokio::test]
async fn keep_running_calls_off_the_days_end_and_an_edit_moves_a_pending_start() {
    let (studio, _dir) = studio(Storage::InMemory, Duration::from_millis(300)).await;
    let id = stopped_workstation(&studio).await;
    let day = tomorrow();
    let schedule = put_week(
        &studio,
        &id,
        json!({ day.weekday: {"start": "09:00", "end": "18:00"} }),
    )
    .await;
    let starts = ms(&schedule["nextStartAt"]);
    // Edited while pending: the day now begins at 11:00, two hours later.
    let schedule = put_week(
        &studio,
        &id,
        json!({ day.weekday: {"start": "11:00", "end": "18:00"} }),
    )
    .await;
    assert_eq!(ms(&schedule["nextStartAt"]), starts + 2 * 3_600_000);
    let mut moved = 0;
    move_to(&studio, &mut moved, starts + 60_000);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        studio.session_in(SESSIONS, &id).await["state"],
        "STOPPED",
        "the old start is gone"
    );
    move_to(&studio, &mut moved, starts + 2 * 3_600_000 + 10);
    let ready = studio.wait_for_state(SESSIONS, &id, "READY").await;
    assert_eq!(ms(&ready["stopAt"]), day.ends_ms, "{ready}");

    // Warned of the day's end, Keep running calls it off: the next stop is next week's end.
    move_to(&studio, &mut moved, day.ends_ms - 5 * 60_000);
    until(&studio, &id, |s| s["stopWarning"]["reason"] == "SCHEDULE").await;
    let kept = studio.act(SESSIONS, &id, "keep-running", json!({})).await;
    assert!(kept["stopWarning"].is_null(), "{kept}");
    let next_end = day.ends_ms + 7 * 24 * 3_600_000 - shift(day.ends_ms, 7);
    assert_eq!(ms(&kept["stopAt"]), next_end, "{kept}");
    move_to(&studio, &mut moved, day.ends_ms + 60_000);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(studio.session_in(SESSIONS, &id).await["state"], "READY");

    // A day that is not a weekday, or a time that is not HH:MM: 400, and nothing changes.
    let path = format!("{SESSIONS}/{id}/schedule");
    let before = studio.get(&path).await.json;
    for days in [
        json!({"FUNDAY": {"start": "09:00", "end": "17:00"}}),
        json!({ day.weekday: {"start": "9am", "end": "17:00"} }),
    ] {
        let reply = studio
            .call("PUT", &path, Some(json!({ "days": days })), None)
            .await;
        assert_eq!(reply.status, 400, "{}", reply.json);
        assert!(
            reply.json["message"].as_str().unwrap().contains("days"),
            "{}",
            reply.json
        );
    }
    assert_eq!(studio.get(&path).await.json, before);
}

#[tokio::test]
async fn a_start_in_flight_when_local_studio_restarts_finishes_after_it() {
    let data = tempfile::tempdir().unwrap();
    let storage = || Storage::Dir(data.path().to_owned());
    // A start takes two seconds: long enough to restart in the middle of it.
    let (studio, _dir) = studio(storage(), Duration::from_secs(2)).await;
    let id = stopped_workstation(&studio).await;
    let day = tomorrow();
    let schedule = put_week(
        &studio,
        &id,
        json!({ day.weekday: {"start": "09:00", "end": "18:00"} }),
    )
    .await;
    let starts = ms(&schedule["nextStartAt"]);
    let mut moved = 0;
    move_to(&studio, &mut moved, starts + 10);
    studio
        .wait_for_state(SESSIONS, &id, "START_IN_PROGRESS")
        .await;
    studio.server.shutdown().await;

    // The same store, and the same clock.
    let (studio, _dir) = studio_again(storage(), moved).await;
    let ready = studio.wait_for_state(SESSIONS, &id, "READY").await;
    assert_eq!(ready["startedBy"], "system");
    let path = format!("{SESSIONS}/{id}/schedule");
    let next = ms(&studio.get(&path).await.json["schedule"]["nextStartAt"]);
    assert!(
        next > day.begins_ms,
        "the next working day is planned, not this one again"
    );
}

async fn studio_again(storage: Storage, moved: i64) -> (Studio, tempfile::TempDir) {
    let (studio, dir) = studio(storage, Duration::from_secs(2)).await;
    studio
        .server
        .advance_clock(Duration::from_millis(moved as u64));
    (studio, dir)
}

/// Polls session `id` until `done` holds, for up to 10 s.
async fn until(studio: &Studio, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let session = studio.session_in(SESSIONS, id).await;
        if done(&session) {
            return session;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{}", studio.session_in(SESSIONS, id).await);
}
