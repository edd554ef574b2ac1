//! Configuration: built by `main.rs` from flags, environment variables and a TOML file, or
//! directly by embedders and tests.

use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where signed calls go.
#[derive(Clone, Debug)]
// Built once at start: the size of the embedded server's config costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Upstream {
    /// local-studio in this process, on a loopback port.
    Embedded(local_studio::Config),
    /// Any Nimble-compatible endpoint; `None` credentials use the AWS default chain.
    Url {
        endpoint: String,
        credentials: Option<(String, String)>,
    },
}

/// How the proxy learns who the artist is.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthMode {
    /// Everyone is this user. Development only.
    Dev(String),
    /// The user is in this header, set by an SSO gateway; safe only behind that gateway.
    TrustedHeader(String),
    /// A login page backed by this TOML file of users and argon2 hashes.
    UsersFile(PathBuf),
}

impl FromStr for AuthMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (mode, value) = text
            .split_once(':')
            .ok_or_else(|| format!("--auth {text:?}: expected MODE:VALUE"))?;
        if value.is_empty() {
            return Err(format!("--auth {text:?}: the value after ':' is empty"));
        }
        match mode {
            "dev" => Ok(AuthMode::Dev(value.to_owned())),
            "trusted-header" => Ok(AuthMode::TrustedHeader(value.to_ascii_lowercase())),
            "users-file" => Ok(AuthMode::UsersFile(PathBuf::from(value))),
            _ => Err(format!(
                "--auth {text:?}: the mode is dev, trusted-header or users-file"
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub upstream: Upstream,
    pub auth: AuthMode,
    pub studio_id: String,
    pub region: String,
    /// The built portal (`trunk build --release` output); `None` serves only the API.
    pub dist: Option<PathBuf>,
    /// Logins that may see and act on every session of the studio.
    pub admins: Vec<String>,
    /// Login → studio user id (the `ownedBy` of sessions); unmapped logins are their own.
    pub user_map: HashMap<String, String>,
    /// Trusted-header mode: only these peers may send the identity header. In every mode,
    /// only these peers' `X-Forwarded-Host` and `X-Forwarded-Proto` count.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The origins browsers load the portal from (`https://portal.studio.example`), which
    /// the same-origin check accepts beside the request's own `Host`; normalised by
    /// [`parse_origin`].
    pub public_origins: Vec<String>,
    /// Trusted-header mode without `trusted_proxies`: start anyway, trusting the header from
    /// anyone who can reach the port. Without it, such a config does not start.
    pub insecure_trust_any_client: bool,
    /// Requests per minute per user, with bursts of a fifth of it; beyond, 429.
    pub rate_limit_per_minute: u32,
    /// The same for each of `admins`, whose page reads the whole fleet.
    pub admin_rate_limit_per_minute: u32,
    pub body_limit_bytes: usize,
    /// How long a list or get answer is reused; writes through the proxy clear it.
    pub cache_ttl: Duration,
    /// How many distinct reads' answers are kept at most (queries are the client's choice).
    pub cache_max_entries: usize,
    pub upstream_timeout: Duration,
    /// Attempts of an idempotent call on 429, 5xx or a connection error.
    pub max_attempts: u32,
    /// Users-file sign-ins end this long after they began, however busy…
    pub session_lifetime: Duration,
    /// …and this long after their last request.
    pub session_idle: Duration,
    /// Where the proxy keeps its own state (users-file sign-ins and lockouts, in
    /// `sign-ins.sqlite3`); `None` keeps it in memory, lost on restart.
    pub data_dir: Option<PathBuf>,
    /// Sign-in attempts per minute from one client address, and for one user name;
    /// beyond, 429 before any hashing.
    pub login_per_minute_per_address: u32,
    pub login_per_minute_per_name: u32,
    /// Password hashes computed at once (each ~33 ms of a core); more sign-ins wait.
    pub login_concurrency: usize,
    /// Head and body read timeouts and connection cap of the proxy's own HTTP server.
    pub connection_limits: serving::Limits,
    /// Peers that may read `/metrics` and `/readyz` without a token (default: loopback).
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// A bearer token that opens `/metrics` and `/readyz` from anywhere.
    pub metrics_token: Option<String>,
    /// `/api/events` (live updates over server-sent events); off, it answers 404 and the
    /// portal polls instead.
    pub live_updates: bool,
    /// Event streams one artist may hold open at once; beyond, 429.
    pub live_connections_per_user: usize,
}

impl ProxyConfig {
    /// Defaults for everything but where to send calls and how to sign in.
    pub fn new(upstream: Upstream, auth: AuthMode) -> Self {
        ProxyConfig {
            upstream,
            auth,
            studio_id: "demo-studio".into(),
            region: "us-west-2".into(),
            dist: None,
            admins: Vec::new(),
            user_map: HashMap::new(),
            trusted_proxies: Vec::new(),
            public_origins: Vec::new(),
            insecure_trust_any_client: false,
            rate_limit_per_minute: 600,
            admin_rate_limit_per_minute: 6000,
            body_limit_bytes: 64 * 1024,
            cache_ttl: Duration::from_millis(1000),
            cache_max_entries: 1000,
            upstream_timeout: Duration::from_secs(10),
            max_attempts: 3,
            session_lifetime: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(4 * 3600),
            data_dir: None,
            login_per_minute_per_address: 10,
            login_per_minute_per_name: 5,
            login_concurrency: 2,
            connection_limits: serving::Limits::default(),
            metrics_allow: loopback(),
            metrics_token: None,
            live_updates: true,
            live_connections_per_user: 16,
        }
    }

    /// Refuses a config that would be open to anyone: trusted-header mode needs the
    /// gateway's networks, or an explicit `insecure_trust_any_client`.
    pub fn check(&self) -> Result<(), String> {
        let header_mode = matches!(self.auth, AuthMode::TrustedHeader(_));
        if header_mode && self.trusted_proxies.is_empty() && !self.insecure_trust_any_client {
            return Err(
                "trusted-header mode needs --trusted-proxy CIDR (the sign-in gateway's \
                 network): without it anyone who can reach this port can claim any user. \
                 --insecure-trust-any-client starts anyway"
                    .into(),
            );
        }
        Ok(())
    }

    /// The studio user a login acts as.
    pub fn studio_user(&self, login: &str) -> String {
        self.user_map
            .get(login)
            .cloned()
            .unwrap_or_else(|| login.to_owned())
    }
}

/// `scheme://host[:port]` in lower case, as browsers send it in `Origin`; a path, a
/// trailing slash or another scheme than http and https is refused with a clear message.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let origin = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .filter(|host| !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']));
    match host {
        Some(_) => Ok(origin),
        None => Err(format!(
            "--public-origin {text:?} is not an origin: give scheme://host[:port], such as https://portal.studio.example"
        )),
    }
}

/// This machine only: the default of `metrics_allow`.
pub fn loopback() -> Vec<ipnet::IpNet> {
    let v4 = ipnet::Ipv4Net::new(std::net::Ipv4Addr::LOCALHOST, 8).unwrap_or_default();
    let v6 = ipnet::Ipv6Net::new(std::net::Ipv6Addr::LOCALHOST, 128).unwrap_or_default();
    vec![v4.into(), v6.into()]
}

/// The TOML file of `--config`: every flag, plus the tables flags cannot express.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub upstream: Option<String>,
    pub studio_id: Option<String>,
    pub region: Option<String>,
    pub dist: Option<PathBuf>,
    pub auth: Option<String>,
    /// Credentials for `upstream = URL` when not from the AWS chain.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub admins: Vec<String>,
    #[serde(default)]
    pub user_map: HashMap<String, String>,
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    #[serde(default)]
    pub public_origins: Vec<String>,
    #[serde(default)]
    pub insecure_trust_any_client: bool,
    pub rate_limit_per_minute: Option<u32>,
    pub admin_rate_limit_per_minute: Option<u32>,
    pub body_limit_bytes: Option<usize>,
    pub cache_ttl_ms: Option<u64>,
    pub cache_max_entries: Option<usize>,
    pub login_per_minute_per_address: Option<u32>,
    pub login_per_minute_per_name: Option<u32>,
    pub login_concurrency: Option<usize>,
    pub max_connections: Option<usize>,
    pub header_read_timeout_ms: Option<u64>,
    /// How long a request body may take to arrive whole, from the end of its head.
    pub body_read_timeout_ms: Option<u64>,
    /// Networks that may read `/metrics` and `/readyz` (default: loopback only).
    pub metrics_allow: Option<Vec<String>>,
    /// The bearer token that opens `/metrics` and `/readyz` from anywhere.
    pub metrics_token: Option<String>,
    /// The proxy's own data directory (default: the platform data directory).
    pub data_dir: Option<PathBuf>,
    pub session_lifetime_minutes: Option<u64>,
    pub session_idle_minutes: Option<u64>,
    /// The embedded local-studio's data directory (default: the platform data directory).
    pub embedded_data_dir: Option<PathBuf>,
    /// `false` turns `/api/events` off (the portal then polls).
    pub live_updates: Option<bool>,
    pub live_connections_per_user: Option<usize>,
}

