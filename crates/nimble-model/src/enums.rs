//! Every enum of the streaming-session and launch-profile shapes, with all of its values.
//! An unknown value is kept in `Unknown` rather than failing, as the AWS SDKs do, so a
//! newer server never breaks an older client; validation rejects it on input.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know, kept exactly as it was sent.
            Unknown(String),
        }

        impl $name {
            /// The wire values, in the model's order.
            pub const VALUES: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown(other) => other,
                }
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(wire: &str) -> Self {
                match wire {
                    $($wire => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let wire = String::deserialize(deserializer)?;
                Ok(Self::from(wire.as_str()))
            }
        }
    };
}

wire_enum!(StreamingSessionState {
    CreateInProgress = "CREATE_IN_PROGRESS",
    DeleteInProgress = "DELETE_IN_PROGRESS",
    Ready = "READY",
    Deleted = "DELETED",
    CreateFailed = "CREATE_FAILED",
    DeleteFailed = "DELETE_FAILED",
    StopInProgress = "STOP_IN_PROGRESS",
    StartInProgress = "START_IN_PROGRESS",
    Stopped = "STOPPED",
    StopFailed = "STOP_FAILED",
    StartFailed = "START_FAILED",
});

impl StreamingSessionState {
    /// A transition is running; no other operation may start.
    pub fn is_in_progress(&self) -> bool {
        matches!(
            self,
            Self::CreateInProgress
                | Self::DeleteInProgress
                | Self::StopInProgress
                | Self::StartInProgress
        )
    }

    pub fn is_failed(&self) -> bool {
        matches!(
            self,
            Self::CreateFailed | Self::DeleteFailed | Self::StopFailed | Self::StartFailed
        )
    }
}

wire_enum!(StreamingSessionStatusCode {
    StreamingSessionReady = "STREAMING_SESSION_READY",
    StreamingSessionDeleted = "STREAMING_SESSION_DELETED",
    StreamingSessionCreateInProgress = "STREAMING_SESSION_CREATE_IN_PROGRESS",
    StreamingSessionDeleteInProgress = "STREAMING_SESSION_DELETE_IN_PROGRESS",
    InternalError = "INTERNAL_ERROR",
    InsufficientCapacity = "INSUFFICIENT_CAPACITY",
    ActiveDirectoryDomainJoinError = "ACTIVE_DIRECTORY_DOMAIN_JOIN_ERROR",
    NetworkConnectionError = "NETWORK_CONNECTION_ERROR",
    InitializationScriptError = "INITIALIZATION_SCRIPT_ERROR",
    DecryptStreamingImageError = "DECRYPT_STREAMING_IMAGE_ERROR",
    NetworkInterfaceError = "NETWORK_INTERFACE_ERROR",
    StreamingSessionStopped = "STREAMING_SESSION_STOPPED",
    StreamingSessionStarted = "STREAMING_SESSION_STARTED",
    StreamingSessionStopInProgress = "STREAMING_SESSION_STOP_IN_PROGRESS",
    StreamingSessionStartInProgress = "STREAMING_SESSION_START_IN_PROGRESS",
    AmiValidationError = "AMI_VALIDATION_ERROR",
});

wire_enum!(StreamingSessionStreamState {
    Ready = "READY",
    CreateInProgress = "CREATE_IN_PROGRESS",
    DeleteInProgress = "DELETE_IN_PROGRESS",
    Deleted = "DELETED",
    CreateFailed = "CREATE_FAILED",
    DeleteFailed = "DELETE_FAILED",
});

wire_enum!(StreamingSessionStreamStatusCode {
    StreamCreateInProgress = "STREAM_CREATE_IN_PROGRESS",
    StreamReady = "STREAM_READY",
    StreamDeleteInProgress = "STREAM_DELETE_IN_PROGRESS",
    StreamDeleted = "STREAM_DELETED",
    InternalError = "INTERNAL_ERROR",
    NetworkConnectionError = "NETWORK_CONNECTION_ERROR",
});

wire_enum!(VolumeRetentionMode {
    Retain = "RETAIN",
    Delete = "DELETE",
});

wire_enum!(SessionBackupMode {
    Automatic = "AUTOMATIC",
    Deactivated = "DEACTIVATED",
});

wire_enum!(SessionPersistenceMode {
    Deactivated = "DEACTIVATED",
    Activated = "ACTIVATED",
});

wire_enum!(AutomaticTerminationMode {
    Deactivated = "DEACTIVATED",
    Activated = "ACTIVATED",
});

wire_enum!(StreamingInstanceType {
    G4dnXlarge = "g4dn.xlarge",
    G4dn2xlarge = "g4dn.2xlarge",
    G4dn4xlarge = "g4dn.4xlarge",
    G4dn8xlarge = "g4dn.8xlarge",
    G4dn12xlarge = "g4dn.12xlarge",
    G4dn16xlarge = "g4dn.16xlarge",
    G3_4xlarge = "g3.4xlarge",
    G3sXlarge = "g3s.xlarge",
    G5Xlarge = "g5.xlarge",
    G5_2xlarge = "g5.2xlarge",
    G5_4xlarge = "g5.4xlarge",
    G5_8xlarge = "g5.8xlarge",
    G5_16xlarge = "g5.16xlarge",
});

wire_enum!(StreamingClipboardMode {
    Enabled = "ENABLED",
    Disabled = "DISABLED",
});

wire_enum!(StreamingSessionStorageMode { Upload = "UPLOAD" });

