//! kubedrift's pure core: everything that decides "does the cluster match Git", with no I/O.
//!
//! Data in, data out: manifests are parsed from bytes ([`manifest`]), compared with live
//! objects by the [`engine`] (normalize, compare, health, attribution, ownership, ignore, mask,
//! diff), and folded into the published state by the [`state`] reducer. No async runtime, no
//! Kubernetes client, no Git, no processes, no clock: the app crate (`kubedrift`) does the I/O
//! and feeds this crate plain data (see ARCHITECTURE.md).

// Never panic on input: no unwrap/expect/panic outside tests (`cargo clippy` enforces it).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod engine;
pub mod manifest;
pub mod model;
pub mod source;
pub mod state;
