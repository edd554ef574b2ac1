use super::*;

fn viewer(session: &str, studio: &str, user: &str, guest: Option<Guest>) -> Viewer {
    Viewer {
        session: session.into(),
        studio: studio.into(),
        user: user.into(),
        guest,
        started_ms: Some(1),
        until_ms: guest.map(|_| 5_000),
    }
}

fn owners(session: &str, studio: &str, user: &str) -> Viewer {
    viewer(session, studio, user, None)
}

#[test]
fn a_grant_reopens_its_own_session_once_until_its_window_after_the_connection_ends() {
    let grants = Grants::default();
    let first = grants.issue(owners("ss-1", "st", "alice"));
    // Another session's name neither opens nor spends it.
    assert_eq!(grants.spend(&first.grant, "ss-2", 0), None);
    // While its connection lasts it does not age.
    let much_later = 10 * RECONNECT_WINDOW_MS;
    let spent = grants.spend(&first.grant, "ss-1", much_later).unwrap();
    assert_eq!(spent, owners("ss-1", "st", "alice"));
    assert_eq!(grants.spend(&first.grant, "ss-1", much_later), None, "once");

    let second = grants.issue(owners("ss-1", "st", "alice"));
    grants.ended(&second.hash, 1_000);
    assert_eq!(
        grants.spend(&second.grant, "ss-1", 1_000 + RECONNECT_WINDOW_MS),
        None,
        "expired"
    );
    let third = grants.issue(owners("ss-1", "st", "alice"));
    grants.ended(&third.hash, 1_000);
    assert!(grants
        .spend(&third.grant, "ss-1", 999 + RECONNECT_WINDOW_MS)
        .is_some());
    assert_eq!(grants.spend("made-up", "ss-1", 0), None);
}

#[test]
fn a_sign_out_revokes_the_grants_of_that_artists_viewers_only() {
    let grants = Grants::default();
    let alices = grants.issue(owners("ss-1", "st", "alice"));
    let bobs = grants.issue(owners("ss-2", "st", "bob"));
    let other_studio = grants.issue(owners("ss-3", "elsewhere", "alice"));
    // Alice's viewer of bob's shared desktop is hers.
    let alice_as_guest = grants.issue(viewer("ss-2", "st", "alice", Some(Guest::Support)));
    assert_eq!(grants.revoke("st", "alice"), 2);
    assert_eq!(grants.spend(&alices.grant, "ss-1", 0), None);
    assert_eq!(grants.spend(&alice_as_guest.grant, "ss-2", 0), None);
    assert!(grants.spend(&bobs.grant, "ss-2", 0).is_some());
    assert!(grants.spend(&other_studio.grant, "ss-3", 0).is_some());
}

#[tokio::test]
async fn spending_a_grant_cuts_the_connection_it_was_issued_to() {
    let grants = Grants::default();
    let issued = grants.issue(owners("ss-1", "st", "alice"));
    let cut = issued.cut.notified();
    grants.spend(&issued.grant, "ss-1", 0).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(1), cut)
        .await
        .expect("the old connection is told to end");
}

#[tokio::test]
async fn a_shares_end_cuts_that_colleague_and_leaves_the_owner() {
    let grants = Grants::default();
    let control = Some(Guest::Shared(ShareMode::Control));
    let owner = grants.issue(owners("ss-1", "st", "alice"));
    let bob = grants.issue(viewer("ss-1", "st", "bob", control));
    let carol = grants.issue(viewer("ss-1", "st", "carol", control));
    assert_eq!(grants.connected("ss-1"), ["alice", "bob", "carol"]);

    grants.extend("ss-1", "carol", 9_000);
    assert_eq!(grants.until(&carol.hash), Some(Some(9_000)));
    assert_eq!(grants.until(&owner.hash), Some(None));

    let bob_cut = bob.cut.notified();
    assert_eq!(grants.cut_guests("ss-1", Some("bob")), 1);
    tokio::time::timeout(std::time::Duration::from_secs(1), bob_cut)
        .await
        .expect("bob is cut off");
    assert_eq!(grants.until(&bob.hash), None, "and cannot reconnect");
    assert_eq!(grants.spend(&bob.grant, "ss-1", 0), None);
    // A stop cuts every guest, never the owner's grant.
    assert_eq!(grants.cut_guests("ss-1", None), 1);
    assert_eq!(grants.connected("ss-1"), ["alice"]);
}

#[test]
fn only_control_lets_a_guests_input_through() {
    assert!(!Guest::Shared(ShareMode::Control).view_only());
    assert!(Guest::Shared(ShareMode::ViewOnly).view_only());
    assert!(Guest::Support.view_only());
    for guest in [
        Guest::Support,
        Guest::Shared(ShareMode::Control),
        Guest::Shared(ShareMode::ViewOnly),
    ] {
        assert_eq!(Guest::parse(guest.as_str()), Some(guest));
    }
}
