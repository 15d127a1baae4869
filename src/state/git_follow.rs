//! Following Git: poll local refs cheaply, re-render only the apps whose inputs changed, and
//! fetch remotes on an interval. Blocking (git2 and renderers); the live driver runs it on the
//! blocking pool. Repo errors are reported, never fatal.

use super::{AppId, DesiredApp, DesiredObject, RenderedApp};
use crate::config::{AppSpec, Config, Environment};
use crate::desired::{self, DesiredError, Repos};
use crate::git::GitRepo;
use crate::model::{builtin_cluster_scoped, ResourceKey};
use crate::render::{self, RenderCache, RendererKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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
}

/// Polls the repos of the selected environments.
pub struct GitFollower {
    config: Config,
    environments: Vec<Environment>,
    app_filter: Option<String>,
    repos: Repos,
    last: HashMap<AppId, Rendered>,
    seq: u64,
    cache: RenderCache,
    tools: render::Tools,
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
            cache: RenderCache::default(),
            tools: render::Tools::default(),
        }
    }

    fn repo(&self, name: &str) -> Result<GitRepo, String> {
        self.repos.get(name).cloned().map_err(|e| e.to_string())
    }

    /// Read refs; render what changed. Cheap when nothing moved (ref lookups only).
    pub fn poll(&mut self) -> PollOutcome {
        self.repos.retry_failed(&self.config);
        let mut outcome = PollOutcome::default();
        let mut repo_errors: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut seen: Vec<AppId> = Vec::new();
        for env in self.environments.clone() {
            // Resolve each repo's ref for this environment.
            let mut commits: BTreeMap<String, Result<(String, String), String>> = BTreeMap::new();
            let repo_names: Vec<String> =
                self.config.repos.iter().map(|r| r.name.clone()).collect();
            for name in &repo_names {
                let git_ref = desired::env_ref(&self.config, &env, name);
                let resolved = self.repo(name).and_then(|repo| {
                    repo.resolve(&git_ref)
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
            for spec in apps {
                if self.app_filter.as_ref().is_some_and(|a| *a != spec.name) {
                    continue;
                }
                let id = AppId::new(&spec.name, &env.name);
                seen.push(id.clone());
                let commit = match commits.get(&spec.repo) {
                    Some(Ok(commit)) => commit.clone(),
                    Some(Err(err)) => {
                        // Keep the last render if there was one; otherwise show the error.
                        if !self.last.contains_key(&id) {
                            outcome
                                .desired
                                .push(self.failed(&spec, &env, id, err.clone()));
                        }
                        continue;
                    }
                    None => continue,
                };
                if let Some(desired) = self.render_if_changed(&spec, &env, id, &commit) {
                    outcome.desired.push(desired);
                }
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

    /// Render `spec` at `commit` unless nothing it depends on changed since the last render.
    fn render_if_changed(
        &mut self,
        spec: &AppSpec,
        env: &Environment,
        id: AppId,
        (commit, label): &(String, String),
    ) -> Option<DesiredApp> {
        let repo = self.repo(&spec.repo).ok()?;
        let tree_id = repo.tree_id(commit, &spec.path).ok().flatten();
        if let Some(last) = self.last.get(&id) {
            if last.commit == *commit {
                return None;
            }
            // Plain manifests depend on their directory only: same tree, same objects.
            if last.tree_id.is_some()
                && last.tree_id == tree_id
                && last.renderer == Some(RendererKind::Plain)
            {
                return None;
            }
        }
        let source = match repo.commit_source(commit) {
            Ok(source) => source,
            Err(err) => return Some(self.failed(spec, env, id, err.to_string())),
        };
        let limits = crate::manifest::ManifestLimits {
            max_file_bytes: self.config.settings.max_manifest_bytes,
        };
        let mut request = desired::render_request(spec, &source, &limits);
        request.tools = self.tools.clone();
        let result = self.cache.render(&request);
        let (rendered, cache_key, renderer) = match result {
            Ok(out) => {
                let key = out.cache_key.clone();
                let renderer = out.renderer_used;
                (Ok(out), Some(key), Some(renderer))
            }
            Err(err) => (Err(err.to_string()), None, None),
        };
        let unchanged = self
            .last
            .get(&id)
            .is_some_and(|last| cache_key.is_some() && last.cache_key == cache_key);
        self.last.insert(
            id.clone(),
            Rendered {
                commit: commit.clone(),
                tree_id,
                cache_key,
                renderer,
            },
        );
        if unchanged {
            return None;
        }
        let rendered = rendered.map(|out| desired_objects(out, spec.namespace.as_deref()));
        Some(DesiredApp {
            id,
            context: env.context.clone(),
            namespace: spec.namespace.clone(),
            revision: label.clone(),
            seq: self.next_seq(),
            rendered,
            ignore: spec.ignore.clone(),
        })
    }
}

fn desired_objects(out: render::Rendered, namespace: Option<&str>) -> RenderedApp {
    let mut problems: Vec<String> = out.errors.iter().map(ToString::to_string).collect();
    problems.extend(out.duplicates.iter().map(ToString::to_string));
    let complete = out.is_complete();
    let mut objects = Vec::with_capacity(out.objects.len());
    for manifest in out.objects {
        let origin = format!("{}:{}", manifest.source.file, manifest.source.line);
        match ResourceKey::from_object(&manifest.object, namespace, &builtin_cluster_scoped) {
            Ok(key) => objects.push(DesiredObject {
                key,
                object: Arc::new(manifest.object),
                origin: Some(origin),
            }),
            Err(err) => problems.push(format!("{origin}: {err}")),
        }
    }
    RenderedApp {
        objects,
        complete,
        problems,
    }
}

/// `git fetch` of `origin` (or the first remote), authenticating with the ssh agent or the
/// configured credential helper. Blocking.
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
    let mut callbacks = git2::RemoteCallbacks::new();
    let mut tried_agent = false;
    callbacks.credentials(move |url, username, allowed| {
        if allowed.contains(git2::CredentialType::SSH_KEY) && !tried_agent {
            tried_agent = true;
            return git2::Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) {
            if let Some((user, password)) = credential_fill(url, username) {
                return git2::Cred::userpass_plaintext(&user, &password);
            }
        }
        git2::Cred::default()
    });
    let mut options = git2::FetchOptions::new();
    options.remote_callbacks(callbacks);
    remote
        .fetch(&[] as &[&str], Some(&mut options), None)
        .map_err(|e| format!("fetch {name}: {}", crate::config::redact_url(e.message())))
}

/// Ask git's configured credential helpers (`git credential fill`) for a username and
/// password for `url`. The password is passed straight to libgit2, never logged.
fn credential_fill(url: &str, username: Option<&str>) -> Option<(String, String)> {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .args(["credential", "fill"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut request = format!("url={url}\n");
    if let Some(user) = username {
        request.push_str(&format!("username={user}\n"));
    }
    request.push('\n');
    child.stdin.take()?.write_all(request.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
            .map(str::to_string)
    };
    Some((field("username")?, field("password")?))
}
