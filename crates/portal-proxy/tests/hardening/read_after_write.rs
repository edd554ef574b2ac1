//! Defect 5: a read sent after an acknowledged write could join an older identical read
//! still in flight, and return the state from before the write.

use crate::common::API;
use crate::slow_upstream::slow_proxy;
use serde_json::{json, Value};
use std::time::Duration;

async fn get(addr: std::net::SocketAddr, path: &str) -> Value {
    let url = format!("http://{addr}{path}");
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_read_after_an_acknowledged_write_never_returns_older_state() {
    let slow = slow_proxy(|config| config.cache_ttl = Duration::ZERO).await;
    let addr = slow.proxy.addr();
    let sessions = format!("{API}/streaming-sessions");
    let listed = get(addr, &sessions).await;
    let ready = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "READY")
        .expect("alice has a READY session");
    let one = format!("{sessions}/{}", ready["sessionId"].as_str().unwrap());
    // The owner is learnt now, so later reads are only the reads themselves.
    assert_eq!(get(addr, &one).await["session"]["state"], "READY");

    // An old read, answered READY upstream but held back on its way.
    slow.delays.set(Duration::from_millis(1500), Duration::ZERO);
    let old_read = tokio::spawn({
        let one = one.clone();
        async move { get(addr, &one).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = reqwest::Client::new()
        .post(format!("http://{addr}{one}/stop"))
        .header("x-studio-portal", "1")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200);
    // Sent after the stop was acknowledged: it must not see READY.
    let after = get(addr, &one).await;
    assert_ne!(after["session"]["state"], "READY", "{after}");
    assert_eq!(old_read.await.unwrap()["session"]["state"], "READY");
}
