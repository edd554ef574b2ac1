//! Leaving the portal and coming back. Chromium keeps a left page frozen in its
//! back/forward cache, and allows only six HTTP/1.1 connections to one host: a left page
//! that held its event stream open would, after a few visits, leave the portal unable to
//! load at all. So a left page closes its stream, and one restored by Back listens again.

use super::harness::{browser, proxy};
use super::live::{list_calls, open_portal, stop, LIVE};
use super::page::{wait_for_state, wait_for_state_within, WAIT};
use fantoccini::Locator;
use portal_proxy::AuthMode;
use std::time::Duration;

#[tokio::test]
async fn the_portal_loads_after_many_visits_and_a_page_restored_by_back_is_live() {
    let proxy = proxy(AuthMode::Dev("alice".into())).await;
    let base = format!("http://{}/", proxy.addr());
    let (_driver, client) = browser().await;
    // More visits than the browser's six connections to one host.
    for visit in 1..=8 {
        client.goto("about:blank").await.unwrap();
        client.goto(&base).await.unwrap();
        let shown = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(".card"))
            .await;
        assert!(shown.is_ok(), "visit {visit}: no workstations in {WAIT:?}");
    }

    // Back restores the left page as it was (the mark survives), and it listens again.
    client.execute("window.mark = 1", vec![]).await.unwrap();
    client.goto("about:blank").await.unwrap();
    client.back().await.unwrap();
    let restored = client.execute("return window.mark", vec![]).await.unwrap();
    assert_eq!(
        restored, 1,
        "Back restored the page from the back/forward cache"
    );
    wait_for_state(&client, "Lighting", "READY").await;
    // The catch-up list on hello is done.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let lists = list_calls(&client).await;

    // A stop in another tab reaches the restored page as an event, not by polling.
    let home = client.window().await.unwrap();
    let other = client.new_window(true).await.unwrap();
    client.switch_to_window(other.handle).await.unwrap();
    open_portal(&client, &base).await;
    stop(&client, "Lighting").await;
    client.close_window().await.unwrap();
    client.switch_to_window(home).await.unwrap();
    wait_for_state_within(LIVE, &client, "Lighting", "STOPPED").await;
    assert_eq!(
        list_calls(&client).await,
        lists,
        "the restored page listened; it did not poll"
    );
    client.close().await.unwrap();
    proxy.shutdown().await;
}
