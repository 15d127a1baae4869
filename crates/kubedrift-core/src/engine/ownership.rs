//! Ownership marks: which GitOps app a live object says it belongs to.
//!
//! An object is Extraneous only when it carries a mark tying it to the app being inspected
//! and is absent from Git; objects without a mark are never Extraneous (they belong to
//! someone else, or to no one, and kubedrift does not claim them).
//!
//! Marks understood:
//! - Argo CD annotation tracking: `argocd.argoproj.io/tracking-id` =
//!   `<app>:<group>/<kind>:<namespace>/<name>` (`<app>` is `<app-namespace>_<app>` for apps
//!   outside Argo CD's namespace). As Argo CD does, the group, kind, namespace and name in the
//!   mark must match the object itself; otherwise the object was copied from a tracked one
//!   (e.g. `kubectl get -o yaml | kubectl apply`) and is not claimed. Cluster-scoped objects
//!   carry the app's destination namespace, so an object without namespace matches any.
//! - Argo CD label tracking: `app.kubernetes.io/instance` = `<app>`. Helm charts also set this
//!   label to the release name, so with label tracking a Helm release named like the app is
//!   claimed too, exactly as Argo CD would.
//! - Flux: `kustomize.toolkit.fluxcd.io/name` + `kustomize.toolkit.fluxcd.io/namespace`, and
//!   `helm.toolkit.fluxcd.io/name` + `helm.toolkit.fluxcd.io/namespace` (the Kustomization or
//!   HelmRelease name and its namespace).
//! - kubedrift: [`crate::model::TRACKING_LABEL`] (`kubedrift.io/app`) = app name, with the
//!   environment in [`KUBEDRIFT_ENV_LABEL`] (`kubedrift.io/env`).
//!
//! Malformed or mismatched marks are not marks; [`mark_problems`] explains them so the UI can
//! say why an object is not claimed.

use crate::model::{group_of, TRACKING_LABEL};
use serde::Serialize;
use serde_json::Value;

/// Argo CD's annotation-based tracking mark.
pub const ARGOCD_TRACKING_ID_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";
/// Argo CD's label-based tracking mark (also Helm's release label).
pub const ARGOCD_INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Flux kustomize-controller: name of the Kustomization that applied the object.
pub const FLUX_KUSTOMIZE_NAME_LABEL: &str = "kustomize.toolkit.fluxcd.io/name";
/// Flux kustomize-controller: namespace of that Kustomization.
pub const FLUX_KUSTOMIZE_NAMESPACE_LABEL: &str = "kustomize.toolkit.fluxcd.io/namespace";
/// Flux helm-controller: name of the HelmRelease that installed the object.
pub const FLUX_HELM_NAME_LABEL: &str = "helm.toolkit.fluxcd.io/name";
/// Flux helm-controller: namespace of that HelmRelease.
pub const FLUX_HELM_NAMESPACE_LABEL: &str = "helm.toolkit.fluxcd.io/namespace";
/// kubedrift's environment label, next to [`TRACKING_LABEL`].
pub const KUBEDRIFT_ENV_LABEL: &str = "kubedrift.io/env";

/// The tool whose mark it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Tool {
    ArgoCd,
    Flux,
    Kubedrift,
}

/// The field managers `tool` applies as with server-side apply (Argo CD's server-side sync,
/// Flux's kustomize-controller, kubedrift): their `Apply` managedFields entry records what the
/// tool last applied, as the last-applied annotation does for `kubectl apply`. (Flux's
/// helm-controller writes through Helm's client-side merge: no `Apply` entry to read.)
pub fn field_managers(tool: Tool) -> &'static [&'static str] {
    match tool {
        Tool::ArgoCd => &["argocd-controller"],
        Tool::Flux => &["kustomize-controller"],
        Tool::Kubedrift => &[crate::model::FIELD_MANAGER],
    }
}

/// One claim of ownership found on an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TrackingMark {
    pub tool: Tool,
    /// App name: Argo CD Application, Flux Kustomization/HelmRelease, kubedrift app.
    pub app: String,
    /// Namespace of the app object (Flux; Argo CD apps outside its own namespace).
    pub namespace: Option<String>,
    /// kubedrift environment (`kubedrift.io/env`), for kubedrift marks only.
    pub env: Option<String>,
}

