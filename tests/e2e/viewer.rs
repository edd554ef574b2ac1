//! The desktop viewer's toolbar in headless Chromium, against the demo's real desktops (as
//! `desktop.rs` starts them): what an artist does with it all day, checked from the
//! desktop's side with the X tools an artist's programs would see.
//!
//! - The tab is titled with the workstation's name.
//! - The clipboard crosses both ways on alice's Lighting, and not at all on her Dailies,
//!   whose profile (lp-review) says `clipboardMode = "DISABLED"`: the page is the same, the
//!   desktop's server refuses.
//! - Fit to window makes the remote screen the window's size (xdpyinfo), and follows the
//!   window; off, the desktop keeps its size and is scaled.
//! - Full screen, and a key the browser would keep for itself (Alt+F4 closes the terminal).

use super::desktop::{connect_from_card, drawn_pixels, proxy, session_named, studio_client};
use super::harness::{browser, shot, until};
use super::page::state_of;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use local_desktop::{Desktop, Desktops, DesktopsConfig};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use test_support::DesktopRoot;

const WAIT: Duration = Duration::from_secs(20);

/// A program on `desktop`'s display, given 10 s so that no test waits forever on one.
pub(super) fn on_desktop(desktop: &Desktop, program: &str) -> Command {
    let mut command = Command::new("timeout");
    command
        .args(["10", program])
        .env("DISPLAY", format!(":{}", desktop.display))
        .env("XAUTHORITY", &desktop.xauthority)
        .stderr(Stdio::null());
    command
}

