//! Drift attribution: for an OutOfSync resource, who last wrote each differing field and when,
//! and which side moved: the cluster (live drift), Git (Git ahead), or both.
//!
//! Pure: the caller brings the desired manifest, the live object (with its `managedFields`) and
//! the differing [`FieldPath`]s that `compare` reported.
//!
//! Ownership comes from `metadata.managedFields[].fieldsV1`, the API server's record of which
//! field manager set which field (`f:spec`, `k:{"name":"web"}`, `v:"x"`, `i:0`). Each path is
//! mapped onto every entry; the entry that covers the path most deeply wins (ties: the most
//! recent write). A field that is absent live has no owner, so the entry reaching deepest
//! towards it is reported instead, flagged as not exact.
//!
//! Direction, per field:
//! - when our applier's server-side-apply entry exists, live still holds what we applied
//!   exactly where we still own the field, so a difference there means Git moved on (Git
//!   ahead); a field another manager took over was changed in the cluster (live drift);
//! - otherwise, when the `last-applied-configuration` annotation exists (client-side
//!   apply), values decide: desired ≠ last-applied means Git changed, live no longer
//!   containing last-applied (server defaults aside) means the cluster changed, both means
//!   both — except that a field last written by a hand edit (`kubectl edit`, which also
//!   rewrites the annotation, patch, scale, ...) is live drift;
//! - otherwise ownership alone: our manager → Git ahead, another manager → live drift.

use crate::engine::fieldpath::{self, FieldPath, Segment};
use crate::engine::managed;
use crate::engine::normalize;
use crate::engine::schema;
use serde::Serialize;
use serde_json::{Map, Value};

/// Which side moved away from what was last applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    /// The cluster changed after the last apply (`kubectl edit`, `kubectl scale`, a controller).
    LiveDrift,
    /// Git changed after the last apply; the cluster still has what was applied.
    GitAhead,
    /// Both changed.
    Both,
    /// Nothing records what was last applied, so the direction cannot be told.
    Undetermined,
}

impl Direction {
    /// The name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Direction::LiveDrift => "live drift",
            Direction::GitAhead => "Git ahead",
            Direction::Both => "live drift + Git ahead",
            Direction::Undetermined => "undetermined",
        }
    }

    /// Combine the directions of several fields into one for the resource.
    pub fn combine(self, other: Direction) -> Direction {
        use Direction::*;
        match (self, other) {
            (Undetermined, x) | (x, Undetermined) => x,
            (a, b) if a == b => a,
            _ => Both,
        }
    }
}

/// A managedFields entry, as far as attribution needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldWriter {
    /// Field manager, e.g. `kubectl-edit`, `kubectl`, `kube-controller-manager`, `kubedrift`.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// When the entry was last written (RFC 3339, as the server records it).
    pub time: Option<String>,
    /// `status`, `scale`, ... when the write went to a subresource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
}

/// Attribution of one differing field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldAttribution {
    pub path: FieldPath,
    /// The manager whose entry covers the path most deeply.
    pub writer: Option<FieldWriter>,
    /// False when the writer owns only an ancestor (e.g. the field was removed live).
    pub exact: bool,
    pub direction: Direction,
}

/// Attribution of one OutOfSync resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    pub fields: Vec<FieldAttribution>,
    /// The fields' directions combined.
    pub direction: Direction,
}

impl Attribution {
    /// Managers that wrote differing fields, each once, in path order.
    pub fn managers(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for field in &self.fields {
            if let Some(writer) = &field.writer {
                if !seen.contains(&writer.manager.as_str()) {
                    seen.push(&writer.manager);
                }
            }
        }
        seen
    }