impl TrackingMark {
    fn new(tool: Tool, app: &str, namespace: Option<&str>) -> Self {
        TrackingMark {
            tool,
            app: app.to_string(),
            namespace: namespace.map(str::to_string),
            env: None,
        }
    }

    /// True if this mark names `app`, given as `name`, `namespace/name` or `namespace_name`.
    pub fn names_app(&self, app: &str) -> bool {
        if self.app == app {
            return true;
        }
        match &self.namespace {
            Some(ns) => [format!("{ns}/{}", self.app), format!("{ns}_{}", self.app)]
                .iter()
                .any(|qualified| qualified == app),
            None => false,
        }
    }
}

/// Why something that looks like a mark is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkError {
    #[error("annotation {ARGOCD_TRACKING_ID_ANNOTATION}={value:?} is malformed: expected <app>:<group>/<kind>:<namespace>/<name>")]
    MalformedTrackingId { value: String },
    #[error("annotation {ARGOCD_TRACKING_ID_ANNOTATION}={value:?} names {claimed}, but the object is {actual}: not claimed (copied from a tracked object?)")]
    TrackingIdMismatch {
        value: String,
        claimed: String,
        actual: String,
    },
    #[error("{key} must be a non-empty string")]
    InvalidValue { key: String },
    #[error("label {present} is set but {missing} is not")]
    IncompletePair {
        present: &'static str,
        missing: &'static str,
    },
}

/// All valid ownership marks on `obj` (duplicates removed, in a stable order).
pub fn tracking_marks(obj: &Value) -> Vec<TrackingMark> {
    inspect(obj).0
}

/// Marks on `obj` that were rejected, and why.
pub fn mark_problems(obj: &Value) -> Vec<MarkError> {
    inspect(obj).1
}

/// True if `obj` carries a valid mark naming `app` (any tool). `app` may be qualified with
/// the app's namespace (`namespace/name` or `namespace_name`) to match namespaced marks only.
///
/// This only reads marks; whether the app may report the object as Extraneous is
/// [`claims`].
pub fn is_tracked_to(obj: &Value, app: &str) -> bool {
    Ownership::of(obj).is_tracked_to(app)
}

/// True if the app `app` (in environment `env`, when known) owns `obj` although Git may not
/// have it, i.e. `obj` is Extraneous to the app when not desired. The one place that decides
/// this, for the offline compare and the live state alike.
///
/// - `obj` must carry a valid mark naming `app` ([`is_tracked_to`]).
/// - Objects with a controller `ownerReference` are never claimed: Pods of a ReplicaSet,
///   ReplicaSets of a Deployment, Jobs of a CronJob are made by a controller, which copies
///   the template labels (including `app.kubernetes.io/instance`) onto them; Git never has
///   them and their owner is what the app manages.
/// - When `env` is given and the object says which kubedrift environment it belongs to
///   ([`KUBEDRIFT_ENV_LABEL`]), the two must agree: with `web@dev` and `web@dev2` on one
///   cluster, each claims only its own objects. An object without the label is claimed by
///   any environment of the app (other tools' marks carry no environment).
pub fn claims(obj: &Value, app: &str, env: Option<&str>) -> bool {
    Ownership::of(obj).claims(app, env)
}

/// What [`is_tracked_to`] and [`claims`] read of an object, read once. The live state keeps it
/// beside each live object (stored as text) and asks it for every app, without reading the
/// object again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ownership {
    marks: Box<[TrackingMark]>,
    controller_owned: bool,
    env: Option<Box<str>>,
}

impl Ownership {
    pub fn of(obj: &Value) -> Self {
        Ownership {
            marks: tracking_marks(obj).into_boxed_slice(),
            controller_owned: has_controller_owner(obj),
            env: object_env(obj).map(Box::from),
        }
    }

    /// [`is_tracked_to`] of the object this was read from.
    pub fn is_tracked_to(&self, app: &str) -> bool {
        !app.is_empty() && self.marks.iter().any(|m| m.names_app(app))
    }

