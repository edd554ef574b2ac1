//! The portal's decisions, free of the DOM so they are tested on their own, natively, with
//! `cargo test -p studio-portal --lib`: how a state looks, countdowns, polling schedules,
//! error wording, titles and announcements. What an artist may ask of a state is in
//! `intent`.

use crate::workstation::Workstation;
use nimble_model::{ErrorType, StreamingSessionState as S};
use std::time::Duration;

/// A state badge: words for everyone, a colour class on top (never colour alone).
pub fn badge(state: &S) -> (&'static str, &'static str) {
    match state {
        S::Ready => ("Running", "ok"),
        S::Stopped => ("Stopped", "idle"),
        S::CreateInProgress => ("Creating…", "busy"),
        S::StartInProgress => ("Starting…", "busy"),
        S::StopInProgress => ("Stopping…", "busy"),
        S::DeleteInProgress => ("Deleting…", "busy"),
        S::Deleted => ("Deleted", "idle"),
        S::CreateFailed => ("Failed to create", "bad"),
        S::StartFailed => ("Failed to start", "bad"),
        S::StopFailed => ("Failed to stop", "bad"),
        S::DeleteFailed => ("Failed to delete", "bad"),
        S::Unknown(_) => ("Unknown state", "idle"),
    }
}

/// Time left until a deadline, in words; `warning` under 30 minutes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Countdown {
    pub text: String,
    pub warning: bool,
}

pub fn countdown(now_ms: i64, deadline_ms: i64) -> Countdown {
    let left = (deadline_ms - now_ms).max(0) / 1000;
    let (hours, minutes, seconds) = (left / 3600, left % 3600 / 60, left % 60);
    let text = if left == 0 {
        "now".to_owned()
    } else if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else if minutes > 0 {
        format!("{minutes} min {seconds:02} s")
    } else {
        format!("{seconds} s")
    };
    Countdown {
        text,
        warning: left < 30 * 60,
    }
}

/// The deadline a session shows: when it stops (running) or is removed (stopped).
pub fn deadline(session: &Workstation) -> Option<(&'static str, i64)> {
    match session.state.as_ref()? {
        S::Ready => session.stop_at.map(|t| ("Stops in", t.unix_millis())),
        S::Stopped => session
            .terminate_at
            .map(|t| ("Removed in", t.unix_millis())),
        _ => None,
    }
}

/// Delay before the next refresh of the list: 1 s, backing off to 2 s, while anything is
/// changing; 30 s when everything is settled.
pub fn refresh_delay(anything_in_progress: bool, quick_polls_so_far: u32) -> Duration {
    if anything_in_progress {
        Duration::from_millis((1000 + 250 * u64::from(quick_polls_so_far)).min(2000))
    } else {
        Duration::from_secs(30)
    }
}

/// Waits between polls of a new stream: 0.5 s doubling to 4 s, 60 s in all at most.
pub fn stream_poll_delays() -> Vec<Duration> {
    let mut delays = Vec::new();
    let (mut delay, mut total) = (500u64, 0u64);
    while total + delay <= 60_000 {
        delays.push(Duration::from_millis(delay));
        total += delay;
        delay = (delay * 2).min(4000);
    }
    delays
}

/// Why a call failed, as the client sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    Api {
        kind: Option<ErrorType>,
        status: u16,
        message: String,
    },
    Network,
    SignedOut,
}

/// Plain words for every failure, telling the artist what to do.
pub fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Network => "Cannot reach the portal. Check your network connection; the page retries by itself.".into(),
        Failure::SignedOut => "You are signed out. Taking you to the sign-in page…".into(),
        Failure::Api { kind, status, message } => match kind {
            Some(ErrorType::Conflict) => "Another operation is in progress on this workstation. Wait for it to finish, then try again.".into(),
            Some(ErrorType::Throttling) => "The studio service is busy right now. Wait a few seconds and try again.".into(),
            Some(ErrorType::AccessDenied) => "You do not have permission to do that. Ask your studio administrator if you need it.".into(),
            // The studio's message names the limit (a count, hours, Keep running's longest).
            Some(ErrorType::ServiceQuotaExceeded) if !message.is_empty() => message.clone(),
            Some(ErrorType::ServiceQuotaExceeded) => "You have as many workstations as you are allowed. Delete one you no longer need, or ask your administrator for more.".into(),
            Some(ErrorType::ResourceNotFound) => "This workstation no longer exists. The list has been refreshed.".into(),
            Some(ErrorType::Validation) => format!("The request was not accepted: {message}"),
            Some(ErrorType::InternalServerError) | None if *status >= 500 => "The studio service had a problem. Try again in a moment.".into(),
            _ => format!("Something went wrong ({status}): {message}"),
        },
    }
}

/// The page title: how many workstations are running.
pub fn title(sessions: &[Workstation]) -> String {
    let running = sessions
        .iter()
        .filter(|s| s.state == Some(S::Ready))
        .count();
    match running {
        0 => "Workstations".into(),
        1 => "(1 running) Workstations".into(),
        n => format!("({n} running) Workstations"),
    }
}

