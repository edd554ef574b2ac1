//! The questions a card asks before a change: whether a Stop keeps the files, which
//! backup a Start starts from, and whether Delete is meant. Each is a [`ConfirmPanel`]:
//! what it asks, its content, a confirming button and Cancel.

use super::actions::{Card, Panel};
use super::local_time;
use crate::api::Change;
use crate::logic;
use leptos::prelude::*;

/// A question under a card: what it asks, its content, a confirming button and Cancel.
/// One component (with type-erased children and callbacks) keeps one copy of its code.
#[component]
fn ConfirmPanel(
    legend: String,
    confirm: &'static str,
    danger: bool,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <fieldset class="panel">
            <legend>{legend}</legend>
            {children.map(|children| children())}
            <button class=if danger { "danger" } else { "primary" } on:click=move |_| on_confirm.run(())>{confirm}</button>
            <button class="quiet" on:click=move |_| on_cancel.run(())>"Cancel"</button>
        </fieldset>
    }
}

/// The question the card has open, if any.
pub(super) fn question(card: Card) -> impl IntoView {
    move || {
        let confirm =
            move |change: fn(Card) -> Change| Callback::new(move |()| card.run(change(card)));
        let cancel = Callback::new(move |()| card.panel.set(Panel::None));
        match card.panel.get() {
            Panel::None => ().into_any(),
            Panel::Stop => view! {
                <ConfirmPanel legend="Stop this workstation?".into() confirm="Stop workstation" danger=false
                    on_confirm=confirm(Card::stop) on_cancel=cancel>
                    // Uncontrolled: a fresh panel starts on RETAIN, as `ask_stop` set it. Grouped by
                    // session id, so two cards with the same name do not share one group.
                    <label><input type="radio" name=format!("keep-{}", card.session_id()) checked on:change=move |_| card.retain.set(true) />
                        " Keep my files (recommended): the disk is kept and the workstation starts again as you left it."</label>
                    <label><input type="radio" name=format!("keep-{}", card.session_id()) on:change=move |_| card.retain.set(false) />
                        " Delete my files: the disk is erased; the next start is a fresh workstation."</label>
                </ConfirmPanel>
            }.into_any(),
            Panel::Start(backups) => view! {
                <ConfirmPanel legend="Start from".into() confirm="Start workstation" danger=false
                    on_confirm=confirm(Card::start) on_cancel=cancel>
                    <select aria-label="Backup to start from" on:change=move |ev| card.backup.set(event_target_value(&ev))>
                        <option value="">"Latest state"</option>
                        {backups.into_iter().map(|b| {
                            let id = b.backup_id.clone().unwrap_or_default();
                            let label = format!("Backup of {}", local_time(b.created_at).unwrap_or_default());
                            view! { <option value=id>{label}</option> }
                        }).collect_view()}
                    </select>
                </ConfirmPanel>
            }.into_any(),
            Panel::Delete => view! {
                <ConfirmPanel legend=format!("Delete {}? This cannot be undone.", logic::display_name(&card.session.get()))
                    confirm="Delete workstation" danger=true
                    on_confirm=confirm(|_| Change::Delete) on_cancel=cancel />
            }.into_any(),
        }
    }
}
