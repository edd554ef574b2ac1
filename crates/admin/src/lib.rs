//! studio-admin: the studio's view, for its admins. Every workstation with its owner,
//! filtered and searched, live; Stop, Stop with DELETE and Delete on one or many with a
//! reason the owner is shown; "Stop all idle"; and a month's usage and cost, as a table,
//! a CSV download and a chart of workstations READY at once.
//!
//! It is its own wasm at `/admin/`, which portal-proxy serves to admins only, so artists
//! never load a byte of it. It shares the artists' API client and words (`studio_portal::
//! api`, `logic`) and the wire types of `nimble-model`, but not Leptos: a reactive view
//! layer would put this page over its 120 KB budget (measured: 165 KB gzip), so it writes
//! HTML from its state instead (`view.rs`), as a table of thousands of rows is best drawn
//! anyway.
//!
//! Data flows one way: `view` draws from `state`, `page` turns clicks into changes of it;
//! `fleet` keeps the workstations current, `actions` changes them, `usage_tab` reads the
//! usage. `html`, `filter` and `usage` are the decisions and the drawing, tested natively;
//! `row` is what the page reads of a session.

pub mod actions;
pub mod filter;
pub mod fleet;
pub mod html;
pub mod page;
pub mod row;
pub mod state;
pub mod usage;
pub mod usage_tab;
pub mod view;

pub use page::mount;
