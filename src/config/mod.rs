//! Configuration: repos, environments, apps (listed or discovered), loaded from TOML.
//!
//! Loading is strict on purpose: an unknown key is an error with a "did you mean", every
//! reference (app → repo, path table → environment) is checked, and errors carry
//! file:line:column, because a silently ignored typo (`contxt = "prod"`) during an incident
//! means looking at the wrong cluster.
//!
//! Two layers: `raw` mirrors the file (with spans), and the public types here are validated,
//! plain data. Apps found by `[[discover]]` depend on the directories in the repo at the
//! environment's ref, so [`Config::apps_for`] takes that listing as a parameter and stays pure.

mod discover;
mod error;
mod raw;
mod validate;

pub use discover::{discover_apps, DiscoveredApp, PathPattern, PatternError, Placeholder};
pub use error::{line_column, suggest, ConfigError, Location};

use crate::engine::ignore::IgnoreRule;
use crate::git::normalize_path;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV_VAR: &str = "KUBEDRIFT_CONFIG";

/// Default for `settings.max_manifest_bytes`: 10 MiB.
pub const DEFAULT_MAX_MANIFEST_BYTES: u64 = 10 * 1024 * 1024;
/// Default for `settings.git_poll_seconds`.
pub const DEFAULT_GIT_POLL_SECONDS: u64 = 5;
/// Default for `settings.fetch_interval_seconds`.
pub const DEFAULT_FETCH_INTERVAL_SECONDS: u64 = 60;
/// Default for `repo.default_branch`.
pub const DEFAULT_BRANCH: &str = "main";

/// How an app's directory is turned into manifests (the renderer's own type, so config
/// values and renderer choices can never disagree).
pub use crate::render::RendererKind;

/// `[settings]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Files and rendered output larger than this are refused, not loaded.
    pub max_manifest_bytes: u64,
    /// How often local refs are re-read to notice new commits.
    pub git_poll_seconds: u64,
    /// How often remotes are fetched; 0 disables fetching.
    pub fetch_interval_seconds: u64,
    /// Theme name (from `themes/`) or path to a theme file.
    pub theme: String,
    /// Never write anything (no sync, no promotion commits), whatever the environment says.
    pub read_only: bool,
    /// Field managers whose server-side apply counts as Git's in three-way compare, besides
    /// kubedrift's own and those of the GitOps tool tracking an object (`argocd-controller`,
    /// `kustomize-controller`): a field such a manager applied and Git dropped is drift.
    pub field_managers: Vec<String>,
    /// Where repos named by Argo CD / Flux objects are cloned (None: `$KUBEDRIFT_CACHE_DIR`,
    /// else the XDG cache dir).
    pub cache_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_manifest_bytes: DEFAULT_MAX_MANIFEST_BYTES,
            git_poll_seconds: DEFAULT_GIT_POLL_SECONDS,
            fetch_interval_seconds: DEFAULT_FETCH_INTERVAL_SECONDS,
            theme: "default".to_string(),
            read_only: false,
            field_managers: Vec::new(),
            cache_dir: None,
        }
    }
}

/// `[[repo]]`: a local git repository holding desired state.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct RepoConfig {
    pub name: String,
    /// Local path; relative paths in the file are resolved against the config file's
    /// directory, `~/` against the home directory.
    pub path: PathBuf,
    /// Remote to fetch from, if any. May embed credentials (`https://user:token@host/..`),
    /// so Debug and Serialize show it through [`redact_url`].
    #[serde(serialize_with = "serialize_redacted_url")]
    pub url: Option<String>,
    pub default_branch: String,
}

impl std::fmt::Debug for RepoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoConfig")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("url", &self.url.as_deref().map(redact_url))
            .field("default_branch", &self.default_branch)
            .finish()
    }
}

/// `https://user:token@host/repo.git` → `https://***@host/repo.git`: credentials in a remote
/// URL must never reach logs, JSON output or panics. URLs without userinfo (including
/// scp-style `git@host:repo`, whose user is not a secret) are returned unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end + 3], &rest[at..]),
        None => url.to_string(),
    }
}

fn serialize_redacted_url<S: serde::Serializer>(
    url: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match url {
        Some(u) => serializer.serialize_some(&redact_url(u)),
        None => serializer.serialize_none(),
    }
}

