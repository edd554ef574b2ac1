//! A raw server-sent-events client for portal-proxy's `/api/events`, as an EventSource
//! would connect (the artist in `X-User`, trusted-header mode): it reads the stream
//! chunk by chunk and splits it into events, so tests see exactly what went over the
//! wire, heartbeats aside.

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

impl SseClient {
    /// `GET /api/events` as `user`; the response, whatever its status.
    pub async fn connect(addr: SocketAddr, user: &str) -> reqwest::Result<reqwest::Response> {
        reqwest::Client::new()
            .get(format!("http://{addr}/api/events"))
            .header("x-user", user)
            .header("accept", "text/event-stream")
            .send()
            .await
    }

    /// Connects as `user`; panics unless the stream opens.
    pub async fn open(addr: SocketAddr, user: &str) -> SseClient {
        let response = Self::connect(addr, user).await.expect("the proxy answers");
        assert_eq!(response.status(), 200, "the event stream opens for {user}");
        SseClient {
            response,
            buffer: String::new(),
        }
    }

    /// The next event within `wait`; `None` when none came or the stream ended.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse(&block) {
                    return Some(event);
                }
                continue;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let chunk = tokio::time::timeout(left, self.response.chunk())
                .await
                .ok()?;
            let bytes = chunk.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
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
