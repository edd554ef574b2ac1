//! Stream tokens: the one-time credential in a stream's URL, which the two endpoints
//! outside SigV4 accept, `GET /desktop/ws` (`desktop.rs`, the noVNC bridge) and
//! `POST /dcv/verify` (`dcv.rs`, Amazon DCV's external authenticator).
//!
//! - **Made** by CreateStreamingSessionStream ([`new_token`]): 244 random bits.
//! - **Kept** in the store only as a SHA-256 hash ([`token_hash`]). The URL that carries
//!   the token lives in this process's memory only ([`Issued`]), so neither the database
//!   nor its copies nor the saved answers of client tokens hold a token anyone could use.
//! - **Redeemed** once ([`redeem`]), by a request that names the token's own session,
//!   while its stream is ready and unexpired, its session READY on the endpoint's driver,
//!   on the machine the token was made for. Every check comes before the token is spent:
//!   a request that may not use it (another session named, none named, a session not
//!   READY) is refused and leaves the token good for the one that may.
//! - **Rate-limited** per client address and per token ([`Limits`]): beyond, 429.
//!
//! Nothing here logs a token. This module imports nothing from the endpoints.

mod issued;
mod limits;

pub use issued::Issued;
pub use limits::Limits;

use crate::app::App;
use crate::config::DriverName;
use crate::drivers::Drivers;
use crate::lifecycle::SessionRecord;
use crate::store::{self, StoreError, TokenGrant};
use nimble_model::Operation;
use sha2::{Digest, Sha256};

/// A new one-time token that nobody can guess.
pub fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The hash a stream token is stored and looked up by (hex).
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Spends `token` for a request that names `session_id` and is served by `driver`, and
/// returns the session it opens; `None`, with nothing spent, when it opens nothing for
/// this request (unknown, spent, expired, another session's, or the session may not be
/// connected to now).
pub fn redeem(
    app: &App,
    token: &str,
    session_id: &str,
    driver: DriverName,
) -> Result<Option<SessionRecord>, StoreError> {
    let mut db = app.db.lock().unwrap_or_else(|e| e.into_inner());
    let changes_before = db.total_changes();
    let tx = db.transaction()?;
    let now_ms = app.now_ms();
    crate::operations::settle(app, &tx, now_ms)?;
    let opens = match store::stream_token(&tx, &token_hash(token), now_ms)? {
        Some(grant) if grant.session_id == session_id => store::session_by_id(&tx, session_id)?
            .filter(|record| may_use(record, &grant, driver))
            .map(|record| (grant, record)),
        _ => None,
    };
    if let Some((grant, _)) = &opens {
        store::spend_stream_token(&tx, &grant.stream_id, now_ms)?;
    }
    app.commit(tx, changes_before)?;
    Ok(opens.map(|(_, record)| record))
}

/// Whether the token `grant` describes may connect to `record` through `driver` now.
fn may_use(record: &SessionRecord, grant: &TokenGrant, driver: DriverName) -> bool {
    let on_driver = record
        .driver
        .as_ref()
        .is_some_and(|link| link.name == driver.as_str());
    // The one rule for what a state allows: a stream is for a READY session.
    let ready = record
        .state()
        .allows(Operation::CreateStreamingSessionStream);
    // A token made for one machine (an EC2 instance) opens no other; an EC2 token made
    // before its session had an instance opens none.
    let machine = Drivers::machine_of(record);
    let same_machine = grant.machine == machine && (driver != DriverName::Ec2 || machine.is_some());
    on_driver && ready && same_machine
}
