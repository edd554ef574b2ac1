//! `portal-proxy`: flags (each also an environment variable) override the TOML file of
//! `--config`, which overrides the defaults.

use clap::{Parser, Subcommand};
use portal_proxy::{AuthMode, FileConfig, ProxyConfig, Upstream};
use std::path::PathBuf;

/// The studio-portal's signing, authorizing proxy and static host.
///
/// Auth modes: dev:USER (development only: everyone is USER), trusted-header:NAME (the user
/// comes from header NAME set by an SSO gateway; safe ONLY behind that gateway, and
/// --trusted-proxy CIDR rejects requests from anywhere else), users-file:PATH (a login page;
/// users and argon2 hashes in TOML: [users.NAME] password_hash = "...").
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to serve the portal and /api on.
    #[arg(long, env = "PORTAL_LISTEN")]
    listen: Option<String>,
    /// "embedded" (local-studio in this process, with demo data) or an endpoint URL.
    #[arg(long, env = "PORTAL_UPSTREAM")]
    upstream: Option<String>,
    /// The studio the artists work in.
    #[arg(long, env = "PORTAL_STUDIO_ID")]
    studio_id: Option<String>,
    /// The SigV4 signing region.
    #[arg(long, env = "PORTAL_REGION")]
    region: Option<String>,
    /// The built portal to serve (trunk build --release writes dist/).
    #[arg(long, env = "PORTAL_DIST")]
    dist: Option<PathBuf>,
    /// dev:USER | trusted-header:NAME | users-file:PATH
    #[arg(long, env = "PORTAL_AUTH")]
    auth: Option<String>,
    /// TOML file with these settings plus admins, user_map, limits.
    #[arg(long, env = "PORTAL_CONFIG")]
    config: Option<PathBuf>,
    /// Where the proxy keeps users-file sign-ins and lockouts, so a restart keeps them
    /// (default: the platform data directory, e.g. ~/.local/share/studio-portal/portal-proxy).
    #[arg(long, env = "PORTAL_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A network of front ends (a TLS terminator, the sign-in gateway) whose X-Forwarded-Host
    /// and X-Forwarded-Proto count, and which alone may set trusted-header mode's header.
    /// Repeatable; the environment variable takes a comma-separated list.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "PORTAL_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<String>,
    /// An origin browsers load the portal from, as in their address bar
    /// (https://portal.studio.example): requests that change something must come from it or
    /// from the address they were sent to. Repeatable; the environment variable takes a
    /// comma-separated list.
    #[arg(
        long = "public-origin",
        value_name = "URL",
        env = "PORTAL_PUBLIC_ORIGINS",
        value_delimiter = ','
    )]
    public_origins: Vec<String>,
    /// Trusted-header mode without --trusted-proxy: start anyway, trusting the header from
    /// any client that can reach the port (never beyond a private network).
    #[arg(long, env = "PORTAL_INSECURE_TRUST_ANY_CLIENT")]
    insecure_trust_any_client: bool,
    /// Embedded upstream: run real desktops for the demo's workstations, keeping their
    /// files in DIR (keep it short: a socket path under it must fit in 107 bytes).
    /// Without it, or without the desktop packages, the demo is simulated.
    #[arg(long, env = "PORTAL_DESKTOPS_DIR", value_name = "DIR")]
    desktops_dir: Option<PathBuf>,
    /// Embedded upstream: let the demo's desktops run as root when the proxy runs as root
    /// (the demo maps no OS users). Every artist is then root on this host: a single-user
    /// demo only.
    #[arg(long, env = "PORTAL_SINGLE_USER_DESKTOPS_AS_ROOT")]
    single_user_desktops_as_root: bool,
    /// Embedded upstream: the built noVNC viewer (`cargo xtask setup` writes it).
    #[arg(
        long,
        env = "PORTAL_VIEWER_DIR",
        default_value = ".tools/desktop-viewer"
    )]
    viewer_dir: PathBuf,
    /// Connections served at once; more wait until one closes (default 1024).
    #[arg(long, env = "PORTAL_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// A login with the admin role (sees every session of the studio). Repeatable.
    #[arg(
        long = "admin",
        value_name = "LOGIN",
        env = "PORTAL_ADMINS",
        value_delimiter = ','
    )]
    admins: Vec<String>,
    /// A network that may read /metrics and /readyz without a token (default: loopback
    /// only; giving one replaces the default). Repeatable.
    #[arg(
        long = "metrics-allow",
        value_name = "CIDR",
        env = "PORTAL_METRICS_ALLOW",
        value_delimiter = ','
    )]
    metrics_allow: Vec<String>,
    /// The bearer token that opens /metrics and /readyz from anywhere (environment only,
    /// so it never shows in the process list; or `metrics_token` in the file).
    #[arg(skip = std::env::var("PORTAL_METRICS_TOKEN").ok())]
    metrics_token: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print an argon2 hash of a password (read from stdin) for the users file.
    HashPassword,
}

