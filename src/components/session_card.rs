//! One workstation as a card: its name and state, its launch profile and instance type,
//! when it started or stopped and when it will stop or be removed, a warning with Keep
//! running when it stops by itself soon, then its actions, the question it asks before a
//! change, and what Connect or a failed action has to say.

use super::actions::{self, Card};
use super::{confirm_panel, connect_button, error_message, local_time, StateBadge};
use crate::api::Change;
use crate::logic;
use crate::portal::Portal;
use crate::workstation::{StopWarning, Workstation};
use leptos::prelude::*;
use nimble_model::{StreamingSessionState, Timestamp};

/// The card of session `id`; it follows the session through every refresh of the list.
#[component]
pub fn SessionCard(id: String) -> impl IntoView {
    let portal = expect_context::<Portal>();
    let session = {
        let id = id.clone();
        Memo::new(move |_| {
            portal.sessions.with(|all| {
                all.iter()
                    .find(|s| s.session_id.as_deref() == Some(id.as_str()))
                    .cloned()
                    .unwrap_or_default()
            })
        })
    };
    let state = Signal::derive(move || {
        session.with(|s| {
            s.state
                .clone()
                .unwrap_or(StreamingSessionState::Unknown(String::new()))
        })
    });
    let card = Card::new(portal, session);
    let name = move || logic::display_name(&session.get());
    let profile_name = move || {
        let profile_id = session.with(|s| s.launch_profile_id.clone().unwrap_or_default());
        portal.profiles.with(|all| {
            all.iter()
                .find(|p| p.launch_profile_id.as_deref() == Some(profile_id.as_str()))
                .and_then(|p| p.name.clone())
                .unwrap_or(profile_id)
        })
    };
    // One closure type for both rows, so the view code for it is built once.
    let time_row = move |label: &'static str, at: fn(&Workstation) -> Option<Timestamp>| {
        move || local_time(session.with(at)).map(|t| view! { <dt>{label}</dt><dd>{t}</dd> })
    };
    view! {
        <li class="card" data-session=id.clone()>
            <div class="card-head">
                <h2>{name}</h2>
                <StateBadge state=state />
            </div>
            <p class="meta">{move || format!("{} · {}", profile_name(), session.with(|s| s.ec2_instance_type.clone().unwrap_or_default()))}</p>
            // A warning's message is its status message too: shown once, with the warning.
            {move || session.with(|s| s.status_message.clone().filter(|m| !m.is_empty() && s.stop_warning.is_none())).map(|m| view! { <p class="status-message">{m}</p> })}
            {move || session.with(|s| s.stop_warning.clone()).map(|warning| stop_warning(card, warning))}
            <dl class="times">
                {time_row("Started", |s| s.started_at)}
                {time_row("Stopped", |s| s.stopped_at)}
                {move || session.with(logic::deadline).map(|(label, at)| {
                    let left = logic::countdown(portal.now_ms.get(), at);
                    view! { <dt>{label}</dt><dd class:warning=left.warning>{left.text}{left.warning.then_some(" — save your work")}</dd> }
                })}
            </dl>
            {actions::buttons(card, state)}
            // Dialogs that load on first use (`extras/extras.js`): boot.js opens the one a
            // button's `data-extra` names, for the card it is in.
            <button class="quiet" data-extra="weekEditor">"Working hours"</button>
            <button class="quiet" data-extra="share">"Share"</button>
            {confirm_panel::question(card)}
            {connect_button::messages(card)}
            {error_message(card.error)}
        </li>
    }
}

/// An automatic stop is near: why, and Keep running, which says why it cannot when it
/// cannot (the message does, and the button is disabled).
fn stop_warning(card: Card, warning: StopWarning) -> impl IntoView {
    let can = warning.can_keep_running == Some(true);
    let busy = move || !can || card.pending.get().is_some();
    view! {
        <div class="stop-warning">
            <p>{warning.message}</p>
            <button on:click=move |_| card.run(Change::KeepRunning) disabled=busy>"Keep running"</button>
        </div>
    }
}
