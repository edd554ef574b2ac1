//! `GetSessionThumbnail` and `GetSharedSessionThumbnail`: a small JPEG of a READY
//! workstation's desktop, for the cards of its owner (and admins: portal-proxy checks the
//! owner) and of colleagues it is shared with (checked here, as for a join).
//!
//! Who may see it is checked in a short transaction, like every call; the picture is taken
//! after it (`drivers/thumbnails.rs`), so the store's lock is never held while a desktop
//! is pictured. A local desktop is read here; an EC2 one's agent is asked and sends it
//! (`dcv_pictures.rs`), which this waits a few seconds for. A desktop is pictured at most
//! once every 10 seconds however many pages ask.

use crate::app::App;
use crate::config::DriverName;
use crate::store;
use base64::Engine;
use local_desktop::Thumbnail;
use nimble_model::*;
use std::sync::Arc;
use std::time::Duration;

/// How long a page's request waits for an EC2 workstation's agent to send a picture.
const AGENT_WAIT: Duration = Duration::from_secs(3);

/// Whether `operation` is served here.
pub fn serves(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::GetSessionThumbnail | Operation::GetSharedSessionThumbnail
    )
}

pub async fn get(app: Arc<App>, route: Route) -> Result<String, ApiError> {
    let checking = app.clone();
    let seen = tokio::task::spawn_blocking(move || may_see(&checking, &route)).await;
    let (session, on_ec2) = seen.map_err(|_| failed())??;
    let (taken_ms, picture) = match on_ec2 {
        true => from_agent(&app, &session).await?,
        false => {
            let reading = app.clone();
            let read = tokio::task::spawn_blocking(move || {
                let now_ms = reading.now_ms();
                let taken = (reading.thumbnails).get(&reading.drivers, &session, now_ms);
                taken.map_err(|error| {
                    tracing::warn!(%session, %error, "cannot picture a desktop");
                    ApiError::new(
                        ErrorType::InternalServerError,
                        "The desktop could not be pictured just now",
                    )
                })
            });
            read.await.map_err(|_| failed())??
        }
    };
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
}

fn failed() -> ApiError {
    ApiError::new(
        ErrorType::InternalServerError,
        "The request could not be completed",
    )
}

/// An EC2 workstation's picture: a fresh one, or one its agent sends within
/// [`AGENT_WAIT`] of being asked, or else the last it sent (a minute old at most).
async fn from_agent(app: &App, session: &str) -> Result<(i64, Arc<Thumbnail>), ApiError> {
    let mut delivered = app.dcv_pictures.delivered.subscribe();
    let deadline = tokio::time::Instant::now() + AGENT_WAIT;
    let mut asked = false;
    loop {
        // Marked seen before looking, so a delivery after the look wakes the wait below.
        delivered.borrow_and_update();
        if let Some(fresh) = app.thumbnails.fresh(session, app.now_ms()) {
            return Ok(fresh);
        }
        if !asked {
            app.dcv_pictures.ask(session);
            asked = true;
        }
        let woken = tokio::select! {
            changed = delivered.changed() => changed.is_ok(),
            _ = tokio::time::sleep_until(deadline) => false,
        };
        if !woken {
            break;
        }
    }
    app.thumbnails.latest(session).ok_or_else(|| {
        ApiError::not_found("Thumbnail of", session).with_context(
            "reason",
            "the workstation's agent has sent no picture yet; ask again in a few seconds",
        )
    })
}

/// The session the route names, and whether it is on EC2, if its caller may see it now:
/// READY, a local desktop or an EC2 one, and (for a colleague) shared with them. Any
/// other session answers as a missing one.
fn may_see(app: &App, route: &Route) -> Result<(String, bool), ApiError> {
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
    let driver = record.driver.as_ref().map(|link| link.name.as_str());
    let on_ec2 = driver == Some(DriverName::Ec2.as_str());
    if !on_ec2 && driver != Some(DriverName::LocalDesktop.as_str()) {
        return Err(ApiError::not_found("Thumbnail of", id)
            .with_context("reason", "only local and EC2 desktops are pictured"));
    }
    if record.state() != StreamingSessionState::Ready {
        return Err(ApiError::conflict(
            "Only a READY workstation has a thumbnail",
        ));
    }
    Ok((id.to_owned(), on_ec2))
}
