//! Pure object logic of the sandbox API server: what a real API server does to an object on
//! every write, without any I/O. The HTTP layer calls these; tests call them directly.
//!
//! Order of a write, as a real server does it (and as managedFields then look like a real
//! server's):
//! - create / update / patch: build the new object (`merge::*` for patches) →
//!   `defaults::apply_defaults` → `managed::record_write` (or `record_write_subresource` for
//!   `/status`) → `defaults::apply_server_fields` → allocate Service IPs / node ports
//!   (`defaults::allocate_cluster_ip`, `defaults::allocate_node_ports`) → store.
//! - server-side apply: `apply::server_side_apply` (records its own managedFields) →
//!   `defaults::apply_defaults` → `defaults::apply_server_fields` → allocate → store.
//!
//! `controller::reconcile` later moves status like a cluster's controllers would.

pub mod apply;
pub mod controller;
pub mod defaults;
pub mod fieldset;
pub mod managed;
pub mod merge;
pub mod schema;
