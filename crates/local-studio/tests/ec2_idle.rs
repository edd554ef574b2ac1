//! Idle stop for EC2 workstations, against moto, with a simulated agent: the test reads the
//! agent's token and address from the instance's user data as the real agent does (from
//! the metadata service), and posts the reports the agent would. Input and work above the
//! profile's thresholds keep a workstation running; none of either stops it after the
//! warning, by the system. A report without its session's token, with another session's,
//! or that is not a report, is refused and changes nothing.

mod cloud;

use cloud::moto::Moto;
use cloud::*;
use serde_json::{json, Value};
use std::time::Duration;
use test_support::Studio;

const WARNED: &str = "Nobody has used this workstation";

/// The agent's settings, as the user data of `session`'s instance carries them.
async fn agent_settings(moto: &Moto, session: &str) -> (String, String) {
    let script = user_data(moto, session).await;
    assert!(
        first_permissions(&script).contains("%owner% deny clipboard-copy clipboard-paste"),
        "{script}"
    );
    assert!(
        script.contains("/usr/local/sbin/studio-portal-agent"),
        "the agent is installed"
    );
    (
        user_data_value(&script, "AGENT_URL"),
        user_data_value(&script, "AGENT_TOKEN"),
    )
}

/// Posts one report to local-studio, as the agent does; the status.
async fn report(studio: &Studio, token: Option<&str>, body: Value) -> u16 {
    let mut request = studio.http.post(studio.url("/agent/activity")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

fn warned(session: &Value) -> bool {
    session["statusMessage"]
        .as_str()
        .is_some_and(|m| m.starts_with(WARNED))
}

/// Polls until `done` holds, for up to 20 s.
async fn until(studio: &Studio, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let now = session(studio, id).await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: {}", session(studio, id).await);
}

#[tokio::test]
async fn the_agents_reports_keep_a_workstation_running_and_forged_ones_are_refused() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let files = CloudStudio::new(&moto.url, &ami);
    // This profile also has no clipboard: its DCV sessions deny copy and paste.
    let toml = std::fs::read_to_string(files.path())
        .unwrap()
        .replace(
            "time_limit_seconds = 60",
            "time_limit_seconds = 60\nstop_warning_minutes = 1\n\
             idle_stop = { minutes = 3, cpu_percent = 20, gpu_percent = 20 }",
        )
        .replace(
            "clipboardMode = \"ENABLED\"",
            "clipboardMode = \"DISABLED\"",
        );
    std::fs::write(files.path(), toml).unwrap();
    let studio = test_support::start(files.config()).await;
    let alices = create(&studio, "alice", json!({})).await;
    let bobs = create(&studio, "bob", json!({})).await;
    wait_for(&studio, &alices, "READY").await;
    wait_for(&studio, &bobs, "READY").await;
    let (url, token) = agent_settings(&moto, &alices).await;
    assert_eq!(url, "https://portal.example.test/agent/activity");
    let (_, bobs_token) = agent_settings(&moto, &bobs).await;
    assert_ne!(token, bobs_token, "each session's own");

    // Forged reports: refused, whatever they claim.
    let used = json!({"sessionId": bobs, "inputIdleSeconds": 0});
    assert_eq!(report(&studio, None, used.clone()).await, 401);
    assert_eq!(
        report(&studio, Some(&token), used.clone()).await,
        401,
        "alice's for bob's"
    );
    assert_eq!(report(&studio, Some(&"0".repeat(64)), used).await, 401);
    let missing = json!({"sessionId": "ss-nope", "inputIdleSeconds": 0});
    assert_eq!(report(&studio, Some(&token), missing).await, 401);
    let garbage = json!({"sessionId": alices, "clicks": "many"});
    assert_eq!(report(&studio, Some(&token), garbage).await, 400);

    // Alice's agent: input a moment ago. Two minutes on, nobody warned of yet but bob.
    let input = json!({"sessionId": alices, "inputIdleSeconds": 0, "cpuPercent": 3});
    assert_eq!(report(&studio, Some(&token), input).await, 204);
    studio.server.advance_clock(Duration::from_secs(121));
    until(&studio, &bobs, "bob's warning (no report came)", warned).await;
    let alice = until(&studio, &alices, "alice warned too", warned).await;
    assert_eq!(alice["state"], "READY");

    // A render on the GPU with nobody at the keyboard is work: alice's warning goes; bob's
    // workstation stops at its idle deadline, by the system, saying why.
    let render =
        json!({"sessionId": alices, "inputIdleSeconds": 121, "cpuPercent": 4, "gpuPercent": 97});
    assert_eq!(report(&studio, Some(&token), render).await, 204);
    until(&studio, &alices, "work counts", |s| !warned(s)).await;
    studio.server.advance_clock(Duration::from_secs(60));
    let stopped = wait_for(&studio, &bobs, "STOPPED").await;
    assert_eq!(stopped["stoppedBy"], "system");
    assert!(stopped["statusMessage"]
        .as_str()
        .unwrap()
        .contains("nobody used it for 3 minutes"));
    assert_eq!(session(&studio, &alices).await["state"], "READY");

    // Quiet below the thresholds: alice's stops too, after its warning (two minutes after
    // the render, one of which has passed).
    studio.server.advance_clock(Duration::from_secs(61));
    until(&studio, &alices, "alice's second warning", warned).await;
    let quiet =
        json!({"sessionId": alices, "inputIdleSeconds": 400, "cpuPercent": 5, "gpuPercent": 1});
    assert_eq!(report(&studio, Some(&token), quiet).await, 204);
    studio.server.advance_clock(Duration::from_secs(60));
    wait_for(&studio, &alices, "STOPPED").await;
    // A stopped session takes no reports.
    let late = json!({"sessionId": alices, "inputIdleSeconds": 0});
    assert_eq!(report(&studio, Some(&token), late).await, 409);
}
