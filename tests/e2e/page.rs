//! Reading and driving the portal's page: a workstation's card by its name, its state,
//! its buttons, and the texts the tests wait for.

use super::harness::until;
use fantoccini::{Client, Locator};
use std::time::Duration;

/// How long a step may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn card(name: &str) -> String {
    format!("//li[contains(@class,'card')][.//h2[normalize-space()='{name}']]")
}

/// The session id a card shows its workstation under.
pub async fn session_id_of(client: &Client, name: &str) -> String {
    client
        .find(Locator::XPath(&card(name)))
        .await
        .unwrap()
        .attr("data-session")
        .await
        .unwrap()
        .unwrap()
}

pub async fn state_of(client: &Client, name: &str) -> String {
    match client
        .find(Locator::XPath(&format!(
            "{}//span[contains(@class,'badge')]",
            card(name)
        )))
        .await
    {
        Ok(badge) => badge
            .attr("data-state")
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub async fn click(client: &Client, element: Locator<'_>) {
    client.find(element).await.unwrap().click().await.unwrap();
}

/// Types `text` into the input with id `id`.
pub async fn type_into(client: &Client, id: &str, text: &str) {
    let input = client.find(Locator::Id(id)).await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Opens `base` signed out: the portal sends the artist to the sign-in page, where alice
/// signs in (see `harness::alices_users_file`).
pub async fn sign_in_as_alice(client: &Client, base: &str) {
    client.goto(base).await.unwrap();
    super::harness::until(
        WAIT,
        "the sign-in page",
        || async { client.current_url().await.unwrap().path().to_owned() },
        |p| p == "/login",
    )
    .await;
    type_into(client, "user", "alice").await;
    type_into(client, "password", "render-farm").await;
    click(client, Locator::Css("button[type=submit]")).await;
}

/// Signs `user` in on the login page (password "render-farm", `harness::users_file`), and
/// waits for their cards.
pub async fn sign_in(client: &Client, base: &str, user: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    type_into(client, "user", user).await;
    type_into(client, "password", "render-farm").await;
    click(client, Locator::Css("button[type=submit]")).await;
    wait_for_cards(client).await;
}

/// Waits until the page shows workstation cards.
pub async fn wait_for_cards(client: &Client) {
    let cards = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".card"));
    cards.await.unwrap();
}

/// Signs out, as the portal does (POST /api/logout), from the page the client shows.
pub async fn sign_out(client: &Client) {
    let out = "return fetch('/api/logout', {method: 'POST', headers: {'X-Studio-Portal': '1'}})
                   .then(r => r.status)";
    assert_eq!(client.execute(out, vec![]).await.unwrap(), 204);
}

pub async fn click_in_card(client: &Client, name: &str, button: &str) {
    let path = format!("{}//button[normalize-space()='{button}']", card(name));
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&path))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn text_of(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits until card `name` says `words`, for at most `limit`; answers all it says.
pub async fn wait_for_card_text(
    client: &Client,
    name: &str,
    words: &str,
    limit: Duration,
) -> String {
    until(
        limit,
        words,
        || card_text(client, name),
        |t| t.contains(words),
    )
    .await
}

/// Waits until card `name` shows `state`.
pub async fn wait_for_state(client: &Client, name: &str, state: &str) {
    wait_for_state_within(WAIT, client, name, state).await;
}

/// Waits at most `limit` until card `name` shows `state`.
pub async fn wait_for_state_within(limit: Duration, client: &Client, name: &str, state: &str) {
    let what = format!("{name} to show {state}");
    until(limit, &what, || state_of(client, name), |s| s == state).await;
}

/// Waits until the live region says `words`; answers all it says.
pub async fn wait_for_announcement(client: &Client, words: &str) -> String {
    until(
        WAIT,
        "the announcement",
        || text_of(client, "#announcements"),
        |t| t.contains(words),
    )
    .await
}

pub async fn card_text(client: &Client, name: &str) -> String {
    match client.find(Locator::XPath(&card(name))).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}
