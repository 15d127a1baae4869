//! Apps read from the GitOps controllers' own objects: Argo CD `Application`s and Flux
//! `Kustomization`s / `HelmRelease`s (with their `GitRepository`s), so a team that already
//! describes its apps to Argo CD or Flux needs no kubedrift config.
//!
//! - `argocd`, `flux`: the translation of the objects into [`ControllerApp`]s. Pure (JSON
//!   in, data out), tested with objects shaped as the projects document them.
//! - `clusters`: which kubeconfig context an Argo CD destination names (pure).
//! - `generated`: what the objects' renderer options add to a render — a generated
//!   kustomization over the app directory, inline Helm values, Flux's variable substitution
//!   — as a [`crate::source::TreeSource`] wrapper (pure).
//! - `repos`: repo URL → local clone (a configured `[[repo]]`, else a bare clone in the cache
//!   dir), and `specs`: everything as the live layer's [`crate::config::AppSpec`]s.
//! - `watch`: the kube-rs watchers that list and follow the objects on every source context;
//!   `feed`: their reports folded into the current apps (what the live driver asks for).
//!
//! An option kubedrift cannot honour never silently compares something else: the app is
//! shown as "unsupported: `<option>`".

pub mod argocd;
pub mod clusters;
pub mod feed;
pub mod flux;
pub mod generated;
pub mod repos;
pub mod specs;
pub mod watch;

use crate::config::HelmConfig;
use crate::render::RendererKind;
pub use crate::state::{ControllerTool, ControllerView};
use std::collections::BTreeMap;

/// The directory (repo-relative) the generated files are served at.
pub const GENERATED_DIR: &str = ".kubedrift-generated";

/// One app as a controller object describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerApp {
    /// The app's name in kubedrift (the object's name).
    pub name: String,
    /// The kubeconfig context the app deploys to, or why it is not known.
    pub context: Result<String, String>,
    /// The Git repository URL as the object writes it (empty for a chart repository source:
    /// then `chart` names the chart and nothing is cloned).
    pub repo_url: String,
    /// The app directory, repo-relative and normalized (`""` for the root).
    pub path: String,
    /// Branch, tag or commit; `HEAD` for the repository's default branch.
    pub git_ref: String,
    /// Default namespace of the app's objects (Argo CD's destination namespace; Flux's
    /// `targetNamespace` is a kustomization `namespace:` instead, which also overrides).
    pub namespace: Option<String>,
    pub renderer: RendererKind,
    pub helm: HelmConfig,
    /// A chart from a Helm chart repository at an exact version (Argo CD `chart:`, Flux
    /// HelmRelease from a HelmRepository).
    pub chart: Option<crate::render::ChartRef>,
    pub extras: RenderExtras,
    /// What the compare leaves out (Argo CD `ignoreDifferences` with JSON pointers).
    pub ignore: Vec<crate::engine::ignore::IgnoreRule>,
    /// Options kubedrift cannot honour (`kustomize.version`, `spec.decryption`, ...).
    pub unsupported: Vec<String>,
    /// Why the app cannot be read at all (its source object is missing, ...).
    pub error: Option<String>,
    /// The object and its status.
    pub controller: ControllerView,
}

impl ControllerApp {
    /// "unsupported: a, b" when some option cannot be honoured.
    pub fn unsupported_message(&self) -> Option<String> {
        (!self.unsupported.is_empty())
            .then(|| format!("unsupported: {}", self.unsupported.join(", ")))
    }
}

/// What a controller's renderer options add to a plain render of the app directory.
/// Values may be secrets (inline Helm values, substitution variables): Debug shows their keys
/// or sizes only.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct RenderExtras {
    /// A kustomization (YAML) to build over the app directory, served at [`GENERATED_DIR`];
    /// it refers to the app directory (filled in at render time, see `generated`).
    pub kustomization: Option<serde_json::Value>,
    /// Inline Helm values (YAML), served as `<GENERATED_DIR>/values.yaml` and applied after the
    /// app's values files.
    pub helm_values: Option<String>,
    /// Flux `postBuild.substitute`: `${name}` → value over the rendered objects.
    pub substitute: BTreeMap<String, String>,
    /// Argo CD's directory source reads the top-level files only unless `recurse: true`.
    pub top_level_only: bool,
}

