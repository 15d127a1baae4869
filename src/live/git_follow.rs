//! Following Git: poll local refs cheaply, re-render only the apps whose inputs changed, and
//! fetch remotes on an interval. Blocking (git2 and renderers); the live driver runs it on the
//! blocking pool. Repo errors are reported, never fatal.

use crate::config::{AppSpec, Config, Environment};
use crate::controllers::specs::ControllerSpec;
use crate::desired::{self, DesiredError, Repos};
use crate::git::GitRepo;
use crate::model::{builtin_cluster_scoped, ResourceKey};
use crate::render::{self, RendererKind};
use crate::source::{SourceError, SourceTree, TreeSource};
use crate::state::{AppId, DesiredApp, DesiredResource, RenderedApp};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one poll found.
#[derive(Default)]
pub struct PollOutcome {
    /// Apps rendered anew (new, or their inputs changed).
    pub desired: Vec<DesiredApp>,
    /// Apps that no longer exist in Git.
    pub removed: Vec<AppId>,
    /// Per repo: `None` when it could be read, else the error.
    pub repos: Vec<(String, Option<String>)>,
}

/// What was last rendered for an app.
struct Rendered {
    commit: String,
    tree_id: Option<String>,
    cache_key: Option<String>,
    renderer: Option<RendererKind>,
    /// The render failed: retried at `retry_at` even when nothing moved (a tool may have
    /// been installed, a timeout may not recur).
    failure: Option<Failure>,
}

struct Failure {
    error: String,
    attempts: u32,
    retry_at: Instant,
}

/// First retry of a failed render after this long, doubling per failure up to
/// [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// Renderer tools (helm, kustomize) are killed after this long: shorter than `status`'s
/// default 30 s wait, so one hanging app shows as that app's error instead of a timeout of
/// the whole command.
pub const RENDER_TOOL_TIMEOUT: Duration = Duration::from_secs(20);

fn retry_delay(attempts: u32) -> Duration {
    RETRY_FIRST
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
        .min(RETRY_MAX)
}

/// Polls the repos of the selected environments.
pub struct GitFollower {
    config: Config,
    environments: Vec<Environment>,
    app_filter: Option<String>,
    repos: Repos,
    last: HashMap<AppId, Rendered>,
    seq: u64,
    tools: render::Tools,
    /// Every followed app is rendered at this revision instead of its ref.
    revision: Option<String>,
    /// Apps read from Argo CD / Flux objects (replaced as the objects change).
    controller_apps: Vec<ControllerSpec>,
    /// The repos those apps read that the config does not name (kubedrift's clones).
    controller_repos: BTreeMap<String, Result<GitRepo, String>>,
    /// `--env` for the controller apps.
    controller_env: Option<String>,
}

impl GitFollower {
    /// Follow `environments` (already filtered) of `config`, only `app_filter` when given.
    pub fn new(config: Config, environments: Vec<Environment>, app_filter: Option<String>) -> Self {
        GitFollower {
            repos: Repos::open(&config),
            config,
            environments,
            app_filter,
            last: HashMap::new(),
            seq: 0,
            tools: render::Tools {
                timeout: RENDER_TOOL_TIMEOUT,
                // Survives restarts: a second start with unchanged Git runs no tool.
                disk_cache: render::DiskCache::from_env().map(Arc::new),
                ..render::Tools::default()
            },
            revision: None,
            controller_apps: Vec::new(),
            controller_repos: BTreeMap::new(),
            controller_env: None,
        }
    }

    /// Follow these controller apps from now on, reading the cached clones `repos` (name →
    /// path). An app whose spec changed is rendered again even at the same commit (its
    /// options or path may differ); an app no longer listed is removed at the next poll.
    pub fn set_controller_apps(
        &mut self,
        apps: Vec<ControllerSpec>,
        repos: BTreeMap<String, std::path::PathBuf>,
    ) {
        for app in &apps {
            let before = self.controller_apps.iter().find(|old| old.id() == app.id());
            if before.is_none_or(|old| old.spec != app.spec || old.blocked != app.blocked) {
                self.last.remove(&app.id());
            }
        }
        self.controller_apps = apps;
        for (name, path) in repos {
            let reopen = !matches!(self.controller_repos.get(&name), Some(Ok(_)));
            if reopen {
                self.controller_repos
                    .insert(name, GitRepo::open(&path).map_err(|e| e.to_string()));
            }
        }
    }

    /// Follow only the controller apps of environment `env` (None: all).
    pub fn with_controller_env(mut self, env: Option<String>) -> Self {
        self.controller_env = env;
        self
    }

