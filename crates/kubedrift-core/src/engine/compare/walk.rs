//! The walk behind [`super::compare`]: desired against live, in place, with what we applied
//! last (three-way), collecting differing paths and optionally the projected live side.

use super::applied::{Applied, View};
use crate::engine::defaults;
use crate::engine::fieldpath::{self, FieldPath, Segment};
use crate::engine::managed;
use crate::engine::normalize::{self, is_blank};
use crate::engine::ownership;
use crate::engine::schema::{self, ItemKey, ListKind};
use serde_json::{Map, Value};

/// What was applied last, as live records it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Owned<'a> {
    /// A subtree of the last-applied-configuration manifest.
    Applied(Applied<'a>),
    /// A subtree of our managedFields `fieldsV1` set (`f:spec`, `k:{"name":"web"}`).
    Fields(&'a Map<String, Value>),
}

/// True when `value` normalizes to nothing (null, "", [], or a map of such).
fn is_deep_blank(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.values().all(is_deep_blank),
        other => is_blank(other),
    }
}

/// Go zero values the API server omits (`omitempty`): `false` and `0`.
fn is_go_zero(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// True when the walk compares a desired map child: it is not blank, or it is `""` (or a
/// map holding one) while live has a value — a blank desired is "don't care" only when live
/// is absent or blank too.
fn compared_in_map(desired: &Value, live: Option<&Value>) -> bool {
    !is_deep_blank(desired)
        || (matches!(desired, Value::String(s) if s.is_empty()) || desired.is_object())
            && live.is_some_and(|l| !is_deep_blank(l))
}

/// `""`, `0` or `null`: a scalar left for the server to fill. (Beside [`is_go_zero`], which
/// is about values the server omits, and `is_blank`, about values that mean "absent".)
fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// Which blank a value normalizes to, if any: `{}`, `[]`, `""` or `null`.
fn blank_class(value: &Value) -> Option<u8> {
    match value {
        Value::Object(_) if is_deep_blank(value) => Some(1),
        Value::Array(items) if items.is_empty() => Some(2),
        Value::String(s) if s.is_empty() => Some(3),
        Value::Null => Some(4),
        _ => None,
    }
}

/// One step of the walker's current path, borrowed from the objects being walked.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Item(ItemKey<'a>),
    Index(usize),
}

fn step_matches(step: &Step<'_>, segment: &Segment) -> bool {
    match (step, segment) {
        (Step::Key(a), Segment::Key(b)) => *a == b.as_str(),
        (Step::Index(a), Segment::Index(b)) => a == b,
        (Step::Item(key), Segment::Item(fields)) => key.matches_fields(fields),
        _ => false,
    }
}

/// Which live items of a keyed list were matched by desired items.
struct Matched {
    small: u64,
    large: Vec<bool>,
}

impl Matched {
    fn new(len: usize) -> Self {
        Matched {
            small: 0,
            large: if len > 64 {
                vec![false; len]
            } else {
                Vec::new()
            },
        }
    }
    fn set(&mut self, index: usize) {
        if self.large.is_empty() {
            if index < 64 {
                self.small |= 1 << index;
            }
        } else if let Some(flag) = self.large.get_mut(index) {
            *flag = true;
        }
    }
    fn get(&self, index: usize) -> bool {
        if self.large.is_empty() {
            index < 64 && self.small & (1 << index) != 0
        } else {
            self.large.get(index).copied().unwrap_or(true)
        }
    }
}

/// What a walk found.
pub(super) struct WalkResult {
    /// The differing paths.
    pub drift: Vec<FieldPath>,
    /// When projecting: live projected onto what Git manages.
    pub projected: Option<Value>,
    /// When projecting: desired fields left to the server (allocated values Git leaves
    /// unset, a cluster-scoped object's namespace), not compared and not shown.
    pub left_to_server: Vec<FieldPath>,
    /// When projecting: live-only items of strategic-merge lists that apply keeps (not
    /// drift), with their paths, for the display to show rather than hide.
    pub kept: Vec<(FieldPath, Value)>,
}

