//! Who is connected to each EC2 workstation's DCV session, for the owner's Share dialog
//! (`operations/shares.rs`). Local desktops' viewers are known to the bridge itself
//! (`tokens/grants.rs`); DCV's connections are not seen here, so they are learnt twice:
//! at once when `/dcv/verify` lets someone in (`dcv.rs`), and from the agent's report
//! once a minute (`agent.rs`: `dcv list-connections` on the instance), which replaces
//! the list and so also says who left. A list is kept for two report periods only: a
//! workstation whose agent stopped reporting (stopped, or cut off) shows nobody.
//! In memory only, like the activity it comes with.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long a report holds: two of the agent's one-minute periods and a margin.
const HOLDS_MS: i64 = 150_000;

#[derive(Default)]
pub struct DcvConnections(Mutex<HashMap<String, Reported>>);

struct Reported {
    users: Vec<String>,
    at_ms: i64,
}

impl DcvConnections {
    /// The agent's report: exactly `users` are connected to `session` at `now_ms`.
    pub fn reported(&self, session: &str, mut users: Vec<String>, now_ms: i64) {
        users.sort();
        users.dedup();
        let reported = Reported {
            users,
            at_ms: now_ms,
        };
        self.lock().insert(session.to_owned(), reported);
    }

    /// The verifier let `user` in to `session` at `now_ms`.
    pub fn joined(&self, session: &str, user: &str, now_ms: i64) {
        let mut all = self.lock();
        let reported = all.entry(session.to_owned()).or_insert(Reported {
            users: Vec::new(),
            at_ms: now_ms,
        });
        if !reported.users.iter().any(|u| u == user) {
            reported.users.push(user.to_owned());
            reported.users.sort();
        }
        reported.at_ms = reported.at_ms.max(now_ms);
    }

    /// Who is connected to `session`, as last learnt, if that still holds at `now_ms`.
    pub fn of(&self, session: &str, now_ms: i64) -> Vec<String> {
        match self.lock().get(session) {
            Some(reported) if now_ms - reported.at_ms <= HOLDS_MS => reported.users.clone(),
            _ => Vec::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Reported>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::DcvConnections;

    #[test]
    fn a_join_shows_at_once_a_report_replaces_it_and_an_old_one_shows_nobody() {
        let connections = DcvConnections::default();
        connections.joined("ss-1", "bob", 1_000);
        assert_eq!(connections.of("ss-1", 1_000), ["bob"]);
        assert!(
            connections.of("ss-2", 1_000).is_empty(),
            "another session's"
        );
        connections.reported("ss-1", vec!["carol".into(), "alice_ws".into()], 60_000);
        assert_eq!(
            connections.of("ss-1", 60_000),
            ["alice_ws", "carol"],
            "bob left"
        );
        assert!(
            connections.of("ss-1", 60_000 + 150_001).is_empty(),
            "no report since"
        );
    }
}
