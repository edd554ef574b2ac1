//! Test intermediaries between the browser and a server:
//! - one that passes requests through to portal-proxy, one per connection, but holds the
//!   event stream back, as a corporate proxy or a misconfigured reverse proxy might, so
//!   the tests can show the page copes without it;
//! - [`Relay`], a TCP relay whose connections can all be cut at once, as a network drop
//!   or a laptop's sleep does.

use std::time::Duration;

/// An intermediary in front of `proxy` that passes each request through (one per
/// connection) but answers `/api/events` with headers and then nothing, as a proxy that
/// buffers the stream would.
pub async fn buffering_intermediary(proxy: std::net::SocketAddr) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 8192];
                // The head, then as much body as it announces.
                let end = loop {
                    match client.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break end + 4;
                    }
                };
                let head = String::from_utf8_lossy(&request[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while request.len() < end + length {
                    match client.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                if head.starts_with("GET /api/events") {
                    let held = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
                    let _ = client.write_all(held.as_bytes()).await;
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                }
                // One request per connection: the browser cannot reuse it for the stream.
                let mut forwarded: String = head
                    .lines()
                    .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
                    .map(|l| format!("{l}\r\n"))
                    .collect();
                forwarded.push_str("connection: close\r\n\r\n");
                let Ok(mut upstream) = tokio::net::TcpStream::connect(proxy).await else {
                    return;
                };
                let _ = upstream.write_all(forwarded.as_bytes()).await;
                let _ = upstream.write_all(&request[end..]).await;
                let _ = tokio::io::copy(&mut upstream, &mut client).await;
            });
        }
    });
    addr
}

/// A TCP relay on loopback to `send_to`'s address. [`Relay::cut`] ends every connection
/// through it at once; new ones pass as before. It counts the bytes it carries down.
pub struct Relay {
    pub addr: std::net::SocketAddr,
    target: std::sync::Arc<std::sync::OnceLock<std::net::SocketAddr>>,
    cuts: tokio::sync::watch::Sender<u64>,
    /// Bytes relayed from the server to its clients so far.
    bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    accepting: tokio::task::JoinHandle<()>,
}

impl Relay {
    pub async fn start() -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = std::sync::Arc::new(std::sync::OnceLock::<std::net::SocketAddr>::new());
        let (cuts, _) = tokio::sync::watch::channel(0u64);
        let bytes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (to, watch, counter) = (target.clone(), cuts.clone(), bytes.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Some(target) = to.get().copied() else {
                    continue;
                };
                let mut cut = watch.subscribe();
                let counted = counter.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    let up = tokio::io::copy(&mut from_client, &mut to_server);
                    let down = async {
                        let mut buffer = vec![0u8; 64 * 1024];
                        while let Ok(n @ 1..) = from_server.read(&mut buffer).await {
                            if to_client.write_all(&buffer[..n]).await.is_err() {
                                break;
                            }
                            counted.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                        }
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay {
            addr,
            target,
            cuts,
            bytes,
            accepting,
        }
    }

    /// Where connections go (set once, before the first).
    pub fn send_to(&self, target: std::net::SocketAddr) {
        self.target.set(target).unwrap();
    }

    /// Bytes relayed from the server to its clients so far.
    pub fn bytes_down(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Ends every connection open now.
    pub fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}
