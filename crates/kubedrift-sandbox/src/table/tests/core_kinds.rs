//! The other core kinds: Secrets (never their values), ConfigMaps, Namespaces,
//! ServiceAccounts, PersistentVolumeClaims, Events, Nodes.

use super::{cells, column_names, info, meta, print};
use serde_json::json;

#[test]
fn secrets_show_type_and_key_count_never_values() {
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": meta("db-credentials", Some("shop"), "2024-05-31T12:00:00Z", "v1"),
        "type": "Opaque",
        "data": {"username": "c2hvcA==", "password": "aHVudGVyMg=="}
    });
    let tls = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": meta("web-tls", Some("shop"), "2024-06-01T11:59:15Z", "v1"),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "LS0tLS1CRUdJTg==", "tls.key": "LS0tLS1CRUdJTiBQUklWQVRF", "ca.crt": "Q0E="}
    });
    let table = print(&info("", "v1", "Secret", "secrets", true), &[secret, tls]);
    assert_eq!(column_names(&table, true), ["Name", "Type", "Data", "Age"]);
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("db-credentials"),
            json!("Opaque"),
            json!(2),
            json!("24h")
        ]
    );
    assert_eq!(
        cells(&table)[1],
        vec![
            json!("web-tls"),
            json!("kubernetes.io/tls"),
            json!(3),
            json!("45s")
        ]
    );
    let rendered = serde_json::to_string(&table).expect("json");
    for value in ["aHVudGVyMg==", "c2hvcA==", "LS0tLS1CRUdJTiBQUklWQVRF"] {
        assert!(
            !rendered.contains(value),
            "secret value leaked into table: {value}"
        );
    }
}

#[test]
fn config_maps_namespaces_and_service_accounts() {
    let cm = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": meta("web-config", Some("shop"), "2024-06-01T09:00:00Z", "v1"),
        "data": {"nginx.conf": "server {}", "LOG_LEVEL": "info"},
        "binaryData": {"logo.png": "iVBORw0KGgo="}
    });
    let table = print(&info("", "v1", "ConfigMap", "configmaps", true), &[cm]);
    assert_eq!(column_names(&table, true), ["Name", "Data", "Age"]);
    assert_eq!(
        cells(&table)[0],
        vec![json!("web-config"), json!(3), json!("3h")]
    );

    let mut terminating_meta = meta("old-team", None, "2024-05-01T12:00:00Z", "v1");
    terminating_meta["deletionTimestamp"] = json!("2024-06-01T11:59:00Z");
    let namespaces = [
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": meta("shop", None, "2024-05-25T12:00:00Z", "v1"),
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": terminating_meta,
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Terminating"}}),
    ];
    let table = print(
        &info("", "v1", "Namespace", "namespaces", false),
        &namespaces,
    );
    assert_eq!(column_names(&table, true), ["Name", "Status", "Age"]);
    assert_eq!(
        cells(&table)[0],
        vec![json!("shop"), json!("Active"), json!("7d")]
    );
    assert_eq!(
        cells(&table)[1],
        vec![json!("old-team"), json!("Terminating"), json!("31d")]
    );

    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": meta("default", Some("shop"), "2024-06-01T11:58:00Z", "v1")});
    let table = print(
        &info("", "v1", "ServiceAccount", "serviceaccounts", true),
        &[sa],
    );
    assert_eq!(column_names(&table, true), ["Name", "Secrets", "Age"]);
    assert_eq!(
        cells(&table)[0],
        vec![json!("default"), json!(0), json!("2m")]
    );
}

#[test]
fn persistent_volume_claims_bound_and_pending() {
    let bound = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": meta("data-db-0", Some("shop"), "2024-05-31T00:00:00Z", "v1"),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
                 "storageClassName": "standard", "volumeMode": "Filesystem",
                 "volumeName": "pvc-3b1f0c2e-7d4a-4e8e-9f61-2c5d8a9b0e13"},
        "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "capacity": {"storage": "10Gi"}}
    });
    let pending = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": meta("scratch", Some("shop"), "2024-06-01T11:59:00Z", "v1"),
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}},
                 "storageClassName": "nfs", "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"}
    });
    let table = print(
        &info(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
        ),
        &[bound, pending],
    );
    assert_eq!(
        column_names(&table, false),
        [
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age"
        ]
    );
    let rows = cells(&table);
    assert_eq!(
        rows[0],
        vec![
            json!("data-db-0"),
            json!("Bound"),
            json!("pvc-3b1f0c2e-7d4a-4e8e-9f61-2c5d8a9b0e13"),
            json!("10Gi"),
            json!("RWO,ROX"),
            json!("standard"),
            json!("<unset>"),
            json!("36h"),
            json!("Filesystem"),
        ]
    );
    assert_eq!(
        rows[1][1..6],
        [
            json!("Pending"),
            json!(""),
            json!(""),
            json!(""),
            json!("nfs")
        ]
    );
}

