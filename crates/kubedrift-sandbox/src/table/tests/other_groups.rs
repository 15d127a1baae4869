//! Networking, autoscaling, RBAC, storage, policy, discovery, scheduling and coordination kinds.

use super::{cells, column_names, info, meta, print};
use crate::table::plain::render_plain;
use serde_json::json;

#[test]
fn ingress_hpa_and_rbac() {
    let ingress = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "networking.k8s.io/v1"),
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": ["shop.example.com"], "secretName": "web-tls"}],
                 "rules": [{"host": "shop.example.com", "http": {"paths": []}},
                           {"host": "api.example.com"}, {"host": "admin.example.com"},
                           {"host": "legacy.example.com"}, {"http": {"paths": []}}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}});
    let table = print(
        &info("networking.k8s.io", "v1", "Ingress", "ingresses", true),
        &[ingress],
    );
    assert_eq!(
        column_names(&table, true),
        ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("web"),
            json!("nginx"),
            json!("shop.example.com,api.example.com,admin.example.com + 2 more..."),
            json!("203.0.113.7"),
            json!("80, 443"),
            json!("60m")
        ]
    );

    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "autoscaling/v2"),
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 2, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                             {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "512Mi"}}},
                             {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3,
                   "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "90m"}}}]}});
    let table = print(
        &info(
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            true,
        ),
        &[hpa],
    );
    assert_eq!(
        column_names(&table, true),
        [
            "Name",
            "Reference",
            "Targets",
            "MinPods",
            "MaxPods",
            "Replicas",
            "Age"
        ]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("web"),
            json!("Deployment/web"),
            json!("cpu: 45%/80%, memory: <unknown>/512Mi + 1 more..."),
            json!("2"),
            json!(10),
            json!(3),
            json!("60m")
        ]
    );

    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": meta("shop-deployers", Some("shop"), "2024-06-01T11:00:00Z", "rbac.authorization.k8s.io/v1"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice@example.com"},
                     {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "sre"},
                     {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
                     {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob@example.com"}]});
    let table = print(
        &info(
            "rbac.authorization.k8s.io",
            "v1",
            "RoleBinding",
            "rolebindings",
            true,
        ),
        &[binding],
    );
    assert_eq!(column_names(&table, false), ["Name", "Role", "Age"]);
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("shop-deployers"),
            json!("ClusterRole/edit"),
            json!("60m"),
            json!("alice@example.com, bob@example.com"),
            json!("sre"),
            json!("ci/deployer")
        ]
    );

    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": meta("view-shop", None, "2024-05-01T08:30:00Z", "rbac.authorization.k8s.io/v1"),
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]});
    let table = print(
        &info(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
        ),
        &[role],
    );
    assert_eq!(column_names(&table, true), ["Name", "Created At"]);
    assert_eq!(table["columnDefinitions"][1]["type"], "date");
    assert_eq!(
        cells(&table)[0],
        vec![json!("view-shop"), json!("2024-05-01T08:30:00Z")]
    );
    assert_eq!(
        render_plain(&table, false),
        "NAME        CREATED AT\nview-shop   2024-05-01T08:30:00Z\n"
    );
}

