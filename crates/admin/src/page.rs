//! The page's events: one listener per kind of DOM event (click, change, input) on the
//! document reads what was acted on from its `data-act` or `id`, changes the state and
//! asks the view (`view.rs`) to redraw; `mount` writes the skeleton and starts the rest.

use crate::actions::{self, Action, Pending};
use crate::state::{self, Access, State};
use crate::usage::{csv, month_of};
use crate::view::{document, element, render_soon, value_of, SKELETON};
use crate::{filter, fleet, usage_tab};
use std::time::Duration;
use studio_portal::api;
use studio_portal::logic::describe;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, Event, HtmlInputElement};

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

/// Asks to stop every READY session unused for `minutes`, or says there is none.
fn ask_to_stop_idle(s: &mut State, minutes: i64) {
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

fn clicked(act: &str) {
    if act == "confirm" {
        return confirm();
    }
    if act == "stop-idle" {
        let minutes: i64 = value_of("idle-minutes").parse().unwrap_or(60).max(1);
        spawn_local(async move {
            // Decided on a fresh reading: the table's may be 30 s old.
            if let Err(failure) = fleet::read_activity().await {
                return fleet::failed(&failure);
            }
            state::with(|s| ask_to_stop_idle(s, minutes));
            render_soon();
        });
        return;
    }
    if act == "watch" {
        return watch();
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

/// Watch: the one selected workstation's desktop, view-only, in a new tab (opened inside
/// the click, as popup blockers require). Audited by portal-proxy, and an event.
fn watch() {
    let (studio, one) = state::with(|s| {
        let one = (s.selected.len() == 1).then(|| s.selected.first().cloned());
        (s.studio.clone(), one.flatten())
    });
    let Some(id) = one else {
        return report("Select one READY workstation to watch.".into());
    };
    let tab = web_sys::window()
        .and_then(|w| w.open_with_url_and_target("about:blank", "_blank").ok())
        .flatten();
    spawn_local(async move {
        match api::join_for_support(&studio, &id).await {
            Ok(url) => match tab {
                Some(tab) => drop(tab.location().set_href(&url)),
                None => report(format!("Open the desktop: {url}")),
            },
            Err(failure) => {
                if let Some(tab) = tab {
                    let _ = tab.close();
                }
                report(describe(&failure));
            }
        }
    });
}

fn report(text: String) {
    state::with(|s| s.report = Some(text));
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
                    spawn_local(fleet::preview());
                    spawn_local(fleet::follow_activity());
                    gloo_timers::future::sleep(Duration::from_secs(5)).await;
                    if !state::with(|s| s.listed) {
                        fleet::load().await;
                    }
                }
            }
            Err(failure) => fleet::failed(&failure),
        }
    });
}
