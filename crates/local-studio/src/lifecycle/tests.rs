//! The state machine on its own: timers, driven actions, limits and lost machines.

use super::*;
use nimble_model::{ErrorType, StopReason};

fn ready_session() -> SessionRecord {
    SessionRecord {
        studio_id: "s".into(),
        session: StreamingSession {
            session_id: Some("ss-1".into()),
            state: Some(S::Ready),
            automatic_termination_mode: Some(AutomaticTerminationMode::Activated),
            ..Default::default()
        },
        pending: None,
        max_session_minutes: Some(60),
        max_stopped_minutes: Some(10),
        stop_policy: Default::default(),
        auto_stop: Default::default(),
        schedule: None,
        driver: None,
    }
}

#[test]
fn a_stop_ends_when_due_and_dates_the_end_when_it_was_due() {
    let mut record = ready_session();
    record.begin(Action::Stop, "alice", 1_000, 500, Ok(()));
    assert_eq!(record.state(), S::StopInProgress);
    assert!(!record.settle(1_499, 500).changed);
    assert!(record.settle(10_000, 500).changed);
    assert_eq!(record.state(), S::Stopped);
    assert_eq!(record.session.updated_at.unwrap().unix_millis(), 1_500);
    // Automatic termination is scheduled from when the stop ended.
    assert_eq!(
        record.session.terminate_at.unwrap().unix_millis(),
        1_500 + 600_000
    );
}

#[test]
fn reaching_stop_at_stops_the_session_by_itself() {
    let mut record = ready_session();
    record.session.stop_at = Timestamp::from_unix_millis(5_000);
    let settled = record.settle(5_000 + 100 + 1, 100);
    assert_eq!(settled.stops_begun.len(), 1);
    assert_eq!(record.state(), S::Stopped);
    assert_eq!(record.session.stopped_by.as_deref(), Some(SYSTEM_ACTOR));
    assert_eq!(record.session.stopped_at.unwrap().unix_millis(), 5_000);
}

#[test]
fn failures_end_in_the_failed_state_with_their_code() {
    let mut record = ready_session();
    record.session.state = Some(S::Stopped);
    let failure = (Code::InsufficientCapacity, "no capacity".to_owned());
    record.begin(Action::Start, "alice", 0, 0, Err(failure));
    record.settle(0, 0);
    assert_eq!(record.state(), S::StartFailed);
    assert_eq!(record.session.status_code, Some(Code::InsufficientCapacity));
}

#[test]
fn conflicts_name_the_session() {
    let error = check_allowed(Operation::StopStreamingSession, &S::Stopped, "ss-9").unwrap_err();
    assert_eq!(error.kind.http_status(), 409);
    assert_eq!(error.context["resourceId"], "ss-9");
    assert!(check_allowed(Operation::DeleteStreamingSession, &S::StopInProgress, "x").is_err());
    assert!(check_allowed(Operation::DeleteStreamingSession, &S::StartFailed, "x").is_ok());
}

fn driven_session() -> SessionRecord {
    let mut record = ready_session();
    record.driver = Some(DriverLink {
        name: "local-desktop".into(),
        time_limit_ms: 60_000,
        state: serde_json::Value::Null,
        command: None,
        os_user: None,
        limits: None,
    });
    record
}

#[test]
fn a_driven_action_that_never_reports_fails_at_its_time_limit() {
    let mut record = driven_session();
    record.begin(Action::Stop, "alice", 1_000, 0, Ok(()));
    assert_eq!(record.state(), S::StopInProgress);
    assert!(!record.settle(60_999, 0).changed, "still within the limit");
    record.settle(61_000, 0);
    assert_eq!(record.state(), S::StopFailed);
    assert_eq!(record.session.status_code, Some(Code::InternalError));
    let message = record.session.status_message.clone().unwrap();
    assert!(message.contains("within 60 s"), "{message}");
}

#[test]
fn a_driven_action_ends_when_its_driver_says() {
    let mut record = driven_session();
    record.session.state = Some(S::Stopped);
    record.begin(Action::Start, "alice", 1_000, 0, Ok(()));
    assert!(record.report_progress("Starting the desktop…"));
    assert!(
        !record.report_progress("Starting the desktop…"),
        "said once"
    );
    record.conclude(1_500, Ok(()));
    assert_eq!(record.state(), S::Ready);
    assert_eq!(record.session.status_message.as_deref(), Some(""));
    assert_eq!(record.session.updated_at.unwrap().unix_millis(), 1_500);
    // Its stopAt counts from when it became READY.
    assert_eq!(
        record.session.stop_at.unwrap().unix_millis(),
        1_500 + 3_600_000
    );

    record.begin(Action::Stop, "alice", 2_000, 0, Ok(()));
    let failure = (Code::InternalError, "the desktop would not stop".to_owned());
    record.conclude(2_100, Err(failure));
    assert_eq!(record.state(), S::StopFailed);
    assert_eq!(
        record.session.status_message.as_deref(),
        Some("the desktop would not stop")
    );
}

