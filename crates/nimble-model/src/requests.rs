//! Request bodies, query strings and response bodies of the fourteen operations.
//! Path labels live in [`crate::Route`]; the client token is the `X-Amz-Client-Token` header.

use crate::enums::*;
use crate::error::ValidationError;
use crate::shapes::*;
use serde::{Deserialize, Serialize};

wire_struct!(
    /// POST /streaming-sessions
    CreateStreamingSessionBody {
        ec2_instance_type: StreamingInstanceType,
        launch_profile_id: String,
        owned_by: String,
        streaming_image_id: String,
        tags: Tags,
    }
);

wire_struct!(
    /// POST /streaming-sessions/{sessionId}/start
    StartStreamingSessionBody { backup_id: String }
);

wire_struct!(
    /// POST /streaming-sessions/{sessionId}/stop
    StopStreamingSessionBody {
        volume_retention_mode: VolumeRetentionMode,
    }
);

wire_struct!(
    /// POST /streaming-sessions/{sessionId}/streams. A wide integer so that an out-of-range
    /// number is reported as a range error naming the field, not as a parse error.
    CreateStreamingSessionStreamBody {
        expiration_in_seconds: i64,
    }
);

wire_struct!(
    /// GET /streaming-sessions query. `sessionIds` is one comma-separated string.
    ListStreamingSessionsQuery {
        created_by: String,
        next_token: String,
        owned_by: String,
        session_ids: String,
    }
);

impl ListStreamingSessionsQuery {
    /// The ids named by `sessionIds`, without blanks.
    pub fn session_id_list(&self) -> Vec<&str> {
        self.session_ids
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .collect()
    }
}

wire_struct!(
    /// GET /streaming-session-backups query.
    ListStreamingSessionBackupsQuery {
        next_token: String,
        owned_by: String,
    }
);

wire_struct!(
    /// GET /streaming-images query: `owner` is a studio id, or `amazon` for Amazon's images.
    ListStreamingImagesQuery {
        next_token: String,
        owner: String,
    }
);

wire_struct!(
    /// GET /launch-profiles query. `states` repeats in the query string.
    ListLaunchProfilesQuery {
        max_results: i64,
        next_token: String,
        principal_id: String,
        states: Vec<LaunchProfileState>,
    }
);

/// Encoding and decoding of the query structs, shared by the server, proxy and browser.
pub trait QueryString: Sized {
    fn to_pairs(&self) -> Vec<(&'static str, String)>;
    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ValidationError>;

    fn to_query_string(&self) -> String {
        crate::route::encode_query(&self.to_pairs())
    }

    fn from_query_string(query: &str) -> Result<Self, ValidationError> {
        Self::from_pairs(&crate::route::decode_query(query))
    }
}

pub(crate) fn last(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

pub(crate) fn push(
    out: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: &Option<String>,
) {
    if let Some(value) = value {
        out.push((name, value.clone()));
    }
}

impl QueryString for ListStreamingSessionsQuery {
    fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        push(&mut out, "createdBy", &self.created_by);
        push(&mut out, "nextToken", &self.next_token);
        push(&mut out, "ownedBy", &self.owned_by);
        push(&mut out, "sessionIds", &self.session_ids);
        out
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        Ok(Self {
            created_by: last(pairs, "createdBy"),
            next_token: last(pairs, "nextToken"),
            owned_by: last(pairs, "ownedBy"),
            session_ids: last(pairs, "sessionIds"),
        })
    }
}

impl QueryString for ListStreamingSessionBackupsQuery {
    fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        push(&mut out, "nextToken", &self.next_token);
        push(&mut out, "ownedBy", &self.owned_by);
        out
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        Ok(Self {
            next_token: last(pairs, "nextToken"),
            owned_by: last(pairs, "ownedBy"),
        })
    }
}

impl QueryString for ListStreamingImagesQuery {
    fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        push(&mut out, "nextToken", &self.next_token);
        push(&mut out, "owner", &self.owner);
        out
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        Ok(Self {
            next_token: last(pairs, "nextToken"),
            owner: last(pairs, "owner"),
        })
    }
}

impl QueryString for ListLaunchProfilesQuery {
    fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(max) = self.max_results {
            out.push(("maxResults", max.to_string()));
        }
        push(&mut out, "nextToken", &self.next_token);
        push(&mut out, "principalId", &self.principal_id);
        for state in self.states.iter().flatten() {
            out.push(("states", state.to_string()));
        }
        out
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        let max_results = match last(pairs, "maxResults") {
            None => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                ValidationError::new("maxResults", format!("must be an integer, not {text:?}"))
            })?),
        };
        let states: Vec<LaunchProfileState> = pairs
            .iter()
            .filter(|(key, _)| key == "states")
            .flat_map(|(_, value)| value.split(','))
            .map(LaunchProfileState::from)
            .collect();
        Ok(Self {
            max_results,
            next_token: last(pairs, "nextToken"),
            principal_id: last(pairs, "principalId"),
            states: (!states.is_empty()).then_some(states),
        })
    }
}

wire_struct!(ListStreamingSessionsResponse {
    next_token: String,
    sessions: Vec<StreamingSession>,
});

wire_struct!(
    /// The answer of Get, Create, Delete, Start and StopStreamingSession.
    SessionResponse { session: StreamingSession }
);

wire_struct!(
    /// The answer of Create and GetStreamingSessionStream.
    StreamResponse { stream: StreamingSessionStream }
);

wire_struct!(ListStreamingSessionBackupsResponse {
    next_token: String,
    streaming_session_backups: Vec<StreamingSessionBackup>,
});

wire_struct!(GetStreamingSessionBackupResponse {
    streaming_session_backup: StreamingSessionBackup,
});

wire_struct!(ListLaunchProfilesResponse {
    launch_profiles: Vec<LaunchProfile>,
    next_token: String,
});

wire_struct!(GetLaunchProfileResponse {
    launch_profile: LaunchProfile,
});

wire_struct!(ListStreamingImagesResponse {
    next_token: String,
    streaming_images: Vec<StreamingImage>,
});

wire_struct!(GetStreamingImageResponse {
    streaming_image: StreamingImage,
});

/// `GET /api/me` on portal-proxy: who is signed in, and in which studio.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user: String,
    pub studio_id: String,
    #[serde(default)]
    pub admin: bool,
}
