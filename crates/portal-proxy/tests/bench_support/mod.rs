//! What the proxy benches share: the proxy binary on a port of its own (so its memory is
//! its alone), pointed at a local-studio in the bench's process, and its resident memory.

use test_support as support;

/// The proxy binary on a port of its own, pointed at `upstream`.
pub fn spawn_proxy(
    upstream: std::net::SocketAddr,
    dir: &std::path::Path,
) -> (support::ChildGuard, std::net::SocketAddr) {
    let dev = local_studio::Credential::dev();
    let config = dir.join("proxy.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nupstream = \"http://{upstream}\"\nauth = \"trusted-header:x-user\"\n\
             trusted_proxies = [\"127.0.0.0/8\"]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n\
             rate_limit_per_minute = 1000000\nmax_connections = 8000\nlive_connections_per_user = 8000\n",
            dev.access_key_id, dev.secret_access_key
        ),
    )
    .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_portal-proxy"));
    command.arg("--config").arg(&config);
    support::spawn_announcing(&mut command, support::Announces::Stderr)
}

#[allow(dead_code)] // The rush bench does not measure memory.
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}