/// Copies `text` inside the desktop, as a program there would (xclip keeps serving it).
fn copy_in_desktop(desktop: &Desktop, text: &str) {
    let mut xclip = on_desktop(desktop, "xclip")
        .args(["-selection", "clipboard", "-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run xclip: `cargo xtask setup` installs it");
    let mut input = xclip.stdin.take().unwrap();
    input.write_all(text.as_bytes()).unwrap();
    drop(input);
    xclip.wait().unwrap();
}

/// What `command` printed, run off the test's runtime: that runtime also runs the servers,
/// and a clipboard read waits for the bridge to bring the viewer's text.
async fn printed(mut command: Command) -> String {
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("run an X client: `cargo xtask setup` installs xclip and xdpyinfo");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The desktop's clipboard as its programs read it ("" when empty).
async fn desktop_clipboard(desktop: &Desktop) -> String {
    let mut xclip = on_desktop(desktop, "xclip");
    xclip.args(["-selection", "clipboard", "-o"]);
    printed(xclip).await
}

/// The desktop's screen size as its programs see it ("1280x800").
async fn desktop_size(desktop: &Desktop) -> String {
    let text = printed(on_desktop(desktop, "xdpyinfo")).await;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("dimensions:"))
        .and_then(|d| d.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

/// The page's size ("1000x700"): what Fit to window makes the desktop.
async fn page_size(client: &Client) -> String {
    let size = js(client, "return `${innerWidth}x${innerHeight}`").await;
    size.as_str().unwrap().to_owned()
}

/// Moves the pointer to the top edge, which brings the toolbar out, and waits for it.
async fn reveal_toolbar(client: &Client) {
    let top = MouseActions::new("pointer".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: 300.0,
            y: 40.0,
        })
        .then(PointerAction::MoveTo {
            duration: None,
            x: 300.0,
            y: 2.0,
        });
    client.perform_actions(top).await.unwrap();
    let out = "const t = document.getElementById('toolbar');
        return !t.hidden && !t.classList.contains('tucked')";
    until(WAIT, "the toolbar out", || js(client, out), |v| *v == true).await;
}

async fn click(client: &Client, css: &str) {
    reveal_toolbar(client).await;
    let button = client.find(Locator::Css(css)).await.unwrap();
    button.click().await.unwrap();
}

/// Types `text` into the viewer's clipboard box, as an artist pasting into it.
async fn type_into_clipboard_box(client: &Client, text: &str) {
    reveal_toolbar(client).await;
    let field = client.find(Locator::Css("#clipboard")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn clipboard_box(client: &Client) -> String {
    let value = js(client, "return document.getElementById('clipboard').value").await;
    value.as_str().unwrap_or_default().to_owned()
}

/// Opens `name`'s desktop from its card and waits for its first frame.
pub(super) async fn open_desktop(client: &Client, name: &str) -> fantoccini::wd::WindowHandle {
    let portal = connect_from_card(client, name).await;
    until(
        WAIT,
        "a desktop frame",
        || drawn_pixels(client),
        |n| n.is_some_and(|n| n > 0),
    )
    .await;
    portal
}

/// Whether process `pid` has ended (gone, or a zombie nobody has reaped yet).
fn ended(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit(')').next().unwrap_or_default().trim_start();
    state.is_empty() || state.starts_with('Z')
}

#[tokio::test]
async fn the_toolbar_carries_the_clipboard_fits_the_window_and_sends_keys() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let proxy = proxy(&root, Duration::from_millis(500)).await;
    let studio = studio_client(&proxy);
    let desktops = Desktops::new(DesktopsConfig::new(root.path())).unwrap();
    let lighting = desktops
        .find(&session_named(&studio, "Lighting").await)
        .expect("Lighting's desktop runs");
    let dailies = desktops
        .find(&session_named(&studio, "Dailies").await)
        .expect("Dailies' desktop runs");

    let (driver, client) = browser().await;
    let client = &client;
    client.set_window_size(1100, 800).await.unwrap();
    client
        .goto(&format!("http://{}/", proxy.addr()))
        .await
        .unwrap();
    until(
        WAIT,
        "Lighting READY",
        || state_of(client, "Lighting"),
        |s| s == "READY",
    )
    .await;
    let portal = open_desktop(client, "Lighting").await;
    // The tab names the workstation as its card does.
    assert_eq!(client.title().await.unwrap(), "Lighting · Workstation");

    // 1. The clipboard, both ways.
    type_into_clipboard_box(client, "from the browser").await;
    until(
        WAIT,
        "the paste on Lighting's clipboard",
        || desktop_clipboard(&lighting),
        |c| c == "from the browser",
    )
    .await;
    copy_in_desktop(&lighting, "from the desktop");
    until(
        WAIT,
        "the desktop's copy in the viewer",
        || clipboard_box(client),
        |c| c == "from the desktop",
    )
    .await;

    // 2. Fit to window (on by default): the remote screen is the page's size, and follows
    //    the window. Off, the window no longer resizes the desktop.
    let fitted = page_size(client).await;
    until(
        WAIT,
        "the desktop fitted to the page",
        || desktop_size(&lighting),
        |s| *s == fitted,
    )
    .await;
    client.set_window_size(900, 700).await.unwrap();
    let smaller = page_size(client).await;
    assert_ne!(smaller, fitted);
    until(
        WAIT,
        "the desktop following the window",
        || desktop_size(&lighting),
        |s| *s == smaller,
    )
    .await;
    shot(client, "viewer-fitted").await;
    click(client, "#fit").await;
    let pressed = js(client, "return document.getElementById('fit').ariaPressed").await;
    assert_eq!(pressed, "false");
    client.set_window_size(1100, 800).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        desktop_size(&lighting).await,
        smaller,
        "scaled, not resized"
    );
    click(client, "#fit").await; // as it was, for the next page (kept per browser)

    // 3. Full screen.
    click(client, "#fullscreen").await;
    let full = "return document.fullscreenElement !== null";
    until(WAIT, "full screen", || js(client, full), |v| *v == true).await;
    click(client, "#fullscreen").await;
    until(
        WAIT,
        "full screen left",
        || js(client, full),
        |v| *v == false,
    )
    .await;

    // 4. A key the browser would keep: Alt+F4 closes the desktop's terminal (openbox's
    //    binding), and the desktop stays.
    reveal_toolbar(client).await;
    let keys = client.find(Locator::Css("#keys")).await.unwrap();
    keys.select_by_value("alt-f4").await.unwrap();
    until(
        WAIT,
        "the terminal closed by Alt+F4",
        || async { ended(lighting.app.pid) },
        |e| *e,
    )
    .await;
    assert!(!ended(lighting.xvnc.pid), "the desktop stays up");
    client.close_window().await.unwrap();
    client.switch_to_window(portal).await.unwrap();

    // 5. Dailies' profile disables the clipboard: the same page, and nothing crosses.
    open_desktop(client, "Dailies").await;
    type_into_clipboard_box(client, "not to cross").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(desktop_clipboard(&dailies).await, "", "a paste crossed");
    copy_in_desktop(&dailies, "stays on the desktop");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(desktop_clipboard(&dailies).await, "stays on the desktop");
    assert_eq!(
        clipboard_box(client).await,
        "not to cross",
        "a copy crossed"
    );
    shot(client, "viewer-clipboard-disabled").await;

    client.clone().close().await.unwrap();
    drop(driver);
    proxy.shutdown().await;
}