/// `[[environment]]`: one cluster context (and git ref) in the promotion order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    pub name: String,
    /// kubeconfig context.
    pub context: String,
    /// Namespace for objects that do not name one.
    pub namespace: Option<String>,
    /// Git ref to compare against; `None` means each repo's default branch.
    pub git_ref: Option<String>,
    /// Never write to this cluster (sync disabled).
    pub read_only: bool,
    /// Writes need the environment's name typed to confirm.
    pub protected: bool,
    /// Explicit promotion position, if given.
    pub order: Option<i64>,
}

/// Where a listed app lives per environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppPath {
    /// One path for all environments; `{env}` and `{app}` are substituted.
    Template(String),
    /// An explicit, normalized path per environment; the app exists only in these.
    PerEnvironment(BTreeMap<String, String>),
}

/// The `helm` table of an app (what the renderer gets is [`crate::render::HelmOptions`]).
#[derive(Clone, PartialEq, Eq, Default, Serialize)]
pub struct HelmConfig {
    /// Release name (default: the app name).
    pub release_name: Option<String>,
    /// Values files relative to the app directory, in order; `{env}` is substituted.
    pub values: Vec<String>,
    /// `--set`-style overrides: dotted key → value. Values may be secrets: Debug and
    /// Serialize show the keys only.
    #[serde(serialize_with = "serialize_hidden_values")]
    pub set: BTreeMap<String, serde_json::Value>,
}

impl std::fmt::Debug for HelmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelmConfig")
            .field("release_name", &self.release_name)
            .field("values", &self.values)
            .field("set", &crate::render::hidden_values(self.set.keys()))
            .finish()
    }
}

fn serialize_hidden_values<S: serde::Serializer>(
    set: &BTreeMap<String, serde_json::Value>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(crate::render::hidden_values(set.keys()))
}

/// `[[app]]`: an explicitly listed app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppConfig {
    pub name: String,
    /// Repo name (filled in when there is only one repo).
    pub repo: String,
    pub path: AppPath,
    /// Restricts a template path to these environments (None = all).
    pub environments: Option<Vec<String>>,
    pub renderer: RendererKind,
    pub namespace: Option<String>,
    /// Git ref of this app (a branch per environment: `{env}` and `{app}` are substituted),
    /// overriding the environment's. None = the environment's ref.
    pub git_ref: Option<String>,
    pub helm: HelmConfig,
    /// A chart from a chart repository (rendered with helm instead of a directory's files).
    pub chart: Option<ChartConfig>,
    pub ignore: Vec<IgnoreRule>,
    /// How `kubedrift promote` moves the app (None: branch per environment).
    pub promotion: Option<Promotion>,
}

/// Which promotion model an app uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionModel {
    /// Each environment reads its own branch: fast-forward (or merge) the target's branch.
    Branch,
    /// Each environment has its own folder: copy chosen files from source to target folder.
    Folder,
    /// Set the target's image tag (kustomize `images:` or a Helm values key) to the source's.
    Image,
    /// Copy values at YAML paths from files of the source environment to files of the target
    /// (a chart version in an Argo CD Application, `image.tag` in a values file, ...).
    Value,
}

/// `[app.promotion]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promotion {
    pub model: PromotionModel,
    /// Folder model: files or globs (`*`, `?`) relative to the app directory.
    pub files: Vec<String>,
    /// Image model (kustomize): the `images:` entry `name` whose `newTag` is set.
    pub image: Option<String>,
    /// Image model (Helm): values file relative to the app directory...
    pub values_file: Option<String>,
    /// ...and the dotted key of the tag in it (`image.tag`).
    pub values_key: Option<String>,
    /// Value model: the values to copy, in order.
    pub copy: Vec<ValueCopy>,
}

/// One value the value model copies. Files are repo-relative; `{env}` (and `{app}`) are
/// replaced by the source environment in `file` and `path` and by the target in
/// `target_file` and `target_path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueCopy {
    pub file: String,
    /// YAML path: `image.tag`, `spec.source.targetRevision`, `images[name=web].newTag`,
    /// `containers[0].image`.
    pub path: String,
    /// Where the target keeps the value, when not at the same file and path.
    pub target_file: String,
    pub target_path: String,
}

