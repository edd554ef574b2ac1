//! The reconciler: one task that drives every session a workstation driver keeps. For a
//! session with an action in flight it asks the driver how the action goes, begins it
//! if the driver is not doing it (after a restart, say), shows progress as statusMessage,
//! and writes the outcome through the state machine. Every drift interval it also
//! compares what the database says with what runs: a READY session whose machine is gone
//! becomes STOPPED (`lifecycle/`, `workstation_lost`), and a session that should have no
//! machine but has one (a start that ran out of time, say) has it stopped; a READY one that
//! runs is checked for idle stop (`idle.rs`).
//!
//! Each pass also purges what is past its retention (`retention.rs`), at most once a
//! minute.
//!
//! It checks quickly while anything is in flight (from 100 ms, backing off to 1 s) and
//! otherwise only at the drift interval, or when the next timed change is due (a
//! simulated transition ends, a stream becomes ready), so that change is written, and
//! its event sent to watchers, when it happens rather than at the next request. The API
//! never waits for it: reads are database-only.

use crate::app::App;
use crate::drivers::{work_of, Progress, Work};
use crate::idle;
use crate::lifecycle::SessionRecord;
use crate::operations;
use crate::retention;
use crate::store::{self, StoreError};
use nimble_model::StreamingSessionState as S;
use std::sync::Arc;
use std::time::{Duration, Instant};

const QUICKEST: Duration = Duration::from_millis(100);
const SLOWEST_IN_FLIGHT: Duration = Duration::from_secs(1);

/// Runs until the server stops, after the pass it is in.
pub fn spawn(app: Arc<App>, drift_interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stopping = app.stopping.subscribe();
        let mut delay = QUICKEST;
        let mut last_drift_check: Option<Instant> = None;
        loop {
            let check_drift = last_drift_check.is_none_or(|at| at.elapsed() >= drift_interval);
            if check_drift {
                last_drift_check = Some(Instant::now());
            }
            let pass_app = app.clone();
            let passed = tokio::task::spawn_blocking(move || pass(&pass_app, check_drift)).await;
            let mut next_due = None;
            delay = match passed {
                Ok(Ok((busy, due))) => {
                    next_due = due;
                    if busy {
                        (delay * 2).min(SLOWEST_IN_FLIGHT)
                    } else {
                        drift_interval.min(SLOWEST_IN_FLIGHT * 5)
                    }
                }
                Ok(Err(error)) => {
                    tracing::error!(%error, "reconciler pass failed");
                    SLOWEST_IN_FLIGHT
                }
                Err(_) => SLOWEST_IN_FLIGHT,
            };
            if let Some(due) = next_due {
                let until_due =
                    Duration::from_millis(due.saturating_sub(app.now_ms()).max(0) as u64);
                delay = delay.min(until_due.max(Duration::from_millis(5)));
            }
            // A request that begins an action wakes the reconciler at once.
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = app.wake_reconciler.notified() => delay = QUICKEST,
                _ = stopping.wait_for(|stop| *stop) => return,
            }
        }
    })
}

/// One look at every driven session; whether any action is still in flight, and when
/// the next timed change is due.
fn pass(app: &App, check_drift: bool) -> Result<(bool, Option<i64>), StoreError> {
    let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
    let changes_before = db.total_changes();
    let tx = db.transaction()?;
    let now_ms = app.now_ms();
    // Time limits end here even when no request comes.
    operations::settle(app, &tx, now_ms)?;
    // What is past its retention is forgotten (at most once a minute).
    retention::purge_if_due(app, &tx, now_ms)?;
    let mut busy = false;
    for mut record in store::driven_sessions(&tx)? {
        let changed = match work_of(&record) {
            Some(work) => {
                busy = true;
                drive(app, &tx, &mut record, work, now_ms)?
            }
            None if check_drift => check(app, &mut record, now_ms),
            None => false,
        };
        if changed {
            store::put_session(&tx, &record)?;
        }
    }
    let next_due = store::next_due_ms(&tx, now_ms)?;
    app.commit(tx, changes_before)?;
    Ok((busy, next_due))
}

/// Moves one action on; whether the record changed.
fn drive(
    app: &App,
    tx: &rusqlite::Transaction,
    record: &mut SessionRecord,
    work: Work,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let Some(link) = record.driver.clone() else {
        return Ok(false);
    };
    let id = record.session_id().to_owned();
    let Some(driver) = app.drivers.of(Some(&link)) else {
        let message = format!("This server has no workstation driver {:?}", link.name);
        let code = nimble_model::StreamingSessionStatusCode::InternalError;
        record.conclude(now_ms, Err((code, message)));
        return Ok(true);
    };
    let outcome = match driver.observe(&id, &work) {
        Progress::Idle => {
            driver.begin(&id, work, &link);
            return Ok(false);
        }
        Progress::Working(message) => return Ok(record.report_progress(&message)),
        Progress::Done(state) => {
            if let Some(link) = record.driver.as_mut() {
                link.state = state;
            }
            Ok(())
        }
        Progress::Failed(code, message) => Err((code, message)),
    };
    let backup = record
        .pending
        .as_ref()
        .and_then(|p| p.driven.as_ref())
        .and_then(|d| d.backup_id.clone());
    record.conclude(now_ms, outcome);
    driver.forget(&id);
    if let Some(backup_id) = backup {
        store::finish_backup(tx, &backup_id, now_ms, &record.session)?;
    }
    tracing::info!(session = %id, state = %record.state(), "workstation action finished");
    Ok(true)
}

/// Compares a settled session with its machine; whether the record changed.
fn check(app: &App, record: &mut SessionRecord, now_ms: i64) -> bool {
    let Some(link) = record.driver.clone() else {
        return false;
    };
    let Some(driver) = app.drivers.of(Some(&link)) else {
        return false;
    };
    let id = record.session_id().to_owned();
    let alive = driver.alive(&id, &link.state);
    match record.state() {
        S::Ready if !alive => {
            tracing::warn!(session = %id, "workstation gone: the session is now STOPPED");
            driver.clean_up(&id);
            app.activity.forget(&id);
            record.workstation_lost(
                now_ms,
                "The workstation stopped unexpectedly (its machine is gone). Your files are kept: start it again.",
            );
            true
        }
        S::Ready => idle::review(app, record, driver.as_ref(), now_ms),
        S::CreateFailed | S::StartFailed | S::Stopped if alive => {
            tracing::warn!(session = %id, state = %record.state(), "a machine runs for a session that should have none: stopping it");
            driver.begin(
                &id,
                Work::Stop {
                    delete_files: false,
                    backup: None,
                    pruned: Vec::new(),
                },
                &link,
            );
            false
        }
        _ => false,
    }
}