pub(super) struct Walker<'a, 'p> {
    kind: &'a str,
    ignored: &'p [FieldPath],
    path: Vec<Step<'a>>,
    drift: Vec<FieldPath>,
    left_to_server: Vec<FieldPath>,
    kept: Vec<(FieldPath, Value)>,
    project: bool,
    /// Live says what we applied last: a live-only item of a strategic-merge list that we
    /// never applied is one `kubectl apply` keeps, so not drift.
    three_way: bool,
    /// Scratch buffer for `f:<key>` managedFields lookups.
    buf: String,
}

impl<'a, 'p> Walker<'a, 'p> {
    pub(super) fn new(kind: &'a str, ignored: &'p [FieldPath], project: bool) -> Self {
        Walker {
            kind,
            ignored,
            path: Vec::with_capacity(16),
            drift: Vec::new(),
            left_to_server: Vec::new(),
            kept: Vec::new(),
            project,
            three_way: false,
            buf: String::new(),
        }
    }

    /// Walk the whole object.
    pub(super) fn run(
        mut self,
        desired: &'a Value,
        live: &'a Value,
        owned: Option<Owned<'a>>,
    ) -> WalkResult {
        self.three_way = owned.is_some();
        let projected = self.node(desired, Some(live), owned);
        WalkResult {
            drift: self.drift,
            projected,
            left_to_server: self.left_to_server,
            kept: self.kept,
        }
    }

    fn current_path(&self) -> FieldPath {
        FieldPath(
            self.path
                .iter()
                .map(|step| match step {
                    Step::Key(key) => Segment::Key((*key).to_string()),
                    Step::Item(key) => Segment::Item(key.to_fields()),
                    Step::Index(index) => Segment::Index(*index),
                })
                .collect(),
        )
    }

    fn report(&mut self) {
        let path = self.current_path();
        self.drift.push(path);
    }

    fn is_ignored(&self) -> bool {
        !self.ignored.is_empty()
            && self
                .ignored
                .iter()
                .any(|ignored| self.path_is(ignored, None))
    }

    /// True when the current path (plus `extra`) is exactly `target`.
    fn path_is(&self, target: &FieldPath, extra: Option<&Segment>) -> bool {
        let len = self.path.len() + usize::from(extra.is_some());
        target.0.len() == len
            && self
                .path
                .iter()
                .zip(&target.0)
                .all(|(step, segment)| step_matches(step, segment))
            && extra.is_none_or(|extra| target.0.last() == Some(extra))
    }

    /// Fields the server owns at the current depth: status, server metadata and
    /// annotations. Never compared, on either side.
    fn is_server_owned(&self, key: &str) -> bool {
        match self.path.as_slice() {
            [] => key == "status",
            [Step::Key("metadata")] => schema::SERVER_OWNED_METADATA.contains(&key),
            [Step::Key("metadata"), Step::Key("annotations")] => {
                schema::SERVER_OWNED_ANNOTATIONS.contains(&key)
            }
            _ => false,
        }
    }

    /// Tracking marks a GitOps tool adds to the manifest it applies (Argo CD's instance label
    /// and tracking-id annotation, kubedrift's own `kubedrift.io/*` labels): recorded in
    /// last-applied although Git never had them, so never "removed from Git".
    fn is_tracking_mark(&self, key: &str) -> bool {
        match self.path.as_slice() {
            [Step::Key("metadata"), Step::Key("labels")] => {
                key == ownership::ARGOCD_INSTANCE_LABEL
                    || key == ownership::FLUX_KUSTOMIZE_NAME_LABEL
                    || key == ownership::FLUX_KUSTOMIZE_NAMESPACE_LABEL
                    || key == ownership::FLUX_HELM_NAME_LABEL
                    || key == ownership::FLUX_HELM_NAMESPACE_LABEL
                    || key == ownership::KUBEDRIFT_ENV_LABEL
                    || key == crate::model::TRACKING_LABEL
                    || key.starts_with("kubedrift.io/")
            }
            [Step::Key("metadata"), Step::Key("annotations")] => {
                key == ownership::ARGOCD_TRACKING_ID_ANNOTATION || key.starts_with("kubedrift.io/")
            }
            _ => false,
        }
    }

