//! Real desktops in headless Chromium: the built portal (`trunk build --release`, read from
//! `STUDIO_PORTAL_DIST` or `dist/`) served by a real portal-proxy whose embedded local-studio
//! runs the demo's READY workstations as real X desktops on this host (Xvnc, openbox,
//! xterm; crate local-desktop), shown by the noVNC viewer that local-studio serves at
//! `/desktop/` (built by `cargo xtask setup` into `.tools/desktop-viewer`).
//!
//! Everything started here stops when a test ends, passed or failed: chromedriver and its
//! Chromium (killed as one process group), the servers (with the test's runtime), and the
//! desktops (test-support's `DesktopRoot` stops every desktop under its root on drop).
//!
//! `desktop_bench.rs` measures the same desktops (start to READY, Connect to first frame,
//! memory); the helpers it shares with this test are `pub(super)`.

use super::harness::{browser, dist, root, shot, until};
use super::page::{card, state_of};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use local_desktop::{Desktops, DesktopsConfig};
use portal_proxy::{AuthMode, ProxyConfig, RunningProxy, Upstream};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use test_support::DesktopRoot;

pub(super) const SESSIONS: &str = "/2020-08-01/studios/demo-studio/streaming-sessions";
const EXPIRED: &str = "This link has been used or has expired";
/// The file the artist makes by typing into the desktop's terminal in the browser.
const TYPED: &str = "typed-in-chromium";

pub(super) fn viewer_dir() -> PathBuf {
    let dir = root().join(".tools/desktop-viewer");
    assert!(
        dir.join("index.html").is_file() && dir.join("viewer.js").is_file(),
        "no desktop viewer at {}: run `cargo xtask setup`",
        dir.display()
    );
    dir
}

/// The embedded local-studio's one credential, which the proxy signs with and so does
/// the test's own client (never the public development one).
pub(super) fn credential() -> local_studio::Credential {
    local_studio::Credential {
        access_key_id: "DESKTOPTEST".into(),
        secret_access_key: "desktop-test-secret".into(),
        user: "portal-proxy".into(),
    }
}

/// Real desktops under `root` for the demo's workstations, shown by the built viewer.
pub(super) fn demo_desktops(root: &DesktopRoot) -> local_studio::DesktopSettings {
    local_studio::DesktopSettings {
        root: root.path().to_owned(),
        viewer_dir: viewer_dir(),
        max_desktops: 8,
        width: 1280,
        height: 800,
        start_command: None,
        url_base: None,
        // The demo maps no OS users, and CI runs as root.
        allow_root: true,
    }
}

/// portal-proxy serving dist/ as alice, with an embedded demo local-studio whose READY
/// workstations (alice's Lighting and Dailies, bob's Animation) are real desktops under
/// `root`.
pub(super) async fn proxy(root: &DesktopRoot, transition: Duration) -> RunningProxy {
    proxy_starting(root, transition, None).await
}

/// [`proxy`], whose desktops start `start_command` (default: a terminal).
pub(super) async fn proxy_starting(
    root: &DesktopRoot,
    transition: Duration,
    start_command: Option<Vec<String>>,
) -> RunningProxy {
    let alice = AuthMode::Dev("alice".into());
    proxy_with(root, transition, start_command, None, alice).await
}

/// [`proxy_starting`], whose viewers reach local-studio at `url_base` when given, and
/// whose artists sign in as `auth` says.
pub(super) async fn proxy_with(
    root: &DesktopRoot,
    transition: Duration,
    start_command: Option<Vec<String>>,
    url_base: Option<String>,
    auth: AuthMode,
) -> RunningProxy {
    let studio = local_studio::Config {
        demo: true,
        transition,
        desktops: Some(local_studio::DesktopSettings {
            start_command,
            url_base,
            ..demo_desktops(root)
        }),
        credentials: vec![credential()],
        ..local_studio::Config::default()
    };
    let mut config = ProxyConfig::new(Upstream::Embedded(studio), auth);
    config.dist = Some(dist());
    test_support::start_proxy(config).await
}

/// A SigV4 client for the embedded local-studio (what the proxy itself calls).
pub(super) fn studio_client(proxy: &RunningProxy) -> test_support::Client {
    let addr = proxy.embedded().expect("embedded local-studio").addr();
    test_support::Client {
        credential: credential(),
        ..test_support::Client::new(addr)
    }
}

/// The id of the demo session tagged `name`.
pub(super) async fn session_named(studio: &test_support::Client, name: &str) -> String {
    let all = studio.walk("").await;
    let session = all
        .iter()
        .find(|s| s["tags"]["name"] == name)
        .unwrap_or_else(|| panic!("no demo session {name}: {all:?}"));
    session["sessionId"].as_str().unwrap().to_owned()
}

/// JavaScript: `nonUniform()` is how many pixels of the viewer's canvas differ from its
/// first pixel, or null while there is no canvas with a size. A desktop has drawn when it
/// is above 0 (an empty canvas is uniformly transparent).
pub(super) const NON_UNIFORM: &str = "
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
pub(super) async fn drawn_pixels(client: &Client) -> Option<u64> {
    let script = format!("{NON_UNIFORM}\nreturn nonUniform();");
    client.execute(&script, vec![]).await.unwrap().as_u64()
}

/// The viewer's status line when shown, else "".
pub(super) async fn viewer_status(client: &Client) -> String {
    let script =
        "const s = document.getElementById('status'); return s && !s.hidden ? s.textContent : '';";
    match client.execute(script, vec![]).await.unwrap() {
        Value::String(text) => text,
        _ => String::new(),
    }
}

/// Clicks Connect on the card `name` and switches to the tab it opens; returns the portal's
/// window handle.
pub(super) async fn connect_from_card(client: &Client, name: &str) -> fantoccini::wd::WindowHandle {
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
    switch_to_new_tab(client, before, &home).await;
    home
}

/// Waits for a tab beyond the `before` open ones, and shows it (`home` is the page's).
pub(super) async fn switch_to_new_tab(
    client: &Client,
    before: usize,
    home: &fantoccini::wd::WindowHandle,
) {
    let windows = until(
        Duration::from_secs(10),
        "a new tab",
        || async { client.windows().await.unwrap() },
        |w| w.len() == before + 1,
    )
    .await;
    let tab = windows.into_iter().find(|w| w != home).unwrap();
    client.switch_to_window(tab).await.unwrap();
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
    let dailies = session_named(&studio, "Dailies").await;
    let mut running = root.sessions();
    running.sort();
    let mut expected = vec![lighting.clone(), animation.clone(), dailies];
    expected.sort();
    assert_eq!(
        running, expected,
        "the demo's READY workstations are real desktops"
    );
    let xvnc = desktops
        .find(&lighting)
        .expect("Lighting's desktop runs")
        .xvnc
        .pid;
    let home = root.path().join("homes").join(&lighting);
    let typed = home.join(TYPED);
    assert!(home.is_dir() && !typed.exists(), "{}", home.display());

    let (driver, client) = browser().await;
    let client = &client;
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
    drop(driver);
    proxy.shutdown().await;
}
