//! The resync-rs demo: an orders API whose `POST /orders` is made safe to retry by the whole
//! stack (request ids and problem responses, HTTP metrics, and the idempotency layer on a
//! durable local store or Redis).
//!
//! Run it with `cargo xtask demo`, which starts the server and plays a scripted scenario against
//! it, or alone with `cargo run -p demo-server`.

mod admin;
pub mod app;
pub mod backend;
pub mod cli;
pub mod config;
mod health;
pub mod load;
pub mod orders;
pub mod scenario;

/// The workspace README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