#[test]
fn a_ready_session_whose_machine_is_gone_becomes_stopped_by_the_system() {
    let mut record = driven_session();
    record.workstation_lost(5_000, "gone");
    assert_eq!(record.state(), S::Stopped);
    assert_eq!(record.session.stopped_by.as_deref(), Some(SYSTEM_ACTOR));
    assert_eq!(
        record.session.status_code,
        Some(Code::StreamingSessionStopped)
    );
    assert!(S::Stopped.allows(Operation::StartStreamingSession));
    // Only READY is affected: a stopped session stays as it is.
    record.workstation_lost(6_000, "again");
    assert_eq!(record.session.status_message.as_deref(), Some("gone"));
}

const MIN: i64 = 60_000;

/// READY at minute 0 with a 60-minute maximum and a 10-minute warning; `idle` minutes of
/// idle stop, and Keep running of 30 up to 90 minutes.
fn warned_session(idle: Option<i64>, keep_running: bool) -> SessionRecord {
    let mut record = ready_session();
    record.max_session_minutes = Some(60);
    record.stop_policy = StopPolicy {
        warning_minutes: 10,
        idle_minutes: idle,
        keep_running: keep_running.then_some(KeepRunning {
            step_minutes: 30,
            longest_minutes: 90,
        }),
    };
    record.ready_at(0);
    record
}

fn stop_at(record: &SessionRecord) -> i64 {
    record.session.stop_at.unwrap().unix_millis()
}

fn warned(record: &SessionRecord) -> Option<StopReason> {
    record.session.stop_warning.as_ref().and_then(|w| w.reason)
}

#[test]
fn idle_stop_brings_stop_at_forward_at_the_warning_and_use_puts_it_back() {
    let mut record = warned_session(Some(30), false);
    // Last used at 0; 30 idle minutes with a 10-minute warning: nothing before minute 20.
    assert!(!record.review_stop(Some(0), 19 * MIN));
    assert_eq!(stop_at(&record), 60 * MIN);
    assert!(record.review_stop(Some(0), 20 * MIN));
    assert_eq!(stop_at(&record), 30 * MIN);
    assert_eq!(warned(&record), Some(StopReason::Idle));
    let message = record.session.status_message.clone().unwrap();
    assert!(
        message.contains("Nobody has used this workstation for 20 minutes"),
        "{message}"
    );
    assert!(!record.review_stop(Some(0), 21 * MIN), "said once");
    // Used at minute 25: back to the maximum length, and quiet.
    assert!(record.review_stop(Some(25 * MIN), 25 * MIN));
    assert_eq!(stop_at(&record), 60 * MIN);
    assert_eq!(warned(&record), None);
    assert_eq!(record.session.status_message.as_deref(), Some(""));
    // Unused again: stopAt comes, and the system stops it, saying why.
    assert!(record.review_stop(Some(25 * MIN), 46 * MIN));
    record.settle(55 * MIN + 1, 0);
    assert_eq!(record.state(), S::Stopped);
    assert_eq!(record.session.stopped_by.as_deref(), Some(SYSTEM_ACTOR));
    assert_eq!(record.session.stopped_at.unwrap().unix_millis(), 55 * MIN);
    assert_eq!(warned(&record), None, "no warning once it stopped");
    let said = record.session.status_message.clone().unwrap();
    assert!(
        said.contains("idle stop: nobody used it for 30 minutes"),
        "{said}"
    );
}

#[test]
fn idle_stop_never_moves_stop_at_past_the_maximum_length() {
    let mut record = warned_session(Some(30), false);
    // Used at minute 40: the idle deadline (70) is after the maximum (60), which stays.
    assert!(!record.review_stop(Some(40 * MIN), 45 * MIN));
    assert_eq!(stop_at(&record), 60 * MIN);
    record.settle(60 * MIN, 0);
    let said = record.session.status_message.clone().unwrap();
    assert!(said.contains("maximum session length"), "{said}");
}

