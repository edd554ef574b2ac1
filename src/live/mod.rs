//! Live updates: the page listens to portal-proxy's `/api/events` with an EventSource, so
//! every change (another tab's stop, a driver's start-up progress, a stream becoming
//! ready) shows at once, and the page makes no polling calls while it listens.
//!
//! - The stream opens with `hello`: the page is then live, and catches up with one list
//!   call (changes made before it listened). `resync` (changes were missed) lists again.
//! - `session` events update a card through [`merge`]; `stream` events tell Connect that
//!   its stream is ready ([`stream_state`]), which then reads the stream's URL.
//! - If the stream never opens (an error, or no `hello` within [`HELLO_WITHIN`]: a proxy
//!   in between refused or buffered it), the page polls as before, for good. If an open
//!   stream breaks, the page polls while it reconnects, with backoff (1 s doubling to
//!   30 s), and catches up again on `hello`.

pub mod merge;

use crate::portal::{Live, Portal};
use leptos::prelude::*;
use leptos::task::spawn_local;
use nimble_model::{SessionResponse, StreamResponse, StreamingSessionStreamState};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

/// A stream that has not said `hello` by then is not getting through.
pub const HELLO_WITHIN: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Stream states kept for Connect at most (admins hear of every artist's streams).
const STREAMS_KEPT: usize = 200;

thread_local! {
    static STREAMS: RefCell<HashMap<String, StreamingSessionStreamState>> = RefCell::default();
}

/// The state of stream `id` as the last event told it, if one did.
pub fn stream_state(id: &str) -> Option<StreamingSessionStreamState> {
    STREAMS.with(|s| s.borrow().get(id).cloned())
}

#[derive(Clone, Copy, PartialEq)]
enum Status {
    Connecting,
    Open,
    Failed,
}

/// One EventSource and its listeners; closed when dropped.
struct Connection {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(MessageEvent)>>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.source.close();
    }
}

fn data_of<T: serde::de::DeserializeOwned>(event: &MessageEvent) -> Option<T> {
    let text = event.data().as_string()?;
    crate::api::decode(js_sys::JSON::parse(&text).ok()?).ok()
}

fn listen(portal: Portal, status: Rc<Cell<Status>>) -> Option<Connection> {
    let source = EventSource::new("/api/events").ok()?;
    let on = |name: &str, handler: Box<dyn FnMut(MessageEvent)>| {
        let closure = Closure::wrap(handler);
        let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        closure
    };
    let opened = status.clone();
    let listeners = vec![
        on(
            "hello",
            Box::new(move |_| {
                opened.set(Status::Open);
                portal.live.set(Live::On);
                spawn_local(crate::app::refresh(portal));
            }),
        ),
        on(
            "resync",
            Box::new(move |_| spawn_local(crate::app::refresh(portal))),
        ),
        on(
            "session",
            Box::new(move |event| {
                if let Some(session) = data_of::<SessionResponse>(&event).and_then(|r| r.session) {
                    crate::app::apply_event(portal, session);
                }
            }),
        ),
        on(
            "stream",
            Box::new(move |event| {
                let Some(stream) = data_of::<StreamResponse>(&event).and_then(|r| r.stream) else {
                    return;
                };
                if let (Some(id), Some(state)) = (stream.stream_id, stream.state) {
                    STREAMS.with(|s| {
                        let mut streams = s.borrow_mut();
                        if streams.len() >= STREAMS_KEPT {
                            streams.clear();
                        }
                        streams.insert(id, state);
                    });
                }
            }),
        ),
    ];
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| status.set(Status::Failed));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(Connection {
        source,
        _listeners: listeners,
        _on_error: on_error,
    })
}

/// Listens for the page's lifetime (see the module's documentation).
pub fn start(portal: Portal) {
    spawn_local(async move {
        let mut ever_opened = false;
        let mut failures = 0u32;
        loop {
            let status = Rc::new(Cell::new(Status::Connecting));
            let Some(connection) = listen(portal, status.clone()) else {
                break;
            };
            let mut waited = Duration::ZERO;
            let tick = Duration::from_millis(100);
            loop {
                gloo_timers::future::sleep(tick).await;
                waited += tick;
                match status.get() {
                    Status::Connecting if waited < HELLO_WITHIN => {}
                    Status::Open => {
                        ever_opened = true;
                        failures = 0;
                    }
                    Status::Connecting | Status::Failed => break,
                }
            }
            drop(connection);
            if !ever_opened {
                break;
            }
            // Poll while reconnecting, so nothing shown goes stale meanwhile.
            portal.live.set(Live::Off);
            failures += 1;
            let backoff = Duration::from_secs(1 << failures.min(5)).min(BACKOFF_CAP);
            gloo_timers::future::sleep(backoff).await;
        }
        // Never got through: poll, as the page did before live updates.
        portal.live.set(Live::Off);
    });
}
