//! The page header: the title, who is signed in (with an "admin" label for the admin
//! role), the theme switch and the switch for desktop notifications.

use crate::portal::Portal;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Moves the theme on: automatic → light → dark → automatic, and remembers the choice.
fn cycle_theme() {
    let Some(root) = document().document_element() else {
        return;
    };
    let next = match root.get_attribute("data-theme").as_deref() {
        None => "light",
        Some("light") => "dark",
        _ => "auto",
    };
    let storage = window().local_storage().ok().flatten();
    if next == "auto" {
        let _ = root.remove_attribute("data-theme");
        storage.map(|s| s.remove_item("theme"));
    } else {
        let _ = root.set_attribute("data-theme", next);
        storage.map(|s| s.set_item("theme", next));
    }
}

#[component]
pub fn Header() -> impl IntoView {
    let portal = expect_context::<Portal>();
    // Permission can only be asked from a click.
    let enable_notifications = move |_| {
        if let Ok(promise) = web_sys::Notification::request_permission() {
            spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
                portal.notify.set(
                    web_sys::Notification::permission() == web_sys::NotificationPermission::Granted,
                );
            });
        }
    };
    view! {
        <header class="top">
            <h1>"Your workstations"</h1>
            <span class="who">{move || portal.user.get()}</span>
            {move || portal.admin.get().then(|| view! { <span class="role">"admin"</span> })}
            <button class="quiet" data-extra="sharedWithMe">"Shared with me"</button>
            <button class="quiet" on:click=move |_| cycle_theme() aria-label="Switch between automatic, light and dark theme">"Theme"</button>
            <button class="quiet" on:click=enable_notifications disabled=move || portal.notify.get()>
                {move || if portal.notify.get() { "Notifications on" } else { "Notify me" }}
            </button>
        </header>
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// What the header says, once `me` has answered for `user`.
    async fn header_text(user: &str, admin: bool) -> (String, Option<String>) {
        let host = document().create_element("div").unwrap();
        document().body().unwrap().append_child(&host).unwrap();
        let portal = Portal::new();
        let _mounted = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
            provide_context(portal);
            view! { <Header /> }
        });
        // As in the app: the header is up before `me` answers.
        portal.user.set(user.to_owned());
        portal.admin.set(admin);
        leptos::task::tick().await;
        let who = host.query_selector(".who").unwrap().unwrap();
        let role = host.query_selector(".role").unwrap();
        (
            who.text_content().unwrap(),
            role.and_then(|r| r.text_content()),
        )
        // `_mounted` unmounts here, leaving the next test a clean page.
    }

    #[wasm_bindgen_test]
    async fn the_header_labels_an_admin_and_only_an_admin() {
        assert_eq!(
            header_text("carol", true).await,
            ("carol".into(), Some("admin".into()))
        );
        assert_eq!(header_text("alice", false).await, ("alice".into(), None));
    }
}
