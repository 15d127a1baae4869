//! Pure object logic of the sandbox API server: what a real API server does to an object on
//! every write, without any I/O. The HTTP layer calls these; tests call them directly.
//!
//! Order of a write, as the server should call these: patch (`merge`) or apply (`apply`) →
//! `defaults::apply_defaults` → `managed::record_write` (not for apply, which records its own
//! entry) → store; `controller::reconcile` later moves status like a cluster would.

pub mod apply;
pub mod controller;
pub mod defaults;
pub mod fieldset;
pub mod managed;
pub mod merge;
pub mod schema;
