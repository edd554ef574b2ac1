//! The checks that stand between a signed-in artist and the upstream. Each one either lets
//! the call through or says why not, as a [`Refusal`] (or, for ownership, the failed
//! lookup's own answer).
//!
//! - **CSRF.** A cross-site page can make the browser send a simple POST with the artist's
//!   cookie, but it cannot add a custom header or forge the Origin without a CORS
//!   preflight, which this server never grants. So every request other than GET and HEAD
//!   must carry `X-Studio-Portal: 1` and, when it has an Origin, one of the portal's own
//!   ([`csrf`]). The login form cannot set headers: it is held to the Origin check alone
//!   ([`same_origin`]), as is the event stream.
//! - **Rate limit.** A token bucket per studio user ([`RateLimit`]), and for sign-ins,
//!   before any password hashing, one per client address and one per name
//!   ([`SignInLimit`]); the refusal says in Retry-After when the next request will be
//!   accepted.
//! - **Ownership.** Operations on one session or backup need its owner to be the artist
//!   (or the artist to be an admin): [`check_owner`] learns the owner once, through the
//!   upstream's Get, and remembers it, since ownership never changes. A stranger gets the
//!   same 404 as a missing resource, so ids reveal nothing.

use crate::authorize::{self, Rule};
use crate::config::ProxyConfig;
use crate::error::Refusal;
use crate::forward;
use crate::identity::Identity;
use crate::routes::State;
use crate::upstream::{Answer, Call};
use crate::Error;
use axum::http::{HeaderMap, Method};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use nimble_model::{ApiError, ErrorType, Operation, Route};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

/// Whether the request's Origin, when it has one, is one of this portal's own; otherwise a
/// 403 that names the origin it came from and the origins allowed (logged too, so an
/// administrator sees a front end that rewrites `Host` at once). This portal's origins:
/// - every `--public-origin` (what a browser shows in its address bar: the TLS front end's
///   `https://portal.studio.example`, or `trunk serve`'s address in development);
/// - what a `--trusted-proxy` peer forwards (`X-Forwarded-Proto://X-Forwarded-Host`), and from
///   no one else;
/// - the `Host` the request was sent to, as plain HTTP or HTTPS (a front end that passes
///   `Host` on unchanged needs no setting).
pub fn same_origin(config: &ProxyConfig, peer: IpAddr, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(origin) = headers.get("origin") else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let allowed = own_origins(config, peer, headers);
    if allowed.contains(&origin) {
        return Ok(());
    }
    tracing::warn!(%origin, allowed = ?allowed, %peer, "refused as cross-site");
    Err(cross_site(&origin, &allowed))
}

/// The origins a request from `peer` with `headers` may come from.
fn own_origins(config: &ProxyConfig, peer: IpAddr, headers: &HeaderMap) -> Vec<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let mut allowed = config.public_origins.clone();
    let trusted = !config.trusted_proxies.is_empty()
        && crate::identity::trusted_peer(&config.trusted_proxies, peer);
    if let (true, Some(host)) = (trusted, header("x-forwarded-host")) {
        // A chain of proxies appends: the first is what the browser asked for.
        let first = |v: &str| v.split(',').next().unwrap_or("").trim().to_owned();
        let proto = header("x-forwarded-proto").map_or("https".into(), first);
        allowed.push(format!("{proto}://{}", first(host)));
    }
    if let Some(host) = header("host") {
        allowed.extend(["http", "https"].map(|scheme| format!("{scheme}://{host}")));
    }
    allowed.iter().map(|o| o.to_ascii_lowercase()).collect()
}

/// Non-GET requests must carry our custom header and, when present, our own Origin.
pub fn csrf(
    config: &ProxyConfig,
    peer: IpAddr,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    let marked = headers.get("x-studio-portal").and_then(|v| v.to_str().ok()) == Some("1");
    if !marked {
        return Err(ApiError::new(
            ErrorType::AccessDenied,
            "Cross-site request refused: send X-Studio-Portal: 1 from the portal's own origin",
        )
        .with_code("CSRF")
        .into());
    }
    same_origin(config, peer, headers)
}

/// 403 for a request from `origin`, which is none of `allowed`.
fn cross_site(origin: &str, allowed: &[String]) -> Refusal {
    ApiError::new(
        ErrorType::AccessDenied,
        format!(
            "Cross-site request refused: it came from {origin}, and this portal's origins are {}. \
             If that is this portal's address, start portal-proxy with --public-origin {origin} \
             (or pass X-Forwarded-Host from a --trusted-proxy)",
            allowed.join(", ")
        ),
    )
    .with_code("CSRF")
    .into()
}

/// Requests per minute per studio user, in bursts of up to a fifth of that.
pub struct RateLimit(DefaultKeyedRateLimiter<String>);

