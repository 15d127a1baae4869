//! Renderers: plain YAML, Kustomize, Helm → desired manifests of one app in one environment.
//!
//! Input is a [`TreeSource`] (a git commit, or anything else that hands out directories), so
//! renderers never touch a checkout. Rendering is split in two steps so that it can be cached:
//! [`prepare`] reads the app directory and everything it references (cheap, in memory) and
//! computes a cache key from their content ids; [`Prepared::run`] does the expensive part
//! (temp dir + external tool). [`RenderCache`] skips the second step when the key is known.
//!
//! Errors are per app: a [`RenderError`] says why one app could not be rendered; per-file
//! problems of plain manifests are reported in [`Rendered::errors`] while the other files
//! still render.

mod cache;
mod chart;
pub(crate) mod disk_cache;
mod helm;
mod kustomize;
pub mod leftovers;
mod parsed;
mod tool;
mod workspace;

pub use cache::{CacheStats, RenderCache};
pub use chart::{
    cache_dir as chart_cache_dir, cached_path, is_safe_component as chart_name_is_safe,
    parse_version as chart_version, published_versions, versions_between, ChartRef,
    CHART_CACHE_ENV,
};
pub use disk_cache::{
    cache_root, CachedRun, DiskCache, ParsedObjects, CACHE_DIR_ENV, CACHE_MAX_MIB_ENV,
};
pub use helm::HELM_NOT_INSTALLED;
pub use tool::Tools;

use crate::manifest::tree::{parse_tree, TreeParse};
use crate::manifest::{
    find_duplicates, parse_file, DuplicateError, ManifestError, ManifestLimits, ManifestObject,
    ParsedFile,
};
use crate::model::builtin_cluster_scoped;
use crate::source::{SourceError, SourceTree, TreeSource};
use std::fmt;
use workspace::Workspace;

/// Which renderer to use for an app.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RendererKind {
    /// Decide from the app directory: a kustomization file → Kustomize; `Chart.yaml` → Helm;
    /// otherwise Plain.
    #[default]
    Auto,
    Plain,
    Kustomize,
    Helm,
}

impl fmt::Display for RendererKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RendererKind::Auto => "auto",
            RendererKind::Plain => "plain",
            RendererKind::Kustomize => "kustomize",
            RendererKind::Helm => "helm",
        })
    }
}

/// Options for Helm charts. Debug shows the `--set` keys, never their values.
#[derive(Clone, PartialEq, Default)]
pub struct HelmOptions {
    /// A chart from a chart repository, rendered instead of a chart directory in Git (the
    /// app directory then only holds values files, if any).
    pub chart: Option<ChartRef>,
    /// Release name; empty means the app directory's name.
    pub release_name: String,
    /// Values files as repo paths (not relative to the chart), applied in order.
    pub values_files: Vec<String>,
    /// `--set`-style overrides (dotted key, typed value), applied in order after the values
    /// files. Values may be secrets: they go into a 0600 values file in the render's temp
    /// dir (never onto helm's command line, which other users can read) and, hashed, into
    /// the cache key; never into messages.
    pub set: Vec<(String, serde_json::Value)>,
}

impl std::fmt::Debug for HelmOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelmOptions")
            .field("chart", &self.chart)
            .field("release_name", &self.release_name)
            .field("values_files", &self.values_files)
            .field("set", &hidden_values(self.set.iter().map(|(key, _)| key)))
            .finish()
    }
}

/// What `--set` values show as wherever options are printed (Debug, JSON): they may be
/// secrets, so only their keys are visible.
pub const HIDDEN_VALUE: &str = "(hidden)";

/// `key → (hidden)` for each key, in order: how `--set` overrides are displayed.
pub fn hidden_values<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<(&'a str, &'static str)> {
    keys.map(|key| (key.as_str(), HIDDEN_VALUE)).collect()
}

/// What to render.
#[derive(Clone)]
pub struct RenderRequest<'a> {
    pub source: &'a dyn TreeSource,
    /// The app directory, repo-relative (`apps/web/overlays/prod`).
    pub path: &'a str,
    pub renderer: RendererKind,
    /// Namespace of the app: default for objects without one, and helm's `--namespace`.
    pub namespace: Option<&'a str>,
    pub helm: HelmOptions,
    pub limits: ManifestLimits,
    pub tools: Tools,
}

impl<'a> RenderRequest<'a> {
    /// A request with defaults: auto-detected renderer, no namespace, default limits/tools.
    pub fn new(source: &'a dyn TreeSource, path: &'a str) -> Self {
        RenderRequest {
            source,
            path,
            renderer: RendererKind::Auto,
            namespace: None,
            helm: HelmOptions::default(),
            limits: ManifestLimits::default(),
            tools: Tools::default(),
        }
    }
}

