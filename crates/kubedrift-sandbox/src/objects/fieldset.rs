//! Sets of field paths, as recorded in `metadata.managedFields[].fieldsV1`.
//!
//! A path is a sequence of elements: a map field (`f:spec`), a keyed list item
//! (`k:{"name":"web"}`, key fields as compact JSON sorted by name), a set-list value
//! (`v:"example.com/finalizer"`) or a list index (`i:0`). In fieldsV1, `".": {}` marks that a node
//! is itself a member of the set, in addition to having members below it.
//!
//! The set is kept flat (a sorted set of paths) so that union, difference and prefix queries are
//! plain set operations; the nested fieldsV1 form is only built when encoding.

use super::schema::{self, ListKind, Ty};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathElement {
    /// A field of a map: `f:name`.
    Field(String),
    /// A list item identified by its key fields, sorted by field name: `k:{"name":"web"}`.
    Key(Vec<(String, Value)>),
    /// An item of a set of primitives: `v:"value"`.
    Value(Value),
    /// A list item by position: `i:0`.
    Index(usize),
}

/// A path from the object root.
pub type Path = Vec<PathElement>;

/// Why a fieldsV1 document could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSetError {
    #[error("fieldsV1 must be a JSON object")]
    NotAnObject,
    #[error("invalid fieldsV1 path element {0:?}")]
    BadElement(String),
}

/// A set of field paths (what one manager owns).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    paths: BTreeSet<Path>,
}

