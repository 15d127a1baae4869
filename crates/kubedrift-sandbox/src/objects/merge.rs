//! JSON merge patch (RFC 7386), strategic merge patch for the built-in kinds' keyed lists, and
//! JSON patch (RFC 6902) — the three patch types `kubectl apply` (client-side), `kubectl edit`,
//! `kubectl scale` and `kubectl patch` send.

use super::schema::{self, ListKind, Ty};
use serde_json::{Map, Value};

/// Why a patch could not be applied; [`PatchError::code`] and [`PatchError::reason`] give the
/// HTTP status a real server answers with. Messages name fields and keys, never values (the
/// object may be a Secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The patch document itself is malformed (400 BadRequest).
    #[error("{0}")]
    BadRequest(String),
    /// The patch is well-formed but cannot be applied to this object (422 Invalid).
    #[error("{0}")]
    Invalid(String),
    /// Strategic merge patch sent for a custom resource (415 UnsupportedMediaType).
    #[error("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")]
    StrategicMergeUnsupported,
}

impl PatchError {
    /// HTTP status code a real server uses for this error.
    pub fn code(&self) -> u16 {
        match self {
            PatchError::BadRequest(_) => 400,
            PatchError::Invalid(_) => 422,
            PatchError::StrategicMergeUnsupported => 415,
        }
    }

    /// `reason` of the Status body.
    pub fn reason(&self) -> &'static str {
        match self {
            PatchError::BadRequest(_) => "BadRequest",
            PatchError::Invalid(_) => "Invalid",
            PatchError::StrategicMergeUnsupported => "UnsupportedMediaType",
        }
    }
}

/// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces.
pub fn json_merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(patch_map) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Some(target_map) = target.as_object_mut() {
                for (key, value) in patch_map {
                    if value.is_null() {
                        target_map.remove(key);
                    } else {
                        json_merge_patch(
                            target_map.entry(key.clone()).or_insert(Value::Null),
                            value,
                        );
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE: &str = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";

/// Strategic merge patch: like a merge patch, but lists with a merge key (containers by name,
/// ports by containerPort, ...) merge item by item, and `$patch` / `$retainKeys` /
/// `$deleteFromPrimitiveList` / `$setElementOrder` directives are honoured.
///
/// Custom resources (groups not built into the API server) get
/// [`PatchError::StrategicMergeUnsupported`], as from a real server. On error `target` is left
/// unchanged.
pub fn strategic_merge_patch(
    target: &mut Value,
    patch: &Value,
    group: &str,
    kind: &str,
) -> Result<(), PatchError> {
    if !schema::is_builtin_group(group) {
        return Err(PatchError::StrategicMergeUnsupported);
    }
    let Value::Object(patch_map) = patch else {
        return Err(PatchError::BadRequest(
            "strategic merge patch must be a JSON object".into(),
        ));
    };
    let original = match target {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    match merge_map(original, patch_map, schema::root_type(group, kind))? {
        Some(merged) => {
            *target = Value::Object(merged);
            Ok(())
        }
        None => Err(PatchError::Invalid(
            "a strategic merge patch cannot delete the whole object".into(),
        )),
    }
}

/// Merge `patch` into `original`; None means the map is deleted (`$patch: delete`).
fn merge_map(
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
    ty: Ty,
) -> Result<Option<Map<String, Value>>, PatchError> {
    match patch.get(DIRECTIVE) {
        None => {}
        Some(Value::String(d)) if d == "delete" => return Ok(None),
        Some(Value::String(d)) if d == "replace" => {
            let mut rest = patch.clone();
            rest.remove(DIRECTIVE);
            return merge_map(Map::new(), &rest, ty);
        }
        Some(other) => {
            return Err(PatchError::BadRequest(format!(
            "unknown patch type in map: {DIRECTIVE} must be \"replace\" or \"delete\", got a {}",
            json_type(other)
        )))
        }
    }
    if let Some(retain) = patch.get(RETAIN_KEYS) {
        let keys = retain
            .as_array()
            .filter(|keys| keys.iter().all(Value::is_string))
            .ok_or_else(|| {
                PatchError::BadRequest("$retainKeys must be a list of strings".into())
            })?;
        for (key, value) in patch {
            if !key.starts_with('$') && !value.is_null() && !keys.iter().any(|k| k == key) {
                return Err(PatchError::Invalid(format!(
                    "$retainKeys does not contain all the keys in the patch: missing {key:?}"
                )));
            }
        }
        original.retain(|k, _| keys.iter().any(|r| r == k));
    }
    let mut orders = Vec::new();
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE) {
            let doomed = value
                .as_array()
                .ok_or_else(|| PatchError::BadRequest(format!("{key} must be a list of values")))?;
            if let Some(Value::Array(items)) = original.get_mut(field) {
                items.retain(|item| !doomed.contains(item));
            }
        } else if let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) {
            let order = value
                .as_array()
                .ok_or_else(|| PatchError::BadRequest(format!("{key} must be a list")))?;
            check_element_order(patch.get(field), order, schema::list_kind(ty, field))?;
            let before = match original.get(field) {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            };
            orders.push((field.to_string(), order.clone(), before));
        }
    }
    for (key, value) in patch {
        if key.starts_with('$') {
            if key != DIRECTIVE
                && key != RETAIN_KEYS
                && !key.starts_with(DELETE_FROM_PRIMITIVE)
                && !key.starts_with(SET_ELEMENT_ORDER)
            {
                return Err(PatchError::BadRequest(format!(
                    "unknown patch directive {key:?}"
                )));
            }
            continue;
        }
        if value.is_null() {
            original.remove(key);
            continue;
        }
        let child_ty = schema::child_type(ty, key);
        let current = original.remove(key);
        let merged = match (current, value) {
            (Some(Value::Object(current)), Value::Object(patch_child)) => {
                merge_map(current, patch_child, child_ty)?.map(Value::Object)
            }
            (_, Value::Object(patch_child)) => {
                merge_map(Map::new(), patch_child, child_ty)?.map(Value::Object)
            }
            (Some(Value::Array(current)), Value::Array(patch_items)) => Some(Value::Array(
                merge_list(current, patch_items, schema::list_kind(ty, key))?,
            )),
            (_, Value::Array(patch_items)) => Some(Value::Array(merge_list(
                Vec::new(),
                patch_items,
                schema::list_kind(ty, key),
            )?)),
            (_, scalar) => Some(scalar.clone()),
        };
        if let Some(merged) = merged {
            original.insert(key.clone(), merged);
        }
    }
    for (field, order, before) in orders {
        let kind = schema::list_kind(ty, &field);
        if let Some(Value::Array(items)) = original.get_mut(&field) {
            let reordered = apply_element_order(std::mem::take(items), &order, &before, kind);
            *items = reordered;
        }
    }
    Ok(Some(original))
}

/// Kubernetes rejects a patch whose list items are not in the order `$setElementOrder` gives.
fn check_element_order(
    patch_list: Option<&Value>,
    order: &[Value],
    kind: ListKind,
) -> Result<(), PatchError> {
    let Some(Value::Array(items)) = patch_list else {
        return Ok(());
    };
    let identity = |item: &Value| match kind {
        ListKind::Map { smp_key, .. } => smp_item_key(item, smp_key).cloned(),
        _ => Some(item.clone()),
    };
    let order_ids: Vec<Option<Value>> = order.iter().map(identity).collect();
    let mut next = 0;
    for item in items.iter().filter(|i| !is_directive_only(i)) {
        let id = identity(item);
        match order_ids.iter().skip(next).position(|o| *o == id) {
            Some(offset) => next += offset + 1,
            None => {
                return Err(PatchError::BadRequest(format!(
                    "The order in patch list doesn't match $setElementOrder list: item {} is out of order",
                    id.map(|v| v.to_string()).unwrap_or_default()
                )))
            }
        }
    }
    Ok(())
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn smp_item_key<'a>(item: &'a Value, key: &str) -> Option<&'a Value> {
    item.as_object().and_then(|m| m.get(key))
}