impl fmt::Debug for RenderRequest<'_> {
    /// Leaves out `--set` values (they may be secrets) and the source.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderRequest")
            .field("revision", &self.source.revision())
            .field("path", &self.path)
            .field("renderer", &self.renderer)
            .field("namespace", &self.namespace)
            .field("release_name", &self.helm.release_name)
            .field("values_files", &self.helm.values_files)
            .field(
                "set_keys",
                &self.helm.set.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The desired manifests of one app.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The objects, in file/output order. For each duplicated identity only the first
    /// definition is kept (the others are in `duplicates`).
    pub objects: Vec<ManifestObject>,
    pub warnings: Vec<String>,
    /// Files that could not be parsed (plain renderer); their objects are missing above.
    pub errors: Vec<ManifestError>,
    /// Identities defined more than once.
    pub duplicates: Vec<DuplicateError>,
    /// The renderer actually used (never `Auto`).
    pub renderer_used: RendererKind,
    /// Changes exactly when an input of the render changes: the content ids of the app
    /// directory and of everything it references, plus the renderer options.
    pub cache_key: String,
}

impl Rendered {
    /// True when nothing was left out. When false, an object absent from `objects` may just
    /// be in a broken file, so it must not be reported as extraneous in the cluster.
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty() && self.duplicates.is_empty()
    }
}

/// Why an app could not be rendered. `Display` is the message to show next to the app
/// (it does not repeat the app path; use [`RenderError::app`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The app directory (or something it references) could not be read.
    #[error("{error}")]
    Source { app: String, error: SourceError },
    /// A tool the app needs is not installed (`message` is e.g. "helm not installed").
    #[error("{message}")]
    ToolMissing {
        app: String,
        tool: String,
        message: String,
    },
    /// The tool ran and failed; `stderr` is its message, with temp paths made repo paths.
    #[error("{tool} failed ({status}): {stderr}")]
    ToolFailed {
        app: String,
        tool: String,
        status: String,
        stderr: String,
    },
    #[error("{tool} did not finish within {seconds} s and was stopped")]
    Timeout {
        app: String,
        tool: String,
        seconds: u64,
    },
    #[error("{file}: remote bases are not supported: {reference}")]
    RemoteBase {
        app: String,
        file: String,
        reference: String,
    },
    /// A kustomization or chart refers to something that is not in the repository.
    #[error("{file}: {message}")]
    Reference {
        app: String,
        file: String,
        message: String,
    },
    /// The tool's output is not valid manifests.
    #[error("output of the renderer: {error}")]
    Output { app: String, error: ManifestError },
    #[error("{message}")]
    Io { app: String, message: String },
    /// A chart could not be fetched from its chart repository (unreachable, chart or version
    /// missing); `repo` is the URL with any credentials redacted.
    #[error("chart {chart} {version} from {repo}: {message}")]
    ChartPull {
        app: String,
        chart: String,
        version: String,
        repo: String,
        message: String,
    },
}

impl RenderError {
    /// The app directory this error belongs to.
    pub fn app(&self) -> &str {
        match self {
            RenderError::Source { app, .. }
            | RenderError::ToolMissing { app, .. }
            | RenderError::ToolFailed { app, .. }
            | RenderError::Timeout { app, .. }
            | RenderError::RemoteBase { app, .. }
            | RenderError::Reference { app, .. }
            | RenderError::Output { app, .. }
            | RenderError::Io { app, .. }
            | RenderError::ChartPull { app, .. } => app,
        }
    }
}

/// Render one app (no caching; see [`RenderCache`] for that).
pub fn render(req: &RenderRequest<'_>) -> Result<Rendered, RenderError> {
    prepare(req)?.run()
}

/// Which renderer `Auto` picks for a directory.
pub fn detect(tree: &SourceTree) -> RendererKind {
    if kustomize::KUSTOMIZATION_FILES
        .iter()
        .any(|name| tree.files.contains_key(*name))
    {
        RendererKind::Kustomize
    } else if tree.files.contains_key("Chart.yaml") {
        RendererKind::Helm
    } else {
        RendererKind::Plain
    }
}

/// A render whose inputs have been read and whose cache key is known, but whose (possibly
/// expensive) tool has not run yet.
pub struct Prepared<'a> {
    req: &'a RenderRequest<'a>,
    app: String,
    kind: RendererKind,
    workspace: Workspace<'a>,
    app_tree: SourceTree,
    helm_inputs: helm::HelmInputs,
    cache_key: String,
}

