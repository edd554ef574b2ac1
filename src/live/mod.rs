//! Live updates: the page listens to portal-proxy's `/api/events` with an EventSource, so
//! every change (another tab's stop, a driver's start-up progress, a stream becoming
//! ready) shows at once, and the page makes no polling calls while it listens.
//!
//! - The stream opens with `hello`: the page is then live, and catches up with one list
//!   call (changes made before it listened). `resync` (changes were missed) lists again.
//! - `session` events update a card through [`merge`]; a `stream` event makes a waiting
//!   Connect read its stream at once ([`stream_events`]) rather than at its next poll.
//! - If the stream never opens (an error, or no `hello` within [`HELLO_WITHIN`]: a proxy
//!   in between refused or buffered it), the page polls as before, for good. If an open
//!   stream breaks, the page polls while it reconnects, with backoff (2 s doubling to
//!   30 s), and catches up again on `hello`.

pub mod merge;

use crate::portal::Portal;
use leptos::task::spawn_local;
use nimble_model::SessionResponse;
use std::cell::Cell;
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventSource, MessageEvent};

/// A stream that has not said `hello` by then is not getting through.
pub const HELLO_WITHIN: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// Whether the page hears of changes from the event stream or polls. Not a signal:
/// nothing is drawn from it, and the polling loop reads it as it goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Live {
    /// The event stream is opening: neither listening nor polling yet.
    Connecting,
    /// Listening: no polling.
    On,
    /// Polling: the stream could not be used, or is reconnecting.
    Off,
}

thread_local! {
    static STATE: Cell<Live> = const { Cell::new(Live::Connecting) };
    /// Stream events heard so far.
    static STREAM_EVENTS: Cell<u32> = const { Cell::new(0) };
    /// Reconnections that failed in a row (the backoff grows with them).
    static FAILURES: Cell<u32> = const { Cell::new(0) };
}

pub fn state() -> Live {
    STATE.with(Cell::get)
}

fn set_state(live: Live) {
    STATE.with(|s| s.set(live));
}

/// How many stream events the page has heard: when it changes, a waiting Connect reads
/// its stream (the event itself is not read: the page needs the stream's URL, which only
/// GetStreamingSessionStream gives).
pub fn stream_events() -> u32 {
    STREAM_EVENTS.with(Cell::get)
}

/// An event's data, parsed by the browser.
fn data_of(event: &Event) -> Option<JsValue> {
    let text = event.unchecked_ref::<MessageEvent>().data().as_string()?;
    js_sys::JSON::parse(&text).ok()
}

/// Starts listening (see the module's documentation).
pub fn start(portal: Portal) {
    let Some(source) = listen(portal) else {
        set_state(Live::Off);
        return;
    };
    // A first stream that has not said hello by then is not getting through.
    spawn_local(async move {
        gloo_timers::future::sleep(HELLO_WITHIN).await;
        if state() == Live::Connecting {
            source.close();
            set_state(Live::Off);
        }
    });
}

/// Opens the event stream. Its listeners live as long as the page: they are few, and a
/// reconnect (rare, and at most every 30 s) adds only a handful.
fn listen(portal: Portal) -> Option<EventSource> {
    let source = EventSource::new("/api/events").ok()?;
    let on = |names: &[&str], handler: Box<dyn FnMut(Event)>| {
        let closure = Closure::wrap(handler);
        for name in names {
            let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        }
        closure.forget();
    };
    // Both mean: the stream flows; catch up with one list.
    on(
        &["hello", "resync"],
        Box::new(move |_| {
            FAILURES.with(|f| f.set(0));
            set_state(Live::On);
            spawn_local(crate::app::refresh(portal));
        }),
    );
    on(
        &["session"],
        Box::new(move |event| {
            let response = data_of(&event).map(crate::api::decode::<SessionResponse>);
            if let Some(session) = response.and_then(|r| r.ok()?.session) {
                crate::app::apply_event(portal, session);
            }
        }),
    );
    on(
        &["stream"],
        Box::new(move |_| STREAM_EVENTS.with(|n| n.set(n.get().wrapping_add(1)))),
    );
    on(
        &["error"],
        Box::new(move |event| {
            // The browser would retry on its own; this page retries with backoff.
            if let Some(target) = event.target() {
                target.unchecked_into::<EventSource>().close();
            }
            let was = state();
            set_state(Live::Off);
            if was == Live::Connecting {
                // Never got through: poll, as the page did before live updates.
                return;
            }
            let failures = FAILURES.with(|f| {
                f.set(f.get() + 1);
                f.get()
            });
            spawn_local(async move {
                let backoff = Duration::from_secs(1 << failures.min(5)).min(BACKOFF_CAP);
                gloo_timers::future::sleep(backoff).await;
                listen(portal);
            });
        }),
    );
    Some(source)
}
