//! The README's first command, as a newcomer meets it: the processes `cargo xtask dev`
//! starts (`xtask/src/dev_plan.rs`: portal-proxy with its embedded demo local-studio and
//! real desktops, and `trunk serve`, whose proxy sends `/api/` on), on free ports, with the
//! page opened at Trunk's address in Chromium. Every button is clicked: Connect on each
//! READY workstation until its desktop shows, Stop, Start, New and Delete.
//!
//! Before `--public-origin`, each action here was refused as cross-site: the page's
//! origin is Trunk's, and Trunk's proxy sends portal-proxy its own `Host`.

use super::desktop::viewer_dir;
use super::harness::{browser, free_port, root, shot, until};
use super::journey::{
    connect_and_see_the_desktop, create, delete, start, stop, tail, wait_until_serving,
};
use super::page::WAIT;
use fantoccini::Locator;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use test_support::{is_root, DesktopRoot, ProcessGroup};
use xtask::dev_plan::{self, Ports, RealDesktops};

/// The debug portal-proxy that `cargo xtask dev` runs, beside this test's binary
/// (`cargo test --workspace` builds it for the proxy's own tests).
fn proxy_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = debug.join("portal-proxy");
    assert!(
        binary.is_file(),
        "no {}: build it with `cargo build -p portal-proxy`",
        binary.display()
    );
    binary
}

#[tokio::test]
async fn the_dev_command_serves_a_page_on_which_every_button_works() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(desktops) = DesktopRoot::new() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let ports = Ports {
        proxy: free_port(),
        portal: free_port(),
    };
    let real = RealDesktops {
        dir: desktops.path().to_owned(),
        viewer: viewer_dir(),
        as_root: is_root(),
    };
    let proxy_log = scratch.path().join("portal-proxy.log");
    let _proxy = ProcessGroup::spawn(
        Command::new(proxy_binary())
            .args(dev_plan::proxy_args(ports, Some(&real)))
            // The embedded local-studio's data (and the proxy's) in this test's folder.
            .env("XDG_DATA_HOME", scratch.path().join("data"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&proxy_log).unwrap()),
    );
    let trunk_log = scratch.path().join("trunk.log");
    let _trunk = ProcessGroup::spawn(
        Command::new("trunk")
            .args(dev_plan::trunk_args(ports, &scratch.path().join("dist")))
            .current_dir(root())
            .env("PATH", xtask::run::tool_path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&trunk_log).unwrap())
            .stderr(std::fs::File::create(scratch.path().join("trunk.err")).unwrap()),
    );
    let proxy_addr = format!("127.0.0.1:{}", ports.proxy).parse().unwrap();
    wait_until_serving(proxy_addr, "/healthz", "ok", WAIT, &proxy_log).await;
    // Trunk's first debug build of the portal: minutes on a cold cache.
    let portal_addr = format!("127.0.0.1:{}", ports.portal).parse().unwrap();
    let build = Duration::from_secs(900);
    wait_until_serving(portal_addr, "/", "boot.js", build, &trunk_log).await;

    let (_driver, client) = browser().await;
    let client = &client;
    client
        .goto(&format!("{}/", ports.portal_origin()))
        .await
        .unwrap();
    let names = until(
        Duration::from_secs(60),
        "alice's three cards",
        || async {
            let mut names = Vec::new();
            for heading in client.find_all(Locator::Css(".card h2")).await.unwrap() {
                names.push(heading.text().await.unwrap());
            }
            names.sort();
            names
        },
        |n| n.len() == 3,
    )
    .await;
    assert_eq!(names, ["Compositing", "Dailies", "Lighting"]);
    shot(client, "dev-1-cards").await;

    // Every Connect on the page opens a desktop: both READY workstations, Dailies (a
    // Review station) as well as Lighting.
    for name in ["Lighting", "Dailies"] {
        let opened = connect_and_see_the_desktop(client, name).await;
        assert!(opened.contains("/desktop/"), "{name} opened {opened}");
    }
    stop(client, "Lighting").await;
    start(client, "Lighting").await;
    connect_and_see_the_desktop(client, "Lighting").await;
    // Compositing was stopped: Start it, and it connects too.
    start(client, "Compositing").await;
    connect_and_see_the_desktop(client, "Compositing").await;
    create(client, "Dev journey").await;
    shot(client, "dev-2-created").await;
    connect_and_see_the_desktop(client, "Dev journey").await;
    delete(client, "Dev journey").await;
    shot(client, "dev-3-deleted").await;
    let refused = client
        .find_all(Locator::XPath("//*[contains(., 'permission')]"))
        .await
        .unwrap();
    assert!(
        refused.is_empty(),
        "the page shows a refusal; the proxy's log:\n{}",
        tail(&proxy_log)
    );
    client.clone().close().await.unwrap();
}