impl Prepared<'_> {
    pub fn renderer(&self) -> RendererKind {
        self.kind
    }

    pub fn cache_key(&self) -> &str {
        &self.cache_key
    }

    /// Run the renderer.
    pub fn run(self) -> Result<Rendered, RenderError> {
        let namespace = self.req.namespace;
        let (objects, errors, warnings) = match self.kind {
            RendererKind::Kustomize => {
                let program = kustomize::program(&self.req.tools);
                let (parsed, warnings) =
                    self.cached_tool_run(program.as_deref(), "kustomize build", || {
                        kustomize::build(&self.workspace, &self.app, &self.req.tools)
                    })?;
                (
                    parsed.objects,
                    Vec::new(),
                    [warnings, parsed.warnings].concat(),
                )
            }
            RendererKind::Helm => {
                let program = self.req.tools.find("helm");
                let (parsed, warnings) =
                    self.cached_tool_run(program.as_deref(), "helm template", || {
                        helm::build(
                            &self.workspace,
                            &self.app,
                            &self.helm_inputs,
                            &self.req.helm,
                            namespace.unwrap_or("default"),
                            &self.req.tools,
                        )
                    })?;
                (
                    parsed.objects,
                    Vec::new(),
                    [warnings, parsed.warnings].concat(),
                )
            }
            RendererKind::Plain | RendererKind::Auto => {
                let parsed = self.parse_plain();
                let mut warnings = parsed.warnings;
                if !self
                    .app_tree
                    .files
                    .keys()
                    .any(|f| crate::manifest::tree::is_manifest_file(f))
                {
                    warnings.push(format!(
                        "{}: no .yaml, .yml or .json files",
                        display_app(&self.app)
                    ));
                }
                (parsed.objects, parsed.errors, warnings)
            }
        };
        let duplicates = find_duplicates(&objects, namespace, &builtin_cluster_scoped);
        let objects = drop_later_duplicates(objects, &duplicates, namespace);
        Ok(Rendered {
            objects,
            warnings,
            errors,
            duplicates,
            renderer_used: self.kind,
            cache_key: self.cache_key,
        })
    }

    /// The app directory's manifests, from the persistent cache when this directory (by
    /// content id) parsed before. Only a parse without errors is stored: a broken file is
    /// parsed and reported again on every start.
    fn parse_plain(&self) -> TreeParse {
        let cache = self
            .req
            .tools
            .disk_cache
            .as_deref()
            // Without a content id the key would not change with the files.
            .filter(|_| !self.app_tree.id.is_empty());
        if let Some(parsed) = cache
            .and_then(|cache| cache.get(&self.cache_key))
            .and_then(|hit| hit.parsed)
            .and_then(|stored| parsed::decode(&stored))
        {
            tracing::debug!(
                app = display_app(&self.app),
                "plain manifests from the render cache"
            );
            return TreeParse {
                objects: parsed.objects,
                errors: Vec::new(),
                warnings: parsed.warnings,
            };
        }
        let parsed = parse_tree(&self.app_tree, &self.req.limits);
        tracing::debug!(
            app = display_app(&self.app),
            files = self.app_tree.files.len(),
            errors = parsed.errors.len(),
            "parsed plain manifests"
        );
        if let Some(cache) = cache.filter(|_| parsed.errors.is_empty()) {
            let file = ParsedFile {
                objects: parsed.objects,
                warnings: parsed.warnings,
            };
            if let Some(stored) = parsed::encode(&file) {
                cache.put(
                    &self.cache_key,
                    &CachedRun {
                        stdout: Vec::new(),
                        warnings: Vec::new(),
                        parsed: Some(stored),
                    },
                );
            }
            return TreeParse {
                objects: file.objects,
                errors: Vec::new(),
                warnings: file.warnings,
            };
        }
        parsed
    }

    /// The parsed output and warnings of the tool run `build`, from the persistent cache
    /// when an entry for these inputs and this tool binary exists (parsed objects stored with
    /// it are used as they are; else its output is parsed and the entry rewritten with them).
    /// A run is stored only after its output parsed; a tool that is not installed is never
    /// answered from the cache.
    fn cached_tool_run(
        &self,
        program: Option<&std::path::Path>,
        tool: &str,
        build: impl FnOnce() -> Result<(Vec<u8>, Vec<String>), RenderError>,
    ) -> Result<(ParsedFile, Vec<String>), RenderError> {
        let key = match (&self.req.tools.disk_cache, program) {
            (Some(cache), Some(program)) => disk_cache::tool_identity(program)
                .map(|identity| (cache, format!("{}\ntool:{identity}", self.cache_key))),
            _ => None,
        };
        if let Some((cache, key)) = &key {
            if let Some(mut hit) = cache.get(key) {
                if let Some(parsed) = hit.parsed.as_ref().and_then(parsed::decode) {
                    tracing::debug!(
                        app = display_app(&self.app),
                        tool,
                        "parsed tool output from the render cache"
                    );
                    return Ok((parsed, hit.warnings));
                }
                if let Ok(parsed) = self.parse_output(tool, &hit.stdout) {
                    hit.parsed = parsed::encode(&parsed);
                    if hit.parsed.is_some() {
                        cache.put(key, &hit);
                    }
                    return Ok((parsed, hit.warnings));
                }
            }
        }
        let (stdout, warnings) = build()?;
        let parsed = self.parse_output(tool, &stdout)?;
        if let Some((cache, key)) = &key {
            cache.put(
                key,
                &CachedRun {
                    stdout,
                    warnings: warnings.clone(),
                    parsed: parsed::encode(&parsed),
                },
            );
        }
        Ok((parsed, warnings))
    }

    fn parse_output(&self, tool: &str, stdout: &[u8]) -> Result<ParsedFile, RenderError> {
        let name = format!("{} ({tool} output)", display_app(&self.app));
        // Tool output is not a file in the repo; the per-file size limit does not apply.
        let unlimited = ManifestLimits {
            max_file_bytes: u64::MAX,
        };
        parse_file(&name, stdout, &unlimited).map_err(|error| RenderError::Output {
            app: self.app.clone(),
            error,
        })
    }
}

