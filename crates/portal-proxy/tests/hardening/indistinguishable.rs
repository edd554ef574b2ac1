//! Defect 3: another artist's session must look exactly like a missing one, down to the
//! headers; only the upstream's answer used to carry `x-amzn-requestid`.

use crate::common::{header_config, send, start, Reply, API};
use std::collections::BTreeSet;

fn header_names(reply: &Reply) -> BTreeSet<String> {
    reply
        .headers
        .keys()
        .map(|k| k.as_str().to_owned())
        .collect()
}

fn body_keys(reply: &Reply) -> BTreeSet<String> {
    reply.json.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn a_strangers_session_and_a_missing_one_answer_alike() {
    let proxy = start(header_config()).await;
    let sessions = format!("{API}/streaming-sessions");
    let alices = send(&proxy, "GET", &sessions, Some("alice"), None).await;
    let id = alices.json["sessions"][0]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing_id = "ss-00000000000000000000000000000000";

    let stranger = send(
        &proxy,
        "GET",
        &format!("{sessions}/{id}"),
        Some("bob"),
        None,
    )
    .await;
    let missing = send(
        &proxy,
        "GET",
        &format!("{sessions}/{missing_id}"),
        Some("bob"),
        None,
    )
    .await;
    assert_eq!((stranger.status, missing.status), (404, 404));
    assert_eq!(header_names(&stranger), header_names(&missing));
    assert!(stranger.headers.contains_key("x-amzn-requestid"));
    let request_id = stranger.headers["x-amzn-requestid"].to_str().unwrap();
    assert!(uuid_v4(request_id), "{request_id}");
    for name in ["x-amzn-errortype", "content-type", "cache-control"] {
        assert_eq!(stranger.headers[name], missing.headers[name], "{name}");
    }
    assert_eq!(body_keys(&stranger), body_keys(&missing));
    let message =
        |reply: &Reply, id: &str| reply.json["message"].as_str().unwrap().replace(id, "ID");
    assert_eq!(message(&stranger, &id), message(&missing, missing_id));
}

/// A lowercase hyphenated v4 UUID, as local-studio makes its request ids.
fn uuid_v4(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && text
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && groups[2].starts_with('4')
}
