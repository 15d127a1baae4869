//! Building a sync plan from an app's live view: pure, no I/O.

use super::order::{apply_key, wave_of};
use super::{Action, ControllerOwner, DryRun, Plan, Skipped, Step};
use crate::engine::compare::{comparable_pair, CompareOptions, Verdict};
use crate::engine::diff;
use crate::engine::ownership::{self, Tool, KUBEDRIFT_ENV_LABEL};
use crate::model::{Object, ResourceKey, TRACKING_LABEL};
use crate::state::AppView;
use serde_json::{json, Value};

/// What the user asked the sync to cover.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Delete objects tracked to this app and environment that Git no longer has.
    pub prune: bool,
    /// Take over fields other managers own (only when the user confirmed it).
    pub force_conflicts: bool,
    /// Only these resources (`Kind/name`, `Kind/namespace/name` or the full
    /// `group/Kind/namespace/name`); empty: every resource of the app.
    pub only: Vec<String>,
}

/// Whether `key` is one of the `only` selectors.
pub fn selects(only: &[String], key: &ResourceKey) -> bool {
    if only.is_empty() {
        return true;
    }
    let short = format!("{}/{}", key.kind, key.name);
    let with_ns = key
        .namespace
        .as_ref()
        .map(|ns| format!("{}/{ns}/{}", key.kind, key.name));
    only.iter().any(|s| {
        s.eq_ignore_ascii_case(&short)
            || with_ns
                .as_deref()
                .is_some_and(|w| s.eq_ignore_ascii_case(w))
            || *s == key.to_string()
    })
}

/// The plan for `app` (one app in one environment) from its current view: Missing → create,
/// OutOfSync → update, Extraneous → prune when asked and the object carries kubedrift's own
/// labels for this app and environment. Everything else that is not in sync is listed as
/// skipped with the reason.
pub fn build(app: &AppView, options: &PlanOptions) -> Plan {
    let mut steps = Vec::new();
    let mut skipped = Vec::new();
    let mut prunes = Vec::new();
    let mut controllers: Vec<ControllerOwner> = Vec::new();
    let opts = CompareOptions {
        ignore: &app.ignore,
        ..CompareOptions::default()
    };
    for resource in &app.resources {
        if !selects(&options.only, &resource.key) {
            continue;
        }
        let desired_object = resource.desired.as_ref().map(|o| o.get());
        let desired = desired_object.as_deref();
        let live_object = resource.live.as_ref().map(|o| o.get());
        let live = live_object.as_deref();
        if let Some(live) = live {
            for owner in controller_owners(live) {
                if !controllers.contains(&owner) {
                    controllers.push(owner);
                }
            }
        }
        let skip = |reason: String| Skipped {
            key: resource.key.clone(),
            reason,
        };
        match (&resource.verdict, desired) {
            (Verdict::Synced, _) => {}
            (Verdict::Missing | Verdict::OutOfSync { .. }, Some(desired)) => {
                let action = if live.is_some() && !matches!(resource.verdict, Verdict::Missing) {
                    Action::Update
                } else {
                    Action::Create
                };
                let body = apply_body(desired, &resource.key, &app.id.app, &app.id.env);
                let (want, have) = comparable_pair(Some(desired), live, &opts);
                steps.push(Step {
                    key: resource.key.clone(),
                    action,
                    api_version: api_version_of(desired),
                    wave: wave_of(desired),
                    diff: diff::diff(want.as_ref(), have.as_ref(), 3),
                    dry_run: DryRun::NotRun,
                    body: Some(body),
                    live: live.cloned(),
                });
            }
            (Verdict::Missing | Verdict::OutOfSync { .. }, None) => {
                skipped.push(skip("no desired object to apply".into()));
            }
            (Verdict::Extraneous, _) => {
                let Some(live) = live else {
                    skipped.push(skip("extraneous, but its live object is not known".into()));
                    continue;
                };
                if !options.prune {
                    skipped.push(skip(
                        "not in Git any more; left in place (prune not requested)".into(),
                    ));
                } else if let Some(reason) = not_prunable(live, &app.id.app, &app.id.env) {
                    skipped.push(skip(reason));
                } else if let Some(reason) = cascades(&resource.key, &options.only) {
                    skipped.push(skip(reason));
                } else {
                    let (_, have) = comparable_pair(None, Some(live), &opts);
                    prunes.push(Step {
                        key: resource.key.clone(),
                        action: Action::Prune,
                        api_version: api_version_of(live),
                        wave: wave_of(live),
                        diff: diff::diff(None, have.as_ref(), 3),
                        dry_run: DryRun::NotRun,
                        body: None,
                        live: Some(live.clone()),
                    });
                }
            }
            (Verdict::Unknown { reason }, _) => {
                skipped.push(skip(format!("undecided ({reason}); not touched")));
            }
        }
    }
    steps.sort_by_key(|s| apply_key(s.wave, &s.key));
    prunes.sort_by_key(|s| apply_key(s.wave, &s.key));
    prunes.reverse();
    steps.extend(prunes);
    Plan {
        app: app.id.clone(),
        context: app.context.clone(),
        steps,
        skipped,
        prune: options.prune,
        force_conflicts: options.force_conflicts,
        controllers,
    }
}

