//! The admin page in Chromium, against a real local-studio behind two portal-proxies: one
//! where carol, an admin, is signed in, one where alice, an artist, is.
//!
//! - carol filters the studio's workstations to alice's, stops two with a reason, and
//!   alice's open page shows who stopped them and why, without a reload;
//! - carol downloads the month's usage as CSV, whose hours are the READY time the test made
//!   (the studio's clock moved two hours) and whose costs are those hours at the rates;
//! - "Stop all idle" stops bob's two, unused for those two hours by the studio's clock
//!   (the browser's is not moved: idle counts to the server's);
//! - alice's page never fetches admin code; `/admin/` and its data answer her 403, and the
//!   page says so plainly.

use super::harness::{browser, browser_downloading_to, fetched, proxy, proxy_to_as, shot, until};
use super::page::{wait_for_card_text, wait_for_cards, wait_for_state, WAIT};
use fantoccini::{Client, Locator};
use portal_proxy::AuthMode;
use serde_json::{json, Value};
use std::time::Duration;

const STUDIO: &str = "fleet-studio";
const SESSIONS: &str = "/2020-08-01/studios/fleet-studio/streaming-sessions";

const STUDIO_TOML: &str = r#"
[[studios]]
studio_id = "fleet-studio"
hourly_rates = { "g4dn.xlarge" = 0.5, "g5.2xlarge" = 1.25 }

[[studios.launch_profiles]]
launchProfileId = "lp-anim"
name = "Animation"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img"]
maxSessionLengthInMinutes = 690

[[studios.launch_profiles]]
launchProfileId = "lp-fx"
name = "FX"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g5.2xlarge"]
streamingImageIds = ["img"]
maxSessionLengthInMinutes = 690

[[studios.streaming_images]]
streamingImageId = "img"
name = "Image"
"#;

/// Rows the admin table shows now, as [id, owner] pairs.
async fn rows(client: &Client) -> Vec<(String, String)> {
    let script = "return [...document.querySelectorAll('#rows tr')]
        .map(r => [r.dataset.session, r.children[2].textContent])";
    let found = client.execute(script, vec![]).await.unwrap();
    serde_json::from_value(found).unwrap_or_default()
}

async fn text(client: &Client, css: &str) -> String {
    let script = format!("return document.querySelector('{css}')?.textContent ?? ''");
    let found = client.execute(&script, vec![]).await.unwrap();
    found.as_str().unwrap_or_default().to_owned()
}

/// The status of a GET of `path` from the page, with its cookies.
async fn status_of(client: &Client, path: &str) -> u16 {
    let script = "const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => done(r.status), () => done(0));";
    let status = client
        .execute_async(script, vec![json!(path)])
        .await
        .unwrap();
    status.as_u64().unwrap() as u16
}

async fn create(studio: &test_support::Studio, owner: &str, profile: &str, name: &str) -> String {
    let body = json!({"launchProfileId": profile, "ownedBy": owner, "tags": {"name": name}});
    let id = studio.create_in(SESSIONS, body).await;
    studio.wait_for_state(SESSIONS, &id, "READY").await;
    id
}

