//! Thumbnails of EC2 workstations, against moto, with the agent's thumbnails service run
//! for real (`cloud/instance.rs`: its stand-in `dcv get-screenshot` answers with the
//! picture the test puts on the "screen"). Nothing is taken while no page asks; a page's
//! request gets a picture the agent takes then, served for 10 s, after which a new one
//! shows what changed; a colleague sees it only while it is shared with them; and the
//! agent's side takes only JPEGs of a thumbnail's size, with the session's token.

mod cloud;

use cloud::instance::Instance;
use cloud::*;
use serde_json::json;
use std::time::Duration;
use test_support::Studio;

const STUDIO: &str = "/2020-08-01/studios/cloud-studio";

/// A real JPEG, `width` × `height`, all one `colour`.
fn jpeg(width: u16, height: u16, colour: [u8; 3]) -> Vec<u8> {
    let pixels = colour.repeat(usize::from(width) * usize::from(height));
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 75)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// Sends `body` as the agent's picture of `session`, with `token`; the status.
async fn deliver(studio: &Studio, session: &str, token: &str, body: Vec<u8>) -> u16 {
    let url = studio.url(&format!("/agent/thumbnail?sessionId={session}"));
    let sent = studio.http.put(url).bearer_auth(token).body(body).send();
    sent.await.unwrap().status().as_u16()
}

fn screenshots(instance: &Instance) -> usize {
    instance.calls().matches("get-screenshot").count()
}

#[tokio::test]
async fn an_ec2_workstations_thumbnail_is_taken_by_its_agent_only_while_a_page_asks() {
    let AlicesWorkstation {
        studio,
        session: alice,
        user_data: script,
        ..
    } = alices_workstation().await;
    assert_eq!(
        user_data_value(&script, "THUMBNAIL_URL"),
        "https://portal.example.test/agent/thumbnail"
    );

    let red = jpeg(320, 200, [200, 30, 30]);
    let mut instance = Instance::new(&script);
    instance.set_screen(&red);
    instance.start("studio-portal-thumbnails", &studio);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(screenshots(&instance), 0, "no page asked");

    // Alice's card asks: the agent takes one, 320 across, and the page gets it.
    let owners = format!("{STUDIO}/streaming-sessions/{alice}/thumbnail");
    let (status, first, taken) = studio.thumbnail(&owners).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(taken.unwrap(), red);
    assert_eq!(first["thumbnail"]["width"], 320);
    assert_eq!(first["thumbnail"]["height"], 200);
    assert_eq!(first["thumbnail"]["contentType"], "image/jpeg");
    assert!(instance.calls().contains("get-screenshot --max-width 320"));
    let (_, again, _) = studio.thumbnail(&owners).await;
    assert_eq!(again["thumbnail"]["takenAt"], first["thumbnail"]["takenAt"]);
    assert_eq!(screenshots(&instance), 1, "one picture per 10 s");

    // The desktop changes; 10 s on, the card shows it.
    let blue = jpeg(320, 200, [30, 30, 200]);
    instance.set_screen(&blue);
    studio.server.advance_clock(Duration::from_secs(11));
    let (_, _, later) = studio.thumbnail(&owners).await;
    assert_eq!(later, Some(blue.clone()));
    assert_eq!(screenshots(&instance), 2);

    // Bob sees it only through his own path, while it is shared with him.
    let bobs = format!("{STUDIO}/artists/bob/shared-sessions/{alice}/thumbnail");
    assert_eq!(studio.thumbnail(&bobs).await.0, 404);
    let share = format!("{STUDIO}/streaming-sessions/{alice}/shares/bob");
    let shared = studio.call("PUT", &share, Some(json!({})), None).await;
    assert_eq!(shared.status, 200, "{}", shared.json);
    let (status, his, seen) = studio.thumbnail(&bobs).await;
    assert_eq!(status, 200, "{his}");
    assert_eq!(seen, Some(blue.clone()));

    // The agent's side: its session's token only, and only a thumbnail-sized JPEG;
    // anything else changes nothing.
    let token = user_data_value(&script, "AGENT_TOKEN");
    let forged = "0".repeat(64);
    assert_eq!(deliver(&studio, &alice, &forged, red.clone()).await, 401);
    let gif = b"GIF89a not a jpeg".to_vec();
    assert_eq!(deliver(&studio, &alice, &token, gif).await, 400);
    let huge = jpeg(1000, 700, [0, 0, 0]);
    assert_eq!(deliver(&studio, &alice, &token, huge).await, 400);
    let heavy = [red.clone(), vec![0; 300 * 1024]].concat();
    assert_eq!(deliver(&studio, &alice, &token, heavy).await, 413);
    assert_eq!(studio.thumbnail(&owners).await.2, Some(blue));
    let wanted = studio.url(&format!("/agent/thumbnail/wanted?sessionId={alice}"));
    let asked = studio.http.get(wanted).bearer_auth(&forged).send();
    assert_eq!(asked.await.unwrap().status(), 401);
}
