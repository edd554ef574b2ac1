//! Round trips of the "Response Syntax" examples in the original API pages (`seeds/`):
//! each example, made concrete, must read into the Rust response type and write back
//! unchanged.

mod model;

use model::{differences, model_dir};
use nimble_model::*;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// The pages are documentation, present beside the model in `../shared` (CI) but not in
/// the botocore wheel that set-up falls back on. Where `../shared` or `NIMBLE_SEEDS_DIR`
/// promises them, a missing folder is a failure; only a user's own clone skips.
fn seed(name: &str) -> Option<String> {
    let given = std::env::var_os("NIMBLE_SEEDS_DIR").map(std::path::PathBuf::from);
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let promised = given.is_some() || shared.is_dir();
    let dir = given.unwrap_or_else(|| model_dir().join("../seeds"));
    if !dir.is_dir() {
        assert!(
            !promised,
            "the seed pages are missing at {} although ../shared or NIMBLE_SEEDS_DIR is present",
            dir.display()
        );
        eprintln!(
            "no seeds at {} (a clone without ../shared): skipped",
            dir.display()
        );
        return None;
    }
    Some(std::fs::read_to_string(dir.join(name)).expect("read seed"))
}

/// Turns the response template of a page (boto3's Python literal or the REST page's
/// JSON with type names) into concrete JSON.
fn example(page: &str) -> Value {
    let start = page
        .find("Response Syntax")
        .expect("page has a Response Syntax");
    let text = &page[start..];
    let end = ["Response Structure", "Response Elements"]
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
        .unwrap_or(text.len());
    let text = &text[..end];
    let text = &text[text.find('{').unwrap()..=text.rfind('}').unwrap()];
    let mut json = text
        .replace("datetime(2015, 1, 1)", "\"2015-01-01T00:00:00Z\"")
        .replace('\'', "\"")
        .replace(": number", ": 1");
    // 'A'|'B'|'C' lists the enum values: keep the first.
    while let Some(at) = json.find("\"|\"") {
        let rest = &json[at + 3..];
        let close = rest.find('"').expect("closing quote");
        json.replace_range(at + 1..at + 3 + close + 1, "");
    }
    // Python allows trailing commas; JSON does not.
    let mut cleaned = String::with_capacity(json.len());
    for (i, c) in json.char_indices() {
        if c == ',' && json[i + 1..].trim_start().starts_with([']', '}']) {
            continue;
        }
        cleaned.push(c);
    }
    let mut value: Value = serde_json::from_str(&cleaned).expect("example is JSON");
    concretise(&mut value);
    value
}

/// The REST page writes "string" for timestamps; the paginator adds its own `NextToken`.
fn concretise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("NextToken");
            for (key, inner) in map.iter_mut() {
                if key.ends_with("At") && inner == "string" {
                    *inner = Value::from("2015-01-01T00:00:00Z");
                }
                concretise(inner);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(concretise),
        _ => {}
    }
}

fn check<T: Serialize + DeserializeOwned>(name: &str, expected_members: usize) {
    let Some(page) = seed(name) else { return };
    let sample = example(&page);
    let typed: T = serde_json::from_value(sample.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    let mut problems = Vec::new();
    differences(&sample, &back, name, &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
    // Guard against an example that parsed to almost nothing.
    let inner = sample.as_object().unwrap().values().next().unwrap();
    let inner = inner.as_array().map(|a| &a[0]).unwrap_or(inner);
    assert_eq!(inner.as_object().unwrap().len(), expected_members, "{name}");
}

#[test]
fn stop_streaming_session_rest_page() {
    check::<SessionResponse>("StopStreamingSession.rest-api.txt", 27);
}

#[test]
fn start_and_stop_streaming_session_boto3_pages() {
    check::<SessionResponse>("start_streaming_session.boto3.txt", 27);
    check::<SessionResponse>("stop_streaming_session.boto3.txt", 27);
}

#[test]
fn create_streaming_session_stream_boto3_page() {
    check::<StreamResponse>("create_streaming_session_stream.boto3.txt", 8);
}

#[test]
fn list_streaming_sessions_paginator_page() {
    check::<ListStreamingSessionsResponse>("ListStreamingSessions.paginator.txt", 27);
}
