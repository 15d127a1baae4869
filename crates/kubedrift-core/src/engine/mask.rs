//! Secret masking: values never shown, changes stay visible.
//!
//! Every value under a Secret's `data` and `stringData` is replaced by a run of `+` characters
//! (Argo CD's convention). Keys stay visible. Within one call, masks are allocated per key:
//! the first distinct value of a key gets `++++++++` (8), the next distinct value of the same
//! key 9 `+`, and so on. Values are compared by their decoded bytes, so `data.password`
//! (base64) and `stringData.password` (plain text) holding the same secret get the same mask,
//! while a changed value gets a different one: the diff shows *that* a value changed, never
//! *what* it is.
//!
//! Masks are per key (not global) on purpose, as in Argo CD: a global table would reveal that
//! two different keys hold the same value.
//!
//! Other places a Secret's values hide are masked too:
//! - the `kubectl.kubernetes.io/last-applied-configuration` annotation (client-side apply
//!   stores the whole manifest, plaintext `stringData` included): parsed and masked with the
//!   same tables, or replaced by a mask when it is not valid JSON;
//! - Secrets inside a `List` (`items`), at any depth.

use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The annotation `kubectl apply` (client-side) writes with the full applied manifest.
pub use crate::engine::schema::LAST_APPLIED_ANNOTATION;

/// Length of the first mask; later distinct values of the same key get one `+` more each.
const FIRST_MASK_LEN: usize = 8;

/// Pseudo-key under which values that are not a key→value map are masked (a malformed `data`
/// that is a string or a list, or an unparseable last-applied annotation). It cannot collide
/// with a real data key: Secret keys must match `[-._a-zA-Z0-9]+`.
const WHOLE_FIELD_KEY: &str = "\0whole-field";

/// True if `obj` is a core/v1 Secret (a missing apiVersion counts as core: better to mask a
/// malformed manifest than to print it).
pub fn is_secret(obj: &Value) -> bool {
    let core_group = match obj.get("apiVersion") {
        Some(Value::String(api_version)) => api_version == "v1" || api_version.is_empty(),
        // Absent or malformed: not provably some other group's "Secret", so mask.
        _ => true,
    };
    core_group && obj.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// True if `obj` is a list of objects (`v1/List`, `SecretList`, ...): a kind ending in `List`
/// with an `items` array.
fn is_list(obj: &Value) -> bool {
    obj.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && obj.get("items").is_some_and(Value::is_array)
}

/// Mask the Secret values of both sides consistently: equal values get equal masks, distinct
/// values distinct masks. Keys stay visible. Non-Secrets are left untouched.
pub fn mask_secret_pair(desired: Option<&mut Value>, live: Option<&mut Value>) {
    let mut masker = Masker::default();
    if let Some(obj) = desired {
        masker.mask_object(obj);
    }
    if let Some(obj) = live {
        masker.mask_object(obj);
    }
}

/// Mask the Secret values of one object (for outputs that print a single side).
pub fn mask_secret(obj: &mut Value) {
    Masker::default().mask_object(obj);
}

/// What a secret value is compared by. Decoded bytes for valid base64 `data` and for
/// `stringData`; the raw JSON text for anything that cannot be decoded, kept apart so that an
/// undecodable value never equals a decodable one by accident.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ValueIdentity {
    Bytes(Vec<u8>),
    Undecodable(String),
}

/// Mask tables for one masking pass: per key, the distinct values seen so far in order.
#[derive(Default)]
struct Masker {
    seen: BTreeMap<String, Vec<ValueIdentity>>,
}

impl Masker {
    /// The mask for `identity` under `key`, allocating the next length on first sight.
    fn mask_for(&mut self, key: &str, identity: ValueIdentity) -> String {
        let values = self.seen.entry(key.to_string()).or_default();
        let index = match values.iter().position(|v| *v == identity) {
            Some(index) => index,
            None => {
                values.push(identity);
                values.len() - 1
            }
        };
        "+".repeat(FIRST_MASK_LEN + index)
    }

    fn mask_object(&mut self, obj: &mut Value) {
        if is_list(obj) {
            if let Some(Value::Array(items)) = obj.get_mut("items") {
                for item in items {
                    self.mask_object(item);
                }
            }
        }
        if !is_secret(obj) {
            return;
        }
        if let Some(map) = obj.as_object_mut() {
            self.mask_secret_map(map);
        }
    }

    /// Mask `data`, `stringData` and the last-applied annotation of a Secret's JSON map.
    fn mask_secret_map(&mut self, map: &mut Map<String, Value>) {
        if let Some(data) = map.get_mut("data") {
            self.mask_field(data, decode_base64_value);
        }
        if let Some(string_data) = map.get_mut("stringData") {
            self.mask_field(string_data, plain_value);
        }
        let annotation = map
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(|a| a.get_mut(LAST_APPLIED_ANNOTATION));
        if let Some(annotation) = annotation {
            self.mask_last_applied(annotation);
        }
    }

