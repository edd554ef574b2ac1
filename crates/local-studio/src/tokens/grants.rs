//! Reconnect grants, and the registry of open desktop connections they belong to: how a
//! viewer whose connection dropped (the network, a laptop that slept) opens the same
//! desktop again by itself, and how a share's end cuts a colleague off.
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
//! - **Revoked** when its viewer signs out of the portal (RevokeViewerGrants, which
//!   portal-proxy calls at each sign-out), and, for a colleague's ([`Guest`]), when the
//!   share is revoked or changes mode or the owner stops the workstation: their open
//!   connection is cut as well ([`Grants::cut_guests`]). A share's end time is kept
//!   here too ([`Grants::until`]), so the bridge can end the connection at that time.
//!
//! Grants live in this process's memory: after a restart the viewer tells the artist to
//! connect again from the portal, as with any used or expired link.

use super::token_hash;
use nimble_model::ShareMode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// How long after its connection ended a grant may reconnect.
pub const RECONNECT_WINDOW_MS: i64 = 5 * 60 * 1000;

/// Someone other than the owner, let into a desktop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guest {
    /// A colleague the owner shared it with, in the share's mode.
    Shared(ShareMode),
    /// An admin, view-only, for support.
    Support,
}

impl Guest {
    pub fn as_str(self) -> &'static str {
        match self {
            Guest::Shared(mode) => mode.as_str(),
            Guest::Support => "SUPPORT",
        }
    }

    pub fn parse(text: &str) -> Option<Guest> {
        match text {
            "SUPPORT" => Some(Guest::Support),
            _ => ShareMode::parse(text).map(Guest::Shared),
        }
    }

    /// Whether the server drops this viewer's input.
    pub fn view_only(self) -> bool {
        self != Guest::Shared(ShareMode::Control)
    }
}

/// Who is connected to which desktop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub session: String,
    pub studio: String,
    /// The signed-in user whose viewer it is.
    pub user: String,
    /// `None`: the owner.
    pub guest: Option<Guest>,
    /// The session's `startedAt` (ms) when connected.
    pub started_ms: Option<i64>,
    /// When a colleague's share ends (ms).
    pub until_ms: Option<i64>,
}

#[derive(Default)]
pub struct Grants(Mutex<HashMap<String, Grant>>);

struct Grant {
    viewer: Viewer,
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
    /// Notified when a reconnect with this grant takes the viewer's place, or the
    /// viewer's share ends.
    pub cut: Arc<Notify>,
}

impl Grants {
    /// A grant for `viewer`, now connected.
    pub fn issue(&self, viewer: Viewer) -> Issued {
        let grant = super::new_token();
        let hash = token_hash(&grant);
        let cut = Arc::new(Notify::new());
        let kept = Grant {
            viewer,
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

    /// Spends `grant` for `session` at `now_ms`: the viewer it was issued to, if it was
    /// good. A grant presented for another session is refused and stays good.
    pub fn spend(&self, grant: &str, session: &str, now_ms: i64) -> Option<Viewer> {
        let hash = token_hash(grant);
        let mut grants = self.lock();
        let good = grants.get(&hash).is_some_and(|g| {
            g.viewer.session == session && g.expires_ms.is_none_or(|at| at > now_ms)
        });
        if !good {
            return None;
        }
        let spent = grants.remove(&hash)?;
        spent.cut.notify_one();
        Some(spent.viewer)
    }

    /// Drops every grant of `user`'s viewers in `studio`; how many there were.
    pub fn revoke(&self, studio: &str, user: &str) -> usize {
        self.drop_where(|v| v.studio == studio && v.user == user)
    }

    /// Cuts and drops every guest's connection to `session` (`user`'s only, when given);
    /// how many grants there were.
    pub fn cut_guests(&self, session: &str, user: Option<&str>) -> usize {
        self.drop_where(|v| {
            v.session == session && v.guest.is_some() && user.is_none_or(|u| u == v.user)
        })
    }

    /// A share with `user` of `session` now ends at `until_ms`.
    pub fn extend(&self, session: &str, user: &str, until_ms: i64) {
        for grant in self.lock().values_mut() {
            let viewer = &mut grant.viewer;
            if viewer.session == session && viewer.user == user && viewer.guest.is_some() {
                viewer.until_ms = Some(until_ms);
            }
        }
    }

    /// When the share of grant `hash`'s viewer ends; `None` once the grant is gone (cut).
    pub fn until(&self, hash: &str) -> Option<Option<i64>> {
        self.lock().get(hash).map(|g| g.viewer.until_ms)
    }

    /// The users whose viewers are connected to `session` now.
    pub fn connected(&self, session: &str) -> Vec<String> {
        let mut users: Vec<String> = (self.lock().values())
            .filter(|g| g.viewer.session == session && g.expires_ms.is_none())
            .map(|g| g.viewer.user.clone())
            .collect();
        users.sort();
        users.dedup();
        users
    }

    fn drop_where(&self, matches: impl Fn(&Viewer) -> bool) -> usize {
        let mut grants = self.lock();
        let before = grants.len();
        grants.retain(|_, g| {
            let dropped = matches(&g.viewer);
            if dropped {
                g.cut.notify_one();
            }
            !dropped
        });
        before - grants.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Grant>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
