//! Installs what a fresh machine lacks. Each step first checks what is there, at the right
//! version, so a second run takes a second. `for_dev` is what the demo needs and asks for no
//! root; `setup` adds what only the tests use (Chromium, nginx, moto, the service model).
//! Each pin says why it is that version, where the step is: the usual way to install these
//! tools fails here in ways that are slow to find (a Trunk that needs a newer rustc, a
//! wasm-opt that builds a broken wasm, a `--locked` install that cannot resolve). The steps
//! for real desktops and their viewer are in `setup/desktop.rs`.

mod desktop;

use crate::run::{command, output, root, run, Result};
use std::path::Path;

/// Trunk 0.22 needs a newer rustc than these machines have.
const TRUNK_VERSION: &str = "0.21.14";
const BINARYEN_VERSION: &str = "132.0.0";
/// Minifies wasm-bindgen's JS glue in release builds (trunk-hooks/release.mjs).
pub(crate) const ESBUILD_VERSION: &str = "0.28.2";
/// The last botocore that ships the nimble model (`botocore/data/nimble/2020-08-01`): AWS
/// retired the service in 2024.
const BOTOCORE_VERSION: &str = "1.35.47";
/// The EC2 API server the EC2 driver's tests run against. It changes states at once and does
/// not honour ClientToken: the tests put a proxy of their own in front of it for those
/// (`crates/local-studio/tests/cloud/proxy.rs`).
const MOTO_VERSION: &str = "5.2.5";

