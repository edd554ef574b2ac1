//! `docs/configuration.md` against a binary's real `--help`, so the two cannot drift:
//!
//! - every long flag the binary takes has one row in that binary's section of the file
//!   (from `## NAME` to the next `## `), a table row that starts with `` | `--flag ``;
//! - every `--flag` the section mentions, in a row or in prose, is one the binary takes;
//! - a row's environment variable and default are the ones clap declares (`[env: …]`,
//!   `[default: …]`), and a flag without an environment variable shows none.
//!
//! `crates/portal-proxy/tests/docs_flags.rs` and `crates/local-studio/tests/docs_flags.rs`
//! run these checks on their binaries. Every failure names the flags concerned.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags every clap binary has; the docs need not give them rows.
const BUILT_IN: [&str; 2] = ["--help", "--version"];

/// What `--help` says about one long flag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HelpFlag {
    /// The environment variable clap reads it from, if any.
    pub env: Option<String>,
    /// The default clap shows, if any.
    pub default: Option<String>,
}

/// One table row of the section: its flag, and its cells by column name.
#[derive(Clone, Debug)]
struct Row {
    flag: String,
    cells: BTreeMap<String, String>,
}

/// A binary's `--help` and its section of `docs/configuration.md`.
pub struct DocsFlags {
    name: String,
    help: BTreeMap<String, HelpFlag>,
    section: String,
    rows: Vec<Row>,
}

/// The configuration document, from the workspace root.
pub fn configuration_md() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md")
}

impl DocsFlags {
    /// Runs `binary --help` (with an empty environment, so no value shows in `[env: …]`)
    /// and reads the section `## name` of `docs/configuration.md`.
    pub fn load(binary: &str, name: &str) -> DocsFlags {
        let output = Command::new(binary)
            .arg("--help")
            .env_clear()
            .output()
            .unwrap_or_else(|e| panic!("cannot run {binary} --help: {e}"));
        assert!(
            output.status.success(),
            "{name} --help failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let path = configuration_md();
        let doc = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        DocsFlags::new(name, &String::from_utf8_lossy(&output.stdout), &doc)
    }

    /// The same checks on texts given here (the parser's own tests).
    pub fn new(name: &str, help: &str, doc: &str) -> DocsFlags {
        let section = section(doc, name)
            .unwrap_or_else(|| panic!("docs/configuration.md has no section \"## {name}\""));
        DocsFlags {
            name: name.to_owned(),
            help: parse_help(help),
            rows: rows(&section),
            section,
        }
    }

    /// Flags of `--help` without a row in the section, and rows given twice.
    pub fn undocumented(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .help
            .keys()
            .filter(|flag| !BUILT_IN.contains(&flag.as_str()))
            .filter(|flag| !self.rows.iter().any(|row| &row.flag == *flag))
            .cloned()
            .collect();
        for (i, row) in self.rows.iter().enumerate() {
            if self.rows[..i]
                .iter()
                .any(|earlier| earlier.flag == row.flag)
            {
                problems.push(format!("{} (a second row)", row.flag));
            }
        }
        problems
    }

    /// Flags the section mentions that `--help` does not have.
    pub fn not_in_help(&self) -> Vec<String> {
        let mut unknown: Vec<String> = mentioned_flags(&self.section)
            .into_iter()
            .filter(|flag| !self.help.contains_key(flag))
            .collect();
        unknown.dedup();
        unknown
    }

    /// Rows whose environment variable or default is not what clap declares.
    pub fn mismatched(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for row in &self.rows {
            let Some(declared) = self.help.get(&row.flag) else {
                continue;
            };
            let env_cell = row.cells.get("environment").map_or("", String::as_str);
            match &declared.env {
                Some(env) if !env_cell.contains(&format!("`{env}`")) => problems.push(format!(
                    "{}: environment should be `{env}`, the row says {env_cell:?}",
                    row.flag
                )),
                None if env_cell.contains('`') => problems.push(format!(
                    "{}: clap declares no environment variable, the row says {env_cell:?}",
                    row.flag
                )),
                _ => {}
            }
            let default_cell = row.cells.get("default").map_or("", String::as_str);
            if let Some(default) = &declared.default {
                if !default_cell.contains(&format!("`{default}`")) {
                    problems.push(format!(
                        "{}: default should be `{default}`, the row says {default_cell:?}",
                        row.flag
                    ));
                }
            }
        }
        problems
    }

    /// (a) Every flag of `--help` has one row in its section.
    pub fn assert_every_flag_documented(&self) {
        let missing = self.undocumented();
        assert!(
            missing.is_empty(),
            "docs/configuration.md, section \"## {name}\", lacks a row for these flags of \
             `{name} --help` (or has one twice): {}",
            missing.join(", "),
            name = self.name
        );
    }

    /// (b) Every flag the section mentions exists.
    pub fn assert_no_unknown_flags(&self) {
        let unknown = self.not_in_help();
        assert!(
            unknown.is_empty(),
            "docs/configuration.md, section \"## {name}\", mentions flags that \
             `{name} --help` does not have: {}",
            unknown.join(", "),
            name = self.name
        );
    }

    /// Each row's environment variable and default are clap's.
    pub fn assert_environment_and_defaults_match(&self) {
        let wrong = self.mismatched();
        assert!(
            wrong.is_empty(),
            "docs/configuration.md, section \"## {name}\", disagrees with `{name} --help`:\n{}",
            wrong.join("\n"),
            name = self.name
        );
    }
}

/// The lines after `## name` up to the next second-level heading.
fn section(doc: &str, name: &str) -> Option<String> {
    let heading = format!("## {name}");
    let mut lines = doc.lines().skip_while(|line| line.trim_end() != heading);
    lines.next()?;
    let body: Vec<&str> = lines.take_while(|line| !line.starts_with("## ")).collect();
    Some(body.join("\n"))
}

/// Long flags of clap's long help, with their environment variable and default. A flag's
/// own line is indented less than its description (`      --listen <LISTEN>`,
/// `  -h, --help`); `[env: NAME=]` and `[default: VALUE]` follow it.
pub fn parse_help(text: &str) -> BTreeMap<String, HelpFlag> {
    let mut flags: BTreeMap<String, HelpFlag> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with('-') && indent < 10 {
            current = trimmed
                .split([' ', ','])
                .find(|token| token.starts_with("--"))
                .map(|token| token.split(['=', '<']).next().unwrap_or(token).to_owned());
            if let Some(flag) = &current {
                flags.entry(flag.clone()).or_default();
            }
        } else if let (Some(flag), Some(rest)) = (&current, trimmed.strip_prefix("[env: ")) {
            let name = rest.split(['=', ']']).next().unwrap_or("").to_owned();
            flags.entry(flag.clone()).or_default().env = Some(name);
        } else if let (Some(flag), Some(rest)) = (&current, trimmed.strip_prefix("[default: ")) {
            let value = rest.strip_suffix(']').unwrap_or(rest).to_owned();
            flags.entry(flag.clone()).or_default().default = Some(value);
        }
    }
    flags
}

