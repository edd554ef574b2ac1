//! The EC2 driver when EC2 misbehaves, with a fault-injecting proxy in front of moto
//! (moto itself answers at once, never throttles, and ignores ClientToken): throttling is
//! retried and slow answers waited for, never failing a session; InsufficientInstanceCapacity
//! and an unknown AMI fail it with the right status code and EC2's message; answers lost
//! after EC2 acted, and a kill -9 between RunInstances and recording its result, never make
//! a second instance; READY waits for the DCV port.

mod cloud;

use cloud::moto::{test_env, Moto};
use cloud::proxy::Proxy;
use cloud::*;
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};
use test_support::{ChildGuard, Client};

struct Setup {
    moto: Moto,
    proxy: Proxy,
    files: CloudStudio,
}

async fn setup() -> Setup {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let proxy = Proxy::start(&moto.url).await;
    let files = CloudStudio::new(&proxy.url, &ami);
    Setup { moto, proxy, files }
}

#[tokio::test]
async fn slow_and_throttled_answers_are_waited_for_and_never_fail_the_session() {
    let s = setup().await;
    let studio = test_support::start(s.files.config()).await;
    // More throttled answers than the SDK's attempts (3): the action itself tries again.
    s.proxy.rules(|r| {
        r.delay = Duration::from_millis(40);
        r.throttle.insert("RunInstances", 5);
        r.throttle.insert("DescribeInstances", 4);
        r.throttle.insert("DescribeInstanceStatus", 2);
    });
    let id = create(&studio, "alice", json!({})).await;
    let ready = wait_for(&studio, &id, "READY").await;
    assert_eq!(ready["statusCode"], "STREAMING_SESSION_READY");
    assert_eq!(s.moto.live(&id).await.len(), 1, "one instance");
    assert!(
        s.proxy.count("RunInstances") >= 6,
        "5 throttled, then launched"
    );
}

#[tokio::test]
async fn insufficient_capacity_and_an_unknown_ami_fail_with_their_status_codes() {
    let s = setup().await;
    let studio = test_support::start(s.files.config()).await;
    let message = "We currently do not have sufficient g4dn.xlarge capacity in the Availability Zone you requested.";
    s.proxy.rules(|r| {
        r.fail.insert(
            "RunInstances",
            (u32::MAX, 500, "InsufficientInstanceCapacity", message),
        );
    });
    let id = create(&studio, "alice", json!({})).await;
    let failed = wait_for(&studio, &id, "CREATE_FAILED").await;
    assert_eq!(failed["statusCode"], "INSUFFICIENT_CAPACITY", "{failed}");
    assert!(
        failed["statusMessage"].as_str().unwrap().contains(message),
        "{failed}"
    );
    assert!(s.moto.instances(&id).await.is_empty());

    s.proxy.rules(|r| r.fail.clear());
    let id = create(&studio, "bob", json!({"streamingImageId": "img-gone"})).await;
    let failed = wait_for(&studio, &id, "CREATE_FAILED").await;
    assert_eq!(failed["statusCode"], "AMI_VALIDATION_ERROR", "{failed}");
    let said = failed["statusMessage"].as_str().unwrap();
    assert!(
        said.contains("ami-0123456789abcdef0") && said.contains("InvalidAMIID"),
        "EC2's message: {said}"
    );
    assert!(s.moto.instances(&id).await.is_empty());
}

#[tokio::test]
async fn answers_lost_after_run_instances_never_make_a_second_instance() {
    let s = setup().await;
    let studio = test_support::start(s.files.config()).await;
    // The first answer is lost: the SDK sends the same ClientToken again, which EC2 (here
    // the proxy) answers with the first launch.
    s.proxy.rules(|r| {
        r.lose.insert("RunInstances", 1);
    });
    let id = create(&studio, "alice", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    assert_eq!(s.moto.instances(&id).await.len(), 1);

    // Every answer of the SDK's attempts is lost: the action begins again and finds the
    // instance by its tags instead of launching another.
    s.proxy.rules(|r| {
        r.lose.insert("RunInstances", 3);
    });
    let before = s.proxy.count("RunInstances");
    let id = create(&studio, "bob", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    assert_eq!(
        s.proxy.count("RunInstances") - before,
        3,
        "no fourth launch"
    );
    assert_eq!(s.moto.instances(&id).await.len(), 1);
}

#[tokio::test]
async fn ready_waits_for_the_dcv_port() {
    let mut s = setup().await;
    let address = s.files.probe.take().unwrap().local_addr().unwrap(); // now closed
    let studio = test_support::start(s.files.config()).await;
    let id = create(&studio, "alice", json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let session = session(&studio, &id).await;
        let message = session["statusMessage"].as_str().unwrap_or("");
        if message.contains("Waiting for Amazon DCV to answer") {
            assert_eq!(session["state"], "CREATE_IN_PROGRESS");
            break;
        }
        assert!(Instant::now() < deadline, "{session}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _dcv = std::net::TcpListener::bind(address).expect("the probe's port again");
    wait_for(&studio, &id, "READY").await;
}

fn spawn(files: &CloudStudio, data: &std::path::Path) -> (ChildGuard, Client) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-studio"));
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--transition-seconds",
            "0",
            "--drift-seconds",
            "0.2",
        ])
        .arg("--config")
        .arg(files.path())
        .arg("--data-dir")
        .arg(data)
        .envs(test_env());
    let (server, addr) = test_support::spawn_server(&mut command);
    (server, Client::new(addr))
}

#[tokio::test]
async fn kill_9_between_run_instances_and_recording_it_leaves_one_instance() {
    let s = setup().await;
    let data = tempfile::tempdir().unwrap();
    let (mut server, client) = spawn(&s.files, data.path());
    s.proxy.rules(|r| {
        r.hold.insert("RunInstances");
    });
    let id = create(&client, "alice", json!({})).await;
    // EC2 has launched; local-studio has not heard.
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.moto.instances(&id).await.is_empty() {
        assert!(Instant::now() < deadline, "RunInstances never reached EC2");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let launched = s.moto.instances(&id).await[0].id.clone();
    // The session says what it waits for.
    loop {
        let waiting = session(&client, &id).await;
        assert_eq!(waiting["state"], "CREATE_IN_PROGRESS");
        if waiting["statusMessage"] == "Launching the EC2 instance…" {
            break;
        }
        assert!(Instant::now() < deadline, "{waiting}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();
    s.proxy.rules(|r| r.hold.clear());

    let (_server, client) = spawn(&s.files, data.path());
    wait_for(&client, &id, "READY").await;
    let instances = s.moto.instances(&id).await;
    assert_eq!(instances.len(), 1, "{instances:?}");
    assert_eq!(instances[0].id, launched);
    assert_eq!(
        s.proxy.count("RunInstances"),
        1,
        "found by its tags, not launched again"
    );
}
