//! Shared by the EC2 driver's tests: moto (`moto.rs`), a fault-injecting proxy in front of
//! it (`proxy.rs`), a studio whose launch profile launches EC2 instances through either,
//! and a loopback listener that stands in for DCV's port (a test never connects to the
//! public-looking addresses moto hands out).
#![allow(dead_code)] // each test file uses a different part

pub mod instance;
pub mod moto;
pub mod proxy;

use serde_json::{json, Value};
use std::time::Duration;
use test_support::Client;

pub const SESSIONS: &str = "/2020-08-01/studios/cloud-studio/streaming-sessions";
pub const BACKUPS: &str = "/2020-08-01/studios/cloud-studio/streaming-session-backups";
/// The user-data template that ships with the project.
pub const USER_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/ec2/user-data.sh");
pub const VERIFIER_URL: &str = "https://portal.example.test/dcv/verify";

/// A studio file for one test: its EC2 profile sends calls to `endpoint`, launches `ami`,
/// and counts a workstation ready when `probe` accepts a connection.
pub struct CloudStudio {
    pub files: tempfile::TempDir,
    /// Stands in for DCV's port; dropping it closes it.
    pub probe: Option<std::net::TcpListener>,
}

impl CloudStudio {
    pub fn new(endpoint: &str, ami: &str) -> CloudStudio {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = probe.local_addr().unwrap();
        let files = tempfile::tempdir().unwrap();
        let toml = STUDIO_TOML
            .replace("{endpoint}", endpoint)
            .replace("{ami}", ami)
            .replace("{probe}", &address.to_string())
            .replace("{user_data}", USER_DATA)
            .replace("{verifier}", VERIFIER_URL);
        std::fs::write(files.path().join("studio.toml"), toml).unwrap();
        CloudStudio {
            files,
            probe: Some(probe),
        }
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.files.path().join("studio.toml")
    }

    pub fn config(&self) -> local_studio::Config {
        moto::set_test_credentials();
        local_studio::Config {
            studio_config: Some(self.path()),
            transition: Duration::ZERO,
            drift_interval: Duration::from_millis(200),
            ..local_studio::Config::default()
        }
    }
}

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "cloud-studio"
# Carol's id is no Linux user name, and she has no os_users mapping; root and daemon
# are system accounts, which no workstation may log in as.
users = ["alice", "bob", "Carol", "root", "daemon"]

[[studios.streaming_images]]
streamingImageId = "img-ws"
name = "Workstation 2026"
description = "Linux workstation with Amazon DCV"
ec2ImageId = "{ami}"
platform = "LINUX"

[[studios.streaming_images]]
streamingImageId = "img-gone"
name = "An AMI that was deregistered"
ec2ImageId = "ami-0123456789abcdef0"
platform = "LINUX"

[[studios.launch_profiles]]
launchProfileId = "lp-cloud"
name = "Cloud workstation"
driver = "ec2"
time_limit_seconds = 60
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge", "g5.2xlarge"]
streamingImageIds = ["img-ws", "img-gone"]
maxSessionLengthInMinutes = 60
sessionPersistenceMode = "ACTIVATED"
automaticTerminationMode = "DEACTIVATED"
sessionBackup = { mode = "AUTOMATIC", maxBackupsToRetain = 1 }
[studios.launch_profiles.ec2]
region = "us-west-2"
endpoint_url = "{endpoint}"
instance_profile = "studio-workstation"
tags = { project = "show-42" }
user_data_template = "{user_data}"
verifier_url = "{verifier}"
readiness_probe = "tcp:{probe}"
os_users = { alice = "alice_ws" }
max_attempts = 3
initial_backoff_ms = 20
poll_ms = 50
"#;

/// Moto, a studio whose EC2 profile launches on it, and alice's workstation READY: the
/// setting of the tests of an agent (`instance.rs`). Dropping it stops all of it.
pub struct AlicesWorkstation {
    pub moto: moto::Moto,
    pub files: CloudStudio,
    pub studio: test_support::Studio,
    pub session: String,
    /// Her instance's user data.
    pub user_data: String,
}

pub async fn alices_workstation() -> AlicesWorkstation {
    let moto = moto::Moto::start().await;
    let ami = moto.register_image("studio-workstation-2026").await;
    let files = CloudStudio::new(&moto.url, &ami);
    let studio = test_support::start(files.config()).await;
    let session = create(&studio, "alice", json!({})).await;
    wait_for(&studio, &session, "READY").await;
    let user_data = user_data(&moto, &session).await;
    AlicesWorkstation {
        moto,
        files,
        studio,
        session,
        user_data,
    }
}

/// The user data of `session`'s (first) instance, decoded, as the instance reads it.
pub async fn user_data(moto: &moto::Moto, session: &str) -> String {
    let instance = moto.instances(session).await[0].id.clone();
    let attribute = moto
        .ec2
        .describe_instance_attribute()
        .instance_id(&instance)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
        .send()
        .await
        .unwrap();
    let encoded = attribute.user_data().and_then(|v| v.value()).unwrap();
    String::from_utf8(aws_smithy_types::base64::decode(encoded).unwrap()).unwrap()
}

/// The value of the user data's `NAME="value"` line.
pub fn user_data_value(script: &str, name: &str) -> String {
    let line = (script.lines())
        .find(|l| l.starts_with(&format!("{name}=\"")))
        .unwrap_or_else(|| panic!("no {name} in the user data"));
    line[name.len() + 2..line.len() - 1].to_owned()
}

/// The first DCV permissions file the user data writes.
pub fn first_permissions(script: &str) -> String {
    let start = script.find("[permissions]").expect("a permissions file");
    let end = start + script[start..].find("PERM\n").expect("its end");
    script[start..end].to_owned()
}

/// The session's document now.
pub async fn session(client: &Client, id: &str) -> Value {
    client.session_in(SESSIONS, id).await
}

/// Polls the session until `state`, for up to 30 s; its last document.
pub async fn wait_for(client: &Client, id: &str, state: &str) -> Value {
    client.wait_for_state(SESSIONS, id, state).await
}

/// Creates a session of `owner` on the EC2 profile, with `body`'s members added; its id.
pub async fn create(client: &Client, owner: &str, body: Value) -> String {
    let mut full = json!({"launchProfileId": "lp-cloud", "ownedBy": owner});
    full.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    client.create_in(SESSIONS, full).await
}

pub async fn act(client: &Client, id: &str, action: &str, body: Value) -> Value {
    client.act(SESSIONS, id, action, body).await
}

/// A new stream's URL and the token in it.
pub async fn stream(client: &Client, id: &str, seconds: u32) -> (String, String) {
    client.new_stream(SESSIONS, id, seconds).await
}

/// Asks local-studio's DCV verifier, as a DCV server does; the raw answer.
pub async fn verify(client: &Client, session: &str, token: &str) -> (String, String) {
    let reply = client
        .http
        .post(client.url("/dcv/verify"))
        .form(&[
            ("sessionId", session),
            ("authenticationToken", token),
            ("clientAddress", "198.51.100.7"),
        ])
        .send()
        .await
        .unwrap();
    let content_type = reply
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (content_type, reply.text().await.unwrap())
}