    /// Mask every value of a `data`/`stringData` field. A well-formed field is a map; anything
    /// else (a string, a list) is masked as a whole so nothing inside can leak.
    fn mask_field(&mut self, field: &mut Value, identify: fn(&Value) -> ValueIdentity) {
        match field {
            Value::Object(entries) => {
                for (key, value) in entries.iter_mut() {
                    let mask = self.mask_for(key, identify(value));
                    *value = Value::String(mask);
                }
            }
            Value::Null => {}
            other => {
                let mask = self.mask_for(WHOLE_FIELD_KEY, raw_identity(other));
                *other = Value::String(mask);
            }
        }
    }

    /// The annotation holds the JSON manifest last applied by `kubectl apply`. Mask the Secret
    /// inside with the same tables (so an unchanged value keeps its mask everywhere); if it is
    /// not a JSON object, replace the whole annotation by a mask.
    fn mask_last_applied(&mut self, annotation: &mut Value) {
        let parsed = annotation
            .as_str()
            .and_then(|text| serde_json::from_str::<Value>(text).ok());
        match parsed {
            Some(Value::Object(mut inner)) => {
                // Whatever kind it claims, it is the content of a Secret's annotation: mask it
                // as a Secret.
                self.mask_secret_map(&mut inner);
                match serde_json::to_string(&Value::Object(inner)) {
                    Ok(text) => *annotation = Value::String(text),
                    Err(_) => self.mask_annotation_whole(annotation),
                }
            }
            _ => self.mask_annotation_whole(annotation),
        }
    }

    fn mask_annotation_whole(&mut self, annotation: &mut Value) {
        let key = format!("{WHOLE_FIELD_KEY}:{LAST_APPLIED_ANNOTATION}");
        let mask = self.mask_for(&key, raw_identity(annotation));
        *annotation = Value::String(mask);
    }
}

/// Identity of a `data` value: its decoded bytes, or its raw text when it is not valid base64.
fn decode_base64_value(value: &Value) -> ValueIdentity {
    match value.as_str() {
        Some(text) => match base64::engine::general_purpose::STANDARD.decode(text) {
            Ok(bytes) => ValueIdentity::Bytes(bytes),
            Err(_) => ValueIdentity::Undecodable(text.to_string()),
        },
        None => raw_identity(value),
    }
}

/// Identity of a `stringData` value: its UTF-8 bytes.
fn plain_value(value: &Value) -> ValueIdentity {
    match value.as_str() {
        Some(text) => ValueIdentity::Bytes(text.as_bytes().to_vec()),
        None => raw_identity(value),
    }
}

