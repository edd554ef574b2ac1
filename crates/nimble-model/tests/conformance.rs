//! Checks nimble-model against botocore's `service-2.json`, member by member: every shape
//! the fourteen operations use must exist in Rust with the same wire names, JSON types and
//! enum values. A fully populated sample is generated from the model, read into the Rust
//! type and written back; anything Rust drops, renames or retypes shows up as a difference.

mod model;

use model::{differences, Model};
use nimble_model::*;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

fn round_trip<T: Serialize + DeserializeOwned>(sample: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(sample.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// The Rust response type of each operation, as a round trip.
fn output_round_trip(op: Operation, sample: &Value) -> Result<Value, String> {
    use Operation::*;
    match op {
        ListStreamingSessions => round_trip::<ListStreamingSessionsResponse>(sample),
        GetStreamingSession
        | CreateStreamingSession
        | DeleteStreamingSession
        | StartStreamingSession
        | StopStreamingSession
        | KeepStreamingSessionRunning => round_trip::<SessionResponse>(sample),
        CreateStreamingSessionStream | GetStreamingSessionStream => {
            round_trip::<StreamResponse>(sample)
        }
        ListStreamingSessionBackups => round_trip::<ListStreamingSessionBackupsResponse>(sample),
        GetStreamingSessionBackup => round_trip::<GetStreamingSessionBackupResponse>(sample),
        ListLaunchProfiles => round_trip::<ListLaunchProfilesResponse>(sample),
        GetLaunchProfile => round_trip::<GetLaunchProfileResponse>(sample),
        ListStreamingImages => round_trip::<ListStreamingImagesResponse>(sample),
        GetStreamingImage => round_trip::<GetStreamingImageResponse>(sample),
        // Extensions: not in the model, never sampled from it (`Operation::ALL` only).
        GetArtistUsage | PutArtistLimits => round_trip::<ArtistUsageResponse>(sample),
        GetStudioUsage => round_trip::<StudioUsageResponse>(sample),
        GetStudioConcurrency => round_trip::<ConcurrencyResponse>(sample),
        GetStudioActivity => round_trip::<StudioActivityResponse>(sample),
        GetWorkstationSchedule | PutWorkstationSchedule => round_trip::<ScheduleResponse>(sample),
        RevokeViewerGrants => round_trip::<RevokeViewerGrantsResponse>(sample),
        PutSessionShare | DeleteSessionShare => round_trip::<SessionShareResponse>(sample),
        ListSessionShares | ListSharedSessions => round_trip::<SessionSharesResponse>(sample),
        JoinSharedSession | JoinForSupport => round_trip::<JoinResponse>(sample),
        GetSessionThumbnail | GetSharedSessionThumbnail => round_trip::<ThumbnailResponse>(sample),
    }
}

/// The Rust type of each operation's JSON body or query string; `None` when it has neither.
fn input_round_trip(op: Operation, sample: &Value) -> Option<Result<Value, String>> {
    use Operation::*;
    Some(match op {
        CreateStreamingSession => round_trip::<CreateStreamingSessionBody>(sample),
        StartStreamingSession => round_trip::<StartStreamingSessionBody>(sample),
        StopStreamingSession => round_trip::<StopStreamingSessionBody>(sample),
        CreateStreamingSessionStream => round_trip::<CreateStreamingSessionStreamBody>(sample),
        ListStreamingSessions => round_trip::<ListStreamingSessionsQuery>(sample),
        ListStreamingSessionBackups => round_trip::<ListStreamingSessionBackupsQuery>(sample),
        ListLaunchProfiles => round_trip::<ListLaunchProfilesQuery>(sample),
        ListStreamingImages => round_trip::<ListStreamingImagesQuery>(sample),
        _ => return None,
    })
}

/// The query-string names each Rust query type writes.
fn query_names(op: Operation, sample: &Value) -> Vec<&'static str> {
    fn names<T: QueryString + DeserializeOwned>(sample: &Value) -> Vec<&'static str> {
        let query: T = serde_json::from_value(sample.clone()).expect("query sample");
        query.to_pairs().into_iter().map(|(name, _)| name).collect()
    }
    match op {
        Operation::ListStreamingSessions => names::<ListStreamingSessionsQuery>(sample),
        Operation::ListStreamingSessionBackups => names::<ListStreamingSessionBackupsQuery>(sample),
        Operation::ListLaunchProfiles => names::<ListLaunchProfilesQuery>(sample),
        Operation::ListStreamingImages => names::<ListStreamingImagesQuery>(sample),
        _ => Vec::new(),
    }
}