/// A workstation's name for people: its `name` tag, else its id.
pub fn display_name(session: &Workstation) -> String {
    session
        .tags
        .as_ref()
        .and_then(|t| t.get("name").cloned())
        .or_else(|| session.session_id.clone())
        .unwrap_or_default()
}

/// "Workstation X is now READY" for each session whose state changed.
pub fn announcements(before: &[Workstation], after: &[Workstation]) -> Vec<String> {
    after
        .iter()
        .filter_map(|now| {
            let was = before.iter().find(|b| b.session_id == now.session_id)?;
            let state = now.state.as_ref()?;
            (was.state.as_ref() != Some(state))
                .then(|| format!("Workstation {} is now {state}", display_name(now)))
        })
        .collect()
}

/// "Workstation X: <why it stops soon>" for each session newly warned of an automatic stop.
pub fn warnings(before: &[Workstation], after: &[Workstation]) -> Vec<String> {
    after
        .iter()
        .filter_map(|now| {
            let message = now.stop_warning.as_ref()?.message.as_ref()?;
            let was = before.iter().find(|b| b.session_id == now.session_id);
            was.is_none_or(|was| was.stop_warning.is_none())
                .then(|| format!("Workstation {}: {message}", display_name(now)))
        })
        .collect()
}

// Plain native tests: nothing here needs a browser.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use nimble_model::Timestamp;

    #[test]
    fn every_state_has_words_and_a_colour() {
        for value in S::VALUES {
            let (words, class) = badge(&S::from(*value));
            assert!(!words.is_empty() && !class.is_empty(), "{value}");
        }
        assert_eq!(badge(&S::Ready), ("Running", "ok"));
        assert_eq!(badge(&S::StartFailed).1, "bad");
    }

    #[test]
    fn countdowns_warn_under_thirty_minutes() {
        let minute = 60_000;
        assert_eq!(
            countdown(0, 90 * minute),
            Countdown {
                text: "1 h 30 min".into(),
                warning: false
            }
        );
        assert_eq!(
            countdown(0, 29 * minute + 5_000),
            Countdown {
                text: "29 min 05 s".into(),
                warning: true
            }
        );
        assert_eq!(countdown(0, 45_000).text, "45 s");
        assert_eq!(
            countdown(10, 0),
            Countdown {
                text: "now".into(),
                warning: true
            }
        );
        let session = Workstation {
            state: Some(S::Ready),
            stop_at: Timestamp::from_unix_millis(5_000),
            ..Default::default()
        };
        assert_eq!(deadline(&session), Some(("Stops in", 5_000)));
    }

    #[test]
    fn refreshes_back_off_while_busy_and_slow_down_when_settled() {
        let busy: Vec<u128> = (0..6).map(|n| refresh_delay(true, n).as_millis()).collect();
        assert_eq!(busy, [1000, 1250, 1500, 1750, 2000, 2000]);
        assert_eq!(refresh_delay(false, 3), Duration::from_secs(30));
        let stream = stream_poll_delays();
        assert_eq!(
            stream[..4],
            [500, 1000, 2000, 4000].map(Duration::from_millis)
        );
        assert!(stream.iter().sum::<Duration>() <= Duration::from_secs(60));
    }

    #[test]
    fn errors_are_plain_words() {
        let api = |kind, status| Failure::Api {
            kind: Some(kind),
            status,
            message: "x".into(),
        };
        assert_eq!(
            describe(&api(ErrorType::Conflict, 409)),
            "Another operation is in progress on this workstation. Wait for it to finish, then try again."
        );
        assert!(describe(&api(ErrorType::Throttling, 429)).contains("busy"));
        let unnamed = Failure::Api {
            kind: Some(ErrorType::ServiceQuotaExceeded),
            status: 402,
            message: String::new(),
        };
        assert!(describe(&unnamed).contains("as many workstations"));
        assert!(describe(&api(ErrorType::AccessDenied, 403)).contains("permission"));
        let over = Failure::Api {
            kind: Some(ErrorType::ServiceQuotaExceeded),
            status: 402,
            message:
                "alice already has 2 workstations running, the most this studio allows at once (2)"
                    .into(),
        };
        assert!(
            describe(&over).contains("at once (2)"),
            "the limit is named"
        );
        assert!(describe(&Failure::Network).contains("network"));
        assert!(describe(&Failure::Api {
            kind: None,
            status: 502,
            message: String::new()
        })
        .contains("had a problem"));
    }

    #[test]
    fn titles_count_running_workstations_and_changes_are_announced() {
        let session = |id: &str, state: S| Workstation {
            session_id: Some(id.into()),
            state: Some(state),
            ..Default::default()
        };
        let before = [session("a", S::StartInProgress), session("b", S::Ready)];
        let after = [session("a", S::Ready), session("b", S::Ready)];
        assert_eq!(title(&after), "(2 running) Workstations");
        assert_eq!(
            announcements(&before, &after),
            ["Workstation a is now READY"]
        );
        let mut warned = after.clone();
        warned[1].stop_warning = Some(crate::workstation::StopWarning {
            message: Some("it stops soon".into()),
            ..Default::default()
        });
        assert_eq!(warnings(&after, &warned), ["Workstation b: it stops soon"]);
        assert!(warnings(&warned, &warned).is_empty(), "said once");
    }
}
