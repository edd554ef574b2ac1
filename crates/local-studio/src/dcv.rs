//! Amazon DCV's external authenticator: `POST /dcv/verify` on local-studio's own address,
//! outside SigV4 (DCV signs nothing; the token is the credential). A workstation's
//! `/etc/dcv/dcv.conf` names it (`[security] auth-token-verifier`, see deploy/ec2/).
//!
//! DCV posts `application/x-www-form-urlencoded` `sessionId`, `authenticationToken` and
//! `clientAddress`, and takes `<auth result="yes"><username>USER</username></auth>` or
//! `<auth result="no"/>` as `text/xml`. A token (the stream token of
//! `CreateStreamingSessionStream`, redeemed as `tokens/` says) says yes once, only while
//! its stream is ready and unexpired, for its own session (the DCV session is named after
//! it; `sessionId` must name it), while that session is READY on the very instance the
//! stream was made for. A no spends nothing. USER is the session owner's OS user on the
//! workstation (the profile's `ec2.os_users`), or, for a colleague's stream (a share or an
//! admin's support view, `operations/shares.rs`), the colleague's studio user id, which
//! the session's DCV permissions name (`drivers/ec2/permissions.rs`). A colleague whose
//! id is the owner's DCV name is refused: DCV would take them for the owner. Beyond the rate limits of `tokens/limits.rs`
//! the answer is 429 (with the no), which DCV takes as a refusal. Nothing here logs the
//! token.

use crate::app::App;
use crate::config::DriverName;
use crate::drivers::dcv_permissions::owner_name;
use crate::lifecycle::SessionRecord;
use crate::tokens::redeem::{present, Presented};
use crate::tokens::Viewer;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use std::net::SocketAddr;
use std::sync::Arc;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/dcv/verify", post(verify))
}

#[derive(serde::Deserialize)]
struct Verify {
    #[serde(rename = "sessionId", default)]
    session_id: String,
    #[serde(rename = "authenticationToken", default)]
    authentication_token: String,
    #[serde(rename = "clientAddress", default)]
    client_address: String,
}

fn xml(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/xml"),
    );
    response
}

const NO: &str = r#"<auth result="no"/>"#;

async fn verify(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Result<Form<Verify>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return xml(NO.into());
    };
    let session = form.session_id.clone();
    let client = form.client_address;
    let presented = present(
        app.clone(),
        peer.ip(),
        form.authentication_token,
        Some(form.session_id),
        DriverName::Ec2,
        |_, record, viewer| user_of(&record, &viewer),
    )
    .await;
    match presented {
        Presented::Throttled(throttled) => {
            let mut response = xml(NO.into());
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, throttled.retry_after_secs.into());
            response
        }
        Presented::Opened(Some(user)) => {
            tracing::info!(session = ?session, client = ?client, user = ?user, "DCV connection allowed");
            app.activity.viewed(&session, app.now_ms());
            app.dcv_connections.joined(&session, &user, app.now_ms());
            xml(format!(
                r#"<auth result="yes"><username>{}</username></auth>"#,
                escape(&user)
            ))
        }
        Presented::Opened(None) | Presented::Refused => {
            tracing::info!(session = ?session, client = ?client, "DCV connection refused");
            xml(NO.into())
        }
        Presented::Failed(error) => {
            if let Some(error) = error {
                tracing::error!(%error, "cannot check a DCV token");
            }
            xml(NO.into())
        }
    }
}

/// The user a redeemed token lets in as DCV knows them: the owner's DCV name, or the
/// colleague's user id; `None` (refused) for a session with no owner, and for a colleague
/// who would pass for the owner.
fn user_of(record: &SessionRecord, viewer: &Viewer) -> Option<String> {
    let owner = owner_name(record)?;
    match viewer.guest {
        None => Some(owner),
        Some(_) if viewer.user == owner => None,
        Some(_) => Some(viewer.user.clone()),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
