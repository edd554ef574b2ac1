//! The fourteen operations and the extensions (Keep running, usage and limits, sharing), one file per resource, each run inside the request's
//! transaction. Inputs are validated by nimble-model before anything is read or written,
//! so a bad request changes nothing.

mod backups;
mod launch_profiles;
mod schedules;
mod sessions;
mod shares;
mod streaming_images;
mod streams;
mod studio_usage;
mod usage;

pub use sessions::{settle, settled};
pub use streams::DEFAULT_STREAM_EXPIRATION_SECONDS;

use crate::app::App;
use crate::lifecycle::SessionRecord;
use crate::paging::encode_token;
use crate::store;
use nimble_model::{ApiError, ErrorType, Operation, Route, Timestamp};
use rusqlite::Transaction;

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
    /// Why, when portal-proxy acts for someone (an admin's stop): the session says so.
    pub reason: Option<&'a str>,
    pub now_ms: i64,
}

pub fn run(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let studio = app
        .studios
        .studio(call.route.studio_id())
        .ok_or_else(|| ApiError::not_found("Studio", call.route.studio_id()))?;
    match call.route.operation {
        Operation::ListStreamingSessions => sessions::list(app, tx, call),
        Operation::GetStreamingSession => sessions::get(tx, call),
        Operation::CreateStreamingSession => sessions::create(app, tx, call, studio),
        Operation::DeleteStreamingSession
        | Operation::StartStreamingSession
        | Operation::StopStreamingSession => sessions::act(app, tx, call),
        Operation::KeepStreamingSessionRunning => sessions::keep_running(app, tx, call),
        Operation::GetWorkstationSchedule => schedules::get(tx, call, studio),
        Operation::PutWorkstationSchedule => schedules::put(tx, call, studio),
        Operation::GetArtistUsage => usage::get(tx, call, studio),
        Operation::GetStudioUsage => studio_usage::get(tx, call, studio),
        Operation::GetStudioConcurrency => studio_usage::concurrency(tx, call, studio),
        Operation::GetStudioActivity => studio_usage::activity(app, tx, call, studio),
        Operation::PutArtistLimits => usage::put(tx, call, studio),
        Operation::RevokeViewerGrants => streams::revoke_grants(app, call, studio),
        Operation::PutSessionShare => shares::put(app, tx, call),
        Operation::DeleteSessionShare => shares::delete(app, tx, call),
        Operation::ListSessionShares => shares::list(app, tx, call),
        Operation::ListSharedSessions => shares::shared_with(app, tx, call),
        Operation::JoinSharedSession => shares::join(app, tx, call),
        Operation::JoinForSupport => shares::support(app, tx, call),
        // Answered outside the request's transaction (`thumbnails.rs`), never here.
        Operation::GetSessionThumbnail | Operation::GetSharedSessionThumbnail => Err(
            ApiError::new(ErrorType::InternalServerError, "not served by the store"),
        ),
        Operation::CreateStreamingSessionStream => streams::create(app, tx, call),
        Operation::GetStreamingSessionStream => streams::get(app, tx, call),
        Operation::ListStreamingSessionBackups => backups::list(app, tx, call),
        Operation::GetStreamingSessionBackup => backups::get(tx, call),
        Operation::ListLaunchProfiles => launch_profiles::list(call, studio),
        Operation::GetLaunchProfile => launch_profiles::get(call, studio),
        Operation::ListStreamingImages => streaming_images::list(call, studio),
        Operation::GetStreamingImage => streaming_images::get(call, studio),
    }
}

/// What a client token keeps of `operation`'s `response`, to replay it: everything but
/// a credential (a stream's URL, which [`replay`] puts back).
pub fn kept_for_replay(operation: Operation, response: &str) -> Result<String> {
    match operation {
        Operation::CreateStreamingSessionStream => streams::kept_of_created(response),
        _ => Ok(response.to_owned()),
    }
}

/// The answer to a repeated request whose first answer was `kept`.
pub fn replay(app: &App, operation: Operation, kept: &str, now_ms: i64) -> Result<String> {
    match operation {
        Operation::CreateStreamingSessionStream => streams::replayed_create(app, kept, now_ms),
        _ => Ok(kept.to_owned()),
    }
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

/// The session a route names, or 404.
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
