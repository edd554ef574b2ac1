//! The view: a fixed skeleton written once, whose changing parts (`html.rs`) are redrawn
//! from the state (`state.rs`) shortly after anything changes, one redraw for a burst of
//! events. A part whose HTML is unchanged is not touched, so a list the admin has open or
//! a field they type in stays as it is.

use crate::filter::{self, Field};
use crate::html;
use crate::state::{self, Access};
use crate::usage::chart_line;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement};

pub const SKELETON: &str = r#"<header class="top"><h1>Studio</h1><span class="who" id="who"></span><a href="/">Your workstations</a></header>
<main id="main" class="admin">
<p id="note" class="state-note" role="status">Loading…</p>
<div id="page" hidden>
<nav class="tabs" role="tablist"><button role="tab" id="tab-workstations" data-act="tab-workstations">Workstations</button><button role="tab" id="tab-usage" data-act="tab-usage">Usage</button></nav>
<section id="workstations" aria-label="Workstations">
<div class="filters">
<label>Owner <select id="filter-owner"></select></label>
<label>State <select id="filter-state"></select></label>
<label>Profile <select id="filter-profile"></select></label>
<label>Image <select id="filter-image"></select></label>
<label>Search <input type="search" id="search" placeholder="name, id, owner, message"></label>
</div>
<div class="bulk">
<button data-act="stop" id="act-stop">Stop</button> <button data-act="stop-delete" id="act-stop-delete">Stop with DELETE</button> <button data-act="delete" id="act-delete">Delete</button> <button data-act="watch" id="act-watch" title="The selected workstation's desktop, view-only, for support">Watch</button>
<span id="selected-count"></span>
<label>Idle for <input type="number" id="idle-minutes" min="1" value="60"> minutes</label> <button data-act="stop-idle">Stop all idle</button>
</div>
<div id="confirm" class="confirm" role="dialog" aria-label="Confirm" hidden></div>
<p id="report" role="status"></p>
<p id="summary" role="status"></p>
<div class="table-wrap"><table><thead><tr><th><input type="checkbox" id="select-page" aria-label="Select this page"></th><th>Name</th><th>Owner</th><th>State</th><th>Status</th><th>Profile</th><th>Image</th><th>Instance type</th><th>Started</th><th>Stopped</th><th>Stops at</th><th>Idle (min)</th><th>Viewer (min ago)</th></tr></thead><tbody id="rows"></tbody></table></div>
<nav class="pages" aria-label="Pages"><button data-act="prev" id="prev">Previous</button> <span id="page-of"></span> <button data-act="next" id="next">Next</button></nav>
</section>
<section id="usage" aria-label="Usage" hidden>
<div class="filters">
<label>Month <input type="month" id="month"></label>
<label>By <select id="group-by"><option value="OWNER">owner</option><option value="LAUNCH_PROFILE">launch profile</option><option value="INSTANCE_TYPE">instance type</option></select></label>
<button data-act="csv" id="csv">Download CSV</button>
</div>
<p id="usage-error" class="error" role="alert"></p>
<table class="usage" id="usage-table"></table>
<figure class="chart" id="chart"></figure>
</section>
</div>
</main>"#;

/// The chart's box, in SVG units.
const CHART: (f64, f64) = (720.0, 160.0);

const FORMAT: html::Format = html::Format {
    time: |t| studio_portal::components::local_time(Some(t)).unwrap_or_default(),
    fixed: |n, decimals| {
        js_sys::Number::from(n)
            .to_fixed(decimals as u8)
            .map(String::from)
            .unwrap_or_default()
    },
};

thread_local! {
    /// The HTML each part was last given.
    static DRAWN: RefCell<HashMap<&'static str, String>> = RefCell::new(HashMap::new());
    static REDRAW_DUE: Cell<bool> = const { Cell::new(false) };
}

pub fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a page has a document")
}

pub fn element(id: &str) -> Option<Element> {
    document().get_element_by_id(id)
}

