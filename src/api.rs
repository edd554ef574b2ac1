//! The typed API client. Each request owns an AbortController that aborts when the request
//! future is dropped, so a view that goes away leaves no request behind. Throttled calls
//! are retried with backoff before the artist is told.

use crate::logic::Failure;
use gloo_net::http::{Request, RequestBuilder};
use nimble_model::*;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;
use wasm_bindgen::JsValue;

/// Aborts the request when dropped before it finished.
struct AbortOnDrop(Option<web_sys::AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// A fresh idempotency token: one per intent (a click), reused by every retry of it.
/// 128 random bits as hex: `getRandomValues` works on plain-HTTP origins too, where
/// `randomUUID` does not. Without it, `Math.random` still keeps intents apart; a constant
/// token would make the studio take every new intent for a retry of the first.
pub fn new_client_token() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        bytes.fill_with(|| (js_sys::Math::random() * 256.0) as u8);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The browser parses the JSON; serde only reads the parsed value. Smaller than carrying
/// a JSON parser in the wasm.
fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, Failure> {
    serde_wasm_bindgen::from_value(value).map_err(|_| Failure::Network)
}

/// A request body as JSON text, written by the browser.
fn encode<T: serde::Serialize>(body: &T) -> Option<String> {
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

async fn json_of(response: gloo_net::http::Response) -> Result<JsValue, Failure> {
    let promise = web_sys::Response::from(response)
        .json()
        .map_err(|_| Failure::Network)?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| Failure::Network)
}

/// One call with its retries, answering the parsed body of a success. It and every helper
/// below that awaits are not generic, so the wasm holds one copy of each rather than one
/// per response type; callers `decode` the answer.
async fn call(
    method: &str,
    path: &str,
    body: Option<String>,
    token: Option<&str>,
) -> Result<JsValue, Failure> {
    let url = format!("/api{path}");
    let mut attempt = 0;
    loop {
        let abort = AbortOnDrop(web_sys::AbortController::new().ok());
        let mut builder: RequestBuilder = match method {
            "POST" => Request::post(&url),
            "DELETE" => Request::delete(&url),
            _ => Request::get(&url),
        };
        builder = builder.abort_signal(abort.0.as_ref().map(|c| c.signal()).as_ref());
        if method != "GET" {
            // Required by portal-proxy on every state change (CSRF).
            builder = builder.header("X-Studio-Portal", "1");
        }
        if let Some(token) = token {
            builder = builder.header(CLIENT_TOKEN_HEADER, token);
        }
        let response = match body.clone() {
            Some(body) => {
                builder
                    .header("Content-Type", "application/json")
                    .body(body)
                    .map_err(|_| Failure::Network)?
                    .send()
                    .await
            }
            None => builder.send().await,
        };
        let response = response.map_err(|_| Failure::Network)?;
        let status = response.status();
        if (200..300).contains(&status) {
            return json_of(response).await;
        }
        if status == 401 {
            return Err(Failure::SignedOut);
        }
        let kind = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| ErrorType::from_header(&v));
        if kind == Some(ErrorType::Throttling) && attempt < 3 {
            attempt += 1;
            gloo_timers::future::sleep(Duration::from_millis(400 * 2u64.pow(attempt))).await;
            continue;
        }
        let body: ErrorBody = match json_of(response).await {
            Ok(value) => decode(value).unwrap_or_default(),
            Err(_) => ErrorBody::default(),
        };
        drop(abort);
        return Err(Failure::Api {
            kind,
            status,
            message: body.message.unwrap_or_default(),
        });
    }
}

fn path(operation: Operation, labels: &[&str]) -> String {
    Route::new(operation, labels.iter().copied()).path()
}

pub async fn me() -> Result<Me, Failure> {
    decode(call("GET", "/me", None, None).await?)
}

