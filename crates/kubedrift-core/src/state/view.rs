//! What views read: the immutable snapshot and its parts.

use super::summary::AppSummary;
use super::LiveObject;
use crate::engine::attribution::Attribution;
use crate::engine::compare::Verdict;
use crate::engine::health::{Health, HealthStatus};
use crate::engine::ignore::IgnoreRule;
use crate::model::GroupKind;
use crate::model::{Object, ResourceKey, StoredObject};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One app in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AppId {
    pub app: String,
    pub env: String,
}

impl AppId {
    pub fn new(app: &str, env: &str) -> Self {
        AppId {
            app: app.to_string(),
            env: env.to_string(),
        }
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.app, self.env)
    }
}

/// A shared object (desired or live). Debug and Serialize never show its content: it may be a
/// Secret. Use `engine::diff` (which masks) to show it.
#[derive(Clone, PartialEq)]
pub enum ObjectRef {
    /// A rendered desired object (compact text, see [`crate::engine::app::DesiredResource`]).
    Desired(Arc<StoredObject>),
    /// A live object as the state keeps it (compact text, see [`LiveObject`]).
    Live(Arc<LiveObject>),
}

impl ObjectRef {
    /// The object, read back from its stored text on every call: keep the result only while
    /// it is needed (a diff, a plan), never in a view.
    pub fn get(&self) -> Cow<'_, Object> {
        match self {
            ObjectRef::Desired(object) => object.value(),
            ObjectRef::Live(object) => object.value(),
        }
    }
}

impl fmt::Debug for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rv = match self {
            ObjectRef::Desired(object) => object
                .value()
                .pointer("/metadata/resourceVersion")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            ObjectRef::Live(object) => object.resource_version().map(str::to_string),
        };
        write!(
            f,
            "ObjectRef(resourceVersion {})",
            rv.as_deref().unwrap_or("-")
        )
    }
}

/// The state of one resource of an app.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceView {
    pub key: ResourceKey,
    pub verdict: Verdict,
    pub health: Option<Health>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Who changed the differing fields and which side moved (OutOfSync only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    /// The verdict is Unknown only because the kind's first list has not arrived yet: the app
    /// is still loading, not undecidable.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_list: bool,
    #[serde(skip)]
    pub desired: Option<ObjectRef>,
    #[serde(skip)]
    pub live: Option<ObjectRef>,
}

impl ResourceView {
    /// Same verdict, health and attribution (the objects behind them may differ).
    pub fn same_outcome(&self, other: &ResourceView) -> bool {
        self.verdict == other.verdict
            && self.health == other.health
            && self.attribution == other.attribution
    }
}

/// The sync cell of an app row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SyncState {
    Synced,
    OutOfSync,
    /// Some resource cannot be decided (kind forbidden or not served).
    Unknown,
    /// The app's cluster cannot be reached; verdicts shown are the last known ones.
    Unreachable,
    /// First lists still running.
    Loading,
    /// The app could not be rendered.
    Error,
}

impl SyncState {
    pub fn label(self) -> &'static str {
        match self {
            SyncState::Synced => "Synced",
            SyncState::OutOfSync => "OutOfSync",
            SyncState::Unknown => "Unknown",
            SyncState::Unreachable => "Unreachable",
            SyncState::Loading => "Loading",
            SyncState::Error => "Error",
        }
    }
}

/// One row: an app in an environment.
#[derive(Debug, Clone, Serialize)]
pub struct AppView {
    pub id: AppId,
    pub context: String,
    pub namespace: Option<String>,
    pub revision: String,
    pub sync: SyncState,
    pub health: Option<HealthStatus>,
    /// Why the app is in its sync state; serialized as its text, the `message`.
    #[serde(rename = "message", serialize_with = "summary_message")]
    pub summary: AppSummary,
    #[serde(serialize_with = "arc_list")]
    pub resources: Vec<Arc<ResourceView>>,
    /// The app's ignore rules, so `diff` shows what the verdict compared.
    #[serde(skip)]
    pub ignore: Vec<IgnoreRule>,
    /// What Argo CD / Flux says, for apps read from their objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<super::ControllerView>,
}

impl AppView {
    /// The row's message (see [`AppSummary::message`]).
    pub fn message(&self) -> String {
        self.summary.message()
    }

    /// Why the controller (Argo CD, Flux) and kubedrift disagree about this app, if they do.
    pub fn controller_disagreement(&self) -> Option<String> {
        self.controller
            .as_ref()
            .and_then(|c| c.disagreement(self.sync, &self.revision))
    }
}

fn summary_message<S: Serializer>(summary: &AppSummary, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&summary.message())
}

/// Whether a cluster answers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "state")]
pub enum Reach {
    #[default]
    Connecting,
    Reachable,
    /// A request got no answer in time and is being retried: slow, not known to be down.
    Slow {
        detail: String,
    },
    Unreachable {
        error: String,
    },
}

/// Progress of one watched kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state")]
pub enum KindStatus {
    Listing,
    Watching,
    Forbidden { reason: String },
    Failed { reason: String },
}

/// One cluster (kubeconfig context).
#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    pub context: String,
    pub reach: Reach,
    /// Last time the API server answered.
    pub last_seen: Option<jiff::Timestamp>,
    /// Every watched kind finished its first list (or failed), or the cluster is unreachable.
    pub settled: bool,
    /// Live objects cached.
    pub objects: usize,
    pub kinds: Vec<(GroupKind, KindStatus)>,
}

/// One Git repo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepoView {
    pub name: String,
    pub error: Option<String>,
    pub checked_at: Option<jiff::Timestamp>,
}

/// Everything a view shows, immutable. Cloning is cheap (maps of `Arc`s); a new snapshot
/// shares every unchanged app with the previous one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    pub generation: u64,
    #[serde(serialize_with = "apps_as_list")]
    pub apps: BTreeMap<AppId, Arc<AppView>>,
    pub clusters: BTreeMap<String, ClusterView>,
    pub repos: BTreeMap<String, RepoView>,
    /// Git was read once (every selected app rendered or failed).
    pub sources_loaded: bool,
    /// The configured field managers the verdicts counted as Git's, so `diff` shows what the
    /// verdict compared.
    #[serde(skip)]
    pub field_managers: Arc<[String]>,
}

fn apps_as_list<S: Serializer>(
    apps: &BTreeMap<AppId, Arc<AppView>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(apps.values().map(|a| a.as_ref()))
}

fn arc_list<S: Serializer, T: Serialize>(
    items: &[Arc<T>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(items.iter().map(|a| a.as_ref()))
}

impl Snapshot {
    /// Every cluster finished its first lists (or failed).
    pub fn settled(&self) -> bool {
        self.clusters.values().all(|c| c.settled)
    }

    pub fn app(&self, app: &str, env: &str) -> Option<&Arc<AppView>> {
        self.apps.get(&AppId::new(app, env))
    }
}
