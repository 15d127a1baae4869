//! Desired vs live: the sync verdict of one resource.
//!
//! Both sides are walked in place (nothing is copied on the hot path), with normalization
//! applied leaf by leaf, so the walk sees exactly what [`normalize`] would produce. The rules:
//!
//! - desired ⊆ live: every field Git sets must be present live with the same meaning; fields
//!   only live has (server defaults, status, server-owned metadata, controller annotations)
//!   are not drift;
//! - keyed lists (containers by name, ports by port+protocol, ...) match items by key; a live
//!   item Git does not name in a list Git sets is drift (an added container), except in lists
//!   controllers append to (ServiceAccount `secrets`) and, three-way, in strategic-merge lists
//!   (`schema`'s table) when we never applied the item: `kubectl apply` keeps it (a sidecar a
//!   webhook injected);
//! - other lists compare in order;
//! - three-way: when live says what we applied last (the managedFields `Apply` entry of our
//!   field manager, of a configured one or of the GitOps tool tracking the object, else the
//!   `kubectl.kubernetes.io/last-applied-configuration` annotation), a field we applied that
//!   Git no longer has, still present live, is drift — unless the server would default it
//!   back to its live value (`defaults`);
//! - ignored paths (per-app rules and built-ins such as aggregated ClusterRole `rules`) vanish
//!   from both sides.

mod applied;
mod walk;

use crate::engine::fieldpath;
/// Differing paths are structured; re-exported for the callers of [`compare`].
pub use crate::engine::fieldpath::{FieldPath, Segment};
use crate::engine::ignore::{self, IgnoreRule};
use crate::engine::managed;
use crate::engine::normalize::{self, is_blank, kind_of};
use crate::engine::ownership::{self, Tool};
use crate::engine::schema;
use applied::AppliedDoc;
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use walk::{Owned, WalkResult, Walker};

/// The sync verdict of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status")]
pub enum Verdict {
    /// Live matches what Git says (fields the server owns never count).
    Synced,
    /// Live differs; `paths` lists the differing fields, e.g.
    /// `spec.template.spec.containers[name=web].image`.
    OutOfSync { paths: Vec<FieldPath> },
    /// In Git, not in the cluster.
    Missing,
    /// In the cluster, tracked to this app, not in Git.
    Extraneous,
    /// Could not be decided (e.g. the kind may not be listed, render failed).
    Unknown { reason: String },
}

impl Verdict {
    /// The name shown to users: `Synced`, `OutOfSync`, `Missing`, `Extraneous`, `Unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Synced => "Synced",
            Verdict::OutOfSync { .. } => "OutOfSync",
            Verdict::Missing => "Missing",
            Verdict::Extraneous => "Extraneous",
            Verdict::Unknown { .. } => "Unknown",
        }
    }

    /// True for every verdict that means "the cluster does not match Git".
    pub fn is_drift(&self) -> bool {
        matches!(
            self,
            Verdict::OutOfSync { .. } | Verdict::Missing | Verdict::Extraneous
        )
    }
}

/// Knobs of one comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions<'a> {
    /// Per-app ignore rules; only those whose target matches the object apply.
    pub ignore: &'a [IgnoreRule],
    /// The field manager whose managedFields entry counts as "last applied by us".
    pub field_manager: &'a str,
    /// More field managers whose server-side apply counts as ours (config `field_managers`:
    /// a GitOps tool whose marks kubedrift does not know, a CI job's `kubectl apply
    /// --server-side --field-manager`). The managers of the GitOps tool whose tracking marks
    /// the object carries count without being listed.
    pub field_managers: &'a [String],
}

impl Default for CompareOptions<'_> {
    fn default() -> Self {
        CompareOptions {
            ignore: &[],
            field_manager: crate::model::FIELD_MANAGER,
            field_managers: &[],
        }
    }
}

