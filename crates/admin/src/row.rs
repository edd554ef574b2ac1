//! What the admin page reads of a session: the members its table shows. Every other member
//! of AWS's StreamingSession is skipped while decoding.

use nimble_model::{SessionPersistenceMode, StreamingSessionState, Tags, Timestamp};
use serde::Deserialize;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub session_id: Option<String>,
    pub owned_by: Option<String>,
    pub state: Option<StreamingSessionState>,
    pub status_message: Option<String>,
    pub launch_profile_id: Option<String>,
    pub streaming_image_id: Option<String>,
    pub ec2_instance_type: Option<String>,
    pub session_persistence_mode: Option<SessionPersistenceMode>,
    pub tags: Option<Tags>,
    pub started_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub stop_at: Option<Timestamp>,
}

/// `{"session": …}`: what an event carries.
#[derive(Deserialize)]
pub struct RowReply {
    pub session: Option<Row>,
}

impl Row {
    pub fn id(&self) -> &str {
        self.session_id.as_deref().unwrap_or("")
    }

    /// The name the artist gave it, else its id, as the artist's card shows it.
    pub fn name(&self) -> &str {
        self.tags
            .as_ref()
            .and_then(|t| t.get("name"))
            .map_or(self.id(), String::as_str)
    }

    pub fn owner(&self) -> &str {
        self.owned_by.as_deref().unwrap_or("")
    }

    pub fn state(&self) -> StreamingSessionState {
        self.state
            .clone()
            .unwrap_or(StreamingSessionState::Unknown(String::new()))
    }

    pub fn is_ready(&self) -> bool {
        self.state == Some(StreamingSessionState::Ready)
    }

    /// Whether Stop may ask to delete its volume (only a persistent one has any).
    pub fn keeps_a_volume(&self) -> bool {
        self.session_persistence_mode == Some(SessionPersistenceMode::Activated)
    }
}
