//! Every constraint of the model (length, range, pattern, enum, required) on the inputs the
//! servers accept. Real clients check only `min` and required members, so the servers must
//! enforce the rest; each error names the member's wire name.
//!
//! Long because: one `impl Validate` per input shape, each a few lines that mirror the
//! model's constraints, read best side by side in one place.

use crate::error::ValidationError;
use crate::requests::*;
use crate::shapes::*;

pub trait Validate {
    fn validate(&self) -> Result<(), ValidationError>;
}

type Checked = Result<(), ValidationError>;

pub(crate) fn length(field: &str, value: &str, min: usize, max: usize) -> Checked {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(ValidationError::new(
            field,
            format!("length must be between {min} and {max} characters, not {len}"),
        ));
    }
    Ok(())
}

pub(crate) fn range(field: &str, value: i64, min: i64, max: i64) -> Checked {
    if value < min || value > max {
        return Err(ValidationError::new(
            field,
            format!("must be between {min} and {max}, not {value}"),
        ));
    }
    Ok(())
}

fn count<T>(field: &str, items: &[T], min: usize, max: usize) -> Checked {
    if items.len() < min || items.len() > max {
        return Err(ValidationError::new(
            field,
            format!(
                "must hold between {min} and {max} items, not {}",
                items.len()
            ),
        ));
    }
    Ok(())
}

fn required<T>(field: &str, value: &Option<T>) -> Checked {
    match value {
        Some(_) => Ok(()),
        None => Err(ValidationError::new(field, "is required")),
    }
}

