//! Keeping the page's workstations current: loaded page by page (the first rows show as
//! soon as the first page is in), then kept live by portal-proxy's event stream, which
//! tells an admin of every session's changes.
//!
//! - `hello` and `resync` (changes were missed) load the list again; `session` events
//!   update one row, and a DELETED session leaves the table.
//! - Who last used each READY workstation comes from GetStudioActivity every 30 s: idle
//!   minutes change by the minute, not with events.
//! - A stream that fails is opened again after 5 s; leaving the page closes it.

use crate::row::{Row, RowReply};
use crate::state::{self, Access};
use js_sys::Reflect;
use nimble_model::{
    ListStreamingSessionsQuery, Operation, QueryString, Route, StudioActivityResponse,
};
use std::time::Duration;
use studio_portal::api;
use studio_portal::logic::{describe, Failure};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Event, EventSource, MessageEvent};

/// A failure, told plainly; a 403 means the user is not (or no longer) an admin.
pub fn failed(failure: &Failure) {
    let access = match failure {
        Failure::Api { status: 403, .. } => Access::NotAdmin,
        Failure::SignedOut => {
            let _ = web_sys::window().map(|w| w.location().set_href("/login"));
            return;
        }
        other => Access::Failed(describe(other)),
    };
    state::with(|s| s.access = access);
    state::changed();
}

/// Member `name` of a parsed page, when present.
fn member(page: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(page, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// One page of the list: its rows, and the token of the next page if there is one.
async fn read_page(
    studio: &str,
    next_token: Option<String>,
) -> Result<(Vec<Row>, Option<String>), Failure> {
    let base = Route::new(Operation::ListStreamingSessions, [studio]).path();
    let query = ListStreamingSessionsQuery {
        next_token,
        ..Default::default()
    };
    let page = api::get(&format!("{base}?{}", query.to_query_string())).await?;
    let items = member(&page, "sessions").unwrap_or_else(|| js_sys::Array::new().into());
    let rows = api::decode::<Vec<Row>>(items).map_err(|_| Failure::Network)?;
    let next_token = member(&page, "nextToken")
        .and_then(|t| t.as_string())
        .filter(|t| !t.is_empty());
    Ok((rows, next_token))
}

/// Loads every session, page by page. The first page replaces what the table had, so
/// sessions deleted meanwhile go; the others add to it. A load started later (the
/// stream's `resync`) supersedes this one, whose pages are then dropped.
pub async fn load() {
    let (studio, generation) = state::with(|s| {
        s.generation += 1;
        s.loading = true;
        (s.studio.clone(), s.generation)
    });
    let mut next_token = None;
    let mut first = true;
    loop {
        let (rows, next) = match read_page(&studio, next_token).await {
            Ok(page) => page,
            Err(failure) => return failed(&failure),
        };
        let current = state::with(|s| {
            if s.generation != generation {
                return false;
            }
            if first {
                s.rows.clear();
                s.listed = true;
            }
            s.add(rows);
            s.loading = next.is_some();
            true
        });
        if !current {
            return;
        }
        state::changed();
        first = false;
        next_token = next;
        if next_token.is_none() {
            return;
        }
    }
}

/// Shows the first page while the event stream opens, so the first rows need not wait
/// for its `hello`. Only the [`load`] that the hello starts counts, because it lists
/// after the stream has begun, so no change falls between the two: once its first page
/// is in, this one's rows are not shown. A failure here is that load's to report.
pub async fn preview() {
    let studio = state::with(|s| s.studio.clone());
    let Ok((rows, next)) = read_page(&studio, None).await else {
        return;
    };
    let shown = state::with(|s| {
        if s.listed {
            return false;
        }
        s.add(rows);
        s.loading |= next.is_some();
        true
    });
    if shown {
        state::changed();
    }
}

/// Reads who last used each READY session (GetStudioActivity) into the state.
pub async fn read_activity() -> Result<(), Failure> {
    let studio = state::with(|s| s.studio.clone());
    let path = Route::new(Operation::GetStudioActivity, [studio.as_str()]).path();
    let answer = api::decode::<StudioActivityResponse>(api::get(&path).await?)?;
    state::with(|s| {
        // The server's clock: an admin's own may be minutes off.
        s.now_ms = answer
            .at
            .map_or(js_sys::Date::now() as i64, |at| at.unix_millis());
        s.activity = answer
            .sessions
            .unwrap_or_default()
            .into_iter()
            .filter_map(|seen| Some((seen.session_id.clone()?, seen)))
            .collect();
    });
    state::changed();
    Ok(())
}

/// Reads the activity now and every 30 s, until a read fails.
pub async fn follow_activity() {
    loop {
        if let Err(failure) = read_activity().await {
            return failed(&failure);
        }
        gloo_timers::future::sleep(Duration::from_secs(30)).await;
    }
}

/// Calls `handler` on each of the events `names` of `source`, for the life of the page.
fn on(source: &EventSource, names: &[&str], handler: Box<dyn FnMut(Event)>) {
    let closure = Closure::wrap(handler);
    for name in names {
        let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    }
    closure.forget();
}

/// Listens to the event stream (see the module's documentation).
pub fn listen() {
    let Ok(source) = EventSource::new("/api/events") else {
        return;
    };
    on(
        &source,
        &["hello", "resync"],
        Box::new(|_| spawn_local(load())),
    );
    on(
        &source,
        &["session"],
        Box::new(|event| {
            let text = event.unchecked_ref::<MessageEvent>().data().as_string();
            let parsed = text.and_then(|t| js_sys::JSON::parse(&t).ok());
            if let Some(Ok(RowReply { session: Some(row) })) = parsed.map(api::decode::<RowReply>) {
                state::with(|s| s.apply(row));
                state::changed();
            }
        }),
    );
    let failed_source = source.clone();
    on(
        &source,
        &["error"],
        Box::new(move |_| {
            failed_source.close();
            spawn_local(async {
                gloo_timers::future::sleep(Duration::from_secs(5)).await;
                listen();
            });
        }),
    );
    let closing = source.clone();
    let close = Closure::<dyn FnMut()>::new(move || closing.close());
    if let Some(window) = web_sys::window() {
        let _ = window.add_event_listener_with_callback("pagehide", close.as_ref().unchecked_ref());
    }
    close.forget();
}