/// Compare one resource. `desired` is the rendered manifest, `live` the object as the API
/// server returns it. `(Some, None)` is Missing, `(None, Some)` is Extraneous (the caller
/// decides whether the live object is tracked to the app), `(None, None)` is Unknown.
///
/// The two sides must already be paired by identity ([`crate::model::ResourceKey`], with
/// namespaces defaulted): a live object without a namespace is then known to be
/// cluster-scoped, and the namespace Git may carry for it is not compared.
pub fn compare(desired: Option<&Value>, live: Option<&Value>, opts: &CompareOptions) -> Verdict {
    match (desired, live) {
        (Some(_), None) => Verdict::Missing,
        (None, Some(_)) => Verdict::Extraneous,
        (None, None) => Verdict::Unknown {
            reason: "neither desired nor live".into(),
        },
        (Some(desired), Some(live)) => match Prepared::new(desired, live, opts) {
            Err(reason) => Verdict::Unknown { reason },
            Ok(prepared) => {
                let paths = prepared.walk(false).drift;
                if paths.is_empty() {
                    Verdict::Synced
                } else {
                    Verdict::OutOfSync { paths }
                }
            }
        },
    }
}

/// The two normalized sides a verdict is computed from, for display: desired normalized, and
/// live projected onto what Git manages (server-set fields, status and ignored paths removed).
/// A structural diff of the two shows exactly the paths [`compare`] reports.
pub fn comparable_pair(
    desired: Option<&Value>,
    live: Option<&Value>,
    opts: &CompareOptions,
) -> (Option<Value>, Option<Value>) {
    let pair = display_pair(desired, live, opts);
    (pair.desired, pair.live)
}

/// What the display diff shows of one resource: the [`comparable_pair`], and the live-only
/// items of strategic-merge lists that a three-way compare found apply keeps (a sidecar or env
/// var a webhook injected): not drift, so not in the pair, but shown annotated so nothing
/// is hidden ([`crate::engine::diff::diff_with_kept`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DisplayPair {
    pub desired: Option<Value>,
    pub live: Option<Value>,
    /// Kept live-only items with their paths, in walk order.
    pub kept: Vec<(FieldPath, Value)>,
}

/// [`comparable_pair`] plus the live-only items apply keeps.
pub fn display_pair(
    desired: Option<&Value>,
    live: Option<&Value>,
    opts: &CompareOptions,
) -> DisplayPair {
    let (desired, live, kept) = match (desired, live) {
        (Some(desired), Some(live)) => match Prepared::new(desired, live, opts) {
            Ok(prepared) => {
                let walked = prepared.walk(true);
                let kept = walked.kept;
                let mut projected = walked
                    .projected
                    .unwrap_or_else(|| Value::Object(Map::new()));
                normalize::normalize_in_place(&mut projected);
                let mut desired = normalize::normalize(&prepared.desired);
                strip_server_owned(&mut desired);
                let mut hidden = prepared
                    .ignored
                    .iter()
                    .chain(&walked.left_to_server)
                    .peekable();
                if hidden.peek().is_some() {
                    for path in hidden {
                        fieldpath::remove(&mut desired, path);
                    }
                    // Removing a field can leave an empty parent behind.
                    normalize::normalize_in_place(&mut desired);
                }
                (Some(desired), Some(projected), kept)
            }
            Err(_) => (
                Some(normalize::normalize(desired)),
                Some(normalize::normalize(live)),
                Vec::new(),
            ),
        },
        (Some(desired), None) => {
            let mut desired = normalize::normalize(desired);
            strip_server_owned(&mut desired);
            (Some(desired), None, Vec::new())
        }
        (None, Some(live)) => {
            let mut live = normalize::normalize(live);
            strip_server_owned(&mut live);
            (None, Some(live), Vec::new())
        }
        (None, None) => (None, None, Vec::new()),
    };
    DisplayPair {
        desired,
        live,
        kept,
    }
}

/// Everything a walk needs, prepared once per comparison.
struct Prepared<'a> {
    kind: &'a str,
    /// Desired as given; normalized up front only for Secrets (`stringData` folding).
    desired: Cow<'a, Value>,
    /// Live as walked: as given, except a Secret that carries `stringData` (a manifest used
    /// as "live", or a server that kept it), which is folded like desired.
    live_walked: Cow<'a, Value>,
    /// What we applied last: our managedFields Apply entry, else the last-applied annotation.
    applied: Option<LastApplied<'a>>,
    ignored: Vec<FieldPath>,
}

