//! `GetSessionThumbnail` and `GetSharedSessionThumbnail`: a small JPEG of a READY local
//! desktop, for the cards of its owner (and admins: portal-proxy checks the owner) and of
//! colleagues it is shared with (checked here, as for a join).
//!
//! Who may see it is checked in a short transaction, like every call; the picture is taken
//! after it (`drivers/thumbnails.rs`), so the store's lock is never held while a desktop
//! is pictured. A desktop is pictured at most once every 10 seconds however many pages ask.

use crate::app::App;
use crate::config::DriverName;
use crate::store;
use base64::Engine;
use nimble_model::*;
use std::sync::Arc;

/// Whether `operation` is served here.
pub fn serves(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::GetSessionThumbnail | Operation::GetSharedSessionThumbnail
    )
}

pub async fn get(app: Arc<App>, route: Route) -> Result<String, ApiError> {
    let answered = tokio::task::spawn_blocking(move || {
        let session = may_see(&app, &route)?;
        let (taken_ms, picture) = (app.thumbnails)
            .get(&app.drivers, &session, app.now_ms())
            .map_err(|error| {
                tracing::warn!(%session, %error, "cannot picture a desktop");
                ApiError::new(
                    ErrorType::InternalServerError,
                    "The desktop could not be pictured just now",
                )
            })?;
        let thumbnail = SessionThumbnail {
            content_type: Some("image/jpeg".into()),
            image: Some(base64::engine::general_purpose::STANDARD.encode(&picture.jpeg)),
            width: Some(i64::from(picture.width)),
            height: Some(i64::from(picture.height)),
            taken_at: Timestamp::from_unix_millis(taken_ms),
        };
        let answer = ThumbnailResponse {
            thumbnail: Some(thumbnail),
        };
        serde_json::to_string(&answer)
            .map_err(|_| ApiError::new(ErrorType::InternalServerError, "cannot encode"))
    })
    .await;
    answered.unwrap_or_else(|_| {
        Err(ApiError::new(
            ErrorType::InternalServerError,
            "The request could not be completed",
        ))
    })
}

/// The session the route names, if its caller may see it now: READY, a local desktop,
/// and (for a colleague) shared with them. Any other session answers as a missing one.
fn may_see(app: &App, route: &Route) -> Result<String, ApiError> {
    let id = route.session_id().unwrap_or("");
    let missing = || ApiError::not_found("Streaming session", id);
    let seen = crate::operations::settled(app, |tx, now_ms| {
        if let Some(user) = route.user_id() {
            if store::share(tx, id, user, now_ms)?.is_none() {
                return Ok(None);
            }
        }
        store::get_session(tx, route.studio_id(), id)
    })?;
    let record = seen.ok_or_else(missing)?;
    let local = record
        .driver
        .as_ref()
        .is_some_and(|link| link.name == DriverName::LocalDesktop.as_str());
    if !local {
        return Err(ApiError::not_found("Thumbnail of", id)
            .with_context("reason", "only desktops on the studio's host are pictured"));
    }
    if record.state() != StreamingSessionState::Ready {
        return Err(ApiError::conflict(
            "Only a READY workstation has a thumbnail",
        ));
    }
    Ok(id.to_owned())
}
