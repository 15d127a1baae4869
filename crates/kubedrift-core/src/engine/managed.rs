//! What live objects record about who applied what: the `managedFields` entries of a field
//! manager, their `fieldsV1` item keys, and kubectl's last-applied annotation. Compare (three-way)
//! and attribution both read these; this module is their one definition.

use crate::engine::schema;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The `fieldsV1` set of a managedFields entry. Usually a JSON object, as the API server
/// sends it; the live store keeps it as its JSON text instead (a fieldsV1 tree is almost only
/// one-entry maps, which cost ~8× their text as parsed values), parsed here when needed.
/// `None` when absent or not an object (or text of one).
pub fn fields_v1(entry: &Map<String, Value>) -> Option<Cow<'_, Map<String, Value>>> {
    match schema::field_of(entry, "fieldsV1")? {
        Value::Object(fields) => Some(Cow::Borrowed(fields)),
        Value::String(text) => match serde_json::from_str(text) {
            Ok(Value::Object(fields)) => Some(Cow::Owned(fields)),
            _ => None,
        },
        _ => None,
    }
}

/// The `fieldsV1` sets of `manager`'s `Apply` entries for the main resource (a status
/// subresource apply says nothing about the spec we applied), in managedFields order. The API
/// server keeps one Apply entry per manager and subresource, so the first is the one.
pub fn apply_entries<'v>(
    live: &'v Value,
    manager: &'v str,
) -> impl Iterator<Item = Cow<'v, Map<String, Value>>> + 'v {
    live.get("metadata")
        .and_then(Value::as_object)
        .and_then(|m| schema::field_of(m, "managedFields"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter(move |entry| {
            let text = |key: &str| schema::field_of(entry, key).and_then(Value::as_str);
            text("manager") == Some(manager)
                && text("operation") == Some("Apply")
                && text("fieldsType").is_none_or(|t| t == "FieldsV1")
                && text("subresource").is_none_or(str::is_empty)
        })
        .filter_map(fields_v1)
}

/// The text of the `kubectl.kubernetes.io/last-applied-configuration` annotation.
pub fn last_applied_text(live: &Value) -> Option<&str> {
    let metadata = live.get("metadata")?.as_object()?;
    let annotations = schema::field_of(metadata, "annotations")?.as_object()?;
    schema::field_of(annotations, schema::LAST_APPLIED_ANNOTATION)?.as_str()
}

/// The key fields a `fieldsV1` item key names: `k:{"containerPort":8080,"protocol":"TCP"}`
/// → `[("containerPort", 8080), ("protocol", "TCP")]`.
pub fn item_key_fields(name: &str) -> Option<Vec<(String, Value)>> {
    let json = name.strip_prefix("k:")?;
    let map: Map<String, Value> = serde_json::from_str(json).ok()?;
    Some(map.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment after `kubectl apply --server-side --field-manager kubedrift`, a status
    /// update by the controller, and a server-side apply of its status by kubedrift too.
    fn live() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "uid": "0b5cf7a2-3f0e-4d8e-9a51-6b1f8f2c9d11",
                "resourceVersion": "48211",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"Deployment\"}\n"
                },
                "managedFields": [
                    {"manager": "kubedrift", "operation": "Apply", "subresource": "status",
                     "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                     "fieldsV1": {"f:status": {"f:replicas": {}}}},
                    {"manager": "kube-controller-manager", "operation": "Update",
                     "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                     "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                    {"manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1",
                     "time": "2026-11-20T09:14:03Z", "fieldsType": "FieldsV1",
                     "fieldsV1": {"f:spec": {"f:template": {}}}}
                ]
            }
        })
    }

    #[test]
    fn apply_entries_are_the_managers_main_resource_applies() {
        let live = live();
        let entries: Vec<_> = apply_entries(&live, "kubedrift").collect();
        assert_eq!(entries.len(), 1);
        assert!(entries[0].contains_key("f:spec"));
        assert_eq!(apply_entries(&live, "kube-controller-manager").count(), 0);
        assert_eq!(
            apply_entries(&json!({"kind": "Deployment"}), "kubedrift").count(),
            0
        );
    }

    #[test]
    fn last_applied_text_reads_the_annotation() {
        assert_eq!(
            last_applied_text(&live()),
            Some("{\"kind\":\"Deployment\"}\n")
        );
        assert_eq!(
            last_applied_text(&json!({"metadata": {"annotations": {}}})),
            None
        );
        assert_eq!(last_applied_text(&json!("not an object")), None);
    }

    #[test]
    fn item_key_fields_parses_k_entries_only() {
        assert_eq!(
            item_key_fields(r#"k:{"containerPort":8080,"protocol":"TCP"}"#),
            Some(vec![
                ("containerPort".to_string(), json!(8080)),
                ("protocol".to_string(), json!("TCP"))
            ])
        );
        assert_eq!(item_key_fields(r#"f:name"#), None);
        assert_eq!(item_key_fields(r#"k:{"broken""#), None);
        assert_eq!(item_key_fields(r#"k:["name"]"#), None);
    }
}
