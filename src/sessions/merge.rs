//! How a change from the event stream, or a list read, meets what the page already
//! shows. Events arrive in order, but a list read may have been answered just before an
//! event the page has already applied: a session the page holds with a later `updatedAt`
//! is kept, so a late list never takes a change back.

use crate::workstation::Workstation;

fn updated_ms(session: &Workstation) -> i64 {
    session
        .updated_at
        .map(|t| t.unix_millis())
        .unwrap_or(i64::MIN)
}

/// The page's sessions after an event about `changed`; `None` when it is older than what
/// the page shows (nothing to do).
pub fn event(before: &[Workstation], changed: Workstation) -> Option<Vec<Workstation>> {
    let mut after = before.to_vec();
    match after
        .iter_mut()
        .find(|s| s.session_id == changed.session_id)
    {
        Some(held) if updated_ms(held) > updated_ms(&changed) => return None,
        Some(held) => *held = changed,
        None => after.push(changed),
    }
    Some(after)
}

/// A fresh list, except where the page holds a later version of a session.
pub fn list(before: &[Workstation], listed: Vec<Workstation>) -> Vec<Workstation> {
    listed
        .into_iter()
        .map(
            |session| match before.iter().find(|b| b.session_id == session.session_id) {
                Some(held) if updated_ms(held) > updated_ms(&session) => held.clone(),
                _ => session,
            },
        )
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use nimble_model::{StreamingSessionState as S, Timestamp};

    fn session(id: &str, state: S, updated_ms: i64, message: &str) -> Workstation {
        Workstation {
            session_id: Some(id.into()),
            state: Some(state),
            updated_at: Timestamp::from_unix_millis(updated_ms),
            status_message: Some(message.into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_event_replaces_its_session_unless_the_page_holds_a_later_one() {
        let before = vec![
            session("a", S::Ready, 1_000, ""),
            session("b", S::Stopped, 1_000, ""),
        ];
        let stopping = session("a", S::StopInProgress, 2_000, "");
        let after = event(&before, stopping.clone()).unwrap();
        assert_eq!(after[0], stopping);
        assert_eq!(after[1], before[1]);
        // Progress keeps updatedAt: the same time still counts as news.
        let progress = session("a", S::StopInProgress, 2_000, "Saving files");
        assert_eq!(event(&after, progress.clone()).unwrap()[0], progress);
        assert_eq!(event(&after, session("a", S::Ready, 1_500, "")), None);
        let new = session("c", S::CreateInProgress, 3_000, "");
        assert_eq!(event(&after, new.clone()).unwrap().last(), Some(&new));
    }

    #[test]
    fn a_late_list_never_takes_a_change_back() {
        let held = vec![
            session("a", S::StopInProgress, 2_000, ""),
            session("b", S::Ready, 1_000, ""),
        ];
        let listed = vec![
            session("a", S::Ready, 1_000, ""),
            session("b", S::StopInProgress, 3_000, ""),
        ];
        let merged = list(&held, listed.clone());
        assert_eq!(merged, vec![held[0].clone(), listed[1].clone()]);
        // What the list no longer has is gone.
        assert_eq!(list(&held, Vec::new()), Vec::<Workstation>::new());
    }
}