    /// Identity fields: matched before comparing, never "removed from Git" (a manifest
    /// applied with `-n` records a namespace Git does not spell out).
    fn is_identity(&self, key: &str) -> bool {
        match self.path.as_slice() {
            [] => matches!(key, "apiVersion" | "kind"),
            [Step::Key("metadata")] => matches!(key, "name" | "namespace"),
            _ => false,
        }
    }

    /// Fields the API server allocates when a Service is created (cluster IP, node ports).
    /// Git leaving them unset (`""`, `0`) or dropping them does not release them: the server
    /// keeps what it allocated, so live's value is never drift.
    fn is_allocated(&self, key: &str) -> bool {
        self.kind == "Service"
            && match self.path.as_slice() {
                [Step::Key("spec")] => matches!(key, "clusterIP" | "healthCheckNodePort"),
                [Step::Key("spec"), Step::Key("ports"), Step::Item(_)] => key == "nodePort",
                _ => false,
            }
    }

    /// A field Git dropped since the last apply that applying Git would leave as it is live:
    /// a key field of the list item it sits in (the item was matched by it, with the server's
    /// default filled in: `protocol: TCP`), or a field whose live value is what the server
    /// defaults it back to ([`defaults`]). Not drift; `kubectl diff --server-side` is empty.
    fn defaulted_back(
        &self,
        field: &str,
        live: Option<&Value>,
        live_parent: &Map<String, Value>,
    ) -> bool {
        let Some(live) = live else {
            return false;
        };
        if let Some(Step::Item(key)) = self.path.last() {
            if key.spec.fields.contains(&field) {
                return true;
            }
        }
        // The map keys down to here, list items skipped (removed fields are rare: this runs
        // off the hot path, and on the stack).
        let mut keys: [&str; 24] = [""; 24];
        let mut depth = 0;
        for step in &self.path {
            if let Step::Key(key) = step {
                let Some(slot) = keys.get_mut(depth) else {
                    return false;
                };
                *slot = key;
                depth += 1;
            }
        }
        keys.get(..depth)
            .and_then(|keys| defaults::server_default(self.kind, keys, field))
            .is_some_and(|default| default.is(live, live_parent))
    }

    /// `metadata.namespace` in Git on an object live keeps without one: a cluster-scoped kind,
    /// whose namespace the API server drops. Identity matching already paired the two.
    fn is_cluster_scoped_namespace(&self, key: &str, live: Option<&Value>) -> bool {
        live.is_none()
            && key == "namespace"
            && matches!(self.path.as_slice(), [Step::Key("metadata")])
    }

    /// Lists others append to by design, where an empty list in Git claims nothing: metadata
    /// `finalizers` (controllers add theirs) and keyed lists with extra live items allowed.
    fn others_append(&self, live_items: &[Value]) -> bool {
        let (_, key) = self.context();
        matches!(
            self.path.as_slice(),
            [Step::Key("metadata"), Step::Key("finalizers")]
        ) || matches!(
            schema::list_kind(self.kind, key, live_items),
            ListKind::Keyed(spec) if spec.extra_live_items_allowed
        )
    }

    fn projected(&self, live: Option<&Value>) -> Option<Value> {
        if self.project {
            live.cloned()
        } else {
            None
        }
    }