    /// Render every followed app at `revision` (None: each app's ref).
    pub fn with_revision(mut self, revision: Option<String>) -> Self {
        self.revision = revision;
        self
    }

    /// The configured repos, by name.
    pub fn repo_names(&self) -> Vec<String> {
        self.config.repos.iter().map(|r| r.name.clone()).collect()
    }

    fn repo(&self, name: &str) -> Result<GitRepo, String> {
        if let Some(repo) = self.controller_repos.get(name) {
            return repo.clone();
        }
        self.repos.get(name).cloned().map_err(|e| e.to_string())
    }

    /// Plan the renders of the controller apps (see [`GitFollower::poll`]).
    fn poll_controller_apps(
        &mut self,
        outcome: &mut PollOutcome,
        seen: &mut Vec<AppId>,
        jobs: &mut Vec<RenderJob>,
    ) {
        for app in self.controller_apps.clone() {
            if self
                .app_filter
                .as_ref()
                .is_some_and(|a| *a != app.spec.name)
                || self
                    .controller_env
                    .as_ref()
                    .is_some_and(|e| *e != app.spec.env)
            {
                continue;
            }
            let mut spec = app.spec.clone();
            if let Some(revision) = &self.revision {
                spec.git_ref = revision.clone();
            }
            let id = app.id();
            seen.push(id.clone());
            let env = Environment {
                name: spec.env.clone(),
                context: app.context.clone(),
                namespace: None,
                git_ref: None,
                read_only: false,
                protected: false,
                order: None,
            };
            if let Some(reason) = &app.blocked {
                // Shown once; a change of the object re-plans it (set_controller_apps).
                if !self.last.contains_key(&id) {
                    let shown = self.failed_once(&spec, &env, id, reason.clone());
                    outcome.desired.push(shown);
                }
                continue;
            }
            // A chart from a chart repository: nothing in Git, the chart version is the
            // revision (a published version is immutable: rendered once per version).
            if let Some(chart) = spec.chart.clone().filter(|_| spec.repo.is_empty()) {
                let revision = (chart.version.clone(), chart.version.clone());
                if let Some(job) = self.plan_chart_render(spec, &env, id, revision) {
                    jobs.push(job);
                }
                continue;
            }
            let resolved = self.repo(&spec.repo).and_then(|repo| {
                resolve_followed(&repo, &spec.git_ref, app.fetched)
                    .map(|r| (r.commit.clone(), r.label()))
                    .map_err(|e| format!("repo {}: {e}", spec.repo))
            });
            match resolved {
                Ok(commit) => {
                    if let Some(job) = self.plan_render(spec, &env, id, commit) {
                        jobs.push(job);
                    }
                }
                // Keep the last render if there was one; otherwise show the error (once:
                // the next poll tries again, and a render replaces it).
                Err(err) => {
                    if !self.last.contains_key(&id) {
                        let shown = self.failed_once(&spec, &env, id, err);
                        outcome.desired.push(shown);
                    }
                }
            }
        }
    }

    /// [`GitFollower::failed`], remembered as the app's last render so that it is sent once
    /// and removed when the app goes.
    fn failed_once(
        &mut self,
        spec: &AppSpec,
        env: &Environment,
        id: AppId,
        error: String,
    ) -> DesiredApp {
        self.last.insert(
            id.clone(),
            Rendered {
                commit: String::new(),
                tree_id: None,
                cache_key: None,
                renderer: None,
                failure: Some(Failure {
                    error: error.clone(),
                    attempts: 1,
                    // Not retried by time: a new commit or a change of the object re-plans it.
                    retry_at: Instant::now() + Duration::from_secs(365 * 24 * 3600),
                }),
            },
        );
        self.failed(spec, env, id, error)
    }