/// Why a live object the app calls Extraneous may still not be pruned: only objects that
/// carry kubedrift's own labels for exactly this app and environment are deleted (another
/// tool's mark means another tool owns it).
pub fn not_prunable(live: &Object, app: &str, env: &str) -> Option<String> {
    let labels = live.pointer("/metadata/labels");
    let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
    if ownership::has_controller_owner(live) {
        return Some("owned by a controller (ownerReference); not pruned".into());
    }
    match (label(TRACKING_LABEL), label(KUBEDRIFT_ENV_LABEL)) {
        (Some(a), Some(e)) if a == app && e == env => None,
        (Some(a), Some(e)) => Some(format!(
            "labelled {TRACKING_LABEL}={a}, {KUBEDRIFT_ENV_LABEL}={e}: not this app and environment; not pruned"
        )),
        (Some(_), None) => Some(format!(
            "has {TRACKING_LABEL} but no {KUBEDRIFT_ENV_LABEL} label: not provably this environment's; not pruned"
        )),
        (None, _) => Some(
            "tracked by another tool's mark, not kubedrift's labels; not pruned (that tool prunes it)"
                .into(),
        ),
    }
}

/// Why pruning `key` would delete far more than itself (a Namespace takes everything in it,
/// a CustomResourceDefinition every object of its kind), unless the user selected exactly
/// it with `--resource`.
pub fn cascades(key: &ResourceKey, only: &[String]) -> Option<String> {
    let what = match (&*key.group, &*key.kind) {
        ("", "Namespace") => "deleting a Namespace deletes everything in it",
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            "deleting a CRD deletes every object of its kind"
        }
        _ => return None,
    };
    if !only.is_empty() && selects(only, key) {
        return None;
    }
    Some(format!(
        "{what}; not pruned unless selected with --resource {}/{}",
        key.kind, key.name
    ))
}

/// The object to send: the desired object with its namespace (namespaced kinds) and
/// kubedrift's tracking labels for this app and environment.
pub fn apply_body(desired: &Object, key: &ResourceKey, app: &str, env: &str) -> Object {
    let mut body = desired.clone();
    if let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        match &key.namespace {
            Some(ns) => {
                metadata.insert("namespace".into(), json!(ns));
            }
            None => {
                metadata.remove("namespace");
            }
        }
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(labels) = labels {
            labels.insert(TRACKING_LABEL.into(), json!(app));
            labels.insert(KUBEDRIFT_ENV_LABEL.into(), json!(env));
        }
    }
    body
}

fn api_version_of(obj: &Object) -> String {
    obj.get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1")
        .to_string()
}

