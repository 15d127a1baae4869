//! The sandbox crate's integration tests, one binary: object semantics against what a real API
//! server (v1.32) does, and fidelity over HTTP judged by the real `kubectl` and kube-rs.

mod auth;
mod engine_agrees;
mod engine_defaults;
mod engine_gitops_managers;
mod engine_merge_lists;
mod kube_rs;
mod kubectl;
mod kubectl_create;
mod metadata_only;
mod objects;
// Shared with the core crate's engine tests (realistic Deployments, the pair/verdict check).
#[path = "../../../kubedrift-core/tests/it/shared.rs"]
mod shared;
mod tls;
mod writes;
