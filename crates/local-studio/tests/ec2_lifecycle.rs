//! The EC2 driver through the real local-studio API (SigV4-signed) against moto's EC2
//! server: the whole lifecycle of a session (create, stop RETAIN, start, drift both ways,
//! stop with a backup, start from it, stop DELETE, delete), checked on the EC2 side; then Connect
//! and the DCV verifier. Nothing connects to the addresses moto hands out: the readiness
//! probe is a loopback listener of the test's own.

mod cloud;

use aws_sdk_ec2::types::InstanceStateName as Ec2;
use cloud::moto::Moto;
use cloud::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_session_is_an_ec2_instance_through_its_whole_lifecycle() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let studio_files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(studio_files.config()).await;

    // Create: one instance with the session's AMI, type and tags.
    let id = create(&studio, "alice", json!({"ec2InstanceType": "g5.2xlarge"})).await;
    let ready = wait_for(&studio, &id, "READY").await;
    assert_eq!(ready["statusCode"], "STREAMING_SESSION_READY", "{ready}");
    let instances = moto.instances(&id).await;
    assert_eq!(instances.len(), 1, "{instances:?}");
    let first = instances[0].clone();
    assert_eq!(first.state, Ec2::Running);
    assert_eq!(first.image_id, ami);
    assert_eq!(first.instance_type, "g5.2xlarge");
    for (key, value) in [
        ("studio-portal:studio", "cloud-studio"),
        ("studio-portal:session", id.as_str()),
        ("studio-portal:owner", "alice"),
        ("studio-portal:launch", "create"),
        ("project", "show-42"),
    ] {
        assert_eq!(
            first.tags.get(key).map(String::as_str),
            Some(value),
            "{key}: {:?}",
            first.tags
        );
    }
    // The user data is the shipped template with this session's values, and no secret.
    let script = user_data(&moto, &id).await;
    assert!(script.contains(&format!("SESSION_ID=\"{id}\"")), "{script}");
    assert!(script.contains("OS_USER=\"alice_ws\""));
    assert!(script.contains(&format!("VERIFIER_URL=\"{VERIFIER_URL}\"")));
    // The profile's clipboardMode (ENABLED) as DCV's permission, which the session uses.
    assert_eq!(
        first_permissions(&script),
        "[permissions]\n%owner% allow builtin\n%owner% allow clipboard-copy clipboard-paste\n"
    );
    assert!(script.contains("--permissions-file /etc/dcv/studio-portal.perm"));
    assert!(
        !script.contains("{{") && !script.contains("testing"),
        "{script}"
    );

    // Stop RETAIN: the same instance, stopped; the automatic backup is an AMI.
    act(
        &studio,
        &id,
        "stop",
        json!({"volumeRetentionMode": "RETAIN"}),
    )
    .await;
    wait_for(&studio, &id, "STOPPED").await;
    let live = moto.live(&id).await;
    assert_eq!(
        (live.len(), &live[0].id, &live[0].state),
        (1, &first.id, &Ec2::Stopped)
    );
    let backups = studio.get(&format!("{BACKUPS}?ownedBy=alice")).await;
    let first_backup = backups.json["streamingSessionBackups"][0]["backupId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(moto.backup_images(&first_backup).await.len(), 1);

    // Started outside the portal while the session is STOPPED: the portal stops it again.
    moto.ec2
        .start_instances()
        .instance_ids(&first.id)
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while moto.live(&id).await[0].state != Ec2::Stopped {
        assert!(std::time::Instant::now() < deadline, "never stopped again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(session(&studio, &id).await["state"], "STOPPED");

    // Start: the same instance runs again.
    act(&studio, &id, "start", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    let live = moto.live(&id).await;
    assert_eq!(
        (live.len(), &live[0].id, &live[0].state),
        (1, &first.id, &Ec2::Running)
    );

    // Drift: stopped outside the portal, the session is STOPPED within the drift interval.
    moto.ec2
        .stop_instances()
        .instance_ids(&first.id)
        .send()
        .await
        .unwrap();
    let lost = wait_for(&studio, &id, "STOPPED").await;
    assert!(
        lost["statusMessage"]
            .as_str()
            .unwrap()
            .contains("stopped unexpectedly"),
        "{lost}"
    );
    act(&studio, &id, "start", json!({})).await;
    wait_for(&studio, &id, "READY").await;

    // A second stop makes a second backup image; maxBackupsToRetain = 1 prunes the first,
    // in EC2 too.
    act(&studio, &id, "stop", json!({})).await;
    wait_for(&studio, &id, "STOPPED").await;
    let backups = studio.get(&format!("{BACKUPS}?ownedBy=alice")).await;
    let kept = backups.json["streamingSessionBackups"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let second_backup = kept[0]["backupId"].as_str().unwrap().to_owned();
    assert_ne!(second_backup, first_backup);
    let second_image = moto.backup_images(&second_backup).await;
    assert_eq!(second_image.len(), 1);
    assert!(moto.backup_images(&first_backup).await.is_empty(), "pruned");

    // Start from the backup: a new instance from its AMI replaces the old one.
    act(&studio, &id, "start", json!({"backupId": second_backup})).await;
    wait_for(&studio, &id, "READY").await;
    let live = moto.live(&id).await;
    assert_eq!(live.len(), 1, "{live:?}");
    assert_ne!(live[0].id, first.id);
    assert_eq!(live[0].image_id, second_image[0]);
    assert_eq!(live[0].state, Ec2::Running);

    // Stop DELETE terminates; start launches afresh from the streaming image.
    act(
        &studio,
        &id,
        "stop",
        json!({"volumeRetentionMode": "DELETE"}),
    )
    .await;
    wait_for(&studio, &id, "STOPPED").await;
    assert!(moto.live(&id).await.is_empty());
    act(&studio, &id, "start", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    let live = moto.live(&id).await;
    assert_eq!((live.len(), &live[0].image_id), (1, &ami));

    // Terminated outside the portal: STOPPED within the drift interval; start relaunches.
    moto.ec2
        .terminate_instances()
        .instance_ids(&live[0].id)
        .send()
        .await
        .unwrap();
    wait_for(&studio, &id, "STOPPED").await;
    act(&studio, &id, "start", json!({})).await;
    wait_for(&studio, &id, "READY").await;
    assert_eq!(moto.live(&id).await.len(), 1);

    // Delete terminates.
    let reply = studio
        .call("DELETE", &format!("{SESSIONS}/{id}"), None, None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    wait_for(&studio, &id, "DELETED").await;
    assert!(moto.live(&id).await.is_empty());
    assert_eq!(
        moto.instances(&id).await.len(),
        4,
        "every instance it had, all terminated"
    );
}

#[tokio::test]
async fn connect_gives_a_dcv_url_whose_token_the_verifier_accepts_once() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let studio_files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(studio_files.config()).await;
    let alice = create(&studio, "alice", json!({})).await;
    let bob = create(&studio, "bob", json!({})).await;
    wait_for(&studio, &alice, "READY").await;
    wait_for(&studio, &bob, "READY").await;
    let instance = moto.live(&alice).await[0].clone();
    assert!(!instance.public_dns.is_empty());

    let (url, token) = stream(&studio, &alice, 60).await;
    assert_eq!(
        url,
        format!(
            "https://{}:8443/?authToken={token}#{alice}",
            instance.public_dns
        )
    );
    let yes = verify(&studio, &alice, &token).await;
    assert_eq!(
        yes,
        (
            "text/xml".into(),
            r#"<auth result="yes"><username>alice_ws</username></auth>"#.into()
        )
    );
    let no = ("text/xml".to_owned(), r#"<auth result="no"/>"#.to_owned());
    assert_eq!(verify(&studio, &alice, &token).await, no, "a second use");

    // Another session's token does not open alice's session (nor is it spent trying:
    // ec2_isolation.rs).
    let (_, bobs) = stream(&studio, &bob, 60).await;
    assert_eq!(verify(&studio, &alice, &bobs).await, no);
    let (_, bobs) = stream(&studio, &bob, 60).await;
    assert_eq!(
        verify(&studio, &bob, &bobs).await.1,
        r#"<auth result="yes"><username>bob</username></auth>"#,
        "bob has no mapping: his studio user id"
    );
    assert_eq!(verify(&studio, &alice, "not-a-token").await, no, "garbage");
    assert_eq!(verify(&studio, &alice, "").await, no, "empty");
    let bare = studio
        .http
        .post(studio.url("/dcv/verify"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.text().await.unwrap(), no.1, "no form at all");

    let (_, expiring) = stream(&studio, &alice, 60).await;
    studio.server.advance_clock(Duration::from_secs(61));
    assert_eq!(verify(&studio, &alice, &expiring).await, no, "expired");

    // A token made for one instance does not open the instance that replaces it.
    let (_, before) = stream(&studio, &alice, 600).await;
    act(
        &studio,
        &alice,
        "stop",
        json!({"volumeRetentionMode": "DELETE"}),
    )
    .await;
    wait_for(&studio, &alice, "STOPPED").await;
    act(&studio, &alice, "start", json!({})).await;
    wait_for(&studio, &alice, "READY").await;
    assert_eq!(
        verify(&studio, &alice, &before).await,
        no,
        "another instance"
    );
}

#[tokio::test]
async fn an_owner_who_cannot_be_an_os_user_is_refused_before_anything_launches() {
    let moto = Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let studio_files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(studio_files.config()).await;
    let body = json!({"launchProfileId": "lp-cloud", "ownedBy": "Carol"});
    let reply = studio.call("POST", SESSIONS, Some(body), None).await;
    assert_eq!(reply.status, 400, "{}", reply.json);
    assert_eq!(reply.error_type(), "ValidationException");
    let message = reply.json["message"].as_str().unwrap();
    assert!(message.contains("ec2.os_users"), "{message}");
    let listed = studio.get(SESSIONS).await;
    assert_eq!(listed.json["sessions"], json!([]), "nothing was created");
    let all = moto.ec2.describe_instances().send().await.unwrap();
    assert!(all.reservations().is_empty(), "nothing was launched");
}
