//! What the tests and benchmarks of every crate share: a real local-studio and a real
//! portal-proxy on 127.0.0.1 port 0, a raw HTTP client that signs with SigV4 the way the
//! SDKs do (so tests can send what real clients send, and what they never would), and
//! helpers that create and read sessions.
//!
//! Servers started here stop when the test's runtime ends; call `shutdown` to stop one
//! earlier (a restart test, say).

mod browser;
pub mod docs_flags;
mod os_users;
mod processes;
mod servers;
mod sessions;
mod signed;
mod sse;

pub use browser::send_as;
pub use os_users::{os_user, run_as};
pub use processes::{
    is_root, spawn_announcing, spawn_server, Announces, ChildGuard, DesktopRoot, ProcessGroup,
};
pub use servers::{gateway_config, start, start_proxy, test_config, Studio};
pub use signed::{signature_headers, Client, Reply};
pub use sse::{SseClient, SseEvent};

pub const STUDIO: &str = "demo-studio";
pub const SESSIONS: &str = "/2020-08-01/studios/demo-studio/streaming-sessions";
pub const BACKUPS: &str = "/2020-08-01/studios/demo-studio/streaming-session-backups";
