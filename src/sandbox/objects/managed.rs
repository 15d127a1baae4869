//! managedFields bookkeeping for non-apply writes (create, update, patch).

use serde_json::Value;

/// Record in `new.metadata.managedFields` that `manager` wrote the fields that differ between
/// `old` (None on create) and `new`, with `operation` ("Update") at `now` (RFC 3339), taking
/// those fields away from other managers, as a real API server does.
pub fn record_write(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    operation: &str,
    now: &str,
) {
    let _ = (old, new, manager, operation, now);
}