impl ValueCopy {
    /// The source environment's file.
    pub fn source_file(&self, app: &str, env: &str) -> String {
        substitute(&self.file, app, env)
    }
    /// The target environment's file.
    pub fn target_file(&self, app: &str, env: &str) -> String {
        substitute(&self.target_file, app, env)
    }
    /// The YAML path in the source environment's file (`[metadata.name=web-{env}]...`).
    pub fn source_path(&self, app: &str, env: &str) -> String {
        substitute(&self.path, app, env)
    }
    /// The YAML path in the target environment's file.
    pub fn target_path(&self, app: &str, env: &str) -> String {
        substitute(&self.target_path, app, env)
    }
}

/// `chart = { ... }` of an app: a chart from a Helm chart repository.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ChartConfig {
    /// Repository URL; `{env}` is substituted (a dev and a prod chart repository). May embed
    /// credentials: Debug and Serialize redact them.
    #[serde(serialize_with = "serialize_redacted_str")]
    pub repo: String,
    pub name: String,
    pub version: ChartVersion,
}

impl std::fmt::Debug for ChartConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartConfig")
            .field("repo", &redact_url(&self.repo))
            .field("name", &self.name)
            .field("version", &self.version)
            .finish()
    }
}

fn serialize_redacted_str<S: serde::Serializer>(
    url: &str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_url(url))
}

/// The chart version: one for every environment, or one per environment (an environment
/// missing from the table does not run the app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartVersion {
    All(String),
    PerEnvironment(BTreeMap<String, String>),
}

impl ChartConfig {
    /// The chart environment `env` renders, or None when the app has no version there.
    pub fn for_env(&self, app: &str, env: &str) -> Option<crate::render::ChartRef> {
        let version = match &self.version {
            ChartVersion::All(version) => version.clone(),
            ChartVersion::PerEnvironment(versions) => versions.get(env)?.clone(),
        };
        Some(crate::render::ChartRef {
            repo: substitute(&self.repo, app, env),
            name: self.name.clone(),
            version,
        })
    }
}

/// `[[discover]]`: apps found from a directory layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoverRule {
    pub repo: String,
    #[serde(serialize_with = "serialize_display")]
    pub pattern: PathPattern,
    pub renderer: RendererKind,
    /// Namespace for apps whose pattern has no `{namespace}`.
    pub namespace: Option<String>,
    pub ignore: Vec<IgnoreRule>,
}

fn serialize_display<S: serde::Serializer, T: std::fmt::Display>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub settings: Settings,
    pub repos: Vec<RepoConfig>,
    /// In promotion order: by `order` where given (ties keep file order), then the rest in
    /// file order.
    pub environments: Vec<Environment>,
    pub apps: Vec<AppConfig>,
    pub discover: Vec<DiscoverRule>,
    /// `[[source]]`: Argo CD / Flux objects to read apps from.
    pub sources: Vec<crate::controllers::SourceConfig>,
}

/// A loaded configuration and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: Config,
    pub path: PathBuf,
}

/// Whether an app was listed or discovered (and by which pattern).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppOrigin {
    Listed,
    Discovered {
        pattern: String,
    },
    /// Read from an Argo CD / Flux object (`Application argocd/web`).
    Controller {
        object: String,
    },
}

/// One app in one environment, fully resolved: what consumers (render, compare, views) use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppSpec {
    pub name: String,
    pub env: String,
    /// Repo name.
    pub repo: String,
    /// The git ref to read: the environment's `ref`, else the repo's default branch.
    pub git_ref: String,
    /// The app directory, repo-relative and normalized.
    pub path: String,
    pub renderer: RendererKind,
    /// App namespace, else discovered `{namespace}`, else the discover rule's, else the
    /// environment's default.
    pub namespace: Option<String>,
    pub ignore: Vec<IgnoreRule>,
    pub helm: HelmConfig,
    /// The chart this environment renders from a chart repository, if the app names one.
    pub chart: Option<crate::render::ChartRef>,
    pub origin: AppOrigin,
    /// What a controller object's renderer options add (empty for configured apps).
    #[serde(skip)]
    pub extras: crate::controllers::RenderExtras,
}