impl std::fmt::Debug for RenderExtras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderExtras")
            .field("kustomization", &self.kustomization.is_some())
            .field(
                "helm_values_bytes",
                &self.helm_values.as_ref().map(String::len),
            )
            .field("substitute", &self.substitute.keys().collect::<Vec<_>>())
            .field("top_level_only", &self.top_level_only)
            .finish()
    }
}

impl RenderExtras {
    pub fn is_empty(&self) -> bool {
        *self == RenderExtras::default()
    }
}

/// `[[source]]` (or `--from`): where to read controller objects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceConfig {
    pub kind: ControllerTool,
    /// Contexts to read the objects on (empty: every selected context).
    pub contexts: Vec<String>,
    /// Namespaces to read (Argo CD default: `argocd`; Flux default: all).
    pub namespaces: Vec<String>,
    /// Argo CD destination (server URL or cluster name) → kubeconfig context, before the
    /// kubeconfig's server URLs are consulted.
    pub clusters: BTreeMap<String, String>,
}

impl SourceConfig {
    /// The source with its defaults (`--from argocd|flux`).
    pub fn new(kind: ControllerTool) -> Self {
        SourceConfig {
            kind,
            contexts: Vec::new(),
            namespaces: Vec::new(),
            clusters: BTreeMap::new(),
        }
    }

    /// The namespaces to list (None: all namespaces).
    pub fn namespaces_to_list(&self) -> Option<Vec<String>> {
        match (self.kind, self.namespaces.is_empty()) {
            (_, false) => Some(self.namespaces.clone()),
            (ControllerTool::ArgoCd, true) => Some(vec!["argocd".to_string()]),
            (ControllerTool::Flux, true) => None,
        }
    }
}

/// `argocd` / `flux` (for `--from` and `kind =`).
pub fn parse_tool(text: &str) -> Result<ControllerTool, String> {
    match text {
        "argocd" => Ok(ControllerTool::ArgoCd),
        "flux" => Ok(ControllerTool::Flux),
        other => Err(format!("{other:?}: expected argocd or flux")),
    }
}

/// A path as the objects write it (`./apps/web`, `apps/web/`, `.`) made repo-relative and
/// normalized; `None` when it escapes the repository.
pub(crate) fn normalize_repo_path(path: &str) -> Option<String> {
    crate::git::normalize_path(path.trim().trim_start_matches('/')).ok()
}

/// A chart in a chart repository as a controller names it, or why kubedrift cannot render
/// it ("unsupported: ..." material): the repository must be http(s) (not OCI) and the
/// version exact (a range would need the repository's index at each poll, and could change
/// under the user's feet).
pub(crate) fn chart_ref(
    repo: &str,
    name: &str,
    version: &str,
) -> Result<crate::render::ChartRef, String> {
    let repo = repo.trim();
    let scheme = repo.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some("http") | Some("https") => {}
        Some("oci") => return Err("chart repository oci:// (OCI registry)".to_string()),
        Some(other) => return Err(format!("chart repository scheme {other}://")),
        None if repo.is_empty() => return Err("chart repository without URL".to_string()),
        // Argo CD takes a scheme-less repoURL as an OCI registry.
        None => return Err("chart repository without http(s):// (OCI registry)".to_string()),
    }
    if !crate::render::chart_name_is_safe(name) {
        return Err(format!("chart name {name:?}"));
    }
    if version.trim().is_empty() {
        return Err("chart version not set (latest)".to_string());
    }
    if crate::render::chart_version(version).is_none()
        || !crate::render::chart_name_is_safe(version)
    {
        return Err(format!(
            "chart version range {version:?} (only exact versions)"
        ));
    }
    Ok(crate::render::ChartRef {
        repo: repo.to_string(),
        name: name.to_string(),
        version: version.to_string(),
    })
}

/// A string field of a JSON object.
pub(crate) fn text<'a>(value: &'a serde_json::Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(serde_json::Value::as_str)
}
