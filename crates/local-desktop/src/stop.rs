//! Stopping a desktop: every process of it ends, and its run folder goes; the home stays.
//!
//! Stop sends SIGTERM to every process of the desktop (the members of its control group, the
//! recorded ones with their process groups, and everything carrying the desktop's mark),
//! again each round so that late forks get it too, waits up to 3 s, then kills what is left
//! (the whole control group at once, so nothing forks away) and waits up to 2 s more, reaping
//! its own children as it goes. Xvnc removes its lock and socket files on SIGTERM. The empty
//! control group is removed with the run folder.

use crate::error::{DesktopError, Result};
use crate::process::{self, Process};
use crate::{ids, Desktop, Desktops};
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

impl Desktops {
    /// Ends every process of `session_id`'s desktop and removes its run folder. Stopping a
    /// desktop that is not running is `Ok`. The home folder stays.
    pub fn stop(&self, session_id: &str) -> Result<()> {
        let id = ids::check("session", session_id)?;
        let _held = self.hold(id.to_owned());
        self.end_processes(id)
    }

    pub(crate) fn end_processes(&self, id: &str) -> Result<()> {
        let recorded: Vec<Process> = std::fs::read(self.layout.record(id))
            .ok()
            .and_then(|text| serde_json::from_slice::<Desktop>(&text).ok())
            .map(|d| vec![d.app, d.window_manager, d.xvnc])
            .unwrap_or_default();
        let marker = self.layout.marker(id);
        let started = Instant::now();
        loop {
            self.reap();
            let mut alive: Vec<Process> =
                recorded.iter().copied().filter(Process::is_alive).collect();
            alive.extend(process::marked(&marker));
            alive.extend(self.group_members(id));
            if alive.is_empty() {
                break;
            }
            let waited = started.elapsed();
            if waited > Duration::from_secs(5) {
                return Err(DesktopError::StopFailed {
                    session: id.to_owned(),
                    pids: alive.iter().map(|p| p.pid).collect(),
                });
            }
            // Every round, so that a process forked meanwhile gets the signal too.
            let signal = if waited > Duration::from_secs(3) {
                if let Ok(cgroups) = &self.cgroups {
                    cgroups.kill_all(id);
                }
                Signal::SIGKILL
            } else {
                Signal::SIGTERM
            };
            process::signal_all(&alive, signal);
            std::thread::sleep(Duration::from_millis(40));
        }
        if let Ok(cgroups) = &self.cgroups {
            // Best effort: a group still busy with a zombie nobody reaped yet is empty of
            // live processes, and the next launch reuses it.
            let _ = cgroups.remove(id);
        }
        match std::fs::remove_dir_all(self.layout.run(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(DesktopError::io("cannot remove", self.layout.run(id), e))
            }
            _ => Ok(()),
        }
    }
}

impl Desktops {
    /// The live processes in `id`'s control group (none without control groups).
    fn group_members(&self, id: &str) -> Vec<Process> {
        let Ok(cgroups) = &self.cgroups else {
            return Vec::new();
        };
        cgroups
            .members(id)
            .into_iter()
            .filter_map(Process::of)
            .filter(Process::is_alive)
            .collect()
    }
}