    /// The field name of the current node and of its enclosing map, from the path (list
    /// items and their fields count as the list's). Quantity, int-or-string and base64 rules
    /// key on these.
    ///
    /// Derived from the path stack rather than passed down as arguments: rustc 1.95 (LLVM
    /// 22.1.2) miscompiles recursive functions that pass their own `&str` argument on in
    /// another position, at every opt-level ≥ 1.
    fn context(&self) -> (&'a str, &'a str) {
        let mut keys = self.path.iter().rev().filter_map(|step| match step {
            Step::Key(key) => Some(*key),
            _ => None,
        });
        let key = keys.next().unwrap_or("");
        let parent = keys.next().unwrap_or("");
        (parent, key)
    }

    /// Compare a desired node with the live node at the same place.
    fn node(
        &mut self,
        desired: &'a Value,
        live: Option<&'a Value>,
        owned: Option<Owned<'a>>,
    ) -> Option<Value> {
        match desired {
            Value::Object(desired_map) => match live {
                Some(Value::Object(live_map)) => self.map(desired_map, live_map, owned),
                _ if is_deep_blank(desired) && live.is_none_or(is_blank) => self.projected(live),
                _ => {
                    self.report();
                    self.projected(live)
                }
            },
            Value::Array(desired_items) => match live {
                Some(Value::Array(live_items)) => self.list(desired_items, live_items, owned),
                _ if desired_items.is_empty() && live.is_none_or(is_blank) => self.projected(live),
                _ => {
                    self.report();
                    self.projected(live)
                }
            },
            scalar => {
                let equal = match live {
                    Some(live) if live == scalar => true,
                    Some(live) => {
                        let (parent, key) = self.context();
                        normalize::scalars_equal(self.kind, parent, key, scalar, live)
                    }
                    // Go's `omitempty`: the server drops `false` and `0` (hostNetwork,
                    // readOnly, initialDelaySeconds), so none live means the same. Projected
                    // as the zero it stands for.
                    None if is_go_zero(scalar) => {
                        return self.project.then(|| scalar.clone());
                    }
                    // A key field the server defaults (`protocol: TCP` of a port).
                    None => {
                        let (parent, key) = self.context();
                        matches!(self.path.as_slice(), [.., Step::Item(_), Step::Key(_)])
                            && parent == "ports"
                            && schema::default_key_value(key).is_some_and(|d| d == scalar)
                    }
                };
                if !equal {
                    self.report();
                }
                self.projected(live)
            }
        }
    }

    /// Compare an item of a list without keys. Normalization keeps list items even when
    /// blank, so blank items only equal blank items of the same type (`[""]` ≠ `[null]`).
    fn item(&mut self, desired: &'a Value, live: &'a Value) -> Option<Value> {
        // Canonicalization never turns a present scalar blank, so the raw values tell.
        let (d, l) = (blank_class(desired), blank_class(live));
        if d.is_some() || l.is_some() {
            if d != l {
                self.report();
            }
            return self.projected(Some(live));
        }
        self.node(desired, Some(live), None)
    }

