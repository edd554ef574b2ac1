//! A test intermediary between the browser and portal-proxy, as a corporate proxy or a
//! misconfigured reverse proxy might be: it passes requests through, one per connection,
//! but holds the event stream back, so the tests can show the page copes without it.

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
