//! Server-side apply: merge an applied configuration into the live object, owned per field
//! manager, with conflicts when another manager owns a field being changed.
//!
//! Steps, as the API server's structured-merge-diff does them:
//! 1. merge the applied config into live (maps by field, keyed lists by key, sets by value,
//!    atomic lists and structs replaced);
//! 2. the applier's Apply entry becomes exactly the applied field set;
//! 3. fields the applier applied last time but not now are removed from the object, unless
//!    another manager still owns them;
//! 4. fields that changed and are owned by another manager conflict (409) unless `force`, in
//!    which case the other manager loses them.

use super::fieldset::{self, FieldSet, Path, PathElement};
use super::managed::{self, ManagedEntry, APPLY};
use super::schema::{self, ListKind, Ty};
use serde_json::{json, Map, Value};

/// One field another manager owns that the apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The owning manager.
    pub manager: String,
    /// The field, in the form kubectl prints: `.spec.replicas`.
    pub field: String,
    /// The owner's operation (`Update` or `Apply`).
    pub operation: String,
    /// The owner's apiVersion (printed for Update owners: `using apps/v1`).
    pub api_version: String,
    /// The owner's subresource, if it wrote through one.
    pub subresource: Option<String>,
}

impl Conflict {
    /// The owner as the API server prints it: `"kubectl-edit" using apps/v1`, `"kubedrift"`.
    pub fn owner_display(&self) -> String {
        ManagedEntry {
            manager: self.manager.clone(),
            operation: self.operation.clone(),
            api_version: self.api_version.clone(),
            time: None,
            fields: FieldSet::new(),
            subresource: self.subresource.clone(),
        }
        .display_name()
    }
}

/// Result of a server-side apply.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    /// The new object (managedFields updated, before defaulting and server-set metadata).
    Applied(Value),
    /// Without `force`, these fields are owned by others; the server answers 409.
    Conflicts(Vec<Conflict>),
    /// The applied configuration is unusable (the server answers 400/422 with this message).
    Invalid(String),
}

/// Apply `applied` (the request body) as `manager` onto `live` (None: create).
/// `now` is the RFC 3339 timestamp recorded in managedFields.
///
/// Call [`super::defaults::apply_defaults`] on the result, as the server defaults after merging.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> ApplyOutcome {
    server_side_apply_subresource(live, applied, manager, force, None, now)
}

/// [`server_side_apply`] through a subresource (`Some("status")`).
pub fn server_side_apply_subresource(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    subresource: Option<&str>,
    now: &str,
) -> ApplyOutcome {
    let Some(config) = applied.as_object() else {
        return ApplyOutcome::Invalid("the applied configuration must be a JSON object".into());
    };
    if config
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        return ApplyOutcome::Invalid("apiVersion must be set in the applied configuration".into());
    }
    if config
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        return ApplyOutcome::Invalid("kind must be set in the applied configuration".into());
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return ApplyOutcome::Invalid("metadata.managedFields must be nil".into());
    }
    let (group, kind, api_version) = managed::type_of(applied);
    let ignored = managed::ignored_prefix(subresource);
    let root = schema::root_type(&group, &kind);
    if let Err(problem) = validate_keyed_lists(applied, root, &mut Vec::new()) {
        let namespace = applied
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = applied
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let version = api_version.rsplit('/').next().unwrap_or_default();
        return ApplyOutcome::Invalid(format!(
            "failed to create typed patch object ({namespace}/{name}; {group}/{version}, Kind={kind}): {problem}"
        ));
    }

    let live_value = live.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    let mut entries = managed::read_entries(&live_value);
    let mut merged = live_value.clone();
    merge_value(&mut merged, applied, root);

    let mut applied_set = FieldSet::from_object(&group, &kind, applied);
    applied_set.remove_subtree(&ignored);
    let identity = ManagedEntry {
        manager: manager.to_string(),
        operation: APPLY.to_string(),
        api_version,
        time: Some(now.to_string()),
        fields: applied_set,
        subresource: subresource.map(str::to_string),
    };
    let previous = entries.iter().position(|e| e.same_identity(&identity));
    let previous_entry = previous.and_then(|i| entries.get(i)).cloned();
    let last_set = previous_entry
        .as_ref()
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    if let Some(i) = previous {
        entries.remove(i);
    }

    // Fields no longer applied and owned by nobody else are removed.
    let owned = managed::owned_by_others(&entries, None).union(&identity.fields);
    prune(&mut merged, &last_set.difference(&owned), &owned, root);

    let mut comparison = fieldset::compare(&group, &kind, live, &merged);
    comparison.ignore(&ignored);
    let mut conflicts = Vec::new();
    for entry in &entries {
        for path in entry.fields.intersection(&comparison.changed).iter() {
            conflicts.push(Conflict {
                manager: entry.manager.clone(),
                field: fieldset::path_to_string(path),
                operation: entry.operation.clone(),
                api_version: entry.api_version.clone(),
                subresource: entry.subresource.clone(),
            });
        }
    }
    if !force && !conflicts.is_empty() {
        conflicts.sort_by(|a, b| {
            a.manager
                .cmp(&b.manager)
                .then_with(|| a.field.cmp(&b.field))
        });
        return ApplyOutcome::Conflicts(conflicts);
    }
    let taken = comparison.changed.union(&comparison.removed);
    for entry in &mut entries {
        entry.fields = entry.fields.difference(&taken);
    }
    let mut identity = identity;
    if let Some(previous) = previous_entry {
        // A no-op apply (same fields, nothing changed) keeps the entry's time, so the object
        // stays byte-identical and the server can skip the write like a real one.
        if live.is_some() && comparison.is_empty() && previous.fields == identity.fields {
            identity.time = previous.time;
        }
    }
    entries.push(identity);
    if let Some(metadata) = merged.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    managed::write_entries(&mut merged, entries);
    ApplyOutcome::Applied(merged)
}