    fn map(
        &mut self,
        desired: &'a Map<String, Value>,
        live: &'a Map<String, Value>,
        owned: Option<Owned<'a>>,
    ) -> Option<Value> {
        let mut projected = self.project.then(Map::new);
        // Applied entries a compared desired field already accounts for: the removal pass
        // below would look each up again only to skip it.
        let applied_entries = match owned {
            Some(Owned::Applied(applied)) => match applied.view() {
                View::Map(entries) => Some(entries),
                _ => None,
            },
            _ => None,
        };
        let mut accounted = Matched::new(applied_entries.map_or(0, |e| e.len()));
        for (child_key, desired_child) in desired {
            let live_child = schema::field_of(live, child_key);
            // Normalization drops fields that are blank all the way down: so does the walk,
            // unless Git says "" where live has a value.
            if !compared_in_map(desired_child, live_child) || self.is_server_owned(child_key) {
                continue;
            }
            if (self.is_allocated(child_key) && is_unset(desired_child))
                || self.is_cluster_scoped_namespace(child_key, live_child)
            {
                if self.project {
                    self.path.push(Step::Key(child_key));
                    let path = self.current_path();
                    self.left_to_server.push(path);
                    self.path.pop();
                }
                continue;
            }
            self.path.push(Step::Key(child_key));
            if !self.is_ignored() {
                let child_owned = owned.and_then(|o| self.owned_child(&o, child_key));
                if let (Some(entries), Some(Owned::Applied(child))) = (applied_entries, child_owned)
                {
                    if let Some(position) = entries.position(child) {
                        accounted.set(position);
                    }
                }
                let result = self.node(desired_child, live_child, child_owned);
                if let (Some(projected), Some(result)) = (projected.as_mut(), result) {
                    projected.insert(child_key.clone(), result);
                }
            }
            self.path.pop();
        }
        if let Some(o) = owned {
            match o {
                Owned::Applied(_) => {
                    let Some(entries) = applied_entries else {
                        return projected.map(Value::Object);
                    };
                    for (position, (owned_key, owned_child)) in entries.entries().enumerate() {
                        if accounted.get(position) || entries.is_shadowed(position) {
                            continue;
                        }
                        self.owned_key_removed(
                            owned_key,
                            Owned::Applied(owned_child),
                            desired,
                            live,
                            projected.as_mut(),
                        );
                    }
                }
                Owned::Fields(fields) => {
                    for (field, child) in fields {
                        if let (Some(owned_key), Some(child)) =
                            (field.strip_prefix("f:"), child.as_object())
                        {
                            self.owned_key_removed(
                                owned_key,
                                Owned::Fields(child),
                                desired,
                                live,
                                projected.as_mut(),
                            );
                        }
                    }
                }
            }
        }
        projected.map(Value::Object)
    }

    /// An owned key Git no longer sets (absent or blank in desired): drift if still live.
    fn owned_key_removed(
        &mut self,
        owned_key: &'a str,
        owned_child: Owned<'a>,
        desired: &'a Map<String, Value>,
        live: &'a Map<String, Value>,
        projected: Option<&mut Map<String, Value>>,
    ) {
        let live_child = schema::field_of(live, owned_key);
        if schema::field_of(desired, owned_key).is_some_and(|v| compared_in_map(v, live_child))
            || self.is_server_owned(owned_key)
            || self.is_identity(owned_key)
            || self.is_tracking_mark(owned_key)
            || self.is_allocated(owned_key)
            || self.defaulted_back(owned_key, live_child, live)
        {
            return;
        }
        self.path.push(Step::Key(owned_key));
        if !self.is_ignored() {
            let result = self.owned_only(live_child, owned_child);
            if let (Some(projected), Some(result)) = (projected, result) {
                projected.insert(owned_key.to_string(), result);
            }
        }
        self.path.pop();
    }

    fn owned_child(&mut self, owned: &Owned<'a>, key: &str) -> Option<Owned<'a>> {
        match owned {
            Owned::Applied(applied) => applied
                .get(key)
                .filter(|v| !v.is_null())
                .map(Owned::Applied),
            Owned::Fields(map) => {
                self.buf.clear();
                self.buf.push_str("f:");
                self.buf.push_str(key);
                map.get(self.buf.as_str())
                    .and_then(Value::as_object)
                    .map(Owned::Fields)
            }
        }
    }

    /// The owned item with the same key as a desired (or live) item.
    fn owned_item(&self, owned: &Owned<'a>, key: &ItemKey<'_>) -> Option<Owned<'a>> {
        match owned {
            Owned::Applied(applied) => match applied.view() {
                View::List(items) => items
                    .items()
                    .find(|item| item.item_has_key(key))
                    .map(Owned::Applied),
                _ => None,
            },
            Owned::Fields(map) => map.iter().find_map(|(name, value)| {
                let fields = managed::item_key_fields(name)?;
                if key.matches_fields(&fields) {
                    value.as_object().map(Owned::Fields)
                } else {
                    None
                }
            }),
        }
    }

