//! A launch profile's `[studios.launch_profiles.ec2]` table: where its workstations run on
//! AWS and how the portal reaches them. Everything that is not AWS's own default is
//! spelled out here, so a profile reads as the RunInstances call it makes:
//!
//! ```toml
//! [studios.launch_profiles.ec2]
//! region = "us-west-2"
//! subnet_id = "subnet-0abc"                 # absent: the default VPC's
//! security_group_ids = ["sg-0abc"]          # must let artists reach DCV (8443)
//! instance_profile = "studio-workstation"   # name or ARN; s3:GetObject on the DCV licence
//! tags = { project = "show-42" }            # beside the portal's own studio-portal:* tags
//! user_data_template = "deploy/ec2/user-data.sh"
//! verifier_url = "https://portal.example.com/dcv/verify"
//! dcv_host = "public-dns"                   # or "private-ip", "public-ip", "gateway:HOST[:PORT]"
//! readiness_probe = "dcv"                   # or "none", or "tcp:HOST:PORT" (tests)
//! os_users = { alice = "alice" }            # DCV login per studio user; absent: the user id
//! # endpoint_url = "http://127.0.0.1:5000"  # another EC2 API (tests: moto)
//! ```
//!
//! Credentials never appear here: they come from aws-config's chain (environment,
//! profile, SSO, instance role).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Settings {
    pub region: String,
    /// Another EC2 endpoint (moto in tests, a VPC endpoint); absent: AWS's own.
    pub endpoint_url: Option<String>,
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    /// The instance profile (name or ARN) the workstation runs with.
    pub instance_profile: Option<String>,
    pub key_name: Option<String>,
    /// Added to every instance, volume and backup image, beside the portal's own.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// A shell script rendered per session (`{{session_id}}`, `{{os_user}}`,
    /// `{{verifier_url}}`, `{{dcv_port}}`, `{{region}}`) and sent as user data.
    pub user_data_template: Option<PathBuf>,
    /// Where the workstation's DCV server asks whether a token is good (this server's
    /// `/dcv/verify` as the instance reaches it).
    pub verifier_url: Option<String>,
    #[serde(default)]
    pub dcv_host: DcvHost,
    #[serde(default = "default_dcv_port")]
    pub dcv_port: u16,
    #[serde(default)]
    pub readiness_probe: Probe,
    /// The OS user each studio user logs in to DCV as; absent: the studio user id itself.
    #[serde(default)]
    pub os_users: BTreeMap<String, String>,
    /// Attempts per EC2 call (the SDK's standard retry mode, with exponential backoff and
    /// jitter for throttling and server errors).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// How often an action in flight looks at its instance again.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
}

/// Which address the DCV URL (and the readiness probe) names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum DcvHost {
    #[default]
    PublicDns,
    PublicIp,
    PrivateIp,
    /// An Amazon DCV Connection Gateway in front of the instances: `HOST[:PORT]`.
    Gateway(String),
}

impl TryFrom<String> for DcvHost {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "public-dns" => Ok(DcvHost::PublicDns),
            "public-ip" => Ok(DcvHost::PublicIp),
            "private-ip" => Ok(DcvHost::PrivateIp),
            _ => match text.strip_prefix("gateway:") {
                Some(host) if !host.is_empty() => Ok(DcvHost::Gateway(host.to_owned())),
                _ => Err(format!(
                    "dcv_host must be public-dns, public-ip, private-ip or gateway:HOST[:PORT], not {text:?}"
                )),
            },
        }
    }
}

/// What must answer before a workstation counts as READY, beside EC2's status checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Probe {
    /// A TCP connection to DCV's port on the instance's address.
    #[default]
    Dcv,
    None,
    /// A TCP connection to this address instead (a test's own listener).
    Tcp(String),
}

impl TryFrom<String> for Probe {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "dcv" => Ok(Probe::Dcv),
            "none" => Ok(Probe::None),
            _ => match text.strip_prefix("tcp:") {
                Some(addr) if addr.contains(':') => Ok(Probe::Tcp(addr.to_owned())),
                _ => Err(format!(
                    "readiness_probe must be dcv, none or tcp:HOST:PORT, not {text:?}"
                )),
            },
        }
    }
}

fn default_dcv_port() -> u16 {
    8443
}

fn default_attempts() -> u32 {
    8
}

fn default_backoff_ms() -> u64 {
    1000
}

fn default_poll_ms() -> u64 {
    2000
}

impl Ec2Settings {
    /// The OS user `owner` logs in to DCV as. It is written into the user-data script,
    /// so only a plain Linux user name is accepted.
    pub fn os_user(&self, owner: &str) -> Result<String, String> {
        let user = self
            .os_users
            .get(owner)
            .map(String::as_str)
            .unwrap_or(owner);
        let plain = user.len() <= 32
            && user.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && user
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if plain {
            Ok(user.to_owned())
        } else {
            Err(format!(
                "{user:?} cannot be an OS user on the workstation (lower-case letters, digits, _ and -, at most 32); map {owner:?} in the launch profile's ec2.os_users"
            ))
        }
    }

    /// Checks what can be checked before any call: the template is readable, the numbers
    /// make sense.
    pub fn check(&self) -> Result<(), String> {
        if self.region.is_empty() {
            return Err("ec2.region is required".into());
        }
        if self.max_attempts == 0 || self.poll_ms == 0 {
            return Err("ec2.max_attempts and ec2.poll_ms must be at least 1".into());
        }
        if let Some(path) = &self.user_data_template {
            let template = std::fs::read_to_string(path)
                .map_err(|e| format!("ec2.user_data_template {}: {e}", path.display()))?;
            if template.contains("{{verifier_url}}") && self.verifier_url.is_none() {
                return Err(format!(
                    "ec2.user_data_template {} uses {{{{verifier_url}}}}: set ec2.verifier_url (this server's /dcv/verify as instances reach it)",
                    path.display()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_users_are_plain_linux_names_because_user_data_holds_them() {
        let settings: Ec2Settings =
            toml::from_str("region = \"us-west-2\"\nos_users = { \"Alice Smith\" = \"alice\" }")
                .unwrap();
        assert_eq!(settings.os_user("Alice Smith").unwrap(), "alice");
        assert_eq!(settings.os_user("bob").unwrap(), "bob", "unmapped: the id");
        for bad in [
            "Carol",
            "dave; reboot",
            "$(id)",
            "",
            "a234567890123456789012345678901234",
        ] {
            let error = settings.os_user(bad).unwrap_err();
            assert!(error.contains("ec2.os_users"), "{bad}: {error}");
        }
    }

    #[test]
    fn dcv_hosts_and_probes_read_as_documented() {
        let host = |t: &str| DcvHost::try_from(t.to_owned());
        assert_eq!(
            host("gateway:gw.example.com:8443"),
            Ok(DcvHost::Gateway("gw.example.com:8443".into()))
        );
        assert!(host("gateway:").is_err());
        let probe = |t: &str| Probe::try_from(t.to_owned());
        assert_eq!(
            probe("tcp:127.0.0.1:9"),
            Ok(Probe::Tcp("127.0.0.1:9".into()))
        );
        assert_eq!(probe("none"), Ok(Probe::None));
        assert!(probe("tcp:nohost").is_err());
    }
}
