//! The async tasks of one cluster: connect, discover, watch each needed kind, probe.
//!
//! Every task sends [`ClusterEvent`]s and never blocks on the receiver (the channel is
//! unbounded: the state task drains it continuously, and a slow view never holds it up).

use super::discovery::{bounded, describe_error, discover};
use super::kubeconfig::client_for;
use super::wire::WireObject;
use super::Backoff;
use crate::model::GroupKind;
use crate::state::watch_plan::ClusterPlan;
use crate::state::ClusterEvent;
use crate::state::LiveObject;
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, WatchParams};
use kube::config::Kubeconfig;
use kube::discovery::Scope;
use kube::runtime::watcher;
use kube::Resource as _;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{AbortHandle, JoinSet};

/// How often a reachable cluster is probed (cheap `GET /version`).
const PROBE_INTERVAL: Duration = Duration::from_secs(5);

/// The running tasks of one cluster. Dropping it stops them.
pub struct ClusterTask {
    plan: watch::Sender<ClusterPlan>,
    tasks: JoinSet<()>,
}

impl ClusterTask {
    /// Change what is watched (a new commit needs another kind, an app namespace appeared).
    /// Kinds already watched keep their watchers.
    pub fn update_plan(&self, plan: ClusterPlan) {
        self.plan.send_if_modified(|current| {
            if *current == plan {
                false
            } else {
                *current = plan;
                true
            }
        });
    }
}

impl Drop for ClusterTask {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Start the tasks of `context`. Events go to `events` tagged with the context name.
pub fn spawn_cluster(
    kubeconfig: Kubeconfig,
    context: String,
    plan: ClusterPlan,
    events: mpsc::UnboundedSender<(String, ClusterEvent)>,
) -> ClusterTask {
    let (plan_tx, plan_rx) = watch::channel(plan);
    let mut tasks = JoinSet::new();
    tasks.spawn(run_cluster(kubeconfig, context, plan_rx, events));
    ClusterTask {
        plan: plan_tx,
        tasks,
    }
}

/// Sends events of one cluster.
#[derive(Clone)]
struct Reporter {
    context: String,
    events: mpsc::UnboundedSender<(String, ClusterEvent)>,
}

impl Reporter {
    fn send(&self, event: ClusterEvent) {
        // The receiver is gone only when the whole live layer shuts down.
        let _ = self.events.send((self.context.clone(), event));
    }

    fn slow(&self, detail: String) {
        self.send(ClusterEvent::Slow {
            detail,
            at: jiff::Timestamp::now(),
        });
    }

