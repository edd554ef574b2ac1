//! Presenting a stream token at one of the two endpoints outside SigV4, `GET /desktop/ws`
//! (`desktop/bridge.rs`, the noVNC bridge) and `POST /dcv/verify` (`dcv.rs`, Amazon DCV's
//! external authenticator), or a reconnect grant at the first ([`resume`]). Both call
//! [`present`]: it takes one attempt from the rate limits, then redeems the token on a
//! blocking thread (the store is SQLite), and says what came of it. Each endpoint only
//! turns that into its own answer.
//!
//! Unlike the rest of `tokens/`, this reads the store through the server's state, so it
//! sits above `app.rs`.

use super::{token_hash, Guest, Throttled, Viewer};
use crate::app::App;
use crate::config::DriverName;
use crate::drivers::Drivers;
use crate::lifecycle::SessionRecord;
use crate::operations::settled;
use crate::store::{self, StoreError, TokenGrant};
use nimble_model::Operation;
use std::net::IpAddr;
use std::sync::Arc;

/// What came of presenting a stream token.
pub enum Presented<T> {
    /// The token was good for this request and is now spent; `T` is what the endpoint
    /// made of the session it opens.
    Opened(T),
    /// It opens nothing for this request (none given, unknown, spent, expired, another
    /// session's, no session named, or the session may not be connected to now). Nothing
    /// is spent.
    Refused,
    /// Presented too often, from this address or with this token: 429 with Retry-After.
    Throttled(Throttled),
    /// The check could not be made: the store failed (`Some`), or its task did (`None`).
    Failed(Option<StoreError>),
}

/// Presents `token`, from `peer`, for the session `session_id` served by `driver`. When
/// it opens the session, `open` runs on the same blocking thread (a desktop's socket is
/// connected there), with who connects, and its result comes back in
/// [`Presented::Opened`].
pub async fn present<T: Send + 'static>(
    app: Arc<App>,
    peer: IpAddr,
    token: String,
    session_id: Option<String>,
    driver: DriverName,
    open: impl FnOnce(&App, SessionRecord, Viewer) -> T + Send + 'static,
) -> Presented<T> {
    if let Err(throttled) = app.token_limits.check(peer, &token) {
        return Presented::Throttled(throttled);
    }
    let Some(session_id) = session_id.filter(|_| !token.is_empty()) else {
        return Presented::Refused;
    };
    let redeemed = tokio::task::spawn_blocking(move || {
        let opened = redeem(&app, &token, &session_id, driver)?;
        Ok::<_, StoreError>(opened.map(|(record, viewer)| open(&app, record, viewer)))
    })
    .await;
    outcome(redeemed)
}

/// Presents reconnect `grant` (`grants.rs`), from `peer`, for the local desktop of
/// `session_id`. A good grant is spent; it then opens the session only while it is READY
/// on the run the grant was issued on (and, for a colleague, while the share is as it
/// was), and `open` runs as for [`present`].
pub async fn resume<T: Send + 'static>(
    app: Arc<App>,
    peer: IpAddr,
    grant: String,
    session_id: String,
    open: impl FnOnce(&App, SessionRecord, Viewer) -> T + Send + 'static,
) -> Presented<T> {
    if let Err(throttled) = app.token_limits.check(peer, &grant) {
        return Presented::Throttled(throttled);
    }
    let Some(viewer) = app.grants.spend(&grant, &session_id, app.now_ms()) else {
        return Presented::Refused;
    };
    let reopened = tokio::task::spawn_blocking(move || {
        let record = settled(&app, |tx, now_ms| {
            let record = store::session_by_id(tx, &session_id)?;
            let same_run = |record: &SessionRecord| {
                ready_on(record, DriverName::LocalDesktop)
                    && record.session.started_at.map(|t| t.unix_millis()) == viewer.started_ms
            };
            let shared = match viewer.guest {
                Some(Guest::Shared(mode)) => store::share(tx, &session_id, &viewer.user, now_ms)?
                    .is_some_and(|share| share.mode == mode),
                _ => true,
            };
            Ok(record.filter(|record| shared && same_run(record)))
        })?;
        Ok::<_, StoreError>(record.map(|record| open(&app, record, viewer)))
    })
    .await;
    outcome(reopened)
}

/// What the blocking check (`Some`: what it opened) came to.
fn outcome<T>(
    checked: Result<Result<Option<T>, StoreError>, tokio::task::JoinError>,
) -> Presented<T> {
    match checked {
        Ok(Ok(Some(opened))) => Presented::Opened(opened),
        Ok(Ok(None)) => Presented::Refused,
        Ok(Err(error)) => Presented::Failed(Some(error)),
        Err(_) => Presented::Failed(None),
    }
}

/// Spends `token` for a request that names `session_id` and is served by `driver`, and
/// returns the session it opens and who connects; `None`, with nothing spent, when it
/// opens nothing for this request (unknown, spent, expired, another session's, a share
/// since revoked or changed, or the session may not be connected to now).
fn redeem(
    app: &App,
    token: &str,
    session_id: &str,
    driver: DriverName,
) -> Result<Option<(SessionRecord, Viewer)>, StoreError> {
    settled(app, |tx, now_ms| {
        let grant = store::stream_token(tx, &token_hash(token), now_ms)?;
        let Some(grant) = grant.filter(|grant| grant.session_id == session_id) else {
            return Ok(None);
        };
        let record = store::session_by_id(tx, session_id)?;
        let Some(record) = record.filter(|record| may_use(record, &grant, driver)) else {
            return Ok(None);
        };
        let owner = record.session.owned_by.clone().unwrap_or_default();
        let (user, guest, until_ms) = match grant.guest.clone() {
            None => (owner, None, None),
            Some((user, Guest::Support)) => (user, Some(Guest::Support), None),
            Some((user, Guest::Shared(mode))) => match store::share(tx, session_id, &user, now_ms)?
            {
                Some(share) if share.mode == mode => {
                    (user, Some(Guest::Shared(mode)), Some(share.expires_ms))
                }
                _ => return Ok(None),
            },
        };
        store::spend_stream_token(tx, &grant.stream_id, now_ms)?;
        let viewer = Viewer {
            session: session_id.to_owned(),
            studio: record.studio_id.clone(),
            user,
            guest,
            started_ms: record.session.started_at.map(|t| t.unix_millis()),
            until_ms,
        };
        Ok(Some((record, viewer)))
    })
}

/// Whether the token `grant` describes may connect to `record` through `driver` now.
fn may_use(record: &SessionRecord, grant: &TokenGrant, driver: DriverName) -> bool {
    // A token made for one machine (an EC2 instance) opens no other; an EC2 token made
    // before its session had an instance opens none.
    let machine = Drivers::machine_of(record);
    let same_machine = grant.machine == machine && (driver != DriverName::Ec2 || machine.is_some());
    ready_on(record, driver) && same_machine
}

/// Whether `record` runs on `driver` and may be connected to now.
fn ready_on(record: &SessionRecord, driver: DriverName) -> bool {
    let on_driver = record
        .driver
        .as_ref()
        .is_some_and(|link| link.name == driver.as_str());
    // The one rule for what a state allows: a stream is for a READY session.
    on_driver
        && record
            .state()
            .allows(Operation::CreateStreamingSessionStream)
}
