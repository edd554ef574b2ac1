//! Starting what the tests drive: a real portal-proxy (with its embedded local-studio)
//! serving the built portal, and headless Chromium through chromedriver; and the waiting
//! and measuring the tests share.

use fantoccini::{Client, ClientBuilder};
use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use test_support::ChildGuard;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn dist() -> PathBuf {
    let dist = std::env::var_os("STUDIO_PORTAL_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("dist"));
    assert!(
        dist.join("index.html").is_file(),
        "no built portal at {}: run `trunk build --release` (cargo xtask test does)",
        dist.display()
    );
    dist
}

/// Chromedriver in a process group of its own, which the Chromium it starts joins: the
/// whole group is killed (and chromedriver reaped) on drop, so a failed test leaves no
/// browser behind.
pub struct Chromedriver {
    child: ChildGuard,
    port: u16,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (process_group(0)).
        let group = format!("-{}", self.child.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        self.child.kill();
    }
}

/// What keeps a browser alive: chromedriver, Chromium and their folders are gone when it
/// is dropped.
pub struct Driver {
    _chromedriver: Chromedriver,
    _scratch: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Headless Chromium through chromedriver, both on free ports and in folders of their own.
pub async fn browser() -> (Driver, Client) {
    browser_with(&[]).await
}

/// [`browser`], with more Chromium switches.
pub async fn browser_with(extra_args: &[&str]) -> (Driver, Client) {
    chromium(extra_args, json!({})).await
}

/// [`browser`], saving downloads in `dir` without asking.
pub async fn browser_downloading_to(dir: &std::path::Path) -> (Driver, Client) {
    let prefs = json!({
        "download.default_directory": dir,
        "download.prompt_for_download": false,
    });
    chromium(&[], json!({ "prefs": prefs })).await
}

/// [`browser`] as a phone's: 390 × 844 CSS pixels at 3x, touch (Chromium's emulation;
/// a headless window is never narrower than 500 pixels).
pub async fn phone_browser() -> (Driver, Client) {
    let phone =
        json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true}});
    chromium(&[], json!({ "mobileEmulation": phone })).await
}

/// Chromium with `extra_args` and `extra_options` in its `goog:chromeOptions`.
async fn chromium(extra_args: &[&str], extra_options: serde_json::Value) -> (Driver, Client) {
    // The profile, and TMPDIR for the scratch folders Chromium and chromedriver make (they
    // leave them in /tmp otherwise): all removed with this folder.
    let scratch = tempfile::tempdir().unwrap();
    let (profile, tmp) = (scratch.path().join("profile"), scratch.path().join("tmp"));
    std::fs::create_dir(&tmp).unwrap();
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromedriver is installed (cargo xtask setup)");
    let driver = Chromedriver {
        child: ChildGuard(child),
        port,
    };
    let profile_arg = format!("--user-data-dir={}", profile.display());
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
        &profile_arg,
    ];
    args.extend_from_slice(extra_args);
    let mut options = json!({"binary": "/usr/bin/chromium", "args": args});
    if let (Some(all), Some(extra)) = (options.as_object_mut(), extra_options.as_object()) {
        all.extend(extra.clone());
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    let started = Instant::now();
    loop {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        match builder
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
        {
            Ok(client) => {
                let driver = Driver {
                    _chromedriver: driver,
                    _scratch: scratch,
                };
                return (driver, client);
            }
            Err(e) if started.elapsed() > Duration::from_secs(20) => {
                panic!("chromedriver did not start: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A users file in `dir` with one artist, alice, whose password is "render-farm".
pub fn alices_users_file(dir: &std::path::Path) -> PathBuf {
    users_file(dir, &["alice"])
}

/// A users file in `dir` with these artists, each with the password "render-farm".
pub fn users_file(dir: &std::path::Path, names: &[&str]) -> PathBuf {
    let users = dir.join("users.toml");
    let hash = portal_proxy::hash_password("render-farm").unwrap();
    let entries = names
        .iter()
        .map(|name| format!("[users.{name}]\npassword_hash = \"{hash}\"\n"));
    std::fs::write(&users, entries.collect::<String>()).unwrap();
    users
}

pub async fn proxy(auth: AuthMode) -> RunningProxy {
    proxy_with(auth, |_| {}).await
}

/// [`proxy`], with `tweak` applied to its config first.
pub async fn proxy_with(auth: AuthMode, tweak: impl FnOnce(&mut ProxyConfig)) -> RunningProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let studio = local_studio::Config {
        demo: true,
        transition: Duration::from_millis(1500),
        // The DCV client URL points back at the proxy, so the opened tab can be checked.
        dcv_url_base: Some(format!("http://127.0.0.1:{port}/dcv/")),
        ..local_studio::Config::default()
    };
    let mut config = ProxyConfig::new(Upstream::Embedded(studio), auth);
    config.dist = Some(dist());
    tweak(&mut config);
    portal_proxy::start(listener, config).await.unwrap()
}

/// A portal-proxy serving dist/ in front of `studio` (a local-studio of the test's own,
/// signed with the development credential), for `studio_id`, signed in as alice.
pub async fn proxy_to(studio: &test_support::Studio, studio_id: &str) -> RunningProxy {
    proxy_to_as(studio, studio_id, "alice", false).await
}

/// [`proxy_to`], signed in as `user`, one of the studio's admins or not.
pub async fn proxy_to_as(
    studio: &test_support::Studio,
    studio_id: &str,
    user: &str,
    admin: bool,
) -> RunningProxy {
    let dev = local_studio::Credential::dev();
    let upstream = portal_proxy::Upstream::Url {
        endpoint: format!("http://{}", studio.server.addr()),
        credentials: Some((dev.access_key_id, dev.secret_access_key)),
    };
    let mut config = ProxyConfig::new(upstream, AuthMode::Dev(user.into()));
    if admin {
        config.admins = vec![user.into()];
    }
    config.studio_id = studio_id.into();
    config.dist = Some(dist());
    test_support::start_proxy(config).await
}

/// Saves what Chromium shows to `screenshots/NAME.png`; the path.
pub async fn shot(client: &Client, name: &str) -> PathBuf {
    let dir = root().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, client.screenshot().await.unwrap()).unwrap();
    path
}

/// Polls `read` until `done` holds, for at most `limit`.
pub async fn until<T: std::fmt::Debug, F, Fut>(
    limit: Duration,
    what: &str,
    mut read: F,
    done: impl Fn(&T) -> bool,
) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let started = Instant::now();
    loop {
        let value = read().await;
        if done(&value) {
            return value;
        }
        assert!(
            started.elapsed() < limit,
            "waited {limit:?} for {what}; last: {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the current page fetched, as the browser saw it: the document and every resource,
/// each as [path, bytes on the wire (body as encoded), body as decoded].
pub async fn fetched(client: &Client) -> Vec<(String, u64, u64)> {
    let entries = client
        .execute(
            "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
                .map(e => [new URL(e.name).pathname, e.encodedBodySize, e.decodedBodySize])",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(entries).unwrap()
}
