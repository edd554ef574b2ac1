//! How busy a desktop's own processes are: the CPU time of every process in its control
//! group (or, without containment, every process carrying its mark), and, on a host with an
//! NVIDIA GPU, their share of it. Idle stop compares two CPU readings: an artist's render
//! or simulation keeps a desktop at work with nobody at the keyboard, and a profile can say
//! that such work counts.

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

    /// The GPU's busy share (SM %, all GPUs together) used by `session_id`'s processes now,
    /// where `nvidia-smi` is installed; `None` without it or when the desktop is not running.
    pub fn gpu_percent(&self, session_id: &str) -> Option<f64> {
        let id = ids::check("session", session_id).ok()?;
        self.find(id)?;
        if !std::path::Path::new(NVIDIA_SMI).exists() {
            return None;
        }
        let pids: Vec<u32> = match &self.cgroups {
            Ok(groups) => groups.members(id),
            Err(_) => process::marked(&self.layout.marker(id))
                .iter()
                .map(|p| p.pid)
                .collect(),
        };
        // One sample of per-process use; a root-owned path, never one found on PATH.
        let output = std::process::Command::new(NVIDIA_SMI)
            .args(["pmon", "-c", "1", "-s", "u"])
            .output()
            .ok()?;
        Some(gpu_percent_of(
            &pids,
            &String::from_utf8_lossy(&output.stdout),
        ))
    }
}

/// Where Debian's and NVIDIA's packages install it.
const NVIDIA_SMI: &str = "/usr/bin/nvidia-smi";

/// The SM % of `pids` in `nvidia-smi pmon -s u` output: rows of `gpu pid type sm mem …`,
/// `-` for none; comment lines start with `#`.
pub fn gpu_percent_of(pids: &[u32], pmon: &str) -> f64 {
    pmon.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let pid: u32 = fields.get(1)?.parse().ok()?;
            let sm: f64 = fields.get(3)?.parse().unwrap_or(0.0);
            pids.contains(&pid).then_some(sm)
        })
        .sum()
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
    fn the_gpu_share_is_the_sum_of_the_desktops_own_processes() {
        let pmon = "# gpu         pid   type     sm    mem    enc    dec    command\n\
                    # Idx           #    C/G      %      %      %      %    name\n\
                    \x20   0       1234     C     45     10      -      -    blender\n\
                    \x20   1       1234     C      5      1      -      -    blender\n\
                    \x20   0       5678     G      3      1      -      -    Xorg\n\
                    \x20   0          -     -      -      -      -      -    -\n";
        assert_eq!(super::gpu_percent_of(&[1234], pmon), 50.0);
        assert_eq!(super::gpu_percent_of(&[1234, 5678], pmon), 53.0);
        assert_eq!(super::gpu_percent_of(&[42], pmon), 0.0);
    }

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