    fn list(
        &mut self,
        desired: &'a [Value],
        live: &'a [Value],
        owned: Option<Owned<'a>>,
    ) -> Option<Value> {
        let (_, key) = self.context();
        match schema::list_kind(self.kind, key, desired) {
            ListKind::Keyed(spec) => self.keyed_list(spec, desired, live, owned),
            ListKind::Set => self.set_list(desired, live),
            ListKind::Ordered => {
                if desired.len() != live.len() {
                    self.report();
                    return self.project.then(|| Value::Array(live.to_vec()));
                }
                let mut projected = self.project.then(Vec::new);
                let before = self.drift.len();
                for (index, (d, l)) in desired.iter().zip(live).enumerate() {
                    self.path.push(Step::Index(index));
                    if !self.is_ignored() {
                        let result = self.item(d, l);
                        if let Some(projected) = projected.as_mut() {
                            projected.push(result.unwrap_or(Value::Null));
                        }
                    }
                    self.path.pop();
                }
                if self.drift.len() > before && schema::is_keyed_field(self.kind, key) {
                    // A malformed keyed list (items without keys): positions mean nothing,
                    // the list as a whole differs.
                    self.drift.truncate(before);
                    self.report();
                    return self.project.then(|| Value::Array(live.to_vec()));
                }
                projected.map(Value::Array)
            }
        }
    }

