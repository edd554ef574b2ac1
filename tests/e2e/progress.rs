//! A driver's start-up progress (statusMessage) shows on the card as it happens. A real
//! desktop whose start command never opens a window keeps the local-desktop driver at
//! "Starting the desktop…" for the two seconds a launch waits for that window: a second
//! page, which only listens, shows the message from the event stream and then READY
//! without it.

use super::desktop::proxy_starting;
use super::harness::{browser, until};
use super::live::{list_calls, open_portal, stop, LIVE};
use super::page::{card_text, click_in_card, wait_for_state};
use std::time::Duration;
use test_support::DesktopRoot;

const STARTING: &str = "Starting the desktop…";

#[tokio::test]
async fn start_up_progress_shows_on_another_page_as_it_happens() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let no_window = Some(vec!["/bin/sleep".to_owned(), "600".to_owned()]);
    let proxy = proxy_starting(&root, Duration::from_millis(500), no_window).await;
    let base = format!("http://{}/", proxy.addr());
    let (_one_driver, one) = browser().await;
    let (_two_driver, two) = browser().await;
    open_portal(&one, &base).await;
    open_portal(&two, &base).await;
    stop(&one, "Lighting").await;
    wait_for_state(&two, "Lighting", "STOPPED").await;
    let lists = list_calls(&two).await;

    click_in_card(&one, "Lighting", "Start").await;
    click_in_card(&one, "Lighting", "Start workstation").await;
    let reads = || card_text(&two, "Lighting");
    until(LIVE, "the driver's progress on page two", reads, |text| {
        text.contains(STARTING)
    })
    .await;
    wait_for_state(&two, "Lighting", "READY").await;
    let ready = card_text(&two, "Lighting").await;
    assert!(
        !ready.contains(STARTING),
        "the message went with READY: {ready}"
    );
    assert_eq!(
        list_calls(&two).await,
        lists,
        "page two heard it all from its event stream; it did not poll"
    );
    one.close().await.unwrap();
    two.close().await.unwrap();
    proxy.shutdown().await;
}