    /// One line for tables: `live drift: spec.replicas by kubectl at 2025-..`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for field in &self.fields {
            // A writer that owns only an ancestor did not write this field: naming it
            // would blame the wrong author.
            let who = match field.writer.as_ref().filter(|_| field.exact) {
                Some(w) => match &w.time {
                    Some(t) => format!(" by {} at {t}", w.manager),
                    None => format!(" by {}", w.manager),
                },
                None => String::new(),
            };
            parts.push(format!("{}{who}", field.path));
        }
        format!("{}: {}", self.direction.label(), parts.join(", "))
    }
}

/// One managedFields entry with its parsed field set.
struct Entry<'a> {
    writer: FieldWriter,
    fields: std::borrow::Cow<'a, Map<String, Value>>,
}

/// Attribute every differing `path` of a resource. `our_manager` is the field manager our
/// applier uses (normally [`crate::model::FIELD_MANAGER`]).
pub fn attribute(
    desired: &Value,
    live: &Value,
    paths: &[FieldPath],
    our_manager: &str,
) -> Attribution {
    let entries = entries_of(live);
    let ours_applies = managed::apply_entries(live, our_manager).next().is_some();
    let last_applied = if ours_applies {
        None
    } else {
        last_applied_of(live)
    };
    let desired_norm = normalize::normalize(desired);
    let live_norm = normalize::normalize(live);

    let mut fields = Vec::with_capacity(paths.len());
    let mut direction = Direction::Undetermined;
    for path in paths {
        let (writer, exact) = match best_writer(&entries, live, path) {
            Some((entry, exact)) => (Some(entry.writer.clone()), exact),
            None => (None, false),
        };
        let field_direction = match &last_applied {
            Some(applied) => match by_values(
                fieldpath::get(&desired_norm, path),
                fieldpath::get(&live_norm, path),
                fieldpath::get(applied, path),
            ) {
                // `kubectl edit` (and friends) rewrite an existing last-applied annotation
                // to what they set, so live equals "last applied" although Git never said
                // so: the field's writer tells the truth.
                Some(Direction::GitAhead) if exact && writer.as_ref().is_some_and(is_hand_edit) => {
                    Direction::LiveDrift
                }
                Some(direction) => direction,
                None => by_owner(writer.as_ref(), exact, our_manager),
            },
            None => by_owner(writer.as_ref(), exact, our_manager),
        };
        direction = direction.combine(field_direction);
        fields.push(FieldAttribution {
            path: path.clone(),
            writer,
            exact,
            direction: field_direction,
        });
    }
    Attribution { fields, direction }
}

/// Direction from the three values; None when neither side differs from last-applied (the
/// annotation is stale, e.g. a server-side apply replaced it).
fn by_values(
    desired: Option<&Value>,
    live: Option<&Value>,
    applied: Option<&Value>,
) -> Option<Direction> {
    let git_changed = desired != applied;
    let live_changed = live_changed(applied, live);
    match (git_changed, live_changed) {
        (true, true) => Some(Direction::Both),
        (true, false) => Some(Direction::GitAhead),
        (false, true) => Some(Direction::LiveDrift),
        (false, false) => None,
    }
}

/// True when live no longer holds what was applied. Live is compared as the engine does:
/// what was applied must be contained in live (the server adds defaults to items, drops
/// `false`/`0`), not equal to it.
fn live_changed(applied: Option<&Value>, live: Option<&Value>) -> bool {
    match (applied, live) {
        (None, None) => false,
        (None, Some(_)) => true,
        (Some(applied), None) => !is_go_zero(applied),
        (Some(applied), Some(live)) => !contained_in(applied, live),
    }
}

/// `applied` ⊆ `live`, both normalized (keyed lists sorted by key, quantities canonical).
fn contained_in(applied: &Value, live: &Value) -> bool {
    match (applied, live) {
        (Value::Object(applied), Value::Object(live)) => {
            applied.iter().all(|(key, value)| match live.get(key) {
                Some(live_value) => contained_in(value, live_value),
                None => is_go_zero(value),
            })
        }
        (Value::Array(applied), Value::Array(live)) => {
            applied.len() == live.len() && applied.iter().zip(live).all(|(a, l)| contained_in(a, l))
        }
        (applied, live) => applied == live,
    }
}

