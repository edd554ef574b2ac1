//! [`State`]: everything the handlers share, built once at start.
//!
//! It sits below every handler: it imports the parts it is made of (config, identities,
//! the upstream client and its read cache, the owners cache, limits, metrics, the live
//! hub) and nothing that serves a request. Handlers (`routes.rs`, `forward.rs`, `login.rs`,
//! `ops_access.rs`, `live/sse.rs`) and the checks that need the upstream (`owners.rs`)
//! import it; it imports none of them back (`cargo xtask tidy` checks).

use crate::authorize::Owners;
use crate::coalesce::{Coalescer, Source};
use crate::config::{AuthMode, ProxyConfig};
use crate::error::Error;
use crate::identity::Identities;
use crate::limits::RateLimit;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::signing;
use crate::upstream::{self, Answer, Call};
use std::sync::Arc;

/// Everything the handlers share, built once at start.
pub struct State {
    pub config: ProxyConfig,
    pub identities: Identities,
    pub upstream: upstream::Client,
    pub coalescer: Coalescer<Answer>,
    pub owners: Owners,
    pub rate_limit: RateLimit,
    pub metrics: Arc<Metrics>,
    pub live: Arc<Live>,
}

pub type Shared = Arc<State>;

impl State {
    pub fn new(
        config: ProxyConfig,
        endpoint: String,
        credentials: signing::Credentials,
    ) -> Result<Self, Error> {
        let metrics = Arc::new(Metrics::new());
        let upstream = upstream::Client::new(
            endpoint,
            credentials,
            config.region.clone(),
            config.upstream_timeout,
            config.max_attempts,
            metrics.clone(),
        )
        .map_err(Error::Config)?;
        let rate_limit = RateLimit::per_minute(
            config.rate_limit_per_minute,
            config.admin_rate_limit_per_minute,
        )?;
        if matches!(config.auth, AuthMode::TrustedHeader(_)) && config.trusted_proxies.is_empty() {
            tracing::warn!(
                "--insecure-trust-any-client: anyone who can reach this port can claim any user"
            );
        }
        Ok(State {
            identities: Identities::load(&config).map_err(Error::Config)?,
            upstream,
            coalescer: Coalescer::new(config.cache_ttl, config.cache_max_entries),
            owners: Owners::default(),
            rate_limit,
            metrics,
            live: Arc::new(Live::new(config.live_connections_per_user)),
            config,
        })
    }

    /// A read answered from the cache, an identical read in flight, or the upstream.
    pub async fn coalesced_read(&self, call: &Call<'_>) -> (Answer, Source) {
        let key = format!("{}?{}", call.route.path(), call.query);
        self.coalescer.read(&key, self.upstream.call(call)).await
    }
}