fn merge_list(
    mut original: Vec<Value>,
    patch: &[Value],
    kind: ListKind,
) -> Result<Vec<Value>, PatchError> {
    let replace = patch.iter().any(|item| {
        item.as_object()
            .is_some_and(|m| m.get(DIRECTIVE).and_then(Value::as_str) == Some("replace"))
    });
    let ListKind::Map {
        smp_key,
        item: item_ty,
        ..
    } = kind
    else {
        let cleaned: Vec<Value> = patch
            .iter()
            .filter(|item| !is_directive_only(item))
            .cloned()
            .collect();
        if kind == ListKind::Set
            && patch.iter().any(Value::is_object)
            && !patch.iter().all(Value::is_object)
        {
            return Err(PatchError::BadRequest(format!(
                "list element types are not identical: a list of values cannot hold a {DIRECTIVE} directive"
            )));
        }
        if kind == ListKind::Set && !replace {
            let before = original.clone();
            for item in &cleaned {
                if !original.contains(item) {
                    original.push(item.clone());
                }
            }
            // Like Kubernetes' mergeSlice: patched items in patch order, interleaved with the
            // server-only ones by their server position (new ones first).
            return Ok(apply_element_order(original, &cleaned, &before, kind));
        }
        return Ok(cleaned.into_iter().map(strip_directives).collect());
    };
    if replace {
        original.clear();
    }
    let before = original.clone();
    let patch_order: Vec<Value> = patch
        .iter()
        .filter(|item| {
            item.as_object()
                .is_some_and(|m| m.get(DIRECTIVE).is_none() && m.contains_key(smp_key))
        })
        .cloned()
        .collect();
    for patch_item in patch {
        let Value::Object(patch_map) = patch_item else {
            return Err(PatchError::Invalid(format!(
                "list items must be objects with merge key {smp_key:?}"
            )));
        };
        if patch_map.get(DIRECTIVE).and_then(Value::as_str) == Some("replace") {
            continue;
        }
        let Some(key_value) = patch_map.get(smp_key) else {
            return Err(PatchError::Invalid(format!(
                "map: list item does not contain declared merge key: {smp_key}"
            )));
        };
        let position = original
            .iter()
            .position(|o| smp_item_key(o, smp_key) == Some(key_value));
        if patch_map.get(DIRECTIVE).and_then(Value::as_str) == Some("delete") {
            original.retain(|o| smp_item_key(o, smp_key) != Some(key_value));
            continue;
        }
        match position {
            Some(i) => {
                let current = match original.get(i) {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Map::new(),
                };
                match merge_map(current, patch_map, item_ty)? {
                    Some(merged) => {
                        if let Some(slot) = original.get_mut(i) {
                            *slot = Value::Object(merged);
                        }
                    }
                    None => {
                        original.remove(i);
                    }
                }
            }
            None => {
                if let Some(merged) = merge_map(Map::new(), patch_map, item_ty)? {
                    original.push(Value::Object(merged));
                }
            }
        }
    }
    if replace {
        return Ok(original);
    }
    // Like Kubernetes' mergeSlice: patched items in patch order, interleaved with the
    // server-only ones by their server position (new ones first).
    Ok(apply_element_order(original, &patch_order, &before, kind))
}

fn is_directive_only(item: &Value) -> bool {
    item.as_object().is_some_and(|m| m.contains_key(DIRECTIVE))
}

/// A value with `$`-directives removed (for values put in place without merging).
fn strip_directives(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k, strip_directives(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_directives).collect()),
        other => other,
    }
}

/// Reorder `items` by `$setElementOrder`: the items named in `order` come in that order, the
/// items only the server has keep their relative place among them (Kubernetes'
/// `mergeSortedSlice`, using the list as it was before the patch, `before`, as server order).
fn apply_element_order(
    items: Vec<Value>,
    order: &[Value],
    before: &[Value],
    kind: ListKind,
) -> Vec<Value> {
    let identity = |item: &Value| -> Option<Value> {
        match kind {
            ListKind::Map { smp_key, .. } => smp_item_key(item, smp_key).cloned(),
            _ => Some(item.clone()),
        }
    };
    let order_ids: Vec<Option<Value>> = order.iter().map(&identity).collect();
    let server_ids: Vec<Option<Value>> = before.iter().map(&identity).collect();
    let server_index = |id: &Option<Value>| server_ids.iter().position(|s| id.is_some() && s == id);
    // (order index, server index, item) and (server index, item); usize::MAX: not on the server.
    let mut listed: Vec<(usize, usize, Value)> = Vec::new();
    let mut unlisted: Vec<(usize, Value)> = Vec::new();
    for item in items {
        let id = identity(&item);
        let on_server = server_index(&id).unwrap_or(usize::MAX);
        match order_ids.iter().position(|o| id.is_some() && *o == id) {
            Some(order_index) => listed.push((order_index, on_server, item)),
            None => unlisted.push((on_server, item)),
        }
    }
    listed.sort_by_key(|(order_index, _, _)| *order_index);
    let mut out = Vec::with_capacity(listed.len() + unlisted.len());
    let mut listed = listed.into_iter().peekable();
    let mut unlisted = unlisted.into_iter().peekable();
    loop {
        let take_unlisted = match (listed.peek(), unlisted.peek()) {
            (Some((_, listed_index, _)), Some((unlisted_index, _))) => {
                *listed_index != usize::MAX && unlisted_index < listed_index
            }
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (None, None) => break,
        };
        if take_unlisted {
            if let Some((_, item)) = unlisted.next() {
                out.push(item);
            }
        } else if let Some((_, _, item)) = listed.next() {
            out.push(item);
        }
    }
    out
}

/// RFC 6902 JSON patch (`kubectl patch --type json`): add, remove, replace, move, copy, test.
/// All operations apply or none do.
pub fn json_patch(target: &mut Value, operations: &Value) -> Result<(), PatchError> {
    let operations = operations.as_array().ok_or_else(|| {
        PatchError::BadRequest("a JSON patch must be a list of operations".into())
    })?;
    let mut working = target.clone();
    for (index, operation) in operations.iter().enumerate() {
        apply_operation(&mut working, operation)
            .map_err(|e| PatchError::Invalid(format!("JSON patch operation {index}: {e}")))?;
    }
    *target = working;
    Ok(())
}