/// The section's table rows that document a flag (`` | `--flag VALUE` | … ``), with their
/// cells named by the table's header row (`| flag | environment | … |`).
fn rows(section: &str) -> Vec<Row> {
    let mut header: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in section.lines().filter(|line| line.starts_with('|')) {
        let cells: Vec<String> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(|cell| cell.trim().to_owned())
            .collect();
        if cells.first().is_some_and(|cell| cell == "flag") {
            header = cells.iter().map(|cell| cell.to_lowercase()).collect();
            continue;
        }
        let Some(flag) = cells
            .first()
            .and_then(|cell| cell.strip_prefix("`--"))
            .map(|rest| format!("--{}", flag_name(rest)))
        else {
            continue;
        };
        let cells = header.iter().cloned().zip(cells).collect();
        rows.push(Row { flag, cells });
    }
    rows
}

/// Every `--flag` in `text`: two hyphens not preceded by a letter, digit or hyphen, then a
/// lower-case letter; sorted.
fn mentioned_flags(text: &str) -> Vec<String> {
    let mut flags = Vec::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices("--") {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let starts = before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'-'));
        let rest = &text[i + 2..];
        if starts && rest.starts_with(|c: char| c.is_ascii_lowercase()) {
            flags.push(format!("--{}", flag_name(rest)));
        }
    }
    flags.sort();
    flags
}

/// The name at the start of `rest`: lower-case letters, digits and inner hyphens.
fn flag_name(rest: &str) -> &str {
    let end = rest
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELP: &str = "Usage: demo [OPTIONS]

Options:
      --listen <LISTEN>
          Address to listen on
          
          [env: DEMO_LISTEN=]
          [default: 127.0.0.1:8090]

      --in-memory
          Keep everything in memory; see --listen

      --credential <AKID:SECRET>
          A credential
          
          [env: DEMO_CREDENTIALS]

  -h, --help
          Print help
";

    const DOC: &str = "# Configuration

## demo

| flag | environment | default | meaning |
| --- | --- | --- | --- |
| `--listen ADDR` | `DEMO_LISTEN` | `127.0.0.1:8090` | where; not `--port` |
| `--credential AKID:SECRET` | `DEMO_CREDENTIALS` | none | who |
| `--credential AKID:SECRET` | — | none | twice |

## other

| `--in-memory` | — | off | in another section |
";

    #[test]
    fn help_flags_are_read_with_their_environment_and_default() {
        let help = parse_help(HELP);
        assert_eq!(
            help.keys().collect::<Vec<_>>(),
            ["--credential", "--help", "--in-memory", "--listen"]
        );
        assert_eq!(help["--listen"].env.as_deref(), Some("DEMO_LISTEN"));
        assert_eq!(help["--listen"].default.as_deref(), Some("127.0.0.1:8090"));
        assert_eq!(
            help["--credential"].env.as_deref(),
            Some("DEMO_CREDENTIALS")
        );
        assert_eq!(help["--in-memory"], HelpFlag::default());
    }

    #[test]
    fn drift_is_named_flag_by_flag() {
        let docs = DocsFlags::new("demo", HELP, DOC);
        assert_eq!(
            docs.undocumented(),
            ["--in-memory", "--credential (a second row)"]
        );
        assert_eq!(docs.not_in_help(), ["--port"]);
        let wrong = docs.mismatched();
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(
            wrong[0].starts_with("--credential: environment"),
            "{wrong:?}"
        );
    }

    #[test]
    fn only_real_flags_are_mentions() {
        assert_eq!(
            mentioned_flags("| --- | a--b `--x-y`, --z. —-- 1 --9"),
            ["--x-y", "--z"]
        );
    }
}
