//! The accept loop behind [`crate::Serving`]: HTTP/1.1 with hyper, under [`crate::Limits`].
//!
//! axum 0.8's `serve` sets no timer, so hyper's header read timeout never applied, and it
//! accepts without bound. Here a connection is accepted only with a permit of a semaphore
//! of `max_connections`: beyond the cap, clients wait in the listen backlog until one
//! closes. Each connection's hyper has a timer, so a client that has not sent a whole
//! request head within `header_read_timeout` (also while idle between requests) is cut off,
//! and one that has not sent a whole body within `body_read_timeout` of its head is
//! answered 408 and cut off (`body_deadline.rs`).
//! The permit travels with the socket ([`Permitted`]): a connection upgraded to another
//! protocol (a WebSocket) takes the socket from hyper and the permit with it, so it counts
//! against the cap until it closes, as every other connection does.
//! Stopping stops accepting, asks every connection to finish its request in flight and
//! close, and waits until all permits are back (a server's upgraded connections must end
//! when it stops: local-studio's desktop bridge does).

use crate::{body_deadline, Limits};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// Serves `router` on `listener` until `stop` resolves (or its sender is dropped), then
/// drains.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS) as u32;
    let permits = Arc::new(Semaphore::new(max as usize));
    let (stopping, stop_watch) = watch::channel(false);
    let mut stop = pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            _ = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let connection = Connection {
            router: router.clone(),
            peer,
            stopping: stop_watch.clone(),
        };
        let _ = stream.set_nodelay(true);
        let stream = Permitted {
            stream,
            _permit: permit,
        };
        tokio::spawn(connection.serve(stream, limits));
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a permit until it is closed.
    let _ = permits.acquire_many(max).await;
    Ok(())
}

/// One accepted connection.
struct Connection {
    router: axum::Router,
    peer: SocketAddr,
    stopping: watch::Receiver<bool>,
}

/// An accepted socket and its permit, returned when the socket is dropped: by hyper when
/// the connection closes, or by whatever took it over in an upgrade.
struct Permitted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Permitted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Permitted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

impl Connection {
    async fn serve(mut self, stream: Permitted, limits: Limits) {
        let (router, peer) = (self.router.clone(), self.peer);
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            let (parts, body) = request.into_parts();
            let (body, expired) = body_deadline::within(body, limits.body_read_timeout);
            let mut request = http::Request::from_parts(parts, body);
            request.extensions_mut().insert(ConnectInfo(peer));
            let answered = router.clone().oneshot(request);
            async move { answered.await.map(|response| expired.answer(response)) }
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let mut connection = pin!(builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades());
        let mut asked = false;
        loop {
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(error) = served {
                        tracing::debug!(%error, %peer, "connection ended");
                    }
                    break;
                }
                _ = self.stopping.wait_for(|stop| *stop), if !asked => {
                    asked = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
