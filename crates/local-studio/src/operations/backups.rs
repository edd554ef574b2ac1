//! Streaming session backups: taken when a session with AUTOMATIC backups begins to
//! stop, complete when the stop does, and pruned to `maxBackupsToRetain`.

use super::{new_id, next_page, to_json, ts, Call, Result};
use crate::app::App;
use crate::lifecycle::SessionRecord;
use crate::paging::decode_token;
use crate::store::{self, BackupRecord};
use nimble_model::*;
use rusqlite::Transaction;

pub fn get(tx: &Transaction, call: &Call) -> Result<String> {
    let id = call.route.backup_id().unwrap_or("");
    let record = store::get_backup(tx, call.route.studio_id(), id)?
        .ok_or_else(|| ApiError::not_found("Streaming session backup", id))?;
    to_json(&GetStreamingSessionBackupResponse {
        streaming_session_backup: Some(backup_now(record, call.now_ms)),
    })
}

pub fn list(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
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

/// A backup as it is now: in progress until the stop that makes it completes.
pub fn backup_now(record: BackupRecord, now_ms: i64) -> StreamingSessionBackup {
    let mut backup = record.backup;
    if now_ms < record.ready_ms {
        backup.state = Some(StreamingSessionState::StopInProgress);
        backup.status_code = Some(StreamingSessionStatusCode::StreamingSessionStopInProgress);
    }
    backup
}

/// When a stop begins on a session with AUTOMATIC backups, a backup is taken; it completes
/// with the stop (a driven stop names it, so its driver copies the files there). The
/// oldest backups beyond maxBackupsToRetain are deleted.
pub fn backup_on_stop(
    tx: &Transaction,
    app: &App,
    record: &mut SessionRecord,
) -> std::result::Result<(), store::StoreError> {
    let Some(pending) = record.pending.clone() else {
        return Ok(());
    };
    let s = &record.session;
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
                backup_id: Some(id.clone()),
                created_at: ts(stopped_at),
                launch_profile_id: s.launch_profile_id.clone(),
                owned_by: s.owned_by.clone(),
                session_id: s.session_id.clone(),
                state: Some(pending.state),
                status_code: Some(pending.status_code),
                status_message: Some(pending.status_message),
                tags: s.tags.clone(),
            },
            ready_ms: pending.at_ms,
        },
    )?;
    let keep = s.max_backups_to_retain.unwrap_or(0).max(0) as usize;
    let backups = store::session_backups(tx, record.session_id())?;
    let mut pruned = Vec::new();
    for old in backups.iter().take(backups.len().saturating_sub(keep)) {
        let old_id = old.backup.backup_id.clone().unwrap_or_default();
        store::delete_backup(tx, &old_id)?;
        pruned.push(old_id);
    }
    if let Some(driven) = record.pending.as_mut().and_then(|p| p.driven.as_mut()) {
        driven.backup_id = Some(id);
        driven.pruned_backups = pruned;
    }
    Ok(())
}
