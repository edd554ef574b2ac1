//! Who may do what. Artists see and act on their own sessions only; an admin on all of the
//! studio's. Another artist's session answers exactly as a missing one does (404), so ids
//! reveal nothing. Ownership never changes, so it is cached once learnt.

use crate::identity::Identity;
use nimble_model::{ApiError, ErrorType, Operation};
use std::collections::HashMap;
use std::sync::Mutex;

/// The check an operation needs before it is forwarded.
#[derive(Debug, PartialEq, Eq)]
pub enum Rule {
    /// Launch profiles: any signed-in artist.
    Open,
    /// Lists: `ownedBy` is forced to the artist.
    OwnedByFilter,
    /// Create: the new session is owned by the artist.
    OwnedByOnCreate,
    /// Operations on one session: the artist must own it.
    SessionOwner,
    /// GetStreamingSessionBackup: the artist must own the backup.
    BackupOwner,
    /// GetArtistUsage: the path must name the artist (any artist, for an admin).
    Artist,
    /// JoinSharedSession: the path must name the caller, admin or not (a share is
    /// personal; admins join for support instead, view-only).
    Caller,
    /// PutArtistLimits: admins only.
    Admin,
}

pub fn rule(operation: Operation) -> Rule {
    use Operation::*;
    match operation {
        ListLaunchProfiles | GetLaunchProfile | ListStreamingImages | GetStreamingImage => {
            Rule::Open
        }
        ListStreamingSessions | ListStreamingSessionBackups => Rule::OwnedByFilter,
        CreateStreamingSession => Rule::OwnedByOnCreate,
        GetStreamingSession
        | DeleteStreamingSession
        | StartStreamingSession
        | StopStreamingSession
        | CreateStreamingSessionStream
        | GetStreamingSessionStream
        | KeepStreamingSessionRunning
        | GetWorkstationSchedule
        | PutWorkstationSchedule
        | PutSessionShare
        | DeleteSessionShare
        | ListSessionShares
        | GetSessionThumbnail => Rule::SessionOwner,
        GetStreamingSessionBackup => Rule::BackupOwner,
        GetArtistUsage | RevokeViewerGrants | ListSharedSessions => Rule::Artist,
        JoinSharedSession | GetSharedSessionThumbnail => Rule::Caller,
        PutArtistLimits | GetStudioUsage | GetStudioConcurrency | GetStudioActivity
        | JoinForSupport => Rule::Admin,
    }
}

/// The checks of [`Rule::Artist`], [`Rule::Caller`] and [`Rule::Admin`], which need only
/// the path.
pub fn check_artist(identity: &Identity, route: &nimble_model::Route) -> Result<(), ApiError> {
    let caller = route.user_id() == Some(identity.user.as_str());
    let refused = match rule(route.operation) {
        Rule::Artist => !identity.admin && !caller,
        // Another artist's share answers as a missing one, which the upstream says.
        Rule::Caller if !caller => {
            return Err(ApiError::not_found(
                "Streaming session",
                route.session_id().unwrap_or(""),
            ))
        }
        Rule::Admin => !identity.admin,
        _ => false,
    };
    match refused {
        true => Err(ApiError::new(
            ErrorType::AccessDenied,
            "Only a studio admin can do this for another artist",
        )),
        false => Ok(()),
    }
}

/// The `ownedBy` an artist may ask for: their own, or anyone's for an admin.
pub fn owned_by(identity: &Identity, asked: Option<String>) -> Result<Option<String>, ApiError> {
    match asked {
        Some(owner) if identity.admin => Ok(Some(owner)),
        Some(owner) if owner != identity.user => Err(ApiError::new(
            ErrorType::AccessDenied,
            "You can only see and create your own workstations",
        )
        .with_context("field", "ownedBy")),
        _ if identity.admin => Ok(None),
        _ => Ok(Some(identity.user.clone())),
    }
}

/// Owners of sessions and backups, as learnt from the upstream.
#[derive(Default)]
pub struct Owners {
    known: Mutex<HashMap<String, String>>,
}

impl Owners {
    pub fn get(&self, key: &str) -> Option<String> {
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    pub fn remember(&self, key: &str, owner: &str) {
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_owned(), owner.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artist(admin: bool) -> Identity {
        Identity {
            login: "alice".into(),
            user: "alice".into(),
            admin,
            sign_in: None,
        }
    }

    #[test]
    fn artists_are_held_to_their_own_sessions_and_admins_are_not() {
        assert_eq!(
            owned_by(&artist(false), None).unwrap().as_deref(),
            Some("alice")
        );
        assert_eq!(
            owned_by(&artist(false), Some("alice".into()))
                .unwrap()
                .as_deref(),
            Some("alice")
        );
        assert_eq!(
            owned_by(&artist(false), Some("bob".into()))
                .unwrap_err()
                .kind,
            ErrorType::AccessDenied
        );
        assert_eq!(
            owned_by(&artist(true), Some("bob".into()))
                .unwrap()
                .as_deref(),
            Some("bob")
        );
        assert_eq!(owned_by(&artist(true), None).unwrap(), None);
        assert_eq!(
            rule(Operation::GetStreamingSessionStream),
            Rule::SessionOwner
        );
    }

    #[test]
    fn a_share_is_joined_only_by_the_colleague_it_names_and_support_only_by_admins() {
        use nimble_model::Route;
        let join = |user: &str| Route::new(Operation::JoinSharedSession, ["st", user, "ss-1"]);
        let support = Route::new(Operation::JoinForSupport, ["st", "ss-1"]);
        assert!(check_artist(&artist(false), &join("alice")).is_ok());
        for who in [artist(false), artist(true)] {
            let refused = check_artist(&who, &join("bob")).unwrap_err();
            assert_eq!(
                refused.kind,
                ErrorType::ResourceNotFound,
                "as a missing session"
            );
        }
        assert_eq!(
            check_artist(&artist(false), &support).unwrap_err().kind,
            ErrorType::AccessDenied
        );
        assert!(check_artist(&artist(true), &support).is_ok());
        assert_eq!(rule(Operation::PutSessionShare), Rule::SessionOwner);
    }
}
