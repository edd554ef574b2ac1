//! The week editor in Chromium: Working hours on a card loads the on-demand dialog (not
//! part of the first load), which shows the artist's limits and saves a week; after a
//! reload the dialog shows the saved week, and local-studio has it. Then a new workstation
//! beyond the limit is refused, and the page says which limit.

use super::harness::{browser, phone_browser, proxy_to, shot, until};
use super::page::{click_in_card, wait_for_state, WAIT};
use fantoccini::{Client, Locator};
use serde_json::json;
use std::time::Duration;

const SESSIONS: &str = "/2020-08-01/studios/week-studio/streaming-sessions";

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "week-studio"
time_zone = "Europe/Paris"
limits = { ready_at_once = 1, hours_per_month = 100 }

[[studios.launch_profiles]]
launchProfileId = "lp-week"
name = "Weekly"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]

[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#;

/// Opens Shot 7's working hours and waits for the week to load.
async fn open_dialog(client: &Client) {
    click_in_card(client, "Shot 7", "Working hours").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("dialog.extra #works-MONDAY"))
        .await
        .unwrap();
}

async fn value(client: &Client, css: &str) -> String {
    let element = client.find(Locator::Css(css)).await.unwrap();
    element.prop("value").await.unwrap().unwrap_or_default()
}

async fn checked(client: &Client, css: &str) -> bool {
    let element = client.find(Locator::Css(css)).await.unwrap();
    element.prop("checked").await.unwrap().as_deref() == Some("true")
}

