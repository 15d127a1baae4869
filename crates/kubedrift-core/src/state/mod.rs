//! State: desired vs live per app and environment, published as an immutable snapshot plus a
//! change stream.
//!
//! [`State`] is pure and synchronous: `apply(input) → changes`. A watch event
//!   recomputes only the verdict of that one resource (in the apps it concerns); a re-rendered
//!   app recomputes that app. Every change bumps the generation and rebuilds only the changed
//!   app views; the [`Snapshot`] shares everything else (`Arc`), so it is cheap to clone and a
//!   view can read it every frame without blocking.
//! The async side (cluster watchers, git follow, renders) lives in the app crate's `live`
//! module: it feeds `State` and publishes snapshots and [`Change`]s.
//!
//! Stale async replies are dropped: every render request carries a per-app sequence number,
//! and a reply older than the newest one applied is ignored.

mod cluster_event;
mod controller;
mod evaluate;
mod index;
mod live_object;
mod summarize;
mod summary;
mod view;
pub mod watch_plan;

pub use cluster_event::ClusterEvent;
pub use controller::{ControllerTool, ControllerView};
pub use live_object::LiveObject;
pub use summary::{AppSummary, SyncCause};
pub use view::{
    AppId, AppView, ClusterView, KindStatus, ObjectRef, Reach, RepoView, ResourceView, Snapshot,
    SyncState,
};

