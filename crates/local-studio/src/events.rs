//! The watch: `GET /2020-08-01/studios/{studioId}/events?since=SEQ&waitSeconds=N`, an
//! extension outside the Nimble API for local-studio's own clients (portal-proxy), signed
//! with SigV4 like every other call.
//!
//! It long-polls: it answers at once when the log (`store/events.rs`) holds events of the
//! studio after `since`, and otherwise waits up to `waitSeconds` (default 20, at most 25)
//! for a commit to bring some, woken by [`App::commit`]. The answer:
//!
//! ```json
//! {"events": [{"seq": 7, "kind": "session", "sessionId": "ss-…", "ownedBy": "alice",
//!              "session": {…the document GetStreamingSession returns…}},
//!             {"seq": 8, "kind": "stream", "sessionId": "ss-…", "ownedBy": "alice",
//!              "stream": {…GetStreamingSessionStream's document, without its url…}}],
//!  "next": 8, "reset": false}
//! ```
//!
//! The client sends `next` as its next `since`. Without `since` the answer is immediate
//! and empty, with the position to watch from (list first, then watch from there).
//! `reset: true` means `since` is older than the events kept (or newer than any written,
//! as after the store was replaced): the client re-lists and watches from `next`.
//! Changes in a studio that does not exist answer 404 as elsewhere.

use crate::app::App;
use crate::store::{self, EventPage};
use nimble_model::{ApiError, ErrorType, ValidationError};
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_WAIT_SECONDS: u64 = 20;
/// Below the usual 30 s idle timeouts of proxies and load balancers in between.
const MAX_WAIT_SECONDS: u64 = 25;
/// Events in one answer at most; a client with more to read asks again at once.
const PAGE: usize = 500;

/// The studio a watch path names, if this is one.
pub fn watch_path<'a>(method: &str, path: &'a str) -> Option<&'a str> {
    let studio = path
        .strip_prefix("/2020-08-01/studios/")?
        .strip_suffix("/events")?;
    (method == "GET" && !studio.is_empty() && !studio.contains('/')).then_some(studio)
}

/// A watch's query, checked: a bad one answers 400 naming the field.
#[derive(Debug, PartialEq)]
struct Query {
    since: Option<i64>,
    wait: Duration,
}

fn parse_query(query: &str) -> Result<Query, ApiError> {
    let mut parsed = Query {
        since: None,
        wait: Duration::from_secs(DEFAULT_WAIT_SECONDS),
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = |field: &str| {
            value
                .parse::<u64>()
                .map_err(|_| ApiError::from(ValidationError::new(field, "must be a whole number")))
        };
        match name {
            "since" => {
                let since = number("since")?;
                parsed.since =
                    Some(i64::try_from(since).map_err(|_| {
                        ApiError::from(ValidationError::new("since", "is too large"))
                    })?);
            }
            "waitSeconds" => {
                let wait = number("waitSeconds")?;
                if wait > MAX_WAIT_SECONDS {
                    return Err(ValidationError::new(
                        "waitSeconds",
                        format!("must be at most {MAX_WAIT_SECONDS}"),
                    )
                    .into());
                }
                parsed.wait = Duration::from_secs(wait);
            }
            other => {
                return Err(ValidationError::new(other, "is not a parameter of the watch").into())
            }
        }
    }
    Ok(parsed)
}

/// Answers one watch call (see the module's documentation).
pub async fn watch(app: Arc<App>, studio_id: &str, query: &str) -> Result<String, ApiError> {
    let query = parse_query(query)?;
    if app.studios.studio(studio_id).is_none() {
        return Err(ApiError::not_found("Studio", studio_id));
    }
    let deadline = tokio::time::Instant::now() + query.wait;
    let mut committed = app.committed.subscribe();
    let mut stopping = app.stopping.subscribe();
    loop {
        // Marked seen before reading, so a commit after the read wakes the wait below.
        committed.borrow_and_update();
        let page = read(&app, studio_id, query.since).await?;
        if !page.events.is_empty() || page.reset || query.since.is_none() {
            return Ok(encode(&page));
        }
        let woken = tokio::select! {
            changed = committed.changed() => changed.is_ok(),
            _ = tokio::time::sleep_until(deadline) => false,
            _ = stopping.wait_for(|stop| *stop) => false,
        };
        if !woken {
            return Ok(encode(&page));
        }
    }
}

async fn read(app: &Arc<App>, studio_id: &str, since: Option<i64>) -> Result<EventPage, ApiError> {
    let app = app.clone();
    let studio_id = studio_id.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
        let tx = db.transaction().map_err(store::StoreError::from)?;
        Ok(store::events_after(&tx, &studio_id, since, PAGE)?)
    })
    .await
    .map_err(|_| ApiError::new(ErrorType::InternalServerError, "The watch failed"))?
}

/// The answer's JSON. Each event's document is stored as the API's JSON text already.
fn encode(page: &EventPage) -> String {
    let text = |s: &str| serde_json::Value::from(s).to_string();
    let events: Vec<String> = page
        .events
        .iter()
        .map(|e| {
            format!(
                r#"{{"seq":{},"kind":{},"sessionId":{},"ownedBy":{},{}:{}}}"#,
                e.seq,
                text(&e.kind),
                text(&e.session_id),
                text(&e.owned_by),
                text(&e.kind),
                e.doc
            )
        })
        .collect();
    format!(
        r#"{{"events":[{}],"next":{},"reset":{}}}"#,
        events.join(","),
        page.next,
        page.reset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_watch_path_is_a_watch() {
        assert_eq!(
            watch_path("GET", "/2020-08-01/studios/s1/events"),
            Some("s1")
        );
        assert_eq!(watch_path("POST", "/2020-08-01/studios/s1/events"), None);
        assert_eq!(watch_path("GET", "/2020-08-01/studios//events"), None);
        assert_eq!(watch_path("GET", "/2020-08-01/studios/a/b/events"), None);
        assert_eq!(
            watch_path("GET", "/2020-08-01/studios/s1/streaming-sessions"),
            None
        );
    }

    #[test]
    fn a_bad_query_names_its_field() {
        assert_eq!(
            parse_query("since=5&waitSeconds=0").unwrap(),
            Query {
                since: Some(5),
                wait: Duration::ZERO
            }
        );
        assert_eq!(parse_query("").unwrap().since, None);
        for (query, field) in [
            ("since=-1", "since"),
            ("since=x", "since"),
            ("waitSeconds=26", "waitSeconds"),
            ("since=99999999999999999999", "since"),
            ("nope=1", "nope"),
        ] {
            let error = parse_query(query).unwrap_err();
            assert_eq!(error.kind, ErrorType::Validation, "{query}");
            assert!(error.message.contains(field), "{query}: {}", error.message);
        }
    }
}
