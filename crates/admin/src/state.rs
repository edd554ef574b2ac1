//! Everything the page knows, in one place that imports nothing of the page: the studio's
//! workstations, who last used them, what the admin chose (filters, page, selection, tab)
//! and what is being asked or was reported. Events and answers change it through [`with`],
//! then call [`changed`]: the page (which registered its redraw at start) draws it soon.

use crate::actions::Pending;
use crate::filter::Filter;
use crate::row::Row;
use nimble_model::{SessionActivity, UsageGroup};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Whether the signed-in user may see the studio's view.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Access {
    #[default]
    Checking,
    Admin,
    /// Signed in, but not one of the studio's admins.
    NotAdmin,
    /// The page cannot be used: why, in plain words.
    Failed(String),
}

/// A month's usage as the Usage tab shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Month {
    pub month: String,
    pub group_by: String,
    pub groups: Vec<UsageGroup>,
    /// The chart's points (ms, READY at once), the period (ms) and the peak.
    pub points: Vec<(i64, i64)>,
    pub span_ms: (i64, i64),
    pub peak: i64,
}

#[derive(Default)]
pub struct State {
    pub access: Access,
    pub user: String,
    pub studio: String,
    /// Every session that is not DELETED, by id.
    pub rows: BTreeMap<String, Row>,
    /// Whether more pages of the list are still coming.
    pub loading: bool,
    /// Whether a full listing has put in its first page (a preview is then stale).
    pub listed: bool,
    /// Counts listings begun: only the latest one's pages are put in.
    pub generation: u32,
    /// Last use and last viewer of READY sessions, by id.
    pub activity: HashMap<String, SessionActivity>,
    /// The clock idle minutes are counted to (ms): the server's, at each activity reading.
    pub now_ms: i64,
    pub filter: Filter,
    pub page: usize,
    pub selected: BTreeSet<String>,
    pub pending: Option<Pending>,
    /// What the last action did, or why nothing was asked.
    pub report: Option<String>,
    pub usage_tab: bool,
    pub month: Option<Month>,
    pub usage_error: Option<String>,
}

impl State {
    /// Puts in a page of the list (DELETED sessions are not listed).
    pub fn add(&mut self, rows: Vec<Row>) {
        let live = rows
            .into_iter()
            .filter(|r| r.state != Some(nimble_model::StreamingSessionState::Deleted));
        self.rows.extend(live.map(|row| (row.id().to_owned(), row)));
    }

    /// Puts a session's latest document in its row; a DELETED one leaves the table.
    pub fn apply(&mut self, row: Row) {
        let id = row.id().to_owned();
        if row.state == Some(nimble_model::StreamingSessionState::Deleted) {
            self.rows.remove(&id);
            self.selected.remove(&id);
        } else {
            self.rows.insert(id, row);
        }
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
    static REDRAW: Cell<Option<fn()>> = const { Cell::new(None) };
}

/// Who draws the page after a change (`page.rs`, once at start).
pub fn set_redraw(redraw: fn()) {
    REDRAW.with(|r| r.set(Some(redraw)));
}

/// Asks for the page to be drawn again.
pub fn changed() {
    if let Some(redraw) = REDRAW.with(Cell::get) {
        redraw();
    }
}

/// Reads or changes the page's state. Never called again from inside `change`.
pub fn with<R>(change: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|state| change(&mut state.borrow_mut()))
}
