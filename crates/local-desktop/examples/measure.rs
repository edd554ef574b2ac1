//! Measures what a desktop costs on this host: launch time, stop time, memory (PSS and RSS
//! of all its processes) and the cost of `find`, for N desktops started one after another
//! under a temporary root.
//!
//! ```sh
//! cargo run --release -p local-desktop --example measure -- 4
//! ```
//!
//! The figures feed the benchmark and the per-host `max_desktops` choice; nothing is asserted.

use local_desktop::{Desktops, DesktopsConfig};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    Desktops::check_installed()?;
    let count: usize = std::env::args().nth(1).map_or(Ok(3), |n| n.parse())?;
    let dir = tempfile::Builder::new().prefix("ld").tempdir_in("/tmp")?;
    let mut config = DesktopsConfig::new(dir.path());
    config.max_desktops = count;
    config.allow_root = true; // a measurement on a single-user host
    let desktops = Desktops::new(config)?;
    let ids: Vec<String> = (0..count).map(|i| format!("ss-measure-{i}")).collect();
    let mut launches = Vec::new();
    for id in &ids {
        let started = Instant::now();
        let desktop = desktops.launch(id)?;
        launches.push(started.elapsed());
        println!(
            "{id}: display :{} ready in {:?}",
            desktop.display,
            started.elapsed()
        );
    }
    // Let the applications finish drawing before measuring memory.
    std::thread::sleep(Duration::from_secs(2));
    let mut pss = 0;
    for id in &ids {
        let memory = desktops.memory(id).ok_or("desktop vanished")?;
        pss += memory.pss_kib;
        println!(
            "{id}: {} processes, PSS {} MiB, RSS {} MiB",
            memory.processes,
            memory.pss_kib / 1024,
            memory.rss_kib / 1024
        );
    }
    let started = Instant::now();
    for _ in 0..1000 {
        desktops.find(&ids[0]).ok_or("desktop vanished")?;
    }
    println!(
        "find (drift check): {:?} per call",
        started.elapsed() / 1000
    );
    let mut stops = Vec::new();
    for id in &ids {
        let started = Instant::now();
        desktops.stop(id)?;
        stops.push(started.elapsed());
    }
    let mean = |d: &[Duration]| d.iter().sum::<Duration>() / d.len().max(1) as u32;
    println!(
        "{count} desktops: launch mean {:?}, stop mean {:?}, PSS mean {} MiB",
        mean(&launches),
        mean(&stops),
        pss / 1024 / count.max(1) as u64
    );
    Ok(())
}