fn type_rank(value: &Value) -> u8 {
    match value {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

/// A total order on JSON values: numbers (numerically), strings, bools, lists, maps, null.
fn compare_values(a: &Value, b: &Value) -> Ordering {
    let by_rank = type_rank(a).cmp(&type_rank(b));
    if by_rank != Ordering::Equal {
        return by_rank;
    }
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (l, r) in x.iter().zip(y) {
                let c = compare_values(l, r);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => Ordering::Equal,
    };
    // Keep the order consistent with equality (e.g. 1 vs 1.0).
    ordering.then_with(|| a.to_string().cmp(&b.to_string()))
}

impl PathElement {
    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }

    /// The fieldsV1 spelling: `f:spec`, `k:{"name":"web"}`, `v:"x"`, `i:0`.
    pub fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let map: Map<String, Value> =
                    fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                format!("k:{}", Value::Object(map))
            }
            PathElement::Value(value) => format!("v:{value}"),
            PathElement::Index(index) => format!("i:{index}"),
        }
    }

    /// Parse a fieldsV1 key (the inverse of [`PathElement::encode`]).
    pub fn decode(text: &str) -> Result<PathElement, FieldSetError> {
        let bad = || FieldSetError::BadElement(text.to_string());
        let (prefix, rest) = text.split_once(':').ok_or_else(bad)?;
        match prefix {
            "f" => Ok(PathElement::Field(rest.to_string())),
            "k" => match serde_json::from_str::<Value>(rest) {
                Ok(Value::Object(map)) => {
                    let mut fields: Vec<(String, Value)> = map.into_iter().collect();
                    fields.sort_by(|a, b| a.0.cmp(&b.0));
                    Ok(PathElement::Key(fields))
                }
                _ => Err(bad()),
            },
            "v" => serde_json::from_str::<Value>(rest)
                .map(PathElement::Value)
                .map_err(|_| bad()),
            "i" => rest.parse().map(PathElement::Index).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_rank = self.rank().cmp(&other.rank());
        if by_rank != Ordering::Equal {
            return by_rank;
        }
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => {
                for ((an, av), (bn, bv)) in a.iter().zip(b) {
                    let c = an.cmp(bn).then_with(|| compare_values(av, bv));
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                a.len().cmp(&b.len())
            }
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => Ordering::Equal,
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PathElement {
    /// kubectl's spelling: `.spec`, `[name="web"]`, `[="x"]`, `[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(value) => write!(f, "[={value}]"),
            PathElement::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// A path in kubectl's spelling: `.spec.template.spec.containers[name="web"].image`.
pub fn path_to_string(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// Shorthand for a path of field names.
pub fn field_path(fields: &[&str]) -> Path {
    fields
        .iter()
        .map(|f| PathElement::Field((*f).to_string()))
        .collect()
}

/// Nested form used only while encoding.
#[derive(Default)]
struct Node {
    member: bool,
    children: BTreeMap<PathElement, Node>,
}

impl Node {
    fn to_json(&self, include_self: bool) -> Value {
        let mut map = Map::new();
        if include_self && self.member && !self.children.is_empty() {
            map.insert(".".to_string(), Value::Object(Map::new()));
        }
        for (element, child) in &self.children {
            map.insert(element.encode(), child.to_json(true));
        }
        Value::Object(map)
    }
}

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    pub fn insert(&mut self, path: Path) {
        self.paths.insert(path);
    }

    pub fn remove(&mut self, path: &[PathElement]) {
        self.paths.remove(path);
    }

    pub fn contains(&self, path: &[PathElement]) -> bool {
        self.paths.contains(path)
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// All paths, in the order a real server writes them.
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        self.paths.iter()
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.union(&other.paths).cloned().collect(),
        }
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.difference(&other.paths).cloned().collect(),
        }
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            paths: self.paths.intersection(&other.paths).cloned().collect(),
        }
    }

    /// Whether some member lies strictly below `prefix`.
    pub fn has_descendant(&self, prefix: &[PathElement]) -> bool {
        self.paths
            .range(prefix.to_vec()..)
            .take_while(|p| p.starts_with(prefix))
            .any(|p| p.len() > prefix.len())
    }

    /// Drop every member equal to or below `prefix`.
    pub fn remove_subtree(&mut self, prefix: &[PathElement]) {
        self.paths.retain(|p| !p.starts_with(prefix));
    }

    /// Encode as fieldsV1 JSON, byte-for-byte in the layout a real API server writes.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = Node::default();
        for path in &self.paths {
            let mut node = &mut root;
            for element in path {
                node = node.children.entry(element.clone()).or_default();
            }
            node.member = true;
        }
        root.to_json(false)
    }

    /// Decode fieldsV1 JSON.
    pub fn from_fields_v1(value: &Value) -> Result<FieldSet, FieldSetError> {
        let mut set = FieldSet::new();
        decode_node(value, &mut Vec::new(), &mut set)?;
        Ok(set)
    }

    /// Every leaf and set/list item of `obj` (what an applier owns when it applies `obj`), as
    /// the server's ToFieldSet builds it: scalars, empty maps, nulls, atomic lists and structs
    /// are members; keyed-list items are members and are descended into; maps are not members
    /// themselves. Server-set metadata (name, uid, resourceVersion, ...) is not included.
    pub fn from_object(group: &str, kind: &str, obj: &Value) -> FieldSet {
        let mut set = FieldSet::new();
        let mut path = Vec::new();
        leaves_of(obj, schema::root_type(group, kind), &mut path, &mut set);
        set.strip_server_metadata();
        set
    }

    /// Remove the paths a real server never records as owned.
    pub fn strip_server_metadata(&mut self) {
        for fields in STRIPPED_PATHS {
            self.remove(&field_path(fields));
        }
    }
}

/// Paths the server's field manager strips (`stripmeta`): identity and server-set metadata.
const STRIPPED_PATHS: &[&[&str]] = &[
    &["apiVersion"],
    &["kind"],
    &["metadata"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "creationTimestamp"],
    &["metadata", "selfLink"],
    &["metadata", "uid"],
    &["metadata", "clusterName"],
    &["metadata", "generation"],
    &["metadata", "managedFields"],
    &["metadata", "resourceVersion"],
];

fn decode_node(value: &Value, path: &mut Path, set: &mut FieldSet) -> Result<(), FieldSetError> {
    let map = value.as_object().ok_or(FieldSetError::NotAnObject)?;
    for (key, child) in map {
        if key == "." {
            if !path.is_empty() {
                set.insert(path.clone());
            }
            continue;
        }
        path.push(PathElement::decode(key)?);
        let child_map = child.as_object().ok_or(FieldSetError::NotAnObject)?;
        if child_map.is_empty() {
            set.insert(path.clone());
        } else {
            decode_node(child, path, set)?;
        }
        path.pop();
    }
    Ok(())
}

