//! The one upstream connection per studio that feeds every browser's event stream.
//!
//! It runs only while at least one browser listens. It first tries local-studio's watch,
//! a long poll that answers as soon as anything changes (started at most every
//! [`MIN_INTERVAL`], so bursts come in batches) (`since` carried from answer to
//! answer, so nothing is missed across a dropped connection or a restart of
//! local-studio). An upstream that answers the watch with a client error (404: a Nimble
//! endpoint without our extension) is polled instead: ListStreamingSessions of the whole
//! studio through the read cache and single-flight, every [`POLL_BUSY`] while anything is
//! in progress and every [`POLL_IDLE`] otherwise, and at once after a write through this
//! proxy. Its differences become the same session events (streams are then read by the
//! page itself).
//!
//! Whenever it (re)starts, or the upstream says `reset`, it sends `resync`: pages re-list,
//! so a change that fell between their list and the watch is not lost.

use super::Change;
use crate::state::Shared;
use crate::upstream::{Answer, Call};
use nimble_model::{ListStreamingSessionsQuery, Operation, QueryString, Route};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// How long one long poll of the upstream waits for a change.
const WAIT_SECONDS: u64 = 20;
/// Long polls start at most this often: a change after a quiet spell arrives at once (the
/// poll is already waiting), and a burst of changes is fetched in batches, so the watch
/// costs the upstream under 2 calls a second however busy the studio is.
const MIN_INTERVAL: Duration = Duration::from_millis(550);
pub const POLL_BUSY: Duration = Duration::from_secs(1);
pub const POLL_IDLE: Duration = Duration::from_secs(10);
const RETRY_CAP: Duration = Duration::from_secs(30);

/// Why a watch stopped.
enum Ended {
    Stopping,
    NoListeners,
    /// The upstream has no watch: poll it.
    NoWatch,
}

/// Starts the task that feeds `state.live`; it ends when the proxy stops.
pub fn spawn(state: Shared) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stopping = state.live.stopping.subscribe();
        let mut polling = false;
        loop {
            while state.live.listeners() == 0 {
                tokio::select! {
                    _ = state.live.listening.notified() => {}
                    _ = stopping.wait_for(|stop| *stop) => return,
                }
            }
            let ended = if polling {
                poll(&state, &mut stopping).await
            } else {
                long_poll(&state, &mut stopping).await
            };
            match ended {
                Ended::Stopping => return,
                Ended::NoListeners => {}
                Ended::NoWatch => {
                    tracing::info!("the upstream has no watch: polling it for live updates");
                    polling = true;
                }
            }
        }
    })
}

/// Sleeps `delay` unless the proxy stops first (then `false`).
async fn pause(delay: Duration, stopping: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = stopping.wait_for(|stop| *stop) => false,
    }
}

fn resync() -> Change {
    Change {
        kind: "resync",
        owned_by: None,
        data: "{}".into(),
    }
}

fn session_change(session: &Value) -> Change {
    Change {
        kind: "session",
        owned_by: session["ownedBy"].as_str().map(str::to_owned),
        data: json!({ "session": session }).to_string(),
    }
}

/// One event of the upstream's watch as a change for browsers (unknown kinds are skipped).
fn change_of(event: &Value) -> Option<Change> {
    match event["kind"].as_str()? {
        "session" => Some(session_change(&event["session"])),
        "stream" => Some(Change {
            kind: "stream",
            owned_by: event["ownedBy"].as_str().map(str::to_owned),
            data: json!({ "sessionId": event["sessionId"], "stream": event["stream"] }).to_string(),
        }),
        _ => None,
    }
}

async fn long_poll(state: &Shared, stopping: &mut watch::Receiver<bool>) -> Ended {
    let path = format!("/2020-08-01/studios/{}/events", state.config.studio_id);
    let timeout = Duration::from_secs(WAIT_SECONDS + 10);
    let mut since: Option<i64> = None;
    let mut failures = 0u32;
    loop {
        if state.live.listeners() == 0 {
            return Ended::NoListeners;
        }
        let query = since
            .map(|s| format!("since={s}&waitSeconds={WAIT_SECONDS}"))
            .unwrap_or_default();
        let began = tokio::time::Instant::now();
        let answer = tokio::select! {
            answer = state.upstream.get_extension(&path, &query, timeout) => answer,
            _ = stopping.wait_for(|stop| *stop) => return Ended::Stopping,
        };
        let page = match &answer {
            Answer::Upstream(reply) if reply.is_success() => reply.json(),
            Answer::Upstream(reply)
                if reply.status.is_client_error() && reply.status.as_u16() != 429 =>
            {
                return Ended::NoWatch
            }
            _ => None,
        };
        let Some(page) = page else {
            failures += 1;
            let delay = Duration::from_millis(250 * 2u64.pow(failures.min(7))).min(RETRY_CAP);
            if !pause(delay, stopping).await {
                return Ended::Stopping;
            }
            continue;
        };
        failures = 0;
        let events = page["events"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if since.is_none() || page["reset"] == true || !events.is_empty() {
            // A list read after this must come from the upstream, not the cache.
            state.coalescer.invalidate();
        }
        if since.is_none() || page["reset"] == true {
            state.live.publish(resync());
        }
        for change in events.iter().filter_map(change_of) {
            state.live.publish(change);
        }
        since = page["next"].as_i64().or(since);
        if !pause(MIN_INTERVAL.saturating_sub(began.elapsed()), stopping).await {
            return Ended::Stopping;
        }
    }
}

/// Every session of the studio, walking the pages through the read cache; `None` when
/// the upstream did not answer.
async fn list_all(state: &Shared, route: &Route) -> Option<Vec<Value>> {
    let mut sessions = Vec::new();
    let mut query = ListStreamingSessionsQuery::default();
    loop {
        let call = Call::read(route, query.to_query_string());
        let (answer, _) = state.coalesced_read(&call).await;
        let mut page = answer.success_json()?;
        if let Some(Value::Array(found)) = page.get_mut("sessions").map(Value::take) {
            sessions.extend(found);
        }
        match page["nextToken"].as_str() {
            Some(token) => query.next_token = Some(token.to_owned()),
            None => return Some(sessions),
        }
    }
}

async fn poll(state: &Shared, stopping: &mut watch::Receiver<bool>) -> Ended {
    let route = Route::new(
        Operation::ListStreamingSessions,
        [state.config.studio_id.as_str()],
    );
    let mut known: Option<HashMap<String, String>> = None;
    loop {
        if state.live.listeners() == 0 {
            return Ended::NoListeners;
        }
        let mut delay = POLL_IDLE;
        if let Some(sessions) = list_all(state, &route).await {
            let mut now = HashMap::new();
            let mut changed = Vec::new();
            for session in &sessions {
                let id = session["sessionId"].as_str().unwrap_or("").to_owned();
                let text = session.to_string();
                if known.as_ref().is_some_and(|k| k.get(&id) != Some(&text)) {
                    changed.push(session);
                }
                now.insert(id, text);
            }
            if known.is_none() {
                state.live.publish(resync());
            }
            for session in changed {
                state.live.publish(session_change(session));
            }
            known = Some(now);
            let busy = sessions.iter().any(|s| {
                s["state"]
                    .as_str()
                    .is_some_and(|st| st.ends_with("_IN_PROGRESS"))
            });
            if busy {
                delay = POLL_BUSY;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = state.live.kick.notified() => {}
            _ = stopping.wait_for(|stop| *stop) => return Ended::Stopping,
        }
    }
}
