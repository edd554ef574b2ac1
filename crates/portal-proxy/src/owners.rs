//! Ownership: operations on one session or backup need its owner to be the artist (or
//! the artist to be an admin). [`check_owner`] learns the owner once, through the
//! upstream's Get (read through the cache, as any read), and remembers it in
//! [`Owners`](crate::authorize::Owners), since ownership never changes; [`learn_owner`]
//! takes it from a write's answer instead. A stranger gets the same 404 as a missing
//! resource, so ids reveal nothing.

use crate::authorize::{self, Rule};
use crate::error::Refusal;
use crate::identity::Identity;
use crate::state::State;
use crate::upstream::{Answer, Call};
use nimble_model::{ApiError, Operation, Route};

/// A kind of resource that belongs to one artist: how to learn its owner, and its name in
/// the 404 a stranger gets.
struct Owned {
    /// The upstream operation that reads one, and the member of its answer that holds it.
    lookup: Operation,
    member: &'static str,
    noun: &'static str,
    /// Prefix of its key in the owners cache.
    prefix: &'static str,
}

const SESSION: Owned = Owned {
    lookup: Operation::GetStreamingSession,
    member: "session",
    noun: "Streaming session",
    prefix: "session",
};

const BACKUP: Owned = Owned {
    lookup: Operation::GetStreamingSessionBackup,
    member: "streamingSessionBackup",
    noun: "Streaming session backup",
    prefix: "backup",
};

impl Owned {
    /// What `route` acts on and its id, when its rule asks for the owner.
    fn of(route: &Route) -> Option<(&'static Owned, &str)> {
        match authorize::rule(route.operation) {
            Rule::SessionOwner => Some((&SESSION, route.session_id().unwrap_or(""))),
            Rule::BackupOwner => Some((&BACKUP, route.backup_id().unwrap_or(""))),
            Rule::Open
            | Rule::OwnedByFilter
            | Rule::OwnedByOnCreate
            | Rule::Artist
            | Rule::Caller
            | Rule::Admin => None,
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}/{id}", self.prefix)
    }
}

/// Lets the call through when the artist owns what it acts on, or is an admin. `Err` is
/// what the browser gets instead: the 404 of a missing resource for a stranger, or the
/// owner lookup's own answer when that failed.
pub async fn check_owner(state: &State, identity: &Identity, route: &Route) -> Result<(), Answer> {
    let Some((owned, id)) = Owned::of(route) else {
        return Ok(());
    };
    let key = owned.key(id);
    let owner = match state.owners.get(&key) {
        Some(owner) => owner,
        None => {
            let lookup = Route::new(owned.lookup, [route.studio_id(), id]);
            let (answer, _) = state
                .coalesced_read(&Call::read(&lookup, String::new()))
                .await;
            if !answer.is_success() {
                return Err(answer);
            }
            // An answer without an owner leaves it empty: only an admin gets through.
            let owner = answer
                .success_json()
                .and_then(|json| json[owned.member]["ownedBy"].as_str().map(str::to_owned))
                .unwrap_or_default();
            state.owners.remember(&key, &owner);
            owner
        }
    };
    if identity.admin || owner == identity.user {
        Ok(())
    } else {
        Err(Refusal::from(ApiError::not_found(owned.noun, id)).into())
    }
}

/// Remembers the owner a successful write's answer names (a create names its new session
/// only there), so the next call on that session needs no lookup.
pub fn learn_owner(state: &State, answer: &Answer) {
    let Some(json) = answer.success_json() else {
        return;
    };
    if let (Some(id), Some(owner)) = (
        json["session"]["sessionId"].as_str(),
        json["session"]["ownedBy"].as_str(),
    ) {
        state.owners.remember(&SESSION.key(id), owner);
    }
}
