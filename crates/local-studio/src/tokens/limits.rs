//! How often stream tokens (and reconnect grants) may be presented, to `/desktop/ws` and
//! `/dcv/verify` together: token buckets (governor's) per client address and per token,
//! taken before the store is read, so a client beyond them costs a hash and a map lookup
//! and learns nothing.
//!
//! - **Per address**: 10 attempts a second, in bursts of up to 20. A browser opens one
//!   WebSocket per Connect, and a workstation's DCV server asks once per connection, so
//!   only guessing or a runaway client comes near it. The address is the TCP peer's: behind
//!   a reverse proxy or a NAT gateway its clients share one budget. An IPv6 client is
//!   counted by its /64, which one host usually holds whole.
//! - **Per token**: 5 attempts, then one every 12 s. A token is good once; a few more
//!   tries cover a viewer's reload or a DCV client that asks again, and nothing more
//!   is needed. Tokens are counted by their hash, so no token is held here.
//!
//! Beyond either, the answer is 429 with Retry-After (to DCV as well: it treats any
//! answer but 200 as a refusal). An address over its limit spends nothing of a token's.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

const PER_ADDRESS_PER_SECOND: NonZeroU32 = NonZeroU32::new(10).unwrap();
const PER_ADDRESS_BURST: NonZeroU32 = NonZeroU32::new(20).unwrap();
const PER_TOKEN_PER_MINUTE: NonZeroU32 = NonZeroU32::new(5).unwrap();

pub struct Limits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_token: DefaultKeyedRateLimiter<String>,
    checks: AtomicU32,
}

/// Refused for now: try again in `retry_after_secs`.
#[derive(Debug, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_address: RateLimiter::keyed(
                Quota::per_second(PER_ADDRESS_PER_SECOND).allow_burst(PER_ADDRESS_BURST),
            ),
            per_token: RateLimiter::keyed(Quota::per_minute(PER_TOKEN_PER_MINUTE)),
            checks: AtomicU32::new(0),
        }
    }
}

impl Limits {
    /// Takes one attempt from `peer`'s bucket, then one from `token`'s.
    pub fn check(&self, peer: IpAddr, token: &str) -> Result<(), Throttled> {
        // Full buckets hold nothing worth keeping: forget them now and then.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.per_address.retain_recent();
            self.per_token.retain_recent();
        }
        take(&self.per_address, &client_of(peer))?;
        take(&self.per_token, &super::token_hash(token))
    }
}

/// The key an address is counted by: IPv4 (also when mapped into IPv6) as is, IPv6 by
/// its /64.
fn client_of(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

fn take<K: Clone + std::hash::Hash + Eq>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Throttled> {
    limiter.check_key(key).map_err(|not_until| Throttled {
        retry_after_secs: not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_and_a_token_each_have_their_own_budget() {
        let limits = Limits::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..20 {
            assert_eq!(limits.check(a, &format!("t{i}")), Ok(()), "{i}");
        }
        assert!(limits.check(a, "t-new").is_err(), "the 21st at once");
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..5 {
            assert_eq!(limits.check(b, "same"), Ok(()));
        }
        let refused = limits.check(b, "same").unwrap_err();
        assert!((1..=13).contains(&refused.retry_after_secs), "{refused:?}");
        assert_eq!(limits.check(b, "other"), Ok(()));
    }

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_of(one), client_of(two));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_of(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }
}
