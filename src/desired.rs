//! Desired state of the configured apps: config → git (at the environment's ref) → renderer.
//!
//! The glue between three sources that the headless commands and the live layer share, so
//! "which apps exist in env E, and what does Git say each should contain" has one answer.
//! Every failure is scoped: a repo that cannot be opened, a ref that does not resolve or an
//! app that does not render is reported for the apps it concerns; the others carry on.

use crate::config::{AppSpec, Config, ConfigError, Environment};
use crate::controllers::generated::{self, GeneratedSource};
use crate::controllers::GENERATED_DIR;
use crate::git::{CommitSource, GitError, GitRepo, ResolvedRev};
use crate::manifest::ManifestLimits;
use crate::render::{HelmOptions, RenderCache, RenderError, RenderRequest, Rendered, RendererKind};
use crate::source::TreeSource;
use std::collections::BTreeMap;

/// Why the desired state of an app (or of the apps of a repo) is not known.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DesiredError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("repo {repo}: {error}")]
    Git { repo: String, error: GitError },
    #[error("{error}")]
    Render { error: RenderError },
    #[error("no repo named {repo:?} is configured")]
    UnknownRepo { repo: String },
    #[error("no app {app:?} in environment {env:?}{}", known_hint(.known))]
    UnknownApp {
        app: String,
        env: String,
        known: Vec<String>,
    },
}

fn known_hint(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (known: {})", known.join(", "))
    }
}

/// The configured repos, opened once.
pub struct Repos {
    repos: BTreeMap<String, Result<GitRepo, GitError>>,
}

impl Repos {
    /// Open every configured repo; one that cannot be opened is remembered as an error and
    /// reported for its apps only.
    pub fn open(config: &Config) -> Repos {
        let repos = config
            .repos
            .iter()
            .map(|repo| (repo.name.clone(), GitRepo::open(&repo.path)))
            .collect();
        Repos { repos }
    }

    /// Try again to open the repos that could not be opened (a clone may appear later).
    pub fn retry_failed(&mut self, config: &Config) {
        for repo in &config.repos {
            if let Some(entry @ Err(_)) = self.repos.get_mut(&repo.name) {
                *entry = GitRepo::open(&repo.path);
            }
        }
    }

    /// The repo called `name`.
    pub fn get(&self, name: &str) -> Result<&GitRepo, DesiredError> {
        match self.repos.get(name) {
            Some(Ok(repo)) => Ok(repo),
            Some(Err(error)) => Err(DesiredError::Git {
                repo: name.to_string(),
                error: error.clone(),
            }),
            None => Err(DesiredError::UnknownRepo {
                repo: name.to_string(),
            }),
        }
    }
}

/// The git ref environment `env` reads repo `repo` at: the environment's `ref`, else the
/// repo's default branch.
pub fn env_ref(config: &Config, env: &Environment, repo: &str) -> String {
    env.git_ref
        .clone()
        .or_else(|| config.repo(repo).map(|r| r.default_branch.clone()))
        .unwrap_or_else(|| crate::config::DEFAULT_BRANCH.to_string())
}

/// The directories `[[discover]]` rules need, per repo, at the commits `commit_of` gives
/// (repo name → full commit id; `None` skips the repo: its error is reported elsewhere). A
/// repo that cannot be listed is returned in the error list and contributes no directories.
pub fn discovery_dirs(
    config: &Config,
    repos: &Repos,
    commit_of: impl Fn(&str) -> Option<String>,
) -> (BTreeMap<String, Vec<String>>, Vec<DesiredError>) {
    let mut listing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut errors = Vec::new();
    for scan in config.discovery_scans() {
        let Some(commit) = commit_of(&scan.repo) else {
            continue;
        };
        let listed = repos.get(&scan.repo).and_then(|repo| {
            repo.list_dirs(&commit, &scan.prefix, scan.depth)
                .map_err(|error| DesiredError::Git {
                    repo: scan.repo.clone(),
                    error,
                })
        });
        match listed {
            Ok(dirs) => listing.entry(scan.repo.clone()).or_default().extend(dirs),
            Err(err) => errors.push(err),
        }
    }
    (listing, errors)
}

/// Every app of environment `env` (listed and discovered), with discovery reading each repo
/// at the environment's ref. Repos that cannot be resolved or listed are returned in the
/// error list and contribute no discovered apps.
pub fn apps_for(
    config: &Config,
    repos: &Repos,
    env: &str,
) -> Result<(Vec<AppSpec>, Vec<DesiredError>), DesiredError> {
    let environment = config.environment(env)?;
    let mut errors = Vec::new();
    let mut commits: BTreeMap<String, String> = BTreeMap::new();
    for scan in config.discovery_scans() {
        if commits.contains_key(&scan.repo) {
            continue;
        }
        let rev = env_ref(config, environment, &scan.repo);
        match repos.get(&scan.repo).and_then(|repo| {
            repo.resolve(&rev).map_err(|error| DesiredError::Git {
                repo: scan.repo.clone(),
                error,
            })
        }) {
            Ok(resolved) => {
                commits.insert(scan.repo.clone(), resolved.commit);
            }
            Err(err) => errors.push(err),
        }
    }
    let (listing, list_errors) = discovery_dirs(config, repos, |repo| commits.get(repo).cloned());
    errors.extend(list_errors);
    let apps = config.apps_for(env, &listing)?;
    Ok((apps, errors))
}

