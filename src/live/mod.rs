//! The async driver: cluster tasks and the Git follower feed [`State`]; every change is
//! published as a new snapshot (a `watch` channel: readers take the latest without waiting)
//! and as small [`Change`] notices on a broadcast channel.
//!
//! Views never await the network: `snapshot()` is a lock-free-ish read of an `Arc`.

mod controllers;
pub mod git_follow;
pub mod one_shot;
pub mod ref_watch;

use self::git_follow::{fetch, GitFollower, PollOutcome};
use self::ref_watch::{RefWatch, REF_CHECK_EVERY};
use crate::cluster::kubeconfig::{partition_contexts, KubeconfigError};
use crate::cluster::{spawn_cluster, ClusterTask};
use crate::config::{Config, ConfigError, Environment};
use crate::controllers::feed::ControllerFeed;
use crate::controllers::repos::RepoCache;
use crate::state::watch_plan::{plan_for, AppNeeds};
use crate::state::{AppId, Change, ClusterEvent, Input, Snapshot, State};
use controllers::ControllerLink;
use kube::config::Kubeconfig;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;

/// What to follow. Cloned by the TUI to restart the live layer on refresh (`r`).
#[derive(Clone)]
pub struct LiveOptions {
    pub config: Config,
    pub kubeconfig: Kubeconfig,
    /// `--context` filters (empty: all contexts of the selected environments).
    pub contexts: Vec<String>,
    /// `--env`: only this environment.
    pub env: Option<String>,
    /// `--app`: only this app.
    pub app: Option<String>,
    /// Render the followed apps at this revision (a commit) instead of their refs, whether
    /// the ref is the environment's or the app's own (`kubedrift wait --revision`).
    pub revision: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
    #[error("no environment is selected (check --env and --context)")]
    NothingSelected,
}

/// A running live layer. Dropping it stops every task.
pub struct Live {
    snapshot: watch::Receiver<Arc<Snapshot>>,
    changes: broadcast::Sender<Change>,
    git_marks: watch::Receiver<Option<GitMark>>,
    tasks: JoinSet<()>,
}

/// Which refs the snapshot's desired side was read at: the fingerprint of the followed repos'
/// refs taken before the last Git poll read them, published once everything that poll sent
/// is in the snapshot. Refs whose fingerprint is still this one have not moved since; a
/// reader that needs current Git (the diff server) compares.
#[derive(Debug, Clone)]
pub struct GitMark {
    pub refs: Arc<RefWatch>,
    pub fingerprint: u64,
}

