//! How busy a desktop's own processes are: the CPU time of every process in its control
//! group (or, without containment, every process carrying its mark). Idle stop compares two
//! readings: an artist's render or simulation keeps a desktop at work with nobody at the
//! keyboard, and a profile can say that such work counts.

use crate::{ids, process, Desktops};
use std::time::Duration;

/// The kernel reports CPU time in /proc in USER_HZ ticks, 100 per second on Linux.
const TICKS_PER_SECOND: u64 = 100;

impl Desktops {
    /// CPU time (user and system) used so far by `session_id`'s running processes and the
    /// children they have waited for; `None` when the desktop is not running.
    pub fn cpu_time(&self, session_id: &str) -> Option<Duration> {
        let id = ids::check("session", session_id).ok()?;
        self.find(id)?;
        let pids: Vec<u32> = match &self.cgroups {
            Ok(groups) => groups.members(id),
            // Reads every process's environment: slower, but right.
            Err(_) => process::marked(&self.layout.marker(id))
                .iter()
                .map(|p| p.pid)
                .collect(),
        };
        Some(cpu_time_of(pids))
    }
}

/// The CPU time used so far by these processes (one sample of a desktop's work).
pub fn cpu_time_of(pids: impl IntoIterator<Item = u32>) -> Duration {
    let ticks: u64 = pids.into_iter().filter_map(cpu_ticks).sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// utime + stime + cutime + cstime of one process, from /proc/PID/stat.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the name: state is field 0, utime 11, stime 12, cutime 13, cstime 14.
    fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_busy_process_reads_more_cpu_time_than_before() {
        let me = std::process::id();
        let before = super::cpu_ticks(me).unwrap();
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < std::time::Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(super::cpu_ticks(me).unwrap() > before);
        assert_eq!(super::cpu_ticks(u32::MAX), None);
    }
}
