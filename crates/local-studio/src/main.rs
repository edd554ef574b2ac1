//! `local-studio`: the streaming-session API server. See the library docs for behaviour.

use clap::Parser;
use local_studio::{Config, Credential, DesktopSettings, Faults, Storage};
use std::path::PathBuf;
use std::time::Duration;

/// A persistent, AWS-compatible Nimble Studio streaming-session API server.
///
/// Point boto3 or aws-sdk-nimble at it with endpoint_url. Every request must be SigV4-signed
/// (service "nimble", any region) with a --credential; without one, the development default
/// LOCALSTUDIODEV / local-studio-dev-secret is accepted (never use it beyond a workstation).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LOCAL_STUDIO_LISTEN", default_value = "127.0.0.1:8090")]
    listen: String,
    /// Directory of the SQLite store (created if missing).
    #[arg(
        long,
        env = "LOCAL_STUDIO_DATA_DIR",
        required_unless_present = "in_memory"
    )]
    data_dir: Option<PathBuf>,
    /// Keep everything in memory (tests); nothing survives a restart.
    #[arg(long, conflicts_with = "data_dir")]
    in_memory: bool,
    /// TOML file with studios, users and launch profiles.
    #[arg(long, env = "LOCAL_STUDIO_CONFIG")]
    config: Option<PathBuf>,
    /// Add studio "demo-studio" with sessions for alice and bob (made on first start).
    #[arg(long)]
    demo: bool,
    /// Seconds each transition (create, start, stop, delete, stream) takes.
    #[arg(long, default_value_t = 3.0)]
    transition_seconds: f64,
    /// Items per page of ListStreamingSessions and ListStreamingSessionBackups.
    #[arg(long, default_value_t = 50)]
    page_size: usize,
    /// An accepted credential, ACCESS_KEY_ID:SECRET[:USER] (USER acts as createdBy; default
    /// the key id). Repeatable; or LOCAL_STUDIO_CREDENTIALS, comma-separated, which keeps
    /// secrets out of the process list.
    #[arg(
        long = "credential",
        value_name = "AKID:SECRET",
        env = "LOCAL_STUDIO_CREDENTIALS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    credentials: Vec<String>,
    /// Base of the URL that simulated sessions' streams get, as a DCV web client's would
    /// (default: this server's page that says the workstation is simulated).
    #[arg(long)]
    dcv_url_base: Option<String>,
    /// Run real desktops for launch profiles with driver = "local-desktop" (and for the
    /// demo), keeping their homes, backups and run files in DIR. Keep DIR short: the VNC
    /// socket path under it must fit in 107 bytes.
    #[arg(long, env = "LOCAL_STUDIO_DESKTOPS_DIR", value_name = "DIR")]
    desktops_dir: Option<PathBuf>,
    /// Let desktops of studios without an OS user mapping run as root when local-studio
    /// runs as root: every artist is then root on this host. Only for a host with a single
    /// artist, or a demo; without it, such a create is refused with a clear error.
    #[arg(long, env = "LOCAL_STUDIO_SINGLE_USER_DESKTOPS_AS_ROOT")]
    single_user_desktops_as_root: bool,
    /// Desktops this host runs at once; one more answers ServiceQuotaExceededException.
    #[arg(long, default_value_t = 8)]
    max_desktops: usize,
    /// Desktop screen size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1280x800")]
    screen: String,
    /// Where browsers reach this server's desktop viewer (default: http://LISTEN/).
    #[arg(long)]
    desktop_url_base: Option<String>,
    /// The built noVNC viewer (`cargo xtask setup` writes .tools/desktop-viewer).
    #[arg(
        long,
        env = "LOCAL_STUDIO_VIEWER_DIR",
        default_value = ".tools/desktop-viewer"
    )]
    viewer_dir: PathBuf,
    /// Seconds between checks that READY sessions still have their machines.
    #[arg(long, default_value_t = 5.0)]
    drift_seconds: f64,
    /// Hours a DELETED session stays readable (GetStreamingSession answers DELETED, as
    /// the SDK's waiters expect) before it is purged; 1 to 87600.
    #[arg(long, default_value_t = 168)]
    deleted_retention_hours: u64,
    /// Probability (0..1) that a transition ends in its *_FAILED state.
    #[arg(long, default_value_t = 0.0)]
    fault_transition_failure: f64,
    /// Probability (0..1) that a request answers 429 ThrottlingException.
    #[arg(long, default_value_t = 0.0)]
    fault_throttle: f64,
    /// Probability (0..1) that a request answers 500 InternalServerErrorException.
    #[arg(long, default_value_t = 0.0)]
    fault_internal_error: f64,
}

fn config(args: &Args) -> Result<Config, String> {
    if !(0.0..=86_400.0).contains(&args.transition_seconds) {
        return Err("--transition-seconds must be between 0 and 86400".into());
    }
    let mut credentials = args
        .credentials
        .iter()
        .map(|c| Credential::parse(c))
        .collect::<Result<Vec<_>, _>>()?;
    if credentials.is_empty() {
        tracing::warn!("no --credential given: accepting the development default LOCALSTUDIODEV");
        credentials.push(Credential::dev());
    }
    let (width, height) = args
        .screen
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .filter(|(w, h): &(u32, u32)| (320..=8192).contains(w) && (200..=8192).contains(h))
        .ok_or("--screen must be WIDTHxHEIGHT, from 320x200 to 8192x8192")?;
    if !(0.1..=3600.0).contains(&args.drift_seconds) {
        return Err("--drift-seconds must be between 0.1 and 3600".into());
    }
    if !(1..=87_600).contains(&args.deleted_retention_hours) {
        return Err("--deleted-retention-hours must be between 1 and 87600".into());
    }
    let desktops = args.desktops_dir.as_ref().map(|root| DesktopSettings {
        root: root.clone(),
        max_desktops: args.max_desktops,
        width,
        height,
        start_command: None,
        url_base: args.desktop_url_base.clone(),
        viewer_dir: args.viewer_dir.clone(),
        allow_root: args.single_user_desktops_as_root,
    });
    Ok(Config {
        storage: match &args.data_dir {
            Some(dir) if !args.in_memory => Storage::Dir(dir.clone()),
            _ => Storage::InMemory,
        },
        studio_config: args.config.clone(),
        demo: args.demo,
        transition: Duration::from_secs_f64(args.transition_seconds),
        page_size: args.page_size,
        credentials,
        dcv_url_base: args.dcv_url_base.clone(),
        faults: Faults {
            transition_failure: args.fault_transition_failure,
            throttle: args.fault_throttle,
            internal_error: args.fault_internal_error,
        },
        desktops,
        drift_interval: Duration::from_secs_f64(args.drift_seconds),
        deleted_retention: Duration::from_secs(args.deleted_retention_hours * 3600),
        limits: serving::Limits::default(),
        watch: true,
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let server = async {
        let config = config(&args)?;
        let listener = serving::bind(&args.listen).await?;
        local_studio::start(listener, config)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    serving::run("local-studio", server, |addr| {
        println!("local-studio listening on http://{addr}")
    })
    .await
}
