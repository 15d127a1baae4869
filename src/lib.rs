//! kubedrift: live, multi-cluster GitOps sync inspection.
//!
//! Data flows one way: sources (`git`, `render`, `cluster`) → `engine` (pure) → `state`
//! (snapshot + change stream) → views (`cli`, later the TUI). See ARCHITECTURE.md.

// Never panic on input: no unwrap/expect/panic outside tests (`cargo clippy` enforces it).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cli;
pub mod cluster;
pub mod config;
pub mod desired;
pub mod engine;
pub mod git;
pub mod manifest;
pub mod model;
pub mod render;
pub mod sandbox;
pub mod source;
pub mod state;
