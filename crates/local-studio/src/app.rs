//! The state one running server shares between its requests: the store, the studios,
//! the credentials it accepts, its settings, and the clock that lifecycle times are read
//! from (tests move it forward). Everything below `http.rs` receives an `&App`.

use crate::config::StudioConfig;
use crate::drivers::Drivers;
use crate::faults::{self, Faults};
use crate::lifecycle::Outcome;
use crate::sigv4;
use nimble_model::StreamingSessionStatusCode as Code;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

pub(crate) struct App {
    pub db: Mutex<rusqlite::Connection>,
    pub studios: StudioConfig,
    pub verifier: sigv4::Verifier,
    pub transition_ms: i64,
    pub page_size: usize,
    pub faults: RwLock<Faults>,
    /// Added to the wall clock for lifecycle times; tests move time forward with it.
    pub clock_offset_ms: AtomicI64,
    pub requests: AtomicU64,
    pub drivers: Drivers,
    /// Told when an action begins, so the reconciler starts on it at once.
    /// Also told by drivers when an action of theirs finishes.
    pub wake_reconciler: std::sync::Arc<tokio::sync::Notify>,
    /// The built noVNC viewer that `/desktop/` serves.
    pub viewer_dir: Option<std::path::PathBuf>,
    /// How long a DELETED session stays readable (`retention.rs`).
    pub deleted_retention: std::time::Duration,
    /// When (lifecycle clock) the reconciler last purged; `i64::MIN` before the first.
    pub last_purge_ms: AtomicI64,
    /// Bumped after every commit that changed the store: event watchers (`events.rs`)
    /// wake on it and read the log.
    pub committed: tokio::sync::watch::Sender<u64>,
    /// Set when the server stops, so waiting watches answer at once instead of holding
    /// the drain up.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Whether the watch is served (`Config::watch`).
    pub watch: bool,
    /// Checks the EC2 agents' tokens (`tokens/agent.rs`, `agent.rs`).
    pub agent_key: crate::tokens::AgentKey,
    /// When each running workstation was last used, for idle stop (`activity.rs`).
    pub activity: crate::activity::Activity,
    /// Who is connected to each EC2 workstation, as DCV's side last told (`dcv_connections.rs`).
    pub dcv_connections: crate::dcv_connections::DcvConnections,
    /// EC2 workstations' pictures asked of their agents (`dcv_pictures.rs`).
    pub dcv_pictures: crate::dcv_pictures::DcvPictures,
    /// The URLs of this process's streams, which the store never holds (`tokens/`).
    pub issued: crate::tokens::Issued,
    /// How often stream tokens may be presented, per client address and per token.
    pub token_limits: crate::tokens::Limits,
    /// The desktop viewers' reconnect grants, by hash (`tokens/grants.rs`).
    pub grants: crate::tokens::Grants,
    /// The latest picture of each local desktop (`drivers/thumbnails.rs`).
    pub thumbnails: crate::drivers::Thumbnails,
}

impl App {
    pub fn now_ms(&self) -> i64 {
        wall_clock_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Commits `tx`, waking event watchers if it changed anything since `changes_before`
    /// (the connection's `total_changes()` when the work began).
    pub fn commit(
        &self,
        tx: rusqlite::Transaction,
        changes_before: u64,
    ) -> Result<(), crate::store::StoreError> {
        let changed = tx.total_changes() != changes_before;
        tx.commit()?;
        if changed {
            self.committed.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(())
    }

    pub fn faults(&self) -> Faults {
        *self.faults.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a transition starting now succeeds, or the injected failure it ends in.
    pub fn roll_failure(&self, code: Code) -> Outcome {
        if !faults::happens(self.faults().transition_failure) {
            return Ok(());
        }
        let message = match code {
            Code::InsufficientCapacity => {
                "Insufficient capacity for this instance type (injected fault)"
            }
            _ => "An internal error occurred (injected fault)",
        };
        Err((code, message.to_owned()))
    }
}

/// The wall clock (ms since the Unix epoch), which the lifecycle clock starts from.
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