/// The path element identifying `item` in a keyed list, or None when a key field is missing
/// (such a list cannot be merged by key and is treated as atomic).
pub fn key_element(item: &Value, keys: &[&str]) -> Option<PathElement> {
    let map = item.as_object()?;
    let mut fields = Vec::with_capacity(keys.len());
    for key in keys {
        match map
            .get(*key)
            .filter(|v| !v.is_null())
            .cloned()
            .or_else(|| schema::key_default(key))
        {
            Some(value) => fields.push(((*key).to_string(), value)),
            None => return None,
        }
    }
    Some(PathElement::Key(fields))
}

/// Keys of every item of a keyed list, or None when some item has no key or a key repeats.
pub fn list_keys(items: &[Value], keys: &[&str]) -> Option<Vec<PathElement>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let key = key_element(item, keys)?;
        if !seen.insert(key.clone()) {
            return None;
        }
        out.push(key);
    }
    Some(out)
}

fn leaves_of(value: &Value, ty: Ty, path: &mut Path, set: &mut FieldSet) {
    match value {
        Value::Object(map) if ty != Ty::AtomicStruct => {
            if map.is_empty() && !path.is_empty() {
                set.insert(path.clone());
            }
            for (field, child) in map {
                path.push(PathElement::Field(field.clone()));
                match child {
                    Value::Array(items) => {
                        list_leaves(items, schema::list_kind(ty, field), path, set)
                    }
                    Value::Object(m) if m.is_empty() => set.insert(path.clone()),
                    _ => leaves_of(child, schema::child_type(ty, field), path, set),
                }
                path.pop();
            }
        }
        _ => set.insert(path.clone()),
    }
}

fn list_leaves(items: &[Value], kind: ListKind, path: &mut Path, set: &mut FieldSet) {
    match kind {
        ListKind::Set => {
            for item in items {
                let mut item_path = path.clone();
                item_path.push(PathElement::Value(item.clone()));
                set.insert(item_path);
            }
        }
        ListKind::Map { ssa_keys, item, .. } => match list_keys(items, ssa_keys) {
            Some(keys) => {
                for (key, value) in keys.into_iter().zip(items) {
                    path.push(key);
                    set.insert(path.clone());
                    leaves_of(value, item, path, set);
                    path.pop();
                }
            }
            None => set.insert(path.clone()),
        },
        ListKind::Atomic => set.insert(path.clone()),
    }
}

/// Every node of `value` (maps, lists, items and leaves), as the server counts a subtree that
/// appeared in a write: all of it, including the intermediate maps.
fn all_nodes(value: &Value, ty: Ty, path: &mut Path, set: &mut FieldSet) {
    set.insert(path.clone());
    if let Value::Object(map) = value {
        if ty == Ty::AtomicStruct {
            return;
        }
        for (field, child) in map {
            path.push(PathElement::Field(field.clone()));
            match child {
                Value::Array(items) => {
                    set.insert(path.clone());
                    match schema::list_kind(ty, field) {
                        ListKind::Map { ssa_keys, item, .. } => {
                            if let Some(keys) = list_keys(items, ssa_keys) {
                                for (key, value) in keys.into_iter().zip(items) {
                                    path.push(key);
                                    all_nodes(value, item, path, set);
                                    path.pop();
                                }
                            }
                        }
                        ListKind::Set => list_leaves(items, ListKind::Set, path, set),
                        ListKind::Atomic => {}
                    }
                }
                _ => all_nodes(child, schema::child_type(ty, field), path, set),
            }
            path.pop();
        }
    }
}

/// What changed between two versions of an object, as field sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Fields that were added or whose value changed.
    pub changed: FieldSet,
    /// Fields that disappeared.
    pub removed: FieldSet,
}

impl Comparison {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }

    /// Drop every path under `prefix` (fields the endpoint ignores, e.g. status on the main
    /// resource).
    pub fn ignore(&mut self, prefix: &[PathElement]) {
        self.changed.remove_subtree(prefix);
        self.removed.remove_subtree(prefix);
    }
}

