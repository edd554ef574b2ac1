//! Hardening: each module holds the tests of one defect found by an attack on portal-proxy,
//! written to fail before its fix. Shared helpers are in `common.rs`.

mod admin_reason;
mod audit_capture;
mod audit_disconnect;
mod common;
mod data_file_modes;
mod embedded_credential;
mod hsts;
mod indistinguishable;
mod login_bounds;
mod login_flood;
mod metrics_access;
mod public_origin;
mod read_after_write;
mod refusal_metrics;
mod removed_user;
mod sign_ins_survive_restart;
mod sign_out_ends_streams;
mod slow_bodies;
mod slow_upstream;
mod trusted_header;
