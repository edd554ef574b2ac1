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
//! The EC2 driver (`drivers/ec2/`) reads these settings; they live with the rest of the
//! studio's settings, so that reading a config file needs nothing from the driver.
//!
//! Credentials never appear here: they come from aws-config's chain (environment,
//! profile, SSO, instance role). A DCV login is never a system account (root, or a uid
//! below 1000 here): a mapping to one stops the server from starting, and an owner whose
//! own id is one is refused at create.

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

/// The lowest uid of a person's account (`UID_MIN` of login.defs on Debian, Ubuntu,
/// Amazon Linux and RHEL alike); below it are system accounts.
const FIRST_PERSON_UID: u32 = 1000;
/// `nobody`, the kernel's overflow uid: a system account above the people's range.
const NOBODY_UID: u32 = 65534;

/// Whether `user` may log in to a workstation's DCV: a plain Linux name, because the
/// user-data script holds it, and no system account, because DCV would give the artist a
/// desktop as that account (as root, the whole instance).
fn check_os_user(user: &str) -> Result<(), String> {
    let plain = user.len() <= 32
        && user.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && user
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !plain {
        return Err(format!(
            "{user:?} cannot be an OS user on the workstation (lower-case letters, digits, _ and -, at most 32)"
        ));
    }
    match system_uid(user) {
        Some(uid) => Err(format!(
            "{user:?} is a system account (uid {uid} on this host), and a workstation's DCV user must be a person's account (uid {FIRST_PERSON_UID} or above)"
        )),
        None => Ok(()),
    }
}

/// The uid of `user` when it is a system account: root always, and any account of this
/// host's user database below the people's range, or nobody. Standard images number their
/// system accounts as this host does; a name this host does not know is not refused.
fn system_uid(user: &str) -> Option<u32> {
    if user == "root" {
        return Some(0);
    }
    let uid = nix::unistd::User::from_name(user).ok()??.uid.as_raw();
    (uid < FIRST_PERSON_UID || uid == NOBODY_UID).then_some(uid)
}

impl Ec2Settings {
    /// The OS user `owner` logs in to DCV as (see [`check_os_user`]).
    pub fn os_user(&self, owner: &str) -> Result<String, String> {
        let user = self
            .os_users
            .get(owner)
            .map(String::as_str)
            .unwrap_or(owner);
        check_os_user(user)
            .map_err(|why| format!("{why}; map {owner:?} in the launch profile's ec2.os_users"))?;
        Ok(user.to_owned())
    }

    /// Checks what can be checked before any call: the OS users named are usable, the
    /// template is readable, the numbers make sense.
    pub fn check(&self) -> Result<(), String> {
        if self.region.is_empty() {
            return Err("ec2.region is required".into());
        }
        if self.max_attempts == 0 || self.poll_ms == 0 {
            return Err("ec2.max_attempts and ec2.poll_ms must be at least 1".into());
        }
        for (artist, user) in &self.os_users {
            check_os_user(user)
                .map_err(|why| format!("ec2.os_users.{artist} = {user:?}: {why}"))?;
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
    fn system_accounts_are_never_dcv_users_whether_owners_or_mapped() {
        let settings: Ec2Settings = toml::from_str(
            "region = \"us-west-2\"\nos_users = { alice = \"alice_ws\", ops = \"root\" }",
        )
        .unwrap();
        for (owner, user) in [("root", "root"), ("daemon", "daemon"), ("ops", "root")] {
            let error = settings.os_user(owner).unwrap_err();
            assert!(
                error.contains(&format!("{user:?} is a system account"))
                    && error.contains("ec2.os_users"),
                "{owner}: {error}"
            );
        }
        let error = settings.check().unwrap_err();
        assert!(
            error.starts_with("ec2.os_users.ops = \"root\": \"root\" is a system account (uid 0"),
            "{error}"
        );
        assert_eq!(settings.os_user("alice").unwrap(), "alice_ws");
        assert_eq!(
            system_uid("no-such-user-here"),
            None,
            "unknown here: allowed"
        );
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
