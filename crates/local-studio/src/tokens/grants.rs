//! Reconnect grants: how a viewer whose connection dropped (the network, a laptop that
//! slept) opens the same desktop again by itself, without a new stream from the portal.
//!
//! - **Issued** on every connection the bridge opens, by token or by grant, and sent to
//!   that viewer page alone, in the WebSocket's first frame (`desktop/`). It never
//!   appears in a URL, so no access log can hold it; this process keeps only its hash.
//! - **Spent** once: a reconnect presents it in its first frame, and it opens one
//!   connection, to the session it was issued for, while that session is READY on the
//!   same run (its `startedAt`): a session stopped and started again is another desktop.
//!   The connection it came from, if still open on this side, is cut, so one viewer
//!   page never holds two.
//! - **Expires** [`RECONNECT_WINDOW_MS`] after its connection ended; while the
//!   connection lasts it does not age, so an artist at work all day can still reconnect.
//! - **Revoked** when its owner signs out of the portal (RevokeViewerGrants, which
//!   portal-proxy calls at each sign-out).
//!
//! Grants live in this process's memory: after a restart the viewer tells the artist to
//! connect again from the portal, as with any used or expired link.

use super::token_hash;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// How long after its connection ended a grant may reconnect.
pub const RECONNECT_WINDOW_MS: i64 = 5 * 60 * 1000;

#[derive(Default)]
pub struct Grants(Mutex<HashMap<String, Grant>>);

struct Grant {
    session: String,
    /// Whose session it is: (studio, user).
    owner: (String, String),
    /// The session's `startedAt` (ms) when issued.
    started_ms: Option<i64>,
    /// `None` while its connection is open.
    expires_ms: Option<i64>,
    /// Ends the connection the grant was issued to.
    cut: Arc<Notify>,
}

/// A connection opened by a token or a grant, with the grant that may reopen it.
pub struct Issued {
    /// Sent to the viewer, then forgotten here.
    pub grant: String,
    /// What [`Grants::ended`] is told when the connection ends.
    pub hash: String,
    /// Notified when a reconnect with this grant takes the viewer's place.
    pub cut: Arc<Notify>,
}

impl Grants {
    /// A grant for a viewer now connected to `session`, of `owner` (studio, user), on its
    /// run started at `started_ms`.
    pub fn issue(&self, session: &str, owner: (&str, &str), started_ms: Option<i64>) -> Issued {
        let grant = super::new_token();
        let hash = token_hash(&grant);
        let cut = Arc::new(Notify::new());
        let kept = Grant {
            session: session.to_owned(),
            owner: (owner.0.to_owned(), owner.1.to_owned()),
            started_ms,
            expires_ms: None,
            cut: cut.clone(),
        };
        self.lock().insert(hash.clone(), kept);
        Issued { grant, hash, cut }
    }

    /// The connection of grant `hash` ended at `now_ms`: from now on it ages.
    pub fn ended(&self, hash: &str, now_ms: i64) {
        let mut grants = self.lock();
        grants.retain(|_, g| g.expires_ms.is_none_or(|at| at > now_ms));
        if let Some(grant) = grants.get_mut(hash) {
            grant.expires_ms = Some(now_ms + RECONNECT_WINDOW_MS);
        }
    }

    /// Spends `grant` for `session` at `now_ms`: the `startedAt` it was issued on, if it
    /// was good. A grant presented for another session is refused and stays good.
    pub fn spend(&self, grant: &str, session: &str, now_ms: i64) -> Option<Option<i64>> {
        let hash = token_hash(grant);
        let mut grants = self.lock();
        let good = grants
            .get(&hash)
            .is_some_and(|g| g.session == session && g.expires_ms.is_none_or(|at| at > now_ms));
        if !good {
            return None;
        }
        let spent = grants.remove(&hash)?;
        spent.cut.notify_one();
        Some(spent.started_ms)
    }

    /// Drops every grant of `user`'s sessions in `studio`; how many there were.
    pub fn revoke(&self, studio: &str, user: &str) -> usize {
        let mut grants = self.lock();
        let before = grants.len();
        grants.retain(|_, g| g.owner.0 != studio || g.owner.1 != user);
        before - grants.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Grant>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_reopens_its_own_session_once_until_its_window_after_the_connection_ends() {
        let grants = Grants::default();
        let first = grants.issue("ss-1", ("st", "alice"), Some(1));
        // Another session's name neither opens nor spends it.
        assert_eq!(grants.spend(&first.grant, "ss-2", 0), None);
        // While its connection lasts it does not age.
        let much_later = 10 * RECONNECT_WINDOW_MS;
        assert_eq!(
            grants.spend(&first.grant, "ss-1", much_later),
            Some(Some(1))
        );
        assert_eq!(grants.spend(&first.grant, "ss-1", much_later), None, "once");

        let second = grants.issue("ss-1", ("st", "alice"), Some(1));
        grants.ended(&second.hash, 1_000);
        assert_eq!(
            grants.spend(&second.grant, "ss-1", 1_000 + RECONNECT_WINDOW_MS),
            None,
            "expired"
        );
        let third = grants.issue("ss-1", ("st", "alice"), Some(1));
        grants.ended(&third.hash, 1_000);
        assert!(grants
            .spend(&third.grant, "ss-1", 999 + RECONNECT_WINDOW_MS)
            .is_some());
        assert_eq!(grants.spend("made-up", "ss-1", 0), None);
    }

    #[test]
    fn a_sign_out_revokes_the_grants_of_that_artist_only() {
        let grants = Grants::default();
        let alices = grants.issue("ss-1", ("st", "alice"), Some(1));
        let bobs = grants.issue("ss-2", ("st", "bob"), Some(1));
        let other_studio = grants.issue("ss-3", ("elsewhere", "alice"), Some(1));
        assert_eq!(grants.revoke("st", "alice"), 1);
        assert_eq!(grants.spend(&alices.grant, "ss-1", 0), None);
        assert!(grants.spend(&bobs.grant, "ss-2", 0).is_some());
        assert!(grants.spend(&other_studio.grant, "ss-3", 0).is_some());
    }

    #[tokio::test]
    async fn spending_a_grant_cuts_the_connection_it_was_issued_to() {
        let grants = Grants::default();
        let issued = grants.issue("ss-1", ("st", "alice"), Some(1));
        let cut = issued.cut.notified();
        grants.spend(&issued.grant, "ss-1", 0).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), cut)
            .await
            .expect("the old connection is told to end");
    }
}
