//! portal-proxy: the studio-portal's signing, authorizing proxy and static host.
//!
//! The browser never holds cloud credentials. This server decides who the artist is
//! ([`AuthMode`]), lets them touch only their own sessions (`authorize.rs`), signs each
//! allowed call with SigV4 (`signing.rs`) and forwards it (`upstream.rs`), and serves the
//! built portal (`static_files.rs`), and the admin page to admins only (`admin_page.rs`).
//!
//! Where to look: `routes.rs` (the router, `me`, health, metrics), `state.rs` (what the
//! handlers share), `login.rs` (sign-in and the session cookie), `forward.rs` (one API
//! call from request to answer: validate, authorize, sign and send, coalesce reads),
//! `guards.rs` (CSRF), `limits.rs` (rate limits), `owners.rs` (ownership), `error.rs` (the
//! one refusal type every handler returns), and `identity.rs`, `coalesce.rs`, `audit.rs`,
//! `metrics.rs`, `config.rs`.
//!
//! Imports go one way, down: handlers → `state.rs` → the parts it holds; `cargo xtask
//! tidy` checks the order (its table for this crate says which module is above which).
//!
//! Browser API, all under `/api`:
//! - `/api/2020-08-01/studios/{studioId}/...`: the upstream routes of the ten
//!   streaming-session operations, List/GetLaunchProfile and List/GetStreamingImage; bodies are the
//!   upstream's, unchanged. Errors use the API's `{message, code, context}` body and
//!   `X-Amzn-ErrorType`, so the browser parses one format.
//! - `GET /api/events`: the changes the artist may see, as server-sent events (`live/`).
//! - `GET /api/me` → `{user, studioId, admin}`; `POST /api/login`, `POST /api/logout`
//!   (users-file mode). Anything else under `/api` answers 404.
//! - Every request other than GET must carry `X-Studio-Portal: 1` and, when it has an
//!   Origin, our own: a cross-site page can send neither without a CORS preflight, which
//!   this server never grants (CSRF).
//!
//! Operations: `/healthz` (alive), `/readyz` (upstream reachable), `/metrics` (Prometheus);
//! the last two only for `metrics_allow` networks or the `metrics_token` (`ops_access.rs`).
//! An audit line (tracing target `audit`, JSON) is written for every state-changing action.

mod admin_page;
mod audit;
mod authorize;
mod coalesce;
mod config;
mod error;
mod forward;
mod guards;
mod identity;
mod limits;
mod live;
mod login;
mod metrics;
mod ops_access;
mod owners;
mod routes;
mod sign_ins;
mod signing;
mod state;
mod static_files;
mod upstream;

pub use config::{parse_origin, AuthMode, FileConfig, ProxyConfig, Upstream, UserEntry};
pub use error::Error;
pub use identity::hash_password;

use std::net::SocketAddr;
use std::sync::Arc;

/// A proxy started by [`start`].
pub struct RunningProxy {
    serving: serving::Serving,
    state: state::Shared,
    embedded: Option<local_studio::RunningServer>,
}

impl RunningProxy {
    pub fn addr(&self) -> SocketAddr {
        self.serving.addr()
    }

    /// The embedded local-studio, when `--upstream embedded` (tests inject faults with it).
    pub fn embedded(&self) -> Option<&local_studio::RunningServer> {
        self.embedded.as_ref()
    }

    /// Stops accepting, finishes requests in flight, then stops the embedded upstream.
    pub async fn shutdown(self) {
        // Event streams never end by themselves: end them, or the drain would wait forever.
        self.state.live.stop();
        self.serving.shutdown().await;
        if let Some(embedded) = self.embedded {
            embedded.shutdown().await;
        }
    }
}

impl serving::Server for RunningProxy {
    fn addr(&self) -> SocketAddr {
        RunningProxy::addr(self)
    }

    async fn shutdown(self) {
        RunningProxy::shutdown(self).await
    }
}

/// Starts the upstream (when embedded) and serves the proxy on `listener`.
pub async fn start(
    listener: tokio::net::TcpListener,
    config: ProxyConfig,
) -> Result<RunningProxy, Error> {
    config.check().map_err(Error::Config)?;
    let (endpoint, credentials, embedded) = match &config.upstream {
        Upstream::Embedded(studio_config) => {
            let mut studio_config = studio_config.clone();
            // The public development credential on a loopback port would let any local
            // process act on every artist's sessions: unless the config names credentials
            // of its own, the embedded server accepts only one made up now.
            if studio_config.credentials == [local_studio::Credential::dev()] {
                studio_config.credentials = vec![embedded_credential()];
            }
            let upstream_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let credential =
                studio_config.credentials.first().cloned().ok_or_else(|| {
                    Error::Config("the embedded upstream has no credential".into())
                })?;
            let server = local_studio::start(upstream_listener, studio_config).await?;
            let credentials = signing::Credentials::fixed(
                &credential.access_key_id,
                &credential.secret_access_key,
            );
            (
                format!("http://{}", server.addr()),
                credentials,
                Some(server),
            )
        }
        Upstream::Url {
            endpoint,
            credentials,
        } => {
            let credentials = match credentials {
                Some((id, secret)) => signing::Credentials::fixed(id, secret),
                None => signing::Credentials::default_chain().await,
            };
            (endpoint.trim_end_matches('/').to_owned(), credentials, None)
        }
    };
    if let AuthMode::Dev(user) = &config.auth {
        tracing::warn!(
            "DEVELOPMENT MODE: --auth dev:{user} signs in EVERY visitor as {user}. \
             Never expose this server beyond your own machine."
        );
    }
    let limits = config.connection_limits;
    let state = Arc::new(state::State::new(config, endpoint, credentials)?);
    let router = routes::router(state.clone());
    let serving = serving::Serving::spawn(listener, router, limits)?;
    live::upstream_watch::spawn(state.clone());
    tracing::info!(addr = %serving.addr(), "portal-proxy listening");
    Ok(RunningProxy {
        serving,
        state,
        embedded,
    })
}

/// A credential known only to this process, for the embedded local-studio: 244 random bits
/// from the OS's CSPRNG (two v4 UUIDs) as the secret.
fn embedded_credential() -> local_studio::Credential {
    let random = || uuid::Uuid::new_v4().simple().to_string();
    local_studio::Credential {
        access_key_id: format!("PORTAL{}", random()[..14].to_ascii_uppercase()),
        secret_access_key: format!("{}{}", random(), random()),
        user: "portal-proxy".into(),
    }
}
