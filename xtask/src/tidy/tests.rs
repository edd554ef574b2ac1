use super::*;

const PROXY: Layers = Layers {
    crate_name: "proxy",
    src: "src",
    layers: &[
        &["config", "live"],
        &["state"],
        &["guards"],
        &["forward", "live::sse"],
        &["routes"],
    ],
};

fn back(module: &str, text: &str) -> Vec<(usize, &'static str, String)> {
    back_imports(&PROXY, module, text)
}

#[test]
fn an_import_back_up_is_caught_with_its_line() {
    let state = "//! The state.\n\nuse crate::config::Config;\nuse crate::routes::Router;\n";
    assert_eq!(
        back("state", state),
        [(4, "routes", "routes::Router".to_owned())]
    );
    let grouped = "use crate::{\n    config,\n    forward::{self, call},\n};\n";
    let found: Vec<_> = back("state", grouped)
        .into_iter()
        .map(|(l, e, _)| (l, e))
        .collect();
    assert_eq!(found, [(1, "forward"), (1, "forward")]);
    let inline = "fn f() { crate::guards::csrf(); }";
    assert_eq!(back("state", inline).len(), 1);
    assert_eq!(
        back("guards", "use crate::forward::coalesced_read;").len(),
        1
    );
}

#[test]
fn imports_down_or_across_pass() {
    let state = "use crate::config::Config;\nuse crate::live::Live;\n";
    assert!(back("state", state).is_empty());
    let forward = "use crate::state::{Shared, State};\nuse crate::{guards, live::sse};\n";
    assert!(back("forward", forward).is_empty());
    // A comment is not an import, nor is a module missing from the table.
    assert!(back("state", "// see crate::routes::router\nuse crate::Error;").is_empty());
}

#[test]
fn super_is_read_from_the_files_module_and_the_longest_entry_wins() {
    // `live::seats` belongs to `live`, below `state`; `live::sse` has a layer above it.
    assert_eq!(back("live::seats", "use super::sse::Seat;").len(), 1);
    assert!(back("live::seats", "use super::{Change, Live};").is_empty());
    assert!(back(
        "live::sse",
        "use super::seats::Seat;\nuse crate::state::Shared;"
    )
    .is_empty());
    assert_eq!(back("live", "use crate::state::Shared;").len(), 1);
}

#[test]
fn a_long_file_must_say_why() {
    let body = "fn f() {}\n".repeat(MAX_LINES);
    assert_eq!(too_long(&body), None);
    let long = format!("//! A module.\n{body}");
    assert_eq!(too_long(&long), Some(MAX_LINES + 1));
    let explained =
        format!("//! A module.\n//!\n{LONG_BECAUSE} one table, read top to bottom.\n{body}");
    assert_eq!(too_long(&explained), None);
    let too_late = format!("//! A module.\n{body}{LONG_BECAUSE} no.\n");
    assert!(too_long(&too_late).is_some());
}

#[test]
fn file_names_in_comments_are_found() {
    let text = concat!(
        "//! See `live.rs` and tokens/limits.rs.\n",
        "let x = \"a.rs\"; // https://x.io/y.rs\n",
        "/// *.rs and README.md\n",
    );
    let names: Vec<_> = mentions(text, false);
    let expected = [(1, "live.rs"), (1, "tokens/limits.rs"), (3, "README.md")];
    assert_eq!(names, expected.map(|(l, n)| (l, n.to_owned())));
    assert_eq!(
        mentions("Read `src/lib.rs`.", true),
        [(1, "src/lib.rs".to_owned())]
    );
}

#[test]
fn a_named_file_must_exist_in_the_repository() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir_all(root.join("crates/a/src/tokens")).unwrap();
    std::fs::create_dir_all(root.join("crates/a/tests")).unwrap();
    for file in [
        "crates/a/src/tokens/limits.rs",
        "crates/a/src/lib.rs",
        "README.md",
    ] {
        std::fs::write(root.join(file), "").unwrap();
    }
    let from = root.join("crates/a/src/tokens/mod.rs");
    let test = root.join("crates/a/tests/t.rs");
    assert!(mention_exists(root, &from, "limits.rs").is_ok());
    assert!(mention_exists(root, &from, "tokens/limits.rs").is_ok());
    assert!(mention_exists(root, &from, "README.md").is_ok());
    assert!(
        mention_exists(root, &test, "lib.rs").is_ok(),
        "a crate's src beside tests/"
    );
    assert!(mention_exists(root, &from, "live.rs").is_err());
    assert!(mention_exists(root, &from, "../shared/README.md").is_err());
}

#[test]
fn module_paths_follow_the_files() {
    assert_eq!(module_of(Path::new("live/sse.rs")), "live::sse");
    assert_eq!(module_of(Path::new("live/mod.rs")), "live");
    assert_eq!(module_of(Path::new("lib.rs")), "");
}

#[test]
fn the_tables_name_every_module_once() {
    for layers in &LAYERS {
        let mut all: Vec<_> = layers.layers.iter().flat_map(|l| l.iter()).collect();
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(
            all.len(),
            count,
            "{} lists a module twice",
            layers.crate_name
        );
    }
}
