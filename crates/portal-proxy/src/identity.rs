//! Who the artist is: a fixed development user, a header set by a trusted SSO gateway, or
//! a login against a users file with argon2 hashes, held in an HttpOnly session cookie.
//! Who is refused gets a [`Refusal`]: 401 without an identity, 403 from an untrusted peer.
//!
//! The users file is read at start, and a sign-in counts only for a user in it: a user
//! removed from the file is signed out by the next start (every sign-in of theirs ends,
//! event streams included, as a restart ends all streams), not before. Until then the
//! proxy goes on with the file it read.
//!
//! A sign-in is checked against the lockout first, then the limits per address and per
//! name (`limits::SignInLimit`); only then is the password hashed, on a
//! blocking thread and at most `login_concurrency` at once, so a flood of sign-ins leaves
//! the async workers free to answer everything else.

use crate::config::{AuthMode, ProxyConfig, UserEntry, UsersFile};
use crate::error::Refusal;
use crate::limits::SignInLimit;
use crate::sign_ins::{self, SignIns};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::{HeaderMap, StatusCode};
use nimble_model::{ApiError, ErrorType};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

pub const SESSION_COOKIE: &str = "portal_session";
/// Failed logins in a row that lock a user out, and for how long.
pub const LOCKOUT_AFTER: u32 = 5;
pub const LOCKOUT_FOR: Duration = Duration::from_secs(15 * 60);
/// The longest user name a sign-in may send; longer is refused before any hashing.
pub const MAX_LOGIN_BYTES: usize = 256;

/// A signed-in artist.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// The name they signed in with (audit log, admin list).
    pub login: String,
    /// The studio user id that sessions are `ownedBy`.
    pub user: String,
    pub admin: bool,
    /// Users-file mode: the sign-in (session cookie) the request came with, as the
    /// store keys it ([`sign_ins::digest`]); the other modes have none of the proxy's.
    pub sign_in: Option<String>,
}

pub struct Identities {
    users: HashMap<String, UserEntry>,
    /// Checked for unknown users, so a wrong name costs the same time as a wrong password.
    dummy_hash: String,
    /// Sessions and failed sign-ins, in the data directory so a restart keeps them.
    sign_ins: SignIns,
    limit: SignInLimit,
    /// Permits to hash: a permit is held until its hash is done, even if the client left.
    hashing: Arc<tokio::sync::Semaphore>,
}

/// An argon2id PHC string for `password` (for the users file).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt =
        SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