fn build(args: Args) -> Result<(String, ProxyConfig), String> {
    let file: FileConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            toml::from_str(&text).map_err(|e| format!("invalid {}: {e}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let auth: AuthMode = args
        .auth
        .or(file.auth)
        .ok_or("--auth is required: dev:USER, trusted-header:NAME or users-file:PATH")?
        .parse()?;
    let upstream = match args.upstream.or(file.upstream).as_deref() {
        None | Some("embedded") => {
            let data_dir = file
                .embedded_data_dir
                .or_else(|| dirs::data_dir().map(|d| d.join("studio-portal/local-studio")))
                .ok_or("no platform data directory: set embedded_data_dir in --config")?;
            tracing::info!(data_dir = %data_dir.display(), "embedded local-studio with demo data");
            let desktops = args.desktops_dir.map(|root| local_studio::DesktopSettings {
                root,
                max_desktops: 8,
                width: 1280,
                height: 800,
                start_command: None,
                url_base: None,
                viewer_dir: args.viewer_dir,
                allow_root: args.single_user_desktops_as_root,
            });
            Upstream::Embedded(local_studio::Config {
                storage: local_studio::Storage::Dir(data_dir),
                demo: true,
                desktops,
                ..local_studio::Config::default()
            })
        }
        Some(url) => Upstream::Url {
            endpoint: url.to_owned(),
            credentials: file.access_key_id.zip(file.secret_access_key),
        },
    };
    let mut config = ProxyConfig::new(upstream, auth);
    config.studio_id = args
        .studio_id
        .or(file.studio_id)
        .unwrap_or(config.studio_id);
    config.region = args.region.or(file.region).unwrap_or(config.region);
    config.dist = args.dist.or(file.dist);
    config.data_dir = args
        .data_dir
        .or(file.data_dir)
        .or_else(|| dirs::data_dir().map(|d| d.join("studio-portal/portal-proxy")));
    let minutes = |m: u64| std::time::Duration::from_secs(m * 60);
    config.session_lifetime = file
        .session_lifetime_minutes
        .map_or(config.session_lifetime, minutes);
    config.session_idle = file
        .session_idle_minutes
        .map_or(config.session_idle, minutes);
    config.admins = [args.admins, file.admins].concat();
    config.user_map = file.user_map;
    config.trusted_proxies = parse_networks(
        "--trusted-proxy",
        &[args.trusted_proxies, file.trusted_proxies].concat(),
    )?;
    config.insecure_trust_any_client =
        args.insecure_trust_any_client || file.insecure_trust_any_client;
    config.public_origins = [args.public_origins, file.public_origins]
        .concat()
        .iter()
        .map(|origin| portal_proxy::parse_origin(origin))
        .collect::<Result<_, _>>()?;
    // Settings only the file sets, under the same name: the file's value, else the default.
    macro_rules! from_file {
        ($($setting:ident),*) => {
            $(if let Some(value) = file.$setting {
                config.$setting = value;
            })*
        };
    }
    from_file!(
        rate_limit_per_minute,
        admin_rate_limit_per_minute,
        body_limit_bytes,
        cache_max_entries,
        login_per_minute_per_address,
        login_per_minute_per_name,
        login_concurrency,
        live_updates,
        live_connections_per_user
    );
    let limits = &mut config.connection_limits;
    limits.max_connections = args
        .max_connections
        .or(file.max_connections)
        .unwrap_or(limits.max_connections);
    if let Some(ms) = file.header_read_timeout_ms {
        limits.header_read_timeout = std::time::Duration::from_millis(ms);
    }
    if let Some(ms) = file.body_read_timeout_ms {
        limits.body_read_timeout = std::time::Duration::from_millis(ms);
    }
    if let Some(ms) = file.cache_ttl_ms {
        config.cache_ttl = std::time::Duration::from_millis(ms);
    }
    let metrics_allow = match (args.metrics_allow, file.metrics_allow) {
        (flags, _) if !flags.is_empty() => Some(flags),
        (_, from_file) => from_file,
    };
    if let Some(cidrs) = metrics_allow {
        config.metrics_allow = parse_networks("--metrics-allow", &cidrs)?;
    }
    config.metrics_token = args
        .metrics_token
        .or(file.metrics_token)
        .filter(|token| !token.is_empty());
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    Ok((listen, config))
}

fn parse_networks(flag: &str, cidrs: &[String]) -> Result<Vec<ipnet::IpNet>, String> {
    cidrs
        .iter()
        .map(|cidr| cidr.parse().map_err(|e| format!("{flag} {cidr}: {e}")))
        .collect()
}

fn init_logging() {
    use tracing_subscriber::filter::{filter_fn, EnvFilter};
    use tracing_subscriber::prelude::*;
    // Logs go to stderr; the audit trail, one bare JSON line per action, to stdout.
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_filter(filter_fn(|meta| meta.target() != "audit"));
    let audit = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stdout)
        .without_time()
        .with_level(false)
        .with_target(false)
        .with_filter(filter_fn(|meta| meta.target() == "audit"));
    tracing_subscriber::registry().with(logs).with(audit).init();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    init_logging();
    let mut args = Args::parse();
    if let Some(Command::HashPassword) = args.command.take() {
        let mut password = String::new();
        if std::io::stdin().read_line(&mut password).is_err() {
            eprintln!("portal-proxy: cannot read the password from stdin");
            return std::process::ExitCode::FAILURE;
        }
        return match portal_proxy::hash_password(password.trim_end_matches(['\r', '\n'])) {
            Ok(hash) => {
                println!("{hash}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("portal-proxy: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let server = async {
        let (listen, config) = build(args)?;
        let listener = serving::bind(&listen).await?;
        portal_proxy::start(listener, config)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    serving::run("portal-proxy", server, |addr| {
        eprintln!("portal-proxy listening on http://{addr}")
    })
    .await
}
