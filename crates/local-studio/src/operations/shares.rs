//! Sharing a READY workstation with a studio colleague, and joining one (the operations of
//! `nimble-model/src/sharing.rs`). portal-proxy lets only the owner (or an admin) share,
//! revoke and list a workstation's shares, only the colleague named join, and only admins
//! join for support; here the rest is checked.
//!
//! - A share is one row per colleague (`store/shares.rs`) until it expires or is revoked.
//! - Joining makes the colleague's own one-time stream, READY at once, whose token carries
//!   who they are and the mode (`tokens/redeem.rs` checks the share again when it is
//!   spent); a view-only guest's input is dropped by the bridge (`desktop/view_only.rs`).
//! - Revoking, a change of mode and the owner's Stop cut the colleague's open connection
//!   (`tokens/grants.rs`); the bridge ends it when the share's time is up.
//! - Every share, join and revoke is an event of kind `share`, with what happened.
//!
//! An EC2 workstation is shared through DCV's own collaboration: the colleague's token
//! lets them in under their user id (`dcv.rs`), and the session's DCV permissions, which
//! the agent on the instance keeps as the shares say (`permissions.rs`), decide what they
//! may do there; DCV enforces them. An admin's support view of one is a view-only share
//! for an hour, so that the permissions name them too, and the owner sees and may revoke it.

use super::streams::{new_stream, stream_now};
use super::{session, to_json, ts, Call, Result};
use crate::app::App;
use crate::config::DriverName;
use crate::drivers::{dcv_permissions, Drivers};
use crate::lifecycle::{check_allowed, SessionRecord};
use crate::store::{self, ShareRecord};
use crate::tokens::Guest;
use nimble_model::*;
use rusqlite::Transaction;

/// Seconds a colleague's stream token may wait to be used: it is READY at once.
const JOIN_SECONDS: i64 = 60;
/// How long an admin's support view of an EC2 workstation may last (its share).
const SUPPORT_MINUTES: i64 = 60;

pub fn put(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let body: PutSessionShareBody = parse_body(call.body)?;
    let record = shareable(tx, call)?;
    let colleague = colleague(call, &record)?;
    let mode = body.mode.unwrap_or(ShareMode::ViewOnly);
    let minutes = body.minutes.unwrap_or(DEFAULT_SHARE_MINUTES);
    let before = store::share(tx, record.session_id(), colleague, call.now_ms)?;
    let share = ShareRecord {
        session_id: record.session_id().to_owned(),
        user_id: colleague.to_owned(),
        mode,
        created_ms: before.as_ref().map_or(call.now_ms, |b| b.created_ms),
        expires_ms: call.now_ms + minutes * 60_000,
    };
    store::put_share(tx, &record.studio_id, &share, call.now_ms)?;
    // A colleague connected in another mode connects again in this one.
    match before {
        Some(before) if before.mode != mode => {
            app.grants.cut_guests(&share.session_id, Some(colleague));
        }
        _ => app
            .grants
            .extend(&share.session_id, colleague, share.expires_ms),
    }
    let shared = document(app, &record, &share);
    record_event(tx, &record, "SHARED", &shared)?;
    to_json(&SessionShareResponse {
        share: Some(shared),
    })
}

pub fn delete(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let record = session(tx, call.route)?;
    let colleague = call.route.user_id().unwrap_or("");
    let Some(share) = store::share(tx, record.session_id(), colleague, call.now_ms)? else {
        return Err(ApiError::not_found("Share with", colleague));
    };
    store::delete_share(tx, record.session_id(), colleague, call.now_ms)?;
    app.grants.cut_guests(record.session_id(), Some(colleague));
    let revoked = document(app, &record, &share);
    record_event(tx, &record, "REVOKED", &revoked)?;
    to_json(&SessionShareResponse {
        share: Some(revoked),
    })
}

/// ListSessionShares: the workstation's shares, and who is connected to it now.
pub fn list(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let record = session(tx, call.route)?;
    let shares = store::shares(tx, Some(record.session_id()), None, call.now_ms)?;
    let viewers = connected(app, &record, call.now_ms);
    to_json(&SessionSharesResponse {
        shares: Some(shares.iter().map(|s| document(app, &record, s)).collect()),
        viewers: Some(viewers),
    })
}

/// ListSharedSessions: what is shared with the artist the path names, newest last.
pub fn shared_with(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let studio = call.route.studio_id();
    let user = call.route.user_id().unwrap_or("");
    let mut shares = Vec::new();
    for share in store::shares(tx, None, Some((studio, user)), call.now_ms)? {
        if let Some(record) = store::get_session(tx, studio, &share.session_id)? {
            shares.push(document(app, &record, &share));
        }
    }
    to_json(&SessionSharesResponse {
        shares: Some(shares),
        viewers: None,
    })
}

/// JoinSharedSession: the colleague's own stream. Without a share in force it answers
/// exactly as a missing session does.
pub fn join(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let id = call.route.session_id().unwrap_or("");
    let user = call.route.user_id().unwrap_or("");
    let not_shared = || ApiError::not_found("Streaming session", id);
    let share = store::share(tx, id, user, call.now_ms)?.ok_or_else(not_shared)?;
    let record = session(tx, call.route)?;
    check_allowed(
        Operation::CreateStreamingSessionStream,
        &record.state(),
        record.session_id(),
    )?;
    let guest = Guest::Shared(share.mode);
    let joined = joined(app, tx, call, &record, user, guest)?;
    record_event(tx, &record, "JOINED", &document(app, &record, &share))?;
    Ok(joined)
}