/// `false` and `0`: the API server omits them (Go `omitempty`).
fn is_go_zero(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// A write by a person through kubectl that also rewrites the last-applied annotation or
/// changes a value by hand (edit, patch, replace, label, annotate, scale, and plain `kubectl`
/// updates of the scale subresource): such writes are never Git being applied. Not
/// `kubectl-create` or `kubectl-set`: a field they wrote keeps that owner through later
/// applies of the same value, so a Git change there is Git ahead.
fn is_hand_edit(writer: &FieldWriter) -> bool {
    writer.operation == "Update"
        && matches!(
            writer.manager.as_str(),
            "kubectl-edit"
                | "kubectl-patch"
                | "kubectl-replace"
                | "kubectl-label"
                | "kubectl-annotate"
                | "kubectl-scale"
                | "kubectl"
        )
}

fn by_owner(writer: Option<&FieldWriter>, exact: bool, our_manager: &str) -> Direction {
    match writer {
        Some(w) if exact && w.manager == our_manager => Direction::GitAhead,
        Some(_) if exact => Direction::LiveDrift,
        // Only an ancestor is owned: the field itself was removed or never existed live.
        // If we own the ancestor, Git added the field since the last apply.
        Some(w) if w.manager == our_manager => Direction::GitAhead,
        _ => Direction::Undetermined,
    }
}

/// The entry covering `path` most deeply, and whether it covers the path itself (or an atomic
/// ancestor of it) rather than only reaching part of the way. Ties go to the latest write.
fn best_writer<'e, 'a>(
    entries: &'e [Entry<'a>],
    live: &Value,
    path: &FieldPath,
) -> Option<(&'e Entry<'a>, bool)> {
    let mut best: Option<(&Entry<'a>, bool, usize)> = None;
    for entry in entries {
        let Some((depth, exact)) = coverage(&entry.fields, live, path) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((current, current_exact, current_depth)) => {
                (exact, depth) > (current_exact, current_depth)
                    || ((exact, depth) == (current_exact, current_depth)
                        && entry.writer.time > current.writer.time)
            }
        };
        if better {
            best = Some((entry, exact, depth));
        }
    }
    best.map(|(entry, exact, _)| (entry, exact))
}

/// How far `fields` (a fieldsV1 set) reaches along `path`: the number of segments matched and
/// whether that covers the path (reached its end, or stopped at an atomic leaf, which owns
/// everything below it). None when not even the first segment matches.
fn coverage(fields: &Map<String, Value>, live: &Value, path: &FieldPath) -> Option<(usize, bool)> {
    let mut node = fields;
    let mut live_node = Some(live);
    let mut depth = 0;
    for segment in path.segments() {
        let child = match segment {
            Segment::Key(key) => {
                live_node = live_node.and_then(|v| v.get(key.as_str()));
                node.get(&format!("f:{key}"))
            }
            Segment::Item(key_fields) => {
                live_node = live_node.and_then(|v| {
                    v.as_array()?
                        .iter()
                        .find(|item| fieldpath::item_matches(item, key_fields))
                });
                node.iter()
                    .find(|(name, _)| item_key_matches(name, key_fields))
                    .map(|(_, v)| v)
            }
            Segment::Index(index) => {
                let element = live_node.and_then(|v| v.as_array()?.get(*index));
                live_node = element;
                node.get(&format!("i:{index}")).or_else(|| {
                    let element = element?;
                    node.iter()
                        .find(|(name, _)| set_value_matches(name, element))
                        .map(|(_, v)| v)
                })
            }
        };
        match child.and_then(Value::as_object) {
            Some(next) => {
                node = next;
                depth += 1;
            }
            None => {
                // Stopped early: an empty set here means the whole subtree is owned atomically
                // (`f:args: {}` owns every element), which covers the path.
                if depth == 0 {
                    return None;
                }
                let atomic = node.is_empty();
                return Some((depth, atomic));
            }
        }
    }
    Some((depth, true))
}