/// Walks a paged list until `nextToken` runs out. `query` makes the query string for a
/// token; `take` decodes a page, keeps its items and answers the page's next token.
async fn all_pages(
    base: &str,
    query: &dyn Fn(Option<String>) -> String,
    take: &mut dyn FnMut(JsValue) -> Result<Option<String>, Failure>,
) -> Result<(), Failure> {
    let mut next_token = None;
    loop {
        let page = call("GET", &format!("{base}?{}", query(next_token)), None, None).await?;
        match take(page)?.filter(|t| !t.is_empty()) {
            Some(token) => next_token = Some(token),
            None => return Ok(()),
        }
    }
}

/// Every session of the artist, across all pages.
pub async fn list_sessions(studio: &str) -> Result<Vec<StreamingSession>, Failure> {
    let mut all = Vec::new();
    all_pages(
        &path(Operation::ListStreamingSessions, &[studio]),
        &|next_token| {
            ListStreamingSessionsQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string()
        },
        &mut |page| {
            let page: ListStreamingSessionsResponse = decode(page)?;
            all.extend(page.sessions.unwrap_or_default());
            Ok(page.next_token)
        },
    )
    .await?;
    Ok(all)
}

/// What the portal uses of a backup: whose it is and when it was taken. Like
/// `ProfileChoice`, a reader of only these members (the rest is skipped while decoding).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupChoice {
    pub backup_id: Option<String>,
    pub session_id: Option<String>,
    pub created_at: Option<Timestamp>,
}

/// A page of `ListStreamingSessionBackupsResponse`, decoded as `BackupChoice`s.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackupsPage {
    streaming_session_backups: Option<Vec<BackupChoice>>,
    next_token: Option<String>,
}

/// Every backup of the artist, across all pages.
pub async fn list_backups(studio: &str) -> Result<Vec<BackupChoice>, Failure> {
    let mut all = Vec::new();
    all_pages(
        &path(Operation::ListStreamingSessionBackups, &[studio]),
        &|next_token| {
            ListStreamingSessionBackupsQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string()
        },
        &mut |page| {
            let page: BackupsPage = decode(page)?;
            all.extend(page.streaming_session_backups.unwrap_or_default());
            Ok(page.next_token)
        },
    )
    .await?;
    Ok(all)
}

/// What the portal uses of a launch profile: the rest of `LaunchProfile`'s large tree is
/// skipped while decoding, which keeps its decoder out of the wasm. The tests below check
/// these readers against the model's own types.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileChoice {
    pub launch_profile_id: Option<String>,
    pub name: Option<String>,
    pub stream_configuration: Option<InstanceTypes>,
}

/// `streamConfiguration.ec2InstanceTypes` of a launch profile.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTypes {
    pub ec2_instance_types: Option<Vec<StreamingInstanceType>>,
}

/// A page of `ListLaunchProfilesResponse`, decoded as `ProfileChoice`s.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfilesPage {
    launch_profiles: Option<Vec<ProfileChoice>>,
    next_token: Option<String>,
}

/// The launch profiles the artist may create sessions from, across all pages.
pub async fn launch_profiles(studio: &str) -> Result<Vec<ProfileChoice>, Failure> {
    let mut all = Vec::new();
    all_pages(
        &path(Operation::ListLaunchProfiles, &[studio]),
        &|next_token| {
            ListLaunchProfilesQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string()
        },
        &mut |page| {
            let page: ProfilesPage = decode(page)?;
            all.extend(page.launch_profiles.unwrap_or_default());
            Ok(page.next_token)
        },
    )
    .await?;
    Ok(all)
}

/// A state change that answers `{"session": ...}`, sent with the intent's client token.
async fn session_call(
    method: &str,
    path: &str,
    body: Option<String>,
    token: &str,
) -> Result<StreamingSession, Failure> {
    let response: SessionResponse = decode(call(method, path, body, Some(token)).await?)?;
    response.session.ok_or(Failure::Network)
}

pub async fn create(
    studio: &str,
    body: &CreateStreamingSessionBody,
    token: &str,
) -> Result<StreamingSession, Failure> {
    let path = path(Operation::CreateStreamingSession, &[studio]);
    session_call("POST", &path, encode(body), token).await
}

