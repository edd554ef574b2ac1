//! Demo data for `--demo`: workstations for alice and bob in `demo-studio`, made once,
//! through the same operations a client would call, dated in the past.

use crate::app::App;
use crate::drivers::{Progress, Work};
use crate::operations::{self, Call};
use crate::store;
use nimble_model::{Operation, Route};
use rusqlite::Transaction;
use serde_json::json;

const SEEDED: &str = "demo_seeded";
const HOUR_MS: i64 = 3_600_000;

/// One demo step: an operation by `user`, `hours_ago`, with a JSON body.
fn step(
    app: &App,
    tx: &Transaction,
    user: &str,
    hours_ago: f64,
    op: Operation,
    session: Option<&str>,
    body: serde_json::Value,
) -> Result<String, String> {
    let labels: Vec<&str> = std::iter::once("demo-studio").chain(session).collect();
    let route = Route::new(op, labels);
    let now_ms = app.now_ms() - (hours_ago * HOUR_MS as f64) as i64;
    operations::settle(app, tx, now_ms).map_err(|e| e.to_string())?;
    let call = Call {
        route: &route,
        query: "",
        body: &body,
        user,
        reason: None,
        now_ms,
    };
    let text = operations::run(app, tx, &call).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let id = value["session"]["sessionId"].as_str().unwrap_or_default();
    // The demo's past is history: a driven action in it ended when it began.
    if let Some(mut record) =
        store::get_session(tx, "demo-studio", id).map_err(|e| e.to_string())?
    {
        if record.pending.as_ref().is_some_and(|p| p.driven.is_some()) {
            record.conclude(now_ms, Ok(()));
            store::put_session(tx, &record).map_err(|e| e.to_string())?;
        }
    }
    Ok(id.to_owned())
}

pub fn seed(app: &App, tx: &Transaction) -> Result<(), String> {
    if app.studios.studio("demo-studio").is_none()
        || store::get_meta(tx, SEEDED)
            .map_err(|e| e.to_string())?
            .is_some()
    {
        return Ok(());
    }
    let create = |owner: &str, profile: &str, instance: &str, name: &str, hours_ago: f64| {
        let body = json!({"launchProfileId": profile, "ec2InstanceType": instance, "ownedBy": owner, "tags": {"name": name}});
        step(
            app,
            tx,
            owner,
            hours_ago,
            Operation::CreateStreamingSession,
            None,
            body,
        )
    };
    create("alice", "lp-artist", "g4dn.2xlarge", "Lighting", 2.0)?;
    let comp = create("alice", "lp-artist", "g5.2xlarge", "Compositing", 10.0)?;
    step(
        app,
        tx,
        "alice",
        3.0,
        Operation::StopStreamingSession,
        Some(&comp),
        json!({"volumeRetentionMode": "RETAIN"}),
    )?;
    // Ends its 4-hour limit in about 20 minutes, so the countdown warning shows.
    create("alice", "lp-review", "g4dn.xlarge", "Dailies", 3.6)?;
    create("bob", "lp-artist", "g4dn.xlarge", "Animation", 1.0)?;
    let bob_fx = create("bob", "lp-artist", "g5.2xlarge", "FX", 8.0)?;
    step(
        app,
        tx,
        "bob",
        5.0,
        Operation::StopStreamingSession,
        Some(&bob_fx),
        json!({}),
    )?;
    operations::settle(app, tx, app.now_ms()).map_err(|e| e.to_string())?;
    bring_up(app, tx).map_err(|e| e.to_string())?;
    store::set_meta(tx, SEEDED, "1").map_err(|e| e.to_string())
}

/// Starts the machines of the demo's READY sessions, so a newcomer's first Connect opens
/// a real desktop. One that cannot start is shown STOPPED with the reason.
fn bring_up(app: &App, tx: &Transaction) -> Result<(), store::StoreError> {
    for mut record in store::driven_sessions(tx)? {
        let Some(link) = record.driver.clone() else {
            continue;
        };
        let Some(driver) = app.drivers.of(Some(&link)) else {
            continue;
        };
        if record.state() != nimble_model::StreamingSessionState::Ready {
            continue;
        }
        let id = record.session_id().to_owned();
        driver.begin(&id, Work::Create, &link);
        let deadline =
            std::time::Instant::now() + std::time::Duration::from_millis(link.time_limit_ms as u64);
        let outcome = loop {
            match driver.observe(&id, &Work::Create) {
                Progress::Done(state) => break Ok(state),
                Progress::Failed(_, message) => break Err(message),
                _ if std::time::Instant::now() > deadline => break Err("timed out".into()),
                _ => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        };
        driver.forget(&id);
        match outcome {
            Ok(state) => {
                if let Some(link) = record.driver.as_mut() {
                    link.state = state;
                }
            }
            Err(why) => record.workstation_lost(
                app.now_ms(),
                &format!("The demo desktop could not start: {why}"),
            ),
        }
        store::put_session(tx, &record)?;
    }
    Ok(())
}

/// Inserts `count` READY sessions into the store at `storage` directly, in one transaction,
/// so benchmarks can measure a large studio without creating 100,000 sessions over HTTP.
#[doc(hidden)]
pub fn seed_sessions_for_benchmark(
    storage: &crate::Storage,
    studio_id: &str,
    count: usize,
) -> Result<(), crate::StartError> {
    use nimble_model::{
        StreamingSession, StreamingSessionState, StreamingSessionStatusCode, Timestamp,
    };
    let mut db = crate::store::open(storage)?;
    let tx = db.transaction().map_err(crate::store::StoreError::from)?;
    let base = Timestamp::now().unix_millis() - count as i64;
    for i in 0..count {
        // Owners other than the demo's, so its quota is not reached.
        let owner = format!("render-{}", i % 100);
        let created = Timestamp::from_unix_millis(base + i as i64);
        let session = StreamingSession {
            session_id: Some(format!("ss-bench-{i:07}")),
            launch_profile_id: Some("lp-artist".into()),
            ec2_instance_type: Some("g4dn.xlarge".into()),
            owned_by: Some(owner.clone()),
            created_by: Some(owner),
            created_at: created,
            updated_at: created,
            state: Some(StreamingSessionState::Ready),
            status_code: Some(StreamingSessionStatusCode::StreamingSessionReady),
            ..Default::default()
        };
        let record = crate::lifecycle::SessionRecord {
            studio_id: studio_id.to_owned(),
            session,
            pending: None,
            max_session_minutes: None,
            max_stopped_minutes: None,
            stop_policy: Default::default(),
            auto_stop: Default::default(),
            schedule: None,
            driver: None,
        };
        crate::store::put_session(&tx, &record)?;
    }
    tx.commit().map_err(crate::store::StoreError::from)?;
    Ok(())
}

/// A year of READY spans for `cargo bench` (`store::seed_spans_for_benchmark`).
pub fn seed_usage_for_benchmark(
    storage: &crate::Storage,
    studio_id: &str,
    artists: usize,
    days: i64,
) -> Result<(), crate::StartError> {
    let mut db = crate::store::open(storage)?;
    let tx = db.transaction().map_err(crate::store::StoreError::from)?;
    let now = nimble_model::Timestamp::now().unix_millis();
    crate::store::seed_spans_for_benchmark(&tx, studio_id, artists, days, now)?;
    tx.commit().map_err(crate::store::StoreError::from)?;
    Ok(())
}