/// The record of our last apply a three-way walk follows.
enum LastApplied<'a> {
    /// Our server-side-apply managedFields entry (`fieldsV1`).
    Fields(Cow<'a, Map<String, Value>>),
    /// kubectl's client-side last-applied-configuration annotation.
    Annotation(AppliedDoc<'a>),
}

impl<'a> Prepared<'a> {
    fn new(desired: &'a Value, live: &'a Value, opts: &CompareOptions<'a>) -> Result<Self, String> {
        if !desired.is_object() {
            return Err("desired manifest is not an object".into());
        }
        if !live.is_object() {
            return Err("live object is not an object".into());
        }
        let (desired_kind, live_kind) = (kind_of(desired), kind_of(live));
        if !desired_kind.is_empty() && !live_kind.is_empty() && desired_kind != live_kind {
            return Err(format!(
                "desired kind {desired_kind} and live kind {live_kind} differ"
            ));
        }
        let kind = if desired_kind.is_empty() {
            live_kind
        } else {
            desired_kind
        };

        let mut ignored = ignore::ignored_paths(opts.ignore, Some(desired), Some(live));
        if kind == "ClusterRole" && desired.get("aggregationRule").is_some_and(|v| !is_blank(v)) {
            // The aggregation controller fills `rules`; Git does not own them. (Aggregation
            // added live only is drift, and so are the rules it brings.)
            ignored.push(FieldPath::keys(&["rules"]));
        }

        let desired = if kind == "Secret" {
            Cow::Owned(normalize::normalize(desired))
        } else {
            Cow::Borrowed(desired)
        };

        let live_walked = if kind == "Secret" && live.get("stringData").is_some() {
            Cow::Owned(normalize::normalize(live))
        } else {
            Cow::Borrowed(live)
        };

        let applied = match our_apply_entry(live, opts) {
            Some(fields) => Some(LastApplied::Fields(fields)),
            None => last_applied_of(live, kind).map(LastApplied::Annotation),
        };
        Ok(Prepared {
            kind,
            desired,
            live_walked,
            applied,
            ignored,
        })
    }

    /// Walk desired against live (projecting live onto what Git manages when `project`).
    fn walk(&self, project: bool) -> WalkResult {
        let owned = self.applied.as_ref().map(|applied| match applied {
            LastApplied::Fields(fields) => Owned::Fields(fields.as_ref()),
            LastApplied::Annotation(doc) => Owned::Applied(doc.root()),
        });
        Walker::new(self.kind, &self.ignored, project).run(&self.desired, &self.live_walked, owned)
    }
}

/// What we last applied server-side: the `Apply` managedFields entry of our field manager,
/// else of a configured one, else of the GitOps tool that tracks the object (Argo CD's
/// server-side sync as `argocd-controller`, Flux as `kustomize-controller`): a field that
/// tool applied and Git has since dropped is drift for it, so for us too.
fn our_apply_entry<'a>(
    live: &'a Value,
    opts: &CompareOptions<'a>,
) -> Option<Cow<'a, Map<String, Value>>> {
    let entry = |manager: &'a str| managed::apply_entries(live, manager).next();
    if let Some(fields) = entry(opts.field_manager) {
        return Some(fields);
    }
    if let Some(fields) = opts.field_managers.iter().find_map(|m| entry(m.as_str())) {
        return Some(fields);
    }
    // The marks are read only when such an entry exists (rare, and off the hot path).
    [Tool::ArgoCd, Tool::Flux].into_iter().find_map(|tool| {
        let fields = ownership::field_managers(tool)
            .iter()
            .find_map(|manager| entry(manager))?;
        ownership::tracking_marks(live)
            .iter()
            .any(|mark| mark.tool == tool)
            .then_some(fields)
    })
}

/// The parsed last-applied-configuration annotation; `None` when absent or not a JSON
/// object. Secrets are normalized so `stringData` counts as the `data` it became.
fn last_applied_of<'a>(live: &'a Value, kind: &str) -> Option<AppliedDoc<'a>> {
    let text = managed::last_applied_text(live)?;
    if kind == "Secret" {
        let mut applied: Value = serde_json::from_str(text).ok()?;
        normalize::normalize_in_place(&mut applied);
        return AppliedDoc::from_value(&applied);
    }
    AppliedDoc::parse(text)
}

/// Drop status and server-owned metadata (uid, resourceVersion, managedFields, server
/// annotations, ...) from a normalized object.
fn strip_server_owned(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    map.shift_remove("status");
    if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
        for key in schema::SERVER_OWNED_METADATA {
            metadata.shift_remove(*key);
        }
        if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
            for key in schema::SERVER_OWNED_ANNOTATIONS {
                annotations.shift_remove(*key);
            }
            if annotations.is_empty() {
                metadata.shift_remove("annotations");
            }
        }
        if metadata.is_empty() {
            map.shift_remove("metadata");
        }
    }
}