macro_rules! known {
    ($field:expr, $value:expr, $enum:ty) => {{
        let value: &$enum = $value;
        if value.is_known() {
            Ok(())
        } else {
            Err(ValidationError::new(
                $field,
                format!(
                    "{:?} is not one of {}",
                    value.as_str(),
                    <$enum>::VALUES.join(", ")
                ),
            ))
        }
    }};
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `^[a-zA-Z0-9-_]*$` with the given maximum length (StreamingImageId, LaunchProfileId).
fn id(field: &str, value: &str, max: usize) -> Checked {
    length(field, value, 0, max)?;
    if !value.chars().all(is_id_char) {
        return Err(ValidationError::new(
            field,
            format!("{value:?} may hold only letters, digits, '-' and '_'"),
        ));
    }
    Ok(())
}

/// Segments of `[A-Za-z0-9_-]+` separated by one of `separators`, at least one segment.
fn path_segments(rest: &str, separators: &[char]) -> bool {
    !rest.is_empty()
        && rest
            .split(|c| separators.contains(&c))
            .all(|segment| !segment.is_empty() && segment.chars().all(is_id_char))
}

/// `^(\$HOME|/)[/]?([A-Za-z0-9-_]+/)*([A-Za-z0-9_-]+)$`
fn linux_root(field: &str, value: &str) -> Checked {
    length(field, value, 1, 128)?;
    let rest = value
        .strip_prefix("$HOME")
        .or_else(|| value.strip_prefix('/'))
        .map(|rest| rest.strip_prefix('/').unwrap_or(rest));
    match rest {
        Some(rest) if path_segments(rest, &['/']) => Ok(()),
        _ => Err(ValidationError::new(
            field,
            format!("{value:?} must be an absolute path or start with $HOME"),
        )),
    }
}

/// `^((\%HOMEPATH\%)|[a-zA-Z]:)[\\/](?:[a-zA-Z0-9_-]+[\\/])*[a-zA-Z0-9_-]+$`
fn windows_root(field: &str, value: &str) -> Checked {
    length(field, value, 1, 128)?;
    let drive = match value.as_bytes() {
        [letter, b':', ..] if letter.is_ascii_alphabetic() => Some(&value[2..]),
        _ => None,
    };
    let rest = value.strip_prefix("%HOMEPATH%").or(drive);
    let rest = rest.and_then(|r| r.strip_prefix(['\\', '/']));
    match rest {
        Some(rest) if path_segments(rest, &['\\', '/']) => Ok(()),
        _ => Err(ValidationError::new(
            field,
            format!("{value:?} must start with %HOMEPATH% or a drive letter"),
        )),
    }
}

fn nested(parent: &str, value: &Option<impl Validate>) -> Checked {
    match value {
        Some(inner) => inner.validate().map_err(|e| e.nested(parent)),
        None => Ok(()),
    }
}

/// The `X-Amz-Client-Token` header, when given, is 1 to 64 characters.
pub fn validate_client_token(token: Option<&str>) -> Checked {
    match token {
        Some(token) => length("clientToken", token, 1, 64),
        None => Ok(()),
    }
}

impl Validate for CreateStreamingSessionBody {
    fn validate(&self) -> Checked {
        required("launchProfileId", &self.launch_profile_id)?;
        if let Some(profile) = &self.launch_profile_id {
            if profile.is_empty() {
                return Err(ValidationError::new("launchProfileId", "must not be empty"));
            }
        }
        if let Some(kind) = &self.ec2_instance_type {
            known!("ec2InstanceType", kind, crate::StreamingInstanceType)?;
        }
        if let Some(image) = &self.streaming_image_id {
            id("streamingImageId", image, 22)?;
        }
        if let Some(given) = &self.tags {
            crate::tags::validate_tags(given)?;
        }
        Ok(())
    }
}

impl Validate for StartStreamingSessionBody {
    fn validate(&self) -> Checked {
        Ok(())
    }
}

impl Validate for StopStreamingSessionBody {
    fn validate(&self) -> Checked {
        if let Some(mode) = &self.volume_retention_mode {
            known!("volumeRetentionMode", mode, crate::VolumeRetentionMode)?;
        }
        Ok(())
    }
}

impl Validate for CreateStreamingSessionStreamBody {
    fn validate(&self) -> Checked {
        if let Some(seconds) = self.expiration_in_seconds {
            range("expirationInSeconds", seconds, 60, 3600)?;
        }
        Ok(())
    }
}

impl Validate for ListStreamingSessionsQuery {
    fn validate(&self) -> Checked {
        Ok(())
    }
}

impl Validate for ListStreamingSessionBackupsQuery {
    fn validate(&self) -> Checked {
        Ok(())
    }
}

impl Validate for ListStreamingImagesQuery {
    fn validate(&self) -> Checked {
        Ok(())
    }
}

impl Validate for ListLaunchProfilesQuery {
    fn validate(&self) -> Checked {
        if let Some(max) = self.max_results {
            range("maxResults", max, 1, 100)?;
        }
        for state in self.states.iter().flatten() {
            known!("states", state, crate::LaunchProfileState)?;
        }
        Ok(())
    }
}

impl Validate for VolumeConfiguration {
    fn validate(&self) -> Checked {
        if let Some(iops) = self.iops {
            range("iops", iops.into(), 3000, 16000)?;
        }
        if let Some(size) = self.size {
            range("size", size.into(), 100, 16000)?;
        }
        if let Some(throughput) = self.throughput {
            range("throughput", throughput.into(), 125, 1000)?;
        }
        Ok(())
    }
}

impl Validate for StreamConfigurationSessionBackup {
    fn validate(&self) -> Checked {
        if let Some(max) = self.max_backups_to_retain {
            range("maxBackupsToRetain", max.into(), 0, 10)?;
        }
        if let Some(mode) = &self.mode {
            known!("mode", mode, crate::SessionBackupMode)?;
        }
        Ok(())
    }
}

impl Validate for StreamingSessionStorageRoot {
    fn validate(&self) -> Checked {
        if let Some(linux) = &self.linux {
            linux_root("linux", linux)?;
        }
        if let Some(windows) = &self.windows {
            windows_root("windows", windows)?;
        }
        Ok(())
    }
}

impl Validate for StreamConfigurationSessionStorage {
    fn validate(&self) -> Checked {
        required("mode", &self.mode)?;
        let modes = self.mode.as_deref().unwrap_or_default();
        count("mode", modes, 1, usize::MAX)?;
        for mode in modes {
            known!("mode", mode, crate::StreamingSessionStorageMode)?;
        }
        nested("root", &self.root)
    }
}

impl Validate for StreamConfiguration {
    fn validate(&self) -> Checked {
        required("clipboardMode", &self.clipboard_mode)?;
        required("ec2InstanceTypes", &self.ec2_instance_types)?;
        required("streamingImageIds", &self.streaming_image_ids)?;
        if let Some(mode) = &self.automatic_termination_mode {
            known!(
                "automaticTerminationMode",
                mode,
                crate::AutomaticTerminationMode
            )?;
        }
        if let Some(mode) = &self.clipboard_mode {
            known!("clipboardMode", mode, crate::StreamingClipboardMode)?;
        }
        let types = self.ec2_instance_types.as_deref().unwrap_or_default();
        count("ec2InstanceTypes", types, 1, 30)?;
        for kind in types {
            known!("ec2InstanceTypes", kind, crate::StreamingInstanceType)?;
        }
        if let Some(minutes) = self.max_session_length_in_minutes {
            range("maxSessionLengthInMinutes", minutes.into(), 1, 43200)?;
        }
        if let Some(minutes) = self.max_stopped_session_length_in_minutes {
            range("maxStoppedSessionLengthInMinutes", minutes.into(), 0, 5760)?;
        }
        nested("sessionBackup", &self.session_backup)?;
        if let Some(mode) = &self.session_persistence_mode {
            known!(
                "sessionPersistenceMode",
                mode,
                crate::SessionPersistenceMode
            )?;
        }
        nested("sessionStorage", &self.session_storage)?;
        let images = self.streaming_image_ids.as_deref().unwrap_or_default();
        count("streamingImageIds", images, 1, 20)?;
        for image in images {
            id("streamingImageIds", image, 22)?;
        }
        nested("volumeConfiguration", &self.volume_configuration)
    }
}

impl Validate for ValidationResult {
    fn validate(&self) -> Checked {
        required("state", &self.state)?;
        required("statusCode", &self.status_code)?;
        required("statusMessage", &self.status_message)?;
        required("type", &self.r#type)?;
        if let Some(state) = &self.state {
            known!("state", state, crate::LaunchProfileValidationState)?;
        }
        if let Some(code) = &self.status_code {
            known!("statusCode", code, crate::LaunchProfileValidationStatusCode)?;
        }
        if let Some(kind) = &self.r#type {
            known!("type", kind, crate::LaunchProfileValidationType)?;
        }
        Ok(())
    }
}

impl Validate for LaunchProfile {
    fn validate(&self) -> Checked {
        if let Some(description) = &self.description {
            length("description", description, 0, 256)?;
        }
        if let Some(subnets) = &self.ec2_subnet_ids {
            count("ec2SubnetIds", subnets, 0, 6)?;
        }
        if let Some(profile) = &self.launch_profile_id {
            id("launchProfileId", profile, 22)?;
        }
        for version in self.launch_profile_protocol_versions.iter().flatten() {
            length("launchProfileProtocolVersions", version, 0, 10)?;
            if version != "2021-03-31" {
                return Err(ValidationError::new(
                    "launchProfileProtocolVersions",
                    format!("{version:?} is not 2021-03-31, the only valid version"),
                ));
            }
        }
        if let Some(name) = &self.name {
            length("name", name, 1, 64)?;
        }
        if let Some(state) = &self.state {
            known!("state", state, crate::LaunchProfileState)?;
        }
        if let Some(code) = &self.status_code {
            known!("statusCode", code, crate::LaunchProfileStatusCode)?;
        }
        nested("streamConfiguration", &self.stream_configuration)?;
        if let Some(components) = &self.studio_component_ids {
            count("studioComponentIds", components, 1, 100)?;
        }
        if let Some(given) = &self.tags {
            crate::tags::validate_tags(given)?;
        }
        for result in self.validation_results.iter().flatten() {
            result
                .validate()
                .map_err(|e| e.nested("validationResults"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_root_patterns_follow_the_model() {
        // Cases checked against the model's regex with Python's `re`.
        for good in ["$HOME/renders", "/mnt/a/b", "//x", "$HOMEx"] {
            assert!(linux_root("linux", good).is_ok(), "{good}");
        }
        for bad in ["relative/x", "/", "/a//b", "$HOME//y", "/a b"] {
            assert!(linux_root("linux", bad).is_err(), "{bad}");
        }
        for good in ["%HOMEPATH%\\renders", "C:/a\\b", "z:\\x"] {
            assert!(windows_root("windows", good).is_ok(), "{good}");
        }
        for bad in ["C:", "C:\\", "\\\\server\\x", "%HOMEPATH%x", "1:\\x"] {
            assert!(windows_root("windows", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_token_is_one_to_sixty_four_characters() {
        assert!(validate_client_token(None).is_ok());
        assert!(validate_client_token(Some(&"a".repeat(64))).is_ok());
        let error = validate_client_token(Some(&"a".repeat(65))).unwrap_err();
        assert_eq!(error.field, "clientToken");
        assert!(validate_client_token(Some("")).is_err());
    }
}