impl RateLimit {
    pub fn per_minute(per_minute: u32) -> Result<Self, Error> {
        let rate = NonZeroU32::new(per_minute)
            .ok_or_else(|| Error::Config("the rate limit must be at least 1 per minute".into()))?;
        let burst = NonZeroU32::new((per_minute / 5).max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(RateLimit(RateLimiter::keyed(
            Quota::per_minute(rate).allow_burst(burst),
        )))
    }

    /// Takes one request from `user`'s bucket, or refuses with 429 and Retry-After.
    pub fn check(&self, user: &str) -> Result<(), Refusal> {
        take(&self.0, &user.to_owned())
    }
}

/// Takes one from `key`'s bucket, or refuses with 429 Throttling and Retry-After.
fn take<K: Clone + Hash + Eq>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Refusal> {
    let Err(not_until) = limiter.check_key(key) else {
        return Ok(());
    };
    let seconds = not_until
        .wait_time_from(DefaultClock::default().now())
        .as_secs()
        + 1;
    let error = ApiError::new(
        ErrorType::Throttling,
        format!("Too many requests: wait {seconds} s"),
    )
    .with_code("RATE_LIMITED");
    Err(Refusal::new(error).retry_after(seconds))
}

/// Sign-in attempts per minute per client address and per user name (each may be spent
/// at once, then refills evenly), checked before any password is hashed.
pub struct SignInLimit {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_name: DefaultKeyedRateLimiter<String>,
    checks: AtomicU32,
}

impl SignInLimit {
    pub fn per_minute(per_address: u32, per_name: u32) -> Result<Self, String> {
        let quota = |n: u32| {
            NonZeroU32::new(n)
                .map(Quota::per_minute)
                .ok_or("sign-in limits must be at least 1 per minute")
        };
        Ok(SignInLimit {
            per_address: RateLimiter::keyed(quota(per_address)?),
            per_name: RateLimiter::keyed(quota(per_name)?),
            checks: AtomicU32::new(0),
        })
    }

    /// Takes one attempt from `peer`'s bucket, then one from `name`'s. An address over
    /// its limit spends nothing of the name's, so it cannot lock a name out faster.
    pub fn check(&self, peer: IpAddr, name: &str) -> Result<(), Refusal> {
        // Full buckets hold nothing worth keeping: forget them now and then.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.per_address.retain_recent();
            self.per_name.retain_recent();
        }
        take(&self.per_address, &peer.to_canonical())?;
        take(&self.per_name, &name.to_owned())
    }
}

/// A kind of resource that belongs to one artist: how to learn its owner, and its name in
/// the 404 a stranger gets.
struct Owned {
    /// The upstream operation that reads one, and the member of its answer that holds it.
    lookup: Operation,
    member: &'static str,
    noun: &'static str,
    /// Prefix of its key in the owners cache.
    prefix: &'static str,
}

const SESSION: Owned = Owned {
    lookup: Operation::GetStreamingSession,
    member: "session",
    noun: "Streaming session",
    prefix: "session",
};

const BACKUP: Owned = Owned {
    lookup: Operation::GetStreamingSessionBackup,
    member: "streamingSessionBackup",
    noun: "Streaming session backup",
    prefix: "backup",
};

impl Owned {
    /// What `route` acts on and its id, when its rule asks for the owner.
    fn of(route: &Route) -> Option<(&'static Owned, &str)> {
        match authorize::rule(route.operation) {
            Rule::SessionOwner => Some((&SESSION, route.session_id().unwrap_or(""))),
            Rule::BackupOwner => Some((&BACKUP, route.backup_id().unwrap_or(""))),
            Rule::Open | Rule::OwnedByFilter | Rule::OwnedByOnCreate => None,
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}/{id}", self.prefix)
    }
}

/// Lets the call through when the artist owns what it acts on, or is an admin. `Err` is
/// what the browser gets instead: the 404 of a missing resource for a stranger, or the
/// owner lookup's own answer when that failed.
pub async fn check_owner(state: &State, identity: &Identity, route: &Route) -> Result<(), Answer> {
    let Some((owned, id)) = Owned::of(route) else {
        return Ok(());
    };
    let key = owned.key(id);
    let owner = match state.owners.get(&key) {
        Some(owner) => owner,
        None => {
            let lookup = Route::new(owned.lookup, [route.studio_id(), id]);
            let (answer, _) =
                forward::coalesced_read(state, &Call::read(&lookup, String::new())).await;
            if !answer.is_success() {
                return Err(answer);
            }
            // An answer without an owner leaves it empty: only an admin gets through.
            let owner = answer
                .success_json()
                .and_then(|json| json[owned.member]["ownedBy"].as_str().map(str::to_owned))
                .unwrap_or_default();
            state.owners.remember(&key, &owner);
            owner
        }
    };
    if identity.admin || owner == identity.user {
        Ok(())
    } else {
        Err(Refusal::from(ApiError::not_found(owned.noun, id)).into())
    }
}

/// Remembers the owner a successful write's answer names (a create names its new session
/// only there), so the next call on that session needs no lookup.
pub fn learn_owner(state: &State, answer: &Answer) {
    let Some(json) = answer.success_json() else {
        return;
    };
    if let (Some(id), Some(owner)) = (
        json["session"]["sessionId"].as_str(),
        json["session"]["ownedBy"].as_str(),
    ) {
        state.owners.remember(&SESSION.key(id), owner);
    }
}