/// JoinForSupport: an admin's view-only stream to any READY workstation.
pub fn support(app: &App, tx: &Transaction, call: &Call) -> Result<String> {
    let record = shareable(tx, call)?;
    // On EC2 the view is a share, so that DCV's permissions name the admin.
    let on_dcv = on_ec2(&record);
    let lasts_ms = match on_dcv {
        true => SUPPORT_MINUTES * 60_000,
        false => JOIN_SECONDS * 1000,
    };
    let seen = ShareRecord {
        session_id: record.session_id().to_owned(),
        user_id: call.user.to_owned(),
        mode: ShareMode::ViewOnly,
        created_ms: call.now_ms,
        expires_ms: call.now_ms + lasts_ms,
    };
    if on_dcv && store::share(tx, record.session_id(), call.user, call.now_ms)?.is_none() {
        store::put_share(tx, &record.studio_id, &seen, call.now_ms)?;
    }
    let joined = joined(app, tx, call, &record, call.user, Guest::Support)?;
    record_event(
        tx,
        &record,
        "SUPPORT_JOINED",
        &document(app, &record, &seen),
    )?;
    Ok(joined)
}

/// A stream for `user` as `guest`, READY now.
fn joined(
    app: &App,
    tx: &Transaction,
    call: &Call,
    record: &SessionRecord,
    user: &str,
    guest: Guest,
) -> Result<String> {
    let guest_of = Some((user.to_owned(), guest));
    let stream = new_stream(app, tx, call, record, JOIN_SECONDS, call.now_ms, guest_of)?;
    let mode = match guest {
        Guest::Shared(mode) => mode,
        Guest::Support => ShareMode::ViewOnly,
    };
    to_json(&JoinResponse {
        stream: Some(stream_now(app, stream, call.now_ms)),
        mode: Some(mode),
    })
}

/// The route's session, if it can be shared or joined now: READY.
fn shareable(tx: &Transaction, call: &Call) -> Result<SessionRecord> {
    let record = session(tx, call.route)?;
    check_allowed(
        Operation::CreateStreamingSessionStream,
        &record.state(),
        record.session_id(),
    )
    .map_err(|_| ApiError::conflict("Only a READY workstation can be shared or joined"))?;
    Ok(record)
}

/// Whether `record` is an EC2 workstation, which DCV shares.
fn on_ec2(record: &SessionRecord) -> bool {
    (record.driver.as_ref()).is_some_and(|link| link.name == DriverName::Ec2.as_str())
}

/// The colleague the path names: a studio user id, not the owner.
fn colleague<'a>(call: &'a Call, record: &SessionRecord) -> Result<&'a str> {
    let user = call.route.user_id().unwrap_or("");
    let valid = (1..=64).contains(&user.len())
        && (user.bytes()).all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    let invalid =
        |message: &str| ApiError::from(ValidationError::new("userId", message.to_owned()));
    if !valid {
        return Err(invalid(
            "must be a user id of 1 to 64 letters, digits and . _ @ -",
        ));
    }
    if record.session.owned_by.as_deref() == Some(user) {
        return Err(invalid("names the workstation's owner, who needs no share"));
    }
    // DCV knows people by name only: this colleague would be the owner there.
    if on_ec2(record) && dcv_permissions::owner_name(record).as_deref() == Some(user) {
        return Err(invalid(
            "is the name the workstation's owner has on it, so it cannot be shared with them",
        ));
    }
    Ok(user)
}

/// Who other than the owner is connected to `record`'s desktop: the bridge's viewers, or
/// DCV's connections as last learnt (`dcv_connections.rs`).
fn connected(app: &App, record: &SessionRecord, now_ms: i64) -> Vec<String> {
    let id = record.session_id();
    let mut users = app.grants.connected(id);
    users.extend(app.dcv_connections.of(id, now_ms));
    let owner = [
        record.session.owned_by.clone(),
        dcv_permissions::owner_name(record),
    ];
    users.retain(|user| !owner.iter().flatten().any(|o| o == user));
    users.sort();
    users.dedup();
    users
}

/// `share` as the API shows it.
fn document(app: &App, record: &SessionRecord, share: &ShareRecord) -> SessionShare {
    let connected = connected(app, record, app.now_ms());
    SessionShare {
        session_id: Some(share.session_id.clone()),
        session_name: Some(Drivers::name_of(record).to_owned()),
        owned_by: record.session.owned_by.clone(),
        user_id: Some(share.user_id.clone()),
        mode: Some(share.mode),
        created_at: ts(share.created_ms),
        expires_at: ts(share.expires_ms),
        connected: Some(connected.contains(&share.user_id)),
    }
}

/// An event of kind `share`: `action` (SHARED, REVOKED, JOINED, SUPPORT_JOINED) on `share`.
fn record_event(
    tx: &Transaction,
    record: &SessionRecord,
    action: &str,
    share: &SessionShare,
) -> Result<()> {
    let mut doc = serde_json::to_value(share).unwrap_or_default();
    doc["action"] = action.into();
    store::put_event(
        tx,
        &record.studio_id,
        record.session_id(),
        record.session.owned_by.as_deref().unwrap_or(""),
        store::EventKind::Share,
        &doc.to_string(),
    )?;
    Ok(())
}
