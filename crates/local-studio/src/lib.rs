//! local-studio: a persistent, AWS-compatible implementation of the Nimble Studio
//! streaming-session API (2020-08-01), for boto3, aws-sdk-nimble and portal-proxy.
//!
//! - **Operations**: the ten streaming-session operations plus ListLaunchProfiles,
//!   GetLaunchProfile, ListStreamingImages and GetStreamingImage, with the model's routes,
//!   bodies and errors (see nimble-model).
//! - **Lifecycle**: transitions take `transition` (`--transition-seconds`, 3 s by default,
//!   0 in tests); state is derived from stored times when read (`lifecycle/`), so a
//!   restart mid-transition carries on. `stopAt` and `terminateAt` come from the launch
//!   profile and are enforced. DELETED sessions stay readable for
//!   [`Config::deleted_retention`] (a week by default), then are purged (`retention.rs`).
//! - **Streams** live `expirationInSeconds`, 120 s when not given
//!   ([`operations::DEFAULT_STREAM_EXPIRATION_SECONDS`]); the URL is
//!   `<--dcv-url-base>?authToken=<one-time token>#<sessionId>`. Tokens are never written
//!   to disk: the store keeps their hashes, this process the URLs, until they expire
//!   (`tokens/`); after a restart, a stream made before it reads as DELETED.
//! - **Idempotency**: an `X-Amz-Client-Token` seen before with the same operation, path
//!   and body returns the original response and does nothing again. The same token with
//!   anything different answers 400 ValidationException with code
//!   `IDEMPOTENT_PARAMETER_MISMATCH` and changes nothing. Tokens are stored in SQLite,
//!   belong to the caller's access key (another credential's same token is another
//!   request), and are forgotten after 24 hours. Expired streams are kept an hour.
//! - **Limits**: at most 50 tags per session, keys of 1 to 128 and values of up to 256
//!   characters (nimble-model); a body of at most 1 MiB; `nextToken`s that this server
//!   did not issue answer 400 ValidationException.
//! - **Authentication**: every request needs a valid SigV4 signature for service `nimble`
//!   (any region) from a configured credential. The development default is
//!   `LOCALSTUDIODEV` / `local-studio-dev-secret` ([`Credential::dev`]), used when no
//!   `--credential` is given; never use it outside a developer's machine.
//! - **Faults**: probabilities of failed transitions, 429 and 500 ([`Faults`]).
//! - **Watch** (`events.rs`): every change to a session or stream is also an ordered
//!   event, written in the change's own transaction; `GET /2020-08-01/studios/{id}/events`
//!   long-polls them, so clients learn of changes at once without polling every session.
//! - **Workstations**: each launch profile names a driver (`drivers/`). `simulated`
//!   keeps the timers above; `local-desktop` makes each session a real X desktop on this
//!   host, driven by the reconciler (`reconciler.rs`) and shown by the noVNC viewer at
//!   `/desktop/` (`desktop/`), whose stream token opens one connection. `ec2` makes
//!   each session an Amazon EC2 instance running Amazon DCV (`drivers/ec2/`), whose DCV
//!   server asks `POST /dcv/verify` whether a stream token is good (`dcv.rs`), and whose
//!   agent keeps the session's DCV permissions as its shares say (`permissions.rs`).

mod activity;
mod agent;
mod agent_thumbnails;
mod app;
mod config;
mod dcv;
mod dcv_connections;
mod dcv_pictures;
mod demo;
mod desktop;
mod drivers;
mod events;
mod faults;
mod http;
mod idle;
mod lifecycle;
mod operations;
mod paging;
mod permissions;
mod reconciler;
#[cfg(test)]
mod request_fuzz;
mod retention;
mod sigv4;
mod store;
mod thumbnails;
mod tokens;

pub use config::{ConfigError, StudioConfig, DEMO_TOML};
pub use demo::{seed_sessions_for_benchmark, seed_usage_for_benchmark};
pub use drivers::DesktopSettings;
pub use faults::Faults;
pub use operations::DEFAULT_STREAM_EXPIRATION_SECONDS;
pub use sigv4::Credential;
pub use store::{open_private as open_private_database, Storage, StoreError};