/// Identity of a value that is not a string: its JSON text.
fn raw_identity(value: &Value) -> ValueIdentity {
    ValueIdentity::Undecodable(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live_secret() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "db-credentials",
                "namespace": "shop",
                "uid": "6c1f0d1e-8a53-4a5e-9d1b-0c2f6a0b9e11",
                "resourceVersion": "184467",
                "creationTimestamp": "2026-03-02T10:11:12Z",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration":
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"annotations\":{},\"name\":\"db-credentials\",\"namespace\":\"shop\"},\"stringData\":{\"password\":\"hunter2-prod\",\"username\":\"shop\"},\"type\":\"Opaque\"}\n"
                },
                "managedFields": [{
                    "manager": "kubectl-client-side-apply",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": "2026-03-02T10:11:12Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {".": {}, "f:password": {}, "f:username": {}}, "f:type": {}}
                }]
            },
            "data": {"password": "aHVudGVyMi1wcm9k", "username": "c2hvcA=="},
            "type": "Opaque"
        })
    }

    fn desired_secret(password: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db-credentials", "namespace": "shop"},
            "stringData": {"password": password, "username": "shop"},
            "type": "Opaque"
        })
    }

    fn assert_no_leak(obj: &Value, secrets: &[&str]) {
        let text = obj.to_string();
        for secret in secrets {
            assert!(!text.contains(secret), "{secret:?} leaked in {text}");
        }
    }

    #[test]
    fn equal_decoded_values_get_equal_masks_across_data_and_string_data() {
        let mut desired = desired_secret("hunter2-prod");
        let mut live = live_secret();
        mask_secret_pair(Some(&mut desired), Some(&mut live));
        assert_eq!(desired["stringData"]["password"], "++++++++");
        assert_eq!(live["data"]["password"], "++++++++");
        assert_eq!(live["data"]["username"], "++++++++");
        let secrets = ["hunter2-prod", "aHVudGVyMi1wcm9k", "c2hvcA=="];
        assert_no_leak(&desired, &secrets);
        assert_no_leak(&live, &secrets);
    }

    #[test]
    fn changed_value_gets_a_longer_mask_and_last_applied_is_masked_consistently() {
        let mut desired = desired_secret("correct-horse");
        let mut live = live_secret();
        mask_secret_pair(Some(&mut desired), Some(&mut live));
        assert_eq!(desired["stringData"]["password"], "++++++++");
        assert_eq!(live["data"]["password"], "+++++++++");
        let annotation = live["metadata"]["annotations"][LAST_APPLIED_ANNOTATION]
            .as_str()
            .unwrap_or_default();
        let inner: Value = serde_json::from_str(annotation).unwrap_or(Value::Null);
        assert_eq!(inner["stringData"]["password"], "+++++++++");
        assert_eq!(inner["stringData"]["username"], "++++++++");
        assert_no_leak(
            &live,
            &["hunter2-prod", "aHVudGVyMi1wcm9k", "correct-horse"],
        );
        assert_no_leak(&desired, &["correct-horse"]);
    }

    #[test]
    fn invalid_base64_and_malformed_fields_are_masked_without_panic() {
        let mut obj = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "broken", "namespace": "shop",
                         "annotations": {LAST_APPLIED_ANNOTATION: "{not json: s3cr3t"}},
            "data": {"token": "!!not-base64!!", "count": 42, "empty": null},
            "stringData": "raw-s3cr3t"
        });
        mask_secret(&mut obj);
        assert_eq!(obj["data"]["token"], "++++++++");
        assert_eq!(obj["data"]["count"], "++++++++");
        assert_eq!(obj["stringData"], "++++++++");
        assert_eq!(
            obj["metadata"]["annotations"][LAST_APPLIED_ANNOTATION],
            "++++++++"
        );
        assert_no_leak(&obj, &["not-base64", "42", "raw-s3cr3t", "s3cr3t"]);
    }

    #[test]
    fn secrets_inside_lists_are_masked_and_other_kinds_untouched() {
        let mut list = json!({
            "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": [
                live_secret(),
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                 "data": {"password": "not-a-secret"}},
                {"apiVersion": "v1", "kind": "List", "items": [desired_secret("nested-pw")]}
            ]
        });
        mask_secret(&mut list);
        assert_no_leak(&list, &["hunter2-prod", "aHVudGVyMi1wcm9k", "nested-pw"]);
        assert_eq!(list["items"][1]["data"]["password"], "not-a-secret");
    }

    #[test]
    fn only_core_secrets_are_secrets() {
        assert!(is_secret(&json!({"apiVersion": "v1", "kind": "Secret"})));
        assert!(is_secret(&json!({"kind": "Secret"})));
        assert!(!is_secret(
            &json!({"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret"})
        ));
        assert!(!is_secret(
            &json!({"apiVersion": "v1", "kind": "ConfigMap"})
        ));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn b64(text: &str) -> String {
            base64::engine::general_purpose::STANDARD.encode(text)
        }

        /// Distinctive secret values: long enough that their plaintext or base64 form cannot
        /// appear in the output by coincidence.
        fn secret_value() -> impl Strategy<Value = String> {
            "pw-[a-zA-Z0-9!@#%]{8,24}"
        }

        proptest! {
            #[test]
            fn no_value_survives_and_masks_follow_equality(
                shared in secret_value(),
                only_desired in secret_value(),
                only_live in secret_value(),
                applied in secret_value(),
                rotate in any::<bool>(),
            ) {
                let desired_password = if rotate { only_desired.clone() } else { shared.clone() };
                let last_applied = json!({
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "s", "namespace": "n"},
                    "stringData": {"password": applied.clone(), "token": only_live.clone()}
                }).to_string();
                let mut desired = json!({
                    "apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "s", "namespace": "n"},
                    "stringData": {"password": desired_password.clone()},
                    "data": {"api-key": b64(&only_desired)}
                });
                let mut live = json!({
                    "apiVersion": "v1", "kind": "List",
                    "items": [{
                        "apiVersion": "v1", "kind": "Secret",
                        "metadata": {"name": "s", "namespace": "n", "uid": "0b8c1d2e-3f4a-4b5c-8d6e-7f8a9b0c1d2e",
                                     "annotations": {LAST_APPLIED_ANNOTATION: last_applied}},
                        "data": {"password": b64(&shared), "token": b64(&only_live),
                                 "api-key": b64(&only_desired)}
                    }]
                });
                mask_secret_pair(Some(&mut desired), Some(&mut live));
                let output = format!("{desired} {live} {desired:?} {live:?}");
                for value in [&shared, &only_desired, &only_live, &applied] {
                    prop_assert!(!output.contains(value.as_str()), "plaintext {} survived", value);
                    prop_assert!(!output.contains(&b64(value)), "base64 of {} survived", value);
                }
                let live_secret = &live["items"][0];
                // Equal decoded values, equal masks; distinct values, distinct masks.
                prop_assert_eq!(
                    desired["stringData"]["password"] == live_secret["data"]["password"],
                    desired_password == shared
                );
                prop_assert_eq!(&desired["data"]["api-key"], &live_secret["data"]["api-key"]);
            }
        }
    }
}
