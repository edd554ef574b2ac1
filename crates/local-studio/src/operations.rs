//! The twelve operations, each inside the request's transaction. Inputs are validated by
//! nimble-model before anything is read or written, so a bad request changes nothing.

use crate::lifecycle::{check_allowed, Action, Outcome, Pending, SessionRecord};
use crate::paging::{decode_token, encode_token};
use crate::store::{self, BackupRecord, SessionFilter, StreamRecord};
use crate::App;
use nimble_model::*;
use rusqlite::Transaction;
use serde::de::DeserializeOwned;

/// Seconds a stream lives when the request does not say (the model gives no default):
/// long enough to open the DCV client, short because the URL carries a credential.
pub const DEFAULT_STREAM_EXPIRATION_SECONDS: i64 = 120;

type Result<T> = std::result::Result<T, ApiError>;

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> Self {
        tracing::error!(%error, "store failure");
        ApiError::new(
            ErrorType::InternalServerError,
            "The server could not read or write its store",
        )
    }
}

/// One request, already authenticated and routed.
pub struct Call<'a> {
    pub route: &'a Route,
    pub query: &'a str,
    pub body: &'a serde_json::Value,
    pub user: &'a str,
    pub now_ms: i64,
}

fn parse_body<T: DeserializeOwned + Validate>(body: &serde_json::Value) -> Result<T> {
    let typed: T = serde_json::from_value(body.clone()).map_err(|e| {
        ApiError::from(ValidationError::new(
            "body",
            format!("is not valid for this operation: {e}"),
        ))
    })?;
    typed.validate()?;
    Ok(typed)
}

fn parse_query<T: QueryString + Validate>(query: &str) -> Result<T> {
    let typed = T::from_query_string(query)?;
    typed.validate()?;
    Ok(typed)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|_| ApiError::new(ErrorType::InternalServerError, "cannot encode the response"))
}