/// The value of input or select `id`.
pub fn value_of(id: &str) -> String {
    element(id)
        .and_then(|e| js_sys::Reflect::get(&e, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Gives part `id` this HTML, unless it has it already.
fn draw(id: &'static str, html: String) {
    let same = DRAWN.with(|d| d.borrow().get(id) == Some(&html));
    if !same {
        if let Some(part) = element(id) {
            part.set_inner_html(&html);
        }
        DRAWN.with(|d| d.borrow_mut().insert(id, html));
    }
}

fn set(id: &str, attribute: &str, on: bool) {
    if let Some(part) = element(id) {
        let _ = match on {
            true => part.set_attribute(
                attribute,
                if attribute == "aria-selected" {
                    "true"
                } else {
                    ""
                },
            ),
            false if attribute == "aria-selected" => part.set_attribute(attribute, "false"),
            false => part.remove_attribute(attribute),
        };
    }
}

/// Ticks the checkboxes of the selected rows, and only those.
fn tick(selected: &BTreeSet<String>) {
    let Ok(boxes) = document().query_selector_all("#rows input[data-session]") else {
        return;
    };
    for i in 0..boxes.length() {
        if let Some(input) = boxes
            .item(i)
            .and_then(|b| b.dyn_into::<HtmlInputElement>().ok())
        {
            let id = input.get_attribute("data-session").unwrap_or_default();
            input.set_checked(selected.contains(&id));
        }
    }
}

/// Redraws once, shortly, however many changes come meanwhile.
pub fn render_soon() {
    if REDRAW_DUE.with(|due| due.replace(true)) {
        return;
    }
    spawn_local(async {
        gloo_timers::future::sleep(Duration::from_millis(30)).await;
        REDRAW_DUE.with(|due| due.set(false));
        render();
    });
}

fn render() {
    state::with(|s| {
        draw("who", html::escape(&s.user));
        let note = match &s.access {
            Access::Checking => "Loading…".to_owned(),
            Access::Admin => String::new(),
            Access::NotAdmin => "This page is for the studio's administrators. Your workstations are on the portal's main page.".to_owned(),
            Access::Failed(why) => why.clone(),
        };
        set("note", "hidden", note.is_empty());
        draw("note", html::escape(&note));
        set("page", "hidden", s.access != Access::Admin);
        set("tab-workstations", "aria-selected", !s.usage_tab);
        set("tab-usage", "aria-selected", s.usage_tab);
        set("workstations", "hidden", s.usage_tab);
        set("usage", "hidden", !s.usage_tab);

        for (id, field, chosen) in [
            ("filter-owner", Field::Owner, &s.filter.owner),
            ("filter-state", Field::State, &s.filter.state),
            ("filter-profile", Field::Profile, &s.filter.profile),
            ("filter-image", Field::Image, &s.filter.image),
        ] {
            draw(
                id,
                html::options(&filter::choices(s.rows.values(), field), chosen),
            );
        }
        let shown: Vec<String> = filter::shown(s.rows.values(), &s.filter)
            .iter()
            .map(|row| row.id().to_owned())
            .collect();
        let (on_page, at) = filter::page(&shown, s.page);
        s.page = at;
        let pages = shown.len().div_ceil(filter::PAGE_ROWS).max(1);
        let lookup = |id: &str| Some((s.rows.get(id)?, s.activity.get(id)));
        draw("rows", html::rows(&on_page, lookup, s.now_ms, &FORMAT));
        tick(&s.selected);
        let loading = if s.loading { " (loading more…)" } else { "" };
        draw(
            "summary",
            format!("{} of {} workstations{loading}", shown.len(), s.rows.len()),
        );
        draw("page-of", format!("Page {} of {pages}", at + 1));
        set("prev", "disabled", at == 0);
        set("next", "disabled", at + 1 >= pages);
        draw("selected-count", format!("{} selected", s.selected.len()));
        for id in ["act-stop", "act-stop-delete", "act-delete"] {
            set(id, "disabled", s.selected.is_empty());
        }
        set("confirm", "hidden", s.pending.is_none());
        draw(
            "confirm",
            s.pending.as_ref().map(html::confirm).unwrap_or_default(),
        );
        draw("report", html::escape(s.report.as_deref().unwrap_or("")));

        draw(
            "usage-error",
            html::escape(s.usage_error.as_deref().unwrap_or("")),
        );
        set("csv", "disabled", s.month.is_none());
        let (table, chart) = match &s.month {
            Some(m) => (
                html::usage(&m.group_by, &m.groups, &FORMAT),
                html::chart(
                    &chart_line(&m.points, m.span_ms.0, m.span_ms.1, CHART, m.peak),
                    CHART,
                    (m.span_ms.1 - m.span_ms.0) / 86_400_000,
                    m.peak,
                ),
            ),
            None => Default::default(),
        };
        draw("usage-table", table);
        draw("chart", chart);
    });
}
