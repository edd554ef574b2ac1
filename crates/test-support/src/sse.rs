//! A raw server-sent-events client for portal-proxy's `/api/events`, as an EventSource
//! would connect (the artist in `X-User`, trusted-header mode, or any headers such as a
//! session cookie): it reads the stream chunk by chunk and splits it into events, so tests
//! see exactly what went over the wire, heartbeats aside, and when the server ended it.

use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// One event: its name (`event:`) and its data, parsed as JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub data: Value,
}

pub struct SseClient {
    pub response: reqwest::Response,
    buffer: String,
}

/// What came next on a stream.
enum Next {
    Event(SseEvent),
    /// The server ended the stream (or the connection failed).
    Ended,
    /// Nothing more within the wait.
    Quiet,
}

impl SseClient {
    /// `GET /api/events` as `user`; the response, whatever its status.
    pub async fn connect(addr: SocketAddr, user: &str) -> reqwest::Result<reqwest::Response> {
        Self::connect_with(addr, &[("x-user", user)]).await
    }

    /// `GET /api/events` with these headers (a session cookie, say); the response.
    pub async fn connect_with(
        addr: SocketAddr,
        headers: &[(&str, &str)],
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = reqwest::Client::new()
            .get(format!("http://{addr}/api/events"))
            .header("accept", "text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await
    }

    /// Connects as `user`; panics unless the stream opens.
    pub async fn open(addr: SocketAddr, user: &str) -> SseClient {
        Self::open_with(addr, &[("x-user", user)]).await
    }

    /// Connects with these headers; panics unless the stream opens.
    pub async fn open_with(addr: SocketAddr, headers: &[(&str, &str)]) -> SseClient {
        let response = Self::connect_with(addr, headers)
            .await
            .expect("the proxy answers");
        assert_eq!(
            response.status(),
            200,
            "the event stream opens: {headers:?}"
        );
        SseClient {
            response,
            buffer: String::new(),
        }
    }

    /// The next event within `wait`; `None` when none came or the stream ended.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        match self.next_or_end(wait).await {
            Next::Event(event) => Some(event),
            Next::Ended | Next::Quiet => None,
        }
    }

    async fn next_or_end(&mut self, wait: Duration) -> Next {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse(&block) {
                    return Next::Event(event);
                }
                continue;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Next::Quiet;
            };
            let bytes = match tokio::time::timeout(left, self.response.chunk()).await {
                Err(_) => return Next::Quiet,
                Ok(Ok(Some(bytes))) => bytes,
                Ok(Ok(None) | Err(_)) => return Next::Ended,
            };
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
    }

    /// Every event until the server ends the stream, if it does within `wait`; `None`
    /// when the stream is still open after `wait`.
    pub async fn until_end(&mut self, wait: Duration) -> Option<Vec<SseEvent>> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_or_end(left).await {
                Next::Event(event) => seen.push(event),
                Next::Ended => return Some(seen),
                Next::Quiet => return None,
            }
        }
    }

    /// Every event until one satisfies `done` (included), within `wait` in all.
    pub async fn until(
        &mut self,
        wait: Duration,
        done: impl Fn(&SseEvent) -> bool,
    ) -> Vec<SseEvent> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Some(event) = self.next(left).await else {
                break;
            };
            let finished = done(&event);
            seen.push(event);
            if finished {
                return seen;
            }
        }
        panic!("the awaited event did not come within {wait:?}; saw {seen:#?}");
    }

    /// Every event that comes within `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<SseEvent> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left).await {
                Some(event) => seen.push(event),
                None => break,
            }
        }
        seen
    }
}

/// One block of `field: value` lines; `None` for a comment-only block (a heartbeat).
fn parse(block: &str) -> Option<SseEvent> {
    let mut event = String::from("message");
    let mut data = Vec::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            event = value.trim().to_owned();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    if data.is_empty() {
        return None;
    }
    let data = serde_json::from_str(&data.join("\n")).unwrap_or(Value::Null);
    Some(SseEvent { event, data })
}
