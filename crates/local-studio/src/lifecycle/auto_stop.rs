//! Automatic stops in the state machine, and their warning. stopAt always says when a READY
//! session stops by itself: its maximum length from READY (plus what Keep running added),
//! or, once idle stop's warning is due, the idle deadline. `warning_minutes` before either,
//! the session carries `stopWarning` (why, and whether Keep running helps) and a status
//! message, so the card says so and every open page hears of it: a change of the session
//! is an event. Use puts an idle stop off; Keep running counts as use and extends the
//! maximum by the profile's step, up to its longest. When stopAt comes, `settle` stops the
//! session as for any limit, with a message that says why.

use super::{ms, ts, DayEnd, SessionRecord};
use nimble_model::{
    ApiError, ErrorType, Operation, StopReason, StopWarning, StreamingSessionState as S,
};
use serde::{Deserialize, Serialize};

const MINUTE: i64 = 60_000;

/// A launch profile's automatic stops, kept with each session (as its maximum length is).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StopPolicy {
    /// Notice before any automatic stop (0: none).
    pub warning_minutes: i64,
    /// Stop after this many minutes that nobody used it (`None`: no idle stop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<i64>,
    /// How far Keep running may extend the maximum length (`None`: not at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_running: Option<KeepRunning>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepRunning {
    /// What one Keep running adds to the maximum length.
    pub step_minutes: i64,
    /// The longest a session may run from READY, extensions included.
    pub longest_minutes: i64,
}

/// What stopAt is made of, beyond the wire document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoStop {
    /// When it became READY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_ms: Option<i64>,
    /// The latest stop: the maximum length from READY, with extensions (`None`: no maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_ms: Option<i64>,
    /// How long its last start took (scheduled starts lead their day by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_took_ms: Option<i64>,
    /// What stopAt is: the maximum length, the schedule's day end or the idle deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<StopReason>,
}

impl SessionRecord {
    /// A READY session's stopAt and warning at `now_ms`, with use counted from
    /// `last_active_ms` (`None`: as it stands). stopAt is the earliest of the maximum
    /// length, the schedule's day end, and, once its warning is due, the idle deadline.
    /// Whether anything changed.
    pub fn review_stop(&mut self, last_active_ms: Option<i64>, now_ms: i64) -> bool {
        if self.state() != S::Ready || self.pending.is_some() {
            return false;
        }
        let limit = self.limit_ms();
        let warning = self.stop_policy.warning_minutes * MINUTE;
        let near = |deadline: i64| now_ms >= deadline - warning;
        let shown = self.auto_stop.reason;
        let idle = match (self.stop_policy.idle_minutes, last_active_ms) {
            (Some(minutes), Some(last)) => Some(last + minutes * MINUTE).filter(|d| near(*d)),
            (Some(_), None) => {
                ms(&self.session.stop_at).filter(|_| shown == Some(StopReason::Idle))
            }
            (None, _) => None,
        };
        let day_end = self.day_end(last_active_ms, near);
        let (stop_at, cause) = [
            (idle, StopReason::Idle),
            (day_end, StopReason::Schedule),
            (limit, StopReason::MaximumLength),
        ]
        .into_iter()
        .filter_map(|(deadline, reason)| Some((deadline?, reason)))
        .min_by_key(|(deadline, _)| *deadline)
        .map_or((None, None), |(deadline, reason)| {
            (Some(deadline), Some(reason))
        });
        let reason = cause.filter(|_| stop_at.is_some_and(near));
        let can_keep_running = reason.map(|reason| self.can_keep_running(reason, limit));
        let warned = self.session.stop_warning.as_ref();
        if stop_at == ms(&self.session.stop_at)
            && cause == self.auto_stop.reason
            && reason == warned.and_then(|w| w.reason)
            && can_keep_running == warned.and_then(|w| w.can_keep_running)
        {
            return false;
        }
        self.auto_stop.limit_ms = limit;
        self.auto_stop.reason = cause;
        self.session.stop_at = stop_at.map(ts);
        self.session.stop_warning = reason.map(|reason| {
            let can = can_keep_running.unwrap_or(false);
            let idle_for = (now_ms - last_active_ms.unwrap_or(now_ms)).max(0) / MINUTE;
            StopWarning {
                reason: Some(reason),
                can_keep_running: Some(can),
                message: Some(self.warning_message(reason, can, idle_for)),
            }
        });
        self.session.status_message = Some(
            self.session
                .stop_warning
                .as_ref()
                .and_then(|w| w.message.clone())
                .unwrap_or_default(),
        );
        true
    }

    /// The schedule's day end, where it stops this session: always, or (`WhenIdle`) when
    /// nobody used it in the warning before it (`None` use: as it stands).
    fn day_end(&self, last_active_ms: Option<i64>, near: impl Fn(i64) -> bool) -> Option<i64> {
        let schedule = self.schedule.as_ref()?;
        let after = self
            .auto_stop
            .ready_ms?
            .max(schedule.skipped_end_ms.unwrap_or(i64::MIN));
        let end = schedule.end_after(after)?;
        let warning = self.stop_policy.warning_minutes * MINUTE;
        match (schedule.day_end, last_active_ms) {
            (DayEnd::Always, _) => Some(end),
            (DayEnd::WhenIdle, Some(last)) => (near(end) && last < end - warning).then_some(end),
            (DayEnd::WhenIdle, None) => {
                (self.auto_stop.reason == Some(StopReason::Schedule)).then_some(end)
            }
        }
    }

