//! What an artist does on the page, as steps the journey tests share (`dev_journey.rs`,
//! `nginx/`): stop, start, create, delete and connect, each waiting for what the artist
//! would wait for; and waiting for a server that a test started as a process.

use super::desktop::{connect_from_card, drawn_pixels};
use super::harness::until;
use super::page::{card, click_in_card, wait_for_state_within};
use fantoccini::{Client, Locator};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an action may take to show its end state on the page (real desktops).
const ACTION: Duration = Duration::from_secs(60);

/// The status and body of a plain HTTP GET, or `None` while nothing answers.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    let status = reply.split_whitespace().nth(1)?.parse().ok()?;
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Some((status, body.to_owned()))
}

/// Waits until `addr` answers `path` with 200 and a body containing `marker`; panics after
/// `limit` with the end of the server's log.
pub async fn wait_until_serving(
    addr: SocketAddr,
    path: &str,
    marker: &str,
    limit: Duration,
    log: &Path,
) {
    let started = Instant::now();
    loop {
        let got = tokio::task::spawn_blocking({
            let path = path.to_owned();
            move || http_get(addr, &path)
        })
        .await
        .unwrap();
        if matches!(&got, Some((200, body)) if body.contains(marker)) {
            return;
        }
        if started.elapsed() > limit {
            panic!(
                "http://{addr}{path} did not serve {marker:?} within {limit:?} (last: {got:?}); \
                 the end of {}:\n{}",
                log.display(),
                tail(log)
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The last lines of a log file, for a failure's message.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Clicks a card's button and, when the page asks, the confirming one.
async fn click_and_confirm(client: &Client, name: &str, button: &str, confirm: &str) {
    click_in_card(client, name, button).await;
    let path = format!("{}//button[normalize-space()='{confirm}']", card(name));
    let asked = client
        .wait()
        .at_most(Duration::from_secs(3))
        .for_element(Locator::XPath(&path))
        .await;
    if let Ok(button) = asked {
        button.click().await.unwrap();
    }
}

/// Stop (keeping the files, the default), until the card says STOPPED.
pub async fn stop(client: &Client, name: &str) {
    click_and_confirm(client, name, "Stop", "Stop workstation").await;
    wait_for_state_within(ACTION, client, name, "STOPPED").await;
}

/// Start (from the latest backup when asked), until the card says READY.
pub async fn start(client: &Client, name: &str) {
    click_and_confirm(client, name, "Start", "Start workstation").await;
    wait_for_state_within(ACTION, client, name, "READY").await;
}

/// New workstation with the first profile and instance type, named `name`, until READY.
pub async fn create(client: &Client, name: &str) {
    let new = Locator::XPath("//button[normalize-space()='New workstation']");
    client.find(new).await.unwrap().click().await.unwrap();
    let input = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("section.new input"))
        .await
        .unwrap();
    input.send_keys(name).await.unwrap();
    let create = Locator::XPath("//section[@class='new']//button[normalize-space()='Create']");
    client.find(create).await.unwrap().click().await.unwrap();
    wait_for_state_within(ACTION, client, name, "READY").await;
}

/// Delete, confirmed, until the card is gone.
pub async fn delete(client: &Client, name: &str) {
    click_and_confirm(client, name, "Delete", "Delete workstation").await;
    let card = card(name);
    until(
        ACTION,
        "the deleted card to leave the page",
        || async { client.find_all(Locator::XPath(&card)).await.unwrap().len() },
        |n| *n == 0,
    )
    .await;
}

/// Connect, and wait until the new tab shows a desktop frame; then close the tab and go
/// back to the portal. Returns the address the tab opened.
pub async fn connect_and_see_the_desktop(client: &Client, name: &str) -> String {
    let portal = connect_from_card(client, name).await;
    let drawn = until(
        Duration::from_secs(30),
        &format!("{name}'s desktop in the new tab"),
        || drawn_pixels(client),
        |n| n.is_some_and(|n| n > 0),
    )
    .await;
    println!("{name}: first frame, {drawn:?} pixels differ from the first");
    let opened = client.current_url().await.unwrap().to_string();
    client.close_window().await.unwrap();
    client.switch_to_window(portal).await.unwrap();
    opened
}
