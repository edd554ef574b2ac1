//! A card's Connect button and what it says about the connection. The flow itself (open a
//! tab inside the click, prepare the stream, navigate the tab) is in [`crate::connect`];
//! this file shows its progress, a link when no tab could be opened, and failures.

use super::actions::Card;
use crate::connect::{self, Outcome};
use crate::intent::Intent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// Where a card's connection stands.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Connecting {
    Idle,
    Waiting,
    /// The tab could not be opened for us: the artist opens it from this link.
    Link(String),
    Failed(String),
}

/// The click handler: must start the flow synchronously, so its tab opens in the click.
fn open(card: Card) {
    if card.connect.get_untracked() == Connecting::Waiting {
        return;
    }
    let token = card.token_for(Intent::Connect);
    let flow = connect::begin(card.studio(), card.session_id(), token);
    card.connect.set(Connecting::Waiting);
    spawn_local(async move {
        let outcome = flow.await;
        card.end_intent();
        match outcome {
            Outcome::Opened => card.connect.set(Connecting::Idle),
            Outcome::Link(url) => {
                card.connect.set(Connecting::Link(url));
                // The URL is a credential: it leaves the page after a minute.
                gloo_timers::future::sleep(Duration::from_secs(60)).await;
                if matches!(card.connect.get_untracked(), Connecting::Link(_)) {
                    card.connect.set(Connecting::Idle);
                }
            }
            Outcome::Failed(message) => card.connect.set(Connecting::Failed(message)),
        }
    });
}

/// The Connect button, disabled while the card is busy or already connecting.
pub(super) fn button(card: Card) -> impl IntoView {
    let waiting = move || card.connect.get() == Connecting::Waiting;
    view! {
        <button class="primary" on:click=move |_| open(card) disabled=move || card.pending.get().is_some() || waiting()>
            {move || if waiting() { Intent::Connect.progress() } else { "Connect" }}
        </button>
    }
}

/// The link to open the workstation, or why the connection failed; nothing otherwise.
pub(super) fn messages(card: Card) -> impl IntoView {
    let dismiss = move |_| card.connect.set(Connecting::Idle);
    move || {
        match card.connect.get() {
        Connecting::Idle | Connecting::Waiting => ().into_any(),
        Connecting::Link(url) => view! {
            <p class="panel">"Your workstation is ready. "
                <a href=url target="_blank" rel="noopener noreferrer" on:click=dismiss>"Open workstation"</a></p>
        }
        .into_any(),
        Connecting::Failed(message) => view! {
            <p class="panel error" role="alert">{message}" "
                <button on:click=dismiss>"Dismiss"</button></p>
        }
        .into_any(),
    }
    }
}
