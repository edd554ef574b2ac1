//! The EC2 workstation agent's reports: `POST /agent/activity` on local-studio's own
//! address, outside SigV4 (the agent holds no AWS credential). The agent
//! (`deploy/ec2/studio-portal-agent.sh`, installed by the user data) posts once a minute:
//!
//! `Authorization: Bearer TOKEN` (its session's, `tokens/agent.rs`) and JSON
//! `{"sessionId", "inputIdleSeconds", "cpuPercent", "gpuPercent", "connectedUsers"}`: how
//! long since the desktop last had input (X's idle time on DCV's console session), how
//! busy the instance's CPU and GPU were since the last report, and who is connected to
//! the DCV session (for the owner's Share dialog, `dcv_connections.rs`).
//!
//! Input counts as use when it was; CPU or GPU above the launch profile's `idle_stop`
//! thresholds counts as use now. Answers: 204 taken; 400 for a body that is not a report;
//! 401 for a missing token or one that is not that session's (whether or not the session
//! exists, so a token learns nothing of other sessions); 409 when the session is not READY.
//! Nothing here logs the token.

use crate::app::App;
use crate::config::DriverName;
use crate::lifecycle::SessionRecord;
use crate::store;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use nimble_model::StreamingSessionState as S;
use serde::Deserialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/agent/activity", post(report))
}

/// The query the agent's other calls name their session with: `?sessionId=ID`.
#[derive(Deserialize)]
pub struct SessionQuery {
    #[serde(rename = "sessionId")]
    pub session_id: String,
}

/// The session a query names, or 400 for a query that names none.
pub fn named_session(
    query: Result<Query<SessionQuery>, QueryRejection>,
) -> Result<String, (StatusCode, &'static str)> {
    let named = query.map_err(|_| (StatusCode::BAD_REQUEST, "name the session: ?sessionId=ID"))?;
    Ok(named.0.session_id)
}

/// The READY EC2 session `session_id`, if `headers` carry its agent's token: 401 for a
/// missing token or one that is not that session's (whether or not the session exists,
/// so a token learns nothing of other sessions), 409 when the session is not READY.
/// Also the check of the permissions watch (`permissions.rs`).
pub fn reporting_session(
    app: &App,
    headers: &HeaderMap,
    session_id: &str,
) -> Result<SessionRecord, (StatusCode, &'static str)> {
    const NOT_ITS: (StatusCode, &str) = (
        StatusCode::UNAUTHORIZED,
        "this token does not report for that session",
    );
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !app.agent_key.accepts(session_id, token) {
        return Err(NOT_ITS);
    }
    let record = {
        let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
        let tx = db.transaction().map_err(|_| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the store cannot be read",
            )
        })?;
        store::session_by_id(&tx, session_id).ok().flatten()
    };
    let ec2 = DriverName::Ec2.as_str();
    let record = record
        .filter(|r| r.driver.as_ref().is_some_and(|d| d.name == ec2))
        .ok_or(NOT_ITS)?;
    if record.state() != S::Ready {
        return Err((StatusCode::CONFLICT, "the session is not READY"));
    }
    Ok(record)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Report {
    session_id: String,
    input_idle_seconds: Option<u64>,
    cpu_percent: Option<f64>,
    gpu_percent: Option<f64>,
    /// Who is connected to the DCV session (`dcv list-connections`), when the agent can say.
    connected_users: Option<Vec<String>>,
}

async fn report(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    report: Result<Json<Report>, axum::extract::rejection::JsonRejection>,
) -> (StatusCode, &'static str) {
    let Ok(Json(report)) = report else {
        return (StatusCode::BAD_REQUEST, "not an activity report");
    };
    let record = match reporting_session(&app, &headers, &report.session_id) {
        Ok(record) => record,
        Err(refused) => return refused,
    };
    let now = app.now_ms();
    let id = &report.session_id;
    if let Some(users) = report.connected_users {
        app.dcv_connections.reported(id, users, now);
    }
    if let Some(idle) = report.input_idle_seconds {
        app.activity
            .used(id, now - (idle.min(i64::MAX as u64 / 2000) as i64) * 1000);
    }
    let idle_stop = record
        .session
        .launch_profile_id
        .as_deref()
        .and_then(|p| app.studios.studio(&record.studio_id)?.launch_profile(p))
        .and_then(|p| p.idle_stop.clone());
    if let Some(idle_stop) = idle_stop {
        let above = |reported: Option<f64>, threshold: Option<f64>| matches!((reported, threshold), (Some(r), Some(t)) if r > t);
        if above(report.cpu_percent, idle_stop.cpu_percent)
            || above(report.gpu_percent, idle_stop.gpu_percent)
        {
            app.activity.used(id, now);
        }
    }
    (StatusCode::NO_CONTENT, "")
}
