//! The portal's views, one file each: the page [`Header`], the [`StateBadge`], a
//! workstation's [`SessionCard`] with its actions, its Connect button and the questions it
//! asks before a change, and the [`NewWorkstation`] form. The rarely opened dialogs (the
//! week editor with the artist's limits, sharing, and what is shared with the artist) are
//! not here: they load on first use (`extras/extras.js`, opened by boot.js for a button's
//! `data-extra`).
//!
//! Components read the shared state from the [`Portal`](crate::portal::Portal) context and
//! never from the app, so data flows one way: app → components → portal, api, logic.

mod actions;
mod confirm_panel;
mod connect_button;
mod header;
mod new_workstation;
mod session_card;
mod state_badge;

pub use header::Header;
pub use new_workstation::NewWorkstation;
pub use session_card::SessionCard;
pub use state_badge::StateBadge;

use leptos::prelude::*;
use nimble_model::Timestamp;

/// An error in plain words, announced when it appears. One function, so one copy of its
/// view code however many places show one.
pub fn error_message(error: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|message| view! { <p class="error" role="alert">{message}</p> })
    }
}

/// A time as the artist's browser writes it in their locale.
pub fn local_time(at: Option<Timestamp>) -> Option<String> {
    at.map(|t| {
        js_sys::Date::new(&(t.unix_millis() as f64).into())
            .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
            .as_string()
            .unwrap_or_default()
    })
}