/// Each enum shape of the model and the values of its Rust type.
const ENUMS: &[(&str, &[&str])] = &[
    ("StreamingSessionState", StreamingSessionState::VALUES),
    (
        "StreamingSessionStatusCode",
        StreamingSessionStatusCode::VALUES,
    ),
    (
        "StreamingSessionStreamState",
        StreamingSessionStreamState::VALUES,
    ),
    (
        "StreamingSessionStreamStatusCode",
        StreamingSessionStreamStatusCode::VALUES,
    ),
    ("VolumeRetentionMode", VolumeRetentionMode::VALUES),
    ("SessionBackupMode", SessionBackupMode::VALUES),
    ("SessionPersistenceMode", SessionPersistenceMode::VALUES),
    ("AutomaticTerminationMode", AutomaticTerminationMode::VALUES),
    ("StreamingInstanceType", StreamingInstanceType::VALUES),
    ("StreamingClipboardMode", StreamingClipboardMode::VALUES),
    (
        "StreamingSessionStorageMode",
        StreamingSessionStorageMode::VALUES,
    ),
    ("LaunchProfileState", LaunchProfileState::VALUES),
    ("LaunchProfileStatusCode", LaunchProfileStatusCode::VALUES),
    (
        "LaunchProfileValidationState",
        LaunchProfileValidationState::VALUES,
    ),
    (
        "LaunchProfileValidationStatusCode",
        LaunchProfileValidationStatusCode::VALUES,
    ),
    (
        "LaunchProfileValidationType",
        LaunchProfileValidationType::VALUES,
    ),
    ("StreamingImageState", StreamingImageState::VALUES),
    ("StreamingImageStatusCode", StreamingImageStatusCode::VALUES),
    (
        "StreamingImageEncryptionConfigurationKeyType",
        StreamingImageEncryptionConfigurationKeyType::VALUES,
    ),
];

fn operation(name: &str) -> Operation {
    Operation::ALL
        .into_iter()
        .find(|op| op.name() == name)
        .unwrap_or_else(|| panic!("{name} has no Rust operation"))
}

