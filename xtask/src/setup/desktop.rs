//! Set-up for real desktops (crates/local-desktop) and their browser viewer.
//!
//! - Debian packages: Xvnc, openbox, xterm, xprop/xwininfo, xauth and fonts, through apt when
//!   run as root. Without root, set-up only says what is missing and goes on: the simulated
//!   workstations need none of it, and the desktop tests skip themselves.
//! - The viewer: npm `@novnc/novnc` (pinned) into `.tools/novnc`, and `viewer/` bundled by
//!   esbuild into `.tools/desktop-viewer/` (`index.html`, `viewer.js`, `viewer.css`), which
//!   local-studio serves at `<base>/desktop/`. It is rebuilt only when a source, the noVNC
//!   version or the esbuild version changed, or an output file is missing.

use super::{npm_install_into, step, ESBUILD_VERSION};
use crate::run::{command, output, root, run, Result};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// The noVNC client library. npm's package holds only the library (`core/`, no `vnc.html`
/// app): the viewer's own page (`viewer/`) imports its RFB client, and esbuild bundles it.
/// Debian's novnc is older (1.3).
const NOVNC_VERSION: &str = "1.7.0";

/// Where the built viewer goes; local-studio serves this folder.
fn viewer_dir() -> PathBuf {
    root().join(".tools/desktop-viewer")
}

/// Installs the desktop packages as root; otherwise reports what is missing.
pub fn packages() -> Result {
    let missing = xtask::dev_plan::missing_desktop_packages();
    if missing.is_empty() {
        return Ok(());
    }
    let install = format!("apt-get install -y {}", missing.join(" "));
    if output("id", &["-u"]).as_deref() != Some("0") {
        println!(
            "xtask setup: real desktops need Debian packages that are missing; \
             as root run: {install} (skipped: workstations stay simulated and the desktop tests skip)"
        );
        return Ok(());
    }
    step("installing the desktop packages with apt (Xvnc, openbox, xterm; about a minute)");
    run("apt-get", &["update", "-qq"])?;
    let args: Vec<&str> = ["install", "-y", "-qq"]
        .into_iter()
        .chain(missing)
        .collect();
    run("apt-get", &args)
}

/// Installs noVNC and bundles the viewer page when its inputs changed.
pub fn viewer() -> Result {
    let manifest = root().join(".tools/novnc/node_modules/@novnc/novnc/package.json");
    let have = std::fs::read_to_string(&manifest).unwrap_or_default();
    if !have.contains(&format!("\"version\": \"{NOVNC_VERSION}\"")) {
        npm_install_into("novnc", "@novnc/novnc", NOVNC_VERSION)?;
    }
    let sources = root().join("viewer");
    let out = viewer_dir();
    let stamp = out.join(".built-from");
    let want = inputs_hash(&sources)?;
    let complete = ["index.html", "viewer.js", "viewer.css"]
        .iter()
        .all(|f| out.join(f).is_file());
    if complete && std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    step("bundling the desktop viewer (viewer/ + noVNC) into .tools/desktop-viewer");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let esbuild = root().join(".tools/esbuild/node_modules/.bin/esbuild");
    let outfile = format!("--outfile={}", out.join("viewer.js").display());
    // Top-level await in noVNC (H.264 detection) needs an ES module and ES2022.
    let status = command(
        &esbuild.to_string_lossy(),
        &[
            "viewer/viewer.js",
            "--bundle",
            "--format=esm",
            "--target=es2022",
            "--minify",
            "--legal-comments=eof",
            "--log-level=warning",
            &outfile,
        ],
    )
    .env("NODE_PATH", root().join(".tools/novnc/node_modules"))
    .status()
    .map_err(|e| format!("cannot run {}: {e}", esbuild.display()))?;
    if !status.success() {
        return Err(format!(
            "esbuild could not bundle viewer/viewer.js ({status})"
        ));
    }
    for (from, to) in [("viewer.html", "index.html"), ("viewer.css", "viewer.css")] {
        std::fs::copy(sources.join(from), out.join(to))
            .map_err(|e| format!("cannot copy viewer/{from}: {e}"))?;
    }
    std::fs::write(&stamp, want).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// A fingerprint of everything the bundle is made from.
fn inputs_hash(sources: &Path) -> Result<String> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (NOVNC_VERSION, ESBUILD_VERSION).hash(&mut hasher);
    for file in ["viewer.html", "viewer.js", "toolbar.js", "viewer.css"] {
        let path = sources.join(file);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        (file, bytes).hash(&mut hasher);
    }
    Ok(format!("{:016x}\n", hasher.finish()))
}
