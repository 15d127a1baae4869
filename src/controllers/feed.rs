//! The watchers' reports folded into the current controller apps: objects by watcher, the
//! translation (`argocd`, `flux`), repo locations (configured or cloned) and the specs the Git
//! follower takes. The live driver owns one and calls it between polls.

use super::clusters::ClusterMap;
use super::flux::FluxObjects;
use super::repos::{configured, RepoCache};
use super::specs::{self, ControllerSpec, RepoLocation};
use super::watch::{WatchKey, WatchReport, WatchedKind};
use super::{argocd, flux, ControllerApp, SourceConfig};
use crate::config::Config;
use kube::config::Kubeconfig;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Everything the watchers reported so far.
pub struct ControllerFeed {
    config: Config,
    sources: Vec<SourceConfig>,
    cluster_maps: Vec<ClusterMap>,
    cache: Option<RepoCache>,
    /// Watchers whose first report has not arrived.
    waiting: BTreeSet<WatchKey>,
    objects: BTreeMap<WatchKey, Vec<Json>>,
    /// Failures by watcher (not-served kinds are no failure).
    failures: BTreeMap<WatchKey, String>,
    /// Clone results by URL: a clone is made once; a failed one is tried again after
    /// [`CLONE_RETRY`] (the network or the credentials may come back).
    clones: BTreeMap<String, CloneResult>,
}

/// A clone's path and default branch, or why it failed and when.
type CloneResult = Result<(PathBuf, String), (String, Instant)>;

/// How long after a failed clone it is tried again.
const CLONE_RETRY: Duration = Duration::from_secs(60);

impl ControllerFeed {
    pub fn new(
        config: Config,
        kubeconfig: &Kubeconfig,
        keys: Vec<WatchKey>,
        cache: Option<RepoCache>,
    ) -> Self {
        let sources = config.sources.clone();
        let cluster_maps = sources
            .iter()
            .map(|s| ClusterMap::new(kubeconfig, &s.clusters))
            .collect();
        ControllerFeed {
            config,
            sources,
            cluster_maps,
            cache,
            waiting: keys.into_iter().collect(),
            objects: BTreeMap::new(),
            failures: BTreeMap::new(),
            clones: BTreeMap::new(),
        }
    }

    /// Every watcher reported at least once (listed or failed).
    pub fn first_lists_done(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Fold in one report.
    pub fn apply(&mut self, report: WatchReport) {
        match report {
            WatchReport::Objects { key, objects } => {
                self.waiting.remove(&key);
                self.failures.remove(&key);
                self.objects.insert(key, objects);
            }
            WatchReport::Failed {
                key,
                error,
                not_served,
            } => {
                self.waiting.remove(&key);
                if !not_served {
                    self.failures.insert(key, error);
                }
            }
        }
    }

    /// What cannot be read, as (name, error) — shown where repo errors are.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.failures
            .iter()
            .map(|(key, error)| {
                let (_, _, kind, _) = key.kind.gvk();
                (
                    format!(
                        "{} {}s on {}{}",
                        self.sources.get(key.source).map_or("?", |s| s.kind.label()),
                        kind,
                        key.context,
                        key.namespace
                            .as_deref()
                            .map(|ns| format!(" (namespace {ns})"))
                            .unwrap_or_default()
                    ),
                    error.clone(),
                )
            })
            .collect()
    }

    /// A failed clone is due to be tried again.
    pub fn clone_retry_due(&self) -> bool {
        self.clones
            .values()
            .any(|c| matches!(c, Err((_, at)) if at.elapsed() >= CLONE_RETRY))
    }

    /// Every app the objects describe now.
    pub fn apps(&self) -> Vec<ControllerApp> {
        let mut out = Vec::new();
        // Flux needs the GitRepositories of the same context next to the Kustomizations.
        let mut flux: BTreeMap<(usize, String), FluxObjects> = BTreeMap::new();
        for (key, objects) in &self.objects {
            match key.kind {
                WatchedKind::ArgoApplication => {
                    let Some(clusters) = self.cluster_maps.get(key.source) else {
                        continue;
                    };
                    out.extend(
                        objects
                            .iter()
                            .map(|o| argocd::application(o, &key.context, clusters)),
                    );
                }
                kind => {
                    let entry = flux.entry((key.source, key.context.clone())).or_default();
                    let list = match kind {
                        WatchedKind::FluxKustomization => &mut entry.kustomizations,
                        WatchedKind::FluxHelmRelease => &mut entry.helm_releases,
                        WatchedKind::FluxHelmRepository => &mut entry.helm_repositories,
                        _ => &mut entry.git_repositories,
                    };
                    list.extend(objects.iter().cloned());
                }
            }
        }
        for ((_, context), objects) in &flux {
            out.extend(flux::apps(objects, context));
        }
        out
    }

    /// The apps as the Git follower takes them, cloning repos not cloned yet (blocking: run
    /// on the blocking pool), and the cached clones they read (name → path).
    pub fn specs(&mut self) -> (Vec<ControllerSpec>, BTreeMap<String, PathBuf>) {
        let apps = self.apps();
        // A URL no object names any more is forgotten (and not retried).
        let named: BTreeSet<&String> = apps.iter().map(|a| &a.repo_url).collect();
        self.clones.retain(|url, _| named.contains(url));
        let mut cached = BTreeMap::new();
        for app in &apps {
            let url = &app.repo_url;
            if url.is_empty() || configured(&self.config, url).is_some() {
                continue;
            }
            let due = match self.clones.get(url) {
                None => true,
                Some(Ok(_)) => false,
                Some(Err((_, at))) => at.elapsed() >= CLONE_RETRY,
            };
            if due {
                let result = match &self.cache {
                    Some(cache) => cache.ensure(url),
                    None => Err("no cache directory to clone into (set settings.cache_dir or KUBEDRIFT_CACHE_DIR, or map the URL with [[repo]] url = ...)".to_string()),
                };
                self.clones
                    .insert(url.clone(), result.map_err(|e| (e, Instant::now())));
            }
            if let Some(Ok((path, _))) = self.clones.get(url) {
                cached.insert(RepoCache::name_for(url), path.clone());
            }
        }
        let config = &self.config;
        let clones = &self.clones;
        let locate = |url: &str| -> RepoLocation {
            if let Some(repo) = configured(config, url) {
                return RepoLocation::Configured {
                    name: repo.name.clone(),
                    default_branch: repo.default_branch.clone(),
                };
            }
            let name = RepoCache::name_for(url);
            match clones.get(url) {
                Some(Ok((path, default_branch))) => RepoLocation::Cached {
                    name,
                    path: path.clone(),
                    default_branch: default_branch.clone(),
                },
                Some(Err((error, _))) => RepoLocation::Failed {
                    name,
                    error: error.clone(),
                },
                None => RepoLocation::Failed {
                    name,
                    error: "not cloned".to_string(),
                },
            }
        };
        (specs::build(&apps, config, &locate), cached)
    }
}
