//! Connecting to a workstation: ask for a streaming-session stream, wait until it is
//! READY, and show the stream's URL (the DCV client) in a new tab. The page hears of
//! readiness from the event stream (`live/`) and then reads the URL at once; polls on
//! a backing-off schedule are the fallback (and the only way without live updates).
//!
//! Popup blockers allow `window.open` only while a click is being handled, never after an
//! `await`. So [`begin`] opens a blank tab at once, inside the click, and the future it
//! answers navigates that tab when the stream is ready. Where no tab could be opened, the
//! caller gets the URL to offer as a link.

use crate::api;
use crate::live;
use crate::logic::{self, describe};
use crate::portal::explain;
use leptos::prelude::window;
use nimble_model::StreamingSessionStreamState;
use std::future::Future;
use std::time::Duration;

/// How a connection attempt ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The tab opened in the click now shows the workstation.
    Opened,
    /// The stream is ready but no tab could be opened: the artist opens this URL.
    Link(String),
    /// In plain words, why not.
    Failed(String),
}

/// Call from the click handler itself: opens the tab now, then prepares the stream of
/// session `id`, sent with the intent's client `token`, and navigates the tab to it.
pub fn begin(studio: String, id: String, token: String) -> impl Future<Output = Outcome> {
    let tab = window()
        .open_with_url_and_target("about:blank", "_blank")
        .ok()
        .flatten();
    async move {
        match ready_url(&studio, &id, &token).await {
            Ok(url) => match &tab {
                Some(tab) if tab.location().set_href(&url).is_ok() => Outcome::Opened,
                _ => Outcome::Link(url),
            },
            Err(message) => {
                if let Some(tab) = tab {
                    let _ = tab.close();
                }
                Outcome::Failed(message)
            }
        }
    }
}

/// Waits `delay`, or less if a stream event comes meanwhile.
async fn wait(delay: Duration) {
    let heard = live::stream_events();
    // Whole 50 ms ticks, in u64: a u128 division would cost the wasm its helper.
    let mut ticks = delay.as_secs() * 20 + u64::from(delay.subsec_millis() / 50);
    while ticks > 0 && live::stream_events() == heard {
        gloo_timers::future::sleep(Duration::from_millis(50)).await;
        ticks -= 1;
    }
}

/// Asks for a stream and waits, with backoff and a bound, until it is READY.
async fn ready_url(studio: &str, id: &str, token: &str) -> Result<String, String> {
    let stream = api::create_stream(studio, id, token)
        .await
        .map_err(|f| explain(&f))?;
    let stream_id = stream.stream_id.clone().unwrap_or_default();
    let mut current = stream;
    for delay in logic::stream_poll_delays() {
        match current.state {
            Some(StreamingSessionStreamState::Ready) => {
                if let Some(url) = current.url {
                    return Ok(url.0);
                }
            }
            Some(StreamingSessionStreamState::CreateFailed) => {
                return Err("The connection could not be prepared. Try Connect again.".into());
            }
            _ => {}
        }
        wait(delay).await;
        current = api::get_stream(studio, id, &stream_id)
            .await
            .map_err(|f| describe(&f))?;
    }
    Err("The connection was not ready within a minute. Try Connect again.".into())
}
