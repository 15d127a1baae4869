//! Sandbox clusters: in-process Kubernetes API servers speaking the real REST API.
//!
//! `objects` holds the pure object logic (defaulting, patches, server-side apply and
//! managedFields, the status controller); the rest is the HTTP server around it.

pub mod auth;
pub mod catalog;
pub mod cluster;
mod control;
pub mod errors;
pub mod faults;
pub mod handle;
pub mod kubeconfig;
pub mod objects;
pub mod openapi;
pub mod protobuf;
pub mod selectors;
pub mod server;
pub mod store;
pub mod table;
pub mod tls;
pub mod watch;

pub use handle::{ClusterHandle, Sandbox, SandboxError, SandboxOptions};