#[test]
fn events_and_nodes() {
    let event = json!({"apiVersion": "v1", "kind": "Event",
        "metadata": meta("web-7d9c.17d4a1b2c3", Some("shop"), "2024-06-01T11:50:00Z", "v1"),
        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-7d9c", "uid": "1a2b",
                           "apiVersion": "v1", "resourceVersion": "9000", "fieldPath": "spec.containers{app}"},
        "reason": "BackOff", "message": "Back-off restarting failed container app\n",
        "source": {"component": "kubelet", "host": "worker-1"},
        "firstTimestamp": "2024-06-01T11:50:00Z", "lastTimestamp": "2024-06-01T11:58:30Z",
        "count": 12, "type": "Warning", "eventTime": null, "reportingComponent": "kubelet",
        "reportingInstance": "worker-1"});
    let new_style = json!({"apiVersion": "v1", "kind": "Event",
        "metadata": meta("web.17d4a1", Some("shop"), "2024-06-01T11:59:00Z", "v1"),
        "involvedObject": {"kind": "Deployment", "namespace": "shop", "name": "web"},
        "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-5d8f to 3",
        "source": {}, "firstTimestamp": null, "lastTimestamp": null,
        "eventTime": "2024-06-01T11:59:00.123456Z", "type": "Normal",
        "reportingComponent": "deployment-controller", "reportingInstance": ""});
    let table = print(
        &info("", "v1", "Event", "events", true),
        &[event, new_style],
    );
    assert_eq!(
        column_names(&table, false),
        ["Last Seen", "Type", "Reason", "Object", "Message"]
    );
    let rows = cells(&table);
    assert_eq!(
        rows[0],
        vec![
            json!("90s"),
            json!("Warning"),
            json!("BackOff"),
            json!("pod/web-7d9c"),
            json!("spec.containers{app}"),
            json!("kubelet, worker-1"),
            json!("Back-off restarting failed container app"),
            json!("10m"),
            json!(12),
            json!("web-7d9c.17d4a1b2c3")
        ]
    );
    assert_eq!(rows[1][0], json!("59s"), "59.88s truncates like Go");
    assert_eq!(rows[1][5], json!("deployment-controller"));
    assert_eq!(rows[1][8], json!(1));

    let node = json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "cp-1", "uid": "n1", "resourceVersion": "777", "creationTimestamp": "2024-05-01T12:00:00Z",
                     "labels": {"kubernetes.io/hostname": "cp-1", "node-role.kubernetes.io/control-plane": "",
                                "node-role.kubernetes.io/etcd": "", "kubernetes.io/os": "linux"}},
        "spec": {"podCIDR": "10.244.0.0/24", "unschedulable": true,
                 "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]},
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                  {"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                   "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "cp-1"}],
                   "nodeInfo": {"kubeletVersion": "v1.32.2", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                "kernelVersion": "6.8.0-45-generic", "containerRuntimeVersion": "containerd://1.7.24",
                                "architecture": "amd64", "operatingSystem": "linux"}}});
    let table = print(&info("", "v1", "Node", "nodes", false), &[node]);
    assert_eq!(
        column_names(&table, false),
        ["Name", "Status", "Roles", "Age", "Version"]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("cp-1"),
            json!("Ready,SchedulingDisabled"),
            json!("control-plane,etcd"),
            json!("31d"),
            json!("v1.32.2"),
            json!("172.18.0.2"),
            json!("<none>"),
            json!("Debian GNU/Linux 12 (bookworm)"),
            json!("6.8.0-45-generic"),
            json!("containerd://1.7.24")
        ]
    );
}
