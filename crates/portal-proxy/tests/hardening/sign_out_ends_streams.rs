//! Defect (issue 18, isolation): in users-file mode an event stream opened before a
//! sign-out kept carrying the artist's changes after it, to whoever held the page. A
//! sign-out now ends the event streams of that sign-in (that cookie) at once; the same
//! artist's other sign-ins, in another browser, keep theirs.

use crate::common::{sign_in, start, studio_config, users_file, API};
use portal_proxy::{AuthMode, ProxyConfig, Upstream};
use serde_json::{json, Value};
use std::time::Duration;
use test_support::SseClient;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_sign_out_ends_that_sign_ins_event_streams_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = ProxyConfig::new(
        Upstream::Embedded(studio_config()),
        AuthMode::UsersFile(users_file(dir.path(), &["alice"])),
    );
    let proxy = start(config).await;
    let addr = proxy.addr();
    let (leaving, staying) = (sign_in(addr, "alice").await, sign_in(addr, "alice").await);
    let mut left_page = SseClient::open_with(addr, &[("cookie", &leaving)]).await;
    let mut other_page = SseClient::open_with(addr, &[("cookie", &staying)]).await;
    for page in [&mut left_page, &mut other_page] {
        let hello = page.next(WAIT).await.expect("hello");
        assert_eq!(hello.event, "hello");
    }

    let http = reqwest::Client::new();
    let out = http
        .post(format!("http://{addr}/api/logout"))
        .header("cookie", &leaving)
        .header("x-studio-portal", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);

    // A change of alice's after the sign-out, made from her other browser…
    let sessions = format!("http://{addr}{API}/streaming-sessions");
    let listed: Value = http
        .get(&sessions)
        .header("cookie", &staying)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ready = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "READY")
        .and_then(|s| s["sessionId"].as_str())
        .expect("alice has a READY session")
        .to_owned();
    let stopped = http
        .post(format!("{sessions}/{ready}/stop"))
        .header("cookie", &staying)
        .header("x-studio-portal", "1")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200);
    let is_stop = |e: &test_support::SseEvent| {
        e.event == "session" && e.data["session"]["sessionId"] == ready.as_str()
    };
    // …reaches the page of the sign-in that is still on…
    other_page.until(WAIT, is_stop).await;
    // …and never the page of the one that ended: its stream is over.
    let after = left_page
        .until_end(WAIT)
        .await
        .expect("the signed-out page's event stream ended");
    assert!(!after.iter().any(is_stop), "{after:#?}");
    proxy.shutdown().await;
}
