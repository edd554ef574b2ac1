//! The deploy steps of docs/deploying.md, carried out on what `cargo xtask dist` wrote: the
//! two server binaries from that folder, started the way those steps say (local-studio with a
//! data directory and a credential of its own; portal-proxy with the built portal, that
//! upstream and a users file), then probed, signed in to, and asked for the artist's
//! sessions. The systemd units shipped in `deploy/` start the same binaries with flags
//! that the binaries accept.
//!
//! `cargo xtask test` runs `cargo xtask dist` (into `target/dist`) and then this test;
//! alone it is ignored, as it needs that build. `STUDIO_PORTAL_DIST` names another folder.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use test_support::{spawn_announcing, spawn_server, Announces};

/// `STUDIO_PORTAL_DIST`, else where a bare `cargo xtask dist` writes.
fn dist() -> PathBuf {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dist");
    let dir = std::env::var_os("STUDIO_PORTAL_DIST").map_or(default, PathBuf::from);
    assert!(
        dir.join("portal-proxy").exists(),
        "{} holds no deployment: run `cargo xtask dist` first",
        dir.display()
    );
    dir
}

#[test]
#[ignore = "needs `cargo xtask dist`; `cargo xtask test` runs it"]
fn the_readme_deploy_steps_serve_the_portal_from_the_dist_folder() {
    let dist = dist();
    for shipped in [
        "portal/index.html",
        "portal-proxy",
        "local-studio",
        "desktop-viewer",
    ] {
        assert!(dist.join(shipped).exists(), "dist has {shipped}");
    }
    let work = tempfile::tempdir().unwrap();
    let secret = "deploy-test-secret-0123456789abcdef";

    // Step 2: local-studio with a data directory and its own credential (from the
    // environment, as the systemd unit passes it).
    let (_studio, studio_addr) = spawn_server(
        Command::new(dist.join("local-studio"))
            .args(["--listen", "127.0.0.1:0", "--demo", "--data-dir"])
            .arg(work.path().join("studio"))
            .arg("--viewer-dir")
            .arg(dist.join("desktop-viewer"))
            .env("LOCAL_STUDIO_CREDENTIALS", format!("PORTALPROXY:{secret}")),
    );

    // Step 3: portal-proxy with the built portal, that upstream and a users file.
    let hash = {
        let mut hasher = Command::new(dist.join("portal-proxy"))
            .arg("hash-password")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        hasher
            .stdin
            .take()
            .unwrap()
            .write_all(b"correct horse\n")
            .unwrap();
        let out = hasher.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let users = work.path().join("users.toml");
    std::fs::write(
        &users,
        format!("[users.alice]\npassword_hash = \"{hash}\"\n"),
    )
    .unwrap();
    let (_proxy, proxy_addr) = spawn_announcing(
        Command::new(dist.join("portal-proxy"))
            .args(["--listen", "127.0.0.1:0", "--dist"])
            .arg(dist.join("portal"))
            .args(["--upstream", &format!("http://{studio_addr}")])
            .arg(format!("--auth=users-file:{}", users.display()))
            .arg("--data-dir")
            .arg(work.path().join("proxy"))
            .env("AWS_ACCESS_KEY_ID", "PORTALPROXY")
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN"),
        Announces::Stderr,
    );

    let base = format!("http://{proxy_addr}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let get = |path: &str| http.get(format!("{base}{path}")).send();
        // Step 4: the probes.
        assert_eq!(get("/healthz").await.unwrap().status(), 200);
        let ready = get("/readyz").await.unwrap();
        assert_eq!(
            ready.status(),
            200,
            "the upstream answers the proxy's signed call"
        );
        // The built portal, its script and its compressed copies.
        let index = get("/").await.unwrap().text().await.unwrap();
        // Minified HTML: `data-wasm=/studio-portal-HASH_bg.wasm`, unquoted.
        let wasm = index
            .split([' ', '>', '"'])
            .find_map(|part| part.strip_prefix("data-wasm="))
            .expect("index.html loads the portal's wasm")
            .to_owned();
        let compressed = http
            .get(format!("{base}{wasm}"))
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.status(), 200);
        assert_eq!(compressed.headers()["content-encoding"], "br");

        // An artist signs in and sees her own sessions, through the real signed upstream.
        let login = http
            .post(format!("{base}/api/login"))
            .json(&json!({"user": "alice", "password": "correct horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200);
        let cookie = login.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let sessions: Value = http
            .get(format!(
                "{base}/api/2020-08-01/studios/demo-studio/streaming-sessions"
            ))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let owners: Vec<&str> = sessions["sessions"]
            .as_array()
            .expect("a session list")
            .iter()
            .filter_map(|s| s["ownedBy"].as_str())
            .collect();
        assert!(!owners.is_empty(), "{sessions}");
        assert!(owners.iter().all(|o| *o == "alice"), "{owners:?}");
    });
}

/// Every `--flag` of a unit's ExecStart, and the binary it starts.
fn exec_start(unit: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(unit).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap_or_else(|| panic!("{} has an ExecStart", unit.display()));
    let mut words = line.split_whitespace();
    let binary = words.next().unwrap().rsplit('/').next().unwrap().to_owned();
    let flags = words
        .filter(|w| w.starts_with("--"))
        .map(str::to_owned)
        .collect();
    (binary, flags)
}

#[test]
#[ignore = "needs `cargo xtask dist`; `cargo xtask test` runs it"]
fn the_systemd_units_start_shipped_binaries_with_flags_they_accept() {
    let dist = dist();
    for unit in ["local-studio.service", "portal-proxy.service"] {
        let (binary, flags) = exec_start(&dist.join("deploy/systemd").join(unit));
        let help = Command::new(dist.join(&binary))
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(!flags.is_empty(), "{unit}");
        for flag in flags {
            assert!(
                help.contains(&format!("{flag} ")),
                "{unit}: {binary} has no {flag}"
            );
        }
    }
}
