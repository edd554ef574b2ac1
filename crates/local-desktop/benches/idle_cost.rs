//! `cargo bench -p local-desktop` (in `cargo xtask bench`): what idle detection costs per
//! desktop, side by side with a baseline in the same run.
//!
//! - The bridge's input accounting: [`InputCounter`] over a viewer's stream (mostly screen
//!   update requests, with pointer and key events), against only copying those bytes, as
//!   the bridge does anyway; and its memory.
//! - The activity sampler: one CPU reading of a desktop of 20 processes (`cpu_time_of`,
//!   which reads each one's /proc/PID/stat), taken once per drift check (every 5 s by
//!   default).

use local_desktop::{cpu_time_of, InputCounter};
use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A viewer's stream after the handshake: per frame, an update request (10 bytes), and
/// every fourth frame a pointer event (6) and a key press and release (2 × 8).
fn viewer_stream(megabytes: usize) -> Vec<u8> {
    let mut stream = b"RFB 003.008\n".to_vec();
    stream.push(1); // security: none
    stream.push(1); // shared
    let mut frame = 0u64;
    while stream.len() < megabytes << 20 {
        stream.extend_from_slice(&[3, 1, 0, 0, 0, 0, 7, 128, 4, 56]);
        if frame.is_multiple_of(4) {
            stream.extend_from_slice(&[5, 0, 1, 0, 2, 0]);
            stream.extend_from_slice(&[4, 1, 0, 0, 0, 0, 0, 97]);
            stream.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0, 97]);
        }
        frame += 1;
    }
    stream
}

/// Best of `rounds` timings of `work`.
fn best(rounds: usize, mut work: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let stream = viewer_stream(64);
    let chunk = 4096;
    let mut sink = vec![0u8; chunk];
    let copy = best(5, || {
        for piece in stream.chunks(chunk) {
            sink[..piece.len()].copy_from_slice(piece);
            black_box(&sink);
        }
    });
    let mut events = 0;
    let count = best(5, || {
        let mut counter = InputCounter::new();
        events = stream
            .chunks(chunk)
            .map(|piece| counter.feed(black_box(piece)))
            .sum();
    });
    let mb = stream.len() as f64 / (1 << 20) as f64;
    println!("idle detection, per desktop:");
    println!(
        "  input accounting: {:.0} MB/s ({events} input events in {mb:.0} MB), copying alone {:.0} MB/s: {:.1}x the copy's time",
        mb / count.as_secs_f64(),
        mb / copy.as_secs_f64(),
        count.as_secs_f64() / copy.as_secs_f64()
    );
    println!(
        "  its memory: {} B per connection (the state, and a header of at most 12 B)",
        std::mem::size_of::<InputCounter>() + 12
    );

    // A desktop's 20 processes: sleeping children of this bench, killed after.
    let mut children: Vec<_> = (0..20)
        .map(|_| {
            Command::new("sleep")
                .arg("60")
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let pids: Vec<u32> = children.iter().map(|c| c.id()).collect();
    let samples = 1000;
    let sampling = best(3, || {
        for _ in 0..samples {
            black_box(cpu_time_of(pids.iter().copied()));
        }
    }) / samples;
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    println!(
        "  activity sampler: {:.0} µs per reading of 20 processes; at one reading per 5 s drift check, {:.4} % of one core",
        sampling.as_secs_f64() * 1e6,
        sampling.as_secs_f64() / 5.0 * 100.0
    );
}
