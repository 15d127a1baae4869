//! An object kept for a long time (every live object the watchers cache) as its compact JSON
//! text, read back into a `Value` only when a verdict is computed or the object is shown.
//!
//! Why: a parsed `serde_json::Value` (with `preserve_order`, every map an `IndexMap`) costs
//! about three times the object's JSON text: each map entry is a bucket (hash, key, value), a
//! hash slot and a heap string for its key. A heap profile of `status` at 50k objects showed
//! ~5.9 KB per stored live object against ~1.9 KB of JSON text. Reading an object back is
//! paid once per evaluation, which is a small part of what the compare itself costs.
//!
//! The text is never shown: `Debug` says only how large it is (the object may be a Secret).

use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// An immutable JSON object, stored compactly. `value()` gives back exactly the object it was
/// made from (same content, same key order).
#[derive(Clone, PartialEq)]
pub struct StoredObject(Repr);

#[derive(Clone, PartialEq)]
enum Repr {
    /// The compact JSON text.
    Text(Box<str>),
    /// A value whose text might not read back equal: nested deeper than the JSON reader
    /// accepts (128 levels), or holding a non-integer number (read back as the nearest double,
    /// which the reader does not guarantee to be the one written). Kubernetes objects almost
    /// never are either.
    Tree(Box<Value>),
}

/// Deepest nesting kept as text; serde_json's reader refuses more than 128 levels.
const MAX_TEXT_DEPTH: usize = 100;

impl StoredObject {
    pub fn new(value: Value) -> Self {
        if reads_back_from_text(&value, 0) {
            if let Ok(text) = serde_json::to_string(&value) {
                return StoredObject(Repr::Text(text.into_boxed_str()));
            }
        }
        StoredObject(Repr::Tree(Box::new(value)))
    }

    /// The object as a `Value` (read from the text each time: keep it only while needed).
    pub fn value(&self) -> Cow<'_, Value> {
        match &self.0 {
            // The text was written from a value that reads back (see `new`), so reading
            // cannot fail; Null would only say the impossible happened, never panic.
            Repr::Text(text) => Cow::Owned(serde_json::from_str(text).unwrap_or(Value::Null)),
            Repr::Tree(value) => Cow::Borrowed(value),
        }
    }

    /// Bytes of the stored form (the text, or 0 for a kept tree), for measurements.
    pub fn text_len(&self) -> usize {
        match &self.0 {
            Repr::Text(text) => text.len(),
            Repr::Tree(_) => 0,
        }
    }
}

impl From<Value> for StoredObject {
    fn from(value: Value) -> Self {
        StoredObject::new(value)
    }
}

impl fmt::Debug for StoredObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(text) => write!(f, "StoredObject(<{} bytes hidden>)", text.len()),
            Repr::Tree(_) => write!(f, "StoredObject(<tree hidden>)"),
        }
    }
}

/// Whether `value`'s JSON text reads back to an equal value.
fn reads_back_from_text(value: &Value, depth: usize) -> bool {
    match value {
        Value::Object(map) => {
            depth < MAX_TEXT_DEPTH && map.values().all(|v| reads_back_from_text(v, depth + 1))
        }
        Value::Array(items) => {
            depth < MAX_TEXT_DEPTH && items.iter().all(|v| reads_back_from_text(v, depth + 1))
        }
        Value::Number(n) => !n.is_f64(),
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((".*", inner), 0..8)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    fn text_of(value: &Value) -> String {
        serde_json::to_string(value).unwrap()
    }

    proptest! {
        /// Any JSON value reads back equal and in the same key order.
        #[test]
        fn any_value_reads_back_the_same(value in any_json()) {
            let stored = StoredObject::new(value.clone());
            let back = stored.value();
            prop_assert_eq!(back.as_ref(), &value);
            prop_assert_eq!(text_of(&back), text_of(&value));
        }
    }

    #[test]
    fn objects_are_kept_as_text_and_deep_or_float_values_as_trees() {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "labels": {"z": "1", "a": "2"}}, "data": {"k": "v"}});
        let stored = StoredObject::new(object.clone());
        assert_eq!(stored.text_len(), text_of(&object).len());
        assert_eq!(stored.value().as_ref(), &object);

        let float = json!({"spec": {"ratio": 0.1}});
        assert_eq!(StoredObject::new(float.clone()).text_len(), 0);
        assert_eq!(StoredObject::new(float.clone()).value().as_ref(), &float);

        let mut deep = json!("leaf");
        for _ in 0..200 {
            deep = json!([deep]);
        }
        let stored = StoredObject::new(deep.clone());
        assert_eq!(stored.text_len(), 0);
        assert_eq!(stored.value().as_ref(), &deep);
    }

    #[test]
    fn debug_shows_no_content() {
        let secret = json!({"kind": "Secret", "data": {"password": "czNjcjN0"}});
        let debug = format!("{:?}", StoredObject::new(secret));
        assert!(
            !debug.contains("czNjcjN0") && !debug.contains("password"),
            "{debug}"
        );
    }
}
