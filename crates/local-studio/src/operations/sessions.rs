//! Streaming sessions: list, get, create, and the three state changes (start, stop,
//! delete). Which state a change leads to is `lifecycle/`'s business; this file checks
//! the request, applies the launch profile, and stores the result.

use super::backups::{backup_now, backup_on_stop};
use super::{new_id, next_page, session, to_json, ts, Call, Result};
use crate::app::App;
use crate::config::Studio;
use crate::lifecycle::{check_allowed, Action, SessionRecord};
use crate::paging::decode_token;
use crate::store::{self, SessionFilter};
use nimble_model::*;
use rusqlite::Transaction;

pub fn get(tx: &Transaction, call: &Call) -> Result<String> {
    to_json(&SessionResponse {
        session: Some(session(tx, call.route)?.session),
    })
}

pub fn list(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
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

/// The one of `offered` that the request asks for, the profile's first when it asks for
/// none, or a ValidationException naming `field`.
fn choose<T: Clone + PartialEq + std::fmt::Display>(
    asked: &Option<T>,
    offered: &[T],
    field: &str,
    profile_id: &str,
) -> Result<Option<T>> {
    match asked {
        Some(value) if !offered.contains(value) => Err(ValidationError::new(
            field,
            format!("{value} is not offered by launch profile {profile_id}"),
        )
        .into()),
        Some(value) => Ok(Some(value.clone())),
        None => Ok(offered.first().cloned()),
    }
}

pub fn create(app: &App, tx: &Transaction, call: &Call, studio: &Studio) -> Result<String> {
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
    let config = profile.api.stream_configuration.clone().unwrap_or_default();
    let instance = choose(
        &body.ec2_instance_type,
        &config.ec2_instance_types.clone().unwrap_or_default(),
        "ec2InstanceType",
        profile_id,
    )?
    .unwrap_or(StreamingInstanceType::G4dnXlarge);
    let image = choose(
        &body.streaming_image_id,
        &config.streaming_image_ids.clone().unwrap_or_default(),
        "streamingImageId",
        profile_id,
    )?
    .unwrap_or_default();
    if let Some(max) = studio.max_sessions_per_user {
        if store::count_live_sessions(tx, &studio.studio_id, &owner)? >= max {
            return Err(ApiError::new(
                ErrorType::ServiceQuotaExceeded,
                format!("{owner} already has {max} streaming sessions, the most this studio allows; delete one first"),
            )
            .with_context("quota", "max_sessions_per_user"));
        }
    }

    super::usage::check_start(tx, studio, profile, &owner, call.now_ms)?;
    let id = new_id("ss");
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
        backup_mode: Some(backup.mode.unwrap_or(SessionBackupMode::Deactivated)),
        created_at: ts(call.now_ms),
        created_by: Some(call.user.to_owned()),
        ec2_instance_type: Some(instance.to_string()),
        launch_profile_id: Some(profile_id.to_owned()),
        max_backups_to_retain: Some(backup.max_backups_to_retain.unwrap_or(0)),
        owned_by: Some(owner),
        session_id: Some(id),
        session_persistence_mode: config
            .session_persistence_mode
            .clone()
            .or(Some(SessionPersistenceMode::Deactivated)),
        streaming_image_id: Some(image),
        tags: body.tags,
        volume_configuration: config.volume_configuration.clone().filter(|_| persistent),
        ..Default::default()
    };
    let driver = app.drivers.link(studio, profile, &session)?;
    let mut record = SessionRecord {
        studio_id: studio.studio_id.clone(),
        session,
        pending: None,
        max_session_minutes: config.max_session_length_in_minutes.map(i64::from),
        max_stopped_minutes: config.max_stopped_session_length_in_minutes.map(i64::from),
        stop_policy: profile.stop_policy(),
        auto_stop: Default::default(),
        schedule: profile.default_schedule(studio, call.now_ms),
        driver,
    };
    app.drivers.check_capacity(tx, &record)?;
    let outcome = app.roll_failure(StreamingSessionStatusCode::InsufficientCapacity);
    record.begin(
        Action::Create,
        call.user,
        call.now_ms,
        app.transition_ms,
        outcome,
    );
    store::put_session(tx, &record)?;
    app.wake_reconciler.notify_one();
    to_json(&SessionResponse {
        session: Some(record.session),
    })
}

