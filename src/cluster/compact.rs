//! [`compact`]: every JSON object and array rebuilt with exactly the capacity it needs. The
//! state no longer keeps trees for long: live objects are kept as compact text
//! (`state::LiveObject`, after [`pack_managed_fields`]) and so are desired objects
//! (`DesiredResource`); the compacted forms remain for the memory bench's comparison.
//!
//! Why: a `serde_json::Value` built by serialization or parsing grows its maps and arrays by
//! doubling, and with `preserve_order` (an `IndexMap`) each unused map slot costs a whole
//! entry (hash + key + value, ~100 bytes). Kubernetes objects are mostly small maps (a
//! managedFields `fieldsV1` tree is almost only one-entry maps), so the spare capacity was a
//! large part of what each stored object cost. The content is unchanged (the result is `==`
//! to the input), so no verdict, health or attribution can change.

use serde_json::{Map, Value};

/// A live object as the live store kept it before objects were stored as text (the memory
/// bench compares the two; a test checks packed sets give the same verdicts): every
/// managedFields `fieldsV1` set as its JSON text (read back by `engine::managed::fields_v1`,
/// which accepts either form), the entries' unread `apiVersion` and `fieldsType: FieldsV1`
/// dropped, then [`compact`]ed. A fieldsV1 tree is almost only one-entry maps; as parsed values each costs
/// ~8× its text, and it was a third of what a stored object cost. Verdicts, health and
/// attribution read the same sets either way.
pub fn compact_live(mut object: Value) -> Value {
    pack_managed_fields(&mut object);
    compact(object)
}

/// The managedFields part of [`compact_live`]: each entry's `fieldsV1` as its JSON text, the
/// unread `apiVersion` and `fieldsType: FieldsV1` dropped. Also what the live state stores as
/// text (`state::LiveObject`): a packed set reads back as one string instead of a tree of
/// one-entry maps, and only our own Apply entry's set is ever read again.
pub fn pack_managed_fields(object: &mut Value) {
    let entries = object
        .get_mut("metadata")
        .and_then(|m| m.get_mut("managedFields"))
        .and_then(Value::as_array_mut);
    for entry in entries.into_iter().flatten() {
        if let Some(entry) = entry.as_object_mut() {
            // Never read: the entry's apiVersion, and fieldsType when it is the only type
            // there is (a missing fieldsType is read as FieldsV1).
            entry.shift_remove("apiVersion");
            if entry.get("fieldsType").and_then(Value::as_str) == Some("FieldsV1") {
                entry.shift_remove("fieldsType");
            }
        }
        if let Some(fields) = entry.get_mut("fieldsV1") {
            if fields.is_object() {
                if let Ok(text) = serde_json::to_string(fields) {
                    *fields = Value::String(text);
                }
            }
        }
    }
}

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

    /// Where packing fieldsV1 could break something: three-way compare (our Apply entry says
    /// what we applied) and attribution (every entry says who wrote what). Both must give the
    /// same answers on the packed object as on the object as served.
    #[test]
    fn verdicts_and_attribution_are_the_same_with_packed_managed_fields() {
        use crate::engine::attribution::attribute;
        use crate::engine::compare::{compare, CompareOptions, Verdict};
        let desired = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "web", "image": "web:1.4.2"}]}}}});
        let entry = |manager: &str, operation: &str, fields: Value| {
            json!({"manager": manager, "operation": operation, "apiVersion": "apps/v1",
                   "time": "2026-12-06T05:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields})
        };
        let live = |replicas: i64, image: &str, extra: Value| {
            let mut ours = json!({"f:spec": {"f:replicas": {},
                "f:revisionHistoryLimit": {},
                "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}});
            if replicas != 2 {
                // The API server moved replicas to the manager that changed them.
                if let Some(spec) = ours["f:spec"].as_object_mut() {
                    spec.remove("f:replicas");
                }
            }
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop", "uid": "u1",
                    "resourceVersion": "7", "generation": 3,
                    "managedFields": [
                        entry("kubedrift", "Apply", ours),
                        entry("kubectl-edit", "Update", json!({"f:spec": {"f:replicas": {}}})),
                        extra,
                    ]},
                "spec": {"replicas": replicas, "revisionHistoryLimit": 5,
                    "template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
                "status": {"observedGeneration": 3, "replicas": 2}})
        };
        let status_entry = entry(
            "kube-controller-manager",
            "Update",
            json!({"f:status": {"f:replicas": {}}}),
        );
        let cases = [
            // In sync (revisionHistoryLimit was applied by us and Git dropped it: three-way
            // says drift, which must stay so).
            live(2, "web:1.4.2", status_entry.clone()),
            // Replicas changed by kubectl edit: attribution names it.
            live(5, "web:1.4.2", status_entry.clone()),
            live(2, "web:1.5.0", status_entry),
        ];
        let opts = CompareOptions::default();
        let mut verdicts = Vec::new();
        for served in cases {
            let packed = compact_live(served.clone());
            assert!(packed["metadata"]["managedFields"][0]["fieldsV1"].is_string());
            let verdict = compare(Some(&desired), Some(&served), &opts);
            assert_eq!(compare(Some(&desired), Some(&packed), &opts), verdict);
            if let Verdict::OutOfSync { paths } = &verdict {
                let attribution = attribute(&desired, &packed, paths, "kubedrift");
                assert_eq!(
                    attribution,
                    attribute(&desired, &served, paths, "kubedrift")
                );
                if served["spec"]["replicas"] == 5 {
                    assert!(
                        attribution.managers().contains(&"kubectl-edit"),
                        "{attribution:?}"
                    );
                }
            }
            verdicts.push(verdict);
        }
        // The cases really exercise three-way and attribution.
        assert!(
            verdicts
                .iter()
                .all(|v| matches!(v, Verdict::OutOfSync { .. })),
            "{verdicts:?}"
        );
    }
}
