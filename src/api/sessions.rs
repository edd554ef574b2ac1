//! Calls that change a workstation (create, start, stop, delete, keep running), each sent with the
//! client token of the artist's intent, and the two stream calls behind Connect.

use super::{call, decode, encode, path};
use crate::intent::Intent;
use crate::logic::Failure;
use crate::workstation::{Workstation, WorkstationReply};
use nimble_model::*;
use wasm_bindgen::JsValue;

/// A change of an existing workstation, with what it carries. The API answers each with
/// the session. An enum, so only these can be sent, each to its own route.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// From its latest state, or from the backup with this id.
    Start {
        backup_id: Option<String>,
    },
    /// `mode` only for a session with a persistent volume.
    Stop {
        mode: Option<VolumeRetentionMode>,
    },
    Delete,
    /// Puts off a warned automatic stop.
    KeepRunning,
}

impl Change {
    /// The artist's intent this change carries out (its client token is the intent's).
    pub fn intent(&self) -> Intent {
        match self {
            Change::Start { .. } => Intent::Start,
            Change::Stop { .. } => Intent::Stop,
            Change::Delete => Intent::Delete,
            Change::KeepRunning => Intent::KeepRunning,
        }
    }
}

/// A state change that answers `{"session": ...}`, sent with the intent's client token.
async fn session_call(
    method: &str,
    path: &str,
    body: Option<String>,
    headers: &[(&str, &str)],
) -> Result<Workstation, Failure> {
    let response: WorkstationReply = decode(call(method, path, body, headers).await?)?;
    response.session.ok_or(Failure::Network)
}

/// Starts, stops, deletes or keeps running session `id`.
pub async fn change(
    studio: &str,
    id: &str,
    change: Change,
    token: &str,
) -> Result<Workstation, Failure> {
    let (method, path, body) = request(studio, id, change);
    session_call(method, &path, body, &[(CLIENT_TOKEN_HEADER, token)]).await
}

/// [`change`] by an admin, with the reason the owner is shown and the audit log keeps.
/// Answers the parsed `{"session": …}`, which the admin page reads its own way.
pub async fn change_as_admin(
    studio: &str,
    id: &str,
    change: Change,
    token: &str,
    reason: &str,
) -> Result<JsValue, Failure> {
    let reason = String::from(js_sys::encode_uri_component(reason));
    let headers = [
        (CLIENT_TOKEN_HEADER, token),
        (REASON_HEADER, reason.as_str()),
    ];
    let (method, path, body) = request(studio, id, change);
    call(method, &path, body, &headers).await
}

/// The method, path and body of `change` of session `id`.
fn request(studio: &str, id: &str, change: Change) -> (&'static str, String, Option<String>) {
    let operation = change.intent().operation();
    let (method, body) = match change {
        Change::Start { backup_id } => ("POST", encode(&StartStreamingSessionBody { backup_id })),
        Change::Stop { mode } => (
            "POST",
            encode(&StopStreamingSessionBody {
                volume_retention_mode: mode,
            }),
        ),
        Change::Delete => ("DELETE", None),
        Change::KeepRunning => ("POST", None),
    };
    (method, path(operation, &[studio, id]), body)
}

/// Creates a workstation from `body`.
pub async fn create(
    studio: &str,
    body: &CreateStreamingSessionBody,
    token: &str,
) -> Result<Workstation, Failure> {
    session_call(
        "POST",
        &path(Operation::CreateStreamingSession, &[studio]),
        encode(body),
        &[(CLIENT_TOKEN_HEADER, token)],
    )
    .await
}

/// What Connect uses of a stream. Like `ProfileChoice`, a reader of only these members
/// (the rest, timestamps included, is skipped while decoding: a smaller wasm).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamChoice {
    pub stream_id: Option<String>,
    pub state: Option<StreamingSessionStreamState>,
    pub url: Option<SensitiveString>,
}

#[derive(serde::Deserialize)]
struct StreamReply {
    stream: Option<StreamChoice>,
}

fn stream_of(value: JsValue) -> Result<StreamChoice, Failure> {
    let response: StreamReply = decode(value)?;
    response.stream.ok_or(Failure::Network)
}

pub async fn create_stream(studio: &str, id: &str, token: &str) -> Result<StreamChoice, Failure> {
    let path = path(Operation::CreateStreamingSessionStream, &[studio, id]);
    let body = encode(&CreateStreamingSessionStreamBody {
        expiration_in_seconds: Some(300),
    });
    stream_of(call("POST", &path, body, &[(CLIENT_TOKEN_HEADER, token)]).await?)
}

pub async fn get_stream(studio: &str, id: &str, stream: &str) -> Result<StreamChoice, Failure> {
    let path = path(Operation::GetStreamingSessionStream, &[studio, id, stream]);
    stream_of(call("GET", &path, None, &[]).await?)
}
