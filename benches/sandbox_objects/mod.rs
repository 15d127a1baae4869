//! The realistic objects the live benches measure (`live_store`, `wire_decode`): ConfigMaps,
//! Services and Deployments server-side applied to a sandbox API server by `kubedrift` (so
//! they carry managedFields, uid, resourceVersion, timestamps); Deployments also get a status
//! written by `kube-controller-manager` (conditions, replica counts, a second managedFields
//! entry).

use kubedrift::model::Object;
use kubedrift::sandbox::api_server::{PatchKind, Subresource};
use kubedrift::sandbox::{Sandbox, SandboxOptions};
use serde_json::json;
use std::time::Duration;

/// The one cluster (and environment label) of the benches.
pub const CONTEXT: &str = "c00";
pub const NAMESPACE: &str = "bench";

/// The kinds [`manifest`] makes: (group, version, kind, plural).
pub const KINDS: [(&str, &str, &str, &str); 3] = [
    ("", "v1", "ConfigMap", "configmaps"),
    ("", "v1", "Service", "services"),
    ("apps", "v1", "Deployment", "deployments"),
];

/// Object `i`: a ConfigMap, a Service or a Deployment (`i % 3`), as Git would have it.
pub fn manifest(i: usize) -> Object {
    let labels =
        json!({"app.kubernetes.io/part-of": "bench", "kubedrift.io/app": "bench", "env": CONTEXT});
    match i % 3 {
        0 => json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": format!("cfg-{i:05}"), "namespace": NAMESPACE, "labels": labels},
                    "data": {"LOG_LEVEL": "info", "SHARD": i.to_string()}}),
        1 => json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": format!("svc-{i:05}"), "namespace": NAMESPACE, "labels": labels},
                    "spec": {"selector": {"app": format!("w-{i:05}")},
                             "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
        _ => json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": format!("w-{i:05}"), "namespace": NAMESPACE, "labels": labels},
                    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": format!("w-{i:05}")}},
                             "template": {"metadata": {"labels": {"app": format!("w-{i:05}")}},
                                          "spec": {"containers": [{"name": "app", "image": "registry.example.com/w:1.0.0",
                                                                   "ports": [{"containerPort": 8080}],
                                                                   "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}}}),
    }
}

/// The status `kube-controller-manager` writes for a Deployment that rolled out.
fn deployment_status() -> Object {
    let condition = |kind: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": "True", "reason": reason, "message": message,
               "lastTransitionTime": "2026-12-06T05:00:00Z", "lastUpdateTime": "2026-12-06T05:00:00Z"})
    };
    json!({"status": {
    "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
    "availableReplicas": 2,
    "conditions": [
        condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
        condition("Progressing", "NewReplicaSetAvailable", "ReplicaSet \"w-7d9c8b6f5\" has successfully progressed."),
    ]}})
}

/// A sandbox with one cluster ([`CONTEXT`]; no TLS, no controller) holding objects
/// `0..n` of [`manifest`] in [`NAMESPACE`], applied by `kubedrift`, each Deployment with its
/// status.
pub fn sandbox_with_objects(n: usize) -> Sandbox {
    let sandbox = Sandbox::start(SandboxOptions {
        clusters: vec![CONTEXT.to_string()],
        tls: false,
        ready_after: Duration::ZERO,
        controller: false,
        ..SandboxOptions::default()
    })
    .expect("sandbox");
    let cluster = sandbox.cluster(CONTEXT).expect("cluster");
    cluster
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        .expect("namespace");
    for i in 0..n {
        cluster
            .apply(&manifest(i), "kubedrift", false)
            .expect("apply");
        if i % 3 == 2 {
            cluster
                .patch(
                    "apps/v1",
                    "Deployment",
                    Some(NAMESPACE),
                    &format!("w-{i:05}"),
                    Subresource::Status,
                    PatchKind::Merge,
                    &deployment_status(),
                    "kube-controller-manager",
                )
                .expect("status");
        }
    }
    sandbox
}
