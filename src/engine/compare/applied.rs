//! The last-applied-configuration annotation, parsed into a light borrowed tree.
//!
//! Three-way compare only needs the *shape* of what was applied (which fields, which keyed
//! items) plus the key values of list items, so the annotation is parsed without building a
//! `serde_json::Value`: strings borrow from the annotation text, maps are plain vectors (no
//! hashing). This keeps the common "nothing removed from Git" case cheap.

use crate::engine::schema::{self, ItemKey, KeySpec};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// A node of the applied manifest.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    List(Vec<Applied<'a>>),
    Map(Vec<(Cow<'a, str>, Applied<'a>)>),
}

impl<'a> Applied<'a> {
    /// Parse the annotation text; `None` unless it is a JSON object.
    pub fn parse(text: &'a str) -> Option<Self> {
        match serde_json::from_str::<Applied<'a>>(text) {
            Ok(applied @ Applied::Map(_)) => Some(applied),
            _ => None,
        }
    }

    /// The owned form of a `serde_json::Value` (used for normalized Secrets).
    pub fn from_value(value: &Value) -> Applied<'static> {
        match value {
            Value::Null => Applied::Null,
            Value::Bool(b) => Applied::Bool(*b),
            Value::Number(n) => Applied::Number(n.clone()),
            Value::String(s) => Applied::String(Cow::Owned(s.clone())),
            Value::Array(items) => Applied::List(items.iter().map(Applied::from_value).collect()),
            Value::Object(map) => Applied::Map(
                map.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Applied::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// Back to a `serde_json::Value` (for reported key values).
    pub fn to_value(&self) -> Value {
        match self {
            Applied::Null => Value::Null,
            Applied::Bool(b) => Value::Bool(*b),
            Applied::Number(n) => Value::Number(n.clone()),
            Applied::String(s) => Value::String(s.to_string()),
            Applied::List(items) => Value::Array(items.iter().map(Applied::to_value).collect()),
            Applied::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }

    /// Unset in the API server's eyes: null, "", [], {}.
    pub fn is_blank(&self) -> bool {
        match self {
            Applied::Null => true,
            Applied::String(s) => s.is_empty(),
            Applied::List(items) => items.is_empty(),
            Applied::Map(entries) => entries.is_empty(),
            Applied::Bool(_) | Applied::Number(_) => false,
        }
    }

    /// The child at `key` of a map node.
    pub fn get(&self, key: &str) -> Option<&Applied<'a>> {
        match self {
            Applied::Map(entries) => entries
                .iter()
                .find(|(k, _)| schema::same_key(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// True when this scalar equals `value` as a list key (`"8080"` = `8080`).
    fn key_equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Applied::String(a), Value::String(b)) => a == b,
            (Applied::String(a), Value::Number(b)) => {
                schema::numeric_string(a).is_some_and(|a| b.as_u64() == Some(a))
            }
            (Applied::Number(a), Value::Number(b)) => {
                a == b || a.as_f64().is_some_and(|a| b.as_f64() == Some(a))
            }
            (Applied::Number(a), Value::String(b)) => {
                schema::numeric_string(b).is_some_and(|b| a.as_u64() == Some(b))
            }
            (Applied::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }

    /// The key field value of an item, with the server's default for missing ones.
    fn key_field(&self, field: &str) -> Option<KeyValue<'_, 'a>> {
        match self.get(field) {
            None | Some(Applied::Null) => schema::default_key_value(field).map(KeyValue::Default),
            Some(Applied::String(s)) if s.is_empty() => {
                schema::default_key_value(field).map(KeyValue::Default)
            }
            Some(v @ (Applied::String(_) | Applied::Number(_) | Applied::Bool(_))) => {
                Some(KeyValue::Applied(v))
            }
            Some(_) => None,
        }
    }

    /// True when this list item has the key `key`.
    pub fn item_has_key(&self, key: &ItemKey<'_>) -> bool {
        key.spec
            .fields
            .iter()
            .zip(key.values())
            .all(|(field, want)| match self.key_field(field) {
                Some(KeyValue::Applied(v)) => v.key_equals(want),
                Some(KeyValue::Default(d)) => schema::key_values_equal(d, want),
                None => false,
            })
    }

    /// The key of this list item under `spec` as `(field, value)` pairs.
    pub fn item_key_fields(&self, spec: &KeySpec) -> Option<Vec<(String, Value)>> {
        spec.fields
            .iter()
            .map(|field| {
                let value = match self.key_field(field)? {
                    KeyValue::Applied(v) => v.to_value(),
                    KeyValue::Default(d) => d.clone(),
                };
                let value = match &value {
                    Value::String(s) => {
                        schema::numeric_string(s).map_or(value.clone(), Value::from)
                    }
                    _ => value,
                };
                Some(((*field).to_string(), value))
            })
            .collect()
    }
}

enum KeyValue<'n, 'a> {
    Applied(&'n Applied<'a>),
    Default(&'static Value),
}

/// A map key that borrows from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Applied<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AppliedVisitor;
        impl<'de> Visitor<'de> for AppliedVisitor {
            type Value = Applied<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Applied::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Applied::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Applied::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Applied::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Applied::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Number::from_f64(v).map_or(Applied::Null, Applied::Number))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Applied::String(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Applied::String(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Applied::String(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Applied::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
                while let Some((Key(key), value)) = map.next_entry::<Key<'de>, Applied<'de>>()? {
                    entries.push((key, value));
                }
                Ok(Applied::Map(entries))
            }
        }
        deserializer.deserialize_any(AppliedVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_borrowing_and_round_trips() {
        let text = r#"{"spec":{"ports":[{"port":80,"name":"http"}],"x":null,"q":"a\"b"}}"#;
        let Some(applied) = Applied::parse(text) else {
            panic!("parse");
        };
        assert_eq!(
            applied.to_value(),
            json!({"spec": {"ports": [{"port": 80, "name": "http"}], "x": null, "q": "a\"b"}})
        );
        assert!(Applied::parse("[1]").is_none());
        assert!(Applied::parse("{").is_none());
        let port = applied.get("spec").and_then(|s| s.get("ports"));
        let Some(Applied::List(items)) = port else {
            panic!("ports");
        };
        let live = json!({"port": 80, "protocol": "TCP"});
        let spec = match schema::list_kind("Service", "ports", std::slice::from_ref(&live)) {
            schema::ListKind::Keyed(spec) => spec,
            other => panic!("{other:?}"),
        };
        let Some(key) = ItemKey::of(spec, &live) else {
            panic!("key");
        };
        assert!(items[0].item_has_key(&key));
        assert_eq!(
            items[0].item_key_fields(spec),
            Some(vec![
                ("port".into(), json!(80)),
                ("protocol".into(), json!("TCP"))
            ])
        );
    }
}