pub async fn start(
    studio: &str,
    id: &str,
    backup_id: Option<String>,
    token: &str,
) -> Result<StreamingSession, Failure> {
    let path = path(Operation::StartStreamingSession, &[studio, id]);
    let body = encode(&StartStreamingSessionBody { backup_id });
    session_call("POST", &path, body, token).await
}

pub async fn stop(
    studio: &str,
    id: &str,
    mode: Option<VolumeRetentionMode>,
    token: &str,
) -> Result<StreamingSession, Failure> {
    let path = path(Operation::StopStreamingSession, &[studio, id]);
    let body = encode(&StopStreamingSessionBody {
        volume_retention_mode: mode,
    });
    session_call("POST", &path, body, token).await
}

pub async fn delete(studio: &str, id: &str, token: &str) -> Result<StreamingSession, Failure> {
    let path = path(Operation::DeleteStreamingSession, &[studio, id]);
    session_call("DELETE", &path, None, token).await
}

fn stream_of(value: JsValue) -> Result<StreamingSessionStream, Failure> {
    let response: StreamResponse = decode(value)?;
    response.stream.ok_or(Failure::Network)
}

pub async fn create_stream(
    studio: &str,
    id: &str,
    token: &str,
) -> Result<StreamingSessionStream, Failure> {
    let path = path(Operation::CreateStreamingSessionStream, &[studio, id]);
    let body = encode(&CreateStreamingSessionStreamBody {
        expiration_in_seconds: Some(300),
    });
    stream_of(call("POST", &path, body, Some(token)).await?)
}

pub async fn get_stream(
    studio: &str,
    id: &str,
    stream: &str,
) -> Result<StreamingSessionStream, Failure> {
    let path = path(Operation::GetStreamingSessionStream, &[studio, id, stream]);
    stream_of(call("GET", &path, None, None).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// What the model writes, as the browser parses it for `decode`.
    fn parsed<T: serde::Serialize>(value: &T) -> JsValue {
        js_sys::JSON::parse(&serde_json::to_string(value).unwrap()).unwrap()
    }

    /// The slim readers take their members from what the model writes.
    #[test]
    fn the_slim_readers_read_what_the_model_writes() {
        let profile = LaunchProfile {
            launch_profile_id: Some("lp-1".into()),
            name: Some("Lighting".into()),
            description: Some("skipped".into()),
            stream_configuration: Some(StreamConfiguration {
                ec2_instance_types: Some(vec![StreamingInstanceType::G4dnXlarge]),
                max_session_length_in_minutes: Some(690),
                ..Default::default()
            }),
            ..Default::default()
        };
        let page = ListLaunchProfilesResponse {
            launch_profiles: Some(vec![profile]),
            next_token: Some("t2".into()),
        };
        let read: ProfilesPage = decode(parsed(&page)).unwrap();
        assert_eq!(read.next_token.as_deref(), Some("t2"));
        let choice = &read.launch_profiles.unwrap()[0];
        assert_eq!(choice.launch_profile_id.as_deref(), Some("lp-1"));
        assert_eq!(choice.name.as_deref(), Some("Lighting"));
        assert_eq!(
            choice
                .stream_configuration
                .as_ref()
                .unwrap()
                .ec2_instance_types,
            Some(vec![StreamingInstanceType::G4dnXlarge])
        );

        let created = Timestamp::from_unix_millis(1_704_164_645_000).unwrap();
        let page = ListStreamingSessionBackupsResponse {
            streaming_session_backups: Some(vec![StreamingSessionBackup {
                backup_id: Some("b-1".into()),
                session_id: Some("s-1".into()),
                created_at: Some(created),
                state: Some(StreamingSessionState::Stopped),
                ..Default::default()
            }]),
            next_token: None,
        };
        let read: BackupsPage = decode(parsed(&page)).unwrap();
        assert_eq!(read.next_token, None);
        assert_eq!(
            read.streaming_session_backups.unwrap(),
            vec![BackupChoice {
                backup_id: Some("b-1".into()),
                session_id: Some("s-1".into()),
                created_at: Some(created),
            }]
        );
    }
}