impl GitMark {
    /// No followed ref moved since the poll the snapshot shows (a few `stat`s).
    pub fn is_current(&self) -> bool {
        self.refs.fingerprint() == self.fingerprint
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

impl Live {
    /// Start following. Fails only on configuration errors (unknown env or context); clusters
    /// and repos that cannot be reached are shown in the snapshot and retried.
    pub fn start(options: LiveOptions) -> Result<Live, LiveError> {
        let environments = match &options.env {
            // An environment of apps read from Argo CD / Flux is named after its context.
            Some(name) if !options.config.sources.is_empty() => {
                match options.config.environment(name) {
                    Ok(environment) => vec![environment.clone()],
                    Err(_) => Vec::new(),
                }
            }
            Some(name) => vec![options.config.environment(name)?.clone()],
            None => options.config.environments.clone(),
        };
        let Selection {
            environments,
            mut contexts,
            missing,
        } = select_environments(environments, &options.kubeconfig, &options.contexts)?;
        // Argo CD / Flux sources read every selected context (each cluster once).
        let source_contexts = if options.config.sources.is_empty() {
            Vec::new()
        } else {
            distinct_clusters(&options.kubeconfig, &options.contexts)
        };
        if environments.is_empty() && options.config.sources.is_empty() {
            return Err(LiveError::NothingSelected);
        }
        for context in &source_contexts {
            if !contexts.contains(context) {
                contexts.push(context.clone());
            }
        }

        let (snapshot_tx, snapshot_rx) = watch::channel(Arc::new(Snapshot::default()));
        let (changes_tx, _) = broadcast::channel(4096);
        let (input_tx, input_rx) = mpsc::unbounded_channel::<Input>();
        let (cluster_tx, cluster_rx) = mpsc::unbounded_channel::<(String, ClusterEvent)>();
        let (mark_tx, mark_rx) = mpsc::unbounded_channel::<GitMark>();
        let (applied_mark_tx, applied_mark_rx) = watch::channel(None);
        let mut tasks = JoinSet::new();
        tasks.spawn(run_state(
            options.config.settings.field_managers.clone(),
            input_rx,
            cluster_rx,
            snapshot_tx,
            changes_tx.clone(),
            (mark_rx, applied_mark_tx),
        ));

        let now = jiff::Timestamp::now();
        for (context, error) in missing {
            let _ = cluster_tx.send((context, ClusterEvent::Unreachable { error, at: now }));
        }

        let settings = options.config.settings.clone();
        let fetch_repos: Vec<(String, std::path::PathBuf)> = options
            .config
            .repos
            .iter()
            .filter(|r| r.url.is_some())
            .map(|r| (r.name.clone(), r.path.clone()))
            .collect();
        let feed = (!options.config.sources.is_empty()).then(|| {
            let (report_tx, report_rx) = mpsc::unbounded_channel();
            let keys = crate::controllers::watch::spawn(
                &mut tasks,
                &options.config.sources,
                &options.kubeconfig,
                &source_contexts,
                report_tx,
            );
            let feed = ControllerFeed::new(
                options.config.clone(),
                &options.kubeconfig,
                keys,
                options
                    .config
                    .settings
                    .cache_dir
                    .clone()
                    .map(|dir| dir.join("repos"))
                    .or_else(RepoCache::default_dir)
                    .map(RepoCache::new),
            );
            ControllerLink::new(feed, report_rx)
        });
        let repo_paths: Vec<std::path::PathBuf> = options
            .config
            .repos
            .iter()
            .map(|r| r.path.clone())
            .collect();
        let follower = GitFollower::new(options.config, environments, options.app)
            .with_revision(options.revision)
            .with_controller_env(options.env);
        tasks.spawn(run_sources(
            follower,
            options.kubeconfig,
            contexts,
            (input_tx, mark_tx),
            cluster_tx,
            Duration::from_secs(settings.git_poll_seconds.max(1)),
            (settings.fetch_interval_seconds > 0)
                .then(|| Duration::from_secs(settings.fetch_interval_seconds)),
            fetch_repos,
            repo_paths,
            feed,
        ));
        Ok(Live {
            snapshot: snapshot_rx,
            changes: changes_tx,
            git_marks: applied_mark_rx,
            tasks,
        })
    }

    /// The latest snapshot; never waits.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.borrow())
    }

    /// Snapshots as they are published (for a task that outlives a borrow of `self`).
    pub fn snapshots(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshot.clone()
    }

    /// The refs the published snapshot was read at (None until Git was read once).
    pub fn git_marks(&self) -> watch::Receiver<Option<GitMark>> {
        self.git_marks.clone()
    }

    /// Change notices from now on. A receiver that falls behind gets `Lagged` and should
    /// re-read the snapshot.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Wait until `done(snapshot)` holds, or `timeout`; returns the last snapshot either way.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&Snapshot) -> bool,
    ) -> (Arc<Snapshot>, bool) {
        let deadline = Instant::now() + timeout;
        let mut rx = self.snapshot.clone();
        loop {
            let current = Arc::clone(&rx.borrow_and_update());
            if done(&current) {
                return (current, true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (current, false);
            }
            match tokio::time::timeout(left, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return (Arc::clone(&rx.borrow()), false),
            }
        }
    }

    /// Wait until Git was read and every cluster finished its first lists (or failed).
    pub async fn wait_settled(&self, timeout: Duration) -> (Arc<Snapshot>, bool) {
        self.wait_until(timeout, |s| s.sources_loaded && s.settled())
            .await
    }
}

/// The selected contexts (`--context`, else all), one per API server: a kubeconfig often
/// has several users (admin, viewer) on one cluster, whose objects must be read once.
fn distinct_clusters(kubeconfig: &Kubeconfig, filters: &[String]) -> Vec<String> {
    let mut servers: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for named in &kubeconfig.contexts {
        if !filters.is_empty() && !filters.contains(&named.name) {
            continue;
        }
        let server = named.context.as_ref().and_then(|c| {
            kubeconfig
                .clusters
                .iter()
                .find(|cluster| cluster.name == c.cluster)
                .and_then(|cluster| cluster.cluster.as_ref())
                .and_then(|cluster| cluster.server.clone())
        });
        match server {
            Some(server) if servers.contains(&server) => continue,
            Some(server) => servers.push(server),
            None => {}
        }
        out.push(named.name.clone());
    }
    out
}

/// The environments to follow, the usable contexts, and the missing ones (context name, why).
pub(crate) struct Selection {
    pub environments: Vec<Environment>,
    pub contexts: Vec<String>,
    pub missing: Vec<(String, String)>,
}

/// Which of `environments` can be followed with `kubeconfig` (and the `--context` filters).
/// Environments whose context is missing stay selected: their apps are rendered and shown
/// with their cluster unreachable (the error names the missing context). Nothing usable at
/// all means the configuration is wrong: that error at once.
pub(crate) fn select_environments(
    environments: Vec<Environment>,
    kubeconfig: &Kubeconfig,
    filters: &[String],
) -> Result<Selection, LiveError> {
    let wanted: Vec<String> = environments.iter().map(|e| e.context.clone()).collect();
    let (contexts, mut missing) = partition_contexts(kubeconfig, &wanted, filters)?;
    if contexts.is_empty() && !missing.is_empty() {
        return Err(missing.remove(0).into());
    }
    let missing: Vec<(String, String)> = missing
        .into_iter()
        .map(|err| match &err {
            KubeconfigError::UnknownContext { name, .. } => (name.clone(), err.to_string()),
            _ => (String::new(), err.to_string()),
        })
        .collect();
    let environments: Vec<Environment> = environments
        .into_iter()
        .filter(|e| contexts.contains(&e.context) || missing.iter().any(|(n, _)| *n == e.context))
        .collect();
    Ok(Selection {
        environments,
        contexts,
        missing,
    })
}

/// Applies inputs in arrival order and publishes.
async fn run_state(
    field_managers: Vec<String>,
    mut inputs: mpsc::UnboundedReceiver<Input>,
    mut cluster_events: mpsc::UnboundedReceiver<(String, ClusterEvent)>,
    snapshot: watch::Sender<Arc<Snapshot>>,
    changes: broadcast::Sender<Change>,
    (mut marks, applied_marks): (
        mpsc::UnboundedReceiver<GitMark>,
        watch::Sender<Option<GitMark>>,
    ),
) {
    // At start the clusters send thousands of lists: what is already queued is applied
    // together and published once. A lone event (a live edit) is published at once; a burst
    // delays its first event by at most the bounds below.
    const MAX_BATCH: usize = 256;
    const MAX_BATCH_TIME: Duration = Duration::from_millis(4);
    let mut state = State::with_field_managers(field_managers);
    loop {
        let input = tokio::select! {
            biased;
            Some(input) = inputs.recv() => input,
            // Chosen only when no input is queued: everything the Git poll sent before its
            // mark has been applied and published.
            Some(mark) = marks.recv() => {
                applied_marks.send_replace(Some(mark));
                continue;
            }
            Some((context, event)) = cluster_events.recv() => Input::Cluster { context, event },
            else => return,
        };
        let started = Instant::now();
        state.apply_deferred(input);
        for _ in 1..MAX_BATCH {
            if started.elapsed() >= MAX_BATCH_TIME {
                break;
            }
            // Inputs before cluster events, as the select above prefers them.
            let next = match inputs.try_recv() {
                Ok(input) => input,
                Err(_) => match cluster_events.try_recv() {
                    Ok((context, event)) => Input::Cluster { context, event },
                    Err(_) => break,
                },
            };
            state.apply_deferred(next);
        }
        let before = state.generation();
        let changed = state.publish_deferred();
        if state.generation() == before {
            continue;
        }
        snapshot.send_replace(state.snapshot());
        let generation = state.generation();
        for what in changed {
            // No receivers is fine (headless status without --watch).
            let _ = changes.send(Change { generation, what });
        }
    }
}

/// Polls Git, renders, and keeps each cluster's watch plan in line with the desired kinds.
#[allow(clippy::too_many_arguments)]
async fn run_sources(
    follower: GitFollower,
    kubeconfig: Kubeconfig,
    contexts: Vec<String>,
    (inputs, marks): (mpsc::UnboundedSender<Input>, mpsc::UnboundedSender<GitMark>),
    cluster_events: mpsc::UnboundedSender<(String, ClusterEvent)>,
    poll_every: Duration,
    fetch_every: Option<Duration>,
    mut fetch_repos: Vec<(String, std::path::PathBuf)>,
    repo_paths: Vec<std::path::PathBuf>,
    mut controllers: Option<ControllerLink>,
) {
    let mut contexts = contexts;
    let mut follower = Some(follower);
    if let Some(link) = controllers.as_mut() {
        link.first_lists().await;
    }
    let mut clusters: BTreeMap<String, ClusterTask> = BTreeMap::new();
    // Per app: (context, namespace, desired kinds, desired namespaces).
    let mut desired_by_app: BTreeMap<AppId, AppNeeds> = BTreeMap::new();
    // Fetch first (when fetching at all): what is compared is the remote's state.
    let mut fetch_errors: BTreeMap<String, String> = match fetch_every {
        Some(_) => fetch_all(fetch_repos.clone()).await,
        None => BTreeMap::new(),
    };
    let mut last_fetch = Instant::now();
    let mut first = true;
    loop {
        if let (Some(link), Some(current)) = (controllers.as_mut(), follower.as_mut()) {
            let Some(refreshed) = link.refresh(current, &inputs).await else {
                return; // cancelled: the live layer is shutting down
            };
            // A destination cluster no environment names gets its cluster task too.
            for context in refreshed.contexts {
                if !contexts.contains(&context) {
                    contexts.push(context);
                }
            }
            for (name, path) in refreshed.clones {
                if !fetch_repos.iter().any(|(n, _)| *n == name) {
                    fetch_repos.push((name, path));
                }
            }
        }
        let Some(mut current) = follower.take() else {
            return;
        };
        // Taken before the poll reads the refs, so a commit made while it runs is noticed.
        // Rebuilt each time: a repo that could not be opened may exist now.
        let refs = RefWatch::for_repos(repo_paths.iter().map(|p| p.as_path()));
        let refs_before = refs.fingerprint();
        let polled = tokio::task::spawn_blocking(move || {
            // A panic outside any one app's render (which is caught there) must not stop
            // following Git for good: report it and poll again next time.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| current.poll()));
            (current, outcome)
        })
        .await;
        let outcome = match polled {
            Ok((back, outcome)) => {
                let outcome = outcome.unwrap_or_else(|_| PollOutcome {
                    repos: back
                        .repo_names()
                        .into_iter()
                        .map(|name| {
                            let error = "reading Git panicked (a kubedrift bug); retrying";
                            (name, Some(error.to_string()))
                        })
                        .collect(),
                    ..PollOutcome::default()
                });
                follower = Some(back);
                outcome
            }
            Err(_) => return, // cancelled: the live layer is shutting down
        };
        let PollOutcome {
            desired,
            removed,
            repos,
        } = outcome;
        let now = jiff::Timestamp::now();
        for (name, error) in repos {
            // A repo that reads fine but could not be fetched is compared at a stale commit:
            // show the fetch error.
            let error = error.or_else(|| fetch_errors.get(&name).cloned());
            let _ = inputs.send(Input::Repo {
                name,
                error,
                at: now,
            });
        }
        for id in removed {
            desired_by_app.remove(&id);
            let _ = inputs.send(Input::RemoveApp(id));
        }
        for app in &desired {
            desired_by_app.insert(app.id.clone(), AppNeeds::of(app));
        }
        // Plans first: a kind that becomes desired must not be compared against the
        // metadata-only objects of its previous watcher.
        let mut plans = Vec::new();
        for context in &contexts {
            let plan = plan_for(context, &desired_by_app);
            let _ = inputs.send(Input::Plan {
                context: context.clone(),
                kinds: plan.kinds.clone(),
                namespaces: plan.namespaces.clone(),
                metadata_only: plan.metadata_only.clone(),
            });
            plans.push((context, plan));
        }
        for app in desired {
            let _ = inputs.send(Input::Desired(app));
        }
        for (context, plan) in plans {
            match clusters.get(context) {
                Some(task) => task.update_plan(plan),
                None => {
                    let task = spawn_cluster(
                        kubeconfig.clone(),
                        context.clone(),
                        plan,
                        cluster_events.clone(),
                    );
                    clusters.insert(context.clone(), task);
                }
            }
        }
        if first {
            first = false;
            let _ = inputs.send(Input::SourcesLoaded);
        }
        // After this poll's inputs: the state passes it on once they are all applied.
        let refs = Arc::new(refs);
        let _ = marks.send(GitMark {
            refs: Arc::clone(&refs),
            fingerprint: refs_before,
        });
        match controllers.as_mut() {
            // A controller's report or a ref change, whichever comes first, ends the wait.
            Some(link) => tokio::select! {
                _ = link.sleep_or_report(poll_every) => {}
                _ = wait_for_refs(&refs, refs_before, poll_every) => {}
            },
            None => wait_for_refs(&refs, refs_before, poll_every).await,
        }
        if let Some(every) = fetch_every {
            if last_fetch.elapsed() >= every {
                last_fetch = Instant::now();
                fetch_errors = fetch_all(fetch_repos.clone()).await;
            }
        }
    }
}

/// Wait until a ref of a followed repo moved (checked every [`REF_CHECK_EVERY`]), or
/// `poll_every` passed: a local commit is picked up at once, without a short poll interval
/// that would re-read every app's refs and trees all the time.
async fn wait_for_refs(refs: &RefWatch, before: u64, poll_every: Duration) {
    let deadline = tokio::time::Instant::now() + poll_every;
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return;
        }
        tokio::time::sleep(REF_CHECK_EVERY.min(deadline - now)).await;
        // A few stat calls: cheap enough to run on the async thread.
        if refs.fingerprint() != before {
            return;
        }
    }
}

/// `git fetch` every repo (blocking pool); the errors by repo name.
async fn fetch_all(repos: Vec<(String, std::path::PathBuf)>) -> BTreeMap<String, String> {
    let results = tokio::task::spawn_blocking(move || {
        repos
            .into_iter()
            .map(|(name, path)| {
                let result = std::panic::catch_unwind(|| fetch(&path))
                    .unwrap_or_else(|_| Err("git fetch panicked".to_string()));
                (name, result)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let mut errors = BTreeMap::new();
    for (name, result) in results {
        if let Err(err) = result {
            tracing::warn!(repo = %name, %err, "git fetch failed");
            errors.insert(name, err);
        }
    }
    errors
}