    /// Read refs; render what changed. Cheap when nothing moved (ref lookups only).
    pub fn poll(&mut self) -> PollOutcome {
        self.repos.retry_failed(&self.config);
        let mut outcome = PollOutcome::default();
        let mut repo_errors: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut seen: Vec<AppId> = Vec::new();
        let mut jobs: Vec<RenderJob> = Vec::new();
        for env in self.environments.clone() {
            // Resolve each repo's ref for this environment.
            let mut commits: BTreeMap<String, Result<(String, String), String>> = BTreeMap::new();
            let repo_names: Vec<String> =
                self.config.repos.iter().map(|r| r.name.clone()).collect();
            for name in &repo_names {
                let git_ref = desired::env_ref(&self.config, &env, name);
                let fetched = self.config.repo(name).is_some_and(|r| r.url.is_some());
                let resolved = self.repo(name).and_then(|repo| {
                    resolve_followed(&repo, &git_ref, fetched)
                        .map(|r| (r.commit.clone(), r.label()))
                        .map_err(|e| e.to_string())
                });
                let entry = repo_errors.entry(name.clone()).or_insert(None);
                if let Err(err) = &resolved {
                    *entry = Some(err.clone());
                }
                commits.insert(name.clone(), resolved);
            }
            let (dirs, list_errors) = desired::discovery_dirs(&self.config, &self.repos, |repo| {
                match commits.get(repo) {
                    Some(Ok((commit, _))) => Some(commit.clone()),
                    _ => None,
                }
            });
            for err in list_errors {
                if let DesiredError::Git { repo, .. } = &err {
                    repo_errors.insert(repo.clone(), Some(err.to_string()));
                }
            }
            let apps = match self.config.apps_for(&env.name, &dirs) {
                Ok(apps) => apps,
                Err(err) => {
                    for name in &repo_names {
                        repo_errors.insert(name.clone(), Some(err.to_string()));
                    }
                    continue;
                }
            };
            for mut spec in apps {
                if self.app_filter.as_ref().is_some_and(|a| *a != spec.name) {
                    continue;
                }
                if let Some(revision) = &self.revision {
                    spec.git_ref = revision.clone();
                }
                let id = AppId::new(&spec.name, &env.name);
                seen.push(id.clone());
                // An app with its own ref (a branch per environment) resolves it itself.
                let own_ref = (spec.git_ref != desired::env_ref(&self.config, &env, &spec.repo))
                    .then(|| {
                        let fetched = self
                            .config
                            .repo(&spec.repo)
                            .is_some_and(|r| r.url.is_some());
                        self.repo(&spec.repo).and_then(|repo| {
                            resolve_followed(&repo, &spec.git_ref, fetched)
                                .map(|r| (r.commit.clone(), r.label()))
                                .map_err(|e| e.to_string())
                        })
                    });
                let commit = match own_ref.as_ref().or(commits.get(&spec.repo)) {
                    Some(Ok(commit)) => commit.clone(),
                    Some(Err(err)) => {
                        // Keep the last render if there was one; otherwise show the error.
                        // Either way the repo shows it: what is compared is no longer
                        // what the ref names (and a served diff must not answer from it).
                        if own_ref.is_some() {
                            repo_errors.insert(
                                spec.repo.clone(),
                                Some(format!("{}: {err}", spec.git_ref)),
                            );
                        }
                        if !self.last.contains_key(&id) {
                            outcome
                                .desired
                                .push(self.failed(&spec, &env, id, err.clone()));
                        }
                        continue;
                    }
                    None => continue,
                };
                if let Some(job) = self.plan_render(spec, &env, id, commit) {
                    jobs.push(job);
                }
            }
        }
        self.poll_controller_apps(&mut outcome, &mut seen, &mut jobs);
        // Renders run side by side (bounded): one hanging tool delays only its own app.
        let results = run_renders(&jobs, &self.tools, self.max_file_bytes());
        for (job, result) in jobs.into_iter().zip(results) {
            if let Some(desired) = self.finish_render(job, result) {
                outcome.desired.push(desired);
            }
        }
        let gone: Vec<AppId> = self
            .last
            .keys()
            .filter(|id| !seen.contains(id))
            .cloned()
            .collect();
        for id in gone {
            self.last.remove(&id);
            outcome.removed.push(id);
        }
        outcome.repos = repo_errors.into_iter().collect();
        outcome
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn failed(
        &mut self,
        spec: &AppSpec,
        env: &Environment,
        id: AppId,
        error: String,
    ) -> DesiredApp {
        DesiredApp {
            id,
            context: env.context.clone(),
            namespace: spec.namespace.clone(),
            revision: String::new(),
            seq: self.next_seq(),
            rendered: Err(error),
            ignore: spec.ignore.clone(),
        }
    }

    fn max_file_bytes(&self) -> u64 {
        self.config.settings.max_manifest_bytes
    }

    /// A render of `spec` at `commit`, unless nothing it depends on changed since the last
    /// render (or a failed render's backoff has not ended).
    fn plan_render(
        &mut self,
        spec: AppSpec,
        env: &Environment,
        id: AppId,
        (commit, label): (String, String),
    ) -> Option<RenderJob> {
        // Nothing moved (or a failed render's backoff has not ended): the common poll. Known
        // before looking up the app directory, which is most of a poll's cost at 500 apps.
        let unmoved = self.last.get(&id).is_some_and(|last| {
            last.commit == commit
                && last
                    .failure
                    .as_ref()
                    .is_none_or(|failure| Instant::now() < failure.retry_at)
        });
        if unmoved {
            return None;
        }
        let repo = self.repo(&spec.repo).ok()?;
        let tree_id = repo.tree_id(&commit, &spec.path).ok().flatten();
        self.plan_job(spec, env, id, Some(repo), (commit, label), tree_id)
    }

    /// A render of a chart-repository app that reads nothing from Git (see
    /// [`GitFollower::plan_render`]; the chart version stands for the commit).
    fn plan_chart_render(
        &mut self,
        spec: AppSpec,
        env: &Environment,
        id: AppId,
        revision: (String, String),
    ) -> Option<RenderJob> {
        self.plan_job(spec, env, id, None, revision, None)
    }

    fn plan_job(
        &mut self,
        spec: AppSpec,
        env: &Environment,
        id: AppId,
        repo: Option<GitRepo>,
        (commit, label): (String, String),
        tree_id: Option<String>,
    ) -> Option<RenderJob> {
        let mut previous_failure = None;
        if let Some(last) = self.last.get(&id) {
            match &last.failure {
                // Failed before: retry with backoff, even at the same commit.
                Some(failure) if last.commit == commit => {
                    if Instant::now() < failure.retry_at {
                        return None;
                    }
                    previous_failure = Some((failure.error.clone(), failure.attempts));
                }
                Some(_) => {}
                None if last.commit == commit => return None,
                None => {}
            }
            // Plain manifests depend on their directory only: same tree, same objects.
            if last.failure.is_none()
                && last.tree_id.is_some()
                && last.tree_id == tree_id
                && last.renderer == Some(RendererKind::Plain)
            {
                return None;
            }
        }
        let last_key = self.last.get(&id).and_then(|last| last.cache_key.clone());
        Some(RenderJob {
            spec,
            context: env.context.clone(),
            id,
            repo,
            commit,
            label,
            tree_id,
            previous_failure,
            last_key,
        })
    }

    /// Record what a render gave; the app's new desired state when there is something new.
    fn finish_render(
        &mut self,
        job: RenderJob,
        result: Result<RenderOutcome, String>,
    ) -> Option<DesiredApp> {
        let RenderJob {
            spec,
            context,
            id,
            commit,
            label,
            tree_id,
            previous_failure,
            ..
        } = job;
        let (rendered, cache_key, renderer) = match result {
            Ok(RenderOutcome::Rendered {
                objects,
                renderer,
                cache_key,
            }) => (Ok(Some(objects)), Some(cache_key), Some(renderer)),
            Ok(RenderOutcome::Unchanged {
                renderer,
                cache_key,
            }) => (Ok(None), Some(cache_key), Some(renderer)),
            Err(err) => (Err(err), None, None),
        };
        let unchanged = self
            .last
            .get(&id)
            .is_some_and(|last| cache_key.is_some() && last.cache_key == cache_key);
        let failure = rendered.as_ref().err().map(|error| {
            let attempts = previous_failure.as_ref().map_or(0, |(_, n)| *n) + 1;
            Failure {
                error: error.clone(),
                attempts,
                retry_at: Instant::now() + retry_delay(attempts),
            }
        });
        // The same failure again: nothing new to show.
        let same_failure = match (&failure, &previous_failure) {
            (Some(now), Some((before, _))) => now.error == *before,
            _ => false,
        };
        self.last.insert(
            id.clone(),
            Rendered {
                commit,
                tree_id,
                cache_key,
                renderer,
                failure,
            },
        );
        let rendered = match rendered {
            Ok(Some(objects)) if !unchanged => Ok(objects),
            Ok(_) => return None,
            Err(_) if same_failure => return None,
            Err(error) => Err(error),
        };
        Some(DesiredApp {
            id,
            context,
            namespace: spec.namespace.clone(),
            revision: label,
            seq: self.next_seq(),
            rendered,
            ignore: spec.ignore.clone(),
        })
    }
}

/// One app to render at one commit.
struct RenderJob {
    spec: AppSpec,
    context: String,
    id: AppId,
    /// None for a chart from a chart repository with nothing in Git.
    repo: Option<GitRepo>,
    commit: String,
    label: String,
    tree_id: Option<String>,
    /// The error and attempt count of the last render, when it failed at this commit.
    previous_failure: Option<(String, u32)>,
    /// The cache key of the app's last successful render: the same key again means the same
    /// objects, so the render is skipped.
    last_key: Option<String>,
}

/// What rendering one job gave.
enum RenderOutcome {
    /// The app's desired objects (made in the render's thread: at 500 apps, keying and
    /// compacting them one app after another held up the first status by a second).
    Rendered {
        objects: RenderedApp,
        renderer: RendererKind,
        cache_key: String,
    },
    /// Every input is as at the last render (a commit that touched other files): nothing
    /// was run or parsed.
    Unchanged {
        renderer: RendererKind,
        cache_key: String,
    },
}

/// The source of an app with nothing in Git (a chart from a chart repository): an empty
/// repository root, so only generated files (inline values) are read.
struct NoFiles;

impl TreeSource for NoFiles {
    fn subtree(&self, path: &str) -> Result<SourceTree, SourceError> {
        if path.is_empty() {
            return Ok(SourceTree::default());
        }
        Err(SourceError::PathNotFound {
            path: path.to_string(),
            revision: self.revision(),
        })
    }