fn ts(ms: i64) -> Option<Timestamp> {
    Timestamp::from_unix_millis(ms)
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

pub fn run(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let route = call.route;
    let studio = app
        .studios
        .studio(route.studio_id())
        .ok_or_else(|| ApiError::not_found("Studio", route.studio_id()))?;
    match route.operation {
        Operation::ListStreamingSessions => list_sessions(app, tx, call),
        Operation::GetStreamingSession => to_json(&SessionResponse {
            session: Some(session(tx, route)?.session),
        }),
        Operation::CreateStreamingSession => create_session(app, tx, call, studio),
        Operation::DeleteStreamingSession => act(app, tx, call, Action::Delete),
        Operation::StartStreamingSession => act(app, tx, call, Action::Start),
        Operation::StopStreamingSession => act(app, tx, call, Action::Stop),
        Operation::CreateStreamingSessionStream => create_stream(app, tx, call),
        Operation::GetStreamingSessionStream => get_stream(tx, call),
        Operation::ListStreamingSessionBackups => list_backups(app, tx, call),
        Operation::GetStreamingSessionBackup => {
            let id = route.backup_id().unwrap_or("");
            let record = store::get_backup(tx, route.studio_id(), id)?
                .ok_or_else(|| ApiError::not_found("Streaming session backup", id))?;
            to_json(&GetStreamingSessionBackupResponse {
                streaming_session_backup: Some(backup_now(record, call.now_ms)),
            })
        }
        Operation::ListLaunchProfiles => {
            let query: ListLaunchProfilesQuery = parse_query(call.query)?;
            let all: Vec<&LaunchProfile> = studio
                .launch_profiles
                .iter()
                .filter(|p| {
                    query
                        .states
                        .as_ref()
                        .is_none_or(|states| p.state.as_ref().is_some_and(|s| states.contains(s)))
                })
                .collect();
            let start = match &query.next_token {
                Some(token) => token.parse::<usize>().map_err(|_| {
                    ValidationError::new("nextToken", "is not a token this server issued")
                })?,
                None => 0,
            };
            let size = query.max_results.unwrap_or(100) as usize;
            let page: Vec<LaunchProfile> = all
                .iter()
                .skip(start)
                .take(size)
                .map(|p| (*p).clone())
                .collect();
            let next = (start + size < all.len()).then(|| (start + size).to_string());
            to_json(&ListLaunchProfilesResponse {
                launch_profiles: Some(page),
                next_token: next,
            })
        }
        Operation::GetLaunchProfile => {
            let id = route.launch_profile_id().unwrap_or("");
            let profile = studio
                .launch_profile(id)
                .ok_or_else(|| ApiError::not_found("Launch profile", id))?;
            to_json(&GetLaunchProfileResponse {
                launch_profile: Some(profile.clone()),
            })
        }
    }
}

fn session(tx: &Transaction, route: &Route) -> Result<SessionRecord> {
    let id = route.session_id().unwrap_or("");
    store::get_session(tx, route.studio_id(), id)?
        .ok_or_else(|| ApiError::not_found("Streaming session", id))
}

/// Cuts a `page_size + 1` fetch to one page; the extra row says another page follows, whose
/// token is the position of this page's last item.
fn next_page<T>(
    rows: &mut Vec<T>,
    page_size: usize,
    position: impl Fn(&T) -> (Option<Timestamp>, String),
) -> Option<String> {
    if rows.len() <= page_size {
        return None;
    }
    rows.truncate(page_size);
    let (created, id) = position(&rows[page_size - 1]);
    Some(encode_token(
        created.map(|t| t.unix_millis()).unwrap_or(0),
        &id,
    ))
}

fn list_sessions(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let query: ListStreamingSessionsQuery = parse_query(call.query)?;
    let filter = SessionFilter {
        owned_by: query.owned_by.as_deref(),
        created_by: query.created_by.as_deref(),
        session_ids: query.session_id_list(),
    };
    let after = query.next_token.as_deref().map(decode_token).transpose()?;
    let mut rows = store::list_sessions(
        tx,
        call.route.studio_id(),
        &filter,
        after,
        app.page_size + 1,
    )?;
    let next_token = next_page(&mut rows, app.page_size, |r| {
        (r.session.created_at, r.session_id().to_owned())
    });
    to_json(&ListStreamingSessionsResponse {
        sessions: Some(rows.into_iter().map(|r| r.session).collect()),
        next_token,
    })
}

fn create_session(
    app: &App,
    tx: &Transaction,
    call: &Call,
    studio: &crate::config::Studio,
) -> Result<String> {
    let body: CreateStreamingSessionBody = parse_body(call.body)?;
    let owner = body
        .owned_by
        .clone()
        .unwrap_or_else(|| call.user.to_owned());
    if !studio.users.is_empty() && !studio.users.contains(&owner) {
        return Err(ValidationError::new(
            "ownedBy",
            format!("{owner:?} is not a user of studio {}", studio.studio_id),
        )
        .into());
    }
    let profile_id = body.launch_profile_id.as_deref().unwrap_or("");
    let profile = studio
        .launch_profile(profile_id)
        .ok_or_else(|| ApiError::not_found("Launch profile", profile_id))?;
    let config = profile.stream_configuration.clone().unwrap_or_default();
    let offered = config.ec2_instance_types.clone().unwrap_or_default();
    let instance = match &body.ec2_instance_type {
        Some(kind) if !offered.contains(kind) => {
            return Err(ValidationError::new(
                "ec2InstanceType",
                format!("{kind} is not offered by launch profile {profile_id}"),
            )
            .into())
        }
        Some(kind) => kind.clone(),
        None => offered
            .first()
            .cloned()
            .unwrap_or(StreamingInstanceType::G4dnXlarge),
    };
    let images = config.streaming_image_ids.clone().unwrap_or_default();
    let image = match &body.streaming_image_id {
        Some(image) if !images.contains(image) => {
            return Err(ValidationError::new(
                "streamingImageId",
                format!("{image} is not offered by launch profile {profile_id}"),
            )
            .into())
        }
        Some(image) => image.clone(),
        None => images.first().cloned().unwrap_or_default(),
    };
    if let Some(max) = studio.max_sessions_per_user {
        if store::count_live_sessions(tx, &studio.studio_id, &owner)? >= max {
            return Err(ApiError::new(
                ErrorType::ServiceQuotaExceeded,
                format!("{owner} already has {max} streaming sessions, the most this studio allows; delete one first"),
            )
            .with_context("quota", "max_sessions_per_user"));
        }
    }

    let id = new_id("ss");
    let now = ts(call.now_ms);
    let persistent = config.session_persistence_mode == Some(SessionPersistenceMode::Activated);
    let backup = config.session_backup.clone().unwrap_or_default();
    let session = StreamingSession {
        arn: Some(app.studios.arn("streaming-session", &id)),
        automatic_termination_mode: Some(
            config
                .automatic_termination_mode
                .clone()
                .filter(|_| persistent)
                .unwrap_or(AutomaticTerminationMode::Deactivated),
        ),
        backup_mode: Some(
            backup
                .mode
                .clone()
                .unwrap_or(SessionBackupMode::Deactivated),
        ),
        created_at: now,
        created_by: Some(call.user.to_owned()),
        ec2_instance_type: Some(instance.to_string()),
        launch_profile_id: Some(profile_id.to_owned()),
        max_backups_to_retain: Some(backup.max_backups_to_retain.unwrap_or(0)),
        owned_by: Some(owner),
        session_id: Some(id.clone()),
        session_persistence_mode: config
            .session_persistence_mode
            .clone()
            .or(Some(SessionPersistenceMode::Deactivated)),
        // A new session runs from its creation: it counts as started then.
        started_at: now,
        started_by: Some(call.user.to_owned()),
        state: Some(StreamingSessionState::CreateInProgress),
        status_code: Some(StreamingSessionStatusCode::StreamingSessionCreateInProgress),
        status_message: Some(String::new()),
        streaming_image_id: Some(image),
        tags: body.tags.clone(),
        updated_at: now,
        updated_by: Some(call.user.to_owned()),
        volume_configuration: config.volume_configuration.clone().filter(|_| persistent),
        ..Default::default()
    };
    let (state, status_code, status_message) =
        match app.roll_failure(StreamingSessionStatusCode::InsufficientCapacity) {
            Ok(()) => (
                StreamingSessionState::Ready,
                StreamingSessionStatusCode::StreamingSessionReady,
                String::new(),
            ),
            Err((code, message)) => (StreamingSessionState::CreateFailed, code, message),
        };
    let record = SessionRecord {
        studio_id: studio.studio_id.clone(),
        session,
        pending: Some(Pending {
            at_ms: call.now_ms + app.transition_ms,
            state,
            status_code,
            status_message,
            actor: call.user.to_owned(),
        }),
        max_session_minutes: config.max_session_length_in_minutes.map(i64::from),
        max_stopped_minutes: config.max_stopped_session_length_in_minutes.map(i64::from),
    };
    store::put_session(tx, &record)?;
    to_json(&SessionResponse {
        session: Some(record.session),
    })
}

/// Stop, Start and Delete: check the state allows it, then begin the transition.
fn act(app: &App, tx: &Transaction, call: &Call, action: Action) -> Result<String> {
    let stop: Option<StopStreamingSessionBody> = match action {
        Action::Stop => Some(parse_body(call.body)?),
        _ => None,
    };
    let start: Option<StartStreamingSessionBody> = match action {
        Action::Start => Some(parse_body(call.body)?),
        _ => None,
    };
    let mut record = session(tx, call.route)?;
    check_allowed(call.route.operation, &record.state(), record.session_id())?;
    if let Some(backup_id) = start.as_ref().and_then(|b| b.backup_id.as_deref()) {
        let backup = store::get_backup(tx, &record.studio_id, backup_id)?
            .filter(|b| b.backup.session_id.as_deref() == Some(record.session_id()))
            .ok_or_else(|| ApiError::not_found("Streaming session backup", backup_id))?;
        if backup_now(backup, call.now_ms).state != Some(StreamingSessionState::Stopped) {
            return Err(ApiError::conflict(format!(
                "Backup {backup_id} is not complete and cannot be restored"
            ))
            .with_context("resourceId", backup_id));
        }
    }
    let failure_code = match action {
        Action::Start => StreamingSessionStatusCode::InsufficientCapacity,
        _ => StreamingSessionStatusCode::InternalError,
    };
    let outcome = app.roll_failure(failure_code);
    record.begin(action, call.user, call.now_ms, app.transition_ms, outcome);
    if let Some(body) = stop {
        let persistent =
            record.session.session_persistence_mode == Some(SessionPersistenceMode::Activated);
        let default = if persistent {
            VolumeRetentionMode::Retain
        } else {
            VolumeRetentionMode::Delete
        };
        record.session.volume_retention_mode = Some(body.volume_retention_mode.unwrap_or(default));
        backup_on_stop(tx, app, &record)?;
    }
    if let Some(body) = start {
        record.session.started_from_backup_id = body.backup_id;
    }
    store::put_session(tx, &record)?;
    to_json(&SessionResponse {
        session: Some(record.session),
    })
}

/// When a stop begins on a session with AUTOMATIC backups, a backup is taken; it completes
/// with the stop. The oldest backups beyond maxBackupsToRetain are deleted.
pub fn backup_on_stop(
    tx: &Transaction,
    app: &App,
    record: &SessionRecord,
) -> std::result::Result<(), store::StoreError> {
    let s = &record.session;
    let Some(pending) = &record.pending else {
        return Ok(());
    };
    if s.backup_mode != Some(SessionBackupMode::Automatic) {
        return Ok(());
    }
    let id = new_id("bk");
    let stopped_at = s
        .stopped_at
        .map(|t| t.unix_millis())
        .unwrap_or(pending.at_ms);
    store::put_backup(
        tx,
        &BackupRecord {
            studio_id: record.studio_id.clone(),
            backup: StreamingSessionBackup {
                arn: Some(app.studios.arn("streaming-session-backup", &id)),
                backup_id: Some(id),
                created_at: ts(stopped_at),
                launch_profile_id: s.launch_profile_id.clone(),
                owned_by: s.owned_by.clone(),
                session_id: s.session_id.clone(),
                state: Some(pending.state.clone()),
                status_code: Some(pending.status_code.clone()),
                status_message: Some(pending.status_message.clone()),
                tags: s.tags.clone(),
            },
            ready_ms: pending.at_ms,
        },
    )?;
    let keep = s.max_backups_to_retain.unwrap_or(0).max(0) as usize;
    let backups = store::session_backups(tx, record.session_id())?;
    for old in backups.iter().take(backups.len().saturating_sub(keep)) {
        store::delete_backup(tx, old.backup.backup_id.as_deref().unwrap_or(""))?;
    }
    Ok(())
}

/// A backup as it is now: in progress until the stop that makes it completes.
fn backup_now(record: BackupRecord, now_ms: i64) -> StreamingSessionBackup {
    let mut backup = record.backup;
    if now_ms < record.ready_ms {
        backup.state = Some(StreamingSessionState::StopInProgress);
        backup.status_code = Some(StreamingSessionStatusCode::StreamingSessionStopInProgress);
    }
    backup
}

fn list_backups(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let query: ListStreamingSessionBackupsQuery = parse_query(call.query)?;
    let after = query.next_token.as_deref().map(decode_token).transpose()?;
    let mut rows = store::list_backups(
        tx,
        call.route.studio_id(),
        query.owned_by.as_deref(),
        after,
        app.page_size + 1,
    )?;
    let next_token = next_page(&mut rows, app.page_size, |r| {
        (
            r.backup.created_at,
            r.backup.backup_id.clone().unwrap_or_default(),
        )
    });
    to_json(&ListStreamingSessionBackupsResponse {
        streaming_session_backups: Some(
            rows.into_iter()
                .map(|r| backup_now(r, call.now_ms))
                .collect(),
        ),
        next_token,
    })
}

fn create_stream(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let body: CreateStreamingSessionStreamBody = parse_body(call.body)?;
    let record = session(tx, call.route)?;
    check_allowed(call.route.operation, &record.state(), record.session_id())?;
    let seconds = body
        .expiration_in_seconds
        .unwrap_or(DEFAULT_STREAM_EXPIRATION_SECONDS);
    let id = new_id("str");
    // 244 random bits: a one-time token nobody can guess.
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let (state, status_code, url) =
        match app.roll_failure(StreamingSessionStatusCode::InternalError) {
            Ok(()) => (
                StreamingSessionStreamState::Ready,
                StreamingSessionStreamStatusCode::StreamReady,
                Some(SensitiveString(format!(
                    "{}?authToken={token}#{}",
                    app.dcv_url_base,
                    record.session_id()
                ))),
            ),
            Err(_) => (
                StreamingSessionStreamState::CreateFailed,
                StreamingSessionStreamStatusCode::NetworkConnectionError,
                None,
            ),
        };
    let stream = StreamRecord {
        session_id: record.session_id().to_owned(),
        stream: StreamingSessionStream {
            created_at: ts(call.now_ms),
            created_by: Some(call.user.to_owned()),
            expires_at: ts(call.now_ms + seconds * 1000),
            owned_by: record.session.owned_by.clone(),
            state: Some(state),
            status_code: Some(status_code),
            stream_id: Some(id),
            url,
        },
        ready_ms: call.now_ms + app.transition_ms,
        expires_ms: call.now_ms + seconds * 1000,
    };
    store::put_stream(tx, &stream)?;
    to_json(&StreamResponse {
        stream: Some(stream_now(stream, call.now_ms)),
    })
}

fn get_stream(tx: &Transaction, call: &Call) -> Result<String> {
    let record = session(tx, call.route)?;
    let id = call.route.stream_id().unwrap_or("");
    let stream = store::get_stream(tx, record.session_id(), id)?
        .ok_or_else(|| ApiError::not_found("Streaming session stream", id))?;
    to_json(&StreamResponse {
        stream: Some(stream_now(stream, call.now_ms)),
    })
}

/// A stream as it is now: no URL until it is ready, and none once it has expired.
fn stream_now(record: StreamRecord, now_ms: i64) -> StreamingSessionStream {
    let mut stream = record.stream;
    if stream.state == Some(StreamingSessionStreamState::CreateFailed) {
        return stream;
    }
    if now_ms < record.ready_ms {
        stream.state = Some(StreamingSessionStreamState::CreateInProgress);
        stream.status_code = Some(StreamingSessionStreamStatusCode::StreamCreateInProgress);
        stream.url = None;
    } else if now_ms >= record.expires_ms {
        stream.state = Some(StreamingSessionStreamState::Deleted);
        stream.status_code = Some(StreamingSessionStreamStatusCode::StreamDeleted);
        stream.url = None;
    }
    stream
}

/// Applies every automatic event that is due, dated when it was due.
pub fn settle(
    app: &App,
    tx: &Transaction,
    now_ms: i64,
) -> std::result::Result<(), store::StoreError> {
    for mut record in store::due_sessions(tx, now_ms)? {
        for stopping in record.settle(now_ms, app.transition_ms).stops_begun {
            backup_on_stop(tx, app, &stopping)?;
        }
        store::put_session(tx, &record)?;
    }
    Ok(())
}

/// Outcome helper used by the fault injector.
pub fn failure(code: StreamingSessionStatusCode) -> Outcome {
    let message = match code {
        StreamingSessionStatusCode::InsufficientCapacity => {
            "Insufficient capacity for this instance type (injected fault)"
        }
        _ => "An internal error occurred (injected fault)",
    };
    Err((code, message.to_owned()))
}
