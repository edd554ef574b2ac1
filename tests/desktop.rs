//! Real desktops in headless Chromium: the built portal (`trunk build --release`, read from
//! `STUDIO_PORTAL_DIST` or `dist/`) served by a real portal-proxy whose embedded local-studio
//! runs the demo's READY artist workstations as real X desktops on this host (Xvnc, openbox,
//! xterm; crate local-desktop), shown by the noVNC viewer that local-studio serves at
//! `/desktop/` (built by `cargo xtask setup` into `.tools/desktop-viewer`).
//!
//! Everything started here stops when a test ends, passed or failed: chromedriver and its
//! Chromium (killed as one process group), the servers (with the test's runtime), and the
//! desktops (test-support's `DesktopRoot` stops every desktop under its root on drop).
//!
//! `cargo xtask bench` runs `bench_desktops` (ignored here): start-to-READY, Connect to first
//! frame, and memory per desktop.

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use local_desktop::{Desktops, DesktopsConfig};
use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use test_support::{ChildGuard, DesktopRoot};

const SESSIONS: &str = "/2020-08-01/studios/demo-studio/streaming-sessions";
const EXPIRED: &str = "This link has been used or has expired";
/// The file the artist makes by typing into the desktop's terminal in the browser.
const TYPED: &str = "typed-in-chromium";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dist() -> PathBuf {
    let dist = std::env::var_os("STUDIO_PORTAL_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("dist"));
    assert!(
        dist.join("index.html").is_file(),
        "no built portal at {}: run `trunk build --release` (cargo xtask test does)",
        dist.display()
    );
    dist
}

fn viewer_dir() -> PathBuf {
    let dir = repo().join(".tools/desktop-viewer");
    assert!(
        dir.join("index.html").is_file() && dir.join("viewer.js").is_file(),
        "no desktop viewer at {}: run `cargo xtask setup`",
        dir.display()
    );
    dir
}

/// Chromedriver in a process group of its own, which the Chromium it starts joins: the
/// whole group is killed (and chromedriver reaped) on drop, so a failed test leaves no
/// browser behind.
struct Chromedriver {
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

/// A WebDriver session in headless Chromium; chromedriver, Chromium and their folders
/// are gone when it is dropped.
struct Browser {
    client: Client,
    _driver: Chromedriver,
    _scratch: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> Browser {
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
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": "/usr/bin/chromium", "args": args}),
    );
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
                return Browser {
                    client,
                    _driver: driver,
                    _scratch: scratch,
                }
            }
            Err(e) if started.elapsed() > Duration::from_secs(20) => {
                panic!("chromedriver did not start: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The embedded local-studio's one credential, which the proxy signs with and so does
/// the test's own client (never the public development one).
fn credential() -> local_studio::Credential {
    local_studio::Credential {
        access_key_id: "DESKTOPTEST".into(),
        secret_access_key: "desktop-test-secret".into(),
        user: "portal-proxy".into(),
    }
}

/// portal-proxy serving dist/ as alice, with an embedded demo local-studio whose READY
/// artist workstations (alice's Lighting, bob's Animation) are real desktops under `root`.
async fn proxy(root: &DesktopRoot, transition: Duration) -> RunningProxy {
    let studio = local_studio::Config {
        demo: true,
        transition,
        desktops: Some(local_studio::DesktopSettings {
            root: root.path().to_owned(),
            viewer_dir: viewer_dir(),
            max_desktops: 8,
            width: 1280,
            height: 800,
            start_command: None,
            url_base: None,
        }),
        credentials: vec![credential()],
        ..local_studio::Config::default()
    };
    let mut config = ProxyConfig::new(Upstream::Embedded(studio), AuthMode::Dev("alice".into()));
    config.dist = Some(dist());
    test_support::start_proxy(config).await
}

/// A SigV4 client for the embedded local-studio (what the proxy itself calls).
fn studio_client(proxy: &RunningProxy) -> test_support::Client {
    let addr = proxy.embedded().expect("embedded local-studio").addr();
    test_support::Client {
        credential: credential(),
        ..test_support::Client::new(addr)
    }
}

/// The id of the demo session tagged `name`.
async fn session_named(studio: &test_support::Client, name: &str) -> String {
    let all = studio.walk("").await;
    let session = all
        .iter()
        .find(|s| s["tags"]["name"] == name)
        .unwrap_or_else(|| panic!("no demo session {name}: {all:?}"));
    session["sessionId"].as_str().unwrap().to_owned()
}

/// Polls `read` until `done` holds, for at most `limit`.
async fn until<T: std::fmt::Debug, F, Fut>(
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

/// JavaScript: `nonUniform()` is how many pixels of the viewer's canvas differ from its
/// first pixel, or null while there is no canvas with a size. A desktop has drawn when it
/// is above 0 (an empty canvas is uniformly transparent).
const NON_UNIFORM: &str = "
function nonUniform() {
  const c = document.querySelector('#screen canvas');
  if (!c || !c.width || !c.height) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let differ = 0;
  for (let i = 4; i < d.length; i += 4) {
    if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) differ++;
  }
  return differ;
}";

/// Pixels of the viewer's canvas that differ from its first; `None` without a canvas.
async fn drawn_pixels(client: &Client) -> Option<u64> {
    let script = format!("{NON_UNIFORM}\nreturn nonUniform();");
    client.execute(&script, vec![]).await.unwrap().as_u64()
}

/// The viewer's status line when shown, else "".
async fn viewer_status(client: &Client) -> String {
    let script =
        "const s = document.getElementById('status'); return s && !s.hidden ? s.textContent : '';";
    match client.execute(script, vec![]).await.unwrap() {
        Value::String(text) => text,
        _ => String::new(),
    }
}

fn card(name: &str) -> String {
    format!("//li[contains(@class,'card')][.//h2[normalize-space()='{name}']]")
}

async fn state_of(client: &Client, name: &str) -> String {
    let badge = format!("{}//span[contains(@class,'badge')]", card(name));
    match client.find(Locator::XPath(&badge)).await {
        Ok(badge) => badge
            .attr("data-state")
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Clicks Connect on the card `name` and switches to the tab it opens; returns the portal's
/// window handle.
async fn connect_from_card(client: &Client, name: &str) -> fantoccini::wd::WindowHandle {
    let home = client.window().await.unwrap();
    let before = client.windows().await.unwrap().len();
    let button = format!("{}//button[normalize-space()='Connect']", card(name));
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&button))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let windows = until(
        Duration::from_secs(10),
        "a new tab",
        || async { client.windows().await.unwrap() },
        |w| w.len() == before + 1,
    )
    .await;
    let tab = windows.into_iter().find(|w| *w != home).unwrap();
    client.switch_to_window(tab).await.unwrap();
    home
}

/// Whether `ready` holds within `limit`, polled every 100 ms.
async fn within(limit: Duration, ready: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if ready() {
            return true;
        }
        if started.elapsed() >= limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves what Chromium shows to `screenshots/NAME.png`; the path.
async fn shot(client: &Client, name: &str) -> PathBuf {
    let dir = repo().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, client.screenshot().await.unwrap()).unwrap();
    path
}

/// Whether a window of the desktop has the keyboard focus (`_NET_ACTIVE_WINDOW`, which
/// openbox sets, names a window).
fn active_window(desktop: &local_desktop::Desktop) -> bool {
    let out = Command::new("xprop")
        .args(["-root", "_NET_ACTIVE_WINDOW"])
        .env("DISPLAY", format!(":{}", desktop.display))
        .env("XAUTHORITY", &desktop.xauthority)
        .stderr(Stdio::null())
        .output();
    let Ok(out) = out else { return false };
    // "_NET_ACTIVE_WINDOW(WINDOW): window id # 0x400022", or "# 0x0" when none.
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_once("window id # ")
        .is_some_and(|(_, id)| id.trim().starts_with("0x") && id.trim() != "0x0")
}

/// VNC connections open on `socket` now: the accepted (connected, state 03) unix sockets
/// that carry its path in /proc/net/unix.
fn vnc_connections(socket: &Path) -> usize {
    let table = std::fs::read_to_string("/proc/net/unix").unwrap_or_default();
    let path = socket.to_string_lossy();
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() >= 8 && fields[5] == "03" && fields[7] == path
        })
        .count()
}

#[tokio::test]
async fn an_artist_connects_to_a_real_desktop_types_into_it_and_the_link_works_once() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let proxy = proxy(&root, Duration::from_millis(500)).await;
    let studio = studio_client(&proxy);
    let studio_addr = studio.addr;
    let desktops = Desktops::new(DesktopsConfig::new(root.path())).unwrap();
    let lighting = session_named(&studio, "Lighting").await;
    let animation = session_named(&studio, "Animation").await;
    let mut running = root.sessions();
    running.sort();
    let mut expected = vec![lighting.clone(), animation.clone()];
    expected.sort();
    assert_eq!(running, expected, "the demo's READY artist desktops run");
    let xvnc = desktops
        .find(&lighting)
        .expect("Lighting's desktop runs")
        .xvnc
        .pid;
    let home = root.path().join("homes").join(&lighting);
    let typed = home.join(TYPED);
    assert!(home.is_dir() && !typed.exists(), "{}", home.display());

    let browser = browser().await;
    let client = &browser.client;
    let wait = Duration::from_secs(20);
    client
        .goto(&format!("http://{}/", proxy.addr()))
        .await
        .unwrap();
    until(
        wait,
        "Lighting READY in the portal",
        || state_of(client, "Lighting"),
        |s| s == "READY",
    )
    .await;

    // 1. Connect opens a tab on local-studio's viewer, which shows the desktop.
    let portal = connect_from_card(client, "Lighting").await;
    let url = until(
        wait,
        "the viewer page",
        || async { client.current_url().await.unwrap() },
        |u| u.path() == "/desktop/",
    )
    .await;
    assert_eq!(url.host_str(), Some("127.0.0.1"));
    assert_eq!(
        url.port(),
        Some(studio_addr.port()),
        "local-studio's own address"
    );
    // The viewer takes the token out of the address bar as soon as its script runs.
    until(
        wait,
        "the token to leave the address bar",
        || async { client.current_url().await.unwrap() },
        |u| u.query().is_none(),
    )
    .await;
    // The address the portal navigated to, token included, as the browser fetched it.
    let opened = client
        .execute(
            "return performance.getEntriesByType('navigation')[0].name",
            vec![],
        )
        .await
        .unwrap();
    let mut opened = opened.as_str().unwrap().to_owned();
    assert!(opened.contains("/desktop/?authToken="), "{opened}");
    if !opened.contains('#') {
        opened.push_str(&format!("#{lighting}"));
    }
    let drawn = until(
        wait,
        "a desktop frame on the viewer's canvas",
        || drawn_pixels(client),
        |n| n.is_some_and(|n| n > 0),
    )
    .await;
    println!("first frame: {drawn:?} pixels differ from the first");

    // 2. Keys typed in the browser reach the terminal of this session's desktop, and only
    //    this one: the file appears in Lighting's home. First, the terminal has the
    //    keyboard focus (openbox gives it to the new window; keys typed before that go
    //    nowhere, as on any X desktop). No click: one outside the terminal hits the root.
    let desktop = desktops.find(&lighting).unwrap();
    let focused = within(Duration::from_secs(10), || active_window(&desktop)).await;
    assert!(focused, "no window of the desktop has the keyboard focus");
    let canvas = client.find(Locator::Css("#screen canvas")).await.unwrap();
    canvas
        .send_keys(&format!("touch ~/{TYPED}{}", char::from(Key::Enter)))
        .await
        .unwrap();
    let appeared = within(Duration::from_secs(10), || typed.exists()).await;
    let shown = shot(client, "desktop-typed").await;
    assert!(
        appeared,
        "the command typed in Chromium made no {} within 10 s; the desktop as shown: {}",
        typed.display(),
        shown.display()
    );
    let other = root.path().join("homes").join(&animation).join(TYPED);
    assert!(!other.exists(), "the keys reached bob's desktop too");

    // 3. The token opens one connection. A reload finds no token (the viewer removed it
    //    from the address bar), and the address with the spent token is refused by the
    //    server: both show the message and no desktop.
    client.refresh().await.unwrap();
    let status = until(
        wait,
        "the used-link message after a reload",
        || viewer_status(client),
        |s| s.contains(EXPIRED),
    )
    .await;
    assert!(status.contains("Connect again from the portal"), "{status}");
    assert!(
        drawn_pixels(client).await.unwrap_or(0) == 0,
        "a reload shows no desktop"
    );
    client.goto(&opened).await.unwrap();
    until(
        wait,
        "the used-link message for the spent token",
        || viewer_status(client),
        |s| s.contains(EXPIRED),
    )
    .await;
    assert!(
        drawn_pixels(client).await.unwrap_or(0) == 0,
        "the spent token showed the desktop"
    );
    client.close_window().await.unwrap();
    client.switch_to_window(portal.clone()).await.unwrap();

    // 4. Closing the tab ends the connection, not the desktop. Connect again (the desktop
    //    outlived the reloaded tab's connection), then close the tab.
    let socket = desktops.find(&lighting).unwrap().vnc_socket;
    connect_from_card(client, "Lighting").await;
    until(
        wait,
        "a desktop frame on the second connection",
        || drawn_pixels(client),
        |n| n.is_some_and(|n| n > 0),
    )
    .await;
    assert_eq!(
        vnc_connections(&socket),
        1,
        "the viewer's one VNC connection"
    );
    client.close_window().await.unwrap();
    client.switch_to_window(portal).await.unwrap();
    until(
        Duration::from_secs(10),
        "the VNC connection to end with the tab",
        || async { vnc_connections(&socket) },
        |n| *n == 0,
    )
    .await;
    let session = studio.session(&lighting).await;
    assert_eq!(session["state"], "READY", "{session}");
    let after = desktops.find(&lighting).expect("the desktop still runs");
    assert_eq!(after.xvnc.pid, xvnc, "the same Xvnc, not a restarted one");
    assert_eq!(state_of(client, "Lighting").await, "READY");
    assert!(typed.exists(), "the artist's file stays");

    client.clone().close().await.unwrap();
    drop(browser);
    proxy.shutdown().await;
}

/// Nearest-rank percentile of sorted `values` (p95 of 10 values is the largest).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `cargo xtask bench` (`-- --ignored --nocapture bench_desktops`): over 10 runs each,
/// StartStreamingSession to READY of a real desktop, navigation to a fresh stream URL until
/// Chromium shows a desktop frame, and memory per running desktop.
#[tokio::test]
#[ignore]
async fn bench_desktops() {
    const RUNS: usize = 10;
    let Some(root) = DesktopRoot::new() else {
        panic!("the desktop packages are missing: run `cargo xtask setup`");
    };
    // Streams are READY at once, so (b) measures the viewer and the desktop only.
    let proxy = proxy(&root, Duration::ZERO).await;
    let studio = studio_client(&proxy);
    let desktops = Desktops::new(DesktopsConfig::new(root.path())).unwrap();
    let lighting = session_named(&studio, "Lighting").await;
    let animation = session_named(&studio, "Animation").await;
    let path = format!("{SESSIONS}/{lighting}");

    async fn state(studio: &test_support::Client, path: &str) -> Value {
        studio.get(path).await.json["session"]["state"].clone()
    }
    async fn wait_for(studio: &test_support::Client, path: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let now = state(studio, path).await;
            if now == want {
                return;
            }
            assert!(Instant::now() < deadline, "{path} never {want}: {now}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // (a) StartStreamingSession → READY, as GetStreamingSession reports it.
    let mut start_ms = Vec::new();
    for _ in 0..RUNS {
        let stop = json!({"volumeRetentionMode": "RETAIN"});
        let reply = studio
            .call("POST", &format!("{path}/stop"), Some(stop), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        wait_for(&studio, &path, "STOPPED").await;
        let started = Instant::now();
        let reply = studio
            .call("POST", &format!("{path}/start"), Some(json!({})), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        wait_for(&studio, &path, "READY").await;
        start_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    // For comparison, the launch alone (local-desktop, no API): its own root, one session.
    let bare = DesktopRoot::new().unwrap();
    let bare_path = bare.path().to_owned();
    let mut launch_ms = tokio::task::spawn_blocking(move || {
        let desktops = Desktops::new(DesktopsConfig::new(bare_path)).unwrap();
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            desktops.launch("ss-bare-launch").unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            desktops.stop("ss-bare-launch").unwrap();
        }
        times
    })
    .await
    .unwrap();
    drop(bare);

    // (b) Connect → first desktop frame: from navigating to a fresh stream URL until the
    //     canvas is not uniform, timed in the page (performance.now() counts from the
    //     navigation's start). (c) The desktop's memory after each connection.
    let browser = browser().await;
    let client = &browser.client;
    let first_frame = format!(
        "{NON_UNIFORM}
const done = arguments[arguments.length - 1];
const limit = performance.now() + 20000;
(function poll() {{
  const n = nonUniform();
  if (n !== null && n > 0) return done(performance.now());
  if (performance.now() > limit) return done(null);
  setTimeout(poll, 5);
}})();"
    );
    let mut frame_ms = Vec::new();
    let (mut pss_mib, mut rss_mib) = (Vec::new(), Vec::new());
    let mut processes = 0;
    for _ in 0..RUNS {
        let reply = studio
            .call(
                "POST",
                &format!("{path}/streams"),
                Some(json!({"expirationInSeconds": 60})),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        assert_eq!(reply.json["stream"]["state"], "READY", "{}", reply.json);
        let url = reply.json["stream"]["url"].as_str().unwrap().to_owned();
        client.goto("about:blank").await.unwrap();
        client.goto(&url).await.unwrap();
        let at = client.execute_async(&first_frame, vec![]).await.unwrap();
        frame_ms.push(
            at.as_f64()
                .expect("a desktop frame within 20 s of navigation"),
        );
        let memory = desktops.memory(&lighting).expect("the desktop runs");
        pss_mib.push(memory.pss_kib as f64 / 1024.0);
        rss_mib.push(memory.rss_kib as f64 / 1024.0);
        processes = memory.processes;
    }
    client.goto("about:blank").await.unwrap();
    let idle = desktops
        .memory(&animation)
        .expect("bob's desktop runs (never connected)");

    for values in [
        &mut start_ms,
        &mut launch_ms,
        &mut frame_ms,
        &mut pss_mib,
        &mut rss_mib,
    ] {
        values.sort_by(f64::total_cmp);
    }
    println!("\nreal desktops (Xvnc + openbox + xterm, 1280x800), {RUNS} runs each; p95 is the nearest rank (of 10: the largest)");
    println!("{:<58} {:>9} {:>9}", "", "p50", "p95");
    let row = |name: &str, unit: &str, values: &[f64]| {
        println!(
            "{name:<58} {:>6.0} {unit} {:>6.0} {unit}",
            percentile(values, 50.0),
            percentile(values, 95.0)
        )
    };
    row(
        "(a) StartStreamingSession -> READY (GetStreamingSession)",
        "ms",
        &start_ms,
    );
    row(
        "    for comparison: Desktops::launch alone (no API)",
        "ms",
        &launch_ms,
    );
    row(
        "(b) navigation to stream URL -> first frame (Chromium)",
        "ms",
        &frame_ms,
    );
    let row = |name: &str, values: &[f64]| {
        println!(
            "{name:<58} {:>5.1} MiB {:>5.1} MiB",
            percentile(values, 50.0),
            percentile(values, 95.0)
        )
    };
    row(
        &format!("(c) memory per desktop, PSS ({processes} processes)"),
        &pss_mib,
    );
    row("(c) memory per desktop, RSS", &rss_mib);
    println!(
        "    an idle desktop never connected: PSS {:.1} MiB, RSS {:.1} MiB, {} processes",
        idle.pss_kib as f64 / 1024.0,
        idle.rss_kib as f64 / 1024.0,
        idle.processes
    );

    client.clone().close().await.unwrap();
    drop(browser);
    proxy.shutdown().await;
}