#[tokio::test]
async fn an_admin_filters_stops_two_with_a_reason_and_downloads_the_usage() {
    let scratch = tempfile::tempdir().unwrap();
    let toml = scratch.path().join("studio.toml");
    std::fs::write(&toml, STUDIO_TOML).unwrap();
    let studio = test_support::start(local_studio::Config {
        studio_config: Some(toml),
        transition: Duration::from_millis(300),
        ..local_studio::Config::default()
    })
    .await;
    let alices = [
        create(&studio, "alice", "lp-anim", "Shot 010").await,
        create(&studio, "alice", "lp-anim", "Shot 020").await,
    ];
    create(&studio, "bob", "lp-fx", "Smoke sim").await;
    create(&studio, "bob", "lp-anim", "Layout").await;

    let artist_proxy = proxy_to_as(&studio, STUDIO, "alice", false).await;
    let admin_proxy = proxy_to_as(&studio, STUDIO, "carol", true).await;
    let (_artist_driver, artist) = browser().await;
    artist
        .goto(&format!("http://{}/", artist_proxy.addr()))
        .await
        .unwrap();
    wait_for_state(&artist, "Shot 010", "READY").await;
    let downloads = tempfile::tempdir().unwrap();
    let (_admin_driver, admin) = browser_downloading_to(downloads.path()).await;
    admin
        .goto(&format!("http://{}/admin/", admin_proxy.addr()))
        .await
        .unwrap();
    until(WAIT, "every workstation", || rows(&admin), |r| r.len() == 4).await;

    // Two hours of READY for everyone, then the filter to alice's.
    studio.server.advance_clock(Duration::from_secs(2 * 3600));
    let owner = admin.find(Locator::Css("#filter-owner")).await.unwrap();
    owner.select_by_value("alice").await.unwrap();
    let shown = until(WAIT, "alice's only", || rows(&admin), |r| r.len() == 2).await;
    assert!(shown.iter().all(|(_, owner)| owner == "alice"), "{shown:?}");
    let mut ids: Vec<String> = shown.into_iter().map(|(id, _)| id).collect();
    ids.sort();
    let mut expected = alices.to_vec();
    expected.sort();
    assert_eq!(ids, expected);

    // Both selected, stopped with a reason.
    for id in &ids {
        let checkbox = format!("#rows input[data-session='{id}']");
        admin
            .find(Locator::Css(&checkbox))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    let count = || text(&admin, "#selected-count");
    until(WAIT, "both selected", count, |t| t == "2 selected").await;
    admin
        .find(Locator::Css("#act-stop"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let reason = "Render node maintenance – back at 14:00";
    let field = admin
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#reason"))
        .await
        .unwrap();
    field.send_keys(reason).await.unwrap();
    admin
        .find(Locator::Css("[data-act='confirm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        WAIT,
        "the report",
        || text(&admin, "#report"),
        |t| t == "Stop: 2 done",
    )
    .await;

    // alice's page, never reloaded, says who and why on both cards.
    let said = format!("Stopped by carol: {reason}");
    for name in ["Shot 010", "Shot 020"] {
        wait_for_state(&artist, name, "STOPPED").await;
        wait_for_card_text(&artist, name, &said, WAIT).await;
    }
    let listed = until(
        WAIT,
        "the admin table to show them stopped",
        || text(&admin, "#rows"),
        |t| t.matches("Stopped by carol").count() == 2,
    )
    .await;
    assert!(listed.contains(reason), "{listed}");
    shot(&admin, "admin-workstations").await;

    // The month's usage by owner, downloaded.
    admin
        .find(Locator::Css("[data-act='tab-usage']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        WAIT,
        "the usage table",
        || text(&admin, ".total-hours"),
        |t| !t.is_empty(),
    )
    .await;
    admin
        .find(Locator::Css("#csv"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = until(
        WAIT,
        "the CSV download",
        || async {
            std::fs::read_dir(downloads.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "csv"))
        },
        Option::is_some,
    )
    .await
    .unwrap();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("usage-20") && name.ends_with("-by-owner.csv"),
        "{name}"
    );
    let csv = std::fs::read_to_string(&file).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("owner,hours,cost"));
    let by_owner: Vec<(String, f64, f64)> = lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (
                fields[0].into(),
                fields[1].parse().unwrap(),
                fields[2].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_owner.len(), 2, "{csv}");
    // Each of the four was READY for the two hours the clock moved and a few real seconds.
    let near = |value: f64, expected: f64| (value - expected).abs() < 0.02;
    let (alice, bob) = (&by_owner[0], &by_owner[1]);
    assert_eq!((alice.0.as_str(), bob.0.as_str()), ("alice", "bob"));
    assert!(near(alice.1, 4.0) && near(bob.1, 4.0), "{csv}");
    assert!(
        near(alice.2, alice.1 * 0.5),
        "alice: two g4dn.xlarge at 0.5: {csv}"
    );
    assert!(
        near(bob.2, 2.0 * 0.5 + 2.0 * 1.25),
        "bob: one of each: {csv}"
    );
    // The CSV is what the API answers a script for the same month.
    let month = &name["usage-".len()..name.len() - "-by-owner.csv".len()];
    let (year, number): (i32, u32) = (month[..4].parse().unwrap(), month[5..].parse().unwrap());
    let next = if number == 12 {
        format!("{}-01", year + 1)
    } else {
        format!("{year}-{:02}", number + 1)
    };
    let (from, to) = (
        format!("{month}-01T00:00:00Z"),
        format!("{next}-01T00:00:00Z"),
    );
    let reply = studio
        .get(&format!(
            "/2020-08-01/studios/{STUDIO}/usage?from={from}&to={to}&groupBy=OWNER"
        ))
        .await;
    let api: Vec<Value> = reply.json["usage"].as_array().unwrap().clone();
    for ((owner, hours, _), group) in by_owner.iter().zip(&api) {
        assert_eq!(group["key"], owner.as_str());
        let api_hours = group["hours"].as_f64().unwrap();
        // Bob's hours grow while his workstations run.
        assert!(
            (api_hours - hours).abs() < 0.01,
            "{csv} against {}",
            reply.json
        );
    }
    shot(&admin, "admin-usage").await;
    let chart = text(&admin, "#chart figcaption").await;
    assert!(chart.contains("(most: 4)"), "{chart}");

    // Stop all idle: bob's two, READY and unused for the two hours, by the studio's clock.
    admin
        .find(Locator::Css("[data-act='tab-workstations']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The tab is drawn on the next frame.
    let shown = "return !document.getElementById('workstations').hidden";
    until(
        WAIT,
        "the workstations tab",
        || async { admin.execute(shown, vec![]).await.unwrap() },
        |v| v == &Value::Bool(true),
    )
    .await;
    let owner = admin.find(Locator::Css("#filter-owner")).await.unwrap();
    owner.select_by_value("").await.unwrap();
    until(WAIT, "all four again", || rows(&admin), |r| r.len() == 4).await;
    admin
        .find(Locator::Css("[data-act='stop-idle']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The dialog, or the report that says why there is none.
    let asked = "return document.getElementById('confirm').hidden
        ? document.getElementById('report').textContent : 'asked'";
    until(
        WAIT,
        "the idle stop's confirmation",
        || async { admin.execute(asked, vec![]).await.unwrap() },
        |v| v == "asked",
    )
    .await;
    let field = admin.find(Locator::Css("#reason")).await.unwrap();
    field.send_keys("Idle for two hours").await.unwrap();
    admin
        .find(Locator::Css("[data-act='confirm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        WAIT,
        "the idle stop's report",
        || text(&admin, "#report"),
        |t| t == "Stop: 2 done",
    )
    .await;
    let listed = studio.get(SESSIONS).await.json["sessions"].clone();
    for session in listed.as_array().unwrap() {
        let said = session["statusMessage"].as_str().unwrap_or_default();
        match session["ownedBy"].as_str() {
            Some("bob") => {
                let id = session["sessionId"].as_str().unwrap();
                let bobs = studio.wait_for_state(SESSIONS, id, "STOPPED").await;
                assert_eq!(
                    bobs["statusMessage"], "Stopped by carol: Idle for two hours",
                    "{bobs}"
                );
            }
            _ => assert!(said.contains(reason), "{session}"),
        }
    }
    for proxy in [artist_proxy, admin_proxy] {
        proxy.shutdown().await;
    }
}

#[tokio::test]
async fn an_artist_fetches_no_admin_code_and_is_told_the_page_is_not_theirs() {
    let proxy = proxy(AuthMode::Dev("alice".into())).await;
    let base = format!("http://{}", proxy.addr());
    let (_driver, client) = browser().await;
    client.goto(&format!("{base}/")).await.unwrap();
    wait_for_cards(&client).await;
    let loaded = fetched(&client).await;
    assert!(
        loaded.iter().any(|(path, _, _)| path.ends_with(".wasm")),
        "{loaded:?}"
    );
    let admin_code: Vec<_> = loaded
        .iter()
        .filter(|(path, _, _)| path.starts_with("/admin"))
        .collect();
    assert!(
        admin_code.is_empty(),
        "the artists' page fetched {admin_code:?}"
    );

    let studio = "/api/2020-08-01/studios/demo-studio";
    for path in [
        "/admin/".to_owned(),
        format!("{studio}/activity"),
        format!("{studio}/usage?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&groupBy=OWNER"),
    ] {
        assert_eq!(status_of(&client, &path).await, 403, "{path}");
    }
    client.goto(&format!("{base}/admin/")).await.unwrap();
    let said = client
        .find(Locator::Css("[role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        said.contains("This page is for the studio's administrators"),
        "{said}"
    );
    let loaded = fetched(&client).await;
    assert!(
        loaded
            .iter()
            .all(|(path, _, _)| !path.ends_with(".wasm") && !path.ends_with(".js")),
        "no code comes with the refusal: {loaded:?}"
    );
    client.close().await.unwrap();
    proxy.shutdown().await;
}

/// `cargo xtask bench`: the admin page with 5,000 workstations of 500 artists stored, in
/// headless Chromium: navigation to the first rows drawn, and to all 5,000 listed, over 7
/// loads; and the bytes of its first load. The artists' first load is measured beside it
/// (`budget::bench_first_render_and_sizes`).
#[tokio::test]
#[ignore]
async fn bench_admin_first_rows() {
    const ARTISTS: usize = 500;
    const EACH: usize = 10;
    let scratch = tempfile::tempdir().unwrap();
    let toml = scratch.path().join("studio.toml");
    std::fs::write(&toml, STUDIO_TOML).unwrap();
    let studio = test_support::start(local_studio::Config {
        studio_config: Some(toml),
        transition: Duration::from_millis(50),
        ..local_studio::Config::default()
    })
    .await;
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let client = studio.client.clone();
            tokio::spawn(async move {
                for n in (worker..ARTISTS * EACH).step_by(8) {
                    let owner = format!("artist-{:03}", n % ARTISTS);
                    let body = json!({"launchProfileId": "lp-anim", "ownedBy": owner,
                        "tags": {"name": format!("Shot {n:04}")}});
                    client.create_in(SESSIONS, body).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    // Every create was answered, so all are stored; how many have reached READY by now
    // does not change what the page lists.
    let ready = studio
        .get(&format!("/2020-08-01/studios/{STUDIO}/activity"))
        .await
        .json["sessions"]
        .as_array()
        .map_or(0, Vec::len);
    println!(
        "{} workstations of {ARTISTS} artists created in {:.1} s ({ready} READY so far)",
        ARTISTS * EACH,
        started.elapsed().as_secs_f64()
    );

    let proxy = proxy_to_as(&studio, STUDIO, "carol", true).await;
    let (_driver, client) = browser().await;
    let url = format!("http://{}/admin/", proxy.addr());
    let all = format!("{} of {} workstations", ARTISTS * EACH, ARTISTS * EACH);
    let (mut first, mut every) = (Vec::new(), Vec::new());
    for load in 0..7 {
        client.goto("about:blank").await.unwrap();
        client.goto(&url).await.unwrap();
        // Polled in the page each frame, so the time is when the rows were first drawn.
        let first_row = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const seen = () => document.querySelector('#rows tr')
                     ? done(performance.now()) : requestAnimationFrame(seen);
                 seen();",
                vec![],
            )
            .await
            .unwrap();
        first.push(first_row.as_f64().unwrap());
        if load == 6 {
            // Where the time to the first rows went: each fetch's start and end (ms).
            let timings = client
                .execute(
                    "return performance.getEntriesByType('resource')
                         .filter(e => !e.name.endsWith('.css'))
                         .map(e => `${new URL(e.name).pathname.slice(0, 40)} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`)
                         .slice(0, 8)",
                    vec![],
                )
                .await
                .unwrap();
            println!("admin page fetches, ms from navigation: {timings}");
        }
        until(
            WAIT,
            "all listed",
            || text(&client, "#summary"),
            |t| *t == all,
        )
        .await;
        let at = client
            .execute("return performance.now()", vec![])
            .await
            .unwrap();
        every.push(at.as_f64().unwrap());
        if load == 0 {
            let bytes: u64 = fetched(&client)
                .await
                .iter()
                .filter(|(path, _, _)| path.starts_with("/admin"))
                .map(|(_, wire, _)| wire)
                .sum();
            println!("admin page first load as Chromium fetched it (br): {bytes} bytes");
        }
    }
    for times in [&mut first, &mut every] {
        times.sort_by(f64::total_cmp);
    }
    println!(
        "admin page, {} workstations: navigation to first rows median {:.0} ms (min {:.0}, max {:.0}); to all listed median {:.0} ms (min {:.0}, max {:.0})",
        ARTISTS * EACH, first[3], first[0], first[6], every[3], every[0], every[6]
    );
    client.close().await.unwrap();
    proxy.shutdown().await;
}
