//! List and watch the controllers' objects (kube-rs watchers, one per kind, context and
//! namespace) and report each kind's current objects whenever they change. The objects are
//! turned into apps elsewhere (`argocd`, `flux`, `specs`); this only moves them.

use super::{ControllerTool, SourceConfig};
use crate::cluster::kubeconfig::client_for;
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::config::Kubeconfig;
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// A kind of controller object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WatchedKind {
    ArgoApplication,
    FluxKustomization,
    FluxHelmRelease,
    FluxGitRepository,
    FluxHelmRepository,
}

impl WatchedKind {
    /// (group, version, kind, plural) as the projects' CRDs define them.
    pub fn gvk(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            WatchedKind::ArgoApplication => {
                ("argoproj.io", "v1alpha1", "Application", "applications")
            }
            WatchedKind::FluxKustomization => (
                "kustomize.toolkit.fluxcd.io",
                "v1",
                "Kustomization",
                "kustomizations",
            ),
            WatchedKind::FluxHelmRelease => (
                "helm.toolkit.fluxcd.io",
                "v2",
                "HelmRelease",
                "helmreleases",
            ),
            WatchedKind::FluxGitRepository => (
                "source.toolkit.fluxcd.io",
                "v1",
                "GitRepository",
                "gitrepositories",
            ),
            WatchedKind::FluxHelmRepository => (
                "source.toolkit.fluxcd.io",
                "v1",
                "HelmRepository",
                "helmrepositories",
            ),
        }
    }

    pub fn of(tool: ControllerTool) -> &'static [WatchedKind] {
        match tool {
            ControllerTool::ArgoCd => &[WatchedKind::ArgoApplication],
            ControllerTool::Flux => &[
                WatchedKind::FluxKustomization,
                WatchedKind::FluxHelmRelease,
                WatchedKind::FluxGitRepository,
                WatchedKind::FluxHelmRepository,
            ],
        }
    }

    fn resource(self) -> ApiResource {
        let (group, version, kind, plural) = self.gvk();
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
    }
}

/// One watcher: which source, context, kind and namespace (None: all).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WatchKey {
    pub source: usize,
    pub context: String,
    pub kind: WatchedKind,
    pub namespace: Option<String>,
}

/// What a watcher reports. Debug shows how many objects, never their content (inline Helm
/// values in an Application may be secrets).
#[derive(Clone)]
pub enum WatchReport {
    /// Every object of the key now (after the first list and after each change).
    Objects { key: WatchKey, objects: Vec<Json> },
    /// The objects cannot be listed. `not_served`: the kind is not installed there (no Argo
    /// CD / Flux on that cluster), which is no error for a source reading every context.
    Failed {
        key: WatchKey,
        error: String,
        not_served: bool,
    },
}

impl std::fmt::Debug for WatchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WatchReport::Objects { key, objects } => f
                .debug_struct("Objects")
                .field("key", key)
                .field("objects", &objects.len())
                .finish(),
            WatchReport::Failed {
                key,
                error,
                not_served,
            } => f
                .debug_struct("Failed")
                .field("key", key)
                .field("error", error)
                .field("not_served", not_served)
                .finish(),
        }
    }
}

/// The watchers for `sources` on `contexts` (each source's own list, else all of them).
/// Returns every key that will report, so the caller knows when the first lists are in.
pub fn spawn(
    tasks: &mut JoinSet<()>,
    sources: &[SourceConfig],
    kubeconfig: &Kubeconfig,
    contexts: &[String],
    reports: mpsc::UnboundedSender<WatchReport>,
) -> Vec<WatchKey> {
    let mut keys = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let on: Vec<&String> = if source.contexts.is_empty() {
            contexts.iter().collect()
        } else {
            source.contexts.iter().collect()
        };
        for context in on {
            let namespaces: Vec<Option<String>> = match source.namespaces_to_list() {
                Some(list) => list.into_iter().map(Some).collect(),
                None => vec![None],
            };
            for kind in WatchedKind::of(source.kind) {
                for namespace in &namespaces {
                    let key = WatchKey {
                        source: index,
                        context: context.clone(),
                        kind: *kind,
                        namespace: namespace.clone(),
                    };
                    keys.push(key.clone());
                    tasks.spawn(watch(kubeconfig.clone(), key, reports.clone()));
                }
            }
        }
    }
    keys
}

/// How long to wait before building a client again after it failed (an exec plugin or a
/// certificate may be fixed while kubedrift runs).
const CLIENT_RETRY: std::time::Duration = std::time::Duration::from_secs(60);

async fn watch(kubeconfig: Kubeconfig, key: WatchKey, reports: mpsc::UnboundedSender<WatchReport>) {
    let client = loop {
        match client_for(&kubeconfig, &key.context).await {
            Ok(client) => break client,
            Err(err) => {
                let sent = reports.send(WatchReport::Failed {
                    key: key.clone(),
                    error: err.to_string(),
                    not_served: false,
                });
                if sent.is_err() {
                    return;
                }
                tokio::time::sleep(CLIENT_RETRY).await;
            }
        }
    };
    let resource = key.kind.resource();
    let api: Api<DynamicObject> = match &key.namespace {
        Some(ns) => Api::namespaced_with(client, ns, &resource),
        None => Api::all_with(client, &resource),
    };
    let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    let mut objects: BTreeMap<(String, String), Json> = BTreeMap::new();
    let mut listing: BTreeMap<(String, String), Json> = BTreeMap::new();
    let mut listed = false;
    let mut last_error: Option<String> = None;
    while let Some(item) = stream.next().await {
        let changed = match item {
            Ok(watcher::Event::Init) => {
                listing.clear();
                false
            }
            Ok(watcher::Event::InitApply(obj)) => {
                if let Some((id, value)) = entry(&obj) {
                    listing.insert(id, value);
                }
                false
            }
            Ok(watcher::Event::InitDone) => {
                objects = std::mem::take(&mut listing);
                listed = true;
                last_error = None;
                true
            }
            Ok(watcher::Event::Apply(obj)) => match entry(&obj) {
                Some((id, value)) => objects.insert(id, value.clone()) != Some(value),
                None => false,
            },
            Ok(watcher::Event::Delete(obj)) => match entry(&obj) {
                Some((id, _)) => objects.remove(&id).is_some(),
                None => false,
            },
            Err(err) => {
                let text = err.to_string();
                let not_served = matches!(
                    &err,
                    watcher::Error::InitialListFailed(kube::Error::Api(status))
                        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
                        if status.code == 404
                );
                // Report a failure once (until the next successful list), so a down
                // cluster does not flood the channel while the watcher backs off.
                if last_error.as_deref() != Some(text.as_str()) {
                    last_error = Some(text.clone());
                    if !listed || !not_served {
                        let _ = reports.send(WatchReport::Failed {
                            key: key.clone(),
                            error: text,
                            not_served,
                        });
                    }
                }
                false
            }
        };
        if changed
            && reports
                .send(WatchReport::Objects {
                    key: key.clone(),
                    objects: objects.values().cloned().collect(),
                })
                .is_err()
        {
            return;
        }
    }
}

/// (namespace, name) and the object as JSON.
fn entry(obj: &DynamicObject) -> Option<((String, String), Json)> {
    let value = serde_json::to_value(obj).ok()?;
    let namespace = obj.metadata.namespace.clone().unwrap_or_default();
    let name = obj.metadata.name.clone()?;
    Some(((namespace, name), value))
}
