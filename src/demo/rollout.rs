//! The demo's progressive-delivery app: `recommendations`, upgraded by an Argo Rollouts
//! canary (the steps of the Argo Rollouts getting-started guide), so the Rollout view can be
//! seen without a Rollouts controller.
//!
//! The Rollout CRD is installed on every demo cluster; the app's manifests (a Rollout and its
//! Service) live in Git like the other apps (`envs/<env>/recommendations`, plain YAML in both
//! layouts). What the controller would write is written by the demo through the sandbox:
//! the status (the `status` subresource, manager `rollouts-controller`) and the ReplicaSets
//! owned by the Rollout. dev and prod are fully promoted; stage is paused mid-canary, at step
//! 4 of 8 with 40% of the traffic on 0.8.0 and a background analysis running.

use super::apps::{env_index, to_yaml};
use super::DemoError;
use crate::model::TRACKING_LABEL;
use crate::sandbox::api_server::{PatchKind, Subresource};
use crate::sandbox::ClusterHandle;
use serde_json::{json, Value};

pub const APP: &str = "recommendations";
pub const NAMESPACE: &str = "shop";
const IMAGE: &str = "ghcr.io/acme/recommendations";
/// Image tag per environment (dev, stage, prod): stage is canarying dev's release over prod's.
pub const TAGS: [&str; 3] = ["0.8.0", "0.8.0", "0.7.5"];
const REPLICAS: [u32; 3] = [1, 5, 5];
/// Field manager of what the Rollouts controller writes.
const CONTROLLER: &str = "rollouts-controller";
/// Pod template hashes of the two releases (what the controller would compute).
const HASH_NEW: &str = "7f9c6d5b8";
const HASH_OLD: &str = "6d4b8c9f7";
/// The stage canary's position: the `pause: {duration: 10m}` after `setWeight: 40`.
const STAGE_STEP: u64 = 3;

/// The canary steps: 20% and wait for a person, then 40/60/80% ten minutes apart.
fn steps() -> Value {
    json!([
        {"setWeight": 20}, {"pause": {}},
        {"setWeight": 40}, {"pause": {"duration": "10m"}},
        {"setWeight": 60}, {"pause": {"duration": "10m"}},
        {"setWeight": 80}, {"pause": {"duration": "10m"}},
    ])
}

fn labels() -> Value {
    json!({
        "app.kubernetes.io/name": APP,
        "app.kubernetes.io/part-of": "acme-shop",
        TRACKING_LABEL: APP,
    })
}

/// The objects of `env` as Git has them: the Rollout and its Service.
pub fn objects_for(env: &str) -> Vec<Value> {
    let i = env_index(env);
    let metadata = json!({"name": APP, "namespace": NAMESPACE, "labels": labels()});
    let selector = json!({"app.kubernetes.io/name": APP});
    vec![
        json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": metadata,
            "spec": {
                "replicas": REPLICAS[i],
                "revisionHistoryLimit": 2,
                "selector": {"matchLabels": selector},
                "strategy": {"canary": {
                    "analysis": {"templates": [{"templateName": "success-rate"}],
                                 "startingStep": 2,
                                 "args": [{"name": "service-name", "value": APP}]},
                    "steps": steps(),
                }},
                "template": {
                    "metadata": {"labels": labels()},
                    "spec": {"containers": [{
                        "name": APP,
                        "image": format!("{IMAGE}:{}", TAGS[i]),
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                    }]},
                },
            },
        }),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata,
            "spec": {
                "selector": selector,
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        }),
    ]
}

/// The files of `envs/<env>/recommendations` (plain YAML in both layouts).
pub fn env_files(env: &str) -> Vec<(String, String)> {
    let text = objects_for(env)
        .iter()
        .map(to_yaml)
        .collect::<Vec<_>>()
        .join("---\n");
    vec![(format!("envs/{env}/{APP}/{APP}.yaml"), text)]
}

/// The Rollout CRD as Argo Rollouts installs it (schema trimmed: unknown fields preserved),
/// with its status and scale subresources and the columns `kubectl get rollouts` prints.
pub fn rollout_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "rollouts.argoproj.io"},
        "spec": {
            "group": "argoproj.io",
            "names": {"kind": "Rollout", "listKind": "RolloutList", "plural": "rollouts",
                      "shortNames": ["ro"], "singular": "rollout"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1alpha1", "served": true, "storage": true,
                "subresources": {
                    "status": {},
                    "scale": {"specReplicasPath": ".spec.replicas",
                              "statusReplicasPath": ".status.HPAReplicas",
                              "labelSelectorPath": ".status.selector"},
                },
                "schema": {"openAPIV3Schema": {"type": "object",
                                               "x-kubernetes-preserve-unknown-fields": true}},
                "additionalPrinterColumns": [
                    {"name": "Desired", "type": "integer", "jsonPath": ".spec.replicas",
                     "description": "Number of desired pods"},
                    {"name": "Current", "type": "integer", "jsonPath": ".status.replicas",
                     "description": "Total number of non-terminated pods targeted by this rollout"},
                    {"name": "Up-to-date", "type": "integer",
                     "jsonPath": ".status.updatedReplicas",
                     "description": "Total number of non-terminated pods targeted by this rollout that have the desired template spec"},
                    {"name": "Available", "type": "integer",
                     "jsonPath": ".status.availableReplicas",
                     "description": "Total number of available pods (ready for at least minReadySeconds) targeted by this rollout"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
                     "description": "Time since resource was created"},
                ],
            }],
        },
    })
}