#[test]
fn storage_policy_and_cluster_kinds() {
    let rc = json!({"apiVersion": "v1", "kind": "ReplicationController",
        "metadata": meta("legacy", Some("shop"), "2024-06-01T11:00:00Z", "v1"),
        "spec": {"replicas": 2, "selector": {"app": "legacy"},
                 "template": {"metadata": {"labels": {"app": "legacy"}},
                              "spec": {"containers": [{"name": "app", "image": "acme/legacy:9"}]}}},
        "status": {"replicas": 2, "readyReplicas": 1, "availableReplicas": 1, "observedGeneration": 1}});
    let table = print(
        &info(
            "",
            "v1",
            "ReplicationController",
            "replicationcontrollers",
            true,
        ),
        &[rc],
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("legacy"),
            json!(2),
            json!(2),
            json!(1),
            json!("60m"),
            json!("app"),
            json!("acme/legacy:9"),
            json!("app=legacy")
        ]
    );

    let pv = json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": meta("pvc-3b1f0c2e", None, "2024-05-31T00:00:00Z", "v1"),
        "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
                 "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "standard",
                 "volumeMode": "Filesystem", "hostPath": {"path": "/var/lib/pv/3b1f", "type": ""},
                 "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-db-0",
                              "uid": "3b1f0c2e", "apiVersion": "v1", "resourceVersion": "4410"}},
        "status": {"phase": "Bound", "lastPhaseTransitionTime": "2024-05-31T00:00:02Z"}});
    let table = print(
        &info("", "v1", "PersistentVolume", "persistentvolumes", false),
        &[pv],
    );
    assert_eq!(
        column_names(&table, false),
        [
            "Name",
            "Capacity",
            "Access Modes",
            "Reclaim Policy",
            "Status",
            "Claim",
            "StorageClass",
            "VolumeAttributesClass",
            "Reason",
            "Age"
        ]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("pvc-3b1f0c2e"),
            json!("10Gi"),
            json!("RWO"),
            json!("Delete"),
            json!("Bound"),
            json!("shop/data-db-0"),
            json!("standard"),
            json!("<unset>"),
            json!(""),
            json!("36h"),
            json!("Filesystem")
        ]
    );

    let netpol = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": meta("deny-all", Some("shop"), "2024-06-01T11:00:00Z", "networking.k8s.io/v1"),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}});
    let table = print(
        &info(
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
        ),
        &[netpol],
    );
    assert_eq!(
        cells(&table)[0],
        vec![json!("deny-all"), json!("<none>"), json!("60m")]
    );

    let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "policy/v1"),
        "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
        "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3,
                   "observedGeneration": 1}});
    let table = print(
        &info(
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
        ),
        &[pdb],
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("web"),
            json!("50%"),
            json!("N/A"),
            json!(1),
            json!("60m")
        ]
    );

    let mut sc_meta = meta(
        "standard",
        None,
        "2024-05-01T12:00:00Z",
        "storage.k8s.io/v1",
    );
    sc_meta["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    let sc = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": sc_meta,
        "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer"});
    let table = print(
        &info(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            false,
        ),
        &[sc],
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("standard (default)"),
            json!("rancher.io/local-path"),
            json!("Delete"),
            json!("WaitForFirstConsumer"),
            json!(false),
            json!("31d")
        ]
    );

    let class = json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": meta("nginx", None, "2024-06-01T11:00:00Z", "networking.k8s.io/v1"),
        "spec": {"controller": "k8s.io/ingress-nginx",
                 "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}}});
    let table = print(
        &info(
            "networking.k8s.io",
            "v1",
            "IngressClass",
            "ingressclasses",
            false,
        ),
        &[class],
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("nginx"),
            json!("k8s.io/ingress-nginx"),
            json!("IngressParameters.k8s.example.com/external-lb"),
            json!("60m")
        ]
    );

    let slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": meta("web-x7k2p", Some("shop"), "2024-06-01T11:00:00Z", "discovery.k8s.io/v1"),
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.244.1.17"], "conditions": {"ready": true}},
                      {"addresses": ["10.244.2.4"], "conditions": {"ready": true}},
                      {"addresses": ["10.244.3.9"], "conditions": {"ready": false}},
                      {"addresses": ["10.244.4.2"], "conditions": {"ready": true}}],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]});
    let table = print(
        &info(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            true,
        ),
        &[slice],
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("web-x7k2p"),
            json!("IPv4"),
            json!("8080"),
            json!("10.244.1.17,10.244.2.4,10.244.3.9 + 1 more..."),
            json!("60m")
        ]
    );

    let priority = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": meta("system-cluster-critical", None, "2024-05-01T12:00:00Z", "scheduling.k8s.io/v1"),
        "value": 2000000000, "description": "Used for system critical pods.",
        "preemptionPolicy": "PreemptLowerPriority"});
    let table = print(
        &info(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            "priorityclasses",
            false,
        ),
        &[priority],
    );
    assert_eq!(
        column_names(&table, false),
        ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("system-cluster-critical"),
            json!(2000000000),
            json!(false),
            json!("31d"),
            json!("PreemptLowerPriority")
        ]
    );

    let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": meta("kube-controller-manager", Some("kube-system"), "2024-05-01T12:00:00Z", "coordination.k8s.io/v1"),
        "spec": {"holderIdentity": "cp-1_9f2c", "leaseDurationSeconds": 15,
                 "acquireTime": "2024-05-01T12:00:05.000000Z", "renewTime": "2024-06-01T11:59:58.000000Z",
                 "leaseTransitions": 0}});
    let table = print(
        &info("coordination.k8s.io", "v1", "Lease", "leases", true),
        &[lease],
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("kube-controller-manager"),
            json!("cp-1_9f2c"),
            json!("31d")
        ]
    );
}
