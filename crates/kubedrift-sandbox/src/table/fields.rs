//! Reading fields of an object that may be malformed: a missing or wrongly typed field reads as
//! the zero value the real printers print, never a panic.

use serde_json::{Map, Value};

pub(super) fn get<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, key| v.get(key))
}

pub(super) fn text<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    get(obj, path).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn int(obj: &Value, path: &[&str]) -> i64 {
    get(obj, path).and_then(Value::as_i64).unwrap_or(0)
}

pub(super) fn list<'a>(obj: &'a Value, path: &[&str]) -> &'a [Value] {
    get(obj, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(super) fn map_len(obj: &Value, path: &[&str]) -> usize {
    get(obj, path)
        .and_then(Value::as_object)
        .map_or(0, Map::len)
}

pub(super) fn name_of(obj: &Value) -> &str {
    text(obj, &["metadata", "name"])
}

pub(super) fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

pub(super) fn s(value: impl Into<String>) -> Value {
    Value::String(value.into())
}

pub(super) fn condition_status<'a>(
    obj: &'a Value,
    path: &[&str],
    condition_type: &str,
) -> Option<&'a str> {
    list(obj, path)
        .iter()
        .find(|c| text(c, &["type"]) == condition_type)
        .map(|c| text(c, &["status"]))
}