    /// Keep running, pressed at `now_ms`: use, against idle stop (the caller counts it as
    /// such too); against a near maximum length, one more step, up to the longest. Nothing
    /// changes when it is refused.
    pub fn keep_running(&mut self, now_ms: i64) -> Result<(), ApiError> {
        super::check_allowed(
            Operation::KeepStreamingSessionRunning,
            &self.state(),
            self.session_id(),
        )?;
        let idle_used = self.stop_policy.idle_minutes.map(|_| now_ms);
        let warned = self.session.stop_warning.as_ref().and_then(|w| w.reason);
        if warned == Some(StopReason::Schedule) {
            let end = ms(&self.session.stop_at);
            if let Some(schedule) = self.schedule.as_mut() {
                schedule.skipped_end_ms = end;
            }
        }
        if warned == Some(StopReason::MaximumLength) {
            let limit = self.limit_ms().unwrap_or(now_ms);
            let Some(keep) = self.stop_policy.keep_running else {
                return Err(quota(
                    "This launch profile allows no time past its maximum session length; save your work",
                ));
            };
            let longest = self.auto_stop.ready_ms.unwrap_or(now_ms) + keep.longest_minutes * MINUTE;
            if limit >= longest {
                return Err(quota(&format!(
                    "This workstation has run the longest the studio allows ({} minutes); save your work",
                    keep.longest_minutes
                )));
            }
            self.auto_stop.limit_ms = Some((limit + keep.step_minutes * MINUTE).min(longest));
        }
        self.review_stop(idle_used, now_ms);
        Ok(())
    }

    /// The status message of a stop that `settle` begins at stopAt.
    pub(super) fn automatic_stop_message(&self) -> String {
        match self.auto_stop.reason {
            Some(StopReason::Idle) => format!(
                "Stopped by the studio's idle stop: nobody used it for {} minutes",
                self.stop_policy.idle_minutes.unwrap_or(0)
            ),
            Some(StopReason::Schedule) => "Stopped at the end of the working day".into(),
            _ => "Stopped at the end of its maximum session length".into(),
        }
    }

    /// When `settle` next has something to do for a READY session: the warning, then the stop.
    pub(super) fn next_automatic_ms(&self) -> Option<i64> {
        let stop = ms(&self.session.stop_at)?;
        let warning = self.stop_policy.warning_minutes * MINUTE;
        match self.session.stop_warning {
            None if warning > 0 => Some(stop - warning),
            _ => Some(stop),
        }
    }

    /// What READY sets: the maximum length from `ready_ms`, and no warning.
    pub(super) fn ready_at(&mut self, ready_ms: i64) {
        let limit = self.max_session_minutes.map(|m| ready_ms + m * MINUTE);
        self.session.stop_at = limit.map(ts);
        self.session.stop_warning = None;
        self.auto_stop = AutoStop {
            ready_ms: Some(ready_ms),
            limit_ms: limit,
            reason: limit.map(|_| StopReason::MaximumLength),
            start_took_ms: self.auto_stop.start_took_ms,
        };
    }

    /// The maximum length's stop; sessions stored before `limit_ms` have it as stopAt.
    fn limit_ms(&self) -> Option<i64> {
        let legacy = self.auto_stop.reason.is_none();
        self.auto_stop
            .limit_ms
            .or_else(|| ms(&self.session.stop_at).filter(|_| legacy))
    }

    fn can_keep_running(&self, reason: StopReason, limit: Option<i64>) -> bool {
        match reason {
            StopReason::Idle | StopReason::Schedule => true,
            StopReason::MaximumLength => self.stop_policy.keep_running.is_some_and(|keep| {
                let ready = self.auto_stop.ready_ms.unwrap_or(i64::MAX / 2);
                limit.is_some_and(|l| l < ready + keep.longest_minutes * MINUTE)
            }),
        }
    }

    fn warning_message(&self, reason: StopReason, can_keep_running: bool, idle_for: i64) -> String {
        match (reason, can_keep_running) {
            (StopReason::Idle, _) => format!(
                "Nobody has used this workstation for {idle_for} minutes: it stops when the \
                 countdown ends, unless someone uses it or presses Keep running"
            ),
            (StopReason::Schedule, _) => {
                let unless = match self.schedule.as_ref().map(|s| s.day_end) {
                    Some(DayEnd::WhenIdle) => ", unless someone uses it",
                    _ => "",
                };
                format!(
                    "The working day ends: this workstation stops when the countdown ends{unless}; \
                     Keep running keeps it on tonight"
                )
            }
            (_, true) => {
                let step = self.stop_policy.keep_running.map_or(0, |k| k.step_minutes);
                format!(
                    "This workstation reaches its maximum session length and stops when the \
                     countdown ends; Keep running adds {step} minutes"
                )
            }
            (_, false) => match self.stop_policy.keep_running {
                Some(keep) => format!(
                    "This workstation has run the longest the studio allows ({} minutes): save \
                     your work, it stops when the countdown ends",
                    keep.longest_minutes
                ),
                None => "This workstation reaches its maximum session length, which cannot be \
                         extended: save your work, it stops when the countdown ends"
                    .into(),
            },
        }
    }
}

fn quota(message: &str) -> ApiError {
    ApiError::new(ErrorType::ServiceQuotaExceeded, message).with_context("quota", "keep_running")
}
