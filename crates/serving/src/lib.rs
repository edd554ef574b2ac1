//! How both servers (local-studio and portal-proxy) run: serve an axum router on a
//! listener in a task, and on request stop accepting and let the requests in flight finish
//! (graceful drain). Binaries wait for [`shutdown_signal`] (Ctrl-C or SIGTERM) first.
//!
//! Handlers may extract `ConnectInfo<SocketAddr>`: the peer address is always provided.
//!
//! What a client can hold is bounded by [`Limits`]: how long it may take to send a request
//! head and a request body (`body_deadline.rs`), and how many connections are served at
//! once (`connections.rs`).
//!
//! A binary's `main` binds with [`bind`], starts its server, and hands it to [`run`],
//! which says where it listens, serves until a signal, drains, and gives the exit code.

mod body_deadline;
mod connections;

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Bounds on what clients can hold of a server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// How long a client may take to send a whole request head (request line and
    /// headers), and to start the next one on a kept-alive connection; beyond, the
    /// connection is closed. Default 10 s.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a whole request body, counted from the end of
    /// its head (a total, not a pause between pieces); beyond, 408 Request Timeout and the
    /// connection is closed. Requests without a body (GET, upgrades) are not concerned.
    /// Default 10 s.
    pub body_read_timeout: Duration,
    /// Connections served at once; more wait, unaccepted, until one closes. Default 1024.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// A router being served; dropping it without [`Serving::shutdown`] leaves it running
/// until the runtime ends.
pub struct Serving {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Serving {
    /// Serves `router` on `listener` in a new task, within `limits`.
    pub fn spawn(
        listener: TcpListener,
        router: axum::Router,
        limits: Limits,
    ) -> std::io::Result<Serving> {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(connections::serve(listener, router, limits, stopped));
        Ok(Serving { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and returns once the requests in flight have finished.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "server stopped with an error"),
            Err(error) => tracing::warn!(%error, "server task failed"),
        }
    }
}

/// What [`run`] needs of a server: where it listens, and a graceful stop.
pub trait Server {
    fn addr(&self) -> SocketAddr;
    fn shutdown(self) -> impl std::future::Future<Output = ()>;
}

/// A listener on `listen`, or a message that says which address failed and why.
pub async fn bind(listen: &str) -> Result<TcpListener, String> {
    TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))
}

/// Serves until Ctrl-C or SIGTERM, then drains. `announce` says where it listens (tests
/// and scripts read it). A server that did not start is reported as `NAME: message`.
pub async fn run<S: Server>(
    name: &str,
    server: Result<S, String>,
    announce: impl FnOnce(SocketAddr),
) -> std::process::ExitCode {
    match server {
        Ok(server) => {
            announce(server.addr());
            shutdown_signal().await;
            tracing::info!("shutting down");
            server.shutdown().await;
            std::process::ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{name}: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C, or on SIGTERM (what `kill`, systemd and container runtimes send).
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_in_flight_finishes_after_shutdown_is_asked() {
        let (entered, mut inside) = tokio::sync::mpsc::channel::<()>(1);
        let router = axum::Router::new().route(
            "/slow",
            axum::routing::get(move || {
                let entered = entered.clone();
                async move {
                    let _ = entered.send(()).await;
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    "done"
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let serving = Serving::spawn(listener, router, Limits::default()).unwrap();
        let addr = serving.addr();
        let request = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer
        });
        inside.recv().await.unwrap();
        serving.shutdown().await;
        let answer = request.await.unwrap();
        assert!(answer.ends_with("done"), "{answer}");
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}
