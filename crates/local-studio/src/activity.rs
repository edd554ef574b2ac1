//! When each running workstation was last used, as idle stop (`idle.rs`) counts use: an
//! artist's key or pointer event in a viewer (the desktop bridge reports them), or, where
//! the launch profile says work counts, its processes busy above a CPU threshold.
//!
//! A session nobody has used counts from when it became READY. Kept in memory only: after
//! a restart every session counts as used when the server started, so a restart never
//! stops a workstation early, at the price of one idle period more.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Activity {
    /// When this server started (ms): no use before it is known.
    started_ms: i64,
    seen: Mutex<HashMap<String, Seen>>,
}

struct Seen {
    /// The last input or work (ms), or when use began to be counted.
    active_ms: i64,
    /// When a viewer last connected (ms), for the admin page.
    viewer_ms: Option<i64>,
    /// The last CPU reading: when (real time, which tests do not move), and the CPU time
    /// used by then.
    cpu: Option<(Instant, Duration)>,
}

impl Activity {
    pub fn new(started_ms: i64) -> Activity {
        Activity {
            started_ms,
            seen: Mutex::default(),
        }
    }

    /// A key or pointer event, a new viewer connection, work an agent reports, or Keep
    /// running, at `now_ms`.
    pub fn used(&self, session: &str, now_ms: i64) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let entry = seen.entry(session.to_owned()).or_insert(Seen {
            active_ms: now_ms,
            viewer_ms: None,
            cpu: None,
        });
        entry.active_ms = entry.active_ms.max(now_ms);
    }

    /// A viewer connected at `now_ms`: that is use too.
    pub fn viewed(&self, session: &str, now_ms: i64) {
        self.used(session, now_ms);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = seen.get_mut(session) {
            entry.viewer_ms = Some(entry.viewer_ms.unwrap_or(now_ms).max(now_ms));
        }
    }

    /// When a viewer last connected, if one has since this server started.
    pub fn last_viewer(&self, session: &str) -> Option<i64> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(session).and_then(|seen| seen.viewer_ms)
    }

    /// A CPU reading taken `at` (`used`: the session's CPU time so far). When the processes
    /// used more than `percent` of one core since the previous reading, the session was at
    /// work at `now_ms`.
    pub fn cpu(&self, session: &str, at: Instant, now_ms: i64, used: Duration, percent: f64) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let entry = seen.entry(session.to_owned()).or_insert(Seen {
            active_ms: now_ms,
            viewer_ms: None,
            cpu: None,
        });
        if let Some((before_at, before)) = entry.cpu {
            let wall_ms = at.saturating_duration_since(before_at).as_secs_f64() * 1000.0;
            let busy_ms = used.saturating_sub(before).as_secs_f64() * 1000.0;
            if wall_ms > 0.0 && busy_ms * 100.0 / wall_ms > percent {
                entry.active_ms = entry.active_ms.max(now_ms);
            }
        }
        entry.cpu = Some((at, used));
    }

    /// When the session, READY since `ready_ms`, was last used.
    pub fn last_active(&self, session: &str, ready_ms: i64) -> i64 {
        let floor = ready_ms.max(self.started_ms);
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(session)
            .map_or(floor, |seen| seen.active_ms.max(floor))
    }

    /// Drops a session that no longer runs.
    pub fn forget(&self, session: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::Activity;
    use std::time::{Duration, Instant};

    #[test]
    fn input_and_only_work_above_the_threshold_count_as_use() {
        let activity = Activity::new(500);
        assert_eq!(
            activity.last_active("s", 1_000),
            1_000,
            "nobody since READY"
        );
        assert_eq!(activity.last_active("s", 0), 500, "nobody since the start");
        activity.used("s", 5_000);
        assert_eq!(activity.last_active("s", 1_000), 5_000);
        // 10 s of real time: 0.5 s of CPU is 5 %, 2 s is 20 %.
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        activity.cpu("s", at(0), 10_000, Duration::from_secs(1), 10.0);
        activity.cpu("s", at(10), 20_000, Duration::from_millis(1_500), 10.0);
        assert_eq!(activity.last_active("s", 1_000), 5_000, "5 % is quiet");
        activity.cpu("s", at(20), 30_000, Duration::from_millis(3_500), 10.0);
        assert_eq!(activity.last_active("s", 1_000), 30_000, "20 % is work");
        activity.used("s", 25_000);
        assert_eq!(activity.last_active("s", 1_000), 30_000, "never backwards");
        activity.forget("s");
        assert_eq!(activity.last_active("s", 40_000), 40_000, "READY again");
    }
}
