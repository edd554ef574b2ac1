//! What an EC2 workstation lets in, against moto's EC2 server: a stream token opens only
//! its own session, and a request that may not use it leaves it good; and instances require
//! IMDSv2 session tokens.

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