/// Compare two versions of a `group`/`kind` object. `old` is what the object looked like
/// before; a missing object compares like the empty typed object a real server starts from on
/// create (see [`creation_baseline`]).
pub fn compare(group: &str, kind: &str, old: Option<&Value>, new: &Value) -> Comparison {
    let baseline;
    let old = match old {
        Some(old) => old,
        None => {
            baseline = creation_baseline(group, kind);
            &baseline
        }
    };
    let mut out = Comparison::default();
    let mut path = Vec::new();
    compare_values_at(
        old,
        new,
        schema::root_type(group, kind),
        &mut path,
        &mut out,
    );
    out.changed.strip_server_metadata();
    out.removed.strip_server_metadata();
    out
}

fn compare_values_at(old: &Value, new: &Value, ty: Ty, path: &mut Path, out: &mut Comparison) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) if ty != Ty::AtomicStruct => {
            compare_maps(o, n, ty, path, out)
        }
        (Value::Null, Value::Object(n)) if ty != Ty::AtomicStruct => {
            compare_maps(&Map::new(), n, ty, path, out)
        }
        _ if old == new => {}
        _ => out.changed.insert(path.clone()),
    }
}

fn compare_maps(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    ty: Ty,
    path: &mut Path,
    out: &mut Comparison,
) {
    for (field, new_value) in new {
        path.push(PathElement::Field(field.clone()));
        let child_ty = schema::child_type(ty, field);
        match (old.get(field), new_value) {
            (None, Value::Array(items)) => {
                out.changed.insert(path.clone());
                add_list_items(items, schema::list_kind(ty, field), path, out);
            }
            (None, _) => all_nodes(new_value, child_ty, path, &mut out.changed),
            (Some(Value::Null), Value::Array(items)) => {
                add_list_items(items, schema::list_kind(ty, field), path, out)
            }
            (Some(Value::Array(o)), Value::Array(n)) => {
                compare_lists(o, n, schema::list_kind(ty, field), path, out)
            }
            (Some(old_value), _) => compare_values_at(old_value, new_value, child_ty, path, out),
        }
        path.pop();
    }
    for (field, old_value) in old {
        if new.contains_key(field) {
            continue;
        }
        path.push(PathElement::Field(field.clone()));
        all_nodes(
            old_value,
            schema::child_type(ty, field),
            path,
            &mut out.removed,
        );
        if let Value::Array(items) = old_value {
            let mut gone = Comparison::default();
            add_list_items(items, schema::list_kind(ty, field), path, &mut gone);
            out.removed = out.removed.union(&gone.changed);
        }
        path.pop();
    }
}

fn add_list_items(items: &[Value], kind: ListKind, path: &mut Path, out: &mut Comparison) {
    match kind {
        ListKind::Atomic => out.changed.insert(path.clone()),
        ListKind::Set => list_leaves(items, kind, path, &mut out.changed),
        ListKind::Map { ssa_keys, item, .. } => match list_keys(items, ssa_keys) {
            Some(keys) => {
                for (key, value) in keys.into_iter().zip(items) {
                    path.push(key);
                    all_nodes(value, item, path, &mut out.changed);
                    path.pop();
                }
            }
            None => out.changed.insert(path.clone()),
        },
    }
}

fn compare_lists(
    old: &[Value],
    new: &[Value],
    kind: ListKind,
    path: &mut Path,
    out: &mut Comparison,
) {
    match kind {
        ListKind::Set => {
            for item in new.iter().filter(|i| !old.contains(i)) {
                let mut p = path.clone();
                p.push(PathElement::Value(item.clone()));
                out.changed.insert(p);
            }
            for item in old.iter().filter(|i| !new.contains(i)) {
                let mut p = path.clone();
                p.push(PathElement::Value(item.clone()));
                out.removed.insert(p);
            }
        }
        ListKind::Map { ssa_keys, item, .. } => {
            match (list_keys(old, ssa_keys), list_keys(new, ssa_keys)) {
                (Some(old_keys), Some(new_keys)) => {
                    for (key, new_item) in new_keys.iter().zip(new) {
                        path.push(key.clone());
                        match old_keys.iter().position(|k| k == key) {
                            Some(i) => match old.get(i) {
                                Some(old_item) => {
                                    compare_values_at(old_item, new_item, item, path, out)
                                }
                                None => all_nodes(new_item, item, path, &mut out.changed),
                            },
                            None => all_nodes(new_item, item, path, &mut out.changed),
                        }
                        path.pop();
                    }
                    for (key, old_item) in old_keys.iter().zip(old) {
                        if !new_keys.contains(key) {
                            path.push(key.clone());
                            all_nodes(old_item, item, path, &mut out.removed);
                            path.pop();
                        }
                    }
                }
                _ if old == new => {}
                _ => out.changed.insert(path.clone()),
            }
        }
        ListKind::Atomic => {
            if old != new {
                out.changed.insert(path.clone())
            }
        }
    }
}

