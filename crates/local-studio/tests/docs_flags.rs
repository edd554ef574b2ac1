//! docs/configuration.md documents exactly the flags of `local-studio --help` (its section
//! "## local-studio"), each with the environment variable and default clap declares. The checks
//! are test-support's `docs_flags`; a failure names the flags that drifted.

use test_support::docs_flags::DocsFlags;

fn docs() -> DocsFlags {
    DocsFlags::load(env!("CARGO_BIN_EXE_local-studio"), "local-studio")
}

#[test]
fn every_flag_of_help_is_documented() {
    docs().assert_every_flag_documented();
}

#[test]
fn every_documented_flag_exists() {
    docs().assert_no_unknown_flags();
}

#[test]
fn documented_environment_variables_and_defaults_match_help() {
    docs().assert_environment_and_defaults_match();
}
