//! `cargo xtask tidy`: the house rules that the compiler does not check, read from the
//! sources as plain text. Each problem is printed as `file:line: what is wrong`.
//!
//! 1. **Imports go down, never back up.** Each server and the front end list their modules
//!    in layers ([`LAYERS`], lowest first). A module may use modules of its own layer and
//!    of the layers below; a `use crate::x`, `crate::x::…` or `super::x` that reaches a
//!    module of a higher layer is refused. So the shared state (portal-proxy's `state`,
//!    local-studio's `app`, the front end's `portal`) sits below everything that serves a
//!    request or draws the page, and imports none of it back: a reader can take the
//!    layers one at a time, bottom up. A module missing from its table is not checked; a
//!    table entry that names no module fails, so the table cannot go stale unnoticed.
//! 2. **Files stay short.** A source file that is not a test or a benchmark (under a
//!    `tests` or `benches` folder, or a file named `tests`) has at most [`MAX_LINES`]
//!    lines, unless its opening comment says why, in a line that starts with
//!    `//! Long because:`.
//! 3. **Comments name files that exist.** A file name ending in `.rs` or `.md` in a
//!    comment (or anywhere in a Markdown file) must be a file of this repository: a path
//!    from the commenting file's folder, from one of the folders above it, or from the
//!    `src` folder beside one of them. A name that leads out of the repository (`../`) is
//!    refused too: a clone does not have it.
//!
//! The text scanning is in `tidy/scan.rs`; it reads what rustfmt writes, not every Rust.

mod scan;
#[cfg(test)]
mod tests;

use crate::run::{root, Result};
use scan::{mentions, module_of, used_paths};
use std::path::{Path, PathBuf};

/// A crate's modules in layers, lowest first. An entry is a module path as `crate::…`
/// spells it; a module belongs to its longest entry, so `live` holds `live::seats` while
/// `live::sse` has a layer of its own.
struct Layers {
    crate_name: &'static str,
    src: &'static str,
    layers: &'static [&'static [&'static str]],
}

const LAYERS: [Layers; 4] = [
    Layers {
        crate_name: "portal-proxy",
        src: "crates/portal-proxy/src",
        layers: &[
            // Settings, errors, counters, signing, the audit log, limits, static files:
            // they know nothing of requests in flight.
            &[
                "config",
                "error",
                "metrics",
                "signing",
                "audit",
                "sign_ins",
                "limits",
                "static_files",
            ],
            // Who the artist is; the signed client of the upstream.
            &["identity", "upstream"],
            // What an artist may do; the read cache.
            &["authorize", "coalesce"],
            // The hub between the upstream watch and the browsers' event streams.
            &["live"],
            // What every handler shares, built once at start.
            &["state"],
            // The checks a request passes: where it comes from, whose session it touches.
            &["guards", "owners"],
            // The handlers, and the task that feeds the live hub.
            &[
                "forward",
                "admin_page",
                "login",
                "ops_access",
                "live::sse",
                "live::upstream_watch",
            ],
            // The router, which names every handler.
            &["routes"],
        ],
    },
    Layers {
        crate_name: "local-studio",
        src: "crates/local-studio/src",
        layers: &[
            // Settings, the state machine, signatures, paging, faults, and stream tokens
            // (made, hashed, kept in memory, rate-limited).
            &[
                "config",
                "lifecycle",
                "sigv4",
                "paging",
                "faults",
                "tokens",
                "activity",
                "dcv_connections",
                "dcv_pictures",
            ],
            // The SQLite store.
            &["store"],
            // The workstation drivers.
            &["drivers"],
            // What every request shares: the store, the studios, the drivers, the clock.
            &["app"],
            // The operations and what runs beside them: the event watch, retention, and
            // the spending of a stream token.
            &[
                "operations",
                "events",
                "retention",
                "thumbnails",
                "tokens::redeem",
            ],
            // The background work.
            &["reconciler", "demo"],
            // The HTTP endpoints, and the tests that fuzz them.
            &[
                "http",
                "desktop",
                "dcv",
                "agent",
                "agent_thumbnails",
                "permissions",
                "request_fuzz",
            ],
        ],
    },
    Layers {
        crate_name: "studio-portal (the front end)",
        src: "src",
        layers: &[
            // What the page reads of a session.
            &["workstation"],
            // Decisions tested natively, without a browser.
            &["logic", "intent", "theme_contrast"],
            // The typed API client.
            &["api"],
            // The shared state of the page.
            &["portal"],
            // The list of workstations, kept current.
            &["sessions"],
            // Listening for changes; the Connect flow.
            &["live", "connect"],
            // The views.
            &["components"],
            // The page, which starts everything.
            &["app"],
        ],
    },
    Layers {
        crate_name: "studio-admin (the admin page)",
        src: "crates/admin/src",
        layers: &[
            // What the page reads of a session.
            &["row"],
            // Decisions and drawing, tested natively; the actions' calls.
            &["filter", "usage", "html", "actions"],
            // The shared state of the page.
            &["state"],
            // Keeping it current; the usage reads.
            &["fleet", "usage_tab"],
            // Drawing the state.
            &["view"],
            // The page's events, which start everything.
            &["page"],
        ],
    },
];

/// Lines a source file may have without saying why.
const MAX_LINES: usize = 400;
const LONG_BECAUSE: &str = "//! Long because:";

pub fn tidy() -> Result {
    let root = root();
    let mut problems = Vec::new();
    for crate_layers in &LAYERS {
        problems.extend(check_layers(&root, crate_layers));
    }
    let files = files(&root);
    // Documents name files in the context of the crate a section is about: there, a name
    // counts when some file's path in the repository ends with it. Code comments name paths.
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("/{}", shown(&root, f)))
        .collect();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let shown = shown(&root, file);
        if is_rs(file) && !is_test_or_bench(&root, file) {
            if let Some(lines) = too_long(&text) {
                problems.push(format!(
                    "{shown}:1: {lines} lines, over {MAX_LINES}: split it, or say why in a \
                     `{LONG_BECAUSE} …` line of its opening comment"
                ));
            }
        }
        let markdown = file.extension().is_some_and(|e| e == "md");
        for (line, name) in mentions(&text, markdown) {
            if markdown && paths.iter().any(|p| p.ends_with(&format!("/{name}"))) {
                continue;
            }
            if let Err(why) = mention_exists(&root, file, &name) {
                problems.push(format!("{shown}:{line}: `{name}` {why}"));
            }
        }
    }
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        println!("tidy: {} files, no problems", files.len());
        Ok(())
    } else {
        let plural = if problems.len() == 1 { "" } else { "s" };
        Err(format!("tidy: {} problem{plural}", problems.len()))
    }
}

