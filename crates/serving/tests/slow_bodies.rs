//! `body_read_timeout` of [`serving::Limits`], seen from raw TCP clients: a request body
//! must arrive whole within it, counted from the end of the head, however it trickles in.
//! A client past it is answered 408 and cut off, so clients that send their bodies one
//! byte at a time cannot hold every connection of `max_connections` for long.
//!
//! A connection upgraded to another protocol (a WebSocket; here a stand-in that echoes
//! after `Upgrade: echo`) outlives the deadline, and holds its place under
//! `max_connections` until it closes, as every other connection does.

use serving::{Limits, Serving};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The limit in these tests, and how long past it the tests wait at most (slack for a
/// loaded machine: the assertions are about ending, not about speed).
const LIMIT: Duration = Duration::from_secs(1);
const SLACK: Duration = Duration::from_secs(10);

async fn serve(max_connections: usize) -> Serving {
    let router = axum::Router::new()
        .route("/hello", axum::routing::get(|| async { "hello" }))
        .route(
            "/echo",
            axum::routing::post(|body: axum::body::Bytes| async move {
                format!("{} bytes", body.len())
            }),
        )
        .route("/upgrade", axum::routing::get(upgrade_to_echo));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let limits = Limits {
        body_read_timeout: LIMIT,
        max_connections,
        ..Limits::default()
    };
    Serving::spawn(listener, router, limits).unwrap()
}

/// The head of a POST to `/echo` that announces a body of `length` bytes.
fn head(length: usize) -> String {
    format!("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: {length}\r\n\r\n")
}

/// Opens a connection and sends a head for 1,000 bytes, then one byte every 200 ms until
/// the connection fails or the test ends (the task dies with the test's runtime). Returns
/// the reading half.
async fn trickle(addr: std::net::SocketAddr) -> tokio::net::tcp::OwnedReadHalf {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    tokio::spawn(async move {
        write.write_all(head(1000).as_bytes()).await?;
        for _ in 0..1000 {
            write.write_all(b"x").await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        std::io::Result::Ok(())
    });
    read
}

/// Everything the server sends until it closes the connection; `None` if still open
/// after the limit and the slack.
async fn until_closed(read: &mut (impl AsyncReadExt + Unpin)) -> Option<String> {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let read_all = async {
        loop {
            match read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(LIMIT + SLACK, read_all).await.ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_and_the_connection_closed() {
    let serving = serve(16).await;
    let mut stream = TcpStream::connect(serving.addr()).await.unwrap();
    stream.write_all(head(10).as_bytes()).await.unwrap();
    stream.write_all(b"abc").await.unwrap();
    let answer = until_closed(&mut stream).await.expect("closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    serving.shutdown().await;
}

#[tokio::test]
async fn a_body_trickled_a_byte_at_a_time_is_cut_off_at_the_deadline() {
    let serving = serve(16).await;
    let mut read = trickle(serving.addr()).await;
    let answer = until_closed(&mut read).await.expect("closed");
    // A reset may come before the answer when the client keeps sending: then none is read.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    serving.shutdown().await;
}

#[tokio::test]
async fn tricklers_on_every_connection_do_not_keep_others_out() {
    let serving = serve(4).await;
    let mut tricklers = Vec::new();
    for _ in 0..6 {
        tricklers.push(trickle(serving.addr()).await);
    }
    // Queued behind the six: served once the deadline has freed connections.
    let mut hello = TcpStream::connect(serving.addr()).await.unwrap();
    hello
        .write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut hello).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("hello"), "{answer}");
    serving.shutdown().await;
}

#[tokio::test]
async fn bodies_in_time_and_answers_that_take_longer_are_not_concerned() {
    let router = axum::Router::new().route(
        "/slow",
        axum::routing::post(|body: axum::body::Bytes| async move {
            // Answers after the body limit has passed: only the body is held to it.
            tokio::time::sleep(LIMIT * 2).await;
            format!("{} bytes", body.len())
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let limits = Limits {
        body_read_timeout: LIMIT,
        ..Limits::default()
    };
    let serving = Serving::spawn(listener, router, limits).unwrap();
    let mut stream = TcpStream::connect(serving.addr()).await.unwrap();
    stream
        .write_all(b"POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("5 bytes"), "{answer}");
    serving.shutdown().await;
}

/// Answers `Upgrade: echo`, then echoes whatever arrives on the upgraded connection.
async fn upgrade_to_echo(mut request: axum::extract::Request) -> axum::response::Response {
    tokio::spawn(async move {
        let upgraded = hyper::upgrade::on(&mut request).await.unwrap();
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        let mut buffer = [0u8; 64];
        while let Ok(n @ 1..) = io.read(&mut buffer).await {
            io.write_all(&buffer[..n]).await.unwrap();
        }
    });
    axum::response::Response::builder()
        .status(101)
        .header("connection", "upgrade")
        .header("upgrade", "echo")
        .body(axum::body::Body::empty())
        .unwrap()
}

/// A connection upgraded to the echo protocol.
async fn upgraded(serving: &Serving) -> TcpStream {
    let mut stream = TcpStream::connect(serving.addr()).await.unwrap();
    stream
        .write_all(
            b"GET /upgrade HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "closed early");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
    stream
}

async fn echoes(stream: &mut TcpStream) -> bool {
    stream.write_all(b"ping").await.unwrap();
    let mut echoed = [0u8; 4];
    let read = tokio::time::timeout(SLACK, stream.read_exact(&mut echoed)).await;
    read.is_ok_and(|r| r.is_ok()) && &echoed == b"ping"
}

#[tokio::test]
async fn an_upgraded_connection_outlives_the_body_deadline() {
    let serving = serve(8).await;
    let mut stream = upgraded(&serving).await;
    tokio::time::sleep(LIMIT * 2).await;
    assert!(echoes(&mut stream).await, "past the deadline");
    drop(stream);
    serving.shutdown().await;
}

#[tokio::test]
async fn an_upgraded_connection_holds_its_place_under_the_cap_until_it_closes() {
    let serving = serve(1).await;
    let mut open = upgraded(&serving).await;
    let mut waiting = TcpStream::connect(serving.addr()).await.unwrap();
    waiting
        .write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), waiting.peek(&mut byte)).await;
    assert!(early.is_err(), "served beside the upgraded connection");
    assert!(echoes(&mut open).await);
    drop(open);
    let mut answer = String::new();
    let read = tokio::time::timeout(SLACK, waiting.read_to_string(&mut answer)).await;
    assert!(read.is_ok(), "never served after it closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    serving.shutdown().await;
}
