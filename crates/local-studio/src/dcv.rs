//! Amazon DCV's external authenticator: `POST /dcv/verify` on local-studio's own address,
//! outside SigV4 (DCV signs nothing; the token is the credential). A workstation's
//! `/etc/dcv/dcv.conf` names it (`[security] auth-token-verifier`, see deploy/ec2/).
//!
//! DCV posts `application/x-www-form-urlencoded` `sessionId`, `authenticationToken` and
//! `clientAddress`, and takes `<auth result="yes"><username>USER</username></auth>` or
//! `<auth result="no"/>` as `text/xml`. A token says yes once: it is spent whatever the
//! answer (the stream token of `CreateStreamingSessionStream`, kept only as a SHA-256
//! hash, as the noVNC bridge spends it), and only while its stream is ready and unexpired,
//! for its own session (the DCV session is named after it), while that session is READY
//! on the very instance the stream was made for. USER is the session owner's OS user on
//! the workstation (the profile's `ec2.os_users`). Nothing here logs the token.

use crate::app::App;
use crate::config::DriverName;
use crate::drivers::Drivers;
use crate::store;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use nimble_model::Operation;
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
    form: Result<Form<Verify>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return xml(NO.into());
    };
    let session = form.session_id.clone();
    let client = form.client_address.clone();
    let user = tokio::task::spawn_blocking(move || user_for(&app, &form)).await;
    match user {
        Ok(Ok(Some(user))) => {
            tracing::info!(session = ?session, client = ?client, "DCV connection allowed");
            xml(format!(
                r#"<auth result="yes"><username>{}</username></auth>"#,
                escape(&user)
            ))
        }
        Ok(Ok(None)) => {
            tracing::info!(session = ?session, client = ?client, "DCV connection refused");
            xml(NO.into())
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot check a DCV token");
            xml(NO.into())
        }
        Err(_) => xml(NO.into()),
    }
}

/// Spends the token and returns the user it lets in, or `None`.
fn user_for(app: &App, form: &Verify) -> Result<Option<String>, store::StoreError> {
    if form.authentication_token.is_empty() {
        return Ok(None);
    }
    let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
    let tx = db.transaction()?;
    let now_ms = app.now_ms();
    crate::operations::settle(app, &tx, now_ms)?;
    let hash = crate::desktop::token_hash(&form.authentication_token);
    let Some(grant) = store::spend_stream_token(&tx, &hash, now_ms)? else {
        return Ok(None);
    };
    let record = store::session_by_id(&tx, &grant.session_id)?;
    // Spent whatever follows: a token never answers yes twice.
    tx.commit()?;
    let Some(record) = record.filter(|r| r.session_id() == form.session_id) else {
        return Ok(None);
    };
    if !record
        .state()
        .allows(Operation::CreateStreamingSessionStream)
    {
        return Ok(None);
    }
    let Some(link) = record
        .driver
        .as_ref()
        .filter(|l| l.name == DriverName::Ec2.as_str())
    else {
        return Ok(None);
    };
    if grant.machine.is_none() || grant.machine != Drivers::machine_of(&record) {
        return Ok(None);
    }
    Ok(link
        .os_user
        .clone()
        .or_else(|| record.session.owned_by.clone()))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