wire_enum!(StreamingImageState {
    CreateInProgress = "CREATE_IN_PROGRESS",
    Ready = "READY",
    DeleteInProgress = "DELETE_IN_PROGRESS",
    Deleted = "DELETED",
    UpdateInProgress = "UPDATE_IN_PROGRESS",
    UpdateFailed = "UPDATE_FAILED",
    CreateFailed = "CREATE_FAILED",
    DeleteFailed = "DELETE_FAILED",
});

wire_enum!(StreamingImageStatusCode {
    StreamingImageCreateInProgress = "STREAMING_IMAGE_CREATE_IN_PROGRESS",
    StreamingImageReady = "STREAMING_IMAGE_READY",
    StreamingImageDeleteInProgress = "STREAMING_IMAGE_DELETE_IN_PROGRESS",
    StreamingImageDeleted = "STREAMING_IMAGE_DELETED",
    StreamingImageUpdateInProgress = "STREAMING_IMAGE_UPDATE_IN_PROGRESS",
    InternalError = "INTERNAL_ERROR",
    AccessDenied = "ACCESS_DENIED",
});

wire_enum!(StreamingImageEncryptionConfigurationKeyType {
    CustomerManagedKey = "CUSTOMER_MANAGED_KEY",
});

wire_enum!(LaunchProfileState {
    CreateInProgress = "CREATE_IN_PROGRESS",
    Ready = "READY",
    UpdateInProgress = "UPDATE_IN_PROGRESS",
    DeleteInProgress = "DELETE_IN_PROGRESS",
    Deleted = "DELETED",
    DeleteFailed = "DELETE_FAILED",
    CreateFailed = "CREATE_FAILED",
    UpdateFailed = "UPDATE_FAILED",
});

wire_enum!(LaunchProfileStatusCode {
    LaunchProfileCreated = "LAUNCH_PROFILE_CREATED",
    LaunchProfileUpdated = "LAUNCH_PROFILE_UPDATED",
    LaunchProfileDeleted = "LAUNCH_PROFILE_DELETED",
    LaunchProfileCreateInProgress = "LAUNCH_PROFILE_CREATE_IN_PROGRESS",
    LaunchProfileUpdateInProgress = "LAUNCH_PROFILE_UPDATE_IN_PROGRESS",
    LaunchProfileDeleteInProgress = "LAUNCH_PROFILE_DELETE_IN_PROGRESS",
    InternalError = "INTERNAL_ERROR",
    StreamingImageNotFound = "STREAMING_IMAGE_NOT_FOUND",
    StreamingImageNotReady = "STREAMING_IMAGE_NOT_READY",
    LaunchProfileWithStreamSessionsNotDeleted = "LAUNCH_PROFILE_WITH_STREAM_SESSIONS_NOT_DELETED",
    EncryptionKeyAccessDenied = "ENCRYPTION_KEY_ACCESS_DENIED",
    EncryptionKeyNotFound = "ENCRYPTION_KEY_NOT_FOUND",
    InvalidSubnetsProvided = "INVALID_SUBNETS_PROVIDED",
    InvalidInstanceTypesProvided = "INVALID_INSTANCE_TYPES_PROVIDED",
    InvalidSubnetsCombination = "INVALID_SUBNETS_COMBINATION",
});

wire_enum!(LaunchProfileValidationState {
    ValidationNotStarted = "VALIDATION_NOT_STARTED",
    ValidationInProgress = "VALIDATION_IN_PROGRESS",
    ValidationSuccess = "VALIDATION_SUCCESS",
    ValidationFailed = "VALIDATION_FAILED",
    ValidationFailedInternalServerError = "VALIDATION_FAILED_INTERNAL_SERVER_ERROR",
});

wire_enum!(LaunchProfileValidationStatusCode {
    ValidationNotStarted = "VALIDATION_NOT_STARTED",
    ValidationInProgress = "VALIDATION_IN_PROGRESS",
    ValidationSuccess = "VALIDATION_SUCCESS",
    ValidationFailedInvalidSubnetRouteTableAssociation =
        "VALIDATION_FAILED_INVALID_SUBNET_ROUTE_TABLE_ASSOCIATION",
    ValidationFailedSubnetNotFound = "VALIDATION_FAILED_SUBNET_NOT_FOUND",
    ValidationFailedInvalidSecurityGroupAssociation =
        "VALIDATION_FAILED_INVALID_SECURITY_GROUP_ASSOCIATION",
    ValidationFailedInvalidActiveDirectory = "VALIDATION_FAILED_INVALID_ACTIVE_DIRECTORY",
    ValidationFailedUnauthorized = "VALIDATION_FAILED_UNAUTHORIZED",
    ValidationFailedInternalServerError = "VALIDATION_FAILED_INTERNAL_SERVER_ERROR",
});

wire_enum!(LaunchProfileValidationType {
    ValidateActiveDirectoryStudioComponent = "VALIDATE_ACTIVE_DIRECTORY_STUDIO_COMPONENT",
    ValidateSubnetAssociation = "VALIDATE_SUBNET_ASSOCIATION",
    ValidateNetworkAclAssociation = "VALIDATE_NETWORK_ACL_ASSOCIATION",
    ValidateSecurityGroupAssociation = "VALIDATE_SECURITY_GROUP_ASSOCIATION",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept_not_rejected() {
        let state: StreamingSessionState = "HIBERNATING".into();
        assert_eq!(state, StreamingSessionState::Unknown("HIBERNATING".into()));
        assert_eq!(state.as_str(), "HIBERNATING");
        assert!(!state.is_known());
        assert_eq!(
            StreamingSessionState::from("READY"),
            StreamingSessionState::Ready
        );
    }
}