/// The message a real server gives a conflicting apply.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.owner_display(),
            only.field
        );
    }
    let mut owners: Vec<String> = conflicts.iter().map(Conflict::owner_display).collect();
    owners.sort();
    owners.dedup();
    let mut lines = Vec::new();
    for owner in &owners {
        lines.push(format!("conflicts with {owner}:"));
        for conflict in conflicts.iter().filter(|c| &c.owner_display() == owner) {
            lines.push(format!("- {}", conflict.field));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// The 409 Status body a real server answers a conflicting apply with.
pub fn conflict_status(conflicts: &[Conflict]) -> Value {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|c| {
            json!({
                "type": "FieldManagerConflict",
                "message": format!("conflict with {}", c.owner_display()),
                "field": c.field,
            })
        })
        .collect();
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": conflict_message(conflicts),
        "reason": "Conflict",
        "details": {"causes": causes},
        "code": 409,
    })
}

/// Keyed lists in an applied config must have every key field and no duplicate keys; the
/// error reads like the server's (`.spec.template.spec.containers: duplicate entries for key
/// [name="web"]`).
fn validate_keyed_lists(value: &Value, ty: Ty, path: &mut Path) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    if ty == Ty::AtomicStruct {
        return Ok(());
    }
    for (field, child) in map {
        path.push(PathElement::Field(field.clone()));
        match (child, schema::list_kind(ty, field)) {
            (Value::Array(items), ListKind::Map { ssa_keys, item, .. }) => {
                let mut seen = Vec::new();
                for (index, entry) in items.iter().enumerate() {
                    let Some(key) = fieldset::key_element(entry, ssa_keys) else {
                        let missing = ssa_keys
                            .iter()
                            .find(|k| {
                                entry.get(**k).is_none_or(Value::is_null)
                                    && schema::key_default(k).is_none()
                            })
                            .copied()
                            .unwrap_or_default();
                        return Err(format!(
                            "{}: element {index}: associative list with keys has an element that omits key field {missing:?} (and doesn't have default value)",
                            fieldset::path_to_string(path)
                        ));
                    };
                    if seen.contains(&key) {
                        return Err(format!(
                            "{}: duplicate entries for key {key}",
                            fieldset::path_to_string(path)
                        ));
                    }
                    path.push(key.clone());
                    validate_keyed_lists(entry, item, path)?;
                    path.pop();
                    seen.push(key);
                }
            }
            (Value::Object(_), _) => {
                validate_keyed_lists(child, schema::child_type(ty, field), path)?
            }
            _ => {}
        }
        path.pop();
    }
    Ok(())
}

/// Structured merge of `config` into `target`.
fn merge_value(target: &mut Value, config: &Value, ty: Ty) {
    match (target.as_object_mut(), config) {
        (Some(target_map), Value::Object(config_map)) if ty != Ty::AtomicStruct => {
            for (field, value) in config_map {
                match value {
                    Value::Null => {
                        target_map.remove(field);
                    }
                    Value::Array(items) => {
                        let merged = match target_map.get(field) {
                            Some(Value::Array(live)) => {
                                merge_lists(live, items, schema::list_kind(ty, field))
                            }
                            _ => items.clone(),
                        };
                        target_map.insert(field.clone(), Value::Array(merged));
                    }
                    _ => {
                        let slot = target_map.entry(field.clone()).or_insert(Value::Null);
                        merge_value(slot, value, schema::child_type(ty, field));
                    }
                }
            }
        }
        _ => *target = config.clone(),
    }
}