#[test]
fn the_maximum_length_is_warned_of_by_settle_and_keep_running_extends_it_up_to_the_longest() {
    let mut record = warned_session(None, true);
    assert_eq!(
        record.next_event_ms(),
        Some(50 * MIN),
        "the warning is due first"
    );
    assert!(record.settle(49 * MIN, 0).stops_begun.is_empty());
    assert_eq!(warned(&record), None);
    record.settle(50 * MIN, 0);
    assert_eq!(record.state(), S::Ready);
    assert_eq!(warned(&record), Some(StopReason::MaximumLength));
    let warning = record.session.stop_warning.clone().unwrap();
    assert_eq!(warning.can_keep_running, Some(true));
    assert!(warning
        .message
        .unwrap()
        .contains("Keep running adds 30 minutes"));
    assert_eq!(record.next_event_ms(), Some(60 * MIN), "then the stop");

    // Keep running: 30 minutes more, and the warning is gone until minute 80.
    record.keep_running(52 * MIN).unwrap();
    assert_eq!(stop_at(&record), 90 * MIN);
    assert_eq!(warned(&record), None);
    record.keep_running(53 * MIN).unwrap();
    assert_eq!(
        stop_at(&record),
        90 * MIN,
        "without a warning there is nothing to put off"
    );
    record.settle(80 * MIN, 0);
    let warning = record.session.stop_warning.clone().unwrap();
    assert_eq!(warning.can_keep_running, Some(false), "90 is the longest");
    assert!(warning
        .message
        .unwrap()
        .contains("longest the studio allows (90 minutes)"));
    let before = record.clone();
    let refused = record.keep_running(81 * MIN).unwrap_err();
    assert_eq!(refused.kind, ErrorType::ServiceQuotaExceeded);
    assert!(
        refused.message.contains("90 minutes"),
        "{}",
        refused.message
    );
    assert_eq!(record, before, "a refusal changes nothing");
    record.settle(90 * MIN, 0);
    assert_eq!(record.state(), S::Stopped);
}

#[test]
fn keep_running_is_use_against_idle_stop_and_is_refused_where_nothing_can_run_on() {
    let mut record = warned_session(Some(30), false);
    record.review_stop(Some(0), 20 * MIN);
    assert_eq!(warned(&record), Some(StopReason::Idle));
    record.keep_running(21 * MIN).unwrap();
    assert_eq!(warned(&record), None);
    assert_eq!(stop_at(&record), 60 * MIN);
    // Near the maximum, which this profile does not extend: refused, and said why.
    record.settle(50 * MIN, 0);
    let warning = record.session.stop_warning.clone().unwrap();
    assert_eq!(warning.can_keep_running, Some(false));
    let refused = record.keep_running(51 * MIN).unwrap_err();
    assert!(
        refused.message.contains("no time past its maximum"),
        "{}",
        refused.message
    );
    // Not READY: a conflict.
    record.settle(60 * MIN, 0);
    let refused = record.keep_running(61 * MIN).unwrap_err();
    assert_eq!(refused.kind, ErrorType::Conflict);
}

/// READY at 10:00 on Monday 2026-12-07 (London, GMT), working 09:00 to 18:00 with a
/// 10-minute warning and no maximum length; the day's end as `day_end` says.
fn working_monday(day_end: DayEnd) -> (SessionRecord, impl Fn(&str) -> i64) {
    let at = |text: &str| text.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let mut record = ready_session();
    record.max_session_minutes = None;
    record.stop_policy.warning_minutes = 10;
    let monday = WorkingDay {
        start_minute: 9 * 60,
        end_minute: 18 * 60,
    };
    record.schedule = Some(Schedule {
        days: [Some(monday), None, None, None, None, None, None],
        day_end,
        time_zone: "Europe/London".into(),
        lead_ms: 60_000,
        next_start: None,
        skipped_end_ms: None,
    });
    record.ready_at(at("2026-12-07T10:00:00Z"));
    record.review_stop(None, at("2026-12-07T10:00:00Z"));
    (record, at)
}

#[test]
fn a_day_end_when_idle_stops_only_a_workstation_nobody_used_before_it() {
    // Always: stopAt is the day's end from READY on.
    let (record, at) = working_monday(DayEnd::Always);
    assert_eq!(stop_at(&record), at("2026-12-07T18:00:00Z"));

    // When idle: used at 17:55, it runs on past the end.
    let (mut used, at) = working_monday(DayEnd::WhenIdle);
    assert_eq!(
        used.session.stop_at, None,
        "nothing stops it before the warning"
    );
    used.review_stop(Some(at("2026-12-07T17:55:00Z")), at("2026-12-07T17:56:00Z"));
    assert_eq!(warned(&used), None);
    used.settle(at("2026-12-07T18:30:00Z"), 0);
    assert_eq!(used.state(), S::Ready);

    // Nobody since 15:00: warned at 17:50, stopped at 18:00, saying why.
    let (mut idle, at) = working_monday(DayEnd::WhenIdle);
    idle.review_stop(Some(at("2026-12-07T15:00:00Z")), at("2026-12-07T17:51:00Z"));
    assert_eq!(warned(&idle), Some(StopReason::Schedule));
    let message = idle.session.status_message.clone().unwrap();
    assert!(message.contains("unless someone uses it"), "{message}");
    idle.settle(at("2026-12-07T18:00:01Z"), 0);
    assert_eq!(idle.state(), S::Stopped);
    assert_eq!(
        idle.session.status_message.as_deref(),
        Some("Stopped at the end of the working day")
    );
}
