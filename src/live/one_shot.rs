//! One snapshot for a one-shot command (`kubedrift diff`), without the long-running live
//! layer: Git is read once on its own thread while each cluster connects, then every cluster
//! is read once ([`OneShotCluster`]: cached discovery, one LIST per kind, no watches), and
//! everything is applied to a [`State`] in the order `run_sources` and the cluster tasks
//! send it. The verdicts are the state's, as for `status`.
//!
//! Configs with Argo CD / Flux sources are not read here (their apps are known only from
//! their controllers' objects): callers use [`super::Live`] for those.

use super::git_follow::{fetch, GitFollower, PollOutcome};
use super::{select_environments, LiveError, Selection};
use crate::cluster::discovery_cache::DiscoveryCache;
use crate::cluster::one_shot::OneShotCluster;
use crate::config::Config;
use crate::state::watch_plan::{plan_for, AppNeeds, ClusterPlan};
use crate::state::{AppId, ClusterEvent, Input, Snapshot, State};
use kube::config::Kubeconfig;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What to read once.
pub struct OneShotOptions {
    pub config: Config,
    pub kubeconfig: Kubeconfig,
    /// `--context` filters (empty: all contexts of the selected environments).
    pub contexts: Vec<String>,
    /// `--env`: only this environment.
    pub env: Option<String>,
    /// Only this app.
    pub app: Option<String>,
}

/// Read Git and the selected clusters once; the snapshot, and whether every cluster
/// answered within `timeout` (as [`super::Live::wait_settled`]).
pub fn read_once(
    runtime: &tokio::runtime::Runtime,
    options: OneShotOptions,
    timeout: Duration,
) -> Result<(Arc<Snapshot>, bool), LiveError> {
    let OneShotOptions {
        config,
        kubeconfig,
        contexts: filters,
        env,
        app,
    } = options;
    let environments = match &env {
        Some(name) => vec![config.environment(name)?.clone()],
        None => config.environments.clone(),
    };
    let Selection {
        environments,
        contexts,
        missing,
    } = select_environments(environments, &kubeconfig, &filters)?;
    if environments.is_empty() {
        return Err(LiveError::NothingSelected);
    }

    // Timers are made below, outside `block_on`.
    let _runtime = runtime.enter();
    let mut state = State::with_field_managers(config.settings.field_managers.clone());
    let cache = DiscoveryCache::from_env();
    let deadline = tokio::time::Instant::now() + timeout;
    // The plans are known once Git is read; each cluster connects (client, TLS, one request)
    // meanwhile, then waits for its plan.
    let (plans_tx, plans_rx) = tokio::sync::watch::channel::<Option<Plans>>(None);
    let read_cluster = |context: String| {
        let mut plans = plans_rx.clone();
        let kubeconfig = &kubeconfig;
        let cache = cache.as_ref();
        async move {
            let cluster = OneShotCluster::connect(kubeconfig, &context).await;
            let plans = plans.wait_for(Option::is_some).await.ok()?.clone()?;
            let (_, plan) = plans.iter().find(|(c, _)| *c == context)?;
            Some((context, cluster.read(plan, cache).await))
        }
    };
    let reads = futures::future::join_all(
        contexts
            .iter()
            .map(|context| tokio::time::timeout_at(deadline, read_cluster(context.clone()))),
    );
    // Git on a thread of its own, not the runtime's blocking pool: a renderer still running
    // at the deadline must not hold up the exit (dropping a runtime waits for its pool).
    let (polled_tx, polled_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        // Fetch first when the live layer would (what is compared is the remote's state).
        let fetch_errors = fetch_repos(&config);
        let mut follower = GitFollower::new(config, environments, app);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| follower.poll()))
            .unwrap_or_else(|_| panicked(follower.repo_names()));
        let _ = polled_tx.send(with_fetch_errors(outcome, &fetch_errors));
    });
    let feed = async {
        // Git not read by the deadline: nothing is known of the app (as `wait_settled` says).
        let Ok(polled) = tokio::time::timeout_at(deadline, polled_rx).await else {
            return;
        };
        let outcome = polled.unwrap_or_else(|_| panicked(Vec::new()));
        let plans = apply_sources(&mut state, missing, &contexts, outcome);
        let _ = plans_tx.send(Some(plans));
    };
    let ((), read) = runtime.block_on(async { tokio::join!(feed, reads) });
    let mut settled_in_time = true;
    for result in read {
        match result {
            Ok(Some((context, events))) => {
                for event in events {
                    state.apply(Input::Cluster {
                        context: context.clone(),
                        event,
                    });
                }
            }
            Ok(None) | Err(_) => settled_in_time = false,
        }
    }
    let snapshot = state.snapshot();
    let settled = settled_in_time && snapshot.sources_loaded && snapshot.settled();
    Ok((snapshot, settled))
}

