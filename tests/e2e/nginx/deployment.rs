//! A deployment as the docs describe it, for the nginx journeys: local-studio and
//! portal-proxy on loopback, and nginx in front running a shipped `deploy/nginx/` file with
//! only the listen address, the upstream addresses and the file paths replaced (each must
//! be there exactly once, so the file and the test cannot drift apart silently).

use crate::desktop::{credential, demo_desktops};
use crate::harness::{dist, free_port, root};
use crate::journey::tail;
use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use test_support::{DesktopRoot, ProcessGroup};

/// nginx, portal-proxy and local-studio, as deployed; all stop on drop.
pub struct Deployment {
    /// The address artists open: `https://127.0.0.1:PORT`.
    pub origin: String,
    proxy: Option<RunningProxy>,
    studio: Option<local_studio::RunningServer>,
    nginx: ProcessGroup,
    dir: tempfile::TempDir,
}

impl Deployment {
    /// Starts local-studio (demo data, real desktops under `desktops`) and portal-proxy
    /// (`auth`, given the folder for its files) on loopback, and nginx with the shipped
    /// `conf` in front of them.
    pub async fn start(
        conf: &str,
        desktops: &DesktopRoot,
        auth: impl FnOnce(&Path) -> AuthMode,
    ) -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let origin = format!("https://127.0.0.1:{port}");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let studio = local_studio::start(
            listener,
            local_studio::Config {
                demo: true,
                desktops: Some(local_studio::DesktopSettings {
                    // --desktop-url-base: the viewer is reached through nginx.
                    url_base: Some(format!("{origin}/")),
                    ..demo_desktops(desktops)
                }),
                credentials: vec![credential()],
                ..local_studio::Config::default()
            },
        )
        .await
        .unwrap();
        let signing = credential();
        let upstream = Upstream::Url {
            endpoint: format!("http://{}", studio.addr()),
            credentials: Some((signing.access_key_id, signing.secret_access_key)),
        };
        let mut config = ProxyConfig::new(upstream, auth(dir.path()));
        config.dist = Some(dist());
        config.public_origins = vec![origin.clone()];
        if matches!(config.auth, AuthMode::TrustedHeader(_)) {
            config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        }
        let proxy = test_support::start_proxy(config).await;
        let nginx = nginx(dir.path(), conf, port, &proxy, &studio);
        Deployment {
            origin,
            proxy: Some(proxy),
            studio: Some(studio),
            nginx,
            dir,
        }
    }

    /// nginx's error log, for a failure's message.
    pub fn error_log(&self) -> String {
        tail(&self.dir.path().join("error.log"))
    }

    /// nginx's access log: a line per request, "PROTOCOL STATUS PATH".
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.path().join("access.log")).unwrap();
        log.lines().map(str::to_owned).collect()
    }

    pub async fn stop(mut self) {
        self.proxy.take().unwrap().shutdown().await;
        self.studio.take().unwrap().shutdown().await;
        drop(self.nginx);
    }
}

/// Replaces `from` in `text`, which must be there exactly once: the shipped file and the
/// test cannot drift apart silently.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "deploy/nginx: expected {from:?} once"
    );
    text.replace(from, to)
}

/// Runs nginx in the foreground with `deploy/nginx/CONF` inside a minimal main file whose
/// paths are all in `dir`; waits until it accepts connections.
fn nginx(
    dir: &Path,
    conf: &str,
    port: u16,
    proxy: &RunningProxy,
    studio: &local_studio::RunningServer,
) -> ProcessGroup {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes"])
        .args(["-subj", "/CN=127.0.0.1", "-days", "2", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "openssl made no certificate");
    let shipped = std::fs::read_to_string(root().join("deploy/nginx").join(conf)).unwrap();
    let mut server = replace_once(
        &shipped,
        "listen 443 ssl http2;",
        &format!("listen 127.0.0.1:{port} ssl http2;"),
    );
    server = replace_once(
        &server,
        "http://127.0.0.1:8080;",
        &format!("http://{};", proxy.addr()),
    );
    server = replace_once(
        &server,
        "http://127.0.0.1:8090;",
        &format!("http://{};", studio.addr()),
    );
    server = replace_once(
        &server,
        "/etc/studio-portal/tls/fullchain.pem",
        &cert.to_string_lossy(),
    );
    server = replace_once(
        &server,
        "/etc/studio-portal/tls/privkey.pem",
        &key.to_string_lossy(),
    );
    if server.contains("/etc/studio-portal/htpasswd") {
        server = replace_once(
            &server,
            "/etc/studio-portal/htpasswd",
            &dir.join("htpasswd").to_string_lossy(),
        );
    }
    std::fs::write(dir.join("studio-portal.conf"), server).unwrap();
    let d = dir.display();
    let main = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n\
           log_format journey '$server_protocol $status $uri';\n\
           access_log {d}/access.log journey;\n\
           client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           include {d}/studio-portal.conf;\n\
         }}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    // nginx's workers run as nobody: they must reach the temp folders.
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let group = ProcessGroup::spawn(
        Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return group;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "nginx did not listen on {addr}:\n{}",
        tail(&dir.join("error.log"))
    );
}