/// Merge two lists the way structured-merge-diff does: live-only items keep their place,
/// applied items come in applied order, matching items merge.
fn merge_lists(live: &[Value], config: &[Value], kind: ListKind) -> Vec<Value> {
    match kind {
        ListKind::Atomic => config.to_vec(),
        ListKind::Set => {
            let mut out = live.to_vec();
            for item in config {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            out
        }
        ListKind::Map { ssa_keys, item, .. } => {
            let (Some(live_keys), Some(config_keys)) = (
                fieldset::list_keys(live, ssa_keys),
                fieldset::list_keys(config, ssa_keys),
            ) else {
                return config.to_vec();
            };
            let mut out = Vec::with_capacity(live.len().max(config.len()));
            let mut merged_config: Vec<&PathElement> = Vec::new();
            let (mut l, mut r) = (0, 0);
            let merge_item = |key: &PathElement, cfg: &Value| {
                let mut base = live_keys
                    .iter()
                    .position(|k| k == key)
                    .and_then(|i| live.get(i))
                    .cloned()
                    .unwrap_or(Value::Null);
                merge_value(&mut base, cfg, item);
                base
            };
            while l < live.len() || r < config.len() {
                if let (Some(lk), Some(rk)) = (live_keys.get(l), config_keys.get(r)) {
                    if lk == rk {
                        if let Some(cfg) = config.get(r) {
                            out.push(merge_item(rk, cfg));
                        }
                        merged_config.push(rk);
                        l += 1;
                        r += 1;
                        continue;
                    }
                }
                if let Some(lk) = live_keys.get(l) {
                    if !config_keys.contains(lk) {
                        if let Some(v) = live.get(l) {
                            out.push(v.clone());
                        }
                        l += 1;
                        continue;
                    }
                    if merged_config.contains(&lk) || r >= config.len() {
                        l += 1;
                        continue;
                    }
                }
                if let (Some(rk), Some(cfg)) = (config_keys.get(r), config.get(r)) {
                    out.push(merge_item(rk, cfg));
                    merged_config.push(rk);
                }
                r += 1;
            }
            out
        }
    }
}

/// Remove `to_remove` paths from `obj`. A path with owned paths below it is kept (only its
/// unowned members go); maps emptied by the removal and owned by nobody go too.
fn prune(obj: &mut Value, to_remove: &FieldSet, owned: &FieldSet, root: Ty) {
    for path in to_remove.iter() {
        if owned.has_descendant(path) {
            continue;
        }
        remove_path(obj, path, root, owned, &mut Vec::new());
    }
}

/// Remove the value at `path` (relative to `value`, whose absolute path is `at`). Returns
/// whether `value` became an empty map that nobody owns (so the caller drops it too).
fn remove_path(
    value: &mut Value,
    path: &[PathElement],
    ty: Ty,
    owned: &FieldSet,
    at: &mut Path,
) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let PathElement::Field(field) = first else {
        return false;
    };
    let Some(map) = value.as_object_mut() else {
        return false;
    };
    if rest.is_empty() {
        map.remove(field);
    } else {
        at.push(first.clone());
        let child_ty = schema::child_type(ty, field);
        let drop_child = match (map.get_mut(field), rest.split_first()) {
            (Some(Value::Array(items)), Some((item_element, item_rest))) => {
                let item_ty = match schema::list_kind(ty, field) {
                    ListKind::Map { item, .. } => item,
                    _ => Ty::Generic,
                };
                remove_from_list(
                    items,
                    item_element,
                    item_rest,
                    schema::list_kind(ty, field),
                    item_ty,
                    owned,
                    at,
                );
                false
            }
            (Some(child), _) => remove_path(child, rest, child_ty, owned, at),
            (None, _) => false,
        };
        if drop_child {
            map.remove(field);
        }
        at.pop();
    }
    map.is_empty() && !managed::covers(owned, at)
}

fn remove_from_list(
    items: &mut Vec<Value>,
    element: &PathElement,
    rest: &[PathElement],
    kind: ListKind,
    item_ty: Ty,
    owned: &FieldSet,
    at: &mut Path,
) {
    let position = match (element, kind) {
        (PathElement::Key(_), ListKind::Map { ssa_keys, .. }) => items
            .iter()
            .position(|i| fieldset::key_element(i, ssa_keys).as_ref() == Some(element)),
        (PathElement::Value(v), _) => items.iter().position(|i| i == v),
        (PathElement::Index(i), _) => Some(*i).filter(|i| *i < items.len()),
        _ => None,
    };
    let Some(position) = position else { return };
    if rest.is_empty() {
        items.remove(position);
    } else if let Some(item) = items.get_mut(position) {
        at.push(element.clone());
        remove_path(item, rest, item_ty, owned, at);
        at.pop();
    }
}
