//! The core crate's integration tests, one binary: the engine on realistic objects (as an API
//! server returns them) and manifest parsing. No kubectl, no git, no network.

mod engine_compare;
mod engine_defaults;
mod engine_diff;
mod engine_gitops_managers;
mod engine_health;
mod manifest;
mod shared;
