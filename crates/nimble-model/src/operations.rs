//! The routing table of the operations the portal uses: method, URI template, and which
//! take a client token. [`Operation::ALL`] are AWS's (the service model's);
//! [`Operation::EXTENSIONS`] are studio-portal's own, outside the model, signed and routed
//! the same way (`extensions.rs` has their shapes). `route.rs` turns paths into
//! operations and back.

pub const API_VERSION: &str = "2020-08-01";
pub const CLIENT_TOKEN_HEADER: &str = "X-Amz-Client-Token";

/// An extension for portal-proxy: whom a signed state change is made for, and why (the
/// reason percent-encoded). local-studio reads them only when they are signed; the session
/// then says who acted and why (an admin stopping an artist's workstation).
pub const ON_BEHALF_OF_HEADER: &str = "x-studio-portal-on-behalf-of";
pub const REASON_HEADER: &str = "x-studio-portal-reason";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    ListStreamingSessions,
    GetStreamingSession,
    CreateStreamingSession,
    DeleteStreamingSession,
    StartStreamingSession,
    StopStreamingSession,
    CreateStreamingSessionStream,
    GetStreamingSessionStream,
    ListStreamingSessionBackups,
    GetStreamingSessionBackup,
    ListLaunchProfiles,
    GetLaunchProfile,
    ListStreamingImages,
    GetStreamingImage,
    /// Extension: puts off a warned automatic stop (idle, maximum length, schedule).
    KeepStreamingSessionRunning,
    /// Extension: a workstation's working-hours schedule.
    GetWorkstationSchedule,
    /// Extension: sets a workstation's working-hours schedule.
    PutWorkstationSchedule,
    /// Extension: an artist's use against their limits.
    GetArtistUsage,
    /// Extension: the studio's READY hours and cost, grouped (admins).
    GetStudioUsage,
    /// Extension: the most workstations READY at once, step by step (admins).
    GetStudioConcurrency,
    /// Extension: when each READY workstation was last used and last viewed (admins).
    GetStudioActivity,
    /// Extension: an admin sets one artist's limits.
    PutArtistLimits,
    /// Extension: the artist signed out: their desktop viewers may no longer reconnect.
    RevokeViewerGrants,
    /// Extension: shares a workstation with a colleague (`sharing.rs`).
    PutSessionShare,
    /// Extension: revokes a share.
    DeleteSessionShare,
    /// Extension: a workstation's shares and who is connected.
    ListSessionShares,
    /// Extension: what is shared with an artist.
    ListSharedSessions,
    /// Extension: a colleague's stream to a workstation shared with them.
    JoinSharedSession,
    /// Extension: an admin's view-only stream, for support.
    JoinForSupport,
    /// Extension: a small picture of a READY local desktop.
    GetSessionThumbnail,
    /// Extension: the same, for a colleague it is shared with.
    GetSharedSessionThumbnail,
}

impl Operation {
    pub const ALL: [Operation; 14] = [
        Self::ListStreamingSessions,
        Self::GetStreamingSession,
        Self::CreateStreamingSession,
        Self::DeleteStreamingSession,
        Self::StartStreamingSession,
        Self::StopStreamingSession,
        Self::CreateStreamingSessionStream,
        Self::GetStreamingSessionStream,
        Self::ListStreamingSessionBackups,
        Self::GetStreamingSessionBackup,
        Self::ListLaunchProfiles,
        Self::GetLaunchProfile,
        Self::ListStreamingImages,
        Self::GetStreamingImage,
    ];

    /// studio-portal's operations beyond AWS's model.
    pub const EXTENSIONS: [Operation; 17] = [
        Self::GetStudioUsage,
        Self::GetStudioConcurrency,
        Self::GetStudioActivity,
        Self::KeepStreamingSessionRunning,
        Self::GetWorkstationSchedule,
        Self::PutWorkstationSchedule,
        Self::GetArtistUsage,
        Self::PutArtistLimits,
        Self::RevokeViewerGrants,
        Self::PutSessionShare,
        Self::DeleteSessionShare,
        Self::ListSessionShares,
        Self::ListSharedSessions,
        Self::JoinSharedSession,
        Self::JoinForSupport,
        Self::GetSessionThumbnail,
        Self::GetSharedSessionThumbnail,
    ];

