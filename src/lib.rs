//! studio-portal: the Leptos front end where artists list, start, stop and connect to
//! their cloud workstations.
//!
//! Data flows one way: `app` lays out the page from `components`; both read the shared
//! state from `portal`; `connect` runs the Connect flow; `live` listens for changes and
//! `sessions` keeps the list current with them (or with `app`'s polls); `api` is the typed
//! client; `intent` says what an artist may ask of a workstation, and `logic` holds the
//! other decisions. Those two are tested natively, without a browser. `workstation` is what
//! the page reads of a session. A module imports only those below it in this order
//! (`cargo xtask tidy` checks): `app`, `components`, `live` and `connect`, `sessions`,
//! `portal`, `api`, then `logic` and `intent`, then `workstation`.

pub mod api;
pub mod app;
pub mod components;
pub mod connect;
pub mod intent;
pub mod live;
pub mod logic;
pub mod portal;
pub mod sessions;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod theme_contrast;
pub mod workstation;

pub use app::mount;

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