/// Where to list directories for one `[[discover]]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryScan {
    pub repo: String,
    /// Directory to start from (repo-relative; empty for the root).
    pub prefix: String,
    /// Levels below `prefix` to list.
    pub depth: usize,
}

impl Config {
    /// The configuration of `kubedrift --from argocd|flux` without a config file: defaults,
    /// no repos, environments or apps of its own; every app comes from the source.
    pub fn from_source(source: crate::controllers::SourceConfig) -> Config {
        Config {
            settings: Settings::default(),
            repos: Vec::new(),
            environments: Vec::new(),
            apps: Vec::new(),
            discover: Vec::new(),
            sources: vec![source],
        }
    }

    /// Finds and loads the configuration: `explicit` (`--config`), else `$KUBEDRIFT_CONFIG`,
    /// else `<XDG config dir>/kubedrift/config.toml`.
    pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
        let from_env = std::env::var_os(CONFIG_ENV_VAR);
        let path = Config::locate(explicit, from_env, Config::default_path())?;
        Config::load_file(&path)
    }

    /// `<XDG config dir>/kubedrift/config.toml` (`None` without a home directory); where
    /// `kubedrift init` writes by default too.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "kubedrift")
            .map(|dirs| dirs.config_dir().join("config.toml"))
    }

    /// Which file to load, given the three sources (pure: the caller reads the environment).
    /// An explicitly named file must exist; the default location is used only if it exists.
    pub fn locate(
        explicit: Option<&Path>,
        from_env: Option<OsString>,
        default: Option<PathBuf>,
    ) -> Result<PathBuf, ConfigError> {
        if let Some(path) = explicit {
            return Ok(path.to_path_buf());
        }
        if let Some(value) = from_env.filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(value));
        }
        match default {
            Some(path) if path.is_file() => Ok(path),
            Some(path) => Err(ConfigError::NotFound {
                searched: vec![path],
            }),
            None => Err(ConfigError::NotFound { searched: vec![] }),
        }
    }

    /// Reads and parses `path`.
    pub fn load_file(path: &Path) -> Result<Loaded, ConfigError> {
        let bytes = std::fs::read(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            message: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })?;
        let config = Config::from_str(&text, path)?;
        Ok(Loaded {
            config,
            path: path.to_path_buf(),
        })
    }

    /// Parses and validates `text`. `path_for_messages` names the file in errors, and its
    /// directory is the base for relative repo paths.
    pub fn from_str(text: &str, path_for_messages: &Path) -> Result<Config, ConfigError> {
        let raw: raw::RawConfig =
            toml::from_str(text).map_err(|e| validate::toml_error(&e, text, path_for_messages))?;
        validate::validate(raw, text, path_for_messages)
    }

    /// Every table kind of the file with its accepted keys (read from the serde model), for
    /// documentation checks and help output.
    pub fn key_reference() -> Vec<(&'static str, &'static [&'static str])> {
        raw::sections()
    }

    /// The environment called `name`.
    pub fn environment(&self, name: &str) -> Result<&Environment, ConfigError> {
        self.environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                let known: Vec<String> = self.environments.iter().map(|e| e.name.clone()).collect();
                ConfigError::UnknownEnvironment {
                    name: name.to_string(),
                    suggestion: suggest(name, known.iter().map(String::as_str)),
                    known,
                }
            })
    }

    /// The repo called `name` (references are validated at load, so this is `Some` for every
    /// name the config itself uses).
    pub fn repo(&self, name: &str) -> Option<&RepoConfig> {
        self.repos.iter().find(|r| r.name == name)
    }

    /// The directories to list (per repo, at the environment's ref) before calling
    /// [`Config::apps_for`].
    pub fn discovery_scans(&self) -> Vec<DiscoveryScan> {
        self.discover
            .iter()
            .map(|rule| {
                let (prefix, depth) = rule.pattern.scan_root();
                DiscoveryScan {
                    repo: rule.repo.clone(),
                    prefix,
                    depth,
                }
            })
            .collect()
    }

    /// Every app in environment `env`, sorted by name: listed apps, plus apps discovered in
    /// `repo_dirs` (repo name → repo-relative directories at this environment's ref; a repo
    /// missing from the map has no directories). A listed app overrides a discovered one of
    /// the same name; two discovered apps of the same name are a conflict error rather than
    /// a silent pick.
    pub fn apps_for(
        &self,
        env: &str,
        repo_dirs: &BTreeMap<String, Vec<String>>,
    ) -> Result<Vec<AppSpec>, ConfigError> {
        let environment = self.environment(env)?;
        let env_names: Vec<String> = self.environments.iter().map(|e| e.name.clone()).collect();
        let mut apps: BTreeMap<String, AppSpec> = BTreeMap::new();

        for rule in &self.discover {
            let dirs = repo_dirs.get(&rule.repo).map(Vec::as_slice).unwrap_or(&[]);
            for found in discover_apps(&rule.pattern, dirs, &env_names) {
                if found.env.as_deref().is_some_and(|e| e != env) {
                    continue;
                }
                let spec = AppSpec {
                    name: found.name.clone(),
                    env: env.to_string(),
                    repo: rule.repo.clone(),
                    git_ref: self.git_ref(environment, &rule.repo),
                    path: found.path.clone(),
                    renderer: rule.renderer,
                    namespace: found.namespace.clone().or_else(|| {
                        rule.namespace
                            .as_ref()
                            .or(environment.namespace.as_ref())
                            .map(|ns| substitute(ns, &found.name, env))
                    }),
                    ignore: rule.ignore.clone(),
                    helm: HelmConfig::default(),
                    chart: None,
                    origin: AppOrigin::Discovered {
                        pattern: rule.pattern.to_string(),
                    },
                    extras: Default::default(),
                };
                if let Some(previous) = apps.get(&spec.name) {
                    return Err(ConfigError::DiscoveryConflict {
                        app: spec.name.clone(),
                        env: env.to_string(),
                        first: previous.path.clone(),
                        second: spec.path,
                    });
                }
                apps.insert(spec.name.clone(), spec);
            }
        }

        for app in &self.apps {
            let Some(path) = app_path(app, env) else {
                continue;
            };
            let chart = match &app.chart {
                Some(chart) => match chart.for_env(&app.name, env) {
                    Some(chart) => Some(chart),
                    None => continue,
                },
                None => None,
            };
            let helm = HelmConfig {
                release_name: app.helm.release_name.clone(),
                values: app
                    .helm
                    .values
                    .iter()
                    .map(|v| substitute(v, &app.name, env))
                    .collect(),
                set: app.helm.set.clone(),
            };
            apps.insert(
                app.name.clone(),
                AppSpec {
                    name: app.name.clone(),
                    env: env.to_string(),
                    repo: app.repo.clone(),
                    git_ref: match &app.git_ref {
                        Some(template) => substitute(template, &app.name, env),
                        None => self.git_ref(environment, &app.repo),
                    },
                    path,
                    renderer: app.renderer,
                    namespace: app
                        .namespace
                        .as_ref()
                        .or(environment.namespace.as_ref())
                        .map(|ns| substitute(ns, &app.name, env)),
                    ignore: app.ignore.clone(),
                    helm,
                    chart,
                    origin: AppOrigin::Listed,
                    extras: Default::default(),
                },
            );
        }
        Ok(apps.into_values().collect())
    }

    fn git_ref(&self, environment: &Environment, repo: &str) -> String {
        environment.git_ref.clone().unwrap_or_else(|| {
            self.repo(repo)
                .map(|r| r.default_branch.clone())
                .unwrap_or_else(|| DEFAULT_BRANCH.to_string())
        })
    }
}

/// `{app}` and `{env}` substituted.
fn substitute(template: &str, app: &str, env: &str) -> String {
    template.replace("{app}", app).replace("{env}", env)
}

/// The directory of a listed app in `env`, or `None` if the app is not deployed there.
fn app_path(app: &AppConfig, env: &str) -> Option<String> {
    match &app.path {
        AppPath::PerEnvironment(paths) => paths.get(env).cloned(),
        AppPath::Template(template) => {
            if let Some(only) = &app.environments {
                if !only.iter().any(|e| e == env) {
                    return None;
                }
            }
            // Validated at load: the template normalizes for any env name.
            normalize_path(&substitute(template, &app.name, env)).ok()
        }
    }
}
