//! What studio-portal adds to AWS's streaming-session API, outside the service model. AWS's
//! SDKs ignore members they do not know, so real clients read these documents unharmed.
//!
//! - `stopWarning` on a StreamingSession: present while an automatic stop is near. stopAt
//!   is then when it stops; this says why, and whether Keep running can put it off.
//! - `KeepStreamingSessionRunning` (`POST …/streaming-sessions/{sessionId}/keep-running`,
//!   no body): counts as use against an idle stop, and extends a maximum length by the
//!   launch profile's step. It answers `{"session": …}` like Start and Stop.

use crate::shapes::wire_struct;
use serde::{Deserialize, Serialize};

/// Why a session is about to stop by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StopReason {
    /// Nobody has used it for the launch profile's idle minutes.
    Idle,
    /// It reaches its maximum session length (with any extensions).
    MaximumLength,
    /// The artist's working day ends.
    Schedule,
}

wire_struct!(
    /// An automatic stop that is near (`stopAt` says when).
    StopWarning {
        reason: StopReason,
        /// Whether Keep running can put it off.
        can_keep_running: bool,
        /// What the artist is told, including why Keep running cannot help when it cannot.
        message: String,
    }
);
