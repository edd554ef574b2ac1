//! Idle stop in the state machine: stopAt always says when the session stops by itself.
//! It is the profile's maximum length from READY, until idle stop's warning is due: then
//! stopAt moves forward to the idle deadline, so the card counts down to it and every
//! open page hears of it (a change of the session is an event). Use puts it back. When
//! stopAt comes, `settle` stops the session as for any limit, with a message that says
//! it was not used.

use super::{ms, ts, SessionRecord};
use nimble_model::StreamingSessionState as S;
use serde::{Deserialize, Serialize};

/// What stopAt is made of, beyond the wire document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoStop {
    /// The latest stop: the profile's maximum length from READY (`None`: no maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_ms: Option<i64>,
    /// While stopAt is an idle deadline: the idle minutes it counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<i64>,
}

impl SessionRecord {
    /// Applies idle stop of `minutes` (warning `warning_minutes` ahead) to a READY session
    /// last used at `last_active_ms`; whether the record changed.
    pub fn review_idle(
        &mut self,
        minutes: i64,
        warning_minutes: i64,
        last_active_ms: i64,
        now_ms: i64,
    ) -> bool {
        if self.state() != S::Ready || self.pending.is_some() {
            return false;
        }
        let limit = match self.auto_stop.idle_minutes {
            Some(_) => self.auto_stop.limit_ms,
            None => ms(&self.session.stop_at),
        };
        let deadline = last_active_ms + minutes * 60_000;
        let warned = now_ms >= deadline - warning_minutes * 60_000
            && limit.is_none_or(|limit| deadline < limit);
        let (stop_at, idle_minutes) = match warned {
            true => (Some(deadline), Some(minutes)),
            false => (limit, None),
        };
        if stop_at == ms(&self.session.stop_at) && idle_minutes == self.auto_stop.idle_minutes {
            return false;
        }
        self.auto_stop = AutoStop {
            limit_ms: limit,
            idle_minutes,
        };
        self.session.stop_at = stop_at.map(ts);
        self.session.status_message = Some(match warned {
            true => format!(
                "Nobody has used this workstation for {} minutes: it stops when the countdown \
                 ends, unless someone uses it",
                (now_ms - last_active_ms).max(0) / 60_000
            ),
            false => String::new(),
        });
        true
    }

    /// The status message of a stop that `settle` begins at stopAt.
    pub(super) fn automatic_stop_message(&self) -> String {
        match self.auto_stop.idle_minutes {
            Some(minutes) => {
                format!("Stopped by the studio's idle stop: nobody used it for {minutes} minutes")
            }
            None => "Stopped at the end of its maximum session length".into(),
        }
    }
}