    fn unreachable(&self, error: String) {
        self.send(ClusterEvent::Unreachable {
            error,
            at: jiff::Timestamp::now(),
        });
    }
}

async fn run_cluster(
    kubeconfig: Kubeconfig,
    context: String,
    mut plan: watch::Receiver<ClusterPlan>,
    events: mpsc::UnboundedSender<(String, ClusterEvent)>,
) {
    let reporter = Reporter { context, events };
    let mut backoff = Backoff::default();
    let client = loop {
        match client_for(&kubeconfig, &reporter.context).await {
            Ok(client) => break client,
            Err(err) => {
                reporter.unreachable(err.to_string());
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    };
    backoff.reset();
    tracing::debug!(context = %reporter.context, "client ready");

    let mut children = JoinSet::new();
    children.spawn(probe(client.clone(), reporter.clone()));
    let first_lists = Arc::new(Semaphore::new(first_lists_at_once()));
    // Watchers by kind: whether metadata-only, where, and how to stop it. A watcher is only
    // replaced when its mode or namespaces change or its kind leaves the plan (otherwise it
    // recovers on its own).
    let mut watching: BTreeMap<GroupKind, (bool, WatchScope, AbortHandle)> = BTreeMap::new();
    let (crd_changed_tx, mut crd_changed) = mpsc::unbounded_channel::<()>();
    let mut crd_watch_started = false;
    loop {
        let current = plan.borrow_and_update().clone();
        // Whether a kind the plan wants is not listed by discovery yet (a CRD not established).
        let some_missing: bool;
        let mut wanted = current.kinds.clone();
        wanted.insert(crd_kind());
        let slow_reporter = reporter.clone();
        let on_slow = move |detail: String| slow_reporter.slow(detail);
        let started = std::time::Instant::now();
        let answer = discover(&client, &wanted, on_slow).await;
        tracing::debug!(
            context = %reporter.context,
            ms = started.elapsed().as_millis(),
            ok = answer.is_ok(),
            "discovery"
        );
        match answer {
            // An error answer (500, 429...) leaves the kinds unknown too: shown as before.
            Err(failure) => {
                reporter.unreachable(failure.message().to_string());
                let delay = backoff.next_delay();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    changed = plan.changed() => if changed.is_err() { return },
                }
                continue;
            }
            Ok(found) => {
                backoff.reset();
                let now = jiff::Timestamp::now();
                reporter.send(ClusterEvent::Seen { at: now });
                some_missing = current.kinds.iter().any(|k| !found.contains_key(k));
                reporter.send(discovered(&current.kinds, &found, now));
                if !crd_watch_started {
                    if let Some((resource, _)) = found.get(&crd_kind()) {
                        crd_watch_started = true;
                        children.spawn(watch_crds(
                            client.clone(),
                            resource.clone(),
                            crd_changed_tx.clone(),
                        ));
                    }
                }
                for kind in &current.kinds {
                    let Some((resource, scope)) = found.get(kind) else {
                        continue;
                    };
                    let metadata_only = current.metadata_only.contains(kind);
                    let watch_scope = WatchScope::of(scope, current.namespaces.as_ref());
                    match watching.get(kind) {
                        Some((mode, was, _)) if *mode == metadata_only && *was == watch_scope => {
                            continue
                        }
                        Some((_, _, handle)) => handle.abort(),
                        None => {}
                    }
                    let target = WatchTarget {
                        client: client.clone(),
                        resource: resource.clone(),
                        kind: kind.clone(),
                        scope: watch_scope.clone(),
                        metadata_only,
                        reporter: reporter.clone(),
                        first_lists: Arc::clone(&first_lists),
                    };
                    let handle = if metadata_only {
                        children.spawn(watch_kind::<true>(target))
                    } else {
                        children.spawn(watch_kind::<false>(target))
                    };
                    watching.insert(kind.clone(), (metadata_only, watch_scope, handle));
                }
                watching.retain(|kind, (_, _, handle)| {
                    let keep = current.kinds.contains(kind) || !found.contains_key(kind);
                    if !keep {
                        handle.abort();
                    }
                    keep
                });
            }
        }
        // Wait for a reason to rediscover: a new plan, a CRD change (new kinds served), or,
        // while a wanted kind is still not served, a short timer: a server registers a CRD's
        // kind only after the CRD write its watchers already saw (establishment lags).
        tokio::select! {
            changed = plan.changed() => if changed.is_err() { return },
            signal = crd_changed.recv() => if signal.is_none() { return },
            _ = tokio::time::sleep(UNSERVED_REDISCOVERY), if some_missing => {}
        }
    }
}

/// What discovery found of the plan's `kinds`, as the state takes it: the served ones, the
/// missing ones, and which served ones are cluster-scoped.
pub(super) fn discovered(
    kinds: &BTreeSet<GroupKind>,
    found: &BTreeMap<GroupKind, (ApiResource, Scope)>,
    at: jiff::Timestamp,
) -> ClusterEvent {
    let (served, missing): (Vec<GroupKind>, Vec<GroupKind>) =
        kinds.iter().cloned().partition(|k| found.contains_key(k));
    let cluster_scoped = served
        .iter()
        .filter(|k| matches!(found.get(*k), Some((_, Scope::Cluster))))
        .cloned()
        .collect();
    ClusterEvent::Discovered {
        served,
        cluster_scoped,
        missing,
        at,
    }
}

/// How often discovery is retried while a kind the plan wants is not served.
const UNSERVED_REDISCOVERY: std::time::Duration = std::time::Duration::from_secs(5);

fn crd_kind() -> GroupKind {
    GroupKind::new("apiextensions.k8s.io", "CustomResourceDefinition")
}

/// `GET /version` every few seconds while reachable; backoff while not. A probe that gets no
/// answer in time is retried ([`bounded`]) and reports the cluster slow meanwhile.
async fn probe(client: kube::Client, reporter: Reporter) {
    let mut backoff = Backoff::default();
    loop {
        let result = bounded(
            "GET /version",
            || client.apiserver_version(),
            |detail| reporter.slow(detail),
        )
        .await;
        let delay = match result {
            Ok(_) => {
                backoff.reset();
                reporter.send(ClusterEvent::Seen {
                    at: jiff::Timestamp::now(),
                });
                PROBE_INTERVAL
            }
            Err(failure) => {
                reporter.unreachable(failure.message().to_string());
                backoff.next_delay()
            }
        };
        tokio::time::sleep(delay).await;
    }
}

/// Signal on every CRD change and every completed (re)list, so discovery is refreshed.
async fn watch_crds(
    client: kube::Client,
    resource: ApiResource,
    changed: mpsc::UnboundedSender<()>,
) {
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut stream = std::pin::pin!(watcher(api, watch_config()));
    let mut backoff = Backoff::default();
    while let Some(item) = stream.next().await {
        match item {
            // Also after the first list: a CRD created between the discovery that started
            // this watcher and the end of its first list arrives only inside that list, and
            // must still make its kind discovered (this race made the CRD test flaky).
            Ok(watcher::Event::InitDone) => {
                backoff.reset();
                if changed.send(()).is_err() {
                    return;
                }
            }
            Ok(watcher::Event::Apply(_) | watcher::Event::Delete(_)) => {
                if changed.send(()).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(backoff.next_delay()).await,
        }
    }
}

/// Where one kind is watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum WatchScope {
    /// All namespaces (cluster-scoped kinds, or an app namespace is not known).
    All,
    /// One namespace.
    Namespace(String),
    /// Several app namespaces: one cluster-wide list and watch whose objects outside them are
    /// dropped, reported as one list per namespace. One request pair per kind instead of one
    /// per kind and namespace (9 kinds × 50 app namespaces made 451 list and 451 watch
    /// requests per cluster at 50k objects). Where listing all namespaces is forbidden, it
    /// falls back to one watch per namespace.
    Namespaces(BTreeSet<String>),
}

impl WatchScope {
    pub(super) fn of(scope: &Scope, namespaces: Option<&BTreeSet<String>>) -> WatchScope {
        match (scope, namespaces) {
            (Scope::Namespaced, Some(list)) if list.len() == 1 => list
                .first()
                .map_or(WatchScope::All, |ns| WatchScope::Namespace(ns.clone())),
            (Scope::Namespaced, Some(list)) if !list.is_empty() => {
                WatchScope::Namespaces(list.clone())
            }
            _ => WatchScope::All,
        }
    }
}

/// What one watcher watches.
#[derive(Clone)]
struct WatchTarget {
    client: kube::Client,
    resource: ApiResource,
    kind: GroupKind,
    scope: WatchScope,
    metadata_only: bool,
    reporter: Reporter,
    /// Shared by the cluster's watchers: how many may be in their first list at once.
    first_lists: Arc<Semaphore>,
}

/// Watch one kind where its target says; `Namespaces` falls back to one watcher per namespace
/// when the cluster-wide list is forbidden (a user with namespace-scoped rights only).
async fn watch_kind<const METADATA_ONLY: bool>(target: WatchTarget) {
    let WatchScope::Namespaces(namespaces) = &target.scope else {
        run_watcher::<METADATA_ONLY>(target).await;
        return;
    };
    let namespaces = namespaces.clone();
    if run_watcher::<METADATA_ONLY>(target.clone()).await == WatchEnd::ForbiddenClusterWide {
        tracing::debug!(kind = %target.kind, "listing all namespaces forbidden; one watch per namespace");
        let per_namespace = namespaces.into_iter().map(|ns| {
            run_watcher::<METADATA_ONLY>(WatchTarget {
                scope: WatchScope::Namespace(ns),
                ..target.clone()
            })
        });
        futures::future::join_all(per_namespace).await;
    }
}

#[derive(Debug, PartialEq, Eq)]
enum WatchEnd {
    /// The stream ended (the task is normally aborted before).
    Ended,
    /// A `Namespaces` watcher may not list all namespaces.
    ForbiddenClusterWide,
}

/// One reflector: list (buffered until complete), then watch; relist on 410; backoff on
/// errors. Reports every change as an event. Objects are parsed once, as [`WireObject`]s
/// (metadata-only requests when `METADATA_ONLY`).
async fn run_watcher<const METADATA_ONLY: bool>(target: WatchTarget) -> WatchEnd {
    let WatchTarget {
        client,
        resource,
        kind,
        scope,
        metadata_only,
        reporter,
        first_lists,
    } = target;
    let api: Api<WireObject<METADATA_ONLY>> = match &scope {
        WatchScope::Namespace(ns) => Api::namespaced_with(client, ns, &resource),
        WatchScope::All | WatchScope::Namespaces(_) => Api::all_with(client, &resource),
    };
    // Objects outside the app namespaces (cluster-wide watch of `Namespaces`) are dropped.
    let wanted = |obj: &WireObject<METADATA_ONLY>| match &scope {
        WatchScope::Namespaces(list) => obj
            .meta()
            .namespace
            .as_ref()
            .is_some_and(|ns| list.contains(ns)),
        _ => true,
    };
    let mut stream = std::pin::pin!(watcher(api.clone(), watch_config()));
    let mut backoff = WatchBackoff::default();
    // Kept as stored text until the list is complete (all objects of a kind at once).
    let mut buffer: Vec<LiveObject> = Vec::new();
    let mut last_listed = std::time::Instant::now();
    // A `KindFailed` was reported since the last complete list: the state has dropped the
    // kind's objects and waits for a list. Such a relist is not progress (a server whose lists
    // work but whose watches fail would otherwise relist every second), and the failure is
    // reported once, not on every retry.
    let mut failed_since_list = false;
    // The resourceVersion of the last object seen: where a retried forbidden watch starts.
    let mut last_version: Option<String> = None;
    let mut forbidden_retry = forbidden_watch_retry();
    let convert = |obj: WireObject<METADATA_ONLY>| obj.into_live(&resource);
    // Held until the first list completes or fails (see `first_lists_at_once`).
    let mut first_list: Option<OwnedSemaphorePermit> = first_lists.acquire_owned().await.ok();
    while let Some(item) = stream.next().await {
        if matches!(item, Ok(watcher::Event::InitDone) | Err(_)) {
            drop(first_list.take());
        }
        let at = jiff::Timestamp::now();
        match item {
            Ok(watcher::Event::Init) => buffer.clear(),
            Ok(watcher::Event::InitApply(obj)) => {
                last_version.clone_from(&obj.meta().resource_version);
                if wanted(&obj) {
                    buffer.push(convert(obj));
                }
            }
            Ok(watcher::Event::InitDone) => {
                if !failed_since_list && last_listed.elapsed() >= Duration::from_secs(1) {
                    backoff.progress();
                }
                failed_since_list = false;
                last_listed = std::time::Instant::now();
                let objects = std::mem::take(&mut buffer);
                tracing::debug!(context = %reporter.context, %kind, objects = objects.len(), "listed");
                for (namespace, objects) in listed_by_scope(&scope, objects) {
                    reporter.send(ClusterEvent::Listed {
                        kind: kind.clone(),
                        namespace,
                        objects,
                        metadata_only,
                        at,
                    });
                }
            }
            Ok(watcher::Event::Apply(_) | watcher::Event::Delete(_)) if failed_since_list => {
                // A watch that failed earlier works now, but the state dropped the kind when
                // it failed: list it again.
                backoff.progress();
                stream.set(watcher(api.clone(), watch_config()));
            }
            Ok(watcher::Event::Apply(obj)) => {
                backoff.progress();
                forbidden_retry.reset();
                last_version.clone_from(&obj.meta().resource_version);
                if wanted(&obj) {
                    reporter.send(ClusterEvent::Upserted {
                        kind: kind.clone(),
                        object: convert(obj),
                        metadata_only,
                        at,
                    });
                }
            }
            Ok(watcher::Event::Delete(obj)) => {
                backoff.progress();
                forbidden_retry.reset();
                last_version.clone_from(&obj.meta().resource_version);
                if wanted(&obj) {
                    reporter.send(ClusterEvent::Deleted {
                        kind: kind.clone(),
                        object: convert(obj),
                        metadata_only,
                        at,
                    });
                }
            }
            Err(err) => {
                // A kind is reported failed once per list (the state drops it until a
                // complete list), however often its watch fails meanwhile.
                let mut fail_once = |reason: String, forbidden: bool| {
                    if !failed_since_list {
                        reporter.send(ClusterEvent::KindFailed {
                            kind: kind.clone(),
                            reason,
                            forbidden,
                            at,
                        });
                        failed_since_list = true;
                    }
                };
                match classify(&err) {
                    WatchFailure::Gone => {
                        // The watcher relists by itself on the next poll. A server that expires
                        // every fresh watch at once would make that a tight loop: back off then.
                        tracing::debug!(%kind, "watch expired (410 Gone); relisting");
                        if last_listed.elapsed() < Duration::from_secs(1) {
                            tokio::time::sleep(backoff.failure_delay(std::time::Instant::now()))
                                .await;
                        }
                    }
                    WatchFailure::Forbidden(_) if matches!(scope, WatchScope::Namespaces(_)) => {
                        return WatchEnd::ForbiddenClusterWide;
                    }
                    // The state drops its cache of a failed kind and trusts it again only after a
                    // complete list. A failed list is retried by the watcher itself. A failed
                    // watch would be resumed without a list (the kind stayed Unknown after a 500
                    // or 429 until something else relisted it: found by the soak), so after an
                    // API error the watcher starts over with a list.
                    WatchFailure::Forbidden(reason) => {
                        fail_once(reason, true);
                        if err_during_list(&err) {
                            tokio::time::sleep(backoff.failure_delay(std::time::Instant::now()))
                                .await;
                        } else {
                            // The list is allowed, the watch is not: the kind stays failed, with
                            // its reason, and is not relisted in a loop. The watch alone is
                            // retried, slowly, and once it is allowed the kind is listed again
                            // (before, it stayed failed until one of its objects changed).
                            let from = last_version.as_deref().unwrap_or("0");
                            wait_until_watch_allowed(&api, from, &mut forbidden_retry).await;
                            stream.set(watcher(api.clone(), watch_config()));
                        }
                    }
                    WatchFailure::Api(reason) => {
                        fail_once(reason, false);
                        tokio::time::sleep(backoff.failure_delay(std::time::Instant::now())).await;
                        if !err_during_list(&err) {
                            stream.set(watcher(api.clone(), watch_config()));
                        }
                    }
                    WatchFailure::Transport(reason) => {
                        reporter.unreachable(reason);
                        tokio::time::sleep(backoff.failure_delay(std::time::Instant::now())).await;
                    }
                }
            }
        }
    }
    WatchEnd::Ended
}

/// How many kinds of one cluster are in their first list at once. Every page being read
/// (the response body, then up to 500 decoded objects) is held until its objects are stored
/// as text, so a cluster listing all its kinds at once held a page per kind; the others wait
/// for a permit. At 50k objects on 10 clusters 2 took the peak RSS of `status` from 317-330 to
/// 288-294 MB with the same CPU (1 gave the same; 4 did not help). Per cluster, so that a slow
/// or hung cluster never delays another's lists. Only the first list of a watcher waits:
/// relists (410, errors) and watches never do, and a watcher whose list fails gives its permit
/// back (a kind that may not be listed never holds up the others).
const FIRST_LISTS_AT_ONCE: usize = 2;

static FIRST_LISTS_SET: TestOverride = TestOverride::new();

/// Change how many first lists of one cluster run at once, for tests (one at a time proves
/// that a failed list gives its permit back). Applies to clusters started afterwards, in the
/// whole process; nothing else calls it.
#[doc(hidden)]
pub fn set_first_lists_at_once(lists: usize) {
    FIRST_LISTS_SET.set(u64::try_from(lists).unwrap_or(u64::MAX));
}

fn first_lists_at_once() -> usize {
    usize::try_from(FIRST_LISTS_SET.or(FIRST_LISTS_AT_ONCE as u64)).unwrap_or(usize::MAX)
}

/// A number a test may set for the whole process (the setters above and below); unset, the
/// product's default applies. Set values are at least 1.
struct TestOverride(AtomicU64);

impl TestOverride {
    const fn new() -> TestOverride {
        TestOverride(AtomicU64::new(0))
    }

    fn set(&self, value: u64) {
        self.0.store(value.max(1), Ordering::Relaxed);
    }

    /// The value set, else `default`.
    fn or(&self, default: u64) -> u64 {
        match self.0.load(Ordering::Relaxed) {
            0 => default,
            set => set,
        }
    }
}

/// A watcher after this long without a failure starts its backoff over at the next one.
const QUIET_RESETS_BACKOFF: Duration = Duration::from_secs(10);

/// The backoff of one watcher. A watch that resumes after an error reports nothing until an
/// object changes, so without a reset the delays of short incidents added up over hours, and
/// the next 500 or cut watch made the watcher sleep up to a minute after its cluster had
/// recovered (found by the soak: a verdict still wrong 5 s after recovery). It starts over
/// after a watch event, a relist that was not a tight loop, or a quiet spell since the last
/// retry began; failures that follow each other still double it (a long outage, a server
/// expiring every watch).
#[derive(Default)]
struct WatchBackoff {
    backoff: Backoff,
    /// When the last retry began (the end of the last failure's delay).
    retry_began: Option<std::time::Instant>,
}

impl WatchBackoff {
    /// The watch works.
    fn progress(&mut self) {
        self.backoff.reset();
    }

    /// A failure at `now`: how long to wait before the next attempt.
    fn failure_delay(&mut self, now: std::time::Instant) -> Duration {
        if self
            .retry_began
            .is_some_and(|began| now.saturating_duration_since(began) >= QUIET_RESETS_BACKOFF)
        {
            self.backoff.reset();
        }
        let delay = self.backoff.next_delay();
        self.retry_began = Some(now + delay);
        delay
    }
}

/// The `timeoutSeconds` of every watch: the server ends a watch after this long and the
/// watcher resumes it from its last resourceVersion (one watch request, no list). It also
/// bounds how long a watch whose connection went half-open (no FIN or RST: a proxy or NAT
/// that stopped forwarding) goes unnoticed: such a watch delivers nothing, and the live state,
/// `status --watch`, the TUI and the diff server kept showing the old state for kube-runtime's
/// default of 290 s (+ 5 s idle margin). After `WATCH_TIMEOUT` + 2 s it now fails (see
/// `watch_idle`), is reported as the cluster unreachable, and resumes. The cost: one watch
/// request per watched kind every 55 s on quiet clusters.
const WATCH_TIMEOUT: Duration = Duration::from_secs(55);

/// The watch timeout in seconds, if a test set one.
static WATCH_TIMEOUT_SECS: TestOverride = TestOverride::new();

/// Shorten the watch timeout, for tests (a test cannot wait a minute for a silent watch to be
/// dropped). Applies to watchers started afterwards, in the whole process; nothing else calls
/// it.
#[doc(hidden)]
pub fn set_watch_timeout(timeout: Duration) {
    WATCH_TIMEOUT_SECS.set(timeout.as_secs());
}

/// The configuration of every watcher (see [`WATCH_TIMEOUT`]).
fn watch_config() -> watcher::Config {
    let secs = WATCH_TIMEOUT_SECS.or(WATCH_TIMEOUT.as_secs());
    watcher::Config::default().timeout(u32::try_from(secs).unwrap_or(u32::MAX))
}

/// First wait before a forbidden watch is retried; the waits double up to
/// [`FORBIDDEN_WATCH_RETRY_CAP`]. Slow: permissions change rarely, and a user may be denied
/// watches of many kinds on many clusters.
const FORBIDDEN_WATCH_FIRST_RETRY: Duration = Duration::from_secs(30);
/// The longest wait between retries of a forbidden watch: how long an SRE waits at most
/// after granting it.
const FORBIDDEN_WATCH_RETRY_CAP: Duration = Duration::from_secs(120);

/// The retry delays of forbidden watches in milliseconds (first, cap), if a test set them.
static FORBIDDEN_WATCH_RETRY_MS: [TestOverride; 2] = [TestOverride::new(), TestOverride::new()];

/// Shorten the retries of forbidden watches, for tests (a test cannot wait minutes). Applies
/// to watchers started afterwards, in the whole process; nothing else calls it.
#[doc(hidden)]
pub fn set_forbidden_watch_retry(first: Duration, cap: Duration) {
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    FORBIDDEN_WATCH_RETRY_MS[0].set(millis(first));
    FORBIDDEN_WATCH_RETRY_MS[1].set(millis(cap));
}

fn forbidden_watch_retry() -> Backoff {
    let set = |i: usize, default: Duration| {
        let default = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(FORBIDDEN_WATCH_RETRY_MS[i].or(default))
    };
    Backoff::new(
        set(0, FORBIDDEN_WATCH_FIRST_RETRY),
        set(1, FORBIDDEN_WATCH_RETRY_CAP),
    )
}

/// How long a retried watch may take to answer before it counts as not answered.
const WATCH_RETRY_TIMEOUT: Duration = Duration::from_secs(10);

/// Retry a forbidden watch alone, with `retry`'s delays, until the server allows it. Each
/// retry is one watch request from `version` (the last resourceVersion seen), dropped as soon
/// as its answer starts; nothing is listed meanwhile. Any answer but a 403 means the watch is
/// allowed (a 410 too: the version is too old, but the request passed authorization). No
/// answer (the cluster is unreachable, which its probe reports) is retried like a 403.
async fn wait_until_watch_allowed<const METADATA_ONLY: bool>(
    api: &Api<WireObject<METADATA_ONLY>>,
    version: &str,
    retry: &mut Backoff,
) {
    let params = WatchParams::default().timeout(1);
    loop {
        tokio::time::sleep(retry.next_delay()).await;
        match tokio::time::timeout(WATCH_RETRY_TIMEOUT, api.watch(&params, version)).await {
            Ok(Err(kube::Error::Api(status))) if status.code == 403 => {}
            Ok(Ok(_) | Err(kube::Error::Api(_))) => return,
            Ok(Err(_)) | Err(_) => {}
        }
    }
}

/// A complete list as the state takes it: one list for the watcher's namespace (or all), or,
/// for a cluster-wide watch of several app namespaces, one per app namespace (empty ones too:
/// an empty namespace is listed as well).
pub(super) fn listed_by_scope(
    scope: &WatchScope,
    objects: Vec<LiveObject>,
) -> Vec<(Option<String>, Vec<LiveObject>)> {
    match scope {
        WatchScope::All => vec![(None, objects)],
        WatchScope::Namespace(ns) => vec![(Some(ns.clone()), objects)],
        WatchScope::Namespaces(list) => {
            let mut by_namespace: BTreeMap<&str, Vec<LiveObject>> =
                list.iter().map(|ns| (ns.as_str(), Vec::new())).collect();
            for object in objects {
                let namespace = object.key().and_then(|k| k.namespace.as_deref());
                if let Some(slot) = namespace.and_then(|ns| by_namespace.get_mut(ns)) {
                    slot.push(object);
                }
            }
            by_namespace
                .into_iter()
                .map(|(ns, objects)| (Some(ns.to_string()), objects))
                .collect()
        }
    }
}

enum WatchFailure {
    Gone,
    Forbidden(String),
    Api(String),
    Transport(String),
}

/// The error came from the initial list (which the watcher retries by itself), not the watch.
fn err_during_list(err: &watcher::Error) -> bool {
    matches!(err, watcher::Error::InitialListFailed(_))
}

fn classify(err: &watcher::Error) -> WatchFailure {
    let client_error = match err {
        watcher::Error::WatchError(status) if status.code == 410 => return WatchFailure::Gone,
        watcher::Error::WatchError(status) => {
            return WatchFailure::Api(status_message(status.code, &status.message))
        }
        watcher::Error::NoResourceVersion => return WatchFailure::Api(err.to_string()),
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => e,
    };
    match client_error {
        kube::Error::Api(status) if status.code == 403 => {
            WatchFailure::Forbidden(status_message(status.code, &status.message))
        }
        kube::Error::Api(status) if status.code == 410 => WatchFailure::Gone,
        kube::Error::Api(status) => WatchFailure::Api(status_message(status.code, &status.message)),
        other => WatchFailure::Transport(describe_error(other)),
    }
}

pub(super) fn status_message(code: u16, message: &str) -> String {
    if message.is_empty() {
        format!("API error {code}")
    } else {
        format!("{message} ({code})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn watch_backoff_doubles_while_failures_follow_and_starts_over_after_quiet_or_progress() {
        let mut backoff = WatchBackoff::default();
        let t0 = Instant::now();
        // Failures one after the other (each right after its delay): it doubles.
        let mut now = t0;
        let mut delays = Vec::new();
        for _ in 0..6 {
            let delay = backoff.failure_delay(now);
            delays.push(delay);
            now += delay;
        }
        let ms: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000, 8000]);
        // The watch resumed and nothing failed for a while: the next incident starts small.
        now += QUIET_RESETS_BACKOFF;
        assert_eq!(backoff.failure_delay(now), Duration::from_millis(250));
        now += Duration::from_millis(250);
        assert_eq!(backoff.failure_delay(now), Duration::from_millis(500));
        // A watch event in between also starts it over.
        backoff.progress();
        assert_eq!(backoff.failure_delay(now), Duration::from_millis(250));
    }
}
