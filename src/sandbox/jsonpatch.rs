//! RFC 6902 JSON patch, used for `application/json-patch+json` requests.
//!
//! A minimal private implementation until `objects::merge` provides one; the server only needs
//! "apply these operations or say why not".

use serde_json::Value;

/// Why a JSON patch failed (answered as 422 / 400 by the server).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonPatchError(pub String);

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> Result<(Vec<String>, String), JsonPatchError> {
    if path.is_empty() {
        return Err(JsonPatchError("replace operation does not apply: doc is missing path: \"\"".into()));
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| JsonPatchError(format!("invalid JSON pointer: {path:?}")))?;
    let mut tokens: Vec<String> = rest.split('/').map(unescape).collect();
    let last = tokens.pop().unwrap_or_default();
    Ok((tokens, last))
}

fn parent_mut<'a>(doc: &'a mut Value, tokens: &[String], path: &str) -> Result<&'a mut Value, JsonPatchError> {
    let mut node = doc;
    for token in tokens {
        node = match node {
            Value::Object(map) => map.get_mut(token),
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| JsonPatchError(format!("doc is missing path: {path:?}")))?;
    }
    Ok(node)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), JsonPatchError> {
    let (tokens, last) = split_pointer(path)?;
    match parent_mut(doc, &tokens, path)? {
        Value::Object(map) => {
            map.insert(last, value);
            Ok(())
        }
        Value::Array(items) => {
            let index = if last == "-" { items.len() } else { last.parse::<usize>().map_err(|_| JsonPatchError(format!("invalid array index in {path:?}")))? };
            if index > items.len() {
                return Err(JsonPatchError(format!("add operation does not apply: index out of bounds in {path:?}")));
            }
            items.insert(index, value);
            Ok(())
        }
        _ => Err(JsonPatchError(format!("add operation does not apply: doc is missing path: {path:?}"))),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, JsonPatchError> {
    let (tokens, last) = split_pointer(path)?;
    let missing = || JsonPatchError(format!("remove operation does not apply: doc is missing path: {path:?}"));
    match parent_mut(doc, &tokens, path)? {
        Value::Object(map) => map.shift_remove(&last).ok_or_else(missing),
        Value::Array(items) => {
            let index = last.parse::<usize>().map_err(|_| missing())?;
            if index < items.len() {
                Ok(items.remove(index))
            } else {
                Err(missing())
            }
        }
        _ => Err(missing()),
    }
}

fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(doc);
    }
    doc.pointer(path)
}

/// Apply `patch` (an array of operations) to `doc`. On error `doc` is left unchanged.
pub fn apply_json_patch(doc: &mut Value, patch: &Value) -> Result<(), JsonPatchError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| JsonPatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch".into()))?;
    let mut working = doc.clone();
    for op in ops {
        let text = |key: &str| op.get(key).and_then(Value::as_str);
        let name = text("op").ok_or_else(|| JsonPatchError("Unexpected kind: missing op".into()))?;
        let path = text("path").ok_or_else(|| JsonPatchError(format!("operation {name:?} missing path")))?;
        let value = || op.get("value").cloned().ok_or_else(|| JsonPatchError(format!("operation {name:?} missing value")));
        match name {
            "add" => add(&mut working, path, value()?)?,
            "remove" => {
                remove(&mut working, path)?;
            }
            "replace" => {
                remove(&mut working, path)
                    .map_err(|_| JsonPatchError(format!("replace operation does not apply: doc is missing key: {path}")))?;
                add(&mut working, path, value()?)?;
            }
            "move" | "copy" => {
                let from = text("from").ok_or_else(|| JsonPatchError(format!("operation {name:?} missing from")))?;
                let moved = if name == "move" {
                    remove(&mut working, from)?
                } else {
                    get(&working, from).cloned().ok_or_else(|| JsonPatchError(format!("copy operation does not apply: doc is missing from path: {from:?}")))?
                };
                add(&mut working, path, moved)?;
            }
            "test" => {
                if get(&working, path) != Some(&value()?) {
                    return Err(JsonPatchError(format!("testing value {path} failed: test failed")));
                }
            }
            other => return Err(JsonPatchError(format!("Unexpected kind: {other}"))),
        }
    }
    *doc = working;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_apply_in_order_and_failures_leave_doc_unchanged() {
        let mut doc = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}});
        let patch = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 4},
            {"op": "add", "path": "/metadata/labels/tier", "value": "frontend"},
            {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "sidecar", "image": "envoy:1.31"}},
            {"op": "test", "path": "/spec/replicas", "value": 4},
            {"op": "remove", "path": "/metadata/labels/app"}
        ]);
        apply_json_patch(&mut doc, &patch).expect("valid patch");
        assert_eq!(doc["spec"]["replicas"], 4);
        assert_eq!(doc["spec"]["template"]["spec"]["containers"][1]["name"], "sidecar");
        assert_eq!(doc["metadata"]["labels"], json!({"tier": "frontend"}));
        let before = doc.clone();
        let failing = json!([{"op": "replace", "path": "/spec/replicas", "value": 9}, {"op": "remove", "path": "/spec/missing"}]);
        assert!(apply_json_patch(&mut doc, &failing).is_err());
        assert_eq!(doc, before);
        assert!(apply_json_patch(&mut doc, &json!({"op": "add"})).is_err());
    }
}