    /// Every app name [`Ownership::is_tracked_to`] accepts: each mark's bare name, and
    /// qualified with the mark's namespace (`ns/app`, `ns_app`). The state indexes live
    /// objects by these names.
    pub fn tracked_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for mark in self.marks.iter() {
            let mut candidates = vec![mark.app.clone()];
            if let Some(namespace) = &mark.namespace {
                candidates.push(format!("{namespace}/{}", mark.app));
                candidates.push(format!("{namespace}_{}", mark.app));
            }
            for name in candidates {
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// [`claims`] of the object this was read from.
    pub fn claims(&self, app: &str, env: Option<&str>) -> bool {
        if self.controller_owned || !self.is_tracked_to(app) {
            return false;
        }
        match (env, self.env.as_deref()) {
            (Some(wanted), Some(labelled)) => wanted == labelled,
            _ => true,
        }
    }
}

/// True if `metadata.ownerReferences` has an entry with `controller: true`.
pub fn has_controller_owner(obj: &Value) -> bool {
    obj.get("metadata")
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        })
}

/// The kubedrift environment label of `obj`, when it is a non-empty string (what [`claims`]
/// matches the wanted environment against).
pub fn object_env(obj: &Value) -> Option<&str> {
    let labels = obj.get("metadata").and_then(|m| m.get("labels"));
    match string_entry(labels, KUBEDRIFT_ENV_LABEL) {
        Entry::Value(env) => Some(env),
        Entry::Absent | Entry::Invalid => None,
    }
}

fn inspect(obj: &Value) -> (Vec<TrackingMark>, Vec<MarkError>) {
    let mut marks = Vec::new();
    let mut problems = Vec::new();
    let metadata = obj.get("metadata");
    let labels = metadata.and_then(|m| m.get("labels"));
    let annotations = metadata.and_then(|m| m.get("annotations"));

    // Argo CD annotation tracking.
    match string_entry(annotations, ARGOCD_TRACKING_ID_ANNOTATION) {
        Entry::Absent => {}
        Entry::Invalid => problems.push(MarkError::InvalidValue {
            key: ARGOCD_TRACKING_ID_ANNOTATION.to_string(),
        }),
        Entry::Value(value) => match argo_tracking_mark(obj, value) {
            Ok(mark) => marks.push(mark),
            Err(problem) => problems.push(problem),
        },
    }

    // Argo CD label tracking.
    match string_entry(labels, ARGOCD_INSTANCE_LABEL) {
        Entry::Absent => {}
        Entry::Invalid => problems.push(MarkError::InvalidValue {
            key: ARGOCD_INSTANCE_LABEL.to_string(),
        }),
        Entry::Value(value) => {
            let (namespace, app) = split_app_namespace(value);
            marks.push(TrackingMark::new(Tool::ArgoCd, app, namespace));
        }
    }

    // Flux: Kustomization and HelmRelease.
    for (name_label, namespace_label) in [
        (FLUX_KUSTOMIZE_NAME_LABEL, FLUX_KUSTOMIZE_NAMESPACE_LABEL),
        (FLUX_HELM_NAME_LABEL, FLUX_HELM_NAMESPACE_LABEL),
    ] {
        let name = string_entry(labels, name_label);
        let namespace = string_entry(labels, namespace_label);
        match (name, namespace) {
            (Entry::Absent, Entry::Absent) => {}
            (Entry::Invalid, _) => problems.push(MarkError::InvalidValue {
                key: name_label.to_string(),
            }),
            (_, Entry::Invalid) => problems.push(MarkError::InvalidValue {
                key: namespace_label.to_string(),
            }),
            (Entry::Absent, Entry::Value(_)) => problems.push(MarkError::IncompletePair {
                present: namespace_label,
                missing: name_label,
            }),
            // Flux always writes both; a name alone still says who applied the object.
            (Entry::Value(name), Entry::Absent) => {
                marks.push(TrackingMark::new(Tool::Flux, name, None));
            }
            (Entry::Value(name), Entry::Value(namespace)) => {
                marks.push(TrackingMark::new(Tool::Flux, name, Some(namespace)));
            }
        }
    }

    // kubedrift's own label.
    match string_entry(labels, TRACKING_LABEL) {
        Entry::Absent => {}
        Entry::Invalid => problems.push(MarkError::InvalidValue {
            key: TRACKING_LABEL.to_string(),
        }),
        Entry::Value(app) => {
            let mut mark = TrackingMark::new(Tool::Kubedrift, app, None);
            match string_entry(labels, KUBEDRIFT_ENV_LABEL) {
                Entry::Value(env) => mark.env = Some(env.to_string()),
                Entry::Invalid => problems.push(MarkError::InvalidValue {
                    key: KUBEDRIFT_ENV_LABEL.to_string(),
                }),
                Entry::Absent => {}
            }
            marks.push(mark);
        }
    }

    let mut unique: Vec<TrackingMark> = Vec::with_capacity(marks.len());
    for mark in marks {
        if !unique.contains(&mark) {
            unique.push(mark);
        }
    }
    (unique, problems)
}

