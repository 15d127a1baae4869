//! kubedrift: live, multi-cluster GitOps sync inspection.
//!
//! Data flows one way: sources (`git`, `render`, `cluster`) → the pure core (`kubedrift-core`:
//! `engine`, `state`) → snapshot + change stream (`live`) → views (`cli`, the TUI). See
//! ARCHITECTURE.md.
//!
//! The core crate's modules are re-exported here under their own names (as kube re-exports
//! kube-core), so the app and its users write `kubedrift::engine::…` whichever crate holds it.

// Never panic on input: no unwrap/expect/panic outside tests (`cargo clippy` enforces it).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub use kubedrift_core::{engine, manifest, model, source, state};
#[cfg(feature = "sandbox")]
pub use kubedrift_sandbox as sandbox;

pub mod actions;
// wait4 (peak RSS of child processes) is Unix.
#[cfg(all(feature = "sandbox", unix))]
pub mod bench;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod controllers;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod desired;
pub mod git;
pub mod init;
pub mod live;
pub mod local_source;
pub mod render;
// A watching kubedrift answers `diff` over a Unix socket.
#[cfg(unix)]
pub mod serve;
pub mod tui;