async fn dialog_text(client: &Client) -> String {
    match client.find(Locator::Css("dialog.extra")).await {
        Ok(dialog) => dialog.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// local-studio with alice's READY "Shot 7", and the proxy in front of it; its id.
async fn week_studio() -> (
    test_support::Studio,
    portal_proxy::RunningProxy,
    String,
    tempfile::TempDir,
) {
    let scratch = tempfile::tempdir().unwrap();
    let toml = scratch.path().join("studio.toml");
    std::fs::write(&toml, STUDIO_TOML).unwrap();
    let studio = test_support::start(local_studio::Config {
        studio_config: Some(toml),
        transition: Duration::from_millis(200),
        ..local_studio::Config::default()
    })
    .await;
    let body =
        json!({"launchProfileId": "lp-week", "ownedBy": "alice", "tags": {"name": "Shot 7"}});
    let id = studio.create_in(SESSIONS, body).await;
    studio.wait_for_state(SESSIONS, &id, "READY").await;
    let proxy = proxy_to(&studio, "week-studio").await;
    (studio, proxy, id, scratch)
}

#[tokio::test]
async fn the_week_editor_saves_a_week_and_shows_it_after_a_reload() {
    let (studio, proxy, id, _scratch) = week_studio().await;
    let (_driver, client) = browser().await;
    let client = &client;
    client
        .goto(&format!("http://{}/", proxy.addr()))
        .await
        .unwrap();
    wait_for_state(client, "Shot 7", "READY").await;
    let module_loaded =
        "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/extras.js'))";
    let loaded = client.execute(module_loaded, vec![]).await.unwrap();
    assert_eq!(
        loaded,
        json!(false),
        "the first load does not fetch the dialog"
    );

    open_dialog(client).await;
    let text = until(
        WAIT,
        "the limits",
        || dialog_text(client),
        |t| t.contains("Your limits"),
    )
    .await;
    assert!(text.contains("Europe/Paris"), "{text}");
    assert!(
        text.contains("1 of 1"),
        "running now against the limit: {text}"
    );
    assert!(text.contains("of 100"), "hours against the limit: {text}");
    assert!(!checked(client, "#works-MONDAY").await, "no schedule yet");

    // Monday, 08:30 to 17:15; Friday, the default 09:00 to 18:00.
    client
        .find(Locator::Css("#works-MONDAY"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#works-FRIDAY"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let set = "const [start, end] = document.querySelectorAll('dialog.extra .day:first-of-type input[type=time]');\
               start.value = '08:30'; end.value = '17:15';";
    client.execute(set, vec![]).await.unwrap();
    client
        .find(Locator::XPath("//dialog//button[normalize-space()='Save']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let saved = until(
        WAIT,
        "saved",
        || dialog_text(client),
        |t| t.contains("Saved."),
    )
    .await;
    assert!(saved.contains("Next start:"), "{saved}");
    shot(client, "week-editor").await;

    // local-studio has the week.
    let schedule = studio.get(&format!("{SESSIONS}/{id}/schedule")).await.json["schedule"].clone();
    assert_eq!(
        schedule["days"],
        json!({"MONDAY": {"start": "08:30", "end": "17:15"}, "FRIDAY": {"start": "09:00", "end": "18:00"}})
    );

    // After a reload, the dialog shows it.
    client.refresh().await.unwrap();
    wait_for_state(client, "Shot 7", "READY").await;
    open_dialog(client).await;
    until(
        WAIT,
        "the saved week",
        || async { value(client, "dialog.extra .day:first-of-type input[type=time]").await },
        |v| v == "08:30",
    )
    .await;
    assert!(checked(client, "#works-MONDAY").await);
    assert!(checked(client, "#works-FRIDAY").await);
    assert!(!checked(client, "#works-TUESDAY").await);
    let ends: Vec<String> = {
        let mut all = Vec::new();
        for input in client
            .find_all(Locator::Css("dialog.extra input[type=time]"))
            .await
            .unwrap()
        {
            all.push(input.prop("value").await.unwrap().unwrap_or_default());
        }
        all
    };
    assert_eq!(ends[1], "17:15", "{ends:?}");

    // One running is the most alice may have: a second is refused, naming the limit.
    client
        .find(Locator::XPath(
            "//dialog//button[normalize-space()='Close']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::XPath(
            "//button[normalize-space()='New workstation']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let name = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("section.new input"))
        .await
        .unwrap();
    name.send_keys("Shot 8").await.unwrap();
    let create = Locator::XPath("//section[@class='new']//button[normalize-space()='Create']");
    client.find(create).await.unwrap().click().await.unwrap();
    let said = until(
        WAIT,
        "the refusal",
        || async { client.source().await.unwrap() },
        |page| page.contains("at once (1)"),
    )
    .await;
    assert!(
        said.contains("alice already has 1 workstation running"),
        "the studio's words"
    );
    assert_eq!(
        studio.get(SESSIONS).await.json["sessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    client.clone().close().await.unwrap();
    proxy.shutdown().await;
}

/// On a phone's screen (390 × 844 CSS pixels) the week fits: nothing scrolls sideways,
/// and every day's times are on screen and can be changed.
#[tokio::test]
async fn the_week_editor_fits_a_phone() {
    let (_studio, proxy, _id, _scratch) = week_studio().await;
    let (_driver, client) = phone_browser().await;
    let client = &client;
    client
        .goto(&format!("http://{}/", proxy.addr()))
        .await
        .unwrap();
    wait_for_state(client, "Shot 7", "READY").await;
    open_dialog(client).await;
    let measure = "const d = document.querySelector('dialog.extra');\
                   const inputs = [...d.querySelectorAll('input[type=time]')];\
                   return { width: window.innerWidth, overflow: d.scrollWidth - d.clientWidth,\
                            widest: Math.max(...inputs.map(i => i.getBoundingClientRect().right)) };";
    let seen = client.execute(measure, vec![]).await.unwrap();
    assert_eq!(seen["width"], 390, "a phone's width: {seen}");
    assert_eq!(seen["overflow"], 0, "nothing scrolls sideways: {seen}");
    assert!(
        seen["widest"].as_f64().unwrap() <= seen["width"].as_f64().unwrap(),
        "every time is on screen: {seen}"
    );
    shot(client, "week-editor-phone").await;
    client
        .find(Locator::Css("#works-SUNDAY"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let sunday_start = client
        .find(Locator::Css("input[aria-label='Sunday start']"))
        .await
        .unwrap();
    assert_eq!(
        sunday_start.prop("disabled").await.unwrap().as_deref(),
        Some("false")
    );
    client.clone().close().await.unwrap();
    proxy.shutdown().await;
}
