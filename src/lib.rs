//! kubedrift: live, multi-cluster GitOps sync inspection.
//!
//! Data flows one way: sources (`git`, `render`, `cluster`) → `engine` (pure) → `state`
//! (snapshot + change stream) → views (`cli`, later the TUI). See ARCHITECTURE.md.

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
pub mod tui;