/// Argo CD applications and Flux Kustomizations/HelmReleases whose marks `live` carries.
pub fn controller_owners(live: &Object) -> Vec<ControllerOwner> {
    let labels = live.pointer("/metadata/labels");
    let has_label = |key: &str| labels.and_then(|l| l.get(key)).is_some();
    ownership::tracking_marks(live)
        .into_iter()
        .filter_map(|mark| match mark.tool {
            Tool::ArgoCd => Some(ControllerOwner {
                tool: "Argo CD".into(),
                api_version: "argoproj.io/v1alpha1".into(),
                kind: "Application".into(),
                namespace: mark.namespace.unwrap_or_else(|| "argocd".into()),
                name: mark.app,
                annotation: "argocd.argoproj.io/refresh".into(),
            }),
            Tool::Flux => {
                let helm = has_label(ownership::FLUX_HELM_NAME_LABEL)
                    && !has_label(ownership::FLUX_KUSTOMIZE_NAME_LABEL);
                Some(ControllerOwner {
                    tool: "Flux".into(),
                    api_version: if helm {
                        "helm.toolkit.fluxcd.io/v2".into()
                    } else {
                        "kustomize.toolkit.fluxcd.io/v1".into()
                    },
                    kind: if helm { "HelmRelease" } else { "Kustomization" }.into(),
                    namespace: mark.namespace.unwrap_or_else(|| "flux-system".into()),
                    name: mark.app,
                    annotation: "reconcile.fluxcd.io/requestedAt".into(),
                })
            }
            Tool::Kubedrift => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_objects_with_kubedrift_labels_for_this_app_and_env_are_prunable() {
        let obj = |labels: Value| json!({"metadata": {"labels": labels}});
        assert_eq!(
            not_prunable(
                &obj(json!({TRACKING_LABEL: "web", KUBEDRIFT_ENV_LABEL: "dev"})),
                "web",
                "dev"
            ),
            None
        );
        assert!(not_prunable(
            &obj(json!({TRACKING_LABEL: "web", KUBEDRIFT_ENV_LABEL: "prod"})),
            "web",
            "dev"
        )
        .is_some());
        assert!(not_prunable(&obj(json!({TRACKING_LABEL: "web"})), "web", "dev").is_some());
        assert!(not_prunable(
            &obj(json!({"app.kubernetes.io/instance": "web"})),
            "web",
            "dev"
        )
        .is_some());
    }

    #[test]
    fn the_body_carries_namespace_and_tracking_labels() {
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        let key = ResourceKey::new("", "ConfigMap", Some("shop"), "c");
        let body = apply_body(&desired, &key, "web", "dev");
        assert_eq!(body["metadata"]["namespace"], "shop");
        assert_eq!(body["metadata"]["labels"][TRACKING_LABEL], "web");
        assert_eq!(body["metadata"]["labels"][KUBEDRIFT_ENV_LABEL], "dev");
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "namespace": "x"}});
        let body = apply_body(
            &ns,
            &ResourceKey::new("", "Namespace", None, "shop"),
            "web",
            "dev",
        );
        assert!(body["metadata"].get("namespace").is_none());
    }

    #[test]
    fn argo_and_flux_marks_name_the_object_to_ask_for_a_reconcile() {
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
            "name": "web", "namespace": "shop",
            "labels": {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}}});
        let owners = controller_owners(&live);
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].kind, "Kustomization");
        assert_eq!(owners[0].name, "apps");
        assert_eq!(owners[0].annotation, "reconcile.fluxcd.io/requestedAt");
        let argo = json!({"metadata": {"labels": {"app.kubernetes.io/instance": "web"}}});
        assert_eq!(controller_owners(&argo)[0].kind, "Application");
    }

    #[test]
    fn selectors_match_kind_and_name_with_or_without_namespace() {
        let key = ResourceKey::new("apps", "Deployment", Some("shop"), "web");
        assert!(selects(&[], &key));
        assert!(selects(&["deployment/web".into()], &key));
        assert!(selects(&["Deployment/shop/web".into()], &key));
        assert!(selects(&["apps/Deployment/shop/web".into()], &key));
        assert!(!selects(&["Service/web".into()], &key));
    }

    #[test]
    fn namespaces_and_crds_cascade_unless_selected_exactly() {
        let key = |group: &str, kind: &str, name: &str| ResourceKey {
            group: group.into(),
            kind: kind.into(),
            namespace: None,
            name: name.into(),
        };
        let crd = key(
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            "apps.x.io",
        );
        let reason = cascades(&crd, &[]).expect("a CRD cascades");
        assert!(
            reason.contains("--resource CustomResourceDefinition/apps.x.io"),
            "{reason}"
        );
        assert!(cascades(&crd, &["CustomResourceDefinition/apps.x.io".into()]).is_none());
        let ns = key("", "Namespace", "shop");
        assert!(cascades(&ns, &["Namespace/other".into()]).is_some());
        assert!(cascades(&ns, &["Namespace/shop".into()]).is_none());
        assert!(cascades(&key("", "ConfigMap", "c"), &[]).is_none());
    }
}
