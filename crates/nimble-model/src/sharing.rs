//! Sharing a workstation with a studio colleague: studio-portal's extensions for it, outside
//! the service model.
//!
//! - `PutSessionShare` (`PUT …/streaming-sessions/{sessionId}/shares/{userId}`): the owner
//!   shares a READY workstation with `userId`, view-only or with control, for some minutes
//!   (default 60). Putting it again changes the mode or the time.
//! - `DeleteSessionShare` (same path): revokes it; the colleague's viewer is cut off.
//! - `ListSessionShares` (`GET …/streaming-sessions/{sessionId}/shares`): the shares, and
//!   who is connected to the desktop now.
//! - `ListSharedSessions` (`GET …/artists/{userId}/shared-sessions`): what is shared with
//!   that artist ("Shared with me").
//! - `JoinSharedSession` (`POST …/artists/{userId}/shared-sessions/{sessionId}/streams`):
//!   the colleague's own one-time stream, READY at once, opened with the share's mode.
//! - `JoinForSupport` (`POST …/streaming-sessions/{sessionId}/support-streams`): an admin's
//!   view-only stream to any READY workstation, for support.
//! - `GetSessionThumbnail` (`GET …/streaming-sessions/{sessionId}/thumbnail`) and
//!   `GetSharedSessionThumbnail` (`GET …/artists/{userId}/shared-sessions/{sessionId}/
//!   thumbnail`): a small picture of a READY local desktop, for its owner (and admins) and
//!   for colleagues it is shared with.

use crate::shapes::{wire_struct, StreamingSessionStream};
use crate::validate::{range, Validate};
use crate::{Timestamp, ValidationError};
use serde::{Deserialize, Serialize};

/// What a colleague may do in a shared desktop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShareMode {
    /// See it: the server drops their keys, pointer and clipboard.
    ViewOnly,
    /// Use it as the owner does.
    Control,
}

impl ShareMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareMode::ViewOnly => "VIEW_ONLY",
            ShareMode::Control => "CONTROL",
        }
    }

    pub fn parse(text: &str) -> Option<ShareMode> {
        match text {
            "VIEW_ONLY" => Some(ShareMode::ViewOnly),
            "CONTROL" => Some(ShareMode::Control),
            _ => None,
        }
    }
}

/// How long a share lasts when the request does not say.
pub const DEFAULT_SHARE_MINUTES: i64 = 60;
/// The longest a share may last: one working day.
pub const MAX_SHARE_MINUTES: i64 = 12 * 60;

wire_struct!(
    /// `PutSessionShare`'s body.
    PutSessionShareBody {
        mode: ShareMode,
        /// From now; default [`DEFAULT_SHARE_MINUTES`].
        minutes: i64,
    }
);

impl Validate for PutSessionShareBody {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(minutes) = self.minutes {
            range("minutes", minutes, 1, MAX_SHARE_MINUTES)?;
        }
        Ok(())
    }
}

wire_struct!(
    /// One workstation shared with one colleague.
    SessionShare {
        session_id: String,
        /// The workstation's name, as on its card.
        session_name: String,
        owned_by: String,
        /// The colleague it is shared with.
        user_id: String,
        mode: ShareMode,
        created_at: Timestamp,
        expires_at: Timestamp,
        /// Whether the colleague's viewer is connected now.
        connected: bool,
    }
);

wire_struct!(
    /// `PutSessionShare`'s and `DeleteSessionShare`'s answer.
    SessionShareResponse { share: SessionShare }
);

wire_struct!(
    /// `ListSessionShares`' and `ListSharedSessions`' answer.
    SessionSharesResponse {
        shares: Vec<SessionShare>,
        /// `ListSessionShares`: everyone but the owner whose viewer is connected now
        /// (colleagues and admins joined for support).
        viewers: Vec<String>,
    }
);

wire_struct!(
    /// `JoinSharedSession`'s and `JoinForSupport`'s answer: a stream, as
    /// CreateStreamingSessionStream's, and the mode it opens with.
    JoinResponse {
        stream: StreamingSessionStream,
        mode: ShareMode,
    }
);

wire_struct!(
    /// A small picture of a desktop.
    SessionThumbnail {
        /// `image/jpeg`.
        content_type: String,
        /// The picture, base64.
        image: String,
        width: i64,
        height: i64,
        taken_at: Timestamp,
    }
);

wire_struct!(
    /// `GetSessionThumbnail`'s and `GetSharedSessionThumbnail`'s answer.
    ThumbnailResponse { thumbnail: SessionThumbnail }
);
