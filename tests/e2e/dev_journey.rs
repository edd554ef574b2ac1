//! The README's first command, as a newcomer meets it: the processes `cargo xtask dev`
//! starts (`xtask/src/dev_plan.rs`: portal-proxy with its embedded demo local-studio and
//! real desktops, and `trunk serve`, whose proxy sends `/api/` on), on free ports, with the
//! page opened at Trunk's address in Chromium. Every button is clicked: Connect on each
//! READY workstation until its desktop shows, Stop, Start, New and Delete.
//!
//! Before `--public-origin`, each action here was refused as cross-site: the page's
//! origin is Trunk's, and Trunk's proxy sends portal-proxy its own `Host`.

use super::desktop::{connect_from_card, viewer_dir};
use super::harness::{browser, free_port, root, shot, until};
use super::journey::{
    connect_and_see_the_desktop, create, delete, start, stop, tail, wait_until_serving,
};
use super::page::{text_of, WAIT};
use fantoccini::{Client, Locator};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use test_support::{is_root, DesktopRoot, ProcessGroup};
use xtask::dev_plan::{self, DemoDesktops, Ports, RealDesktops};

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

/// The two dev servers, stopped when dropped, and where their logs go.
struct DevServers {
    ports: Ports,
    proxy_log: PathBuf,
    _proxy: ProcessGroup,
    _trunk: ProcessGroup,
    _scratch: tempfile::TempDir,
}

impl DevServers {
    /// Starts what `cargo xtask dev` starts with `desktops`, and waits until the page is served.
    async fn start(desktops: &DemoDesktops) -> DevServers {
        let scratch = tempfile::tempdir().unwrap();
        let ports = Ports {
            proxy: free_port(),
            portal: free_port(),
        };
        let proxy_log = scratch.path().join("portal-proxy.log");
        let proxy = ProcessGroup::spawn(
            Command::new(proxy_binary())
                .args(dev_plan::proxy_args(ports, desktops))
                // The embedded local-studio's data (and the proxy's) in this test's folder.
                .env("XDG_DATA_HOME", scratch.path().join("data"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&proxy_log).unwrap()),
        );
        let trunk_log = scratch.path().join("trunk.log");
        let trunk = ProcessGroup::spawn(
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
        DevServers {
            ports,
            proxy_log,
            _proxy: proxy,
            _trunk: trunk,
            _scratch: scratch,
        }
    }

    /// Opens the page at Trunk's address and waits for alice's three demo workstations.
    async fn open_page(&self, client: &Client) {
        client
            .goto(&format!("{}/", self.ports.portal_origin()))
            .await
            .unwrap();
        // A debug build's wasm, on a machine busy with other browser tests: once, on a
        // fresh machine, the cards were not there after 60 s (cause not found).
        let names = until(
            Duration::from_secs(180),
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
    }

    /// Asserts the page shows no refusal.
    async fn assert_nothing_refused(&self, client: &Client) {
        let refused = client
            .find_all(Locator::XPath("//*[contains(., 'permission')]"))
            .await
            .unwrap();
        assert!(
            refused.is_empty(),
            "the page shows a refusal; the proxy's log:\n{}",
            tail(&self.proxy_log)
        );
    }
}

#[tokio::test]
async fn the_dev_command_serves_a_page_on_which_every_button_works() {
    // Declared first so it is dropped last: the desktops stop after everything else.
    let Some(desktops) = DesktopRoot::new() else {
        return;
    };
    let real = DemoDesktops::Real(RealDesktops {
        dir: desktops.path().to_owned(),
        viewer: viewer_dir(),
        as_root: is_root(),
    });
    let servers = DevServers::start(&real).await;
    let (_driver, client) = browser().await;
    let client = &client;
    servers.open_page(client).await;
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
    servers.assert_nothing_refused(client).await;
    client.clone().close().await.unwrap();
}

/// A newcomer without root or the desktop packages: `cargo xtask dev` says what is missing
/// and how to get it, and the demo still works, simulated. Connect opens local-studio's page
/// that says the workstation is simulated; Stop, Start, New and Delete work.
#[tokio::test]
async fn without_the_desktop_packages_the_dev_command_says_so_and_runs_the_simulated_demo() {
    let real = RealDesktops {
        dir: "/unused".into(),
        viewer: viewer_dir(),
        as_root: false,
    };
    let simulated = dev_plan::demo_desktops(&["tigervnc-standalone-server"], real);
    let DemoDesktops::Simulated { why } = &simulated else {
        panic!("real desktops without their packages");
    };
    assert!(
        why.contains("apt-get install -y tigervnc-standalone-server"),
        "{why}"
    );
    let servers = DevServers::start(&simulated).await;

    let (_driver, client) = browser().await;
    let client = &client;
    servers.open_page(client).await;
    let portal = connect_from_card(client, "Lighting").await;
    let heading = until(
        Duration::from_secs(30),
        "the page that says Lighting is simulated",
        || async { text_of(client, "h1").await },
        |h| h.contains("simulated"),
    )
    .await;
    assert_eq!(heading, "This workstation is simulated");
    client.close_window().await.unwrap();
    client.switch_to_window(portal).await.unwrap();
    stop(client, "Lighting").await;
    start(client, "Lighting").await;
    create(client, "Simulated journey").await;
    delete(client, "Simulated journey").await;
    shot(client, "dev-simulated").await;
    servers.assert_nothing_refused(client).await;
    client.clone().close().await.unwrap();
}