fn apply_operation(doc: &mut Value, operation: &Value) -> Result<(), String> {
    let op = operation
        .get("op")
        .and_then(Value::as_str)
        .ok_or("missing \"op\"")?;
    let path = operation
        .get("path")
        .and_then(Value::as_str)
        .ok_or("missing \"path\"")?;
    let value = || {
        operation
            .get("value")
            .cloned()
            .ok_or_else(|| format!("{op} needs \"value\""))
    };
    let from = || {
        operation
            .get("from")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{op} needs \"from\""))
    };
    match op {
        "add" => add_at(doc, path, value()?),
        "remove" => remove_at(doc, path).map(|_| ()),
        "replace" => {
            let slot = pointer_mut(doc, path)?;
            *slot = value()?;
            Ok(())
        }
        "move" => {
            let from = from()?;
            if path.starts_with(from)
                && path.len() > from.len()
                && path[from.len()..].starts_with('/')
            {
                return Err(format!("cannot move {from:?} into its own child {path:?}"));
            }
            let moved = remove_at(doc, from)?;
            add_at(doc, path, moved)
        }
        "copy" => {
            let from = from()?;
            let copied = doc
                .pointer(from)
                .cloned()
                .ok_or_else(|| format!("path {from:?} does not exist"))?;
            add_at(doc, path, copied)
        }
        "test" => {
            let expected = value()?;
            match doc.pointer(path) {
                Some(actual) if *actual == expected => Ok(()),
                // The expected value is not echoed: it may be a Secret's data.
                _ => Err(format!(
                    "test failed: {path:?} does not hold the expected value"
                )),
            }
        }
        other => Err(format!("unknown op {other:?}")),
    }
}

fn split_pointer(path: &str) -> Result<(String, String), String> {
    if path.is_empty() {
        return Err("the whole document cannot be the target".into());
    }
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or_else(|| format!("invalid JSON pointer {path:?}"))?;
    Ok((
        parent.to_string(),
        last.replace("~1", "/").replace("~0", "~"),
    ))
}

fn pointer_mut<'a>(doc: &'a mut Value, path: &str) -> Result<&'a mut Value, String> {
    if !path.is_empty() && !path.starts_with('/') {
        return Err(format!("invalid JSON pointer {path:?}"));
    }
    doc.pointer_mut(path)
        .ok_or_else(|| format!("path {path:?} does not exist"))
}

fn add_at(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = split_pointer(path)?;
    match pointer_mut(doc, &parent)? {
        Value::Object(map) => {
            map.insert(last, value);
            Ok(())
        }
        Value::Array(items) => {
            let index = if last == "-" {
                items.len()
            } else {
                parse_index(&last)?
            };
            if index > items.len() {
                return Err(format!("index {index} out of bounds in {path:?}"));
            }
            items.insert(index, value);
            Ok(())
        }
        _ => Err(format!("parent of {path:?} is not a container")),
    }
}

fn remove_at(doc: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split_pointer(path)?;
    match pointer_mut(doc, &parent)? {
        Value::Object(map) => map
            .remove(&last)
            .ok_or_else(|| format!("path {path:?} does not exist")),
        Value::Array(items) => {
            let index = parse_index(&last)?;
            if index >= items.len() {
                return Err(format!("index {index} out of bounds in {path:?}"));
            }
            Ok(items.remove(index))
        }
        _ => Err(format!("parent of {path:?} is not a container")),
    }
}

fn parse_index(token: &str) -> Result<usize, String> {
    if token.len() > 1 && token.starts_with('0') {
        return Err(format!("invalid array index {token:?}"));
    }
    token
        .parse()
        .map_err(|_| format!("invalid array index {token:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn element_order_keeps_server_only_items_in_place() {
        let items = vec![
            json!({"name": "a"}),
            json!({"name": "x"}),
            json!({"name": "b"}),
        ];
        let order = vec![json!({"name": "b"}), json!({"name": "a"})];
        let kind = schema::list_kind(schema::Ty::PodSpec, "containers");
        let out = apply_element_order(items.clone(), &order, &items, kind);
        let names: Vec<&str> = out.iter().filter_map(|i| i["name"].as_str()).collect();
        // Kubernetes' mergeSortedSlice: x was before b on the server, so it stays before b.
        assert_eq!(names, ["x", "b", "a"]);
    }

    #[test]
    fn json_patch_is_all_or_nothing() {
        let mut doc = json!({"spec": {"replicas": 1}});
        let ops = json!([{"op": "replace", "path": "/spec/replicas", "value": 3},
                         {"op": "test", "path": "/spec/replicas", "value": 4}]);
        assert!(json_patch(&mut doc, &ops).is_err());
        assert_eq!(doc["spec"]["replicas"], 1);
    }
}
