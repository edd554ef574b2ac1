//! Fuzzing of everything that reads what a caller sends, before any of it reaches the
//! store: the paging tokens (`paging.rs`), the three query strings and four bodies
//! (nimble-model's `parse_query`, `json_body` and `parse_body`) and the router
//! (`Route::parse`). No input may panic (a panic in a request is a 500 in a debug build
//! and a silent wrap-around in a release build). Where a value comes back it must
//! survive the way back: a token that decodes encodes to itself, and a parsed query or
//! route written out again parses to the same value. Inputs are in `inputs.rs`.
//!
//! Two runs share the targets, a tenth of the cases each, each target on its own thread:
//! 20,000 cases on every `cargo test` (1.4 s in a debug build on two cores), and
//! 1,000,000 in the ignored test that `cargo xtask bench` runs (about 150 CPU-seconds:
//! 160 to 220 s measured on the same two cores while other builds ran), or by hand:
//! `cargo test --workspace --exclude studio-portal --lib -- --ignored million --nocapture`.

mod inputs;

use crate::paging::{decode_index_token, decode_token, encode_index_token, encode_token};
use nimble_model::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::fmt::Debug;

type CaseResult = Result<(), TestCaseError>;

/// Runs `check` on `cases` values of `strategy`; a panic inside is a failure, shrunk.
fn fuzz<S: Strategy>(name: &str, cases: u32, strategy: S, check: fn(S::Value) -> CaseResult) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let began = std::time::Instant::now();
    if let Err(error) = runner.run(&strategy, check) {
        panic!("fuzzing {name}: {error}");
    }
    eprintln!("fuzzed {name}: {cases} cases in {:.1?}", began.elapsed());
}

fn check_session_token(token: String) -> CaseResult {
    match decode_token(&token) {
        Ok((ms, id)) => prop_assert_eq!(encode_token(ms, &id), token),
        Err(error) => prop_assert_eq!(&error.context["field"], "nextToken"),
    }
    Ok(())
}

fn check_index_token((token, len): (String, usize)) -> CaseResult {
    if let Ok(index) = decode_index_token(&token, len) {
        prop_assert!(index < len);
        prop_assert_eq!(encode_index_token(index), token);
    }
    Ok(())
}

fn check_query<T: QueryString + Validate + PartialEq + Debug>(text: String) -> CaseResult {
    if let Ok(query) = parse_query::<T>(&text) {
        let again = parse_query::<T>(&query.to_query_string());
        prop_assert_eq!(again.as_ref().ok(), Some(&query));
    }
    Ok(())
}

fn check_body<T: serde::de::DeserializeOwned + Validate>(bytes: Vec<u8>) -> CaseResult {
    if let Err(error) = json_body(&bytes).and_then(|value| parse_body::<T>(&value)) {
        prop_assert_eq!(error.kind, ErrorType::Validation);
        prop_assert!(error.context.contains_key("field"));
    }
    Ok(())
}

fn check_route((method, path): (String, String)) -> CaseResult {
    if let Ok(route) = Route::parse(&method, &path) {
        prop_assert_eq!(Route::parse(&method, &route.path()), Ok(route));
    }
    Ok(())
}

/// Every target, `total` cases in all.
fn fuzz_all(total: u32) {
    use inputs::*;
    let n = total / 10;
    type Run = Box<dyn FnOnce() + Send>;
    let runs: Vec<Run> = vec![
        Box::new(move || fuzz("session tokens", n, session_token(), check_session_token)),
        Box::new(move || {
            let cases = (index_token(), 0..1000usize);
            fuzz("launch-profile tokens", n, cases, check_index_token)
        }),
        Box::new(move || {
            let check = check_query::<ListStreamingSessionsQuery>;
            fuzz("ListStreamingSessions query", n, query(), check)
        }),
        Box::new(move || {
            let check = check_query::<ListStreamingSessionBackupsQuery>;
            fuzz("ListStreamingSessionBackups query", n, query(), check)
        }),
        Box::new(move || {
            let check = check_query::<ListLaunchProfilesQuery>;
            fuzz("ListLaunchProfiles query", n, query(), check)
        }),
        Box::new(move || {
            let check = check_body::<CreateStreamingSessionBody>;
            fuzz("CreateStreamingSession body", n, body(), check)
        }),
        Box::new(move || {
            let check = check_body::<StartStreamingSessionBody>;
            fuzz("StartStreamingSession body", n, body(), check)
        }),
        Box::new(move || {
            let check = check_body::<StopStreamingSessionBody>;
            fuzz("StopStreamingSession body", n, body(), check)
        }),
        Box::new(move || {
            let check = check_body::<CreateStreamingSessionStreamBody>;
            fuzz("CreateStreamingSessionStream body", n, body(), check)
        }),
        Box::new(move || fuzz("routes", n, request_line(), check_route)),
    ];
    std::thread::scope(|scope| {
        for run in runs {
            scope.spawn(run);
        }
    });
}

#[test]
fn requests_and_tokens_survive_20_000_fuzz_cases() {
    fuzz_all(20_000);
}

#[test]
#[ignore = "1,000,000 cases (minutes in a debug build): run by `cargo xtask bench`"]
fn requests_and_tokens_survive_a_million_fuzz_cases() {
    fuzz_all(1_000_000);
}
