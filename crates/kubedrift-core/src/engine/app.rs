//! One app in one environment: match desired objects with live ones by identity and decide
//! every resource's verdict and health, plus the app's overall sync and health.
//!
//! Pure: the caller brings the rendered desired objects and the live objects it knows of
//! (from a cluster cache, or a `kubectl get -o yaml` dump). Live objects that are not desired
//! count only when they carry a tracking mark of this app (see `ownership`); everything else
//! in the cluster is none of this app's business.

use crate::engine::compare::{compare, CompareOptions, Verdict};
use crate::engine::health::{self, Health, HealthStatus};
use crate::engine::ownership;
use crate::engine::rollout;
use crate::model::{Object, ResourceKey, StoredObject};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One desired object with its identity and where it came from (for messages): what a render
/// produced, compared here and kept by the live state (shared, hence the `Arc`).
///
/// The object is kept as compact JSON text ([`StoredObject`]), like live objects: the live
/// state holds every desired object of every app for as long as it runs, and as parsed
/// `Value`s they were the largest part of its memory (~3.8 KB each at 50k objects). It is
/// read back ([`DesiredResource::value`]) only while it is compared or shown.
///
/// `Debug` shows the identity and origin only, never the object: it may be a Secret.
#[derive(Clone)]
pub struct DesiredResource {
    pub key: ResourceKey,
    pub object: Arc<StoredObject>,
    /// `file:line` of the manifest, when known.
    pub origin: Option<String>,
}

impl DesiredResource {
    pub fn new(key: ResourceKey, object: Object, origin: Option<String>) -> Self {
        DesiredResource {
            key,
            object: Arc::new(StoredObject::new(object)),
            origin,
        }
    }

    /// The object, read back from its stored text (keep it only while needed).
    pub fn value(&self) -> Cow<'_, Object> {
        self.object.value()
    }
}

impl std::fmt::Debug for DesiredResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesiredResource")
            .field("key", &self.key)
            .field("object", &format_args!("<{} hidden>", self.key))
            .field("origin", &self.origin)
            .finish()
    }
}

/// The verdict and health of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceStatus {
    pub key: ResourceKey,
    pub verdict: Verdict,
    /// Health of the live object (`Missing` when it does not exist); None for kinds without
    /// a health rule.
    pub health: Option<Health>,
    /// `file:line` of the desired manifest, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// The app's sync status: the summary of its resources' verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AppSync {
    Synced,
    OutOfSync,
    /// Some verdict could not be decided and none drifted.
    Unknown,
}

/// Result of comparing one app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppComparison {
    /// Sorted by identity, desired and extraneous alike.
    pub resources: Vec<ResourceStatus>,
    pub sync: AppSync,
    /// The worst health among the resources; None when no resource has a health rule.
    pub health: Option<HealthStatus>,
}

impl AppComparison {
    /// True when any resource drifted (OutOfSync, Missing or Extraneous).
    pub fn has_drift(&self) -> bool {
        self.resources.iter().any(|r| r.verdict.is_drift())
    }
}

/// Which live objects belong to the app even when Git no longer has them.
#[derive(Debug, Clone, Copy)]
pub enum Tracking<'a> {
    /// Live objects the app claims (see [`ownership::claims`]: a tracking mark naming the app,
    /// no controller owner, and the same kubedrift environment when `env` is known) are
    /// Extraneous when not desired.
    App {
        name: &'a str,
        /// The app's environment, when known; objects labelled for another environment are
        /// not this app's.
        env: Option<&'a str>,
    },
    /// No app identity is known (offline compare without `--app`): live-only objects are
    /// never Extraneous.
    None,
}

