//! End-to-end tests in headless Chromium: the built portal (`trunk build --release`, read
//! from `STUDIO_PORTAL_DIST` or `dist/`) served by a real portal-proxy with its embedded
//! local-studio, driven through chromedriver. Screenshots go to `screenshots/`. The size
//! budget of the first load is checked here too (`budget.rs`).

mod admin;
mod budget;
mod desktop;
mod desktop_bench;
mod dev_journey;
mod harness;
mod intermediary;
mod journey;
mod live;
mod live_bench;
mod nginx;
mod page;
mod progress;
mod reconnect;
mod revisit;
mod sharing;
mod stop_warning;
mod thumbnails;
mod viewer;
mod viewer_bench;
mod week_editor;

use fantoccini::Locator;
use harness::{alices_users_file, browser, fetched, proxy, shot, until};
use local_studio::Faults;
use page::{
    card, click, click_in_card, session_id_of, sign_in_as_alice, state_of, wait_for_announcement,
    wait_for_card_text, wait_for_state, WAIT,
};
use portal_proxy::AuthMode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn an_artist_signs_in_stops_starts_connects_and_sees_errors_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = proxy(AuthMode::UsersFile(alices_users_file(dir.path()))).await;
    let base = format!("http://{}", proxy.addr());
    let (_driver, client) = browser().await;
    let wait = WAIT;

    // Signed out: the portal sends the artist to the sign-in page.
    sign_in_as_alice(&client, &base).await;

    // Only alice's workstations: Lighting, Compositing and Dailies; not bob's.
    client
        .wait()
        .at_most(wait)
        .for_element(Locator::Css(".card"))
        .await
        .unwrap();
    let names = until(
        wait,
        "alice's three cards",
        || async {
            let mut names = Vec::new();
            for heading in client.find_all(Locator::Css(".card h2")).await.unwrap() {
                names.push(heading.text().await.unwrap());
            }
            names.sort();
            names
        },
        |n| n.len() == 3,
    )
    .await;
    assert_eq!(names, ["Compositing", "Dailies", "Lighting"]);
    // The build precompresses the portal and portal-proxy sends it compressed.
    let wasm = fetched(&client)
        .await
        .into_iter()
        .find(|(path, _, _)| path.ends_with(".wasm"))
        .expect("the page fetched its wasm");
    assert!(
        wasm.1 > 0 && wasm.1 * 2 < wasm.2,
        "the wasm came uncompressed: {wasm:?}"
    );
    let title = until(
        wait,
        "the title",
        || async { client.title().await.unwrap() },
        |t| t.contains("running"),
    )
    .await;
    assert_eq!(title, "(2 running) Workstations");
    shot(&client, "1-sessions").await;

    // Stop: asks whether to keep the files (RETAIN by default), then reaches STOPPED live.
    assert_eq!(state_of(&client, "Lighting").await, "READY");
    let keep = format!(
        "{}//label[contains(., 'Keep my files')]/input",
        card("Lighting")
    );
    let erase = format!(
        "{}//label[contains(., 'Delete my files')]/input",
        card("Lighting")
    );
    click_in_card(&client, "Lighting", "Stop").await;
    shot(&client, "2-stop-question").await;
    // A choice left by Cancel does not carry over: the question opens on RETAIN again.
    click(&client, Locator::XPath(&erase)).await;
    click_in_card(&client, "Lighting", "Cancel").await;
    click_in_card(&client, "Lighting", "Stop").await;
    let radio = client.find(Locator::XPath(&keep)).await.unwrap();
    assert!(radio.is_selected().await.unwrap(), "RETAIN is the default");
    // This time the artist deletes the files; the stop carries DELETE.
    click(&client, Locator::XPath(&erase)).await;
    click_in_card(&client, "Lighting", "Stop workstation").await;
    until(
        wait,
        "Stopping",
        || state_of(&client, "Lighting"),
        |s| s == "STOP_IN_PROGRESS" || s == "STOPPED",
    )
    .await;
    shot(&client, "3-stopping").await;
    wait_for_state(&client, "Lighting", "STOPPED").await;
    let announced = wait_for_announcement(&client, "is now STOPPED").await;
    assert!(
        announced.contains("Workstation Lighting is now STOPPED"),
        "{announced}"
    );
    shot(&client, "4-stopped").await;
    let studio_path = "/api/2020-08-01/studios/demo-studio/streaming-sessions";
    let lighting = session_id_of(&client, "Lighting").await;
    let script = format!(
        "return fetch('{studio_path}/{lighting}').then(r => r.json()).then(j => j.session.volumeRetentionMode)"
    );
    assert_eq!(
        client.execute(&script, vec![]).await.unwrap(),
        json!("DELETE")
    );

    // Start: it has a backup now, so the artist picks latest or a backup.
    click_in_card(&client, "Lighting", "Start").await;
    click_in_card(&client, "Lighting", "Start workstation").await;
    wait_for_state(&client, "Lighting", "READY").await;
    wait_for_announcement(&client, "Lighting is now READY").await;

    // Connect: a tab opens at the stream's URL.
    let home = client.window().await.unwrap();
    click_in_card(&client, "Lighting", "Connect").await;
    let windows = until(
        wait,
        "a new tab",
        || async { client.windows().await.unwrap() },
        |w| w.len() == 2,
    )
    .await;
    let tab = windows.into_iter().find(|w| *w != home).unwrap();
    client.switch_to_window(tab).await.unwrap();
    let url = until(
        wait,
        "the stream URL",
        || async { client.current_url().await.unwrap().to_string() },
        |u| u.contains("authToken="),
    )
    .await;
    assert!(url.starts_with(&format!("{base}/dcv/?authToken=")), "{url}");
    client.close_window().await.unwrap();
    client.switch_to_window(home).await.unwrap();

    // A Conflict: the artist is asked to confirm a delete while the workstation is
    // stopped elsewhere; the page hears of the stop at once, but the question stays open,
    // and confirming it now meets the stop in progress.
    let dailies = session_id_of(&client, "Dailies").await;
    click_in_card(&client, "Dailies", "Delete").await;
    let script = format!(
        "return fetch('{studio_path}/{dailies}/stop', {{method: 'POST', headers: {{'X-Studio-Portal': '1', 'Content-Type': 'application/json'}}, body: '{{}}'}}).then(r => r.status)"
    );
    assert_eq!(client.execute(&script, vec![]).await.unwrap(), json!(200));
    click_in_card(&client, "Dailies", "Delete workstation").await;
    let text = wait_for_card_text(&client, "Dailies", "Another operation", wait).await;
    assert!(
        text.contains("Another operation is in progress on this workstation"),
        "{text}"
    );
    shot(&client, "5-conflict").await;

    // Throttled: retried by the proxy and the page, then explained.
    let embedded = proxy.embedded().unwrap();
    embedded.set_faults(Faults {
        throttle: 1.0,
        ..Faults::default()
    });
    click_in_card(&client, "Compositing", "Delete").await;
    click_in_card(&client, "Compositing", "Delete workstation").await;
    let limit = Duration::from_secs(30);
    let text = wait_for_card_text(&client, "Compositing", "busy", limit).await;
    assert!(
        text.contains("The studio service is busy right now"),
        "{text}"
    );
    embedded.set_faults(Faults::default());
    shot(&client, "6-throttled").await;

    // A 360 px phone: everything fits the width, nothing scrolls sideways.
    client.set_window_size(360, 800).await.unwrap();
    let fits = client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true), "the page scrolls sideways at 360 px");
    shot(&client, "7-phone-360px").await;
    client.close().await.unwrap();
    proxy.shutdown().await;
}
