//! The order a sync applies things in: by `argocd.argoproj.io/sync-wave` (lower first,
//! default 0), then by kind — Namespaces, CRDs, ServiceAccounts and RBAC, ConfigMaps and
//! Secrets (and storage), Services, workloads, Ingress, everything else — then by name.
//! Prunes run after every apply, in the reverse order.

use crate::model::{Object, ResourceKey};

/// The annotation Argo CD orders syncs by; kubedrift honours it the same way.
pub const SYNC_WAVE_ANNOTATION: &str = "argocd.argoproj.io/sync-wave";

/// Rank of a kind in a wave (lower first).
pub fn kind_rank(group: &str, kind: &str) -> u8 {
    match (group, kind) {
        ("", "Namespace") => 0,
        ("apiextensions.k8s.io", "CustomResourceDefinition") => 1,
        ("", "ServiceAccount") => 2,
        ("rbac.authorization.k8s.io", "ClusterRole" | "Role") => 3,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding" | "RoleBinding") => 4,
        ("", "ConfigMap" | "Secret") => 5,
        ("", "PersistentVolume" | "PersistentVolumeClaim") | ("storage.k8s.io", "StorageClass") => {
            6
        }
        ("", "Service") => 7,
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job" | "CronJob")
        | ("", "Pod" | "ReplicationController") => 8,
        ("networking.k8s.io", "Ingress") => 9,
        _ => 10,
    }
}

/// The sync wave of an object: its `argocd.argoproj.io/sync-wave` annotation when it is an
/// integer, else 0.
pub fn wave_of(obj: &Object) -> i64 {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(SYNC_WAVE_ANNOTATION))
        .and_then(|v| v.as_str())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Sort key of an apply (create or update).
pub fn apply_key(wave: i64, key: &ResourceKey) -> (i64, u8, String, String, String) {
    (
        wave,
        kind_rank(&key.group, &key.kind),
        key.kind.to_string(),
        key.namespace.as_deref().unwrap_or_default().to_string(),
        key.name.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_go_namespaces_first_and_ingress_last_and_waves_come_before_kinds() {
        let key = |group: &str, kind: &str| ResourceKey::new(group, kind, Some("shop"), "x");
        let mut keys = vec![
            (0, key("networking.k8s.io", "Ingress")),
            (0, key("apps", "Deployment")),
            (0, key("", "Service")),
            (0, key("", "Secret")),
            (0, key("rbac.authorization.k8s.io", "RoleBinding")),
            (0, key("", "ServiceAccount")),
            (0, key("apiextensions.k8s.io", "CustomResourceDefinition")),
            (0, key("", "Namespace")),
            (-1, key("batch", "Job")),
        ];
        keys.sort_by_key(|(wave, k)| apply_key(*wave, k));
        let kinds: Vec<&str> = keys.iter().map(|(_, k)| &*k.kind).collect();
        assert_eq!(
            kinds,
            [
                "Job",
                "Namespace",
                "CustomResourceDefinition",
                "ServiceAccount",
                "RoleBinding",
                "Secret",
                "Service",
                "Deployment",
                "Ingress"
            ]
        );
    }

    #[test]
    fn waves_are_read_from_the_annotation_and_default_to_zero() {
        let obj = |wave: serde_json::Value| json!({"metadata": {"annotations": {SYNC_WAVE_ANNOTATION: wave}}});
        assert_eq!(wave_of(&obj(json!("-2"))), -2);
        assert_eq!(wave_of(&obj(json!(" 3 "))), 3);
        assert_eq!(wave_of(&obj(json!("soon"))), 0);
        assert_eq!(wave_of(&json!({"metadata": {}})), 0);
    }
}
