//! Defect 7: the audit line of a state change was written after the upstream answered, in
//! the request's own task: a client that hung up mid-request left the change made and
//! unlogged.

use crate::audit_capture;
use crate::common::API;
use crate::slow_upstream::slow_proxy;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_state_change_is_audited_when_the_client_hangs_up_mid_request() {
    audit_capture::install();
    let slow = slow_proxy(|_| {}).await;
    let addr = slow.proxy.addr();
    let sessions = format!("http://{addr}{API}/streaming-sessions");
    let listed: Value = reqwest::get(&sessions).await.unwrap().json().await.unwrap();
    let id = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "READY")
        .expect("alice has a READY session")["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();

    // local-studio stops it at once; its answer is held back, and the client gives up first.
    slow.delays.set(Duration::ZERO, Duration::from_millis(1500));
    let hung_up = reqwest::Client::new()
        .post(format!("{sessions}/{id}/stop"))
        .header("x-studio-portal", "1")
        .json(&json!({}))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(hung_up.is_err(), "the client hung up before the answer");

    let deadline = Instant::now() + Duration::from_secs(5);
    while audit_capture::lines_with(&["StopStreamingSession", &id]).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no audit line for the stop of {id}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = &audit_capture::lines_with(&["StopStreamingSession", &id])[0];
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        (line["user"].as_str(), line["status"].as_u64()),
        (Some("alice"), Some(200))
    );
    assert_ne!(slow.studio.session(&id).await["state"], "READY");
}
