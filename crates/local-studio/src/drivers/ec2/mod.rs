//! The EC2 driver: each session is an Amazon EC2 instance running Amazon DCV, on the
//! studio's own AWS account, as Nimble Studio's were.
//!
//! - Create runs an instance from the session's streaming image (its `ec2ImageId`),
//!   tagged `studio-portal:studio`, `:session`, `:owner` and `:launch`. Before it runs one
//!   it looks for an instance already tagged with the session and launch, and it sends a
//!   ClientToken derived from them, so neither a retry nor a restart launches two.
//! - READY needs the instance running, its status checks passing, and the readiness
//!   probe answering (by default a TCP connection to DCV's port).
//! - Stop stops the instance (RETAIN) or terminates it (DELETE); a backup is an AMI made
//!   with CreateImage, tagged with the backup id, and the oldest beyond
//!   `maxBackupsToRetain` are deregistered with their snapshots. Start starts the
//!   instance again, or launches one from a backup's AMI. Delete terminates.
//! - Each action runs on a task and is idempotent from its beginning, so an error worth
//!   retrying (throttling, a server error) runs it again until the action's time limit.
//! - Drift: `alive` answers from what the last DescribeInstances saw (`drift.rs`), and
//!   starts the next one, so it never blocks the reconciler.
//!
//! The session's driver state (`Machine`) says what it launches and, once known, which
//! instance it is and where it answers. Connect gives the DCV web URL
//! `https://HOST:PORT/?authToken=TOKEN#SESSION`; DCV asks local-studio whether the token is
//! good (`dcv.rs`). The native client takes the same URL with `dcv://` in front.

mod client;
mod drift;
mod images;
mod instances;
pub mod permissions;
mod states;
mod work;

use super::jobs::Jobs;
use super::{Driver, Progress, Work};
use crate::config::ec2::{DcvHost, Ec2Settings};
use crate::config::{Profile, Studio, StudioConfig};
use crate::lifecycle::DriverLink;
use nimble_model::StreamingSession;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The key of the instance id in a session's driver state (stream tokens are bound to it).
pub const MACHINE_KEY: &str = "instanceId";

/// What an EC2 session's driver state holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    pub studio: String,
    pub profile: String,
    pub owner: String,
    pub streaming_image_id: String,
    pub instance_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_dns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// Whether the last action left the instance running: what `alive` assumes until
    /// EC2 has been asked.
    #[serde(default)]
    pub up: bool,
}

impl Machine {
    pub fn of(state: &Value) -> Option<Machine> {
        serde_json::from_value(state.clone()).ok()
    }

    /// The address the DCV URL and the readiness probe name, as the profile chooses.
    pub fn dcv_address(&self, settings: &Ec2Settings) -> Option<String> {
        let port = settings.dcv_port;
        let host = match &settings.dcv_host {
            DcvHost::Gateway(gateway) if gateway.contains(':') => return Some(gateway.clone()),
            DcvHost::Gateway(gateway) => Some(gateway.clone()),
            DcvHost::PublicDns => self.public_dns.clone(),
            DcvHost::PublicIp => self.public_ip.clone(),
            DcvHost::PrivateIp => self.private_ip.clone(),
        };
        host.filter(|h| !h.is_empty())
            .map(|h| format!("{h}:{port}"))
    }
}

/// The driver state a new session starts with: what it will launch.
pub fn first_state(studio: &Studio, profile: &Profile, session: &StreamingSession) -> Value {
    let machine = Machine {
        studio: studio.studio_id.clone(),
        profile: profile.api.launch_profile_id.clone().unwrap_or_default(),
        owner: session.owned_by.clone().unwrap_or_default(),
        streaming_image_id: session.streaming_image_id.clone().unwrap_or_default(),
        instance_type: session.ec2_instance_type.clone().unwrap_or_default(),
        ..Machine::default()
    };
    serde_json::to_value(machine).unwrap_or(Value::Null)
}

pub struct Ec2 {
    shared: Arc<client::Shared>,
    jobs: Jobs,
    runtime: tokio::runtime::Handle,
    finished: Arc<tokio::sync::Notify>,
}

impl Ec2 {
    /// The driver for `studios`' EC2 profiles, running its calls on the current runtime.
    pub fn new(
        studios: &StudioConfig,
        finished: Arc<tokio::sync::Notify>,
        agent_key: crate::tokens::AgentKey,
    ) -> Ec2 {
        Ec2 {
            shared: Arc::new(client::Shared::new(studios.clone(), agent_key)),
            jobs: Jobs::default(),
            runtime: tokio::runtime::Handle::current(),
            finished,
        }
    }
}

impl Driver for Ec2 {
    fn begin(&self, session: &str, work: Work, link: &DriverLink) {
        let first = Progress::Working(work::first_message(&work).to_owned());
        let Some(job) = self.jobs.start(session, &work, first) else {
            return; // already under way
        };
        let shared = self.shared.clone();
        let finished = self.finished.clone();
        let (session, link) = (session.to_owned(), link.clone());
        self.runtime.spawn(async move {
            let progress = work::run(&shared, &session, &work, &link, &job).await;
            job.report(progress);
            finished.notify_one();
        });
    }

    fn observe(&self, session: &str, work: &Work) -> Progress {
        self.jobs.observe(session, work)
    }

    fn forget(&self, session: &str) {
        self.jobs.forget(session);
    }

    fn alive(&self, _session: &str, state: &Value) -> bool {
        let Some(machine) = Machine::of(state) else {
            return false;
        };
        drift::alive(&self.shared, &self.runtime, &machine)
    }

    fn stream_url(&self, session: &str, _name: &str, state: &Value, token: &str) -> Option<String> {
        let machine = Machine::of(state)?;
        let settings = self.shared.settings(&machine).ok()?;
        let address = machine.dcv_address(&settings)?;
        Some(format!("https://{address}/?authToken={token}#{session}"))
    }

    fn capacity(&self) -> Option<usize> {
        None
    }
}