/// The app called `name` in environment `env`.
pub fn find_app(
    config: &Config,
    repos: &Repos,
    env: &str,
    name: &str,
) -> Result<AppSpec, DesiredError> {
    let (apps, errors) = apps_for(config, repos, env)?;
    let known: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
    match apps.into_iter().find(|a| a.name == name) {
        Some(app) => Ok(app),
        // Discovery could not run: that is the more useful message.
        None => Err(errors
            .into_iter()
            .next()
            .unwrap_or(DesiredError::UnknownApp {
                app: name.to_string(),
                env: env.to_string(),
                known,
            })),
    }
}

/// One app rendered at one commit.
#[derive(Debug, Clone)]
pub struct RenderedApp {
    pub revision: ResolvedRev,
    pub rendered: Rendered,
}

/// Render `app` at its ref (or `rev_override`), through `cache` so an unchanged app
/// directory is not rendered twice.
pub fn render_app(
    app: &AppSpec,
    repos: &Repos,
    rev_override: Option<&str>,
    limits: &ManifestLimits,
    cache: &mut RenderCache,
) -> Result<RenderedApp, DesiredError> {
    let repo = repos.get(&app.repo)?;
    let git = |error| DesiredError::Git {
        repo: app.repo.clone(),
        error,
    };
    let revision = repo
        .resolve(rev_override.unwrap_or(&app.git_ref))
        .map_err(git)?;
    let source = CommitSource::new(repo.clone(), &revision)
        .with_max_file_bytes(usize::try_from(limits.max_file_bytes).unwrap_or(usize::MAX));
    let source = app_source(app, &source);
    let request = render_request(app, &source, limits);
    let mut rendered = cache
        .render(&request)
        .map_err(|error| DesiredError::Render { error })?;
    finish_render(app, &mut rendered);
    Ok(RenderedApp { revision, rendered })
}

/// The source `app` renders from: `source` plus the files its controller object's options
/// generate (nothing more for a configured app). Pass it to [`render_request`].
pub fn app_source<'a>(app: &'a AppSpec, source: &'a dyn TreeSource) -> GeneratedSource<'a> {
    GeneratedSource::new(source, &app.path, &app.extras)
}

/// What to ask the renderer for `app`, reading from `source` (see [`app_source`]).
pub fn render_request<'a>(
    app: &'a AppSpec,
    source: &'a dyn TreeSource,
    limits: &ManifestLimits,
) -> RenderRequest<'a> {
    let mut request = RenderRequest::new(source, &app.path);
    request.renderer = app.renderer;
    // A controller's kustomize options: build the generated kustomization over the app.
    if app.extras.kustomization.is_some() {
        request.path = GENERATED_DIR;
        request.renderer = RendererKind::Kustomize;
    }
    request.namespace = app.namespace.as_deref();
    request.helm = helm_options(app);
    if app.extras.helm_values.is_some() {
        request.helm.values_files.push(generated::values_path());
    }
    request.limits = *limits;
    request
}

/// What happens to rendered objects after the renderer: Flux's variable substitution. An
/// object that cannot be substituted is left out and said so (never its values).
pub fn finish_render(app: &AppSpec, rendered: &mut Rendered) {
    if app.extras.substitute.is_empty() {
        return;
    }
    let vars = &app.extras.substitute;
    let mut kept = Vec::with_capacity(rendered.objects.len());
    for mut object in std::mem::take(&mut rendered.objects) {
        match generated::substitute(&mut object.object, vars) {
            Ok(()) => kept.push(object),
            Err(why) => rendered.warnings.push(format!(
                "{}:{}: postBuild.substitute: {why}",
                object.source.file, object.source.line
            )),
        }
    }
    rendered.objects = kept;
}

/// The config's Helm options as the renderer takes them: values files become repo paths.
fn helm_options(app: &AppSpec) -> HelmOptions {
    HelmOptions {
        chart: app.chart.clone(),
        release_name: app
            .helm
            .release_name
            .clone()
            .unwrap_or_else(|| app.name.clone()),
        values_files: app
            .helm
            .values
            .iter()
            .map(|file| {
                // Paths escaping the repo are rejected at config load; should one get here,
                // pass it as written so the renderer reports it as missing.
                crate::git::join_path(&app.path, file).unwrap_or_else(|_| file.clone())
            })
            .collect(),
        set: app
            .helm
            .set
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    }
}
