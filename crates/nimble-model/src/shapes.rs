//! The structures the API returns. Every member is optional on the wire, so every field is an
//! `Option` that is omitted (never written as null) when absent.

use crate::enums::*;
use crate::extensions::StopWarning;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub type Tags = BTreeMap<String, String>;

/// Declares a wire structure: camelCase names, every member optional and omitted when `None`.
macro_rules! wire_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}
pub(crate) use wire_struct;

/// A string the model marks `sensitive` (the stream URL): it is written on the wire in
/// clear but never shown by `Debug`, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SensitiveString(pub String);

impl fmt::Debug for SensitiveString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("*** Sensitive Data Redacted ***")
    }
}

impl SensitiveString {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

wire_struct!(
    /// A virtual workstation created from a launch profile.
    StreamingSession {
        arn: String,
        automatic_termination_mode: AutomaticTerminationMode,
        backup_mode: SessionBackupMode,
        created_at: Timestamp,
        created_by: String,
        ec2_instance_type: String,
        launch_profile_id: String,
        max_backups_to_retain: i32,
        owned_by: String,
        session_id: String,
        session_persistence_mode: SessionPersistenceMode,
        started_at: Timestamp,
        started_by: String,
        started_from_backup_id: String,
        state: StreamingSessionState,
        status_code: StreamingSessionStatusCode,
        status_message: String,
        stop_at: Timestamp,
        /// Extension (`extensions.rs`): an automatic stop is near.
        stop_warning: StopWarning,
        stopped_at: Timestamp,
        stopped_by: String,
        streaming_image_id: String,
        tags: Tags,
        terminate_at: Timestamp,
        updated_at: Timestamp,
        updated_by: String,
        volume_configuration: VolumeConfiguration,
        volume_retention_mode: VolumeRetentionMode,
    }
);

wire_struct!(
    /// A connection to a session; its `url` opens the DCV web client once it is READY.
    StreamingSessionStream {
        created_at: Timestamp,
        created_by: String,
        expires_at: Timestamp,
        owned_by: String,
        state: StreamingSessionStreamState,
        status_code: StreamingSessionStreamStatusCode,
        stream_id: String,
        url: SensitiveString,
    }
);

wire_struct!(
    /// A snapshot of a session's volumes taken when it stopped.
    StreamingSessionBackup {
        arn: String,
        backup_id: String,
        created_at: Timestamp,
        launch_profile_id: String,
        owned_by: String,
        session_id: String,
        state: StreamingSessionState,
        status_code: StreamingSessionStatusCode,
        status_message: String,
        tags: Tags,
    }
);

wire_struct!(VolumeConfiguration {
    iops: i32,
    size: i32,
    throughput: i32,
});

wire_struct!(
    /// What a session may be created from: instance types, images, limits and persistence.
    LaunchProfile {
        arn: String,
        created_at: Timestamp,
        created_by: String,
        description: String,
        ec2_subnet_ids: Vec<String>,
        launch_profile_id: String,
        launch_profile_protocol_versions: Vec<String>,
        name: String,
        state: LaunchProfileState,
        status_code: LaunchProfileStatusCode,
        status_message: String,
        stream_configuration: StreamConfiguration,
        studio_component_ids: Vec<String>,
        tags: Tags,
        updated_at: Timestamp,
        updated_by: String,
        validation_results: Vec<ValidationResult>,
    }
);

wire_struct!(
    /// What a session runs: an EC2 machine image (AMI) and what the portal shows of it.
    StreamingImage {
        arn: String,
        description: String,
        ec2_image_id: String,
        encryption_configuration: StreamingImageEncryptionConfiguration,
        eula_ids: Vec<String>,
        name: String,
        owner: String,
        platform: String,
        state: StreamingImageState,
        status_code: StreamingImageStatusCode,
        status_message: String,
        streaming_image_id: String,
        studio_id: String,
        tags: Tags,
    }
);

wire_struct!(StreamingImageEncryptionConfiguration {
    key_arn: String,
    key_type: StreamingImageEncryptionConfigurationKeyType,
});

wire_struct!(StreamConfiguration {
    automatic_termination_mode: AutomaticTerminationMode,
    clipboard_mode: StreamingClipboardMode,
    ec2_instance_types: Vec<StreamingInstanceType>,
    max_session_length_in_minutes: i32,
    max_stopped_session_length_in_minutes: i32,
    session_backup: StreamConfigurationSessionBackup,
    session_persistence_mode: SessionPersistenceMode,
    session_storage: StreamConfigurationSessionStorage,
    streaming_image_ids: Vec<String>,
    volume_configuration: VolumeConfiguration,
});

wire_struct!(StreamConfigurationSessionBackup {
    max_backups_to_retain: i32,
    mode: SessionBackupMode,
});

wire_struct!(StreamConfigurationSessionStorage {
    mode: Vec<StreamingSessionStorageMode>,
    root: StreamingSessionStorageRoot,
});

wire_struct!(StreamingSessionStorageRoot {
    linux: String,
    windows: String,
});

wire_struct!(ValidationResult {
    state: LaunchProfileValidationState,
    status_code: LaunchProfileValidationStatusCode,
    status_message: String,
    r#type: LaunchProfileValidationType,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_url_never_appears_in_debug() {
        let stream = StreamingSessionStream {
            url: Some(SensitiveString("https://dcv.example/?token=secret".into())),
            ..Default::default()
        };
        assert!(!format!("{stream:?}").contains("secret"));
    }
}
