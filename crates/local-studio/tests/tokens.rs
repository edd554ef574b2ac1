//! Stream tokens, the one-time credentials in a stream's URL: never written to the
//! database (not in a stream's document, not in the saved answer of a client token),
//! while GetStreamingSessionStream and a repeated create hand out the same URL as long as
//! the server lives; and the endpoints that redeem them without SigV4 (`/dcv/verify`,
//! `/desktop/ws`) answer 429 to a burst from one address or on one token. Tokens that open
//! machines are tested with the machines (desktops.rs, ec2_isolation.rs).

use test_support as support;

use local_studio::{Config, Storage};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;
use support::{start, test_config, Client, SESSIONS};

/// Every text and blob of every row of every table of the database in `dir`.
fn stored_values(dir: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        dir.join("local-studio.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap();
    let tables: Vec<String> = tables
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.contains(&"streams".to_owned()), "{tables:?}");
    let mut values = Vec::new();
    for table in tables {
        let mut rows = db.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = rows.column_count();
        let mut rows = rows.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                use rusqlite::types::ValueRef;
                match row.get_ref(i).unwrap() {
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        values.push(format!("{table}: {}", String::from_utf8_lossy(bytes)))
                    }
                    _ => {}
                }
            }
        }
    }
    values
}

/// Fails if `token` is in any stored value, or anywhere in the bytes of the data
/// directory's files (the database, its write-ahead log).
fn assert_not_stored(dir: &std::path::Path, token: &str) {
    let values = stored_values(dir);
    let found: Vec<&String> = values.iter().filter(|v| v.contains(token)).collect();
    assert!(found.is_empty(), "the token is stored: {found:?}");
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is in {}",
            path.display()
        );
    }
}

fn token_of(url: &str) -> String {
    url.split("authToken=")
        .nth(1)
        .unwrap()
        .split(['&', '#'])
        .next()
        .unwrap()
        .to_owned()
}

async fn create_stream(client: &Client, id: &str, client_token: &str) -> Value {
    let path = format!("{SESSIONS}/{id}/streams");
    let reply = client
        .call(
            "POST",
            &path,
            Some(json!({"expirationInSeconds": 600})),
            Some(client_token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    reply.json
}

#[tokio::test]
async fn no_token_is_stored_while_get_and_a_repeated_create_give_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let config = || Config {
        storage: Storage::Dir(dir.path().to_owned()),
        ..test_config()
    };
    let studio = start(config()).await;
    let id = studio.create("alice").await;
    studio.server.advance_clock(Duration::from_secs(1));
    let created = create_stream(&studio, &id, "connect-1").await;
    let stream = &created["stream"];
    assert_eq!(stream["state"], "READY", "{created}");
    let url = stream["url"].as_str().unwrap().to_owned();
    let token = token_of(&url);
    assert!(token.len() >= 60, "{url}");

    let get = format!(
        "{SESSIONS}/{id}/streams/{}",
        stream["streamId"].as_str().unwrap()
    );
    let read = studio.get(&get).await;
    assert_eq!(read.json["stream"]["url"], url.as_str(), "{}", read.json);
    let again = create_stream(&studio, &id, "connect-1").await;
    assert_eq!(
        again, created,
        "the repeated create answers as the first, URL included"
    );

    // The URL's token is the one the server will accept: its hash is what is stored.
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        stored_values(dir.path())
            .iter()
            .any(|v| v == &format!("streams: {hash}")),
        "the token's hash is stored"
    );
    assert_not_stored(dir.path(), &token);

    // After a restart the URL cannot be handed out again: the stream reads as gone.
    studio.server.shutdown().await;
    let studio = start(config()).await;
    studio.server.advance_clock(Duration::from_secs(1)); // as the first server's clock was
    let read = studio.get(&get).await;
    assert_eq!(read.status, 200, "{}", read.json);
    assert_eq!(
        (
            read.json["stream"]["state"].as_str(),
            read.json["stream"]["statusCode"].as_str()
        ),
        (Some("DELETED"), Some("STREAM_DELETED")),
        "{}",
        read.json
    );
    assert!(read.json["stream"].get("url").is_none(), "{}", read.json);
    let replayed = create_stream(&studio, &id, "connect-1").await;
    assert_eq!(replayed["stream"]["streamId"], stream["streamId"]);
    assert!(replayed["stream"].get("url").is_none(), "{replayed}");
    assert_not_stored(dir.path(), &token);
}

/// The status of a WebSocket upgrade to `/desktop/ws` with `query`: 101 when it opens.
async fn desktop_ws(client: &Client, query: &str) -> u16 {
    let url = format!("ws://{}/desktop/ws?{query}", client.addr);
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("websocket: {other}"),
    }
}

/// The status of a DCV verification of `token` for `session`, and its body.
async fn dcv_verify(client: &Client, session: &str, token: &str) -> (u16, String) {
    let reply = client
        .http
        .post(client.url("/dcv/verify"))
        .form(&[
            ("sessionId", session),
            ("authenticationToken", token),
            ("clientAddress", "198.51.100.7"),
        ])
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.text().await.unwrap())
}

const NO: &str = r#"<auth result="no"/>"#;

#[tokio::test]
async fn a_burst_of_token_attempts_from_one_address_answers_429() {
    let studio = start(test_config()).await;
    // Normal use is not limited: one attempt on each endpoint is answered as before.
    assert_eq!(desktop_ws(&studio, "authToken=t-0&sessionId=s").await, 403);
    assert_eq!(dcv_verify(&studio, "s", "t-1").await, (200, NO.to_owned()));

    let mut statuses = Vec::new();
    for i in 2..40 {
        statuses.push(dcv_verify(&studio, "s", &format!("t-{i}")).await.0);
    }
    assert!(statuses[..15].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let refused = studio
        .http
        .post(studio.url("/dcv/verify"))
        .form(&[("sessionId", "s"), ("authenticationToken", "t-x")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.text().await.unwrap(), NO, "DCV reads a refusal");
    // One budget per address, whichever endpoint spends it.
    assert_eq!(desktop_ws(&studio, "authToken=t-y&sessionId=s").await, 429);
}

#[tokio::test]
async fn one_token_tried_again_and_again_answers_429() {
    let studio = start(test_config()).await;
    let mut statuses = Vec::new();
    for session in ["a", "b", "c", "d", "e", "f", "g"] {
        statuses.push(dcv_verify(&studio, session, "the-same-token").await.0);
    }
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert_eq!(
        desktop_ws(&studio, "authToken=the-same-token&sessionId=a").await,
        429,
        "the same token on the other endpoint"
    );
    // Another token from the same address is answered.
    assert_eq!(dcv_verify(&studio, "a", "another-token").await.0, 200);
    assert_eq!(
        desktop_ws(&studio, "authToken=a-third&sessionId=a").await,
        403
    );
}