fn not_signed_in() -> Refusal {
    let error =
        ApiError::new(ErrorType::AccessDenied, "You are not signed in").with_code("NOT_SIGNED_IN");
    Refusal::new(error).with_status(StatusCode::UNAUTHORIZED)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

impl Identities {
    pub fn load(config: &ProxyConfig) -> Result<Self, String> {
        let users = match &config.auth {
            AuthMode::UsersFile(path) => UsersFile::read(path)?.users,
            _ => HashMap::new(),
        };
        let dummy_hash = hash_password("not a password")?;
        // Only users-file mode signs in here: the others need no file.
        let store_dir = match config.auth {
            AuthMode::UsersFile(_) => config.data_dir.as_deref(),
            _ => None,
        };
        let sign_ins = SignIns::open(
            store_dir,
            config.session_idle,
            config.session_lifetime,
            LOCKOUT_FOR,
        )?;
        // The users file is read only here: whoever left it since the last start is signed
        // out now, so adding the name back later revives no old cookie.
        let ended = sign_ins
            .end_all_but(|login| users.contains_key(login))
            .map_err(|e| format!("sign-in store: {e}"))?;
        if ended > 0 {
            tracing::info!(
                ended,
                "ended the sign-ins of users no longer in the users file"
            );
        }
        Ok(Identities {
            users,
            dummy_hash,
            sign_ins,
            limit: SignInLimit::per_minute(
                config.login_per_minute_per_address,
                config.login_per_minute_per_name,
            )?,
            hashing: Arc::new(tokio::sync::Semaphore::new(config.login_concurrency.max(1))),
        })
    }

    fn identity(config: &ProxyConfig, login: &str) -> Identity {
        Identity {
            login: login.to_owned(),
            user: config.studio_user(login),
            admin: config.admins.iter().any(|a| a == login),
            sign_in: None,
        }
    }

    /// The artist making this request; 401 when there is none, 403 from an untrusted peer.
    pub fn resolve(
        &self,
        config: &ProxyConfig,
        headers: &HeaderMap,
        peer: IpAddr,
    ) -> Result<Identity, Refusal> {
        match &config.auth {
            AuthMode::Dev(user) => Ok(Self::identity(config, user)),
            AuthMode::TrustedHeader(name) => {
                if !trusted_peer(&config.trusted_proxies, peer) {
                    let error = ApiError::new(
                        ErrorType::AccessDenied,
                        "Requests must come through the studio's sign-in gateway",
                    );
                    return Err(error.into());
                }
                // A gateway that appends its header after the client's would otherwise let
                // the client's own value win: more than one is refused.
                let mut values = headers.get_all(name.as_str()).iter();
                let first = values.next();
                if values.next().is_some() {
                    let error = ApiError::new(
                        ErrorType::AccessDenied,
                        "The sign-in gateway's identity header appears more than once",
                    )
                    .with_code("AMBIGUOUS_IDENTITY");
                    return Err(error.into());
                }
                let login = first
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty());
                login
                    .map(|login| Self::identity(config, login))
                    .ok_or_else(not_signed_in)
            }
            AuthMode::UsersFile(_) => {
                let token = cookie(headers, SESSION_COOKIE).ok_or_else(not_signed_in)?;
                match self.sign_ins.session(&token).map_err(store_failed)? {
                    Some(login) if self.users.contains_key(&login) => Ok(Identity {
                        sign_in: Some(sign_ins::digest(&token)),
                        ..Self::identity(config, &login)
                    }),
                    // No longer in the users file (a replica sharing the store signed
                    // them in with an older one): the sign-in is over.
                    Some(_) => {
                        self.sign_ins.close_session(&token).map_err(store_failed)?;
                        Err(not_signed_in())
                    }
                    None => Err(not_signed_in()),
                }
            }
        }
    }

    /// Checks a password from `peer` and opens a session; returns the session token.
    pub async fn login(
        &self,
        peer: IpAddr,
        login: &str,
        password: &str,
    ) -> Result<String, Refusal> {
        // A locked-out name hears so (LOCKED_OUT) rather than a rate limit.
        self.check_lockout(login)?;
        self.limit.check(peer, login)?;
        // Unknown names are checked against a dummy hash: the same time as a wrong password.
        let stored = self
            .users
            .get(login)
            .map_or(self.dummy_hash.clone(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let permit = self.hashing.clone().acquire_owned().await;
        let verified = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify(&stored, &password)
        })
        .await
        .unwrap_or(false);
        let valid = verified && self.users.contains_key(login);
        if !valid {
            self.sign_ins.record_failure(login).map_err(store_failed)?;
            let error = ApiError::new(ErrorType::AccessDenied, "Wrong user name or password")
                .with_code("BAD_CREDENTIALS");
            return Err(Refusal::new(error).with_status(StatusCode::UNAUTHORIZED));
        }
        self.sign_ins.clear_failures(login).map_err(store_failed)?;
        self.sign_ins.open_session(login).map_err(store_failed)
    }

    /// 429 LOCKED_OUT while `login` has failed too often lately.
    fn check_lockout(&self, login: &str) -> Result<(), Refusal> {
        match self.sign_ins.failures(login).map_err(store_failed)? {
            (count, left) if count >= LOCKOUT_AFTER => {
                let minutes = left.as_secs() / 60 + 1;
                let message = format!("Too many failed sign-ins: try again in {minutes} minutes");
                Err(ApiError::new(ErrorType::Throttling, message)
                    .with_code("LOCKED_OUT")
                    .into())
            }
            _ => Ok(()),
        }
    }

    /// Ends the sign-in of the session cookie sent, if any; which one it was, so that its
    /// event streams end too.
    pub fn logout(&self, headers: &HeaderMap) -> Option<String> {
        let token = cookie(headers, SESSION_COOKIE)?;
        if let Err(error) = self.sign_ins.close_session(&token) {
            tracing::error!(%error, "sign-in store: cannot end a session");
        }
        Some(sign_ins::digest(&token))
    }
}

/// Whether `password` matches the PHC string `stored` (argon2: ~33 ms of a core).
fn verify(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Whether `peer` may set the identity header: any peer when no proxy is listed (start
/// allows that only with `insecure_trust_any_client`), else one inside a listed network.
/// An IPv4 peer on a dual-stack listener arrives as `::ffff:a.b.c.d`: it matches IPv4
/// networks as itself.
pub fn trusted_peer(proxies: &[ipnet::IpNet], peer: IpAddr) -> bool {
    let canonical = peer.to_canonical();
    proxies.is_empty()
        || proxies
            .iter()
            .any(|net| net.contains(&peer) || net.contains(&canonical))
}

/// The sign-in store failed (a full disk, say): the request is refused, nothing changes.
fn store_failed(error: rusqlite::Error) -> Refusal {
    tracing::error!(%error, "sign-in store");
    let error = ApiError::new(ErrorType::InternalServerError, "Sign-ins are unavailable");
    Refusal::new(error).with_status(StatusCode::SERVICE_UNAVAILABLE)
}

#[cfg(test)]
impl Identities {
    fn sign_ins(&self) -> &SignIns {
        &self.sign_ins
    }
}

/// The Set-Cookie value for a session (or its removal when `token` is empty).
pub fn session_cookie(token: &str, lifetime: Duration, secure: bool) -> String {
    let max_age = if token.is_empty() {
        0
    } else {
        lifetime.as_secs()
    };
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    )
}

#[cfg(test)]
mod tests;
