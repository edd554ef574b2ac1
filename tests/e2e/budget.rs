//! The size budget of the portal's first load, checked by one test and printed by the
//! bench (`cargo xtask bench`) with its margin, next to the time to the first session list;
//! and the budget of what loads on demand (the rarely opened dialogs, `extras/extras.js`),
//! which the first load does not fetch.

use super::harness::{browser, dist, fetched, proxy};
use fantoccini::Locator;
use portal_proxy::AuthMode;
use std::time::Duration;

/// The first load's budget: 150 KB of gzip -9, read strictly as 150,000 bytes.
const BUDGET_GZIP: u64 = 150_000;

/// Files of dist/ that load on first use (boot.js imports them), not with the page.
const ON_DEMAND: [&str; 2] = ["extras.js", "extras.css"];

/// What loads on demand may add when first used: gzip -9 bytes.
const ON_DEMAND_BUDGET_GZIP: u64 = 6_000;

/// The admin page's first load (dist/admin/, which only admins are served): gzip -9 bytes.
const ADMIN_BUDGET_GZIP: u64 = 120_000;

/// Each file of dist/ the first load fetches (all but [`ON_DEMAND`]'s) with its sizes
/// [raw, gzip -9, brotli 11], and their sums. The build writes each file's `.gz` and `.br`:
/// these are the bytes portal-proxy sends, so their sizes are the ones that count.
fn first_load() -> (Vec<(String, [u64; 3])>, [u64; 3]) {
    sizes(|name| !ON_DEMAND.contains(&name))
}

/// [`first_load`] of the files `counted` names.
fn sizes(counted: impl Fn(&str) -> bool) -> (Vec<(String, [u64; 3])>, [u64; 3]) {
    sizes_in(&dist(), counted)
}

/// The admin page's first load: every file of dist/admin/.
fn admin_load() -> (Vec<(String, [u64; 3])>, [u64; 3]) {
    sizes_in(&dist().join("admin"), |_| true)
}

/// [`sizes`] of the files directly in `folder`.
fn sizes_in(
    folder: &std::path::Path,
    counted: impl Fn(&str) -> bool,
) -> (Vec<(String, [u64; 3])>, [u64; 3]) {
    let size = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.len());
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file() && !matches!(p.extension().and_then(|e| e.to_str()), Some("gz" | "br"))
        })
        .collect();
    files.sort();
    let mut total = [0; 3];
    let mut rows = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !counted(&name) {
            continue;
        }
        let sibling = |ext: &str| {
            size(&path.with_file_name(format!("{name}.{ext}")))
                .unwrap_or_else(|_| panic!("no {name}.{ext}: build with `trunk build --release`"))
        };
        let sizes = [size(path).unwrap(), sibling("gz"), sibling("br")];
        for (sum, size) in total.iter_mut().zip(sizes) {
            *sum += size;
        }
        rows.push((name, sizes));
    }
    (rows, total)
}

/// The one check of the size budget: a release build whose first load is over it fails.
#[test]
fn the_first_load_fits_the_size_budget() {
    let (rows, total) = first_load();
    assert!(
        total[1] <= BUDGET_GZIP,
        "the first load is {} B gzip -9, {} B over the budget of {BUDGET_GZIP} B: {rows:?}",
        total[1],
        total[1] - BUDGET_GZIP
    );
}

/// The admin page fits its own budget; it is a separate build, so it adds nothing to the
/// artists' first load (`dist()`'s own files only).
#[test]
fn the_admin_page_fits_its_budget() {
    let (rows, total) = admin_load();
    assert!(
        rows.iter().any(|(name, _)| name.ends_with("_bg.wasm")),
        "no admin wasm in dist/admin/: build with `cargo xtask dist`: {rows:?}"
    );
    assert!(
        total[1] <= ADMIN_BUDGET_GZIP,
        "the admin page is {} B gzip -9, over its budget of {ADMIN_BUDGET_GZIP} B: {rows:?}",
        total[1]
    );
}

/// What loads on demand fits its own budget.
#[test]
fn what_loads_on_demand_fits_its_budget() {
    let (rows, total) = sizes(|name| ON_DEMAND.contains(&name));
    assert_eq!(rows.len(), ON_DEMAND.len(), "{rows:?}");
    assert!(
        total[1] <= ON_DEMAND_BUDGET_GZIP,
        "on demand: {} B gzip -9, over its budget of {ON_DEMAND_BUDGET_GZIP} B: {rows:?}",
        total[1]
    );
}

/// `cargo xtask bench`: the size of dist/ against the budget, and the time from navigation
/// to the first rendered session list.
#[tokio::test]
#[ignore]
async fn bench_first_render_and_sizes() {
    println!(
        "{:<44} {:>9} {:>9} {:>9}",
        "dist/ file", "raw", "gzip -9", "brotli"
    );
    let (rows, total) = first_load();
    for (name, [raw, gz, br]) in rows {
        println!("{name:<44} {raw:>9} {gz:>9} {br:>9}");
    }
    let [raw, gz, br] = total;
    println!("{:<44} {raw:>9} {gz:>9} {br:>9}", "first load, all files");
    println!(
        "budget 150 KB gzip ({BUDGET_GZIP} B): {} B {} ({:.1}% of it)",
        BUDGET_GZIP.abs_diff(gz),
        if gz <= BUDGET_GZIP { "under" } else { "OVER" },
        gz as f64 * 100.0 / BUDGET_GZIP as f64
    );

    let (_, [raw, gz, br]) = sizes(|name| ON_DEMAND.contains(&name));
    println!(
        "{:<44} {raw:>9} {gz:>9} {br:>9}   (budget {ON_DEMAND_BUDGET_GZIP} B gzip)",
        "on demand (the dialogs' module)"
    );
    let (_, [raw, gz, br]) = admin_load();
    println!(
        "{:<44} {raw:>9} {gz:>9} {br:>9}   (budget {ADMIN_BUDGET_GZIP} B gzip, {:.1}% of it)",
        "admin page (dist/admin/, admins only)",
        gz as f64 * 100.0 / ADMIN_BUDGET_GZIP as f64
    );

    let proxy = proxy(AuthMode::Dev("alice".into())).await;
    let (_driver, client) = browser().await;
    let mut times = Vec::new();
    for _ in 0..7 {
        client.goto("about:blank").await.unwrap();
        client
            .goto(&format!("http://{}/", proxy.addr()))
            .await
            .unwrap();
        client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(".card"))
            .await
            .unwrap();
        let at = client
            .execute("return performance.now()", vec![])
            .await
            .unwrap();
        times.push(at.as_f64().unwrap());
        if times.len() == 1 {
            // A fresh profile: nothing was cached for this first load.
            let (api, assets): (Vec<_>, Vec<_>) = fetched(&client)
                .await
                .into_iter()
                .partition(|(path, _, _)| path.starts_with("/api/"));
            let wire = |entries: &[(String, u64, u64)]| entries.iter().map(|e| e.1).sum::<u64>();
            println!(
                "first load as Chromium fetched it (it accepts br): {} bytes of page and assets, {} bytes of API answers",
                wire(&assets),
                wire(&api)
            );
        }
    }
    times.sort_by(f64::total_cmp);
    println!("navigation to first session list (headless Chromium, 7 loads): median {:.0} ms, min {:.0} ms, max {:.0} ms", times[3], times[0], times[6]);
    client.close().await.unwrap();
    proxy.shutdown().await;
}
