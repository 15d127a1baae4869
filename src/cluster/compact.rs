//! Objects kept for the life of the live layer (every live object of every watched kind,
//! every desired object) are compacted once when they arrive: every JSON object and array is
//! rebuilt with exactly the capacity it needs.
//!
//! Why: a `serde_json::Value` built by serialization or parsing grows its maps and arrays by
//! doubling, and with `preserve_order` (an `IndexMap`) each unused map slot costs a whole
//! entry (hash + key + value, ~100 bytes). Kubernetes objects are mostly small maps (a
//! managedFields `fieldsV1` tree is almost only one-entry maps), so the spare capacity was a
//! large part of what each stored object cost. The content is unchanged (the result is `==`
//! to the input), so no verdict, health or attribution can change.

use serde_json::{Map, Value};

/// `value` with every map and array (recursively) at exactly its length.
pub fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut exact = Map::with_capacity(map.len());
            for (key, child) in map {
                exact.insert(shrunk(key), compact(child));
            }
            Value::Object(exact)
        }
        Value::Array(items) => {
            let mut exact = Vec::with_capacity(items.len());
            exact.extend(items.into_iter().map(compact));
            Value::Array(exact)
        }
        Value::String(text) => Value::String(shrunk(text)),
        other => other,
    }
}

fn shrunk(mut text: String) -> String {
    text.shrink_to_fit();
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_and_order_are_unchanged() {
        let original = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"z": "1", "a": "2"},
                "managedFields": [{"manager": "kubedrift", "operation": "Apply",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {
                        "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}}}}}]},
            "spec": {"replicas": 2, "ports": [80, 443], "empty": {}, "none": null, "ok": true},
        });
        let compacted = compact(original.clone());
        assert_eq!(compacted, original);
        assert_eq!(
            serde_json::to_string(&compacted).unwrap(),
            serde_json::to_string(&original).unwrap(),
            "key order is kept"
        );
    }
}
