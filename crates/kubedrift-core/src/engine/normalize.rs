//! Normalization: one canonical form per meaning, so that equal objects compare equal.
//!
//! - `null`, `{}`, `[]` and `""` map values are dropped (the API server treats them as unset);
//! - quantities in quantity fields get their canonical text (`1000m` → `1`, `1024Mi` → `1Gi`);
//! - int-or-string fields holding a number as a string become numbers (`"8080"` → `8080`);
//! - integral floats become integers (`1.0` → `1`);
//! - keyed lists are sorted by key, and port items get the default `protocol: TCP`;
//! - Secret `stringData` is folded into base64 `data`, and base64 values are re-encoded
//!   canonically (so equal bytes give equal text).

use crate::engine::quantity;
use crate::engine::schema::{self, ItemKey, ListKind};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// Canonical form of an object (idempotent: `normalize(normalize(x)) == normalize(x)`).
pub fn normalize(obj: &Value) -> Value {
    let mut out = obj.clone();
    normalize_in_place(&mut out);
    out
}

/// [`normalize`] without the copy.
pub fn normalize_in_place(obj: &mut Value) {
    let kind = kind_of(obj).to_string();
    if kind == "Secret" {
        fold_string_data(obj);
    }
    normalize_node(&kind, &mut Vec::with_capacity(16), obj);
}

/// The `kind` of an object, or "" when it has none.
pub fn kind_of(obj: &Value) -> &str {
    obj.as_object()
        .and_then(|map| schema::field_of(map, "kind"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// True for values the API server treats as unset: `null`, `""`, `{}`, `[]`.
pub fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// `stringData` is write-only: the server merges it into `data` (base64), overriding keys.
fn fold_string_data(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = map.shift_remove("stringData") else {
        return;
    };
    let mut leftovers = Map::new();
    let mut encoded = Vec::new();
    for (key, value) in string_data {
        match value {
            Value::String(text) => encoded.push((
                key,
                Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
            )),
            Value::Null => {}
            other => {
                leftovers.insert(key, other);
            }
        }
    }
    if !encoded.is_empty() {
        let data = map
            .entry("data")
            .or_insert_with(|| Value::Object(Map::new()));
        if !data.is_object() {
            *data = Value::Object(Map::new());
        }
        if let Value::Object(data) = data {
            for (key, value) in encoded {
                data.insert(key, value);
            }
        }
    }
    if !leftovers.is_empty() {
        map.insert("stringData".to_string(), Value::Object(leftovers));
    }
}

/// Normalize `value` in place. `path` holds the map keys leading to it (list items share
/// their list's key): the last one is the field's own name, the one before its enclosing
/// map's. The names live on a stack instead of being passed as arguments because rustc 1.95
/// (LLVM 22.1.2) miscompiles recursive functions that pass their own `&str` argument on in
/// another position.
fn normalize_node(kind: &str, path: &mut Vec<String>, value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (child_key, child) in map.iter_mut() {
                path.push(child_key.clone());
                normalize_node(kind, path, child);
                path.pop();
            }
            map.retain(|_, child| !is_blank(child));
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                normalize_node(kind, path, item);
            }
            let key = path.last().map_or("", String::as_str);
            match schema::list_kind(kind, key, items) {
                ListKind::Keyed(spec) => {
                    for item in items.iter_mut() {
                        fill_default_keys(spec.fields, item);
                    }
                    items.sort_by(|a, b| compare_keys(spec, a, b));
                }
                ListKind::Set => {
                    items.sort_by_cached_key(|item| item.to_string());
                }
                ListKind::Ordered => {}
            }
        }
        scalar => {
            let (parent, key) = match path.as_slice() {
                [.., parent, key] => (parent.as_str(), key.as_str()),
                [key] => ("", key.as_str()),
                [] => ("", ""),
            };
            if let Some(canonical) = canonical_scalar(kind, parent, key, scalar) {
                *scalar = canonical;
            }
        }
    }
}

/// Add key fields the server defaults (`protocol: TCP`) so keys are explicit.
fn fill_default_keys(fields: &[&str], item: &mut Value) {
    if let Value::Object(map) = item {
        for field in fields {
            if map.get(*field).is_none_or(Value::is_null) {
                if let Some(default) = schema::default_key_value(field) {
                    map.insert((*field).to_string(), default.clone());
                }
            }
        }
    }
}

fn compare_keys(spec: &'static schema::KeySpec, a: &Value, b: &Value) -> Ordering {
    match (ItemKey::of(spec, a), ItemKey::of(spec, b)) {
        (Some(ka), Some(kb)) => {
            for (x, y) in ka.values().zip(kb.values()) {
                let order = compare_scalars(x, y);
                if order != Ordering::Equal {
                    return order;
                }
            }
            Ordering::Equal
        }
        _ => Ordering::Equal,
    }
}

/// A total order on key values: numbers (numerically) before strings, strings bytewise.
fn compare_scalars(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x.to_string().cmp(&y.to_string()),
        },
        (Value::Number(_), _) => Ordering::Less,
        (_, Value::Number(_)) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Canonical form of one scalar at `key` (inside a map at `parent`) of an object of `kind`.
/// Borrowed when already canonical, which is the common case.
pub fn normalize_scalar<'v>(
    kind: &str,
    parent: &str,
    key: &str,
    value: &'v Value,
) -> Cow<'v, Value> {
    match canonical_scalar(kind, parent, key, value) {
        Some(canonical) => Cow::Owned(canonical),
        None => Cow::Borrowed(value),
    }
}

