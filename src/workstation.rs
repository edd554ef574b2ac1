//! What the portal reads of a streaming session: the members a card shows or the page
//! needs. AWS's StreamingSession (nimble-model) has twice as many, with large enums (the
//! status codes) the page never looks at; decoding only these keeps the wasm smaller (the
//! rest is skipped while decoding), as `ProfileChoice`, `BackupChoice` and `StreamChoice`
//! do for theirs. Imports nothing of the crate: every layer may use it.

use nimble_model::{SessionPersistenceMode, StreamingSessionState, Tags, Timestamp};
use serde::Deserialize;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workstation {
    pub session_id: Option<String>,
    pub state: Option<StreamingSessionState>,
    pub status_message: Option<String>,
    pub launch_profile_id: Option<String>,
    pub ec2_instance_type: Option<String>,
    pub session_persistence_mode: Option<SessionPersistenceMode>,
    pub tags: Option<Tags>,
    pub started_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub stop_at: Option<Timestamp>,
    pub terminate_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    /// studio-portal's extension: an automatic stop is near.
    pub stop_warning: Option<StopWarning>,
}

/// What the page reads of `stopWarning` (its `reason` is in the message).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopWarning {
    pub can_keep_running: Option<bool>,
    pub message: Option<String>,
}

/// `{"session": …}`: what a change answers and an event carries.
#[derive(Deserialize)]
pub struct WorkstationReply {
    pub session: Option<Workstation>,
}
