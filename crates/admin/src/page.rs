//! The page: a fixed skeleton written once, whose changing parts (`html.rs`) are redrawn
//! from the state (`state.rs`) shortly after anything changes, one redraw for a burst of
//! events; a part whose HTML is unchanged is not touched, so a list the admin has open or
//! a field they type in stays as it is. One listener per kind of DOM event (click, change,
//! input) on the document reads what was acted on from its `data-act` or `id`.

use crate::actions::{self, Action, Pending};
use crate::filter::{self, Field};
use crate::state::{self, Access};
use crate::usage::{chart_line, csv, month_of};
use crate::{fleet, html, usage_tab};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;
use studio_portal::api;
use studio_portal::logic::describe;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, HtmlInputElement};

const SKELETON: &str = r#"<header class="top"><h1>Studio</h1><span class="who" id="who"></span><a href="/">Your workstations</a></header>
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
<button data-act="stop" id="act-stop">Stop</button> <button data-act="stop-delete" id="act-stop-delete">Stop with DELETE</button> <button data-act="delete" id="act-delete">Delete</button>
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

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a page has a document")
}

fn element(id: &str) -> Option<Element> {
    document().get_element_by_id(id)
}

/// The value of input or select `id`.
fn value_of(id: &str) -> String {
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
fn tick(selected: &std::collections::BTreeSet<String>) {
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
fn render_soon() {
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

/// Reads the chosen month's usage into the Usage tab.
fn load_usage() {
    let (studio, month, group_by) =
        state::with(|s| (s.studio.clone(), value_of("month"), value_of("group-by")));
    spawn_local(async move {
        let read = usage_tab::read(&studio, &month, &group_by).await;
        state::with(|s| match read {
            Ok(read) => {
                s.month = Some(read);
                s.usage_error = None;
            }
            Err(failure) => s.usage_error = Some(describe(&failure)),
        });
        render_soon();
    });
}

/// Runs the confirmed action with the reason typed.
fn confirm() {
    let reason = value_of("reason").trim().to_owned();
    if reason.is_empty() {
        state::with(|s| s.report = Some("Give a reason: the owners are shown it.".into()));
        return render_soon();
    }
    let Some((studio, pending, rows)) = state::with(|s| {
        let pending = s.pending.take()?;
        let rows = pending
            .ids
            .iter()
            .filter_map(|id| s.rows.get(id).cloned())
            .collect();
        s.selected.clear();
        s.report = Some(format!("{}…", pending.action.label()));
        Some((s.studio.clone(), pending, rows))
    }) else {
        return;
    };
    render_soon();
    spawn_local(async move {
        let changed = |row| {
            state::with(|s| s.apply(row));
            render_soon();
        };
        let report = actions::run(&studio, pending.action, rows, &reason, changed).await;
        state::with(|s| s.report = Some(report));
        render_soon();
    });
}

fn clicked(act: &str) {
    if act == "confirm" {
        return confirm();
    }
    if act == "csv" {
        if let Some(month) = state::with(|s| s.month.clone()) {
            let name = format!(
                "usage-{}-by-{}.csv",
                month.month,
                month.group_by.to_lowercase()
            );
            usage_tab::download(&name, &csv(&month.group_by, &month.groups));
        }
        return;
    }
    let load_usage_now = state::with(|s| {
        match act {
            "tab-workstations" => s.usage_tab = false,
            "tab-usage" => {
                s.usage_tab = true;
                return s.month.is_none();
            }
            "prev" => s.page = s.page.saturating_sub(1),
            "next" => s.page += 1,
            "cancel" => s.pending = None,
            "stop-idle" => {
                let minutes: i64 = value_of("idle-minutes").parse().unwrap_or(60).max(1);
                let last_use = |id: &str| s.activity.get(id)?.last_used_at.map(|t| t.unix_millis());
                let ids: Vec<String> = filter::idle(s.rows.values(), last_use, s.now_ms, minutes)
                    .iter()
                    .map(|row| row.id().to_owned())
                    .collect();
                match ids.is_empty() {
                    true => {
                        s.report = Some(format!(
                            "No READY workstation has been idle for {minutes} minutes."
                        ))
                    }
                    false => {
                        s.pending = Some(Pending {
                            action: Action::Stop,
                            ids,
                        })
                    }
                }
            }
            other => {
                if let Some(action) = Action::named(other) {
                    if !s.selected.is_empty() {
                        let ids = s.selected.iter().cloned().collect();
                        s.pending = Some(Pending { action, ids });
                    }
                }
            }
        }
        false
    });
    if load_usage_now {
        load_usage();
    }
    render_soon();
}

fn changed(target: &Element) {
    let id = target.id();
    let checked = target
        .dyn_ref::<HtmlInputElement>()
        .is_some_and(|i| i.checked());
    let usage = state::with(|s| {
        match id.as_str() {
            "select-page" => {
                let shown: Vec<String> = filter::shown(s.rows.values(), &s.filter)
                    .iter()
                    .map(|row| row.id().to_owned())
                    .collect();
                for id in filter::page(&shown, s.page).0 {
                    match checked {
                        true => s.selected.insert(id),
                        false => s.selected.remove(&id),
                    };
                }
            }
            "filter-owner" => s.filter.owner = value_of(&id),
            "filter-state" => s.filter.state = value_of(&id),
            "filter-profile" => s.filter.profile = value_of(&id),
            "filter-image" => s.filter.image = value_of(&id),
            "search" => s.filter.search = value_of(&id),
            "month" | "group-by" => return true,
            _ => {
                if let Some(session) = target.get_attribute("data-session") {
                    match checked {
                        true => s.selected.insert(session),
                        false => s.selected.remove(&session),
                    };
                }
                return false;
            }
        }
        if id.starts_with("filter-") || id == "search" {
            s.page = 0;
        }
        false
    });
    if usage {
        load_usage();
    }
    render_soon();
}

/// Calls `handler` with the element each `kind` event of the document happened on.
fn on_document(kind: &str, handler: fn(&Element)) {
    let closure = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        if let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
            handler(&target);
        }
    });
    let _ = document().add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Writes the skeleton, listens, and asks who is signed in.
pub fn mount() {
    state::set_redraw(render_soon);
    if let Some(body) = document().body() {
        body.set_inner_html(SKELETON);
    }
    if let Some(month) = element("month") {
        let _ = month.set_attribute("value", &month_of(js_sys::Date::now() as i64));
    }
    on_document("click", |target| {
        let act = target.closest("[data-act]").ok().flatten();
        if let Some(act) = act.and_then(|a| a.get_attribute("data-act")) {
            clicked(&act);
        }
    });
    on_document("change", changed);
    on_document("input", |target| {
        if target.id() == "search" {
            changed(target);
        }
    });
    spawn_local(async {
        match api::me().await {
            Ok(me) => {
                let admin = me.admin;
                state::with(|s| {
                    s.user = me.user;
                    s.studio = me.studio_id;
                    s.access = if admin {
                        Access::Admin
                    } else {
                        Access::NotAdmin
                    };
                });
                render_soon();
                if admin {
                    // The stream's hello loads the list; without one in 5 s, load anyway.
                    fleet::listen();
                    spawn_local(fleet::follow_activity());
                    gloo_timers::future::sleep(Duration::from_secs(5)).await;
                    if state::with(|s| s.rows.is_empty() && !s.loading) {
                        fleet::load().await;
                    }
                }
            }
            Err(failure) => fleet::failed(&failure),
        }
    });
}