/// Compare one app: every desired resource against its live twin (by identity), plus the
/// live objects tracked to the app that Git does not have — except the workload a desired
/// Argo Rollout takes its template from (`spec.workloadRef`), which the app rolls out.
pub fn compare_app(
    desired: &[DesiredResource],
    live: &HashMap<ResourceKey, &Object>,
    tracking: Tracking<'_>,
    opts: &CompareOptions<'_>,
) -> AppComparison {
    let mut by_key: BTreeMap<&ResourceKey, ResourceStatus> = BTreeMap::new();
    for resource in desired {
        let live_obj = live.get(&resource.key).copied();
        by_key.insert(
            &resource.key,
            resource_status(resource, &resource.value(), live_obj, opts),
        );
    }
    if let Tracking::App { name, env } = tracking {
        for (key, obj) in live {
            if by_key.contains_key(key) || !ownership::claims(obj, name, env) {
                continue;
            }
            let desired_objects = desired
                .iter()
                .filter(|d| rollout::is_rollout_key(&d.key))
                .map(|d| (&d.key, d.value()));
            if rollout::is_referenced_workload(key, desired_objects) {
                continue;
            }
            by_key.insert(
                key,
                ResourceStatus {
                    key: key.clone(),
                    verdict: compare(None, Some(obj), opts),
                    health: health::assess(obj),
                    origin: None,
                },
            );
        }
    }
    let resources: Vec<ResourceStatus> = by_key.into_values().collect();
    let sync = summarize_sync(resources.iter().map(|r| &r.verdict));
    let health = health::worst(
        resources
            .iter()
            .filter_map(|r| r.health.as_ref().map(|h| h.status)),
    );
    AppComparison {
        resources,
        sync,
        health,
    }
}

/// The verdict and health of one desired resource, `desired_object` being its object read
/// back (the caller reads it once, to use it again, e.g. for attribution).
pub fn resource_status(
    resource: &DesiredResource,
    desired_object: &Object,
    live: Option<&Object>,
    opts: &CompareOptions<'_>,
) -> ResourceStatus {
    let verdict = compare(Some(desired_object), live, opts);
    let health = match live {
        Some(obj) => health::assess(obj),
        None => Some(Health {
            status: HealthStatus::Missing,
            message: None,
        }),
    };
    ResourceStatus {
        key: resource.key.clone(),
        verdict,
        health,
        origin: resource.origin.clone(),
    }
}