/// The empty typed object a real API server compares against on create: Go's zero value of the
/// kind, serialized (non-pointer structs are present as `{}`, non-omitempty slices as null).
/// Fields present here are not counted as "added" nodes on create, which is why a real
/// server's managedFields show `f:spec` without `".": {}` but `f:labels` with it.
pub fn creation_baseline(group: &str, kind: &str) -> Value {
    use serde_json::json;
    let pod_template =
        json!({"metadata": {"creationTimestamp": null}, "spec": {"containers": null}});
    match (group, kind) {
        ("apps", "Deployment") => json!({"metadata": {}, "spec": {"selector": null,
            "template": pod_template, "strategy": {}}, "status": {}}),
        ("apps", "StatefulSet") => json!({"metadata": {}, "spec": {"selector": null,
            "template": pod_template, "serviceName": "", "updateStrategy": {}}, "status": {"replicas": 0}}),
        ("apps", "DaemonSet") => json!({"metadata": {}, "spec": {"selector": null,
            "template": pod_template, "updateStrategy": {}}, "status": {}}),
        ("apps", "ReplicaSet") => json!({"metadata": {}, "spec": {"selector": null,
            "template": pod_template}, "status": {"replicas": 0}}),
        ("batch", "Job") => {
            json!({"metadata": {}, "spec": {"template": pod_template}, "status": {}})
        }
        ("batch", "CronJob") => json!({"metadata": {}, "spec": {"schedule": "",
            "jobTemplate": {"metadata": {"creationTimestamp": null}, "spec": {"template": pod_template}}}, "status": {}}),
        ("", "Pod") => json!({"metadata": {}, "spec": {"containers": null}, "status": {}}),
        ("", "Service") => json!({"metadata": {}, "spec": {}, "status": {"loadBalancer": {}}}),
        ("", "Namespace") => json!({"metadata": {}, "spec": {}, "status": {}}),
        ("", "PersistentVolumeClaim") => {
            json!({"metadata": {}, "spec": {"resources": {}}, "status": {}})
        }
        ("networking.k8s.io", "Ingress") => {
            json!({"metadata": {}, "spec": {}, "status": {"loadBalancer": {}}})
        }
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => {
            json!({"metadata": {}, "rules": null})
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            json!({"metadata": {}, "roleRef": {"apiGroup": "", "kind": "", "name": ""}})
        }
        ("autoscaling", "HorizontalPodAutoscaler") => {
            json!({"metadata": {}, "spec": {"scaleTargetRef":
            {"kind": "", "name": ""}, "maxReplicas": 0}, "status": {"desiredReplicas": 0}})
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            json!({"metadata": {}, "spec": {"group": "",
            "names": {"plural": "", "kind": ""}, "scope": "", "versions": null}, "status": {"acceptedNames":
            {"plural": "", "kind": ""}, "storedVersions": null}})
        }
        _ => json!({"metadata": {}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn element_round_trip() {
        for text in [
            "f:spec",
            "k:{\"containerPort\":80,\"protocol\":\"TCP\"}",
            "v:\"a\"",
            "i:3",
        ] {
            let element = PathElement::decode(text).unwrap();
            assert_eq!(element.encode(), text);
        }
        assert!(PathElement::decode("x:1").is_err());
        assert!(PathElement::decode("k:[1]").is_err());
    }

    #[test]
    fn keys_order_numerically() {
        let a = PathElement::decode("k:{\"port\":80}").unwrap();
        let b = PathElement::decode("k:{\"port\":443}").unwrap();
        assert!(a < b);
    }

    #[test]
    fn conflict_paths_print_like_kubectl() {
        let path = vec![
            PathElement::Field("spec".into()),
            PathElement::Key(vec![("name".into(), json!("web"))]),
            PathElement::Field("image".into()),
        ];
        assert_eq!(path_to_string(&path), ".spec[name=\"web\"].image");
    }
}