#[test]
fn every_operation_has_the_models_route_and_client_token() {
    let model = Model::load();
    let mut problems = Vec::new();
    for op in Operation::ALL {
        let spec = model.operation(op.name());
        let http = &spec["http"];
        if http["method"] != op.method() {
            problems.push(format!(
                "{}: method {} in the model",
                op.name(),
                http["method"]
            ));
        }
        if http["requestUri"] != op.uri_template() {
            problems.push(format!(
                "{}: uri {} in the model",
                op.name(),
                http["requestUri"]
            ));
        }
        if http["responseCode"] != json!(200) {
            problems.push(format!(
                "{}: success is {}",
                op.name(),
                http["responseCode"]
            ));
        }
        let idempotent = spec["idempotent"].as_bool().unwrap_or(false);
        if idempotent != op.is_modeled_idempotent() {
            problems.push(format!("{}: idempotent flag differs", op.name()));
        }
        let input = spec["input"]["shape"].as_str().unwrap();
        let mut has_token = false;
        for (name, member) in model.members(input) {
            let wire = member["locationName"].as_str().unwrap_or(&name);
            match member["location"].as_str() {
                Some("uri") if !op.uri_template().contains(&format!("{{{wire}}}")) => {
                    problems.push(format!("{}: path label {wire} missing", op.name()))
                }
                Some("header") => {
                    has_token = true;
                    if wire != CLIENT_TOKEN_HEADER || member["idempotencyToken"] != json!(true) {
                        problems.push(format!("{}: header {wire} unknown", op.name()));
                    }
                }
                _ => {}
            }
        }
        if has_token != op.takes_client_token() {
            problems.push(format!("{}: client token handling differs", op.name()));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_input_and_output_member_exists_in_rust() {
    let model = Model::load();
    let mut problems = Vec::new();
    for op in Operation::ALL {
        let spec = model.operation(op.name());
        let output = spec["output"]["shape"].as_str().unwrap();
        let sample = model.sample(output);
        match output_round_trip(op, &sample) {
            Ok(back) => differences(&sample, &back, output, &mut problems),
            Err(error) => problems.push(format!("{output}: {error}")),
        }

        let input = spec["input"]["shape"].as_str().unwrap();
        let mut sample = serde_json::Map::new();
        for (name, member) in model.members(input) {
            let location = member["location"].as_str();
            if location.is_none() || location == Some("querystring") {
                let wire = member["locationName"].as_str().unwrap_or(&name).to_owned();
                sample.insert(wire, model.sample(member["shape"].as_str().unwrap()));
            }
        }
        let sample = Value::Object(sample);
        match input_round_trip(op, &sample) {
            Some(Ok(back)) => differences(&sample, &back, input, &mut problems),
            Some(Err(error)) => problems.push(format!("{input}: {error}")),
            None if sample.as_object().is_some_and(|m| !m.is_empty()) => {
                problems.push(format!("{input}: body or query members with no Rust type"))
            }
            None => {}
        }
        let names = query_names(op, &sample);
        for (name, member) in model.members(input) {
            if member["location"] == "querystring" {
                let wire = member["locationName"].as_str().unwrap_or(&name);
                if !names.contains(&wire) {
                    problems.push(format!("{input}: query {wire} is not written"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_enum_has_all_its_values_and_no_others() {
    let model = Model::load();
    let mut reachable = Vec::new();
    for name in Operation::ALL.map(|op| op.name()) {
        let spec = model.operation(name);
        model.reachable(spec["input"]["shape"].as_str().unwrap(), &mut reachable);
        model.reachable(spec["output"]["shape"].as_str().unwrap(), &mut reachable);
    }
    let mut problems = Vec::new();
    for shape in &reachable {
        let Some(values) = model.shape(shape)["enum"].as_array() else {
            continue;
        };
        let values: Vec<&str> = values.iter().map(|v| v.as_str().unwrap()).collect();
        match ENUMS.iter().find(|(name, _)| name == shape) {
            Some((_, rust)) if *rust == values.as_slice() => {}
            Some((_, rust)) => problems.push(format!("{shape}: model {values:?}, Rust {rust:?}")),
            None => problems.push(format!("{shape}: no Rust enum")),
        }
    }
    for (name, _) in ENUMS {
        if !reachable.iter().any(|s| s == name) {
            problems.push(format!("{name}: Rust enum the operations never use"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_error_has_its_status_and_members() {
    let model = Model::load();
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for name in Operation::ALL.map(|op| op.name()) {
        for error in model.operation(name)["errors"].as_array().unwrap() {
            let shape_name = error["shape"].as_str().unwrap();
            if seen.contains(&shape_name) {
                continue;
            }
            seen.push(shape_name);
            let shape = model.shape(shape_name);
            match ErrorType::from_header(shape_name) {
                Some(kind) if json!(kind.http_status()) == shape["error"]["httpStatusCode"] => {}
                Some(kind) => problems.push(format!("{shape_name}: status {}", kind.http_status())),
                None => problems.push(format!("{shape_name}: no ErrorType")),
            }
            let sample = model.sample(shape_name);
            match round_trip::<ErrorBody>(&sample) {
                Ok(back) => differences(&sample, &back, shape_name, &mut problems),
                Err(error) => problems.push(format!("{shape_name}: {error}")),
            }
        }
    }
    assert_eq!(seen.len(), ErrorType::ALL.len(), "error shapes: {seen:?}");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn absent_members_are_omitted_and_timestamps_are_utc_strings() {
    let session = StreamingSession {
        session_id: Some("ss-1".into()),
        created_at: Timestamp::parse("2024-01-02T05:04:05+02:00").ok(),
        ..Default::default()
    };
    let text = serde_json::to_string(&session).unwrap();
    assert_eq!(
        text,
        r#"{"createdAt":"2024-01-02T03:04:05Z","sessionId":"ss-1"}"#
    );
    // JSON null reads as absent, as both SDKs treat it.
    let back: StreamingSession = serde_json::from_str(r#"{"stopAt":null}"#).unwrap();
    assert_eq!(back.stop_at, None);
    // The operation table covers every name the test list uses.
    assert_eq!(operation("GetLaunchProfile"), Operation::GetLaunchProfile);
}
