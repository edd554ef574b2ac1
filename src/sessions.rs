//! The workstations on the page, kept current: a whole list read ([`refresh`]: the first
//! load, a catch-up, a poll) or one session's change from the event stream
//! ([`apply_event`]), each met with what the page already shows ([`merge`]) and announced
//! once (and as a desktop notification, if the artist allowed them: a workstation that
//! becomes ready while the tab is hidden, and always a warning that one stops soon, since
//! the artist is then most likely in the desktop's own tab or window).
//!
//! `app` (polling) and `live` (the event stream) both feed the list through here, so
//! neither needs the other.

pub mod merge;

use crate::api;
use crate::logic;
use crate::portal::{explain, Load, Portal};
use crate::workstation::Workstation;
use leptos::prelude::*;

/// Whether the page's tab is hidden.
pub fn tab_hidden() -> bool {
    document().hidden()
}

/// Shows `after` in place of `before`, announcing each change of state once.
fn show(portal: Portal, before: &[Workstation], after: Vec<Workstation>) {
    let changes = logic::announcements(before, &after);
    let warnings = logic::warnings(before, &after);
    if !changes.is_empty() || !warnings.is_empty() {
        portal
            .announcement
            .set([&changes[..], &warnings].concat().join(". "));
    }
    if tab_hidden() {
        notify(portal, changes.iter().filter(|c| c.ends_with("READY")));
    }
    notify(portal, warnings.iter());
    portal.sessions.set(after);
}

/// A change of one session from the event stream.
pub fn apply_event(portal: Portal, session: Workstation) {
    let before = portal.sessions.get_untracked();
    if let Some(after) = merge::event(&before, session) {
        show(portal, &before, after);
    }
}

/// Reads the whole list (the first load, a catch-up, a poll).
pub async fn refresh(portal: Portal) {
    let studio = portal.studio.get_untracked();
    match api::list_sessions(&studio).await {
        Ok(sessions) => {
            let before = portal.sessions.get_untracked();
            let after = merge::list(&before, sessions);
            show(portal, &before, after);
            // Setting it again would rebuild the list and lose what each card shows.
            if portal.load.get_untracked() != Load::Ready {
                portal.load.set(Load::Ready);
            }
        }
        Err(failure) => {
            let message = explain(&failure);
            if portal.load.get_untracked() == Load::Loading
                || portal.sessions.with_untracked(Vec::is_empty)
            {
                portal.load.set(Load::Failed(message));
            } else {
                portal.announcement.set(message);
            }
        }
    }
}

/// Desktop notifications, where the artist allowed them.
fn notify<'a>(portal: Portal, texts: impl Iterator<Item = &'a String>) {
    if !portal.notify.get_untracked()
        || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted
    {
        return;
    }
    for text in texts {
        let _ = web_sys::Notification::new(text);
    }
}