    fn keyed_list(
        &mut self,
        spec: &'static schema::KeySpec,
        desired: &'a [Value],
        live: &'a [Value],
        owned: Option<Owned<'a>>,
    ) -> Option<Value> {
        let mut projected = self.project.then(Vec::new);
        let mut matched = Matched::new(live.len());
        // Each live item's key, computed once (on the stack for the usual short lists).
        let mut stack_keys: [Option<ItemKey<'a>>; 16] = [None; 16];
        let heap_keys: Vec<Option<ItemKey<'a>>>;
        let live_keys: &[Option<ItemKey<'a>>] = if live.len() <= stack_keys.len() {
            for (slot, item) in stack_keys.iter_mut().zip(live) {
                *slot = ItemKey::of(spec, item);
            }
            &stack_keys[..live.len()]
        } else {
            heap_keys = live.iter().map(|item| ItemKey::of(spec, item)).collect();
            &heap_keys
        };
        // Live items without a key, or sharing one, cannot be matched (a real API server
        // never returns them): the list as a whole is then the difference.
        let ambiguous = live_keys.iter().enumerate().any(|(index, key)| match key {
            None => true,
            Some(key) => live_keys
                .iter()
                .take(index)
                .any(|other| other.is_some_and(|other| other.same_as(key))),
        });
        if ambiguous {
            self.report();
            return self.project.then(|| Value::Array(live.to_vec()));
        }
        for desired_item in desired {
            let Some(desired_key) = ItemKey::of(spec, desired_item) else {
                continue;
            };
            self.path.push(Step::Item(desired_key));
            if !self.is_ignored() {
                let found = live_keys
                    .iter()
                    .position(|k| k.is_some_and(|k| k.same_as(&desired_key)));
                match found {
                    Some(index) => {
                        matched.set(index);
                        let item_owned = owned.and_then(|o| self.owned_item(&o, &desired_key));
                        let result = self.node(desired_item, live.get(index), item_owned);
                        if let (Some(projected), Some(result)) = (projected.as_mut(), result) {
                            projected.push(result);
                        }
                    }
                    None => self.report(),
                }
            }
            self.path.pop();
        }
        for (index, live_item) in live.iter().enumerate() {
            if matched.get(index) {
                continue;
            }
            let Some(live_key) = live_keys.get(index).copied().flatten() else {
                continue;
            };
            let owned_by_us = owned
                .iter()
                .any(|o| self.owned_item(o, &live_key).is_some());
            let kept = spec.extra_live_items_allowed || (self.three_way && spec.kept_by_apply);
            if kept && !owned_by_us {
                // Shown as kept (display only), unless controllers append here by design.
                if self.project && !spec.extra_live_items_allowed {
                    self.path.push(Step::Item(live_key));
                    if !self.is_ignored() {
                        let path = self.current_path();
                        self.kept.push((path, live_item.clone()));
                    }
                    self.path.pop();
                }
                continue;
            }
            self.path.push(Step::Item(live_key));
            if !self.is_ignored() {
                self.report();
                if let Some(projected) = projected.as_mut() {
                    projected.push(live_item.clone());
                }
            }
            self.path.pop();
        }
        projected.map(Value::Array)
    }

    /// Lists whose order carries no meaning (Endpoints subsets): each desired item must be
    /// covered by a distinct live item and no live item may be left over. Items have no
    /// identity, so a mismatch is reported on the list itself.
    fn set_list(&mut self, desired: &'a [Value], live: &'a [Value]) -> Option<Value> {
        let mut used = vec![false; live.len()];
        let mut pairs: Vec<(&'a Value, &'a Value)> = Vec::with_capacity(desired.len());
        let project = self.project;
        self.project = false;
        let mut all_covered = true;
        for (index, desired_item) in desired.iter().enumerate() {
            self.path.push(Step::Index(index));
            let mut found = None;
            for (live_index, live_item) in live.iter().enumerate() {
                if used.get(live_index).copied().unwrap_or(true) {
                    continue;
                }
                let before = self.drift.len();
                self.item(desired_item, live_item);
                let covered = self.drift.len() == before;
                self.drift.truncate(before);
                if covered {
                    found = Some((live_index, live_item));
                    break;
                }
            }
            self.path.pop();
            match found {
                Some((live_index, live_item)) => {
                    if let Some(flag) = used.get_mut(live_index) {
                        *flag = true;
                    }
                    pairs.push((desired_item, live_item));
                }
                None => all_covered = false,
            }
        }
        self.project = project;
        if !all_covered || used.iter().any(|u| !u) {
            self.report();
            return self.project.then(|| Value::Array(live.to_vec()));
        }
        if !self.project {
            return None;
        }
        let mut projected = Vec::with_capacity(pairs.len());
        for (index, (desired_item, live_item)) in pairs.into_iter().enumerate() {
            self.path.push(Step::Index(index));
            if let Some(result) = self.item(desired_item, live_item) {
                projected.push(result);
            }
            self.path.pop();
        }
        Some(Value::Array(projected))
    }

    /// A field we applied before that Git no longer sets: drift wherever it is still live.
    /// Reports the most precise paths the owned record allows.
    fn owned_only(&mut self, live: Option<&'a Value>, owned: Owned<'a>) -> Option<Value> {
        let live = live.filter(|v| !is_deep_blank(v))?;
        match owned {
            Owned::Applied(applied) => match (applied.view(), live) {
                // We applied "" and live now has a value Git no longer sets: drift.
                (View::String(_), _) => {
                    self.report();
                    self.projected(Some(live))
                }
                // We applied an empty list and live has items: applying again empties an
                // atomic list (tolerations, RBAC rules), and a keyed list's items Git does not
                // name are drift as ever — unless others append there by design.
                (View::List(items), Value::Array(live_items)) if items.is_empty() => {
                    if self.others_append(live_items) {
                        return None;
                    }
                    self.report();
                    self.projected(Some(live))
                }
                _ if applied.is_blank() => None,
                (View::Map(entries), Value::Object(live_map)) => {
                    let mut projected = self.project.then(Map::new);
                    for (position, (child_key, child)) in entries.entries().enumerate() {
                        if (child.is_blank() && !child.is_string() && !child.is_list())
                            || entries.is_shadowed(position)
                            || self.is_server_owned(child_key)
                            || self.is_identity(child_key)
                            || self.is_tracking_mark(child_key)
                            || self.defaulted_back(
                                child_key,
                                schema::field_of(live_map, child_key),
                                live_map,
                            )
                        {
                            continue;
                        }
                        self.path.push(Step::Key(child_key));
                        if !self.is_ignored() {
                            let result = self.owned_only(
                                schema::field_of(live_map, child_key),
                                Owned::Applied(child),
                            );
                            if let (Some(projected), Some(result)) = (projected.as_mut(), result) {
                                projected.insert(child_key.to_string(), result);
                            }
                        }
                        self.path.pop();
                    }
                    projected.filter(|p| !p.is_empty()).map(Value::Object)
                }
                (View::List(applied_items), Value::Array(live_items)) => {
                    let (_, key) = self.context();
                    match schema::list_kind(self.kind, key, live_items) {
                        ListKind::Keyed(spec) => {
                            let mut projected = self.project.then(Vec::new);
                            for item in applied_items.items() {
                                let Some(fields) = item.item_key_fields(spec) else {
                                    continue;
                                };
                                let live_item = live_items
                                    .iter()
                                    .find(|l| fieldpath::item_matches(l, &fields));
                                if let Some(live_item) = live_item {
                                    self.report_item(fields, live_item, projected.as_mut());
                                }
                            }
                            projected.filter(|p| !p.is_empty()).map(Value::Array)
                        }
                        _ => {
                            self.report();
                            self.projected(Some(live))
                        }
                    }
                }
                _ => {
                    self.report();
                    self.projected(Some(live))
                }
            },
            Owned::Fields(fields) => {
                let has_children = fields.keys().any(|k| k.starts_with("f:"));
                let has_items = fields.keys().any(|k| k.starts_with("k:"));
                match live {
                    Value::Object(live_map) if has_children => {
                        let mut projected = self.project.then(Map::new);
                        for (child_key, child) in fields {
                            let (Some(name), Some(child)) =
                                (child_key.strip_prefix("f:"), child.as_object())
                            else {
                                continue;
                            };
                            if self.is_server_owned(name)
                                || self.is_identity(name)
                                || self.is_tracking_mark(name)
                                || self.defaulted_back(
                                    name,
                                    schema::field_of(live_map, name),
                                    live_map,
                                )
                            {
                                continue;
                            }
                            self.path.push(Step::Key(name));
                            if !self.is_ignored() {
                                let result = self.owned_only(
                                    schema::field_of(live_map, name),
                                    Owned::Fields(child),
                                );
                                if let (Some(projected), Some(result)) =
                                    (projected.as_mut(), result)
                                {
                                    projected.insert(name.to_string(), result);
                                }
                            }
                            self.path.pop();
                        }
                        projected.filter(|p| !p.is_empty()).map(Value::Object)
                    }
                    Value::Array(live_items) if has_items => {
                        let mut projected = self.project.then(Vec::new);
                        for name in fields.keys() {
                            let Some(item_fields) = managed::item_key_fields(name) else {
                                continue;
                            };
                            let live_item = live_items
                                .iter()
                                .find(|item| fieldpath::item_matches(item, &item_fields));
                            if let Some(live_item) = live_item {
                                self.report_item(item_fields, live_item, projected.as_mut());
                            }
                        }
                        projected.filter(|p| !p.is_empty()).map(Value::Array)
                    }
                    _ => {
                        self.report();
                        self.projected(Some(live))
                    }
                }
            }
        }
    }

    /// Report an owned list item still live (unless ignored) and project it.
    fn report_item(
        &mut self,
        fields: Vec<(String, Value)>,
        live_item: &Value,
        projected: Option<&mut Vec<Value>>,
    ) {
        let segment = Segment::Item(fields);
        if self
            .ignored
            .iter()
            .any(|ig| self.path_is(ig, Some(&segment)))
        {
            return;
        }
        let mut path = self.current_path();
        path.0.push(segment);
        self.drift.push(path);
        if let Some(projected) = projected {
            projected.push(live_item.clone());
        }
    }
}
