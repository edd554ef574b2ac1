//! Sharing, in headless Chromium against real desktops: alice shares Lighting with bob from
//! its card; bob, signed in, finds it under "Shared with me" and Connect shows him alice's
//! desktop in a new tab; when alice revokes it, his viewer says it was closed.

use super::desktop::{
    drawn_pixels, proxy_with, session_named, studio_client, switch_to_new_tab, viewer_status,
};
use super::harness::{browser, until, users_file};
use super::page::{click, click_in_card, sign_in, sign_out, state_of, type_into, WAIT};
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, Locator};
use portal_proxy::AuthMode;
use std::time::Duration;
use test_support::DesktopRoot;

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    let element = client.wait().at_most(WAIT).for_element(Locator::Css(css));
    element.await.unwrap()
}

/// What bob's page is answered, through portal-proxy, for `session`'s thumbnail by the
/// colleague's path and by the owner's.
async fn thumbnail_statuses(client: &Client, portal: &WindowHandle, session: &str) -> Vec<u16> {
    let shown = client.window().await.unwrap();
    client.switch_to_window(portal.clone()).await.unwrap();
    let studio = "/api/2020-08-01/studios/demo-studio";
    let script = format!(
        "return Promise.all([
           '{studio}/artists/bob/shared-sessions/{session}/thumbnail',
           '{studio}/streaming-sessions/{session}/thumbnail',
         ].map(path => fetch(path).then(r => r.status)))"
    );
    let statuses = client.execute(&script, vec![]).await.unwrap();
    client.switch_to_window(shown).await.unwrap();
    serde_json::from_value(statuses).unwrap()
}

#[tokio::test]
async fn a_colleague_connects_to_a_shared_desktop_until_it_is_revoked() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(root) = DesktopRoot::new() else {
        return;
    };
    let users = tempfile::tempdir().unwrap();
    let auth = AuthMode::UsersFile(users_file(users.path(), &["alice", "bob"]));
    let proxy = proxy_with(&root, Duration::from_millis(500), None, None, auth).await;
    let (_driver, client) = browser().await;
    let base = format!("http://{}", proxy.addr());

    // Alice shares Lighting with bob from its card: control, for 30 minutes.
    sign_in(&client, &base, "alice").await;
    let ready = || state_of(&client, "Lighting");
    until(WAIT, "Lighting READY", ready, |s| s == "READY").await;
    click_in_card(&client, "Lighting", "Share").await;
    wait_for(&client, "dialog.extra #share-user").await;
    type_into(&client, "share-user", "bob").await;
    let control = "document.getElementById('share-mode').value = 'CONTROL';
                   document.getElementById('share-minutes').value = '30';";
    client.execute(control, vec![]).await.unwrap();
    click(&client, Locator::Css("dialog.extra button[type=submit]")).await;
    let row = wait_for(&client, "dialog.extra li[data-user=bob]").await;
    let text = row.text().await.unwrap();
    assert!(
        text.contains("Control") && text.contains("not connected"),
        "{text}"
    );
    // As asked: control, for 30 minutes.
    let lighting = session_named(&studio_client(&proxy), "Lighting").await;
    let shares = format!("/2020-08-01/studios/demo-studio/streaming-sessions/{lighting}/shares");
    let listed = studio_client(&proxy).call("GET", &shares, None, None).await;
    let share = &listed.json["shares"][0];
    assert_eq!(share["mode"], "CONTROL", "{}", listed.json);
    let at = |name: &str| {
        let time: nimble_model::Timestamp = serde_json::from_value(share[name].clone()).unwrap();
        time.unix_millis()
    };
    let minutes = (at("expiresAt") - at("createdAt")) / 60_000;
    assert_eq!(minutes, 30, "{}", listed.json);

    // Bob signs in on the same browser and connects from "Shared with me".
    sign_out(&client).await;
    sign_in(&client, &base, "bob").await;
    click(
        &client,
        Locator::XPath("//button[normalize-space()='Shared with me']"),
    )
    .await;
    let entry = format!("dialog.extra li[data-session='{lighting}']");
    let entry_text = wait_for(&client, &entry).await.text().await.unwrap();
    assert!(entry_text.contains("Lighting (alice)"), "{entry_text}");
    let portal = client.window().await.unwrap();
    click(&client, Locator::Css(&format!("{entry} button"))).await;
    switch_to_new_tab(&client, 1, &portal).await;
    let drawn = || drawn_pixels(&client);
    until(WAIT, "alice's desktop drawn", drawn, |n| {
        n.is_some_and(|n| n > 0)
    })
    .await;
    assert_eq!(client.title().await.unwrap(), "Lighting · Workstation");

    // Bob's page may see the thumbnail of what is shared with him, never alice's own.
    let thumbnails = thumbnail_statuses(&client, &portal, &lighting).await;
    assert_eq!(
        thumbnails,
        [200, 404],
        "shared with him: through his path only"
    );

    // Alice revokes the share (what her dialog's Revoke sends): bob's viewer is closed.
    let path = format!("{shares}/bob");
    let revoked = studio_client(&proxy)
        .call("DELETE", &path, None, None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.json);
    let status = || viewer_status(&client);
    let said = until(WAIT, "the viewer saying so", status, |s| {
        s.contains("Connect again")
    })
    .await;
    assert!(said.contains("closed"), "{said}");
    let thumbnails = thumbnail_statuses(&client, &portal, &lighting).await;
    assert_eq!(thumbnails, [404, 404], "no longer shared");
    client.close().await.unwrap();
    proxy.shutdown().await;
}
