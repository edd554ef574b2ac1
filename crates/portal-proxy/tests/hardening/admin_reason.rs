//! An admin stops an artist's workstation with a reason: the artist's session says who
//! stopped it and why, and the audit line names the admin, the owner and the reason. A
//! reason with another operation, or one that is too long, is refused; one that only
//! claims to be signed (added to a request after it was signed) is not believed by
//! local-studio.

use crate::audit_capture;
use crate::common::{send, start, studio_config, API};
use portal_proxy::Upstream;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_admins_stop_says_who_and_why_to_the_artist_and_in_the_audit() {
    audit_capture::install();
    let config = test_support::gateway_config(Upstream::Embedded(studio_config()), &["carol"]);
    let proxy = start(config).await;
    let sessions = format!("{API}/streaming-sessions");
    let listed = send(&proxy, "GET", &sessions, Some("alice"), None).await;
    let id = listed.json["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "READY")
        .expect("alice has a READY session")["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Refused: a reason with a read, and one of 201 characters.
    let with_reason = |method: &str, path: String, reason: String, body: Option<Value>| {
        let addr = proxy.addr();
        let method = method.to_owned();
        async move {
            let mut request = reqwest::Client::new()
                .request(method.parse().unwrap(), format!("http://{addr}{path}"))
                .header("x-user", "carol")
                .header("x-studio-portal", "1")
                .header("x-studio-portal-reason", reason);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let reply = request.send().await.unwrap();
            let status = reply.status().as_u16();
            (status, reply.json::<Value>().await.unwrap_or_default())
        }
    };
    let one = format!("{sessions}/{id}");
    let (status, said) = with_reason("GET", one.clone(), "looking".into(), None).await;
    assert_eq!(status, 400, "{said}");
    let long = "x".repeat(201);
    let stop = format!("{one}/stop");
    let (status, said) = with_reason("POST", stop.clone(), long, Some(json!({}))).await;
    assert_eq!(status, 400, "{said}");
    assert!(said.to_string().contains("reason"), "{said}");
    assert_eq!(
        send(&proxy, "GET", &one, Some("alice"), None).await.json["session"]["state"],
        "READY",
        "a refused stop changes nothing"
    );

    // carol, an admin, stops alice's workstation with a reason (not ASCII, percent-encoded).
    let reason = "Render node maintenance – back at 14:00";
    let encoded = percent_encoding::utf8_percent_encode(reason, percent_encoding::NON_ALPHANUMERIC);
    let (status, said) = with_reason("POST", stop, encoded.to_string(), Some(json!({}))).await;
    assert_eq!(status, 200, "{said}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let stopped = loop {
        let session = send(&proxy, "GET", &one, Some("alice"), None).await.json["session"].clone();
        if session["state"] == "STOPPED" {
            break session;
        }
        assert!(Instant::now() < deadline, "{session}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stopped["stoppedBy"], "carol");
    assert_eq!(
        stopped["statusMessage"],
        format!("Stopped by carol: {reason}")
    );
    let line = &audit_capture::lines_with(&["StopStreamingSession", &id, "maintenance"])[0];
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["user"], "carol");
    assert_eq!(line["owner"], "alice");
    assert_eq!(line["reason"], reason);
    proxy.shutdown().await;
}

#[tokio::test]
async fn local_studio_believes_an_on_behalf_of_only_when_it_is_signed() {
    let studio = test_support::start(studio_config()).await;
    let id = studio.create("alice").await;
    studio
        .wait_for_state(test_support::SESSIONS, &id, "READY")
        .await;
    let path = format!("{}/{id}/stop", test_support::SESSIONS);
    let url = studio.url(&path);
    let host = studio.server.addr().to_string();
    let headers = [
        ("content-type", "application/json"),
        ("host", host.as_str()),
    ];
    let signed = test_support::signature_headers(
        "POST",
        &url,
        &headers,
        b"{}",
        &local_studio::Credential::dev(),
        std::time::SystemTime::now(),
    );
    // Added after signing: not covered by the signature, so not believed.
    let mut request = studio
        .http
        .post(&url)
        .header("content-type", "application/json")
        .header("x-studio-portal-on-behalf-of", "mallory")
        .header("x-studio-portal-reason", "because")
        .body("{}");
    for (name, value) in signed {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 200);
    let stopped = studio
        .wait_for_state(test_support::SESSIONS, &id, "STOPPED")
        .await;
    assert_eq!(stopped["stoppedBy"], "LOCALSTUDIODEV", "{stopped}");
    assert_ne!(stopped["statusMessage"], "Stopped by mallory: because");
}
