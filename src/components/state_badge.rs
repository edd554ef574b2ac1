//! The state of a workstation as a badge: words for everyone, a colour class on top (never
//! colour alone), and the raw state in `data-state` for tests and styles.

use crate::logic;
use leptos::prelude::*;
use nimble_model::StreamingSessionState;

/// The state in words, with a colour class on top.
#[component]
pub fn StateBadge(#[prop(into)] state: Signal<StreamingSessionState>) -> impl IntoView {
    // One reactive closure for the whole badge: it changes only with the state.
    move || {
        let state = state.get();
        let (words, colour) = logic::badge(&state);
        view! { <span class=format!("badge {colour}") data-state=state.to_string()>{words}</span> }
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_badge_renders_words_a_colour_class_and_the_state() {
        let host = document().create_element("div").unwrap();
        document().body().unwrap().append_child(&host).unwrap();
        let state = RwSignal::new(StreamingSessionState::StopInProgress);
        let _mounted = leptos::mount::mount_to(
            host.clone().unchecked_into(),
            move || view! { <StateBadge state=state /> },
        );
        let span = host.first_element_child().unwrap();
        assert_eq!(span.text_content().unwrap(), "Stopping…");
        assert_eq!(span.get_attribute("class").unwrap(), "badge busy");
        assert_eq!(
            span.get_attribute("data-state").unwrap(),
            "STOP_IN_PROGRESS"
        );
    }
}
