//! Defect (issue 18, isolation): only the request head had a time limit, so with
//! `--max-connections 32`, 40 clients each sending a byte of body every 2 s kept everyone
//! else out, `/healthz` included. A body must now arrive whole within
//! `body_read_timeout_ms` (default 10 s) of its head; beyond, 408 and the connection closes.
//! (The limit itself is tested in the serving crate; here, that the proxy is held to it.)

use crate::common::{header_config, start, API};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A create whose body of 1,000 bytes comes a byte every 200 ms, until the connection
/// fails or the test ends (the task ends with the test's runtime).
async fn trickle(addr: std::net::SocketAddr) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    tokio::spawn(async move {
        let head = format!(
            "POST {API}/streaming-sessions HTTP/1.1\r\nhost: {addr}\r\nx-user: alice\r\n\
             x-studio-portal: 1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await?;
        for _ in 0..1000 {
            stream.write_all(b" ").await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        std::io::Result::Ok(())
    });
}

#[tokio::test]
async fn clients_that_trickle_their_bodies_do_not_keep_healthz_out() {
    let mut config = header_config();
    config.connection_limits.max_connections = 4;
    config.connection_limits.body_read_timeout = Duration::from_secs(1);
    let proxy = start(config).await;
    for _ in 0..6 {
        trickle(proxy.addr()).await;
    }
    // Queued behind the six, and answered once their deadline has freed connections.
    let mut health = TcpStream::connect(proxy.addr()).await.unwrap();
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    // Generous: the point is that it is answered at all while the tricklers go on.
    let read = tokio::time::timeout(Duration::from_secs(15), health.read_to_string(&mut answer));
    assert!(read.await.is_ok(), "no answer from /healthz: {answer}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    proxy.shutdown().await;
}
