//! Live updates: the page listens to portal-proxy's `/api/events` with an EventSource, so
//! every change (another tab's stop, a driver's start-up progress, a stream becoming
//! ready) shows at once, and the page makes no polling calls while it listens.
//!
//! - The stream opens with `hello`: the page is then live, and catches up with one list
//!   call (changes made before it listened). `resync` (changes were missed) lists again.
//! - `session` events update a card ([`sessions::apply_event`]); a `stream` event makes a
//!   waiting Connect read its stream at once ([`stream_events`]) rather than at its next
//!   poll.
//! - If the stream never opens (an error, or no `hello` within [`HELLO_WITHIN`]: a proxy
//!   in between refused or buffered it), the page polls as before, for good. If an open
//!   stream breaks, the page polls while it reconnects, with backoff (2 s doubling to
//!   30 s), and catches up again on `hello`.
//! - Leaving the page closes the stream (`pagehide`). A page kept in the browser's
//!   back/forward cache would otherwise hold its connection open while frozen, and a
//!   browser allows only six HTTP/1.1 connections to one host: a few visits away and back
//!   and the portal could no longer load. A page restored from that cache (`pageshow`)
//!   listens again and catches up.

use crate::portal::Portal;
use crate::sessions;
use crate::workstation::WorkstationReply;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventSource, EventTarget, MessageEvent, PageTransitionEvent};

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
    /// The open event stream, closed when the page is left.
    static SOURCE: RefCell<Option<EventSource>> = const { RefCell::new(None) };
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

/// Calls `handler` on each of the events `names` of `target`, for the life of the page.
fn on(target: &EventTarget, names: &[&str], handler: Box<dyn FnMut(Event)>) {
    let closure = Closure::wrap(handler);
    for name in names {
        let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    }
    closure.forget();
}

/// Closes the open stream, if any.
fn close() {
    if let Some(source) = SOURCE.with(RefCell::take) {
        source.close();
    }
}

/// Starts listening (see the module's documentation), and again whenever the page comes
/// back from the back/forward cache.
pub fn start(portal: Portal) {
    open(portal);
    let window = leptos::prelude::window();
    on(&window, &["pagehide"], Box::new(|_| close()));
    on(
        &window,
        &["pageshow"],
        Box::new(move |event| {
            if event.unchecked_ref::<PageTransitionEvent>().persisted() {
                open(portal);
            }
        }),
    );
}

/// Opens the first stream of a (re)shown page: it polls if no `hello` comes in time.
fn open(portal: Portal) {
    set_state(Live::Connecting);
    let Some(source) = listen(portal) else {
        set_state(Live::Off);
        return;
    };
    spawn_local(async move {
        gloo_timers::future::sleep(HELLO_WITHIN).await;
        let current = SOURCE.with(|s| s.borrow().as_ref() == Some(&source));
        if current && state() == Live::Connecting {
            close();
            set_state(Live::Off);
        }
    });
}

/// Opens the event stream (closing any other); `None` if the browser refused. Its
/// listeners live as long as the page: they are few, and a reconnect or a restore from
/// the back/forward cache (both rare) adds only a handful.
fn listen(portal: Portal) -> Option<EventSource> {
    let source = EventSource::new("/api/events").ok()?;
    // Both mean: the stream flows; catch up with one list.
    on(
        &source,
        &["hello", "resync"],
        Box::new(move |_| {
            FAILURES.with(|f| f.set(0));
            set_state(Live::On);
            spawn_local(sessions::refresh(portal));
        }),
    );
    on(
        &source,
        &["session"],
        Box::new(move |event| {
            let response = data_of(&event).map(crate::api::decode::<WorkstationReply>);
            if let Some(session) = response.and_then(|r| r.ok()?.session) {
                sessions::apply_event(portal, session);
            }
        }),
    );
    on(
        &source,
        &["stream"],
        Box::new(move |_| STREAM_EVENTS.with(|n| n.set(n.get().wrapping_add(1)))),
    );
    on(
        &source,
        &["error"],
        Box::new(move |_| {
            // The browser would retry on its own; this page retries with backoff.
            close();
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
                // Unless the page was left and shown again meanwhile (it listens anew).
                if SOURCE.with(|s| s.borrow().is_none()) {
                    listen(portal);
                }
            });
        }),
    );
    close();
    SOURCE.with(|s| s.replace(Some(source.clone())));
    Some(source)
}