/// A label or annotation read defensively.
enum Entry<'a> {
    Absent,
    /// Present but not a non-empty string.
    Invalid,
    Value(&'a str),
}

fn string_entry<'a>(map: Option<&'a Value>, key: &str) -> Entry<'a> {
    match map.and_then(|m| m.get(key)) {
        None | Some(Value::Null) => Entry::Absent,
        Some(Value::String(s)) if !s.trim().is_empty() => Entry::Value(s.trim()),
        Some(_) => Entry::Invalid,
    }
}

/// Argo CD writes `<app-namespace>_<app>` for apps outside its own namespace; `_` cannot
/// appear in Kubernetes names, so the split is unambiguous.
fn split_app_namespace(value: &str) -> (Option<&str>, &str) {
    match value.split_once('_') {
        Some((namespace, app)) if !namespace.is_empty() && !app.is_empty() => {
            (Some(namespace), app)
        }
        _ => (None, value),
    }
}

/// Parse and validate an Argo CD tracking-id against the object carrying it.
fn argo_tracking_mark(obj: &Value, value: &str) -> Result<TrackingMark, MarkError> {
    let malformed = || MarkError::MalformedTrackingId {
        value: value.to_string(),
    };
    let parts: Vec<&str> = value.split(':').collect();
    let [app, group_kind, namespace_name] = parts.as_slice() else {
        return Err(malformed());
    };
    let (group, kind) = split_exactly_once(group_kind, '/').ok_or_else(malformed)?;
    let (namespace, name) = split_exactly_once(namespace_name, '/').ok_or_else(malformed)?;
    if app.is_empty() || kind.is_empty() || name.is_empty() {
        return Err(malformed());
    }

    let actual_group = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(group_of)
        .unwrap_or("");
    let metadata = obj.get("metadata");
    let actual_kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let actual_name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let actual_namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let matches = group == actual_group
        && kind == actual_kind
        && name == actual_name
        && (actual_namespace.is_empty() || namespace == actual_namespace);
    if !matches {
        return Err(MarkError::TrackingIdMismatch {
            value: value.to_string(),
            claimed: format!("{group}/{kind}:{namespace}/{name}"),
            actual: format!("{actual_group}/{actual_kind}:{actual_namespace}/{actual_name}"),
        });
    }
    let (app_namespace, app) = split_app_namespace(app);
    Ok(TrackingMark::new(Tool::ArgoCd, app, app_namespace))
}