    fn revision(&self) -> String {
        "no Git repository".to_string()
    }
}

/// At most this many renderer tools run at once (the machine may be small).
const MAX_PARALLEL_RENDERS: usize = 4;

/// Render every job, [`MAX_PARALLEL_RENDERS`] at a time; results in job order. A panic in a
/// render (a renderer bug on odd input) is that app's error: it must not stop Git following
/// for every app.
///
/// No in-memory cache of rendered objects: an app whose inputs did not change is skipped by
/// its last cache key (nothing held), and a tool run is remembered by the persistent render
/// cache. Keeping every app's objects here as well doubled what the desired side cost.
fn run_renders(
    jobs: &[RenderJob],
    tools: &render::Tools,
    max_file_bytes: u64,
) -> Vec<Result<RenderOutcome, String>> {
    let render_one = |job: &RenderJob| -> Result<RenderOutcome, String> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let commit_source = match &job.repo {
                Some(repo) => Some(
                    repo.commit_source(&job.commit)
                        .map_err(|err| err.to_string())?,
                ),
                None => None,
            };
            let no_files = NoFiles;
            let source: &dyn TreeSource = match &commit_source {
                Some(source) => source,
                None => &no_files,
            };
            let limits = crate::manifest::ManifestLimits { max_file_bytes };
            let source = desired::app_source(&job.spec, source);
            let mut request = desired::render_request(&job.spec, &source, &limits);
            request.tools = tools.clone();
            let prepared = render::prepare(&request).map_err(|err| err.to_string())?;
            if job.last_key.as_deref() == Some(prepared.cache_key()) {
                return Ok(RenderOutcome::Unchanged {
                    renderer: prepared.renderer(),
                    cache_key: prepared.cache_key().to_string(),
                });
            }
            let mut rendered = prepared.run().map_err(|err| err.to_string())?;
            desired::finish_render(&job.spec, &mut rendered);
            let renderer = rendered.renderer_used;
            let cache_key = rendered.cache_key.clone();
            Ok(RenderOutcome::Rendered {
                objects: desired_objects(rendered, job.spec.namespace.as_deref()),
                renderer,
                cache_key,
            })
        }))
        .unwrap_or_else(|_| Err("the render panicked (a kubedrift bug); retrying".to_string()))
    };
    if jobs.len() <= 1 {
        return jobs.iter().map(render_one).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<Result<RenderOutcome, String>>>> =
        std::sync::Mutex::new(jobs.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..MAX_PARALLEL_RENDERS.min(jobs.len()) {
            scope.spawn(|| loop {
                let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(job) = jobs.get(at) else { break };
                let result = render_one(job);
                let mut results = results.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(slot) = results.get_mut(at) {
                    *slot = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("the render did not finish".to_string())))
        .collect()
}

/// The remote-tracking ref (`refs/remotes/origin/<branch>`) the live view reads for
/// `git_ref` in a repo kubedrift fetches, None when it reads `git_ref` as written. Shared
/// with promotion, which must write what the live view compares against.
pub(crate) fn followed_tracking_ref(git_ref: &str, fetched: bool) -> Option<String> {
    let plain_branch =
        !git_ref.starts_with("refs/") && !git_ref.starts_with("origin/") && git_ref != "HEAD";
    (fetched && plain_branch).then(|| format!("refs/remotes/origin/{git_ref}"))
}

/// The commit an environment follows. For a repo kubedrift fetches (it has a `url`), a
/// branch is read from its remote-tracking ref `origin/<branch>`: the fetch updates that, not
/// the local branch, which would otherwise stay at the commit of the clone. Anything else
/// (a tag, a commit, a repo without a url) resolves as written.
fn resolve_followed(
    repo: &GitRepo,
    git_ref: &str,
    fetched: bool,
) -> Result<crate::git::ResolvedRev, crate::git::GitError> {
    if let Some(tracking) = followed_tracking_ref(git_ref, fetched) {
        if let Ok(remote) = repo.resolve(&format!("origin/{git_ref}")) {
            if remote.reference.as_deref() == Some(tracking.as_str()) {
                return Ok(remote);
            }
        }
    }
    repo.resolve(git_ref)
}

fn desired_objects(out: render::Rendered, namespace: Option<&str>) -> RenderedApp {
    let mut problems: Vec<String> = out.errors.iter().map(ToString::to_string).collect();
    problems.extend(out.duplicates.iter().map(ToString::to_string));
    let complete = out.is_complete();
    let mut objects = Vec::with_capacity(out.objects.len());
    for manifest in out.objects {
        let origin = format!("{}:{}", manifest.source.file, manifest.source.line);
        match ResourceKey::from_object(&manifest.object, namespace, &builtin_cluster_scoped) {
            Ok(key) => objects.push(DesiredResource::new(key, manifest.object, Some(origin))),
            Err(err) => problems.push(format!("{origin}: {err}")),
        }
    }
    RenderedApp {
        objects,
        complete,
        problems,
    }
}

/// `git fetch` of `origin` (or the first remote), authenticating with the user's git setup
/// ([`crate::git::transport`]: the ssh agent, git's credential helpers; refused credentials
/// stop the fetch instead of being offered again). Blocking.
pub fn fetch(path: &std::path::Path) -> Result<(), String> {
    let repo = git2::Repository::open(path).map_err(|e| e.message().to_string())?;
    let remotes = repo.remotes().map_err(|e| e.message().to_string())?;
    let names: Vec<String> = (0..remotes.len())
        .filter_map(|i| remotes.get(i).ok().flatten().map(str::to_string))
        .collect();
    let name = if names.iter().any(|r| r == "origin") {
        "origin".to_string()
    } else {
        match names.first() {
            Some(first) => first.clone(),
            None => return Ok(()),
        }
    };
    let mut remote = repo
        .find_remote(&name)
        .map_err(|e| e.message().to_string())?;
    let auth = crate::git::transport::Auth::new(path);
    let mut options = git2::FetchOptions::new();
    options.remote_callbacks(auth.callbacks());
    let result = remote.fetch(&[] as &[&str], Some(&mut options), None);
    auth.finish(result.is_ok());
    result.map_err(|e| {
        let message = auth.refused().unwrap_or_else(|| e.message().to_string());
        format!(
            "fetch {name}: {}",
            crate::actions::promote::commit::redact_urls(&message)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(repo: &git2::Repository, files: &[(&str, &str)], reference: &str) -> git2::Oid {
        let workdir = repo.workdir().expect("workdir").to_path_buf();
        for (path, content) in files {
            let full = workdir.join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(&full, content).expect("write");
        }
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("index write");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = git2::Signature::now("Dana SRE", "dana@example.com").expect("sig");
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some(reference), &sig, &sig, "change", &tree, &parents)
            .expect("commit")
    }

    const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\ndata:\n  LOG_LEVEL: info\n";

    #[cfg(unix)]
    #[test]
    fn a_failed_render_is_retried_at_the_same_commit_and_recovers() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let repo_path = dir.path().join("repo");
        let repo = git2::Repository::init(&repo_path).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        commit(
            &repo,
            &[
                (
                    "apps/web/dev/kustomization.yaml",
                    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n",
                ),
                ("apps/web/dev/configmap.yaml", CONFIGMAP),
            ],
            "refs/heads/main",
        );
        let config_path = dir.path().join("config.toml");
        std::fs::write(
            &config_path,
            format!(
                "[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n[[environment]]\nname = \"dev\"\ncontext = \"dev\"\n\n[[app]]\nname = \"web\"\nrepo = \"gitops\"\npath = \"apps/web/dev\"\nnamespace = \"shop\"\n",
                repo_path.display()
            ),
        )
        .expect("config");
        let config = Config::load_file(&config_path).expect("config").config;
        let environments = config.environments.clone();
        let bin = tempfile::tempdir().expect("bin");
        let mut follower = GitFollower::new(config, environments, None);
        follower.tools.search_path = Some(bin.path().as_os_str().to_os_string());
        let id = AppId::new("web", "dev");

        // No kustomize: the app is an error.
        let outcome = follower.poll();
        assert_eq!(outcome.desired.len(), 1);
        let first = outcome.desired[0].rendered.as_ref().err().expect("failed");
        assert!(first.contains("kustomize"), "{first}");
        // Before the backoff ends nothing is rendered again.
        assert!(follower.poll().desired.is_empty());
        // The same failure again is not re-sent.
        if let Some(failure) = follower.last.get_mut(&id).and_then(|l| l.failure.as_mut()) {
            failure.retry_at = Instant::now();
        }
        assert!(follower.poll().desired.is_empty());
        assert_eq!(
            follower
                .last
                .get(&id)
                .and_then(|l| l.failure.as_ref())
                .map(|f| f.attempts),
            Some(2)
        );

        // kustomize appears: the next retry (same commit) renders.
        let fake = bin.path().join("kustomize");
        std::fs::write(&fake, format!("#!/bin/sh\ncat <<'EOF'\n{CONFIGMAP}EOF\n"))
            .expect("fake kustomize");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        if let Some(failure) = follower.last.get_mut(&id).and_then(|l| l.failure.as_mut()) {
            failure.retry_at = Instant::now();
        }
        let outcome = follower.poll();
        assert_eq!(outcome.desired.len(), 1);
        let rendered = outcome.desired[0].rendered.as_ref().expect("rendered");
        assert_eq!(rendered.objects.len(), 1);
        assert_eq!(&*rendered.objects[0].key.name, "web-config");
        // Success is remembered: nothing more at this commit.
        assert!(follower.poll().desired.is_empty());
    }

    #[test]
    fn an_app_with_its_own_ref_follows_its_branch_per_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo_path = dir.path().join("repo");
        let repo = git2::Repository::init(&repo_path).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        commit(
            &repo,
            &[("apps/web/configmap.yaml", CONFIGMAP)],
            "refs/heads/main",
        );
        let payments = |level: &str| {
            CONFIGMAP
                .replace("web-config", "payments-config")
                .replace("info", level)
        };
        commit(
            &repo,
            &[("apps/payments/configmap.yaml", &payments("debug"))],
            "refs/heads/env/dev",
        );
        let config_path = dir.path().join("config.toml");
        std::fs::write(
            &config_path,
            format!(
                "[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n\
                 [[environment]]\nname = \"dev\"\ncontext = \"dev\"\n\n\
                 [[environment]]\nname = \"prod\"\ncontext = \"prod\"\n\n\
                 [[app]]\nname = \"web\"\npath = \"apps/web\"\n\n\
                 [[app]]\nname = \"payments\"\npath = \"apps/payments\"\nref = \"env/{{env}}\"\n",
                repo_path.display()
            ),
        )
        .expect("config");
        let config = Config::load_file(&config_path).expect("config").config;
        let environments = config.environments.clone();
        let mut follower = GitFollower::new(config, environments, None);
        let revision_of = |outcome: &PollOutcome, app: &str, env: &str| {
            outcome
                .desired
                .iter()
                .find(|d| d.id == AppId::new(app, env))
                .map(|d| (d.revision.clone(), d.rendered.is_ok()))
        };

        let first = follower.poll();
        let (dev_payments, ok) = revision_of(&first, "payments", "dev").expect("rendered");
        assert!(dev_payments.starts_with("env/dev@") && ok, "{dev_payments}");
        let (dev_web, ok) = revision_of(&first, "web", "dev").expect("rendered");
        assert!(dev_web.starts_with("main@") && ok, "{dev_web}");
        // prod has no env/prod branch: that app is an error, the others carry on.
        let prod_payments = first
            .desired
            .iter()
            .find(|d| d.id == AppId::new("payments", "prod"))
            .expect("reported");
        let error = prod_payments.rendered.as_ref().err().expect("error");
        assert!(error.contains("env/prod"), "{error}");
        assert!(matches!(
            revision_of(&first, "web", "prod"),
            Some((_, true))
        ));
        // Nothing moved: nothing is rendered again (an unresolvable ref is reported again,
        // as for a repo that cannot be resolved).
        let again = follower.poll();
        let ids: Vec<&AppId> = again.desired.iter().map(|d| &d.id).collect();
        assert_eq!(ids, [&AppId::new("payments", "prod")]);

        // env/dev moves: only dev payments is rendered again, at the new commit.
        repo.set_head("refs/heads/env/dev").expect("head");
        commit(
            &repo,
            &[("apps/payments/configmap.yaml", &payments("warn"))],
            "refs/heads/env/dev",
        );
        let moved = follower.poll();
        let mut ids: Vec<&AppId> = moved.desired.iter().map(|d| &d.id).collect();
        ids.sort_by_key(|id| id.env.clone());
        assert_eq!(
            ids,
            [
                &AppId::new("payments", "dev"),
                &AppId::new("payments", "prod")
            ]
        );
        let (revision, ok) = revision_of(&moved, "payments", "dev").expect("rendered");
        assert!(ok && revision.starts_with("env/dev@") && revision != dev_payments);
    }

    /// Deterministic, no timing: the slow app's tool waits for a file the fast app's tool
    /// writes. Rendered one after another (slow first) it would hang until the tool timeout
    /// and fail; side by side both succeed.
    #[cfg(unix)]
    #[test]
    fn renders_run_side_by_side_so_a_slow_app_does_not_hold_up_the_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let repo_path = dir.path().join("repo");
        let repo = git2::Repository::init(&repo_path).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n";
        commit(
            &repo,
            &[
                ("apps/slow/kustomization.yaml", kustomization),
                ("apps/slow/configmap.yaml", CONFIGMAP),
                ("apps/fast/kustomization.yaml", kustomization),
                ("apps/fast/configmap.yaml", CONFIGMAP),
            ],
            "refs/heads/main",
        );
        let config_path = dir.path().join("config.toml");
        std::fs::write(
            &config_path,
            format!(
                "[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n[[environment]]\nname = \"dev\"\ncontext = \"dev\"\n\n[[app]]\nname = \"checkout\"\nrepo = \"gitops\"\npath = \"apps/slow\"\nnamespace = \"shop\"\n\n[[app]]\nname = \"web\"\nrepo = \"gitops\"\npath = \"apps/fast\"\nnamespace = \"shop\"\n",
                repo_path.display()
            ),
        )
        .expect("config");
        let config = Config::load_file(&config_path).expect("config").config;
        let environments = config.environments.clone();
        let bin = tempfile::tempdir().expect("bin");
        let marker = dir.path().join("fast-rendered");
        let fake = bin.path().join("kustomize");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\ncase \"$4\" in\n  */slow) while [ ! -f '{marker}' ]; do sleep 0.05; done ;;\n  *) touch '{marker}' ;;\nesac\ncat <<'EOF'\n{CONFIGMAP}EOF\n",
                marker = marker.display()
            ),
        )
        .expect("fake kustomize");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut follower = GitFollower::new(config, environments, None);
        follower.tools.search_path = Some(bin.path().as_os_str().to_os_string());
        let outcome = follower.poll();
        let mut rendered: Vec<(String, Result<usize, String>)> = outcome
            .desired
            .iter()
            .map(|d| {
                (
                    d.id.app.clone(),
                    d.rendered
                        .as_ref()
                        .map(|r| r.objects.len())
                        .map_err(Clone::clone),
                )
            })
            .collect();
        rendered.sort();
        assert_eq!(
            rendered,
            vec![("checkout".to_string(), Ok(1)), ("web".to_string(), Ok(1))]
        );
    }

    #[test]
    fn a_fetched_repo_follows_the_remote_tracking_branch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init(dir.path()).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        let old = commit(&repo, &[("a.yaml", "a: 1\n")], "refs/heads/main");
        let new = commit(&repo, &[("a.yaml", "a: 2\n")], "refs/heads/main");
        // As after a fetch: origin/main moved on, the local branch stayed at the clone.
        repo.reference("refs/remotes/origin/main", new, true, "fetch")
            .expect("remote ref");
        repo.reference("refs/heads/main", old, true, "clone")
            .expect("local ref");
        let git = GitRepo::open(dir.path()).expect("open");
        let followed = resolve_followed(&git, "main", true).expect("resolves");
        assert_eq!(followed.commit, new.to_string());
        assert_eq!(
            followed.label(),
            format!("origin/main@{}", &new.to_string()[..7])
        );
        let local = resolve_followed(&git, "main", false).expect("resolves");
        assert_eq!(local.commit, old.to_string());
        // A tag or commit is not a branch: resolved as written.
        let by_id = resolve_followed(&git, &old.to_string(), true).expect("resolves");
        assert_eq!(by_id.commit, old.to_string());
    }
}
