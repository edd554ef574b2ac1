//! studio-portal: the Leptos front end where artists list, start, stop and connect to
//! their cloud workstations. `logic` holds the decisions (tested without a DOM), `api` the
//! typed client, `components` and `app` the views.

pub mod api;
pub mod app;
pub mod components;
pub mod logic;
#[cfg(test)]
mod theme_contrast;

pub use app::mount;

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