pub use crate::engine::app::DesiredResource;
use crate::engine::ignore::IgnoreRule;
use crate::model::{GroupKind, ResourceKey, Scopes};
use std::collections::{btree_map, BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use evaluate::evaluate;
use index::{is_of_kind, AppsByContext, FastMap, FastSet, KeyIndex, LiveIndex};
use summarize::{app_view, cluster_view};

/// What rendering an app at a revision produced.
#[derive(Clone)]
pub struct RenderedApp {
    pub objects: Vec<DesiredResource>,
    /// False when some file failed to parse: then an object absent from `objects` may just be
    /// in the broken file, so nothing is called Extraneous.
    pub complete: bool,
    /// Problems that did not stop the render (shown in the message).
    pub problems: Vec<String>,
}

/// One app in one environment as Git says it should be (the result of a render).
#[derive(Clone)]
pub struct DesiredApp {
    pub id: AppId,
    /// kubeconfig context of the environment.
    pub context: String,
    pub namespace: Option<String>,
    /// Short commit (and ref) rendered, e.g. `main@1a2b3c4`.
    pub revision: String,
    /// Per-app request sequence number; replies older than the newest applied are dropped.
    pub seq: u64,
    pub rendered: Result<RenderedApp, String>,
    pub ignore: Vec<IgnoreRule>,
}

/// An input to the state.
pub enum Input {
    /// An app was (re)rendered.
    Desired(DesiredApp),
    /// An app no longer exists in Git (or was filtered out).
    RemoveApp(AppId),
    /// What the cluster tasks of `context` will list: kinds, and namespaces (None: all).
    Plan {
        context: String,
        kinds: BTreeSet<GroupKind>,
        namespaces: Option<BTreeSet<String>>,
        /// Kinds watched for metadata only (nothing desired is of these kinds).
        metadata_only: BTreeSet<GroupKind>,
    },
    /// Something a cluster task saw.
    Cluster {
        context: String,
        event: ClusterEvent,
    },
    /// The first Git poll finished (every app was rendered once, or failed).
    SourcesLoaded,
    /// What the GitOps controller (Argo CD, Flux) says about an app (None: no longer known).
    /// Kept apart from renders: the controller's status moves on its own.
    Controller {
        id: AppId,
        view: Option<ControllerView>,
    },
    /// A repo could be read (`error: None`) or not.
    Repo {
        name: String,
        error: Option<String>,
        at: jiff::Timestamp,
    },
}

/// A small notice that something changed; read the snapshot of at least `generation` for
/// the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub generation: u64,
    pub what: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// The app's row (sync, health, message, revision) or its resource list changed.
    App(AppId),
    /// One resource's verdict or health changed (the app row is reported too when it changed).
    Resource {
        app: AppId,
        key: ResourceKey,
    },
    /// The app is gone.
    AppRemoved(AppId),
    /// A cluster's reachability or list progress changed.
    Cluster(String),
    Repo(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KindState {
    /// Watched, first list not complete.
    Pending,
    /// First list complete for these namespaces (None: all namespaces).
    Listed,
    Failed {
        reason: String,
        forbidden: bool,
    },
}

#[derive(Default)]
struct ClusterState {
    reach: Reach,
    last_seen: Option<jiff::Timestamp>,
    discovered: bool,
    planned_kinds: BTreeSet<GroupKind>,
    planned_namespaces: Option<BTreeSet<String>>,
    metadata_only: BTreeSet<GroupKind>,
    kinds: HashMap<GroupKind, KindState>,
    /// The namespaces (None: all, or cluster-scoped) where each kind's first list completed.
    listed_scopes: HashMap<GroupKind, Listed>,
    /// Which kinds are cluster-scoped (built in, plus what discovery said).
    scopes: Scopes,
    live: LiveIndex,
    /// Which apps of this context desire or report each key (kept by `State::note_key`).
    reported: KeyIndex,
}

impl ClusterState {
    fn kind_state(&self, kind: &GroupKind) -> KindState {
        self.kinds.get(kind).cloned().unwrap_or(KindState::Pending)
    }

    /// Every planned kind finished its first list or failed; or the cluster is unreachable.
    fn settled(&self) -> bool {
        if matches!(self.reach, Reach::Unreachable { .. }) {
            return true;
        }
        self.discovered
            && self
                .planned_kinds
                .iter()
                .all(|k| !matches!(self.kinds.get(k), None | Some(KindState::Pending)))
    }

    /// The cluster answered at `at`; true when its apps' rows show that (an unreachable
    /// cluster's rows say when it was last seen, a slow one's whether it ever answered).
    fn see(&mut self, at: jiff::Timestamp) -> bool {
        let before = self.last_seen.replace(at);
        match self.reach {
            Reach::Unreachable { .. } => before != Some(at),
            Reach::Slow { .. } => before.is_none(),
            _ => false,
        }
    }

    fn kind_listed_everywhere(&self, kind: &GroupKind) -> bool {
        let Some(listed) = self.listed_scopes.get(kind) else {
            return false;
        };
        match (
            &self.planned_namespaces,
            self.scopes.is_cluster_scoped(&kind.group, &kind.kind),
        ) {
            (Some(namespaces), false) => namespaces
                .iter()
                .all(|ns| listed.namespaces.contains(ns.as_str())),
            _ => listed.everywhere,
        }
    }
}

/// Where one kind's first list completed.
#[derive(Default)]
struct Listed {
    /// In every namespace at once (or the kind is cluster-scoped).
    everywhere: bool,
    namespaces: HashSet<String>,
}

struct AppState {
    id: AppId,
    context: String,
    namespace: Option<String>,
    revision: String,
    seq: u64,
    render_error: Option<String>,
    problems: Vec<String>,
    complete: bool,
    ignore: Vec<IgnoreRule>,
    desired: FastMap<ResourceKey, DesiredResource>,
    results: BTreeMap<ResourceKey, Arc<ResourceView>>,
}

/// The pure state: apply inputs, get changes, read snapshots.
pub struct State {
    generation: u64,
    apps: BTreeMap<AppId, AppState>,
    clusters: BTreeMap<String, ClusterState>,
    repos: BTreeMap<String, RepoView>,
    /// The controllers' opinions, by app (also for apps not rendered yet).
    controllers: BTreeMap<AppId, ControllerView>,
    sources_loaded: bool,
    snapshot: Arc<Snapshot>,
    /// Configured field managers whose server-side apply counts as Git's (three-way).
    field_managers: Arc<[String]>,
    /// The apps of each context, by name.
    apps_by_context: AppsByContext,
    /// What inputs applied since the last publish changed (see [`State::apply_deferred`]).
    pending: Changed,
}

/// The resources to recompute after one input, each once, by app.
#[derive(Default)]
struct Work {
    apps: FastMap<AppId, AppWork>,
}

/// What to recompute of one app.
#[derive(Default)]
struct AppWork {
    /// Every resource of the app (desired, reported, claimed), as they are when the work is
    /// done: a whole-app recompute builds no key set.
    all: bool,
    keys: FastSet<ResourceKey>,
}

impl Work {
    /// Change the work of the app `id` (its id is cloned only when it has none yet).
    fn with_app(&mut self, id: &AppId, change: impl FnOnce(&mut AppWork)) {
        match self.apps.get_mut(id) {
            Some(app) => change(app),
            None => {
                let mut app = AppWork::default();
                change(&mut app);
                self.apps.insert(id.clone(), app);
            }
        }
    }

    /// Recompute `key` of the app `id`.
    fn key(&mut self, id: &AppId, key: &ResourceKey) {
        self.with_app(id, |app| {
            if !app.keys.contains(key) {
                app.keys.insert(key.clone());
            }
        });
    }

    /// Recompute every resource of the app `id`.
    fn all(&mut self, id: &AppId) {
        self.with_app(id, |app| app.all = true);
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    pub fn new() -> Self {
        State {
            generation: 0,
            apps: BTreeMap::new(),
            clusters: BTreeMap::new(),
            repos: BTreeMap::new(),
            controllers: BTreeMap::new(),
            sources_loaded: false,
            snapshot: Arc::new(Snapshot::default()),
            field_managers: Arc::from([]),
            apps_by_context: AppsByContext::default(),
            pending: Changed::default(),
        }
    }

    /// A state whose compares also count `field_managers`' server-side applies as Git's
    /// (config `settings.field_managers`, see [`crate::engine::compare::CompareOptions`]).
    pub fn with_field_managers(field_managers: Vec<String>) -> Self {
        let field_managers: Arc<[String]> = Arc::from(field_managers);
        State {
            snapshot: Arc::new(Snapshot {
                field_managers: Arc::clone(&field_managers),
                ..Snapshot::default()
            }),
            field_managers,
            ..State::new()
        }
    }

    /// The current snapshot (cheap: an `Arc` clone).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot)
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Apply one input; returns what changed. The snapshot may be republished without a
    /// visible change (a live object moved on with the same verdict): watch `generation()`.
    pub fn apply(&mut self, input: Input) -> Vec<ChangeKind> {
        self.apply_deferred(input);
        self.publish_deferred()
    }

    /// Apply several inputs in order and publish once: one generation, one snapshot, and
    /// the changes of all of them (an app or resource touched by several is reported once).
    pub fn apply_batch(&mut self, inputs: impl IntoIterator<Item = Input>) -> Vec<ChangeKind> {
        for input in inputs {
            self.apply_deferred(input);
        }
        self.publish_deferred()
    }

    /// Apply one input without publishing: the snapshot and generation stay as they were
    /// until [`State::publish_deferred`], which reports the changes of every input applied
    /// since the last publish.
    pub fn apply_deferred(&mut self, input: Input) {
        let mut changed = std::mem::take(&mut self.pending);
        let mut work = Work::default();
        self.apply_input(input, &mut changed, &mut work);
        // Every input's effects on the caches are in place before anything is recomputed, so
        // a resource several of them touch is recomputed once, from the final state. Apps are
        // independent: the order they are recomputed in does not matter.
        for (id, app_work) in work.apps {
            self.recompute(&id, app_work, &mut changed);
        }
        self.pending = changed;
    }

    /// Publish what the inputs applied since the last publish changed (nothing when
    /// nothing did: the generation stays).
    pub fn publish_deferred(&mut self) -> Vec<ChangeKind> {
        let changed = std::mem::take(&mut self.pending);
        self.publish(changed)
    }

    fn apply_input(&mut self, input: Input, changed: &mut Changed, work: &mut Work) {
        match input {
            Input::Desired(desired) => self.apply_desired(desired, changed, work),
            Input::RemoveApp(id) => {
                if let Some(app) = self.apps.remove(&id) {
                    self.unindex_app(&app);
                    changed.forget(&id);
                    if !changed.removed.contains(&id) {
                        changed.removed.push(id);
                    }
                }
            }
            Input::Plan {
                context,
                kinds,
                namespaces,
                metadata_only,
            } => {
                let cluster = self.clusters.entry(context.clone()).or_default();
                if cluster.planned_kinds != kinds
                    || cluster.planned_namespaces != namespaces
                    || cluster.metadata_only != metadata_only
                {
                    // A kind switching between metadata-only and full objects must be
                    // listed again before anything is decided from it.
                    let switched: Vec<GroupKind> = cluster
                        .metadata_only
                        .symmetric_difference(&metadata_only)
                        .cloned()
                        .collect();
                    for kind in &switched {
                        cluster.kinds.insert(kind.clone(), KindState::Pending);
                        cluster.listed_scopes.remove(kind);
                        cluster.live.remove_kind(kind);
                    }
                    cluster.planned_kinds = kinds;
                    cluster.planned_namespaces = namespaces;
                    cluster.metadata_only = metadata_only;
                    // A kind listed before a new app namespace joined the plan is not listed
                    // there yet: nothing is decided from it (nor the cluster settled) until
                    // that namespace is listed too.
                    let unlisted: Vec<GroupKind> = cluster
                        .kinds
                        .iter()
                        .filter(|(kind, state)| {
                            **state == KindState::Listed && !cluster.kind_listed_everywhere(kind)
                        })
                        .map(|(kind, _)| kind.clone())
                        .collect();
                    for kind in unlisted {
                        cluster.kinds.insert(kind, KindState::Pending);
                    }
                    changed.clusters.insert(context.clone());
                    self.refresh_context(&context, None, changed, work);
                }
            }
            Input::Cluster { context, event } => self.apply_cluster(context, event, changed, work),
            Input::Controller { id, view } => {
                let moved = match view {
                    Some(view) => self.controllers.insert(id.clone(), view.clone()) != Some(view),
                    None => self.controllers.remove(&id).is_some(),
                };
                if moved && self.apps.contains_key(&id) {
                    changed.apps.insert(id);
                }
            }
            Input::SourcesLoaded => {
                if !self.sources_loaded {
                    self.sources_loaded = true;
                    changed.sources = true;
                }
            }
            Input::Repo { name, error, at } => {
                let view = RepoView {
                    name: name.clone(),
                    error: error.clone(),
                    checked_at: Some(at),
                };
                let previous = self.repos.insert(name.clone(), view);
                if previous.map(|p| p.error) != Some(error) {
                    changed.repos.insert(name);
                }
            }
        }
    }

    fn apply_desired(&mut self, desired: DesiredApp, changed: &mut Changed, work: &mut Work) {
        if let Some(existing) = self.apps.get(&desired.id) {
            if desired.seq < existing.seq {
                return; // a stale render reply
            }
        }
        let cluster = self.clusters.entry(desired.context.clone()).or_default();
        let (render_error, problems, complete, objects) = match desired.rendered {
            Ok(rendered) => (None, rendered.problems, rendered.complete, rendered.objects),
            Err(error) => (Some(error), Vec::new(), false, Vec::new()),
        };
        let mut desired_map = FastMap::default();
        for mut obj in objects {
            cluster.scopes.rescope(&mut obj.key);
            desired_map.insert(obj.key.clone(), obj);
        }
        // The app's rules, plus the fields the Argo Rollouts controller owns.
        let mut ignore = desired.ignore;
        ignore.extend(crate::engine::rollout::controller_owned_fields(
            desired_map
                .iter()
                .filter(|(k, _)| crate::engine::rollout::is_rollout_key(k))
                .map(|(k, d)| (k, d.value())),
        ));
        let previous = self.apps.remove(&desired.id);
        if let Some(previous) = &previous {
            self.unindex_app(previous);
        }
        let mut app = AppState {
            id: desired.id.clone(),
            context: desired.context,
            namespace: desired.namespace,
            revision: desired.revision,
            seq: desired.seq,
            render_error,
            problems,
            complete,
            ignore,
            desired: desired_map,
            results: BTreeMap::new(),
        };
        let changed_keys = previous.and_then(|previous| {
            let keys = changed_desired_keys(&previous, &mut app);
            app.results = previous.results;
            keys
        });
        let id = app.id.clone();
        self.index_app(&app);
        self.apps.insert(id.clone(), app);
        match changed_keys {
            Some(keys) => {
                for key in keys {
                    work.key(&id, &key);
                }
            }
            None => self.recompute_app(&id, work),
        }
        // Removed earlier in the batch: reported removed, then as a new app.
        changed.apps.insert(id);
    }

    fn apply_cluster(
        &mut self,
        context: String,
        event: ClusterEvent,
        changed: &mut Changed,
        work: &mut Work,
    ) {
        let cluster = self.clusters.entry(context.clone()).or_default();
        // Late events of a watcher whose mode was switched (metadata-only vs full) are dropped.
        let stale = match &event {
            ClusterEvent::Listed {
                kind,
                metadata_only,
                ..
            }
            | ClusterEvent::Upserted {
                kind,
                metadata_only,
                ..
            }
            | ClusterEvent::Deleted {
                kind,
                metadata_only,
                ..
            } => cluster.metadata_only.contains(kind) != *metadata_only,
            _ => false,
        };
        if stale {
            return;
        }
        match event {
            ClusterEvent::Seen { at } => {
                cluster.last_seen = Some(at);
                self.set_reach(&context, Reach::Reachable, changed);
            }
            ClusterEvent::Slow { detail, .. } => {
                self.set_reach(&context, Reach::Slow { detail }, changed);
            }
            ClusterEvent::Unreachable { error, .. } => {
                self.set_reach(&context, Reach::Unreachable { error }, changed);
            }
            ClusterEvent::Discovered {
                served,
                cluster_scoped,
                missing,
                at,
            } => {
                self.apply_discovered(&context, served, cluster_scoped, missing, at, changed, work)
            }
            ClusterEvent::Listed {
                kind,
                namespace,
                objects,
                at,
                ..
            } => self.apply_listed(&context, kind, namespace, objects, at, changed, work),
            ClusterEvent::Upserted { object, at, .. } => {
                if cluster.see(at) {
                    self.touch_rows(&context, changed);
                }
                let Some(cluster) = self.clusters.get_mut(&context) else {
                    return;
                };
                let mut object = object;
                object.share_key(
                    object
                        .key()
                        .and_then(|key| cluster.reported.known_key(key))
                        .cloned(),
                );
                if let Some(key) = object.key().cloned() {
                    if cluster.live.get(&key).is_some_and(|old| **old == object) {
                        return; // a repeated event (e.g. after a watch restart)
                    }
                    cluster.live.insert(key.clone(), Arc::new(object));
                    self.recompute_key(&context, &key, work);
                }
            }
            ClusterEvent::Deleted { object, at, .. } => {
                if cluster.see(at) {
                    self.touch_rows(&context, changed);
                }
                let Some(cluster) = self.clusters.get_mut(&context) else {
                    return;
                };
                if let Some(key) = object.key() {
                    if cluster.live.remove(key).is_some() {
                        self.recompute_key(&context, key, work);
                    }
                }
            }
            ClusterEvent::KindFailed {
                kind,
                reason,
                forbidden,
                ..
            } => {
                let state = KindState::Failed { reason, forbidden };
                if cluster.kinds.get(&kind) != Some(&state) {
                    cluster.kinds.insert(kind.clone(), state);
                    // The cache of that kind can no longer be trusted.
                    cluster.live.remove_kind(&kind);
                    cluster.listed_scopes.remove(&kind);
                    changed.clusters.insert(context.clone());
                    self.refresh_context(&context, Some(&kind), changed, work);
                }
            }
        }
    }

    /// Discovery ran: which kinds exist (a missing CRD fails its kind), which are
    /// cluster-scoped (desired objects of those kinds lose their namespace).
    #[allow(clippy::too_many_arguments)]
    fn apply_discovered(
        &mut self,
        context: &str,
        served: Vec<GroupKind>,
        cluster_scoped: Vec<GroupKind>,
        missing: Vec<GroupKind>,
        at: jiff::Timestamp,
        changed: &mut Changed,
        work: &mut Work,
    ) {
        let cluster = self.clusters.entry(context.to_string()).or_default();
        cluster.discovered = true;
        cluster.last_seen = Some(at);
        cluster.reach = Reach::Reachable;
        cluster.scopes.learn(cluster_scoped);
        // Verdicts depend on what discovery says only through the kinds' states and the
        // desired keys' scopes: only the kinds whose state moved, and the apps whose keys
        // moved, are recomputed (every row is rebuilt: the cluster answered).
        let mut moved_kinds: Vec<GroupKind> = Vec::new();
        for kind in served {
            if matches!(
                cluster.kinds.get(&kind),
                Some(KindState::Failed {
                    forbidden: false,
                    ..
                })
            ) {
                cluster.kinds.insert(kind.clone(), KindState::Pending);
                moved_kinds.push(kind);
            }
        }
        for kind in missing {
            let state = KindState::Failed {
                reason: format!("{kind} is not served by this cluster (CRD not installed?)"),
                forbidden: false,
            };
            if cluster.kinds.get(&kind) != Some(&state) {
                cluster.kinds.insert(kind.clone(), state);
                moved_kinds.push(kind);
            }
        }
        changed.clusters.insert(context.to_string());
        for id in self.apps_by_context.all(context) {
            let Some(app) = self.apps.get_mut(&id) else {
                continue;
            };
            let scopes = &cluster.scopes;
            let rekeyed: Vec<DesiredResource> = app
                .desired
                .values()
                .filter(|d| {
                    d.key.namespace.is_some() && scopes.is_cluster_scoped(&d.key.group, &d.key.kind)
                })
                .cloned()
                .collect();
            if rekeyed.is_empty() {
                continue;
            }
            for mut obj in rekeyed {
                let old = obj.key.clone();
                app.desired.remove(&old);
                cluster
                    .reported
                    .note(&id, &old, app.results.contains_key(&old));
                scopes.rescope(&mut obj.key);
                cluster.reported.note(&id, &obj.key, true);
                app.desired.insert(obj.key.clone(), obj);
            }
            // A desired key moved: what other results read of the desired set (a Rollout's
            // workload) may have moved with it.
            work.all(&id);
        }
        self.touch_rows(context, changed);
        for kind in moved_kinds {
            self.refresh_context(context, Some(&kind), changed, work);
        }
    }

    /// A complete (re)list of `kind` in `namespace` replaces what the cache held there; only
    /// resources whose live object really changed are recomputed.
    #[allow(clippy::too_many_arguments)]
    fn apply_listed(
        &mut self,
        context: &str,
        kind: GroupKind,
        namespace: Option<String>,
        objects: Vec<LiveObject>,
        at: jiff::Timestamp,
        changed: &mut Changed,
        work: &mut Work,
    ) {
        let cluster = self.clusters.entry(context.to_string()).or_default();
        // A list is an answer: an unreachable or slow cluster is reachable again, and its
        // apps' rows say so.
        let rows_stale = cluster.reach != Reach::Reachable;
        cluster.last_seen = Some(at);
        cluster.reach = Reach::Reachable;
        if rows_stale {
            changed.clusters.insert(context.to_string());
            self.touch_rows(context, changed);
        }
        let Some(cluster) = self.clusters.get_mut(context) else {
            return;
        };
        let objects: Vec<Arc<LiveObject>> = objects
            .into_iter()
            .filter(|obj| obj.key().is_some())
            .map(|mut obj| {
                let known = obj.key().and_then(|key| cluster.reported.known_key(key));
                obj.share_key(known.cloned());
                Arc::new(obj)
            })
            .collect();
        let fresh: FastSet<&ResourceKey> = objects.iter().filter_map(|obj| obj.key()).collect();
        let mut touched: Vec<ResourceKey> = Vec::new();
        for key in cluster.live.keys_in_scope(&kind, namespace.as_deref()) {
            if !fresh.contains(key.as_ref()) {
                cluster.live.remove(&key);
                touched.push(ResourceKey::clone(&key));
            }
        }
        for obj in &objects {
            let Some(key) = obj.key() else {
                continue;
            };
            let same = cluster.live.get(key).is_some_and(|old| {
                old.resource_version() == obj.resource_version() && **old == **obj
            });
            if !same {
                touched.push(key.clone());
                cluster.live.insert(key.clone(), Arc::clone(obj));
            }
        }
        let listed = match cluster.listed_scopes.get_mut(&kind) {
            Some(listed) => listed,
            None => cluster.listed_scopes.entry(kind.clone()).or_default(),
        };
        match namespace {
            Some(namespace) => {
                listed.namespaces.insert(namespace);
            }
            None => listed.everywhere = true,
        }
        let was = cluster.kind_state(&kind);
        if cluster.kind_listed_everywhere(&kind) {
            cluster.kinds.insert(kind.clone(), KindState::Listed);
        }
        if was != cluster.kind_state(&kind) {
            changed.clusters.insert(context.to_string());
            self.refresh_context(context, Some(&kind), changed, work);
        }
        for key in touched {
            self.recompute_key(context, &key, work);
        }
    }

    /// Recompute every resource (of `kind`, or all) of every app in `context`, e.g. after a
    /// kind finished listing or the cluster's reachability changed.
    fn refresh_context(
        &mut self,
        context: &str,
        kind: Option<&GroupKind>,
        changed: &mut Changed,
        work: &mut Work,
    ) {
        for id in self.apps_by_context.all(context) {
            match kind {
                None => self.recompute_app(&id, work),
                Some(kind) => {
                    let Some(app) = self.apps.get(&id) else {
                        continue;
                    };
                    for key in app.desired.keys().chain(app.results.keys()) {
                        if is_of_kind(key, kind) {
                            work.key(&id, key);
                        }
                    }
                    // Live objects of the kind claimed by the app: one listed in a namespace
                    // before the kind was listed in every app namespace was not decided then
                    // (Extraneous needs the whole kind listed) and must be now.
                    if let (true, Some(cluster)) = (app.complete, self.clusters.get(context)) {
                        for key in cluster.live.claimed_by(&id.app, &id.env) {
                            if is_of_kind(key, kind) {
                                work.key(&id, key);
                            }
                        }
                    }
                }
            }
            changed.apps.insert(id);
        }
    }

    /// A live object changed: recompute it in the apps of `context` it concerns (desired
    /// there, tracked to them, or previously reported by them).
    fn recompute_key(&mut self, context: &str, key: &ResourceKey, work: &mut Work) {
        let Some(cluster) = self.clusters.get(context) else {
            return;
        };
        for id in cluster.reported.apps(key) {
            work.key(id, key);
        }
        for name in cluster.live.tracked_names(key) {
            for id in self.apps_by_context.named(context, &name) {
                work.key(id, key);
            }
        }
    }

    /// Recompute what `work` names of the app `id`.
    fn recompute(&mut self, id: &AppId, work: AppWork, changed: &mut Changed) {
        let Some(app) = self.apps.get_mut(id) else {
            return;
        };
        let cluster = self.clusters.get(&app.context);
        let field_managers = &self.field_managers;
        let mut judged = Judged::default();
        if work.all {
            // Each resource once: the ones reported before, in their order (no lookup, no
            // sort), then the new ones (desired, claimed or named, not reported before).
            let previous = std::mem::take(&mut app.results);
            let desired_reported = previous
                .keys()
                .filter(|key| app.desired.contains_key(*key))
                .count();
            let mut new: Vec<&ResourceKey> = Vec::new();
            if desired_reported < app.desired.len() {
                new.extend(
                    app.desired
                        .keys()
                        .filter(|key| !previous.contains_key(*key)),
                );
            }
            if let (true, Some(cluster)) = (app.complete, cluster) {
                new.extend(
                    cluster.live.claimed_by(&id.app, &id.env).filter(|key| {
                        !app.desired.contains_key(*key) && !previous.contains_key(*key)
                    }),
                );
            }
            new.extend(work.keys.iter().filter(|key| !previous.contains_key(*key)));
            new.sort_unstable();
            new.dedup();
            let mut results: Vec<(ResourceKey, Arc<ResourceView>)> =
                Vec::with_capacity(previous.len() + new.len());
            let mut judge = |key: &ResourceKey, previous: Option<Arc<ResourceView>>| {
                // The results are not read by `evaluate`: it may run with them taken out.
                let result = evaluate(app, cluster, key, field_managers);
                let desired = app.desired.contains_key(key);
                judged.judge(key, previous.as_ref(), result.as_ref(), desired);
                result.map(Arc::new)
            };
            for (key, view) in previous {
                if let Some(view) = judge(&key, Some(view)) {
                    results.push((key, view));
                }
            }
            for key in new {
                if let Some(view) = judge(key, None) {
                    results.push((key.clone(), view));
                }
            }
            // Sorted already but for the new keys at the end.
            app.results = results.into_iter().collect();
        } else {
            for key in work.keys {
                let result = evaluate(app, cluster, &key, field_managers);
                let desired = app.desired.contains_key(&key);
                match app.results.entry(key) {
                    btree_map::Entry::Occupied(mut entry) => {
                        judged.judge(entry.key(), Some(entry.get()), result.as_ref(), desired);
                        match result {
                            Some(view) => {
                                entry.insert(Arc::new(view));
                            }
                            None => {
                                entry.remove();
                            }
                        }
                    }
                    btree_map::Entry::Vacant(entry) => {
                        judged.judge(entry.key(), None, result.as_ref(), desired);
                        if let Some(view) = result {
                            entry.insert(Arc::new(view));
                        }
                    }
                }
            }
        }
        if let Some(cluster) = self.clusters.get_mut(&app.context) {
            for (key, present) in judged.noted {
                cluster.reported.note(id, &key, present);
            }
        }
        let any_differs = !judged.differing.is_empty();
        if any_differs {
            changed.apps.insert(id.clone());
            match changed.resources.get_mut(id) {
                Some(keys) => keys.extend(judged.differing),
                None => {
                    changed.resources.insert(id.clone(), judged.differing);
                }
            }
        }
        if judged.quiet && !changed.apps.contains(id) {
            changed.quiet_apps.insert(id.clone());
        }
    }

    /// Recompute every resource of an app (after a render): desired, reported before, and
    /// the live objects it claims.
    fn recompute_app(&mut self, id: &AppId, work: &mut Work) {
        if self.apps.contains_key(id) {
            work.all(id);
        }
    }

    /// The rows of `context`'s apps show its reachability: rebuild them.
    /// A cluster's reachability: when it changes, its row and its apps' rows are rebuilt
    /// (verdicts do not depend on reachability; the rows do).
    fn set_reach(&mut self, context: &str, reach: Reach, changed: &mut Changed) {
        let cluster = self.clusters.entry(context.to_string()).or_default();
        if cluster.reach != reach {
            cluster.reach = reach;
            changed.clusters.insert(context.to_string());
            self.touch_rows(context, changed);
        }
    }

    fn touch_rows(&mut self, context: &str, changed: &mut Changed) {
        changed.apps.extend(self.apps_by_context.all(context));
    }

    /// Note the app's keys (desired or reported) in its context's index.
    fn index_app(&mut self, app: &AppState) {
        self.apps_by_context.insert(&app.context, &app.id);
        let cluster = self.clusters.entry(app.context.clone()).or_default();
        for key in app.desired.keys().chain(app.results.keys()) {
            cluster.reported.note(&app.id, key, true);
        }
    }

    /// Forget the app's keys: it is being replaced or removed.
    fn unindex_app(&mut self, app: &AppState) {
        self.apps_by_context.remove(&app.context, &app.id);
        if let Some(cluster) = self.clusters.get_mut(&app.context) {
            for key in app.desired.keys().chain(app.results.keys()) {
                cluster.reported.note(&app.id, key, false);
            }
        }
    }

    /// Bump the generation and rebuild the snapshot parts that changed.
    fn publish(&mut self, changed: Changed) -> Vec<ChangeKind> {
        if changed.is_empty() {
            return Vec::new();
        }
        self.generation += 1;
        let mut snapshot = Snapshot {
            generation: self.generation,
            apps: self.snapshot.apps.clone(),
            clusters: self.snapshot.clusters.clone(),
            repos: self.repos.clone(),
            sources_loaded: self.sources_loaded,
            field_managers: Arc::clone(&self.field_managers),
        };
        for id in &changed.removed {
            snapshot.apps.remove(id);
        }
        let quiet = changed
            .quiet_apps
            .iter()
            .filter(|id| !changed.apps.contains(*id));
        for id in changed.apps.iter().chain(quiet) {
            if let Some(app) = self.apps.get(id) {
                let cluster = self.clusters.get(&app.context);
                let mut view = app_view(app, cluster);
                view.controller = self.controllers.get(id).cloned();
                snapshot.apps.insert(id.clone(), Arc::new(view));
            }
        }
        let contexts: BTreeSet<&String> = self.clusters.keys().collect();
        for context in contexts {
            if let Some(cluster) = self.clusters.get(context) {
                snapshot
                    .clusters
                    .insert(context.clone(), cluster_view(context, cluster));
            }
        }
        self.snapshot = Arc::new(snapshot);

        let resource_count: usize = changed.resources.values().map(Vec::len).sum();
        let mut out = Vec::with_capacity(
            changed.clusters.len()
                + changed.repos.len()
                + changed.removed.len()
                + changed.apps.len()
                + resource_count,
        );
        out.extend(changed.clusters.into_iter().map(ChangeKind::Cluster));
        out.extend(changed.repos.into_iter().map(ChangeKind::Repo));
        out.extend(changed.removed.into_iter().map(ChangeKind::AppRemoved));
        out.extend(changed.apps.into_iter().map(ChangeKind::App));
        // In the order of (app, key), each once.
        let mut resources: Vec<(AppId, Vec<ResourceKey>)> = changed.resources.into_iter().collect();
        resources.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (app, mut keys) in resources {
            keys.sort_unstable();
            keys.dedup();
            out.extend(keys.into_iter().map(|key| ChangeKind::Resource {
                app: app.clone(),
                key,
            }));
        }
        out
    }
}

/// The keys whose result a re-render can change, when only desired objects changed: those
/// added, removed, or whose object or origin differ. `None` when anything else every result
/// depends on changed (ignore rules, completeness, a render error, context or namespace):
/// then the whole app is recomputed. A commit touching one file of a big app so recomputes
/// one resource instead of all of them; results of the others cannot differ, since their
/// desired object, live object, kind state and options are all the same.
///
/// An unchanged object keeps its previous `Arc` (the one its result points to), so the new
/// render's equal copy is freed at once instead of living on beside it.
fn changed_desired_keys(previous: &AppState, next: &mut AppState) -> Option<Vec<ResourceKey>> {
    let same_options = previous.ignore == next.ignore
        && previous.complete == next.complete
        && previous.render_error.is_none()
        && next.render_error.is_none()
        && previous.context == next.context
        && previous.namespace == next.namespace;
    if !same_options {
        return None;
    }
    let mut keys: Vec<ResourceKey> = Vec::new();
    for (key, now) in next.desired.iter_mut() {
        match previous.desired.get(key) {
            Some(before)
                if before.origin == now.origin
                    && (Arc::ptr_eq(&before.object, &now.object)
                        || before.object == now.object) =>
            {
                now.object = Arc::clone(&before.object);
            }
            _ => keys.push(key.clone()),
        }
    }
    keys.extend(
        previous
            .desired
            .keys()
            .filter(|key| !next.desired.contains_key(*key))
            .cloned(),
    );
    Some(keys)
}

/// What recomputing one app's resources found.
#[derive(Default)]
struct Judged {
    /// Keys the app starts or stops reporting (with whether it still desires or reports
    /// them), for its context's index.
    noted: Vec<(ResourceKey, bool)>,
    /// Keys whose verdict, health or attribution changed.
    differing: Vec<ResourceKey>,
    /// Some result kept its outcome, but the objects behind it (diff, resourceVersion) may
    /// have moved on: the app's view is rebuilt all the same.
    quiet: bool,
}

impl Judged {
    fn judge(
        &mut self,
        key: &ResourceKey,
        previous: Option<&Arc<ResourceView>>,
        result: Option<&ResourceView>,
        desired: bool,
    ) {
        let differs = match (previous, result) {
            (Some(old), Some(new)) => !old.same_outcome(new),
            (None, None) => false,
            _ => true,
        };
        let reported = result.is_some();
        if reported != previous.is_some() {
            self.noted.push((key.clone(), reported || desired));
        }
        if differs {
            self.differing.push(key.clone());
        } else {
            self.quiet = true;
        }
    }
}

/// What one `apply` touched.
#[derive(Default)]
struct Changed {
    apps: BTreeSet<AppId>,
    /// Apps whose views must be rebuilt without a visible change (objects moved on).
    quiet_apps: BTreeSet<AppId>,
    removed: Vec<AppId>,
    /// Resources whose outcome changed, by app (unsorted, possibly repeated: sorted and made
    /// unique once, when published).
    resources: FastMap<AppId, Vec<ResourceKey>>,
    clusters: BTreeSet<String>,
    repos: BTreeSet<String>,
    sources: bool,
}

impl Changed {
    /// The app is gone: nothing of it is to be rebuilt or reported but its removal.
    fn forget(&mut self, id: &AppId) {
        self.apps.remove(id);
        self.quiet_apps.remove(id);
        self.resources.remove(id);
    }

    fn is_empty(&self) -> bool {
        !self.sources
            && self.apps.is_empty()
            && self.quiet_apps.is_empty()
            && self.removed.is_empty()
            && self.resources.is_empty()
            && self.clusters.is_empty()
            && self.repos.is_empty()
    }
}

#[cfg(test)]
mod index_tests;
#[cfg(test)]
mod rerender_tests;
#[cfg(test)]
mod tests;