/// The back imports of one crate, and the table entries that name no module.
fn check_layers(root: &Path, layers: &Layers) -> Vec<String> {
    let src = root.join(layers.src);
    let mut problems = Vec::new();
    let table = std::fs::read_to_string(root.join("xtask/src/tidy.rs")).unwrap_or_default();
    for entry in layers.layers.iter().flat_map(|l| l.iter()) {
        let file = entry.replace("::", "/");
        if !src.join(format!("{file}.rs")).is_file() && !src.join(&file).join("mod.rs").is_file() {
            let quoted = format!("\"{entry}\"");
            let line = table
                .lines()
                .position(|l| l.contains(&quoted))
                .map_or(1, |i| i + 1);
            problems.push(format!(
                "xtask/src/tidy.rs:{line}: the layers of {} name `{entry}`, which is no module \
                 of it (no {}/{file}.rs): update the table",
                layers.crate_name, layers.src
            ));
        }
    }
    for file in files(&src).iter().filter(|f| is_rs(f)) {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let module = module_of(file.strip_prefix(&src).unwrap_or(file));
        for (line, reached, used) in back_imports(layers, &module, &text) {
            problems.push(format!(
                "{}:{line}: `{module}` uses `{used}`, but `{reached}` is in a higher layer of {} \
                 (xtask/src/tidy.rs): move what both need down, or pass it in",
                shown(root, file),
                layers.crate_name,
            ));
        }
    }
    problems
}

/// The layer a module path belongs to (its longest entry), and that entry.
fn layer_of(layers: &Layers, path: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (index, layer) in layers.layers.iter().enumerate() {
        for &entry in layer.iter() {
            let inside = path == entry || path.starts_with(&format!("{entry}::"));
            if inside && best.is_none_or(|(_, b)| entry.len() > b.len()) {
                best = Some((index, entry));
            }
        }
    }
    best
}

/// Each place in `text` (the source of `module`) that uses a module of a higher layer:
/// (line, the entry it reaches, the path as used).
fn back_imports(layers: &Layers, module: &str, text: &str) -> Vec<(usize, &'static str, String)> {
    let Some((own, _)) = layer_of(layers, module) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (line, path) in used_paths(module, text) {
        if let Some((layer, entry)) = layer_of(layers, &path) {
            if layer > own {
                found.push((line, entry, path));
            }
        }
    }
    found
}

/// The line count of a file that is too long and does not say why.
fn too_long(text: &str) -> Option<usize> {
    let lines = text.lines().count();
    if lines <= MAX_LINES {
        return None;
    }
    let says_why = text
        .lines()
        .map(str::trim)
        .take_while(|line| line.is_empty() || line.starts_with("//"))
        .any(|line| line.starts_with(LONG_BECAUSE));
    (!says_why).then_some(lines)
}

/// Whether `name`, mentioned in `file`, is a file of the repository at `root`; if not,
/// why not.
fn mention_exists(root: &Path, file: &Path, name: &str) -> std::result::Result<(), String> {
    if name.split('/').any(|part| part == "..") {
        return Err("is outside the repository: a clone does not have it".into());
    }
    let mut folder = file.parent();
    while let Some(dir) = folder {
        if dir.join(name).is_file() || dir.join("src").join(name).is_file() {
            return Ok(());
        }
        if dir == root {
            break;
        }
        folder = dir.parent();
    }
    Err("names no file of this repository (from this file's folder or any above it)".into())
}

/// The `.rs` and `.md` files below `dir`, leaving out hidden folders and build output.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && !matches!(&*name, "target" | "node_modules" | "dist") {
                found.extend(files(&path));
            }
        } else if name.ends_with(".rs") || name.ends_with(".md") {
            found.push(path);
        }
    }
    found
}

fn is_rs(file: &Path) -> bool {
    file.extension().is_some_and(|e| e == "rs")
}

/// Tests and benchmarks: under a `tests` or `benches` folder, or a file named `tests`.
fn is_test_or_bench(root: &Path, file: &Path) -> bool {
    let relative = file.strip_prefix(root).unwrap_or(file);
    file.file_name().is_some_and(|n| n == "tests.rs")
        || relative
            .components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "benches")))
}

fn shown(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}
