//! How often a studio user may call the API ([`RateLimit`]: a token bucket per user), and
//! how often anyone may try to sign in ([`SignInLimit`]: per client address and per name,
//! checked before any password is hashed). Beyond either, a 429 whose Retry-After says
//! when the next request will be accepted.

use crate::error::{Error, Refusal};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use nimble_model::{ApiError, ErrorType};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

/// Requests per minute per studio user, in bursts of up to a fifth of that. Admins have
/// their own, larger allowance: the admin page reads the whole fleet (5,000 workstations
/// are 100 list pages), and an artist's allowance would throttle it on the second reload.
pub struct RateLimit {
    artists: DefaultKeyedRateLimiter<String>,
    admins: DefaultKeyedRateLimiter<String>,
}

impl RateLimit {
    pub fn per_minute(artists: u32, admins: u32) -> Result<Self, Error> {
        Ok(RateLimit {
            artists: limiter(artists)?,
            admins: limiter(admins)?,
        })
    }

    /// Takes one request from `user`'s bucket (an admin's, or an artist's), or refuses
    /// with 429 and Retry-After.
    pub fn check(&self, user: &str, admin: bool) -> Result<(), Refusal> {
        let limiter = if admin { &self.admins } else { &self.artists };
        take(limiter, &user.to_owned())
    }
}

/// A bucket per user of `per_minute`, in bursts of a fifth of it.
fn limiter(per_minute: u32) -> Result<DefaultKeyedRateLimiter<String>, Error> {
    let rate = NonZeroU32::new(per_minute)
        .ok_or_else(|| Error::Config("rate limits must be at least 1 per minute".into()))?;
    let burst = NonZeroU32::new((per_minute / 5).max(1)).unwrap_or(NonZeroU32::MIN);
    Ok(RateLimiter::keyed(
        Quota::per_minute(rate).allow_burst(burst),
    ))
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
