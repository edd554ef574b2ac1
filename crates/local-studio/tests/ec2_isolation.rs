//! What an EC2 workstation lets in, against moto's EC2 server: a stream token opens only
//! its own session, and a request that may not use it leaves it good; instances require
//! IMDSv2 session tokens; and no system account (root, daemon) ever becomes a
//! workstation's DCV user, whether as an owner's own id or through `ec2.os_users`.

mod cloud;

use aws_sdk_ec2::types::{HttpTokensState, InstanceMetadataEndpointState};
use cloud::moto::Moto;
use cloud::*;
use serde_json::json;

const NO: &str = r#"<auth result="no"/>"#;

#[tokio::test]
async fn a_dcv_token_presented_for_another_session_is_refused_and_still_opens_its_own() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let studio_files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(studio_files.config()).await;
    let alice = create(&studio, "alice", json!({})).await;
    let bob = create(&studio, "bob", json!({})).await;
    wait_for(&studio, &alice, "READY").await;
    wait_for(&studio, &bob, "READY").await;

    let path = format!("{SESSIONS}/{alice}/streams");
    let created = studio.call("POST", &path, Some(json!({})), None).await;
    assert_eq!(created.status, 200, "{}", created.json);
    let stream_id = created.json["stream"]["streamId"].as_str().unwrap();
    // The URL as GetStreamingSessionStream hands it out (from memory: the database holds
    // only the token's hash) is the one the create gave.
    let read = studio.get(&format!("{path}/{stream_id}")).await;
    let url = read.json["stream"]["url"].as_str().unwrap();
    assert_eq!(url, created.json["stream"]["url"].as_str().unwrap());
    let token = url
        .split("authToken=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap();

    // Bob's workstation asks with alice's token: no, and the token is not spent.
    assert_eq!(verify(&studio, &bob, token).await.1, NO);
    assert_eq!(verify(&studio, "", token).await.1, NO, "no session named");
    let yes = r#"<auth result="yes"><username>alice_ws</username></auth>"#;
    assert_eq!(verify(&studio, &alice, token).await.1, yes);
    assert_eq!(verify(&studio, &alice, token).await.1, NO, "once");
}

#[tokio::test]
async fn instances_require_imdsv2_session_tokens() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let studio_files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(studio_files.config()).await;
    let id = create(&studio, "alice", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    let instance = moto.live(&id).await[0].id.clone();
    let described = moto
        .ec2
        .describe_instances()
        .instance_ids(&instance)
        .send()
        .await
        .unwrap();
    let options = described.reservations()[0].instances()[0]
        .metadata_options()
        .expect("moto describes the instance's metadata options")
        .clone();
    assert_eq!(
        (options.http_tokens(), options.http_endpoint()),
        (
            Some(&HttpTokensState::Required),
            Some(&InstanceMetadataEndpointState::Enabled)
        ),
        "{options:?}"
    );
}

#[tokio::test]
async fn a_system_account_is_never_a_dcv_user_and_nothing_launches() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let studio_files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(studio_files.config()).await;
    for owner in ["root", "daemon"] {
        let body = json!({"launchProfileId": "lp-cloud", "ownedBy": owner});
        let reply = studio.call("POST", SESSIONS, Some(body), None).await;
        assert_eq!(reply.status, 400, "{owner}: {}", reply.json);
        assert_eq!(reply.error_type(), "ValidationException");
        assert_eq!(reply.json["context"]["field"], "ownedBy");
        let message = reply.json["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("{owner:?}")) && message.contains("system account"),
            "{message}"
        );
    }
    let listed = studio.get(SESSIONS).await;
    assert_eq!(listed.json["sessions"], json!([]), "nothing was created");
    let all = moto.ec2.describe_instances().send().await.unwrap();
    assert!(all.reservations().is_empty(), "nothing was launched");
}

#[tokio::test]
async fn a_mapping_to_a_system_account_stops_the_server_from_starting() {
    let studio_files = CloudStudio::new("http://127.0.0.1:9", "ami-0123456789abcdef0");
    let path = studio_files.path();
    let toml = std::fs::read_to_string(&path).unwrap();
    for mapped in ["root", "daemon"] {
        let bad = toml.replace(
            r#"os_users = { alice = "alice_ws" }"#,
            &format!(r#"os_users = {{ alice = "alice_ws", bob = "{mapped}" }}"#),
        );
        assert_ne!(bad, toml);
        std::fs::write(&path, bad).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let Err(error) = local_studio::start(listener, studio_files.config()).await else {
            panic!("a server mapping bob to {mapped} started");
        };
        let error = error.to_string();
        assert!(
            error.contains(&format!("ec2.os_users.bob = \"{mapped}\""))
                && error.contains("system account"),
            "{error}"
        );
    }
}
