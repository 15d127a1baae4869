//! Pure object logic of the sandbox API server: what a real API server does to an object on
//! every write, without any I/O. The HTTP layer calls these; tests call them directly.
//!
//! Order of a write, as a real server does it (and as managedFields then look like a real
//! server's); `api_server::ApiServer` runs it for every create, update, patch, apply and `/scale`:
//! - create / update / patch: build the new object (`merge::*` for patches) →
//!   `defaults::apply_defaults` → `defaults::fold_secret_string_data` (request decoding) →
//!   `managed::record_write` (or `record_write_subresource`) → admission and storage, owned by
//!   nobody: `defaults::mount_service_account_token` (Pod create only),
//!   `defaults::keep_allocated_service_values` (Service update), `defaults::apply_server_fields`,
//!   then the cluster allocates what is still missing (`defaults::allocate_cluster_ip`,
//!   `allocate_node_ports`, `allocate_health_check_node_port`) → store.
//! - server-side apply: `apply::server_side_apply` (records its own managedFields, including
//!   the `f:stringData` it was sent) → `defaults::apply_defaults` → the same admission and
//!   storage steps (the Secret fold among them) → store.
//! - A write whose result equals the stored object is a no-op: nothing stored, no new
//!   resourceVersion.
//!
//! `controller::reconcile` later moves status like a cluster's controllers would.

pub mod apply;
pub mod controller;
pub mod defaults;
pub mod fieldset;
pub mod managed;
pub mod merge;
pub mod schema;