/// The canonical replacement of a scalar, or `None` when it already is canonical.
fn canonical_scalar(kind: &str, parent: &str, key: &str, value: &Value) -> Option<Value> {
    match value {
        Value::Number(n) => {
            if schema::is_quantity_field(kind, parent, key) {
                if let Some(q) = quantity_of(value) {
                    return Some(Value::String(q.to_string()));
                }
            }
            integral_f64(n).map(Value::from)
        }
        Value::String(s) => {
            if schema::is_quantity_field(kind, parent, key) {
                return quantity::canonical(s)
                    .filter(|canonical| canonical != s)
                    .map(Value::String);
            }
            if schema::is_int_or_string_field(key) {
                if let Some(number) = schema::numeric_string(s) {
                    return Some(Value::from(number));
                }
            }
            if schema::is_base64_map(kind, parent) {
                return canonical_base64(s)
                    .filter(|canonical| canonical != s)
                    .map(Value::String);
            }
            None
        }
        _ => None,
    }
}

/// A float that holds a whole number (`2.0`), as that integer: the same number to the API
/// server.
fn integral_f64(n: &serde_json::Number) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation)]
    n.as_f64()
        .filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15)
        .map(|f| f as i64)
}

/// The value of a quantity field (a string such as `500m`, or a JSON number standing for its
/// decimal text), or `None` when it is not a quantity. The one reading behind both the
/// canonical form and [`scalars_equal`].
fn quantity_of(value: &Value) -> Option<quantity::Quantity> {
    match value {
        Value::String(s) => quantity::parse(s).ok(),
        Value::Number(n) => match (n.as_u64(), n.as_i64().or_else(|| integral_f64(n))) {
            (Some(u), _) => Some(quantity::Quantity::from_integer(false, u)),
            (None, Some(i)) => Some(quantity::Quantity::from_integer(i < 0, i.unsigned_abs())),
            (None, None) => quantity::parse(&n.to_string()).ok(),
        },
        _ => None,
    }
}

/// Decode and re-encode base64 (standard alphabet, padded); tolerates missing padding and
/// embedded whitespace. `None` if not base64.
fn canonical_base64(text: &str) -> Option<String> {
    // Only "" is the canonical empty value; text decoding to nothing ("=", " ") is left
    // alone so a present value never turns into an absent one.
    if text
        .trim_matches(|c: char| c == '=' || c.is_ascii_whitespace())
        .is_empty()
    {
        return None;
    }
    let engine = &base64::engine::general_purpose::STANDARD;
    if let Ok(bytes) = engine.decode(text) {
        return Some(engine.encode(bytes));
    }
    let compact: String = text
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && *c != '=')
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(compact)
        .ok()
        .map(|bytes| engine.encode(bytes))
}

/// True when two scalars at the same place mean the same (after canonicalization).
pub fn scalars_equal(kind: &str, parent: &str, key: &str, desired: &Value, live: &Value) -> bool {
    if desired == live {
        return true;
    }
    if schema::is_quantity_field(kind, parent, key) {
        // Same answer as comparing canonical forms (the canonical text is a pure, invertible
        // function of the value) without formatting either side.
        if let (Some(d), Some(l)) = (quantity_of(desired), quantity_of(live)) {
            return d == l;
        }
    }
    let d = normalize_scalar(kind, parent, key, desired);
    let l = normalize_scalar(kind, parent, key, live);
    d == l
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_null_and_empty_values() {
        let obj = json!({"metadata": {"name": "a", "creationTimestamp": null, "labels": {},
                         "annotations": {"x": ""}}, "spec": {"args": [], "keep": 0, "flag": false}});
        assert_eq!(
            normalize(&obj),
            json!({"metadata": {"name": "a"}, "spec": {"keep": 0, "flag": false}})
        );
    }

    #[test]
    fn canonical_quantities_ports_and_sorted_keyed_lists() {
        let obj = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
            {"name": "z", "ports": [{"containerPort": 9090, "protocol": "UDP"}, {"containerPort": 8080}],
             "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}, "requests": {"cpu": 0.5}}},
            {"name": "a", "livenessProbe": {"httpGet": {"port": "8080"}}}
        ]}}}});
        let n = normalize(&obj);
        let containers = &n["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["name"], "a");
        assert_eq!(containers[0]["livenessProbe"]["httpGet"]["port"], 8080);
        assert_eq!(
            containers[1]["resources"]["limits"],
            json!({"cpu": "1", "memory": "1Gi"})
        );
        assert_eq!(containers[1]["resources"]["requests"]["cpu"], "500m");
        assert_eq!(
            containers[1]["ports"],
            json!([{"containerPort": 8080, "protocol": "TCP"}, {"containerPort": 9090, "protocol": "UDP"}])
        );
        assert_eq!(normalize(&n), n);
    }

    #[test]
    fn secret_string_data_folds_into_data() {
        let obj = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                         "data": {"user": "YWRtaW4", "old": null},
                         "stringData": {"password": "hunter2"}});
        let n = normalize(&obj);
        assert_eq!(
            n["data"],
            json!({"user": "YWRtaW4=", "password": "aHVudGVyMg=="})
        );
        assert!(n.get("stringData").is_none());
        assert_eq!(normalize(&n), n);
    }

    #[test]
    fn endpoints_subsets_are_sorted_as_a_set() {
        let a = json!({"kind": "Endpoints", "subsets": [
            {"addresses": [{"ip": "10.0.0.2"}], "ports": [{"port": 5432}]},
            {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.0"}], "ports": [{"port": 80}]}]});
        let b = json!({"kind": "Endpoints", "subsets": [
            {"addresses": [{"ip": "10.0.0.0"}, {"ip": "10.0.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}]},
            {"addresses": [{"ip": "10.0.0.2"}], "ports": [{"port": 5432}]}]});
        assert_eq!(normalize(&a), normalize(&b));
    }
}