use app::App;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How long a DELETED session stays readable unless [`Config::deleted_retention`] says
/// otherwise: a week.
pub const DEFAULT_DELETED_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Everything a server needs; `Default` is an in-memory server with no studios.
#[derive(Clone, Debug)]
pub struct Config {
    pub storage: Storage,
    /// TOML with studios, users and launch profiles (see `src/studio.toml`).
    pub studio_config: Option<PathBuf>,
    /// Adds studio `demo-studio` and, on first start, alice's and bob's sessions.
    pub demo: bool,
    pub transition: Duration,
    pub page_size: usize,
    pub credentials: Vec<Credential>,
    /// Where a simulated session's streams point (`…?authToken=T#SESSION`), as a DCV URL
    /// would; `None`: this server's own page that says the workstation is simulated
    /// (`/desktop/simulated`), so a Connect never opens a dead address.
    pub dcv_url_base: Option<String>,
    pub faults: Faults,
    /// Real desktops on this host for launch profiles with `driver = "local-desktop"`;
    /// `None` runs none (the demo's profiles are then simulated).
    pub desktops: Option<DesktopSettings>,
    /// How often settled sessions are compared with their machines.
    pub drift_interval: Duration,
    /// How long a DELETED session stays readable (as the API's waiters need) before it
    /// is purged, with its streams ([`DEFAULT_DELETED_RETENTION`] by default).
    pub deleted_retention: Duration,
    /// Header read timeout and connection cap of the HTTP server.
    pub limits: serving::Limits,
    /// Serves the watch (`events.rs`); `false` answers it 404 as a Nimble endpoint
    /// without the extension would (tests of clients that must cope without it).
    pub watch: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            storage: Storage::InMemory,
            studio_config: None,
            demo: false,
            transition: Duration::from_secs(3),
            page_size: 50,
            credentials: vec![Credential::dev()],
            dcv_url_base: None,
            faults: Faults::default(),
            desktops: None,
            drift_interval: Duration::from_secs(5),
            deleted_retention: DEFAULT_DELETED_RETENTION,
            limits: serving::Limits::default(),
            watch: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("cannot serve: {0}")]
    Io(#[from] std::io::Error),
}

/// A server started by [`start`].
pub struct RunningServer {
    serving: serving::Serving,
    app: Arc<App>,
    reconciler: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.serving.addr()
    }

    /// Changes fault injection while running (tests use it to provoke 429s and 500s).
    pub fn set_faults(&self, faults: Faults) {
        *self.app.faults.write().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Requests received so far, whatever their outcome.
    pub fn request_count(&self) -> u64 {
        self.app.requests.load(Ordering::Relaxed)
    }

    /// Moves the server's lifecycle clock forward, so tests can reach stopAt, a stream's
    /// expiry or the end of a retention without waiting. The reconciler is woken to
    /// act on whatever is now due.
    pub fn advance_clock(&self, by: Duration) {
        self.app
            .clock_offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
        self.app.wake_reconciler.notify_one();
    }

    /// Stops accepting connections, finishes requests in flight, and returns.
    pub async fn shutdown(self) {
        self.app.stopping.send_replace(true);
        self.serving.shutdown().await;
        // The reconciler ends after the pass it may be in, so nothing of this server
        // writes once it has stopped; a pass stuck in a driver is abandoned.
        let mut reconciler = self.reconciler;
        if tokio::time::timeout(Duration::from_secs(30), &mut reconciler)
            .await
            .is_err()
        {
            reconciler.abort();
        }
    }
}

impl serving::Server for RunningServer {
    fn addr(&self) -> SocketAddr {
        RunningServer::addr(self)
    }

    async fn shutdown(self) {
        RunningServer::shutdown(self).await
    }
}

/// Where simulated sessions' streams point: the configured DCV base, or this server's page
/// that says the workstation is simulated.
fn simulated_url_base(config: &Config, addr: SocketAddr) -> String {
    config
        .dcv_url_base
        .clone()
        .unwrap_or_else(|| format!("http://{addr}/desktop/simulated"))
}