fn display_app(app: &str) -> &str {
    if app.is_empty() {
        "."
    } else {
        app
    }
}

/// Keep only the first definition of each identity (the others are reported as duplicates).
fn drop_later_duplicates(
    objects: Vec<ManifestObject>,
    duplicates: &[DuplicateError],
    namespace: Option<&str>,
) -> Vec<ManifestObject> {
    if duplicates.is_empty() {
        return objects;
    }
    let mut seen = std::collections::HashSet::new();
    objects
        .into_iter()
        .filter(|object| {
            match crate::model::ResourceKey::from_object(
                &object.object,
                namespace,
                &builtin_cluster_scoped,
            ) {
                Ok(key) => seen.insert(key),
                Err(_) => true,
            }
        })
        .collect()
}

/// Read the app directory and everything it references; compute the cache key.
pub fn prepare<'a>(req: &'a RenderRequest<'a>) -> Result<Prepared<'a>, RenderError> {
    let app = workspace::resolve("", req.path).map_err(|why| RenderError::Reference {
        app: req.path.to_string(),
        file: req.path.to_string(),
        message: format!("app path: {why}"),
    })?;
    let source_err = |error| RenderError::Source {
        app: app.clone(),
        error,
    };
    // A chart from a chart repository needs only the values files from Git, not the app
    // directory (which may be the repository root).
    let app_tree = match &req.helm.chart {
        Some(_) => crate::source::SourceTree {
            root: app.clone(),
            id: String::new(),
            files: Default::default(),
        },
        None => req.source.subtree(&app).map_err(source_err)?,
    };
    let kind = match (req.renderer, &req.helm.chart) {
        (_, Some(_)) => RendererKind::Helm,
        (RendererKind::Auto, None) => detect(&app_tree),
        (other, None) => other,
    };
    let mut workspace = Workspace::new(req.source);
    if req.helm.chart.is_none() {
        workspace.add_dir(app_tree.clone());
    }
    let mut helm_inputs = helm::HelmInputs::default();
    match kind {
        RendererKind::Kustomize => kustomize::collect(&mut workspace, &app)?,
        RendererKind::Helm => helm_inputs = helm::collect(&mut workspace, &app, &req.helm)?,
        RendererKind::Plain | RendererKind::Auto => {}
    }
    let cache_key = cache_key(req, &app, kind, &workspace, &helm_inputs.values);
    Ok(Prepared {
        req,
        app,
        kind,
        workspace,
        app_tree,
        helm_inputs,
        cache_key,
    })
}

/// A digest of every input: renderer, app path, options and the content id of each directory
/// read. Hashed so that `--set` values (possibly secrets) never appear in it.
fn cache_key(
    req: &RenderRequest<'_>,
    app: &str,
    kind: RendererKind,
    workspace: &Workspace<'_>,
    helm_values: &[String],
) -> String {
    let mut canonical = String::new();
    let mut field = |name: &str, value: &str| {
        canonical.push_str(&format!("{name}:{}:{value}\n", value.len()));
    };
    field("renderer", &kind.to_string());
    field("app", app);
    field("namespace", req.namespace.unwrap_or(""));
    field("max_file_bytes", &req.limits.max_file_bytes.to_string());
    for (root, id) in workspace.ids() {
        field("tree", root);
        field("id", id);
    }
    if kind == RendererKind::Helm {
        field("release", &helm::release_name(&req.helm, app));
        if let Some(chart) = &req.helm.chart {
            field("chart-repo", &chart.repo);
            field("chart-name", &chart.name);
            field("chart-version", &chart.version);
        }
        for values in helm_values {
            field("values", values);
        }
        for (key, value) in &req.helm.set {
            field("set-key", key);
            field("set-value", &value.to_string());
        }
    }
    format!(
        "{kind}-{}",
        crate::local_source::digest(canonical.as_bytes())
    )
}
