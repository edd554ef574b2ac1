//! A warned automatic stop in Chromium, on two open pages: the studio's clock reaches ten
//! minutes before a workstation's maximum length; both pages show the warning with Keep
//! running (and the page that allowed notifications shows one); Keep running on one page
//! moves stopAt on both, by the profile's step; at the longest the studio allows, the
//! warning says why Keep running cannot help and the button is disabled.
//!
//! The notification is the page's call of `new Notification(…)`, seen by a stand-in that
//! the test puts in place of the browser's (headless Chromium shows none).

use super::harness::{browser, proxy_to, shot, until};
use super::page::{card_text, click_in_card, wait_for_card_text, wait_for_state, WAIT};
use fantoccini::{Client, Locator};
use serde_json::json;
use std::time::Duration;

const STUDIO: &str = "warn-studio";
const SESSIONS: &str = "/2020-08-01/studios/warn-studio/streaming-sessions";
const MINUTE: Duration = Duration::from_secs(60);

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "warn-studio"

[[studios.launch_profiles]]
launchProfileId = "lp-hour"
name = "One hour, up to ninety minutes"
stop_warning_minutes = 10
keep_running = { step_minutes = 30, longest_minutes = 90 }
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]
maxSessionLengthInMinutes = 60

[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#;

/// Records the page's notifications in `window.notified`, and grants permission.
const NOTIFICATION_STAND_IN: &str = r#"
window.notified = [];
window.Notification = class {
    static get permission() { return "granted"; }
    static requestPermission() { return Promise.resolve("granted"); }
    constructor(title) { window.notified.push(title); }
};
"#;

async fn notified(client: &Client) -> Vec<String> {
    let value = client.execute("return window.notified || []", vec![]).await;
    serde_json::from_value(value.unwrap()).unwrap_or_default()
}

async fn stop_at(studio: &test_support::Studio, id: &str) -> String {
    studio.session_in(SESSIONS, id).await["stopAt"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Whether card `name`'s Keep running button is enabled.
async fn keep_running_enabled(client: &Client, name: &str) -> bool {
    let path = format!(
        "{}//button[normalize-space()='Keep running']",
        super::page::card(name)
    );
    let button = client.find(Locator::XPath(&path)).await.unwrap();
    button.attr("disabled").await.unwrap().is_none()
}

#[tokio::test]
async fn the_warning_shows_on_every_page_and_keep_running_moves_stop_at_on_each() {
    let scratch = tempfile::tempdir().unwrap();
    let toml = scratch.path().join("studio.toml");
    std::fs::write(&toml, STUDIO_TOML).unwrap();
    let studio = test_support::start(local_studio::Config {
        studio_config: Some(toml),
        transition: Duration::from_millis(300),
        ..local_studio::Config::default()
    })
    .await;
    let body =
        json!({"launchProfileId": "lp-hour", "ownedBy": "alice", "tags": {"name": "Shot 42"}});
    let id = studio.create_in(SESSIONS, body).await;
    studio.wait_for_state(SESSIONS, &id, "READY").await;
    let longest = stop_at(&studio, &id).await;

    let proxy = proxy_to(&studio, STUDIO).await;
    let base = format!("http://{}", proxy.addr());
    let (_one_driver, one) = browser().await;
    let (_two_driver, two) = browser().await;
    for page in [&one, &two] {
        page.goto(&base).await.unwrap();
        wait_for_state(page, "Shot 42", "READY").await;
    }
    // Page one allows notifications.
    one.execute(NOTIFICATION_STAND_IN, vec![]).await.unwrap();
    one.find(Locator::XPath("//button[normalize-space()='Notify me']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    one.wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//button[normalize-space()='Notifications on']",
        ))
        .await
        .unwrap();

    // Ten minutes before the maximum length: the warning, on both pages.
    studio
        .server
        .advance_clock(50 * MINUTE + Duration::from_secs(1));
    for page in [&one, &two] {
        let card = wait_for_card_text(page, "Shot 42", "Keep running adds 30 minutes", WAIT).await;
        assert!(card.contains("maximum session length"), "{card}");
        assert!(keep_running_enabled(page, "Shot 42").await);
    }
    shot(&two, "stop-warning").await;
    let said = until(WAIT, "a notification", || notified(&one), |n| !n.is_empty()).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with(
            "Workstation Shot 42: This workstation reaches its maximum session length"
        ),
        "{said:?}"
    );

    // Keep running on page one: stopAt moves by the step, and page two shows it too.
    click_in_card(&one, "Shot 42", "Keep running").await;
    let extended = until(
        WAIT,
        "stopAt to move",
        || stop_at(&studio, &id),
        |at| *at != longest,
    )
    .await;
    let minutes = |at: &str| {
        let at = nimble_model::Timestamp::parse(at).unwrap().unix_millis();
        at / 60_000
    };
    assert_eq!(minutes(&extended) - minutes(&longest), 30);
    for page in [&one, &two] {
        until(
            WAIT,
            "the warning gone",
            || card_text(page, "Shot 42"),
            |t| !t.contains("Keep running"),
        )
        .await;
    }

    // That was the longest (90 minutes): its warning says nothing more can be added.
    studio.server.advance_clock(30 * MINUTE);
    for page in [&one, &two] {
        let card = wait_for_card_text(page, "Shot 42", "longest the studio allows", WAIT).await;
        assert!(card.contains("(90 minutes)"), "{card}");
        assert!(!keep_running_enabled(page, "Shot 42").await);
    }
    one.close().await.unwrap();
    two.close().await.unwrap();
    proxy.shutdown().await;
}