/// One entry of the users file (`[users.NAME]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// An argon2 PHC string (`portal-proxy hash-password` makes one).
    pub password_hash: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersFile {
    #[serde(default)]
    pub users: HashMap<String, UserEntry>,
}

impl UsersFile {
    /// The users file at `path`, each hash checked to be an argon2 PHC string.
    pub fn read(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?;
        let file: UsersFile = toml::from_str(&text)
            .map_err(|e| format!("invalid users file {}: {e}", path.display()))?;
        for (name, entry) in &file.users {
            argon2::PasswordHash::new(&entry.password_hash).map_err(|e| {
                format!("users file: {name}: password_hash is not an argon2 hash: {e}")
            })?;
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_modes_parse_and_explain_mistakes() {
        assert_eq!("dev:alice".parse(), Ok(AuthMode::Dev("alice".into())));
        assert_eq!(
            "trusted-header:X-Forwarded-User".parse(),
            Ok(AuthMode::TrustedHeader("x-forwarded-user".into()))
        );
        assert_eq!(
            "users-file:/etc/u.toml".parse(),
            Ok(AuthMode::UsersFile("/etc/u.toml".into()))
        );
        assert!("dev:".parse::<AuthMode>().unwrap_err().contains("empty"));
        assert!("oauth:x"
            .parse::<AuthMode>()
            .unwrap_err()
            .contains("dev, trusted-header or users-file"));
    }
}
