//! `kubedrift demo`: three sandbox clusters (dev, stage, prod), a sample GitOps repo in a temp
//! dir, its desired state applied through the sandbox as kubedrift would sync it, then the
//! kind of trouble an on-call engineer meets (see [`trouble`]), and a background loop that
//! keeps changing something every few seconds so the screen lives.
//!
//! Everything lives in one temp dir (repo, kubeconfig, config); dropping the [`Demo`] stops
//! the loop and the clusters and removes the dir. It needs nothing but the binary: objects
//! are written through the sandbox's API semantics, not kubectl; Kustomize overlays are used
//! when `kustomize` or `kubectl` can render them (plain YAML otherwise), the Helm chart app
//! only when `helm` is installed.

pub mod apps;
pub mod repo;
pub mod rollout;
pub mod trouble;

use crate::config::{Config, ConfigError};
use crate::desired::{self, DesiredError, Repos};
use crate::manifest::ManifestLimits;
use crate::render::{RenderCache, Tools};
use crate::sandbox::{Sandbox, SandboxError, SandboxOptions};
use apps::ENVIRONMENTS;
use repo::{DemoRepo, Layout, RepoError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Mark every environment read-only in the written config (on-call mode).
    pub read_only: bool,
    /// How often the background loop changes something (a live edit or a Git commit).
    pub trouble_interval: Duration,
    /// How long after a spec change sandbox workloads become available.
    pub ready_after: Duration,
    /// Where to look for kustomize/kubectl/helm when choosing the repo layout (`None`: the
    /// process's `PATH`). Rendering itself always uses the process's `PATH`.
    pub tool_path: Option<std::ffi::OsString>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            read_only: false,
            trouble_interval: Duration::from_secs(20),
            ready_after: Duration::from_secs(2),
            tool_path: None,
        }
    }
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("could not create the demo directory: {0}")]
    TempDir(#[source] std::io::Error),
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sample repo: {0}")]
    Repo(#[from] RepoError),
    #[error("sandbox: {0}")]
    Sandbox(#[source] Box<SandboxError>),
    #[error("demo config: {0}")]
    Config(#[source] Box<ConfigError>),
    #[error("{env}/{app}: {error}")]
    Desired {
        env: String,
        app: String,
        #[source]
        error: Box<DesiredError>,
    },
    #[error("{env}: could not apply {object}: {error}")]
    Apply {
        env: String,
        object: String,
        #[source]
        error: Box<SandboxError>,
    },
    #[error("{0}")]
    Trouble(String),
}

// Boxed: these errors are large, and the demo's functions return them often.
impl From<SandboxError> for DemoError {
    fn from(error: SandboxError) -> Self {
        DemoError::Sandbox(Box::new(error))
    }
}

impl From<ConfigError> for DemoError {
    fn from(error: ConfigError) -> Self {
        DemoError::Config(Box::new(error))
    }
}

/// A running demo. Dropping it stops the background loop and the clusters and removes the
/// temp dir.
pub struct Demo {
    trouble: Option<trouble::TroubleLoop>,
    sandbox: Arc<Sandbox>,
    config: Config,
    kubeconfig_path: PathBuf,
    config_path: PathBuf,
    repo_path: PathBuf,
    notice: Option<String>,
    layout: Layout,
    // Last: removed after the clusters have stopped.
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("dir", &self.dir.path())
            .field("layout", &self.layout)
            .finish()
    }
}

impl Demo {
    /// Start the clusters, write the repo and config, apply, make trouble, start the loop.
    pub fn start(opts: DemoOptions) -> Result<Demo, DemoError> {
        let dir = tempfile::Builder::new()
            .prefix("kubedrift-demo-")
            .tempdir()
            .map_err(DemoError::TempDir)?;
        let tools = Tools {
            search_path: opts.tool_path.clone(),
            ..Tools::default()
        };
        let kustomize = tools.find("kustomize").is_some() || tools.find("kubectl").is_some();
        let layout = Layout {
            kustomize,
            helm: tools.find("helm").is_some(),
        };
        let notice = (!kustomize)
            .then(|| "kustomize/kubectl not found: apps rendered as plain YAML".to_string());

        let repo_path = dir.path().join("repo");
        let repo = DemoRepo::create(&repo_path, layout)?;

        let sandbox = Arc::new(Sandbox::start(SandboxOptions {
            clusters: ENVIRONMENTS.iter().map(|e| e.to_string()).collect(),
            tls: true,
            ready_after: opts.ready_after,
            ..SandboxOptions::default()
        })?);
        let kubeconfig_path = dir.path().join("kubeconfig.yaml");
        sandbox.write_kubeconfig(&kubeconfig_path)?;

        let config_path = dir.path().join("kubedrift.toml");
        write_file(&config_path, &config_text(opts.read_only, layout.helm))?;
        let config = Config::load_file(&config_path)?.config;

        // One thread per environment: rendering runs kustomize once per app, and the three
        // clusters do not depend on each other.
        let applied: Vec<Result<(), DemoError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = ENVIRONMENTS
                .iter()
                .map(|env| {
                    let mut applier = Applier::new(Arc::clone(&sandbox), config.clone());
                    scope.spawn(move || {
                        applier.create_namespaces(env, layout.helm)?;
                        rollout::install_crd(applier.sandbox().cluster(env)?, env)?;
                        applier.apply_env(env)?;
                        rollout::write_controller_state(applier.sandbox().cluster(env)?, env)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| {
                    worker.join().unwrap_or_else(|_| {
                        Err(DemoError::Trouble("an apply thread panicked".into()))
                    })
                })
                .collect()
        });
        applied.into_iter().collect::<Result<Vec<()>, _>>()?;
        trouble::make_trouble(&sandbox, &repo)?;
        let applier = Applier::new(Arc::clone(&sandbox), config.clone());
        let trouble = trouble::TroubleLoop::start(repo, applier, opts.trouble_interval);

        Ok(Demo {
            trouble: Some(trouble),
            sandbox,
            config,
            kubeconfig_path,
            config_path,
            repo_path,
            notice,
            layout,
            dir,
        })
    }

    /// The kubeconfig of the three clusters (contexts `dev`, `stage`, `prod` and
    /// `<env>-viewer`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// The kubedrift config for the sample repo and the clusters.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The loaded config (the file at [`Demo::config_path`]).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the live layer (and the TUI) needs to watch the demo: its config, and a
    /// kubeconfig read from [`Demo::kubeconfig_path`] only (not merged with `$KUBECONFIG`);
    /// every environment and app.
    pub fn live_options(
        &self,
    ) -> Result<crate::live::LiveOptions, crate::cluster::kubeconfig::KubeconfigError> {
        Ok(crate::live::LiveOptions {
            config: self.config.clone(),
            kubeconfig: crate::cluster::kubeconfig::load_kubeconfig(std::slice::from_ref(
                &self.kubeconfig_path,
            ))?,
            contexts: Vec::new(),
            env: None,
            app: None,
            revision: None,
        })
    }

    /// The sample GitOps repository (a work tree on branch `main`).
    pub fn repo_path(&self) -> &Path {
        &self.repo_path
    }

    /// The temp dir holding everything; gone once the demo is dropped.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The sandbox clusters.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Whether every environment is read-only (`--read-only`).
    pub fn read_only(&self) -> bool {
        self.config.environments.iter().all(|e| e.read_only)
    }

    /// Whether the repo has the Helm chart app.
    pub fn has_helm_app(&self) -> bool {
        self.layout.helm
    }

    /// Something the user should know about how the demo runs (shown in the footer).
    pub fn notice(&self) -> Option<String> {
        self.notice.clone()
    }

    /// Changes the background loop has made so far.
    pub fn trouble_steps(&self) -> u64 {
        self.trouble.as_ref().map_or(0, trouble::TroubleLoop::steps)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // The loop holds a handle on the clusters: stop it first, so they stop with us.
        if let Some(trouble) = self.trouble.take() {
            trouble.stop();
        }
    }
}

fn write_file(path: &Path, content: &str) -> Result<(), DemoError> {
    std::fs::write(path, content).map_err(|source| DemoError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The kubedrift config of the demo: one repo, dev → stage → prod, apps discovered from
/// `envs/{env}/{app}`, the branch-per-environment app and the Helm app listed.
pub fn config_text(read_only: bool, helm: bool) -> String {
    let mut text = String::from(
        "# Written by `kubedrift demo`: the sample repo and the three sandbox clusters.\n\
         [settings]\ngit_poll_seconds = 1\nfetch_interval_seconds = 0\n\n\
         [[repo]]\nname = \"acme-shop\"\npath = \"repo\"\ndefault_branch = \"main\"\n",
    );
    for (i, env) in ENVIRONMENTS.iter().enumerate() {
        text.push_str(&format!(
            "\n[[environment]]\nname = \"{env}\"\ncontext = \"{env}\"\norder = {}\nread_only = {read_only}\n",
            i + 1
        ));
    }
    text.push_str(
        "\n[[discover]]\nrepo = \"acme-shop\"\npattern = \"envs/{env}/{app}\"\nrenderer = \"auto\"\n",
    );
    text.push_str(&format!(
        "\n# Kept on a branch per environment: env/dev, env/stage, env/prod.\n\
         [[app]]\nname = \"{}\"\nrepo = \"acme-shop\"\npath = \"{}\"\nref = \"env/{{env}}\"\n",
        apps::BRANCH_APP.name,
        apps::BRANCH_APP_PATH,
    ));
    if helm {
        text.push_str(
            "\n[[app]]\nname = \"metrics-exporter\"\nrepo = \"acme-shop\"\n\
             path = \"charts/metrics-exporter\"\nrenderer = \"helm\"\nnamespace = \"monitoring\"\n\n\
             [app.helm]\nvalues = [\"values.yaml\", \"values-{env}.yaml\"]\n",
        );
    }
    text
}

/// Renders apps through the normal pipeline (`desired`) and applies them through the
/// sandbox, as kubedrift's sync does: server-side apply, field manager `kubedrift`, forcing
/// conflicts.
pub struct Applier {
    sandbox: Arc<Sandbox>,
    config: Config,
    repos: Repos,
    cache: RenderCache,
    limits: ManifestLimits,
}

impl Applier {
    fn new(sandbox: Arc<Sandbox>, config: Config) -> Applier {
        let repos = Repos::open(&config);
        let limits = ManifestLimits {
            max_file_bytes: config.settings.max_manifest_bytes,
        };
        Applier {
            sandbox,
            config,
            repos,
            cache: RenderCache::default(),
            limits,
        }
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn create_namespaces(&self, env: &str, helm: bool) -> Result<(), DemoError> {
        let cluster = self.sandbox.cluster(env)?;
        let mut names = apps::namespaces();
        if helm {
            names.push("monitoring");
        }
        for name in names {
            let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": name}});
            cluster
                .create(ns, "kubectl-create")
                .map_err(|error| DemoError::Apply {
                    env: env.to_string(),
                    object: format!("namespace {name}"),
                    error: Box::new(error),
                })?;
        }
        Ok(())
    }

    /// Every app of `env` at the environment's Git revision.
    fn apply_env(&mut self, env: &str) -> Result<(), DemoError> {
        let (apps, errors) =
            desired::apps_for(&self.config, &self.repos, env).map_err(|error| {
                DemoError::Desired {
                    env: env.to_string(),
                    app: "*".to_string(),
                    error: Box::new(error),
                }
            })?;
        if let Some(error) = errors.into_iter().next() {
            return Err(DemoError::Desired {
                env: env.to_string(),
                app: "*".to_string(),
                error: Box::new(error),
            });
        }
        for app in apps {
            self.apply_app(env, &app.name)?;
        }
        Ok(())
    }

    /// App `app` of `env` as Git has it now. Returns the number of objects applied.
    pub fn apply_app(&mut self, env: &str, app: &str) -> Result<usize, DemoError> {
        let desired_error = |error| DemoError::Desired {
            env: env.to_string(),
            app: app.to_string(),
            error: Box::new(error),
        };
        let spec = desired::find_app(&self.config, &self.repos, env, app).map_err(desired_error)?;
        let rendered = desired::render_app(&spec, &self.repos, None, &self.limits, &mut self.cache)
            .map_err(desired_error)?;
        let cluster = self.sandbox.cluster(env)?;
        for object in &rendered.rendered.objects {
            cluster
                .apply(&object.object, crate::model::FIELD_MANAGER, true)
                .map_err(|error| DemoError::Apply {
                    env: env.to_string(),
                    object: describe(&object.object),
                    error: Box::new(error),
                })?;
        }
        Ok(rendered.rendered.objects.len())
    }
}

/// `Deployment shop/web` for messages.
fn describe(obj: &serde_json::Value) -> String {
    let text = |p: &str| {
        obj.pointer(p)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    };
    let ns = text("/metadata/namespace");
    let name = text("/metadata/name");
    if ns.is_empty() {
        format!("{} {name}", text("/kind"))
    } else {
        format!("{} {ns}/{name}", text("/kind"))
    }
}

#[cfg(test)]
mod tests;
