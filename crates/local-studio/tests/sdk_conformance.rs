//! Conformance with the real AWS client: aws-sdk-nimble 1.46 pointed at local-studio parses
//! every response and every error the way it parsed the retired service's.

use test_support as support;

use aws_sdk_nimble::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_nimble::types::{
    StreamingSessionState, StreamingSessionStreamState, VolumeRetentionMode,
};
use aws_sdk_nimble::Client;
use aws_smithy_types::retry::RetryConfig;
use local_studio::{Config, Faults};
use std::time::Duration;
use support::*;

fn client(studio: &support::Client) -> Client {
    let config = aws_sdk_nimble::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(studio.url(""))
        .region(Region::new("eu-central-1"))
        .credentials_provider(Credentials::new(
            &studio.credential.access_key_id,
            &studio.credential.secret_access_key,
            None,
            None,
            "test",
        ))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn list_and_paginate_every_session() {
    let studio = start(Config {
        page_size: 2,
        ..test_config()
    })
    .await;
    let nimble = client(&studio);
    let first = nimble
        .list_streaming_sessions()
        .studio_id(STUDIO)
        .send()
        .await
        .unwrap();
    assert_eq!(first.sessions().len(), 2);
    assert!(first.next_token().is_some());
    let all = nimble
        .list_streaming_sessions()
        .studio_id(STUDIO)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        5,
        "the demo studio's five sessions over three pages"
    );
    let alice = nimble
        .list_streaming_sessions()
        .studio_id(STUDIO)
        .owned_by("alice")
        .send()
        .await
        .unwrap();
    assert!(alice
        .sessions()
        .iter()
        .all(|s| s.owned_by() == Some("alice")));
    let session = &all[0];
    assert!(
        session.created_at().is_some()
            && session.arn().is_some()
            && session.launch_profile_id().is_some()
    );
}

#[tokio::test]
async fn create_stop_start_and_stream_with_the_sdk() {
    let studio = start(test_config()).await;
    let nimble = client(&studio);
    let created = nimble
        .create_streaming_session()
        .studio_id(STUDIO)
        .launch_profile_id("lp-artist")
        .ec2_instance_type(aws_sdk_nimble::types::StreamingInstanceType::G4dn2xlarge)
        .owned_by("carol")
        .tags("project", "seq-040")
        .send()
        .await
        .unwrap();
    let session = created.session().unwrap();
    assert_eq!(
        session.state(),
        Some(&StreamingSessionState::CreateInProgress)
    );
    let id = session.session_id().unwrap().to_owned();

    let got = nimble
        .get_streaming_session()
        .studio_id(STUDIO)
        .session_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.session().unwrap().state(),
        Some(&StreamingSessionState::Ready)
    );
    assert!(got.session().unwrap().stop_at().is_some());

    let stopped = nimble
        .stop_streaming_session()
        .studio_id(STUDIO)
        .session_id(&id)
        .volume_retention_mode(VolumeRetentionMode::Retain)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stopped.session().unwrap().state(),
        Some(&StreamingSessionState::StopInProgress)
    );
    let backups = nimble
        .list_streaming_session_backups()
        .studio_id(STUDIO)
        .owned_by("carol")
        .send()
        .await
        .unwrap();
    let backup = &backups.streaming_session_backups()[0];
    assert_eq!(backup.session_id(), Some(id.as_str()));
    let backup_id = backup.backup_id().unwrap();
    let one = nimble
        .get_streaming_session_backup()
        .studio_id(STUDIO)
        .backup_id(backup_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        one.streaming_session_backup().unwrap().state(),
        Some(&StreamingSessionState::Stopped)
    );

    let started = nimble
        .start_streaming_session()
        .studio_id(STUDIO)
        .session_id(&id)
        .backup_id(backup_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.session().unwrap().started_from_backup_id(),
        Some(backup_id)
    );

    let stream = nimble
        .create_streaming_session_stream()
        .studio_id(STUDIO)
        .session_id(&id)
        .expiration_in_seconds(600)
        .send()
        .await
        .unwrap();
    let stream_id = stream.stream().unwrap().stream_id().unwrap();
    let ready = nimble
        .get_streaming_session_stream()
        .studio_id(STUDIO)
        .session_id(&id)
        .stream_id(stream_id)
        .send()
        .await
        .unwrap();
    let ready = ready.stream().unwrap();
    assert_eq!(ready.state(), Some(&StreamingSessionStreamState::Ready));
    assert!(ready.url().unwrap().contains("authToken="));
    assert!(ready.expires_at().unwrap().secs() - ready.created_at().unwrap().secs() == 600);

    let deleted = nimble
        .delete_streaming_session()
        .studio_id(STUDIO)
        .session_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.session().unwrap().state(),
        Some(&StreamingSessionState::DeleteInProgress)
    );
    let gone = nimble
        .get_streaming_session()
        .studio_id(STUDIO)
        .session_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.session().unwrap().state(),
        Some(&StreamingSessionState::Deleted)
    );
}

