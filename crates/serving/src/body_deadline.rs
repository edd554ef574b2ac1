//! A whole request body within `body_read_timeout` ([`crate::Limits`]), or 408.
//!
//! hyper's `header_read_timeout` stops at the end of the head, and an idle timeout between
//! body frames (tower-http's `RequestBodyTimeoutLayer`) lets a client that sends one byte
//! every second hold its connection, and a permit of `max_connections`, forever. Here the
//! body carries a deadline counted from the end of the head: a read of it that is still
//! waiting when the deadline passes fails, whoever reads it (an axum extractor, a
//! handler), and [`Expired::answer`] then replaces whatever the handler made of that
//! failure with 408 Request Timeout and `Connection: close`, so hyper closes the
//! connection. A body that arrived in time is read whole however late the handler gets to
//! it, and a request without a body (GET, an upgrade) never starts the timer.

use axum::body::Body;
use axum::response::Response;
use http::HeaderValue;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};

/// A request body that fails once its deadline has passed with frames still to come.
struct Deadline {
    inner: Incoming,
    at: Instant,
    /// Started on the first read that has to wait: a body read at once needs no timer.
    timer: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

/// Whether a request's body missed its deadline (then its answer is 408).
#[derive(Clone, Default)]
pub struct Expired(Arc<AtomicBool>);

/// The body failed: it did not arrive within the time limit.
#[derive(Debug)]
struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for TimedOut {}

/// `body`, to arrive whole within `limit` from now; and what says whether it did not.
pub fn within(body: Incoming, limit: std::time::Duration) -> (Body, Expired) {
    let expired = Expired::default();
    let body = Deadline {
        inner: body,
        at: Instant::now() + limit,
        timer: None,
        expired: expired.0.clone(),
    };
    (Body::new(body), expired)
}

impl HttpBody for Deadline {
    type Data = hyper::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        // What has arrived is delivered first, even after the deadline.
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let at = self.at;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(TimedOut.into())))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Expired {
    /// 408 and `Connection: close` if the body missed its deadline, else `response`.
    pub fn answer(&self, response: Response) -> Response {
        if !self.0.load(Ordering::Relaxed) {
            return response;
        }
        let mut timed_out = Response::new(Body::from("request body timeout"));
        *timed_out.status_mut() = http::StatusCode::REQUEST_TIMEOUT;
        let headers = timed_out.headers_mut();
        headers.insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        let text = HeaderValue::from_static("text/plain; charset=utf-8");
        headers.insert(http::header::CONTENT_TYPE, text);
        timed_out
    }
}
