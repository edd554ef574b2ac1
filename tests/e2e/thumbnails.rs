//! Live thumbnails in Chromium: Lighting's card shows a picture of its real desktop, taken
//! by local-studio, and the picture follows the desktop (painted red, then blue, from inside
//! it). Only READY cards show one.

use super::desktop::{proxy_with, session_named, studio_client};
use super::harness::{browser, until};
use super::page::{state_of, WAIT};
use super::viewer::on_desktop;
use fantoccini::Client;
use local_desktop::{Desktop, Desktops, DesktopsConfig};
use portal_proxy::AuthMode;
use std::time::Duration;
use test_support::DesktopRoot;

/// Paints the desktop's background, as a program on it would.
fn paint(desktop: &Desktop, colour: &str) {
    let status = on_desktop(desktop, "xsetroot")
        .args(["-solid", colour])
        .status();
    assert!(status
        .expect("xsetroot: `cargo xtask setup` installs it")
        .success());
}

/// The colour [r, g, b] of the bottom right corner of the card's thumbnail, as the page
/// decoded it; `None` while the card shows none.
async fn corner_colour(client: &Client, session: &str) -> Option<Vec<u8>> {
    let script = format!(
        "const img = document.querySelector(`[data-session='{session}'] > img`);
         if (!img || !img.complete || !img.naturalWidth) return null;
         const canvas = document.createElement('canvas');
         [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
         const context = canvas.getContext('2d');
         context.drawImage(img, 0, 0);
         return [...context.getImageData(canvas.width - 4, canvas.height - 4, 1, 1).data.slice(0, 3)];"
    );
    serde_json::from_value(client.execute(&script, vec![]).await.unwrap()).unwrap()
}

fn reddish(rgb: &Option<Vec<u8>>) -> bool {
    rgb.as_ref().is_some_and(|c| c[0] > 200 && c[2] < 60)
}

fn bluish(rgb: &Option<Vec<u8>>) -> bool {
    rgb.as_ref().is_some_and(|c| c[2] > 200 && c[0] < 60)
}

#[tokio::test]
async fn a_ready_cards_thumbnail_shows_its_desktop_and_follows_it() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let auth = AuthMode::Dev("alice".into());
    let proxy = proxy_with(&root, Duration::from_millis(500), None, None, auth).await;
    let studio = studio_client(&proxy);
    let (_driver, client) = browser().await;
    client
        .goto(&format!("http://{}/", proxy.addr()))
        .await
        .unwrap();
    let ready = || state_of(&client, "Lighting");
    until(WAIT, "Lighting READY", ready, |s| s == "READY").await;
    let lighting = session_named(&studio, "Lighting").await;
    let desktops = Desktops::new(DesktopsConfig::new(root.path())).unwrap();
    let desktop = desktops.find(&lighting).expect("Lighting's desktop runs");

    paint(&desktop, "#ff0000");
    let colour = || corner_colour(&client, &lighting);
    // The page reads a picture every 10 s; local-studio takes a new one at most that often.
    let within = Duration::from_secs(25);
    until(within, "a red thumbnail", colour, reddish).await;
    paint(&desktop, "#0000ff");
    proxy
        .embedded()
        .unwrap()
        .advance_clock(Duration::from_secs(10));
    until(within, "the thumbnail turned blue", colour, bluish).await;

    // Only READY cards show one.
    let shown = "return [...document.querySelectorAll('.card > img')]
                   .map(img => img.parentElement.querySelector('[data-state]').dataset.state)";
    let states = client.execute(shown, vec![]).await.unwrap();
    assert!(
        states.as_array().unwrap().iter().all(|s| s == "READY"),
        "{states}"
    );
    client.close().await.unwrap();
    proxy.shutdown().await;
}