/// The sync of an app from its resources' verdicts: any drift makes it OutOfSync, else any
/// undecided verdict Unknown, else Synced. One rule for `compare` and the live state.
pub fn summarize_sync<'a>(verdicts: impl Iterator<Item = &'a Verdict> + Clone) -> AppSync {
    if verdicts.clone().any(Verdict::is_drift) {
        AppSync::OutOfSync
    } else if verdicts
        .into_iter()
        .any(|v| matches!(v, Verdict::Unknown { .. }))
    {
        AppSync::Unknown
    } else {
        AppSync::Synced
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ownership::{ARGOCD_INSTANCE_LABEL, KUBEDRIFT_ENV_LABEL};
    use crate::model::TRACKING_LABEL;
    use serde_json::json;

    fn key_of(obj: &Object) -> ResourceKey {
        match ResourceKey::from_object(obj, None, &crate::model::builtin_cluster_scoped) {
            Ok(key) => key,
            Err(err) => panic!("test object has no identity: {err}"),
        }
    }

    /// The `web` Deployment of app1 as the API server returns it after Argo CD applied it.
    fn live_deployment() -> Object {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "shop", "generation": 2,
                "uid": "1e7a3c5b-9d2f-4b6a-8c0e-2f4a6c8e0b1d", "resourceVersion": "88123",
                "creationTimestamp": "2026-03-02T10:00:00Z",
                "labels": {"app.kubernetes.io/name": "web", ARGOCD_INSTANCE_LABEL: "app1"},
                "annotations": {"deployment.kubernetes.io/revision": "2"}
            },
            "spec": {
                "replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "web",
                                            ARGOCD_INSTANCE_LABEL: "app1"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                             "imagePullPolicy": "IfNotPresent",
                                             "terminationMessagePath": "/dev/termination-log",
                                             "terminationMessagePolicy": "File"}],
                             "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                             "schedulerName": "default-scheduler",
                             "terminationGracePeriodSeconds": 30}
                }
            },
            "status": {"observedGeneration": 2, "replicas": 1, "readyReplicas": 1,
                       "availableReplicas": 1, "updatedReplicas": 1}
        })
    }

    fn desired_deployment() -> Object {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop",
                         "labels": {"app.kubernetes.io/name": "web", ARGOCD_INSTANCE_LABEL: "app1"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "web",
                                            ARGOCD_INSTANCE_LABEL: "app1"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
                }
            }
        })
    }

    /// A controller-made child carrying the template's labels.
    fn owned_child(kind: &str, api_version: &str, name: &str, owner_kind: &str) -> Object {
        json!({
            "apiVersion": api_version, "kind": kind,
            "metadata": {
                "name": name, "namespace": "shop",
                "uid": format!("{name}-uid-5c7e9a1b"), "resourceVersion": "88130",
                "creationTimestamp": "2026-03-02T10:00:01Z",
                "labels": {"app.kubernetes.io/name": "web", ARGOCD_INSTANCE_LABEL: "app1",
                           "pod-template-hash": "5d8f9c7b6"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": "web",
                                     "uid": "1e7a3c5b-9d2f-4b6a-8c0e-2f4a6c8e0b1d",
                                     "controller": true, "blockOwnerDeletion": true}]
            },
            "spec": {},
            "status": {}
        })
    }

    #[test]
    fn pods_and_replicasets_made_by_a_controller_are_not_extraneous() {
        let desired_obj = desired_deployment();
        let live_obj = live_deployment();
        let replica_set = owned_child("ReplicaSet", "apps/v1", "web-5d8f9c7b6", "Deployment");
        let pod = owned_child("Pod", "v1", "web-5d8f9c7b6-q8x2z", "ReplicaSet");
        let desired = [DesiredResource {
            key: key_of(&desired_obj),
            object: Arc::new(StoredObject::new(desired_obj.clone())),
            origin: Some("d.yaml:1".into()),
        }];
        let live: HashMap<ResourceKey, &Object> = [&live_obj, &replica_set, &pod]
            .into_iter()
            .map(|o| (key_of(o), o))
            .collect();
        let result = compare_app(
            &desired,
            &live,
            Tracking::App {
                name: "app1",
                env: None,
            },
            &CompareOptions::default(),
        );
        let kinds: Vec<&str> = result.resources.iter().map(|r| &*r.key.kind).collect();
        assert_eq!(kinds, ["Deployment"], "{:?}", result.resources);
        assert_eq!(result.sync, AppSync::Synced, "{:?}", result.resources);
    }

    /// A Rollout taking its template from the Deployment `web` (Argo Rollouts' workloadRef
    /// example), and what its controller makes: ReplicaSets, Pods and an AnalysisRun, all
    /// carrying the app's label and a controller reference to the Rollout.
    fn rollout_app_objects(with_workload_ref: bool) -> (Object, Vec<Object>) {
        let mut spec = json!({
            "replicas": 5,
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}}
        });
        if with_workload_ref {
            spec["workloadRef"] = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                                         "name": "web", "scaleDown": "never"});
        }
        let desired = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop",
                         "labels": {ARGOCD_INSTANCE_LABEL: "app1"}},
            "spec": spec
        });
        let mut live_rollout = desired.clone();
        live_rollout["metadata"]["uid"] = json!("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
        live_rollout["metadata"]["generation"] = json!(1);
        live_rollout["status"] = json!({"observedGeneration": "1", "phase": "Paused",
                                        "message": "CanaryPauseStep", "currentPodHash": "687d76d795",
                                        "stableRS": "7bf84f9696", "currentStepIndex": 1});
        let owned_by_rollout = |kind: &str, api_version: &str, name: &str| {
            let mut child = owned_child(kind, api_version, name, "Rollout");
            child["metadata"]["ownerReferences"][0]["apiVersion"] = json!("argoproj.io/v1alpha1");
            child
        };
        let live = vec![
            live_rollout,
            owned_by_rollout("ReplicaSet", "apps/v1", "web-687d76d795"),
            owned_by_rollout("ReplicaSet", "apps/v1", "web-7bf84f9696"),
            owned_child("Pod", "v1", "web-687d76d795-x2k9p", "ReplicaSet"),
            owned_by_rollout("AnalysisRun", "argoproj.io/v1alpha1", "web-687d76d795-2"),
            // The referenced Deployment, tracked to the app, not in Git.
            live_deployment(),
        ];
        (desired, live)
    }

    fn extraneous_kinds(desired: &Object, live: &[Object]) -> Vec<String> {
        let desired = [DesiredResource {
            key: key_of(desired),
            object: Arc::new(StoredObject::new(desired.clone())),
            origin: None,
        }];
        let live: HashMap<ResourceKey, &Object> = live.iter().map(|o| (key_of(o), o)).collect();
        let tracking = Tracking::App {
            name: "app1",
            env: None,
        };
        compare_app(&desired, &live, tracking, &CompareOptions::default())
            .resources
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::Extraneous))
            .map(|r| r.key.kind.to_string())
            .collect()
    }

    #[test]
    fn a_rollouts_replicasets_pods_analysis_runs_and_workload_are_not_extraneous() {
        let (desired, live) = rollout_app_objects(true);
        assert_eq!(extraneous_kinds(&desired, &live), Vec::<String>::new());
        // Without the workloadRef the tracked Deployment is the app's leftover: Extraneous.
        let (desired, live) = rollout_app_objects(false);
        assert_eq!(extraneous_kinds(&desired, &live), ["Deployment"]);
    }

    #[test]
    fn an_app_in_one_environment_ignores_objects_of_another() {
        let labelled = |namespace: &str, env: &str| -> Object {
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "web-config", "namespace": namespace,
                             "uid": format!("{env}-cm-uid"), "resourceVersion": "4411",
                             "creationTimestamp": "2026-03-02T10:00:00Z",
                             "labels": {TRACKING_LABEL: "web", KUBEDRIFT_ENV_LABEL: env}},
                "data": {"LOG_LEVEL": "info"}
            })
        };
        let dev = labelled("shop-dev", "dev");
        let dev2 = labelled("shop-dev2", "dev2");
        let live: HashMap<ResourceKey, &Object> =
            [&dev, &dev2].into_iter().map(|o| (key_of(o), o)).collect();
        let extraneous_in = |env: &str| -> Vec<String> {
            let tracking = Tracking::App {
                name: "web",
                env: Some(env),
            };
            compare_app(&[], &live, tracking, &CompareOptions::default())
                .resources
                .iter()
                .filter(|r| matches!(r.verdict, Verdict::Extraneous))
                .map(|r| r.key.namespace.as_deref().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(extraneous_in("dev"), ["shop-dev"]);
        assert_eq!(extraneous_in("dev2"), ["shop-dev2"]);
    }

    #[test]
    fn debug_of_a_desired_secret_shows_identity_but_no_data() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db", "namespace": "shop"},
            "data": {"password": "czNjcjN0LWh1bnRlcjItdmFsdWU="},
            "stringData": {"token": "s3cr3t-hunter2-value"}
        });
        let resource = DesiredResource {
            key: key_of(&secret),
            object: Arc::new(StoredObject::new(secret.clone())),
            origin: Some("secret.yaml:1".into()),
        };
        let debug = format!("{resource:?} {resource:#?}");
        assert!(
            debug.contains("db") && debug.contains("secret.yaml:1"),
            "{debug}"
        );
        for leak in [
            "czNjcjN0LWh1bnRlcjItdmFsdWU=",
            "s3cr3t-hunter2-value",
            "password",
            "token",
        ] {
            assert!(!debug.contains(leak), "{leak} leaked: {debug}");
        }
    }

    #[test]
    fn a_desired_object_is_kept_as_text_and_compares_as_the_value_it_was_made_from() {
        let desired_obj = desired_deployment();
        let resource = DesiredResource::new(key_of(&desired_obj), desired_obj.clone(), None);
        assert!(resource.object.text_len() > 0, "kept as text");
        assert_eq!(resource.value().as_ref(), &desired_obj);
        let live_obj = live_deployment();
        let live = HashMap::from([(resource.key.clone(), &live_obj)]);
        let opts = CompareOptions::default();
        let stored = compare_app(
            std::slice::from_ref(&resource),
            &live,
            Tracking::None,
            &opts,
        );
        assert_eq!(
            stored.resources[0].verdict,
            compare(Some(&desired_obj), Some(&live_obj), &opts)
        );
        assert_eq!(stored.resources[0].health, health::assess(&live_obj));
    }
}
