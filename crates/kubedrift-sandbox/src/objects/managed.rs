//! managedFields bookkeeping for non-apply writes (create, update, patch), and the entry type
//! shared with server-side apply.
//!
//! The algorithm is the API server's (structured-merge-diff's `Updater.Update`): compare the
//! object before and after the write; the writer gains every added or changed field; every
//! other manager — appliers included — loses the fields that changed or disappeared; entries
//! left empty are dropped. That is how "someone edited a field kubedrift applied" shows up.

use super::fieldset::{self, FieldSet, Path, PathElement};
use kubedrift_core::model::group_of;
use serde_json::{json, Map, Value};

/// `operation` of a write made with server-side apply.
pub const APPLY: &str = "Apply";
/// `operation` of every other write.
pub const UPDATE: &str = "Update";

/// One `metadata.managedFields[]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedEntry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    /// RFC 3339, as written by the server.
    pub time: Option<String>,
    pub fields: FieldSet,
    /// `status` (or another subresource) when the write went to a subresource.
    pub subresource: Option<String>,
}

impl ManagedEntry {
    /// Whether `self` and `other` are the same manager in the server's sense: same manager,
    /// operation and subresource, and for Update also the same apiVersion.
    pub fn same_identity(&self, other: &ManagedEntry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == APPLY || self.api_version == other.api_version)
    }

    /// How the server names this manager in conflict messages: `"kubectl-edit" using apps/v1`.
    pub fn display_name(&self) -> String {
        let mut name = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            name = format!("{name} with subresource {sub:?}");
        }
        if self.operation == UPDATE {
            name = format!("{name} using {}", self.api_version);
        }
        name
    }

    fn from_json(value: &Value) -> Option<ManagedEntry> {
        let map = value.as_object()?;
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        let fields = match map.get("fieldsV1") {
            Some(v) => FieldSet::from_fields_v1(v).ok()?,
            None => FieldSet::new(),
        };
        Some(ManagedEntry {
            manager: text("manager").unwrap_or_default(),
            operation: text("operation")?,
            api_version: text("apiVersion").unwrap_or_default(),
            time: text("time"),
            fields,
            subresource: text("subresource").filter(|s| !s.is_empty()),
        })
    }

    /// The JSON a real server writes, fields in Go struct order.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("manager".into(), json!(self.manager));
        map.insert("operation".into(), json!(self.operation));
        map.insert("apiVersion".into(), json!(self.api_version));
        if let Some(time) = &self.time {
            map.insert("time".into(), json!(time));
        }
        map.insert("fieldsType".into(), json!("FieldsV1"));
        map.insert("fieldsV1".into(), self.fields.to_fields_v1());
        if let Some(sub) = &self.subresource {
            map.insert("subresource".into(), json!(sub));
        }
        Value::Object(map)
    }
}

/// The entries of `obj.metadata.managedFields` (malformed entries are skipped, as a real server
/// resets managedFields it cannot decode rather than failing the write).
pub fn read_entries(obj: &Value) -> Vec<ManagedEntry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(ManagedEntry::from_json).collect())
        .unwrap_or_default()
}

/// Write `entries` into `obj.metadata.managedFields`, sorted like a real server (Apply before
/// Update, then by time, manager, apiVersion, subresource); none → the field is removed.
pub fn write_entries(obj: &mut Value, mut entries: Vec<ManagedEntry>) {
    entries.retain(|e| !e.fields.is_empty());
    entries.sort_by(|a, b| {
        a.operation
            .cmp(&b.operation)
            .then_with(|| a.time.cmp(&b.time))
            .then_with(|| a.manager.cmp(&b.manager))
            .then_with(|| a.api_version.cmp(&b.api_version))
            .then_with(|| a.subresource.cmp(&b.subresource))
    });
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    let metadata = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    if let Some(metadata) = metadata.as_object_mut() {
        if entries.is_empty() {
            metadata.remove("managedFields");
        } else {
            let list = entries.iter().map(ManagedEntry::to_json).collect();
            metadata.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// `group`, `kind` and `apiVersion` of an object ("" when missing).
pub(crate) fn type_of(obj: &Value) -> (String, String, String) {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    (
        group_of(api_version).to_string(),
        kind.to_string(),
        api_version.to_string(),
    )
}

/// The part of the object a write to `subresource` cannot change, so it is not counted: the
/// main resource ignores `status`, the status subresource ignores `spec`.
pub(crate) fn ignored_prefix(subresource: Option<&str>) -> Path {
    match subresource {
        Some("status") => fieldset::field_path(&["spec"]),
        _ => fieldset::field_path(&["status"]),
    }
}

/// Record in `new.metadata.managedFields` that `manager` wrote the fields that differ between
/// `old` (None on create) and `new`, with `operation` ("Update") at `now` (RFC 3339), taking
/// those fields away from other managers, as a real API server does.
///
/// Call it on the final object (after defaulting), as the server does: an Update-type writer
/// owns the defaulted fields it caused. This is for writes to the main resource (status changes
/// are not counted); use [`record_write_subresource`] for `/status`.
pub fn record_write(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    operation: &str,
    now: &str,
) {
    record_write_subresource(old, new, manager, operation, None, now)
}

/// [`record_write`] for a write to `subresource` (e.g. `Some("status")`): the entry carries
/// `subresource`, and only the fields that endpoint can change are counted.
pub fn record_write_subresource(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    operation: &str,
    subresource: Option<&str>,
    now: &str,
) {
    let (group, kind, api_version) = type_of(new);
    // A client may send managedFields to change them deliberately; otherwise the live ones stand.
    let sent = read_entries(new);
    let mut entries = match (subresource, old) {
        (None, _) if !sent.is_empty() => sent,
        (_, Some(old)) => read_entries(old),
        (_, None) => sent,
    };
    let mut comparison = fieldset::compare(&group, &kind, old, new);
    comparison.ignore(&ignored_prefix(subresource));

    let writer = ManagedEntry {
        manager: manager.to_string(),
        operation: operation.to_string(),
        api_version,
        time: Some(now.to_string()),
        fields: FieldSet::new(),
        subresource: subresource.map(str::to_string),
    };
    let taken = comparison.changed.union(&comparison.removed);
    for entry in entries.iter_mut().filter(|e| !e.same_identity(&writer)) {
        entry.fields = entry.fields.difference(&taken);
    }
    if !comparison.changed.is_empty() || !comparison.removed.is_empty() {
        let previous = entries.iter().position(|e| e.same_identity(&writer));
        let mut fields = previous
            .and_then(|i| entries.get(i))
            .map(|e| e.fields.clone())
            .unwrap_or_default();
        if let Some(i) = previous {
            entries.remove(i);
        }
        fields = fields
            .difference(&comparison.removed)
            .union(&comparison.changed);
        entries.push(ManagedEntry { fields, ..writer });
    }
    write_entries(new, entries);
}

/// Paths of `entries` other than the one at `skip`, united.
pub(crate) fn owned_by_others(entries: &[ManagedEntry], skip: Option<usize>) -> FieldSet {
    entries
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .fold(FieldSet::new(), |acc, (_, e)| acc.union(&e.fields))
}

/// Whether `path` or something below it is in `set`.
pub(crate) fn covers(set: &FieldSet, path: &[PathElement]) -> bool {
    set.contains(path) || set.has_descendant(path)
}
