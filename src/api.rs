//! The typed API client. Each request owns an AbortController that aborts when the request
//! future is dropped, so a view that goes away leaves no request behind. Throttled calls
//! are retried with backoff before the artist is told.

use crate::logic::Failure;
use gloo_net::http::{Request, RequestBuilder};
use nimble_model::*;
use serde::de::DeserializeOwned;
use std::time::Duration;

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
pub fn new_client_token() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("{}", js_sys::Math::random()))
}

async fn send<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
    token: Option<&str>,
) -> Result<T, Failure> {
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
            return response.json::<T>().await.map_err(|_| Failure::Network);
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
        let body: ErrorBody = response.json().await.unwrap_or_default();
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
    let url = "/api/me";
    let response = Request::get(url)
        .send()
        .await
        .map_err(|_| Failure::Network)?;
    match response.status() {
        200 => response.json().await.map_err(|_| Failure::Network),
        401 => Err(Failure::SignedOut),
        status => Err(Failure::Api {
            kind: None,
            status,
            message: String::new(),
        }),
    }
}

/// Every item of a paged list: pages are fetched until `nextToken` runs out. `query` makes
/// the query string for a token; `split` takes a page apart into items and the next token.
async fn all_pages<P: DeserializeOwned, T>(
    base: &str,
    query: impl Fn(Option<String>) -> String,
    split: impl Fn(P) -> (Option<Vec<T>>, Option<String>),
) -> Result<Vec<T>, Failure> {
    let mut all = Vec::new();
    let mut next_token = None;
    loop {
        let page: P = send("GET", &format!("{base}?{}", query(next_token)), None, None).await?;
        let (items, token) = split(page);
        all.extend(items.unwrap_or_default());
        match token.filter(|t| !t.is_empty()) {
            Some(token) => next_token = Some(token),
            None => return Ok(all),
        }
    }
}

/// Every session of the artist, across all pages.
pub async fn list_sessions(studio: &str) -> Result<Vec<StreamingSession>, Failure> {
    all_pages(
        &path(Operation::ListStreamingSessions, &[studio]),
        |next_token| {
            ListStreamingSessionsQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string()
        },
        |page: ListStreamingSessionsResponse| (page.sessions, page.next_token),
    )
    .await
}

/// Every backup of the artist, across all pages.
pub async fn list_backups(studio: &str) -> Result<Vec<StreamingSessionBackup>, Failure> {
    all_pages(
        &path(Operation::ListStreamingSessionBackups, &[studio]),
        |next_token| {
            ListStreamingSessionBackupsQuery {
                next_token,
                ..Default::default()
            }
            .to_query_string()
        },
        |page: ListStreamingSessionBackupsResponse| {
            (page.streaming_session_backups, page.next_token)
        },
    )
    .await
}

pub async fn launch_profiles(studio: &str) -> Result<Vec<LaunchProfile>, Failure> {
    let page: ListLaunchProfilesResponse = send(
        "GET",
        &path(Operation::ListLaunchProfiles, &[studio]),
        None,
        None,
    )
    .await?;
    Ok(page.launch_profiles.unwrap_or_default())
}

fn session_of(response: SessionResponse) -> Result<StreamingSession, Failure> {
    response.session.ok_or(Failure::Network)
}

pub async fn create(
    studio: &str,
    body: &CreateStreamingSessionBody,
    token: &str,
) -> Result<StreamingSession, Failure> {
    let body = serde_json::to_string(body).ok();
    session_of(
        send(
            "POST",
            &path(Operation::CreateStreamingSession, &[studio]),
            body,
            Some(token),
        )
        .await?,
    )
}

pub async fn start(
    studio: &str,
    id: &str,
    backup_id: Option<String>,
    token: &str,
) -> Result<StreamingSession, Failure> {
    let body = serde_json::to_string(&StartStreamingSessionBody { backup_id }).ok();
    session_of(
        send(
            "POST",
            &path(Operation::StartStreamingSession, &[studio, id]),
            body,
            Some(token),
        )
        .await?,
    )
}

pub async fn stop(
    studio: &str,
    id: &str,
    mode: Option<VolumeRetentionMode>,
    token: &str,
) -> Result<StreamingSession, Failure> {
    let body = serde_json::to_string(&StopStreamingSessionBody {
        volume_retention_mode: mode,
    })
    .ok();
    session_of(
        send(
            "POST",
            &path(Operation::StopStreamingSession, &[studio, id]),
            body,
            Some(token),
        )
        .await?,
    )
}

pub async fn delete(studio: &str, id: &str, token: &str) -> Result<StreamingSession, Failure> {
    session_of(
        send(
            "DELETE",
            &path(Operation::DeleteStreamingSession, &[studio, id]),
            None,
            Some(token),
        )
        .await?,
    )
}

pub async fn create_stream(
    studio: &str,
    id: &str,
    token: &str,
) -> Result<StreamingSessionStream, Failure> {
    let body = serde_json::to_string(&CreateStreamingSessionStreamBody {
        expiration_in_seconds: Some(300),
    })
    .ok();
    let response: StreamResponse = send(
        "POST",
        &path(Operation::CreateStreamingSessionStream, &[studio, id]),
        body,
        Some(token),
    )
    .await?;
    response.stream.ok_or(Failure::Network)
}

pub async fn get_stream(
    studio: &str,
    id: &str,
    stream: &str,
) -> Result<StreamingSessionStream, Failure> {
    let response: StreamResponse = send(
        "GET",
        &path(Operation::GetStreamingSessionStream, &[studio, id, stream]),
        None,
        None,
    )
    .await?;
    response.stream.ok_or(Failure::Network)
}
