//! Actions that change things: sync (apply, prune), promotion (git), plus `wait` and the
//! audit log. Headless first: the CLI commands and the TUI's `s`/`p` keys drive the same
//! library API — build a plan (pure data), show it, confirm, execute with a capability.
//!
//! Every write takes a capability from [`capability`]; nothing else can make one.

pub mod audit;
pub mod capability;
pub mod promote;
pub mod sync;
pub mod wait;

pub use capability::{GitWriteCapability, ReadOnly, Session, WriteCapability};