/// True when a fieldsV1 key `k:{"name":"web"}` names the keyed item `key_fields`.
fn item_key_matches(name: &str, key_fields: &[(String, Value)]) -> bool {
    let Some(keys) = managed::item_key_fields(name) else {
        return false;
    };
    key_fields.len() == keys.len()
        && key_fields.iter().all(|(field, want)| {
            keys.iter()
                .any(|(name, got)| name == field && schema::key_values_equal(got, want))
        })
}

/// True when a fieldsV1 key `v:"x"` names the set element `value`.
fn set_value_matches(name: &str, value: &Value) -> bool {
    name.strip_prefix("v:")
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
        .is_some_and(|v| &v == value)
}

fn entries_of(live: &Value) -> Vec<Entry<'_>> {
    live.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|entry| {
            entry
                .get("fieldsType")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "FieldsV1")
        })
        .filter_map(|entry| {
            let fields = managed::fields_v1(entry.as_object()?)?;
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
            Some(Entry {
                writer: FieldWriter {
                    manager: text("manager").unwrap_or_default(),
                    operation: text("operation").unwrap_or_default(),
                    time: text("time"),
                    subresource: text("subresource").filter(|s| !s.is_empty()),
                },
                fields,
            })
        })
        .collect()
}

/// Last-applied as a normalized `Value`: attribution looks values up by path and compares
/// them whole, which compare's shape-only arena does not serve.
fn last_applied_of(live: &Value) -> Option<Value> {
    let text = managed::last_applied_text(live)?;
    let applied: Value = serde_json::from_str(text).ok()?;
    applied.is_object().then(|| normalize::normalize(&applied))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::{compare, CompareOptions, Verdict};
    use serde_json::json;

    /// A Deployment as the API server returns it after `kubectl apply --server-side
    /// --field-manager=kubedrift`, a controller status update, and then whatever `writes` add.
    fn live_deployment(image: &str, replicas: i64, extra_entries: Vec<Value>) -> Value {
        let mut managed = vec![
            json!({
                "manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1",
                "time": "2025-03-01T10:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:app": {}, "f:kubedrift.io/app": {}}},
                    "f:spec": {
                        "f:replicas": {},
                        "f:selector": {},
                        "f:template": {
                            "f:metadata": {"f:labels": {"f:app": {}}},
                            "f:spec": {"f:containers": {
                                "k:{\"name\":\"web\"}": {
                                    ".": {}, "f:name": {}, "f:image": {},
                                    "f:args": {},
                                    "f:ports": {"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {
                                        ".": {}, "f:containerPort": {}}}
                                }
                            }}
                        }
                    }
                }
            }),
            json!({
                "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                "time": "2025-03-01T10:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
                "fieldsV1": {"f:status": {"f:availableReplicas": {}, "f:replicas": {}}}
            }),
        ];
        managed.extend(extra_entries);
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "shop", "uid": "5d3c7a0e-9f7b-4b7e-8a0c-2f9d1d2c3b4a",
                "resourceVersion": "48213", "generation": 3,
                "creationTimestamp": "2025-03-01T10:00:00Z",
                "labels": {"app": "web", "kubedrift.io/app": "web"},
                "annotations": {"deployment.kubernetes.io/revision": "2"},
                "managedFields": managed
            },
            "spec": {
                "replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "web", "image": image, "args": ["--port=8080"],
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "resources": {}, "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File"
                        }],
                        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                        "schedulerName": "default-scheduler", "securityContext": {},
                        "terminationGracePeriodSeconds": 30
                    }
                }
            },
            "status": {"replicas": replicas, "availableReplicas": replicas, "observedGeneration": 3}
        })
    }

    fn desired_deployment(image: &str, replicas: i64) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop",
                         "labels": {"app": "web", "kubedrift.io/app": "web"}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": image, "args": ["--port=8080"],
                                             "ports": [{"containerPort": 8080}]}]}
                }
            }
        })
    }

    fn drift_paths(desired: &Value, live: &Value) -> Vec<FieldPath> {
        match compare(Some(desired), Some(live), &CompareOptions::default()) {
            Verdict::OutOfSync { paths } => paths,
            other => panic!("expected OutOfSync, got {other:?}"),
        }
    }

    #[test]
    fn kubectl_scale_is_live_drift_attributed_to_kubectl() {
        let scale = json!({
            "manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1",
            "time": "2025-03-02T08:30:00Z", "fieldsType": "FieldsV1", "subresource": "scale",
            "fieldsV1": {"f:spec": {"f:replicas": {}}}
        });
        let mut live = live_deployment("registry.example.com/web:1.4.2", 5, vec![scale]);
        // The scale write took replicas away from kubedrift.
        live["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]
            .as_object_mut()
            .map(|spec| spec.remove("f:replicas"));
        let desired = desired_deployment("registry.example.com/web:1.4.2", 2);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::LiveDrift);
        assert_eq!(result.fields.len(), 1);
        let field = &result.fields[0];
        assert_eq!(field.path.to_string(), "spec.replicas");
        let writer = field.writer.as_ref().expect("writer");
        assert_eq!(writer.manager, "kubectl");
        assert_eq!(writer.subresource.as_deref(), Some("scale"));
        assert_eq!(writer.time.as_deref(), Some("2025-03-02T08:30:00Z"));
        assert!(field.exact);
        assert_eq!(result.managers(), vec!["kubectl"]);
        assert!(result
            .summary()
            .starts_with("live drift: spec.replicas by kubectl at"));
    }

    #[test]
    fn git_change_of_a_field_we_still_own_is_git_ahead() {
        let live = live_deployment("registry.example.com/web:1.4.2", 2, vec![]);
        let desired = desired_deployment("registry.example.com/web:1.5.0", 2);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::GitAhead);
        let field = &result.fields[0];
        assert_eq!(
            field.path.to_string(),
            "spec.template.spec.containers[name=web].image"
        );
        assert_eq!(
            field.writer.as_ref().map(|w| w.manager.as_str()),
            Some("kubedrift")
        );
    }

    #[test]
    fn kubectl_edit_of_image_plus_git_change_of_replicas_is_both() {
        let edit = json!({
            "manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
            "time": "2025-03-02T09:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {"f:image": {}}}}}}}
        });
        let live = live_deployment("registry.example.com/web:hotfix", 2, vec![edit]);
        let desired = desired_deployment("registry.example.com/web:1.4.2", 3);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::Both);
        let by_path: Vec<(String, String, Direction)> = result
            .fields
            .iter()
            .map(|f| {
                (
                    f.path.to_string(),
                    f.writer
                        .as_ref()
                        .map(|w| w.manager.clone())
                        .unwrap_or_default(),
                    f.direction,
                )
            })
            .collect();
        assert!(by_path.contains(&(
            "spec.template.spec.containers[name=web].image".into(),
            "kubectl-edit".into(),
            Direction::LiveDrift
        )));
        assert!(by_path.contains(&(
            "spec.replicas".into(),
            "kubedrift".into(),
            Direction::GitAhead
        )));
    }

    #[test]
    fn multi_key_port_items_map_onto_k_entries() {
        let live = live_deployment("registry.example.com/web:1.4.2", 2, vec![]);
        let path = FieldPath(vec![
            Segment::Key("spec".into()),
            Segment::Key("template".into()),
            Segment::Key("spec".into()),
            Segment::Key("containers".into()),
            Segment::Item(vec![("name".into(), json!("web"))]),
            Segment::Key("ports".into()),
            Segment::Item(vec![
                ("containerPort".into(), json!(8080)),
                ("protocol".into(), json!("TCP")),
            ]),
            Segment::Key("containerPort".into()),
        ]);
        let entries = entries_of(&live);
        let (entry, exact) = best_writer(&entries, &live, &path).expect("covered");
        assert_eq!(entry.writer.manager, "kubedrift");
        assert!(exact);
        // An atomic list owns its elements: args[0] is covered by `f:args: {}`.
        let arg = FieldPath::keys(&["spec", "template", "spec", "containers"]);
        let arg = arg
            .child(Segment::Item(vec![("name".into(), json!("web"))]))
            .child(Segment::Key("args".into()))
            .child(Segment::Index(0));
        let (entry, exact) = best_writer(&entries, &live, &arg).expect("covered");
        assert_eq!(entry.writer.manager, "kubedrift");
        assert!(exact);
    }

    #[test]
    fn client_side_apply_uses_last_applied_values() {
        let applied = desired_deployment("registry.example.com/web:1.4.2", 2);
        let mut live = live_deployment("registry.example.com/web:1.4.2", 2, vec![]);
        live["metadata"]["managedFields"][0]["manager"] = json!("kubectl-client-side-apply");
        live["metadata"]["managedFields"][0]["operation"] = json!("Update");
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            json!(applied.to_string());
        let desired = desired_deployment("registry.example.com/web:1.5.0", 2);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::GitAhead);

        // Now someone also changed the image live: both moved.
        live["spec"]["template"]["spec"]["containers"][0]["image"] =
            json!("registry.example.com/web:debug");
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::Both);

        // Git unchanged, live edited: live drift.
        let paths = drift_paths(&applied, &live);
        let result = attribute(&applied, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::LiveDrift);
    }

    /// Our manager applying only the status subresource says nothing about the spec: the
    /// last-applied values still decide, as they do for compare.
    #[test]
    fn a_status_only_apply_of_ours_leaves_last_applied_in_charge() {
        let applied = desired_deployment("registry.example.com/web:1.4.2", 2);
        let mut live = client_side_applied(&applied, "kubectl-client-side-apply");
        let status_apply = json!({"manager": "kubedrift", "operation": "Apply",
            "subresource": "status", "apiVersion": "apps/v1", "time": "2026-11-20T09:20:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:observedGeneration": {}}}});
        if let Some(entries) = live["metadata"]["managedFields"].as_array_mut() {
            entries.push(status_apply);
        }
        // Git moved the image on; the field's writer (kubectl) alone would say live drift.
        let desired = desired_deployment("registry.example.com/web:1.5.0", 2);
        let paths = drift_paths(&desired, &live);
        assert!(!paths.is_empty());
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::GitAhead);
    }

    #[test]
    fn kubectl_edit_rewriting_the_last_applied_annotation_is_still_live_drift() {
        // Seen against the sandbox with the real kubectl: `kubectl edit` of an object that was
        // `kubectl apply`-ed updates the annotation to the edited value.
        let applied = desired_deployment("registry.example.com/web:1.4.2", 2);
        let edited = desired_deployment("registry.example.com/web:debug", 2);
        let edit = json!({
            "manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
            "time": "2025-03-02T09:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {"f:image": {}}}}}}}
        });
        let mut live = live_deployment("registry.example.com/web:debug", 2, vec![edit]);
        live["metadata"]["managedFields"][0]["manager"] = json!("kubectl-client-side-apply");
        live["metadata"]["managedFields"][0]["operation"] = json!("Update");
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            json!(edited.to_string());
        let paths = drift_paths(&applied, &live);
        let result = attribute(&applied, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::LiveDrift);
        let writer = result.fields[0].writer.as_ref().expect("writer");
        assert_eq!(writer.manager, "kubectl-edit");
    }

    #[test]
    fn missing_field_under_our_item_is_git_ahead_not_exact() {
        let live = live_deployment("registry.example.com/web:1.4.2", 2, vec![]);
        let mut desired = desired_deployment("registry.example.com/web:1.4.2", 2);
        desired["spec"]["template"]["spec"]["containers"][0]["env"] =
            json!([{"name": "LOG_LEVEL", "value": "debug"}]);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::GitAhead);
        assert!(!result.fields[0].exact);
    }

    /// A client-side-applied Deployment: `kubectl apply` of `applied`, as the server returns
    /// it (defaults filled into every container).
    fn client_side_applied(applied: &Value, first_writer: &str) -> Value {
        let mut live = live_deployment("registry.example.com/web:1.4.2", 2, vec![]);
        live["metadata"]["managedFields"][0]["manager"] = json!(first_writer);
        live["metadata"]["managedFields"][0]["operation"] = json!("Update");
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            json!(applied.to_string());
        live
    }

    #[test]
    fn container_removed_from_git_is_git_ahead_despite_server_defaults() {
        let mut applied = desired_deployment("registry.example.com/web:1.4.2", 2);
        applied["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .expect("containers")
            .push(json!({"name": "metrics", "image": "registry.example.com/exporter:0.9.0"}));
        let mut live = client_side_applied(&applied, "kubectl-client-side-apply");
        live["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .expect("containers")
            .push(json!({
                "name": "metrics", "image": "registry.example.com/exporter:0.9.0",
                "imagePullPolicy": "IfNotPresent", "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"
            }));
        let desired = desired_deployment("registry.example.com/web:1.4.2", 2);
        let paths = drift_paths(&desired, &live);
        assert_eq!(paths.len(), 1, "{paths:?}");
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::GitAhead);

        // The cluster changed the removed container too: both moved.
        live["spec"]["template"]["spec"]["containers"][1]["image"] =
            json!("registry.example.com/exporter:debug");
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::Both);
    }

    #[test]
    fn git_change_of_a_field_kubectl_create_wrote_is_git_ahead() {
        // `kubectl create` then `kubectl apply` of the same manifest: the fields stay owned by
        // kubectl-create; a later Git change is Git ahead, not a hand edit.
        let applied = desired_deployment("registry.example.com/web:1.4.2", 2);
        let live = client_side_applied(&applied, "kubectl-create");
        let desired = desired_deployment("registry.example.com/web:1.5.0", 2);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(
            result.fields[0].writer.as_ref().expect("writer").manager,
            "kubectl-create"
        );
        assert_eq!(result.direction, Direction::GitAhead);
    }

    #[test]
    fn summary_names_a_writer_only_when_it_owns_the_field() {
        let live = live_deployment("registry.example.com/web:1.4.2", 2, vec![]);
        let mut desired = desired_deployment("registry.example.com/web:1.4.2", 2);
        desired["spec"]["template"]["spec"]["containers"][0]["env"] =
            json!([{"name": "LOG_LEVEL", "value": "debug"}]);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert!(!result.fields[0].exact);
        assert!(!result.summary().contains(" by "), "{}", result.summary());

        let scale = json!({
            "manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1",
            "time": "2025-03-02T09:00:00Z", "fieldsType": "FieldsV1", "subresource": "scale",
            "fieldsV1": {"f:spec": {"f:replicas": {}}}
        });
        let live = live_deployment("registry.example.com/web:1.4.2", 5, vec![scale]);
        let desired = desired_deployment("registry.example.com/web:1.4.2", 2);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert!(result
            .summary()
            .contains("spec.replicas by kubectl at 2025-03-02T09:00:00Z"));
    }

    #[test]
    fn no_managed_fields_is_undetermined_and_never_panics() {
        let mut live = live_deployment("a", 1, vec![]);
        live["metadata"]["managedFields"] = json!("garbage");
        let desired = desired_deployment("b", 1);
        let paths = drift_paths(&desired, &live);
        let result = attribute(&desired, &live, &paths, "kubedrift");
        assert_eq!(result.direction, Direction::Undetermined);
        assert!(result.fields.iter().all(|f| f.writer.is_none()));
        let odd = attribute(&json!(null), &json!([1, 2]), &paths, "kubedrift");
        assert_eq!(odd.fields.len(), paths.len());
    }
}
