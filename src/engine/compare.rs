//! Desired vs live: the sync verdict of one resource.

use crate::engine::ignore::IgnoreRule;
use serde::Serialize;
use serde_json::Value;

/// The sync verdict of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status")]
pub enum Verdict {
    /// Live matches what Git says (fields the server owns never count).
    Synced,
    /// Live differs; `paths` lists the differing fields, e.g.
    /// `spec.template.spec.containers[name=web].image`.
    OutOfSync { paths: Vec<String> },
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
}

impl Default for CompareOptions<'_> {
    fn default() -> Self {
        CompareOptions {
            ignore: &[],
            field_manager: crate::model::FIELD_MANAGER,
        }
    }
}

/// Compare one resource. `desired` is the rendered manifest, `live` the object as the API
/// server returns it. `(Some, None)` is Missing, `(None, Some)` is Extraneous (the caller
/// decides whether the live object is tracked to the app), `(None, None)` is Unknown.
pub fn compare(desired: Option<&Value>, live: Option<&Value>, opts: &CompareOptions) -> Verdict {
    let _ = opts;
    match (desired, live) {
        (Some(_), None) => Verdict::Missing,
        (None, Some(_)) => Verdict::Extraneous,
        (None, None) => Verdict::Unknown {
            reason: "neither desired nor live".into(),
        },
        (Some(_), Some(_)) => Verdict::Unknown {
            reason: "compare not implemented yet".into(),
        },
    }
}

/// The two normalized sides a verdict is computed from, for display: desired normalized, and
/// live projected onto what Git manages (server-set fields, status and ignored paths removed).
pub fn comparable_pair(
    desired: Option<&Value>,
    live: Option<&Value>,
    opts: &CompareOptions,
) -> (Option<Value>, Option<Value>) {
    let _ = opts;
    (desired.cloned(), live.cloned())
}