/// Opens the store, loads studios, seeds the demo once, and serves on `listener`.
pub async fn start(
    listener: tokio::net::TcpListener,
    config: Config,
) -> Result<RunningServer, StartError> {
    config.faults.validate().map_err(StartError::Invalid)?;
    if config.page_size == 0 {
        return Err(StartError::Invalid("page size must be at least 1".into()));
    }
    if config.credentials.is_empty() {
        return Err(StartError::Invalid(
            "at least one credential is required".into(),
        ));
    }
    let mut studios = match &config.studio_config {
        Some(path) => StudioConfig::from_file(path)?,
        None => StudioConfig::empty(),
    };
    if config.demo {
        studios = studios.merge(StudioConfig::parse(DEMO_TOML)?)?;
    }
    let addr = listener.local_addr()?;
    let wake_reconciler = Arc::new(tokio::sync::Notify::new());
    let local_desktop = local_desktop_driver(&config, &mut studios, addr, &wake_reconciler)?;
    let uses_ec2 = studios.studios.iter().any(|s| {
        s.launch_profiles
            .iter()
            .any(|p| p.driver == config::DriverName::Ec2)
    });
    let mut db = store::open(&config.storage)?;
    let agent_key = store::agent_key(&mut db)?;
    let ec2 = uses_ec2.then(|| {
        let driver = drivers::Ec2::new(&studios, wake_reconciler.clone(), agent_key.clone());
        Arc::new(driver) as Arc<dyn drivers::Driver>
    });
    let app = Arc::new(App {
        db: Mutex::new(db),
        agent_key,
        studios,
        verifier: sigv4::Verifier::new(&config.credentials),
        transition_ms: config.transition.as_millis() as i64,
        page_size: config.page_size,
        faults: RwLock::new(Faults::default()),
        clock_offset_ms: AtomicI64::new(0),
        requests: AtomicU64::new(0),
        drivers: drivers::Drivers::new(simulated_url_base(&config, addr), local_desktop, ec2),
        wake_reconciler,
        activity: activity::Activity::new(app::wall_clock_ms()),
        dcv_connections: Default::default(),
        dcv_pictures: Default::default(),
        viewer_dir: config.desktops.as_ref().map(|d| d.viewer_dir.clone()),
        deleted_retention: config.deleted_retention,
        last_purge_ms: AtomicI64::new(i64::MIN),
        committed: tokio::sync::watch::channel(0).0,
        stopping: tokio::sync::watch::channel(false).0,
        watch: config.watch,
        issued: tokens::Issued::default(),
        token_limits: tokens::Limits::default(),
        grants: tokens::Grants::default(),
        thumbnails: drivers::Thumbnails::default(),
    });
    if config.demo {
        let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
        let tx = db.transaction().map_err(store::StoreError::from)?;
        demo::seed(&app, &tx).map_err(|e| StartError::Invalid(format!("demo data: {e}")))?;
        tx.commit().map_err(store::StoreError::from)?;
    }
    // Faults apply from here on: the demo data itself is never made to fail.
    *app.faults.write().unwrap_or_else(|e| e.into_inner()) = config.faults;

    let reconciler = reconciler::spawn(app.clone(), config.drift_interval);
    let serving = serving::Serving::spawn(listener, http::router(app.clone()), config.limits)?;
    tracing::info!(addr = %serving.addr(), "local-studio listening");
    Ok(RunningServer {
        serving,
        app,
        reconciler,
    })
}

/// The local-desktop driver, when this server runs desktops. Without it, or without the
/// desktop packages, the demo's profiles fall back to simulated (and say why); another
/// studio's profile that names local-desktop fails its actions with the reason instead.
fn local_desktop_driver(
    config: &Config,
    studios: &mut StudioConfig,
    addr: SocketAddr,
    wake_reconciler: &Arc<tokio::sync::Notify>,
) -> Result<Option<Arc<dyn drivers::Driver>>, StartError> {
    use config::DriverName::{LocalDesktop, Simulated};
    let demo_fallback = |studios: &mut StudioConfig, why: &str| {
        if let Some(demo) = studios.studio_mut("demo-studio") {
            tracing::warn!("demo workstations are simulated: {why}");
            demo.replace_driver(LocalDesktop, Simulated);
        }
    };
    let Some(settings) = &config.desktops else {
        demo_fallback(
            studios,
            "this server runs no desktops (no desktops directory)",
        );
        return Ok(None);
    };
    if let Err(why) = local_desktop::Desktops::check_installed() {
        demo_fallback(studios, &why);
    }
    let url_base = settings
        .url_base
        .clone()
        .unwrap_or_else(|| format!("http://{addr}/"));
    let driver = drivers::LocalDesktop::new(settings, url_base, wake_reconciler.clone())
        .map_err(|e| StartError::Invalid(format!("desktops: {e}")))?;
    Ok(Some(Arc::new(driver)))
}
