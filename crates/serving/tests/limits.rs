//! Connection limits of [`serving::Limits`], seen from a raw TCP client: a client that
//! sends half a request head is cut off after `header_read_timeout`, and connections beyond
//! `max_connections` are not served until one closes.

use serving::{Limits, Serving};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn serve(limits: Limits) -> Serving {
    let router = axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    Serving::spawn(listener, router, limits).unwrap()
}

/// Reads until the server has sent a whole `hello` answer (the connection stays open).
async fn read_hello(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.ends_with(b"hello") {
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

const HELLO: &[u8] = b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n";

#[tokio::test]
async fn a_client_that_sends_half_a_request_head_is_disconnected() {
    let serving = serve(Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let mut slow = TcpStream::connect(serving.addr()).await.unwrap();
    slow.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "still open after 5 s");
    // Closed without an answer, or with 408 Request Timeout.
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
        "{rest}"
    );
    serving.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let serving = serve(Limits {
        max_connections: 2,
        ..Limits::default()
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(serving.addr()).await.unwrap();
        stream.write_all(HELLO).await.unwrap();
        read_hello(&mut stream).await;
        open.push(stream);
    }
    let mut third = TcpStream::connect(serving.addr()).await.unwrap();
    third.write_all(HELLO).await.unwrap();
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), third.peek(&mut byte)).await;
    assert!(
        early.is_err(),
        "the third connection was served while two were open"
    );
    drop(open.pop());
    let answer = tokio::time::timeout(Duration::from_secs(5), read_hello(&mut third)).await;
    assert!(answer.is_ok_and(|a| a.starts_with("HTTP/1.1 200")));
    serving.shutdown().await;
}