/// `a/b` → `(a, b)`; `None` unless there is exactly one separator.
fn split_exactly_once(text: &str, separator: char) -> Option<(&str, &str)> {
    let (left, right) = text.split_once(separator)?;
    (!right.contains(separator)).then_some((left, right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment as the API server returns it, with the given labels and annotations.
    fn live_deployment(namespace: &str, name: &str, labels: Value, annotations: Value) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": "3f4c2a9e-0b7d-4c55-9a53-61b1a0f1c8d2",
                "resourceVersion": "9912834",
                "generation": 6,
                "creationTimestamp": "2026-02-11T08:14:03Z",
                "labels": labels,
                "annotations": annotations,
                "managedFields": [{
                    "manager": "argocd-controller", "operation": "Apply", "apiVersion": "apps/v1",
                    "time": "2026-02-11T08:14:03Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:annotations": {"f:argocd.argoproj.io/tracking-id": {}}}}
                }]
            },
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": name}}},
            "status": {"observedGeneration": 6, "replicas": 3, "readyReplicas": 3}
        })
    }

    fn argo(app: &str, namespace: Option<&str>) -> TrackingMark {
        TrackingMark::new(Tool::ArgoCd, app, namespace)
    }

    #[test]
    fn argo_tracking_id_matching_the_object_is_a_mark() {
        let obj = live_deployment(
            "shop",
            "web",
            json!({"app.kubernetes.io/name": "web"}),
            json!({ARGOCD_TRACKING_ID_ANNOTATION: "shop-prod:apps/Deployment:shop/web"}),
        );
        assert_eq!(tracking_marks(&obj), vec![argo("shop-prod", None)]);
        assert!(is_tracked_to(&obj, "shop-prod"));
        assert!(!is_tracked_to(&obj, "shop"));
        assert!(!is_tracked_to(&obj, ""));
        assert!(mark_problems(&obj).is_empty());
    }

    #[test]
    fn argo_app_outside_control_plane_namespace_is_qualified() {
        let obj = live_deployment(
            "shop",
            "web",
            json!({}),
            json!({ARGOCD_TRACKING_ID_ANNOTATION: "team-a_shop-prod:apps/Deployment:shop/web"}),
        );
        assert_eq!(
            tracking_marks(&obj),
            vec![argo("shop-prod", Some("team-a"))]
        );
        assert!(is_tracked_to(&obj, "shop-prod"));
        assert!(is_tracked_to(&obj, "team-a/shop-prod"));
        assert!(is_tracked_to(&obj, "team-a_shop-prod"));
        assert!(!is_tracked_to(&obj, "team-b/shop-prod"));
    }

    #[test]
    fn copied_object_with_someone_elses_tracking_id_is_not_claimed() {
        // `kubectl get deploy web -o yaml | sed s/web/web-debug/ | kubectl apply -f -`
        let copied_name = live_deployment(
            "shop",
            "web-debug",
            json!({}),
            json!({ARGOCD_TRACKING_ID_ANNOTATION: "shop-prod:apps/Deployment:shop/web"}),
        );
        let copied_namespace = live_deployment(
            "shop-staging",
            "web",
            json!({}),
            json!({ARGOCD_TRACKING_ID_ANNOTATION: "shop-prod:apps/Deployment:shop/web"}),
        );
        let wrong_group = live_deployment(
            "shop",
            "web",
            json!({}),
            json!({ARGOCD_TRACKING_ID_ANNOTATION: "shop-prod:extensions/Deployment:shop/web"}),
        );
        for obj in [&copied_name, &copied_namespace, &wrong_group] {
            assert!(tracking_marks(obj).is_empty());
            assert!(!is_tracked_to(obj, "shop-prod"));
            let problems = mark_problems(obj);
            assert!(
                matches!(problems.as_slice(), [MarkError::TrackingIdMismatch { .. }]),
                "{problems:?}"
            );
        }
        let message = mark_problems(&copied_name)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(
            message.contains("apps/Deployment:shop/web-debug"),
            "{message}"
        );
    }

    #[test]
    fn malformed_tracking_ids_are_reported_not_claimed() {
        for bad in [
            "shop-prod",
            "shop-prod:apps/Deployment",
            "shop-prod:apps/Deployment:shop/web:extra",
            "shop-prod:Deployment:shop/web",
            "shop-prod:apps/Deployment:web",
            "shop-prod:apps/v1/Deployment:shop/web",
            ":apps/Deployment:shop/web",
            "shop-prod:apps/:shop/web",
            "shop-prod:apps/Deployment:shop/",
        ] {
            let obj = live_deployment(
                "shop",
                "web",
                json!({}),
                json!({ARGOCD_TRACKING_ID_ANNOTATION: bad}),
            );
            assert!(tracking_marks(&obj).is_empty(), "{bad}");
            assert_eq!(
                mark_problems(&obj),
                vec![MarkError::MalformedTrackingId {
                    value: bad.to_string()
                }],
                "{bad}"
            );
        }
        let not_a_string = live_deployment(
            "shop",
            "web",
            json!({}),
            json!({ARGOCD_TRACKING_ID_ANNOTATION: 42}),
        );
        assert!(tracking_marks(&not_a_string).is_empty());
        assert_eq!(mark_problems(&not_a_string).len(), 1);
    }

    #[test]
    fn cluster_scoped_object_matches_tracking_id_with_destination_namespace() {
        let cluster_role = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {
                "name": "shop-reader",
                "uid": "0b3d5f7a-9c1e-4a2b-8d4f-6a8c0e2b4d6f",
                "resourceVersion": "5512",
                "annotations": {ARGOCD_TRACKING_ID_ANNOTATION:
                    "shop-prod:rbac.authorization.k8s.io/ClusterRole:shop/shop-reader"}
            },
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]
        });
        assert_eq!(tracking_marks(&cluster_role), vec![argo("shop-prod", None)]);
        let core_service = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop",
                         "annotations": {ARGOCD_TRACKING_ID_ANNOTATION: "shop-prod:/Service:shop/web"}}
        });
        assert!(is_tracked_to(&core_service, "shop-prod"));
    }

    #[test]
    fn argo_instance_label_is_a_mark_and_annotation_duplicates_collapse() {
        let obj = live_deployment(
            "shop",
            "web",
            json!({ARGOCD_INSTANCE_LABEL: "shop-prod"}),
            json!({ARGOCD_TRACKING_ID_ANNOTATION: "shop-prod:apps/Deployment:shop/web"}),
        );
        assert_eq!(tracking_marks(&obj), vec![argo("shop-prod", None)]);
        let label_only = live_deployment(
            "shop",
            "web",
            json!({ARGOCD_INSTANCE_LABEL: "shop-prod"}),
            json!({}),
        );
        assert!(is_tracked_to(&label_only, "shop-prod"));
    }

    #[test]
    fn flux_kustomization_and_helm_release_labels_are_marks() {
        let kustomized = live_deployment(
            "shop",
            "web",
            json!({FLUX_KUSTOMIZE_NAME_LABEL: "apps", FLUX_KUSTOMIZE_NAMESPACE_LABEL: "flux-system"}),
            json!({}),
        );
        assert_eq!(
            tracking_marks(&kustomized),
            vec![TrackingMark::new(Tool::Flux, "apps", Some("flux-system"))]
        );
        assert!(is_tracked_to(&kustomized, "apps"));
        assert!(is_tracked_to(&kustomized, "flux-system/apps"));
        assert!(!is_tracked_to(&kustomized, "team-a/apps"));

        let helm = live_deployment(
            "shop",
            "redis-master",
            json!({
                FLUX_HELM_NAME_LABEL: "redis", FLUX_HELM_NAMESPACE_LABEL: "shop",
                ARGOCD_INSTANCE_LABEL: "redis", "app.kubernetes.io/managed-by": "Helm"
            }),
            json!({"meta.helm.sh/release-name": "redis", "meta.helm.sh/release-namespace": "shop"}),
        );
        let marks = tracking_marks(&helm);
        assert!(marks.contains(&TrackingMark::new(Tool::Flux, "redis", Some("shop"))));

        let half = live_deployment(
            "shop",
            "web",
            json!({FLUX_KUSTOMIZE_NAMESPACE_LABEL: "flux-system"}),
            json!({}),
        );
        assert!(tracking_marks(&half).is_empty());
        assert_eq!(
            mark_problems(&half),
            vec![MarkError::IncompletePair {
                present: FLUX_KUSTOMIZE_NAMESPACE_LABEL,
                missing: FLUX_KUSTOMIZE_NAME_LABEL
            }]
        );
    }

    #[test]
    fn kubedrift_label_with_env_is_a_mark() {
        let obj = live_deployment(
            "shop",
            "web",
            json!({TRACKING_LABEL: "shop", KUBEDRIFT_ENV_LABEL: "prod"}),
            json!({}),
        );
        let marks = tracking_marks(&obj);
        assert_eq!(marks.len(), 1);
        assert_eq!(marks[0].tool, Tool::Kubedrift);
        assert_eq!(marks[0].app, "shop");
        assert_eq!(marks[0].env.as_deref(), Some("prod"));
        assert!(is_tracked_to(&obj, "shop"));
        assert!(!is_tracked_to(&obj, "prod"));
    }

    #[test]
    fn objects_without_marks_are_never_tracked() {
        let plain = live_deployment(
            "shop",
            "web",
            json!({"app.kubernetes.io/name": "web"}),
            json!({}),
        );
        assert!(tracking_marks(&plain).is_empty());
        assert!(!is_tracked_to(&plain, "web"));
        let empty_label = live_deployment("shop", "web", json!({TRACKING_LABEL: "  "}), json!({}));
        assert!(tracking_marks(&empty_label).is_empty());
        assert_eq!(mark_problems(&empty_label).len(), 1);
        for weird in [
            json!(null),
            json!("Deployment"),
            json!({"metadata": []}),
            json!({"metadata": {"labels": "x", "annotations": [1]}}),
        ] {
            assert!(tracking_marks(&weird).is_empty());
            assert!(!is_tracked_to(&weird, "shop"));
        }
    }

    /// A Pod as the API server returns it for a ReplicaSet of the `web` Deployment: the
    /// template's labels, including Argo CD's instance label, are copied onto it.
    fn live_pod_of_replicaset(owner_refs: Value) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-7c9f8d6b5-x2kqp",
                "generateName": "web-7c9f8d6b5-",
                "namespace": "shop",
                "uid": "b2f0e6c4-51a3-4f0e-9d7b-2c8e4a6f1d30",
                "resourceVersion": "9913001",
                "creationTimestamp": "2026-02-11T08:14:09Z",
                "labels": {
                    "app.kubernetes.io/name": "web",
                    ARGOCD_INSTANCE_LABEL: "app1",
                    "pod-template-hash": "7c9f8d6b5"
                },
                "ownerReferences": owner_refs,
                "managedFields": [{
                    "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                    "time": "2026-02-11T08:14:09Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:ownerReferences": {}}}
                }]
            },
            "spec": {
                "containers": [{"name": "web", "image": "ghcr.io/shop/web:1.4.2",
                                "imagePullPolicy": "IfNotPresent",
                                "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File"}],
                "nodeName": "node-a", "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 30
            },
            "status": {"phase": "Running", "podIP": "10.244.1.17"}
        })
    }

    #[test]
    fn controller_owned_objects_are_never_claimed() {
        let pod = live_pod_of_replicaset(json!([{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7c9f8d6b5",
            "uid": "6a1d3c5e-7f9b-4d2a-8c4e-0f2a4c6e8a1b",
            "controller": true, "blockOwnerDeletion": true
        }]));
        // The mark is there (the UI may show it) ...
        assert!(is_tracked_to(&pod, "app1"));
        assert!(has_controller_owner(&pod));
        // ... but the app does not own what a controller made.
        assert!(!claims(&pod, "app1", None));
        assert!(!claims(&pod, "app1", Some("prod")));
    }

    #[test]
    fn non_controller_owner_references_do_not_prevent_a_claim() {
        // e.g. a ConfigMap garbage-collected with a CR, but applied from Git.
        let pod = live_pod_of_replicaset(json!([{
            "apiVersion": "v1", "kind": "ConfigMap", "name": "anchor",
            "uid": "0c2e4a6f-8b1d-4f3a-9e5c-7a9b1d3f5e7a"
        }]));
        assert!(!has_controller_owner(&pod));
        assert!(claims(&pod, "app1", None));
        for odd in [
            json!([]),
            json!("web"),
            json!([{"controller": "true"}]),
            json!(null),
        ] {
            let obj = live_pod_of_replicaset(odd.clone());
            assert!(!has_controller_owner(&obj), "{odd}");
            assert!(claims(&obj, "app1", None), "{odd}");
        }
        assert!(!claims(&pod, "app2", None));
    }

    #[test]
    fn an_environment_claims_only_objects_of_its_own_environment() {
        // web@dev and web@dev2 share one cluster.
        let dev = live_deployment(
            "shop-dev",
            "web",
            json!({TRACKING_LABEL: "web", KUBEDRIFT_ENV_LABEL: "dev"}),
            json!({}),
        );
        let dev2 = live_deployment(
            "shop-dev2",
            "web",
            json!({TRACKING_LABEL: "web", KUBEDRIFT_ENV_LABEL: "dev2"}),
            json!({}),
        );
        assert!(claims(&dev, "web", Some("dev")));
        assert!(!claims(&dev2, "web", Some("dev")));
        assert!(claims(&dev2, "web", Some("dev2")));
        assert!(!claims(&dev, "web", Some("dev2")));
        // Without a known environment (offline compare without --env), both are the app's.
        assert!(claims(&dev, "web", None));
        assert!(claims(&dev2, "web", None));
        // An Argo CD instance label does not override an explicit environment label.
        let both = live_deployment(
            "shop-dev2",
            "web",
            json!({ARGOCD_INSTANCE_LABEL: "web", KUBEDRIFT_ENV_LABEL: "dev2"}),
            json!({}),
        );
        assert!(!claims(&both, "web", Some("dev")));
        // No env label: any environment of the app claims it.
        let unlabelled = live_deployment("shop", "web", json!({TRACKING_LABEL: "web"}), json!({}));
        assert!(claims(&unlabelled, "web", Some("dev")));
        assert!(!claims(&unlabelled, "api", Some("dev")));
    }
}