    /// Every operation a server routes: AWS's and the extensions.
    pub fn routed() -> impl Iterator<Item = Operation> {
        Self::ALL.into_iter().chain(Self::EXTENSIONS)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::ListStreamingSessions => "ListStreamingSessions",
            Self::GetStreamingSession => "GetStreamingSession",
            Self::CreateStreamingSession => "CreateStreamingSession",
            Self::DeleteStreamingSession => "DeleteStreamingSession",
            Self::StartStreamingSession => "StartStreamingSession",
            Self::StopStreamingSession => "StopStreamingSession",
            Self::CreateStreamingSessionStream => "CreateStreamingSessionStream",
            Self::GetStreamingSessionStream => "GetStreamingSessionStream",
            Self::ListStreamingSessionBackups => "ListStreamingSessionBackups",
            Self::GetStreamingSessionBackup => "GetStreamingSessionBackup",
            Self::ListLaunchProfiles => "ListLaunchProfiles",
            Self::GetLaunchProfile => "GetLaunchProfile",
            Self::ListStreamingImages => "ListStreamingImages",
            Self::GetStreamingImage => "GetStreamingImage",
            Self::KeepStreamingSessionRunning => "KeepStreamingSessionRunning",
            Self::GetWorkstationSchedule => "GetWorkstationSchedule",
            Self::PutWorkstationSchedule => "PutWorkstationSchedule",
            Self::GetArtistUsage => "GetArtistUsage",
            Self::GetStudioUsage => "GetStudioUsage",
            Self::GetStudioConcurrency => "GetStudioConcurrency",
            Self::GetStudioActivity => "GetStudioActivity",
            Self::PutArtistLimits => "PutArtistLimits",
            Self::RevokeViewerGrants => "RevokeViewerGrants",
            Self::PutSessionShare => "PutSessionShare",
            Self::DeleteSessionShare => "DeleteSessionShare",
            Self::ListSessionShares => "ListSessionShares",
            Self::ListSharedSessions => "ListSharedSessions",
            Self::JoinSharedSession => "JoinSharedSession",
            Self::JoinForSupport => "JoinForSupport",
            Self::GetSessionThumbnail => "GetSessionThumbnail",
            Self::GetSharedSessionThumbnail => "GetSharedSessionThumbnail",
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Self::CreateStreamingSession
            | Self::StartStreamingSession
            | Self::StopStreamingSession
            | Self::CreateStreamingSessionStream
            | Self::KeepStreamingSessionRunning
            | Self::JoinSharedSession
            | Self::JoinForSupport => "POST",
            Self::PutArtistLimits | Self::PutWorkstationSchedule | Self::PutSessionShare => "PUT",
            Self::DeleteStreamingSession | Self::RevokeViewerGrants | Self::DeleteSessionShare => {
                "DELETE"
            }
            _ => "GET",
        }
    }

    pub fn uri_template(self) -> &'static str {
        match self {
            Self::ListStreamingSessions | Self::CreateStreamingSession => {
                "/2020-08-01/studios/{studioId}/streaming-sessions"
            }
            Self::GetStreamingSession | Self::DeleteStreamingSession => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}"
            }
            Self::StartStreamingSession => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/start"
            }
            Self::StopStreamingSession => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/stop"
            }
            Self::CreateStreamingSessionStream => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/streams"
            }
            Self::GetStreamingSessionStream => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/streams/{streamId}"
            }
            Self::ListStreamingSessionBackups => {
                "/2020-08-01/studios/{studioId}/streaming-session-backups"
            }
            Self::GetStreamingSessionBackup => {
                "/2020-08-01/studios/{studioId}/streaming-session-backups/{backupId}"
            }
            Self::ListLaunchProfiles => "/2020-08-01/studios/{studioId}/launch-profiles",
            Self::GetLaunchProfile => {
                "/2020-08-01/studios/{studioId}/launch-profiles/{launchProfileId}"
            }
            Self::ListStreamingImages => "/2020-08-01/studios/{studioId}/streaming-images",
            Self::GetStreamingImage => {
                "/2020-08-01/studios/{studioId}/streaming-images/{streamingImageId}"
            }
            Self::KeepStreamingSessionRunning => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/keep-running"
            }
            Self::GetWorkstationSchedule | Self::PutWorkstationSchedule => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/schedule"
            }
            Self::GetArtistUsage => "/2020-08-01/studios/{studioId}/artists/{userId}/usage",
            Self::GetStudioUsage => "/2020-08-01/studios/{studioId}/usage",
            Self::GetStudioConcurrency => "/2020-08-01/studios/{studioId}/usage/concurrency",
            Self::GetStudioActivity => "/2020-08-01/studios/{studioId}/activity",
            Self::PutArtistLimits => "/2020-08-01/studios/{studioId}/artists/{userId}/limits",
            Self::RevokeViewerGrants => {
                "/2020-08-01/studios/{studioId}/artists/{userId}/viewer-grants"
            }
            Self::PutSessionShare | Self::DeleteSessionShare => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/shares/{userId}"
            }
            Self::ListSessionShares => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/shares"
            }
            Self::ListSharedSessions => {
                "/2020-08-01/studios/{studioId}/artists/{userId}/shared-sessions"
            }
            Self::JoinSharedSession => {
                "/2020-08-01/studios/{studioId}/artists/{userId}/shared-sessions/{sessionId}/streams"
            }
            Self::JoinForSupport => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/support-streams"
            }
            Self::GetSessionThumbnail => {
                "/2020-08-01/studios/{studioId}/streaming-sessions/{sessionId}/thumbnail"
            }
            Self::GetSharedSessionThumbnail => {
                "/2020-08-01/studios/{studioId}/artists/{userId}/shared-sessions/{sessionId}/thumbnail"
            }
        }
    }

    /// Operations that carry `X-Amz-Client-Token` (all five that change state).
    pub fn takes_client_token(self) -> bool {
        matches!(
            self,
            Self::CreateStreamingSession
                | Self::DeleteStreamingSession
                | Self::StartStreamingSession
                | Self::StopStreamingSession
                | Self::CreateStreamingSessionStream
        )
    }

    /// Reads change nothing and may be cached, coalesced and retried freely.
    pub fn is_read(self) -> bool {
        self.method() == "GET"
    }

    /// The model's `idempotent` flag.
    pub fn is_modeled_idempotent(self) -> bool {
        matches!(
            self,
            Self::DeleteStreamingSession
                | Self::StartStreamingSession
                | Self::StopStreamingSession
                | Self::CreateStreamingSessionStream
        )
    }

    pub(crate) fn label_names(self) -> impl Iterator<Item = &'static str> {
        self.uri_template()
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    }
}
