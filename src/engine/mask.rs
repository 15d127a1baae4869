//! Secret masking: values never shown, changes stay visible.

use serde_json::Value;

/// True if `obj` is a core/v1 Secret.
pub fn is_secret(obj: &Value) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some("Secret")
        && obj.get("apiVersion").and_then(Value::as_str) == Some("v1")
}

/// Mask the Secret values of both sides consistently: equal values get equal masks, distinct
/// values distinct masks. Keys stay visible. Non-Secrets are left untouched.
pub fn mask_secret_pair(desired: Option<&mut Value>, live: Option<&mut Value>) {
    let _ = (desired, live);
}