#[tokio::test]
async fn launch_profiles_parse() {
    let studio = start(test_config()).await;
    let nimble = client(&studio);
    let profiles = nimble
        .list_launch_profiles()
        .studio_id(STUDIO)
        .send()
        .await
        .unwrap();
    assert_eq!(profiles.launch_profiles().len(), 2);
    let profile = nimble
        .get_launch_profile()
        .studio_id(STUDIO)
        .launch_profile_id("lp-artist")
        .send()
        .await
        .unwrap();
    let config = profile
        .launch_profile()
        .unwrap()
        .stream_configuration()
        .unwrap();
    assert_eq!(config.ec2_instance_types().len(), 3);
    assert_eq!(config.session_backup().unwrap().max_backups_to_retain(), 3);
}

#[tokio::test]
async fn streaming_images_parse() {
    let studio = start(test_config()).await;
    let nimble = client(&studio);
    let images = nimble
        .list_streaming_images()
        .studio_id(STUDIO)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = images
        .streaming_images()
        .iter()
        .map(|i| i.name().unwrap())
        .collect();
    assert_eq!(names, ["Artist workstation 2026", "Review station 2026"]);
    let none = nimble
        .list_streaming_images()
        .studio_id(STUDIO)
        .owner("amazon")
        .send()
        .await
        .unwrap();
    assert!(
        none.streaming_images().is_empty(),
        "the studio owns its images"
    );
    let image = nimble
        .get_streaming_image()
        .studio_id(STUDIO)
        .streaming_image_id("img-review-2026")
        .send()
        .await
        .unwrap();
    let image = image.streaming_image().unwrap();
    assert_eq!(image.owner(), Some(STUDIO));
    assert_eq!(
        image.state(),
        Some(&aws_sdk_nimble::types::StreamingImageState::Ready)
    );
    assert_eq!(
        image.arn(),
        Some("arn:aws:nimble:us-west-2:123456789012:streaming-image/img-review-2026")
    );
    let missing = nimble
        .get_streaming_image()
        .studio_id(STUDIO)
        .streaming_image_id("img-nope")
        .send()
        .await
        .unwrap_err();
    assert!(missing
        .into_service_error()
        .is_resource_not_found_exception());
}

#[tokio::test]
async fn every_error_kind_reaches_the_sdk_as_its_modeled_error() {
    let studio = start(Config {
        transition: Duration::from_secs(60),
        ..test_config()
    })
    .await;
    let nimble = client(&studio);

    let missing = nimble
        .get_streaming_session()
        .studio_id(STUDIO)
        .session_id("ss-nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(missing.is_resource_not_found_exception(), "{missing:?}");
    if let aws_sdk_nimble::operation::get_streaming_session::GetStreamingSessionError::ResourceNotFoundException(e) = &missing {
        assert_eq!(e.context().unwrap()["resourceId"], "ss-nope");
        assert_eq!(e.code(), Some("RESOURCE_NOT_FOUND"));
    }

    let id = studio.create("carol").await;
    let conflict = nimble
        .stop_streaming_session()
        .studio_id(STUDIO)
        .session_id(&id)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(conflict.is_conflict_exception(), "{conflict:?}");

    let invalid = nimble
        .create_streaming_session_stream()
        .studio_id(STUDIO)
        .session_id(&id)
        .expiration_in_seconds(4000)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(invalid.is_validation_exception(), "{invalid:?}");
    assert!(invalid
        .meta()
        .message()
        .unwrap()
        .contains("expirationInSeconds"));

    for _ in 0..5 {
        studio.create("carol").await;
    }
    let quota = nimble
        .create_streaming_session()
        .studio_id(STUDIO)
        .launch_profile_id("lp-review")
        .owned_by("carol")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(quota.is_service_quota_exceeded_exception(), "{quota:?}");

    studio.server.set_faults(Faults {
        throttle: 1.0,
        ..Faults::default()
    });
    let throttled = nimble
        .list_streaming_sessions()
        .studio_id(STUDIO)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(throttled.is_throttling_exception(), "{throttled:?}");
    studio.server.set_faults(Faults {
        internal_error: 1.0,
        ..Faults::default()
    });
    let internal = nimble
        .list_streaming_sessions()
        .studio_id(STUDIO)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        internal.is_internal_server_error_exception(),
        "{internal:?}"
    );
    studio.server.set_faults(Faults::default());

    let mut wrong = studio.credential.clone();
    wrong.secret_access_key = "wrong".into();
    let intruder = support::Client {
        credential: wrong,
        ..studio.client.clone()
    };
    let denied = client(&intruder)
        .list_streaming_sessions()
        .studio_id(STUDIO)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(denied.is_access_denied_exception(), "{denied:?}");
}
