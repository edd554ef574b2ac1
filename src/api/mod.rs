//! The typed API client of portal-proxy's `/api`. Each request owns an AbortController that
//! aborts when the request future is dropped, so a view that goes away leaves no request
//! behind. Throttled calls are retried with backoff before the artist is told.
//!
//! This module holds the one request loop (`call`) and the JSON hand-over to the browser;
//! `lists` walks the paged lists, `sessions` changes sessions and asks for streams.

mod lists;
mod sessions;

pub use lists::{
    launch_profiles, list_backups, list_sessions, BackupChoice, InstanceTypes, ProfileChoice,
};
pub use sessions::{
    change, change_as_admin, create, create_stream, get_stream, Change, StreamChoice,
};

use crate::logic::Failure;
use gloo_net::http::{Request, RequestBuilder};
use nimble_model::*;
use serde::de::DeserializeOwned;
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
pub fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, Failure> {
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
    headers: &[(&str, &str)],
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
        for (name, value) in headers {
            builder = builder.header(name, value);
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

/// JoinForSupport: an admin's view-only stream to a READY workstation, ready at once; its
/// URL.
pub async fn join_for_support(studio: &str, id: &str) -> Result<String, Failure> {
    let path = path(Operation::JoinForSupport, &[studio, id]);
    let joined: nimble_model::JoinResponse =
        decode(call("POST", &path, Some("{}".into()), &[]).await?)?;
    let url = joined.stream.and_then(|stream| stream.url);
    url.map(|url| url.0).ok_or(Failure::Api {
        kind: None,
        status: 500,
        message: "The connection could not be prepared. Try again.".into(),
    })
}

/// The parsed answer of a GET of `path` (under `/api`): for reads this module has no
/// typed call for, such as the admin page's.
pub async fn get(path: &str) -> Result<JsValue, Failure> {
    call("GET", path, None, &[]).await
}

pub async fn me() -> Result<Me, Failure> {
    decode(call("GET", "/me", None, &[]).await?)
}
