//! Sandbox clusters: in-process Kubernetes API servers speaking the real REST API.
//!
//! `objects` holds the pure object logic (defaulting, patches, server-side apply and
//! managedFields, the status controller); the rest is the HTTP server around it.

pub mod kubeconfig;
pub mod objects;
pub mod table;
pub mod tls;