/// Each context's plan.
type Plans = Arc<Vec<(String, ClusterPlan)>>;

/// What Git said, applied as `run_sources` sends it: missing contexts, repos, removed apps,
/// every context's plan, the desired apps, `SourcesLoaded`. Returns the plans.
fn apply_sources(
    state: &mut State,
    missing: Vec<(String, String)>,
    contexts: &[String],
    outcome: PollOutcome,
) -> Plans {
    let now = jiff::Timestamp::now();
    for (context, error) in missing {
        state.apply(Input::Cluster {
            context,
            event: ClusterEvent::Unreachable { error, at: now },
        });
    }
    let PollOutcome {
        desired,
        removed,
        repos,
    } = outcome;
    for (name, error) in repos {
        state.apply(Input::Repo {
            name,
            error,
            at: now,
        });
    }
    for id in removed {
        state.apply(Input::RemoveApp(id));
    }
    let needs: BTreeMap<AppId, AppNeeds> = desired
        .iter()
        .map(|app| (app.id.clone(), AppNeeds::of(app)))
        .collect();
    let plans: Vec<(String, ClusterPlan)> = contexts
        .iter()
        .map(|context| (context.clone(), plan_for(context, &needs)))
        .collect();
    for (context, plan) in &plans {
        state.apply(Input::Plan {
            context: context.clone(),
            kinds: plan.kinds.clone(),
            namespaces: plan.namespaces.clone(),
            metadata_only: plan.metadata_only.clone(),
        });
    }
    for app in desired {
        state.apply(Input::Desired(app));
    }
    state.apply(Input::SourcesLoaded);
    Arc::new(plans)
}

/// `git fetch` of every repo with a URL when the config fetches at all; errors by repo name.
fn fetch_repos(config: &Config) -> BTreeMap<String, String> {
    if config.settings.fetch_interval_seconds == 0 {
        return BTreeMap::new();
    }
    let mut errors = BTreeMap::new();
    for repo in config.repos.iter().filter(|r| r.url.is_some()) {
        let result = std::panic::catch_unwind(|| fetch(&repo.path))
            .unwrap_or_else(|_| Err("git fetch panicked".to_string()));
        if let Err(err) = result {
            tracing::warn!(repo = %repo.name, %err, "git fetch failed");
            errors.insert(repo.name.clone(), err);
        }
    }
    errors
}

/// A repo that reads fine but could not be fetched is compared at a stale commit: its fetch
/// error is shown.
fn with_fetch_errors(mut outcome: PollOutcome, errors: &BTreeMap<String, String>) -> PollOutcome {
    for (name, error) in &mut outcome.repos {
        if error.is_none() {
            *error = errors.get(name.as_str()).cloned();
        }
    }
    outcome
}

/// A poll that panicked (a kubedrift bug): every repo shows the error, as the live layer does.
fn panicked(repos: Vec<String>) -> PollOutcome {
    PollOutcome {
        repos: repos
            .into_iter()
            .map(|name| {
                (
                    name,
                    Some("reading Git panicked (a kubedrift bug)".to_string()),
                )
            })
            .collect(),
        ..PollOutcome::default()
    }
}