/// Everything: what the portal's build and the demo need, then the test tools.
pub fn setup() -> Result {
    let started = std::time::Instant::now();
    beside_rust_tools(|| {
        other_dev_tools()?;
        test_packages()?;
        moto()?;
        service_model()
    })?;
    println!(
        "xtask setup: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What `cargo xtask dev` and `dist` need: the portal's build tools (no root), and real
/// desktops where root can install their packages (otherwise the demo is simulated).
pub fn for_dev() -> Result {
    beside_rust_tools(other_dev_tools)
}

/// Runs `others` while the Rust tools are built: building them takes minutes of CPU on a
/// fresh machine, the rest mostly waits on the network and the disk, so side by side a
/// fresh machine is ready minutes sooner. Both run to the end; the first error is told.
fn beside_rust_tools(others: impl FnOnce() -> Result) -> Result {
    let rust_tools = std::thread::spawn(|| {
        wasm_target()?;
        trunk()?;
        wasm_bindgen()
    });
    let others = others();
    let rust_tools =
        (rust_tools.join()).unwrap_or_else(|_| Err("installing the Rust tools panicked".into()));
    others.and(rust_tools)
}

/// The portal's other build tools and the real desktops' packages and viewer.
fn other_dev_tools() -> Result {
    wasm_opt()?;
    esbuild()?;
    desktop::packages()?;
    desktop::viewer()
}

pub(crate) fn step(what: &str) {
    println!("xtask setup: {what}");
}

fn wasm_target() -> Result {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|t| t == "wasm32-unknown-unknown") {
        return Ok(());
    }
    step("adding the wasm32-unknown-unknown target (seconds)");
    run("rustup", &["target", "add", "wasm32-unknown-unknown"])
}

fn trunk() -> Result {
    let version = output("trunk", &["--version"]).unwrap_or_default();
    if version == format!("trunk {TRUNK_VERSION}") {
        return Ok(());
    }
    step(&format!(
        "installing Trunk {TRUNK_VERSION} (about 3.5 minutes on 2 cores, once per machine)"
    ));
    // Unoptimized and without its default features (a crates.io update check, and TLS for
    // downloading tools and `serve --tls`, none of which the project uses): 203 s instead
    // of 387 s to build here, and the same dist/, byte for byte.
    let args = [
        "trunk",
        "--version",
        TRUNK_VERSION,
        "--locked",
        "--no-default-features",
    ];
    cargo_install(&args, "0")
}

/// The wasm-bindgen version the lockfile resolved; the CLI must match it exactly.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return Ok(version.trim_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

fn wasm_bindgen() -> Result {
    let want = locked_wasm_bindgen()?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have == format!("wasm-bindgen {want}") {
        return Ok(());
    }
    step(&format!(
        "installing wasm-bindgen-cli {want} (about 3 minutes, once per version)"
    ));
    // `--locked` fails for this crate: a pinned dependency left the index.
    // Optimized a little: it rewrites every wasm the builds and the wasm tests make.
    cargo_install(&["wasm-bindgen-cli", "--version", &want, "--force"], "1")
}

/// Build tools need not be fast, but CI waits for them: a quicker profile than release,
/// at `opt_level`.
fn cargo_install(args: &[&str], opt_level: &str) -> Result {
    let status = command("cargo", &[&["install"], args].concat())
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", opt_level)
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo install {}` failed ({status})",
            args.join(" ")
        ))
    }
}

fn wasm_opt() -> Result {
    let have = output("wasm-opt", &["--version"]).unwrap_or_default();
    if have.contains("version 132") {
        return Ok(());
    }
    // Debian's binaryen 108 builds a wasm that fails at run time: use npm's, in the project.
    npm_install("binaryen", BINARYEN_VERSION)
}

fn esbuild() -> Result {
    let manifest = root().join(".tools/esbuild/node_modules/esbuild/package.json");
    let have = std::fs::read_to_string(manifest).unwrap_or_default();
    if have.contains(&format!("\"version\": \"{ESBUILD_VERSION}\"")) {
        return Ok(());
    }
    npm_install("esbuild", ESBUILD_VERSION)
}

/// An npm package at an exact version, into the project's own .tools/NAME.
fn npm_install(name: &str, version: &str) -> Result {
    npm_install_into(name, name, version)
}

/// An npm package (scoped names too) at an exact version, into .tools/FOLDER.
pub(crate) fn npm_install_into(folder: &str, name: &str, version: &str) -> Result {
    step(&format!(
        "installing {name} {version} from npm into .tools/{folder}"
    ));
    let prefix = root().join(".tools").join(folder);
    let prefix = prefix.to_string_lossy();
    let package = format!("{name}@{version}");
    run(
        "npm",
        &[
            "install",
            "--prefix",
            &prefix,
            &package,
            "--no-audit",
            "--no-fund",
            "--silent",
        ],
    )
}

/// Debian packages only the tests use, and a file each one installs: the browser the
/// end-to-end tests drive, and the TLS terminator the deploy journey runs in front.
const TEST_PACKAGES: [(&str, &str); 4] = [
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    ("nginx", "/usr/sbin/nginx"),
    // Sets and reads a desktop's clipboard from outside it (the clipboard tests).
    ("xclip", "/usr/bin/xclip"),
];

fn test_packages() -> Result {
    let missing: Vec<&str> = TEST_PACKAGES
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if output("id", &["-u"]).as_deref() != Some("0") {
        return Err(format!(
            "the tests need {} ; install them as root: apt-get install -y {}",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    step(&format!(
        "installing {} with apt (about a minute)",
        missing.join(", ")
    ));
    run("apt-get", &["update", "-qq"])?;
    let args: Vec<&str> = ["install", "-y", "-qq"]
        .into_iter()
        .chain(missing)
        .collect();
    run("apt-get", &args)
}

/// Tests read botocore's service model from ../shared; a clone without it gets the same
/// files from the botocore wheel on PyPI.
fn service_model() -> Result {
    let shared = root().join("../shared/nimble-api/model/service-2.json");
    let local = root().join(".tools/nimble-model");
    if shared.is_file() || local.join("service-2.json").is_file() {
        return Ok(());
    }
    step(&format!(
        "fetching the nimble service model from botocore {BOTOCORE_VERSION} on PyPI"
    ));
    let wheels = root().join(".tools/wheels");
    let wheels = wheels.to_string_lossy();
    let package = format!("botocore=={BOTOCORE_VERSION}");
    run(
        "python3",
        &[
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            &package,
            "-d",
            &wheels,
        ],
    )?;
    let script = r#"
import glob, gzip, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "botocore-*.whl"))[0]
os.makedirs(sys.argv[2], exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("botocore/data/nimble/2020-08-01/"):
            data = z.read(name)
            base = os.path.basename(name)
            if base.endswith(".gz"):
                data, base = gzip.decompress(data), base[:-3]
            open(os.path.join(sys.argv[2], base), "wb").write(data)
"#;
    run(
        "python3",
        &["-c", script, &wheels, &local.to_string_lossy()],
    )
}

/// moto's server in a virtualenv of the project's own (.tools/moto), for the EC2 tests.
fn moto() -> Result {
    let venv = root().join(".tools/moto");
    let python = venv.join("bin/python");
    let python = python.to_string_lossy();
    let check = format!("import moto, sys; sys.exit(moto.__version__ != '{MOTO_VERSION}')");
    if venv.join("bin/moto_server").is_file() && output(&python, &["-c", &check]).is_some() {
        return Ok(());
    }
    step(&format!(
        "installing moto[server] {MOTO_VERSION} into .tools/moto (about a minute)"
    ));
    run("python3", &["-m", "venv", &venv.to_string_lossy()])?;
    let package = format!("moto[server]=={MOTO_VERSION}");
    run(&python, &["-m", "pip", "install", "--quiet", &package])
}