/// Stop, Start and Delete: check the state allows it, then begin the transition.
pub fn act(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let (action, failure_code) = match call.route.operation {
        Operation::StartStreamingSession => (
            Action::Start,
            StreamingSessionStatusCode::InsufficientCapacity,
        ),
        Operation::StopStreamingSession => {
            (Action::Stop, StreamingSessionStatusCode::InternalError)
        }
        _ => (Action::Delete, StreamingSessionStatusCode::InternalError),
    };
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
        restorable(tx, &record, backup_id, call.now_ms)?;
    }
    if action == Action::Start {
        start_checks(app, tx, &mut record, call.now_ms)?;
    }
    let outcome = app.roll_failure(failure_code);
    record.begin(action, call.user, call.now_ms, app.transition_ms, outcome);
    if let (Some(reason), Some(pending)) = (call.reason, record.pending.as_mut()) {
        let verb = match action {
            Action::Stop => "Stopped",
            Action::Start => "Started",
            _ => "Deleted",
        };
        pending.done_message = Some(format!("{verb} by {}: {reason}", call.user));
    }
    if let Some(body) = stop {
        let persistent =
            record.session.session_persistence_mode == Some(SessionPersistenceMode::Activated);
        let default = if persistent {
            VolumeRetentionMode::Retain
        } else {
            VolumeRetentionMode::Delete
        };
        record.session.volume_retention_mode = Some(body.volume_retention_mode.unwrap_or(default));
        backup_on_stop(tx, app, &mut record)?;
    }
    if let Some(body) = start {
        record.session.started_from_backup_id = body.backup_id;
    }
    store::put_session(tx, &record)?;
    if action != Action::Start {
        // Colleagues and admins watching lose the desktop now, not when it is gone.
        app.grants.cut_guests(record.session_id(), None);
    }
    app.wake_reconciler.notify_one();
    to_json(&SessionResponse {
        session: Some(record.session),
    })
}

/// KeepStreamingSessionRunning (an extension: `nimble-model/src/extensions.rs`): puts off
/// a warned automatic stop, and counts as use where idle stop watches.
pub fn keep_running(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let mut record = session(tx, call.route)?;
    record.keep_running(call.now_ms)?;
    if record.stop_policy.idle_minutes.is_some() {
        app.activity.used(record.session_id(), call.now_ms);
    }
    store::put_session(tx, &record)?;
    to_json(&SessionResponse {
        session: Some(record.session),
    })
}

/// What every start of a stopped workstation passes, an artist's or a schedule's: the
/// owner's limits and the driver's capacity. A start that may go ahead takes the launch
/// profile's desktop limits as they are now.
pub(super) fn start_checks(
    app: &App,
    tx: &Transaction,
    record: &mut SessionRecord,
    now_ms: i64,
) -> Result<()> {
    let studio = app.studios.studio(&record.studio_id);
    let profile_id = record.session.launch_profile_id.as_deref().unwrap_or("");
    let found = studio.and_then(|s| Some((s, s.launch_profile(profile_id)?)));
    if let Some((studio, profile)) = found {
        let owner = record.session.owned_by.as_deref().unwrap_or("");
        super::usage::check_start(tx, studio, profile, owner, now_ms)?;
    }
    app.drivers.check_capacity(tx, record)?;
    if let Some((_, profile)) = found {
        crate::drivers::take_current_limits(record, profile);
    }
    Ok(())
}

/// A start may restore only a complete backup of the same session.
fn restorable(
    tx: &Transaction,
    record: &SessionRecord,
    backup_id: &str,
    now_ms: i64,
) -> Result<()> {
    let backup = store::get_backup(tx, &record.studio_id, backup_id)?
        .filter(|b| b.backup.session_id.as_deref() == Some(record.session_id()))
        .ok_or_else(|| ApiError::not_found("Streaming session backup", backup_id))?;
    if backup_now(backup, now_ms).state != Some(StreamingSessionState::Stopped) {
        return Err(ApiError::conflict(format!(
            "Backup {backup_id} is not complete and cannot be restored"
        ))
        .with_context("resourceId", backup_id));
    }
    Ok(())
}

/// Applies every automatic event that is due, dated when it was due, and announces
/// streams that became ready.
pub fn settle(
    app: &App,
    tx: &Transaction,
    now_ms: i64,
) -> std::result::Result<(), store::StoreError> {
    for mut record in store::due_sessions(tx, now_ms)? {
        super::schedules::start_if_due(app, tx, &mut record, now_ms);
        let settled = record.settle(now_ms, app.transition_ms);
        for mut stopping in settled.stops_begun {
            backup_on_stop(tx, app, &mut stopping)?;
            // The stop is still the latest transition: its driver copies to that backup.
            if stopping.pending.as_ref().map(|p| p.at_ms)
                == record.pending.as_ref().map(|p| p.at_ms)
            {
                record.pending = stopping.pending;
            }
        }
        store::put_session(tx, &record)?;
    }
    super::streams::announce_ready(app, tx, now_ms)
}

/// Runs `check` in a transaction on a store brought up to date ([`settle`]), so it judges
/// sessions as they are now, and commits what it wrote: for the checks made outside a
/// request's own transaction (a desktop token or grant, a thumbnail). The store's lock is
/// released before the caller opens anything.
pub fn settled<R>(
    app: &App,
    check: impl FnOnce(&Transaction, i64) -> std::result::Result<R, store::StoreError>,
) -> std::result::Result<R, store::StoreError> {
    let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
    let changes_before = db.total_changes();
    let tx = db.transaction()?;
    let now_ms = app.now_ms();
    settle(app, &tx, now_ms)?;
    let checked = check(&tx, now_ms)?;
    app.commit(tx, changes_before)?;
    Ok(checked)
}
