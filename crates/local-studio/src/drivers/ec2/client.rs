//! One EC2 client per launch profile, made once with aws-config's credential chain
//! (environment, profile, SSO, instance role), the profile's region, its optional
//! endpoint, and the SDK's standard retry mode; and what every action of a session
//! needs: the client, the profile's settings, and the tags the portal puts on what it
//! makes.

use super::drift::Seen;
use super::states::Failure;
use super::Machine;
use crate::config::ec2::Ec2Settings;
use crate::config::StudioConfig;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use aws_sdk_ec2::Client;
use nimble_model::StreamingSessionStatusCode as Code;
use std::collections::HashMap;
use std::time::Duration;

/// The tags the portal finds its instances and images by.
pub const TAG_STUDIO: &str = "studio-portal:studio";
pub const TAG_SESSION: &str = "studio-portal:session";
pub const TAG_OWNER: &str = "studio-portal:owner";
pub const TAG_LAUNCH: &str = "studio-portal:launch";
pub const TAG_BACKUP: &str = "studio-portal:backup";

/// What the driver's tasks share.
pub struct Shared {
    studios: StudioConfig,
    /// Makes each session's agent token, which its user data carries (`tokens/agent.rs`).
    pub agent_key: crate::tokens::AgentKey,
    clients: tokio::sync::Mutex<HashMap<String, Client>>,
    pub seen: Seen,
}

impl Shared {
    pub fn new(studios: StudioConfig, agent_key: crate::tokens::AgentKey) -> Shared {
        Shared {
            studios,
            agent_key,
            clients: tokio::sync::Mutex::default(),
            seen: Seen::default(),
        }
    }

    /// The `ec2` settings of the profile `machine` was launched with.
    pub fn settings(&self, machine: &Machine) -> Result<Ec2Settings, String> {
        self.studios
            .studio(&machine.studio)
            .and_then(|s| s.launch_profile(&machine.profile))
            .and_then(|p| p.ec2.clone())
            .ok_or_else(|| {
                format!(
                    "launch profile {} of studio {} is no longer an EC2 profile in the studio config",
                    machine.profile, machine.studio
                )
            })
    }

    /// Whether the desktops of `machine`'s profile have a clipboard (DCV's permissions
    /// say so); closed when the profile is gone from the config.
    pub fn clipboard_enabled(&self, machine: &Machine) -> bool {
        let studio = self.studios.studio(&machine.studio);
        let profile = studio.and_then(|s| s.launch_profile(&machine.profile));
        profile.is_some_and(crate::drivers::clipboard_enabled)
    }

    /// The AMI of the session's streaming image.
    pub fn image_id(&self, machine: &Machine) -> Result<String, Failure> {
        self.studios
            .studio(&machine.studio)
            .and_then(|s| s.ec2_image_id(&machine.streaming_image_id))
            .map(str::to_owned)
            .ok_or_else(|| {
                Failure::Fail(
                    Code::AmiValidationError,
                    format!(
                        "Streaming image {} has no ec2ImageId in the studio config",
                        machine.streaming_image_id
                    ),
                )
            })
    }

    /// The client of `machine`'s profile (made on first use).
    pub async fn client(&self, machine: &Machine, settings: &Ec2Settings) -> Client {
        let key = format!("{}/{}", machine.studio, machine.profile);
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(&key) {
            return client.clone();
        }
        let retry = RetryConfig::standard()
            .with_max_attempts(settings.max_attempts)
            .with_initial_backoff(Duration::from_millis(settings.initial_backoff_ms));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .retry_config(retry);
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let client = Client::new(&loader.load().await);
        clients.insert(key, client.clone());
        client
    }
}

/// One action of one session: who it is for and how EC2 is reached.
pub struct Ctx<'a> {
    pub client: Client,
    pub settings: Ec2Settings,
    pub session: &'a str,
    pub machine: Machine,
    pub os_user: String,
    pub shared: &'a Shared,
}

impl Ctx<'_> {
    /// The portal's tags and the profile's, for the things this session makes.
    pub fn tags(&self, extra: &[(&str, &str)]) -> Vec<Tag> {
        let name = format!("studio-portal {} {}", self.machine.owner, self.session);
        let own = [
            ("Name", name.as_str()),
            (TAG_STUDIO, self.machine.studio.as_str()),
            (TAG_SESSION, self.session),
            (TAG_OWNER, self.machine.owner.as_str()),
        ];
        let profile = self
            .settings
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        own.into_iter()
            .chain(extra.iter().copied())
            .chain(profile)
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    }

    pub fn tag_spec(&self, kind: ResourceType, extra: &[(&str, &str)]) -> TagSpecification {
        TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(self.tags(extra)))
            .build()
    }

    pub fn poll(&self) -> Duration {
        Duration::from_millis(self.settings.poll_ms)
    }
}