fn trouble(env: &str, what: &str, error: impl std::fmt::Display) -> DemoError {
    DemoError::Trouble(format!("{env}: {what}: {error}"))
}

/// Install the Rollout CRD (as `kubectl apply` of the Argo Rollouts install manifest would).
pub fn install_crd(cluster: &ClusterHandle, env: &str) -> Result<(), DemoError> {
    cluster
        .create(rollout_crd(), "kubectl-client-side-apply")
        .map_err(|e| trouble(env, "installing the Rollout CRD", e))?;
    Ok(())
}

/// What the controller writes for `env`'s Rollout (already applied from Git): its status and
/// its ReplicaSets.
pub fn write_controller_state(cluster: &ClusterHandle, env: &str) -> Result<(), DemoError> {
    let rollout = cluster
        .object("argoproj.io/v1alpha1", "Rollout", Some(NAMESPACE), APP)
        .ok_or_else(|| trouble(env, "the Rollout", "not found after apply"))?;
    let text = |pointer: &str| {
        rollout
            .pointer(pointer)
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let (generation, uid) = (text("/metadata/generation"), text("/metadata/uid"));
    let i = env_index(env);
    let replicas = REPLICAS[i];
    let (status, replica_sets) = if env == "stage" {
        let canary = 2;
        let status = json!({
            "observedGeneration": generation,
            "phase": "Paused",
            "message": "CanaryPauseStep",
            "currentPodHash": HASH_NEW,
            "stableRS": HASH_OLD,
            "currentStepIndex": STAGE_STEP,
            "currentStepHash": "5c9d8f7b6",
            "replicas": replicas,
            "updatedReplicas": canary,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "HPAReplicas": replicas,
            "selector": format!("app.kubernetes.io/name={APP}"),
            "controllerPause": true,
            "pauseConditions": [{"reason": "CanaryPauseStep",
                                 "startTime": jiff::Timestamp::now().to_string()}],
            "canary": {"currentBackgroundAnalysisRunStatus": {
                "name": format!("{APP}-{HASH_NEW}-4"), "status": "Running"}},
        });
        (
            status,
            vec![
                (HASH_OLD, TAGS[2], replicas - canary),
                (HASH_NEW, TAGS[1], canary),
            ],
        )
    } else {
        let hash = if TAGS[i] == TAGS[2] {
            HASH_OLD
        } else {
            HASH_NEW
        };
        let status = json!({
            "observedGeneration": generation,
            "phase": "Healthy",
            "currentPodHash": hash,
            "stableRS": hash,
            "currentStepIndex": steps().as_array().map_or(0, Vec::len),
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "HPAReplicas": replicas,
            "selector": format!("app.kubernetes.io/name={APP}"),
        });
        (status, vec![(hash, TAGS[i], replicas)])
    };
    cluster
        .patch(
            "argoproj.io/v1alpha1",
            "Rollout",
            Some(NAMESPACE),
            APP,
            Subresource::Status,
            PatchKind::Merge,
            &json!({ "status": status }),
            CONTROLLER,
        )
        .map_err(|e| trouble(env, "writing the Rollout's status", e))?;
    for (hash, tag, count) in replica_sets {
        cluster
            .create(replica_set(&uid, hash, tag, count), CONTROLLER)
            .map_err(|e| trouble(env, "creating the Rollout's ReplicaSet", e))?;
    }
    Ok(())
}

/// A ReplicaSet of the Rollout as its controller makes one: the template's labels (tracking
/// label included) plus the pod template hash, and a controller reference to the Rollout.
fn replica_set(rollout_uid: &str, hash: &str, tag: &str, replicas: u32) -> Value {
    let mut pod_labels = labels();
    pod_labels["rollouts-pod-template-hash"] = json!(hash);
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{APP}-{hash}"),
            "namespace": NAMESPACE,
            "labels": pod_labels,
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                 "name": APP, "uid": rollout_uid,
                                 "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": APP,
                                         "rollouts-pod-template-hash": hash}},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {"containers": [{
                    "name": APP,
                    "image": format!("{IMAGE}:{tag}"),
                    "ports": [{"name": "http", "containerPort": 8080}],
                }]},
            },
        },
    })
}
