//! Stream tokens: the one-time credential in a stream's URL, which the two endpoints
//! outside SigV4 accept, `GET /desktop/ws` (`desktop/bridge.rs`, the noVNC bridge) and
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
//!   READY) is refused and leaves the token good for the one that may. Both endpoints
//!   present their token through [`redeem::present`], so the sequence is written once.
//! - **Rate-limited** per client address and per token ([`Limits`]): beyond, 429.
//! - **Followed by a reconnect grant** on the desktop bridge ([`Grants`]): a dropped
//!   viewer reopens its desktop with it, once per reconnect, without a new token.
//!
//! Nothing here logs a token. Nothing here imports the endpoints; and all but `redeem`
//! sit below the server's shared state (`app.rs`), which holds [`Issued`] and [`Limits`].

mod agent;
mod grants;
mod issued;
mod limits;
pub mod redeem;

pub use agent::AgentKey;
pub use grants::{Grants, Guest, Viewer};
pub use issued::Issued;
pub use limits::{Limits, Throttled};

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
