//! Printing tests: realistic objects (as the API server stores them) in, the Table kube-apiserver
//! v1.32 prints out. Helpers here; tests per concern in the submodules.

mod core_kinds;
mod custom;
mod other_groups;
mod pods;
mod services;
mod workloads;

use crate::catalog::ResourceInfo;
use crate::table::duration::human_duration;
use crate::table::envelope::IncludeObject;
use crate::table::fields::{int, list, text};
use crate::table::plain::render_plain;
use crate::table::{is_builtin_group, to_table};
use jiff::SignedDuration;
use jiff::Timestamp;
use serde_json::{json, Value};

fn now() -> Timestamp {
    "2024-06-01T12:00:00Z".parse().expect("timestamp")
}

/// A catalog entry with what printing reads (group, kind, custom or not, printer columns); the
/// discovery fields are plausible values printing never looks at.
fn info(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> ResourceInfo {
    ResourceInfo {
        group: group.into(),
        version: version.into(),
        versions: vec![version.into()],
        kind: kind.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        namespaced,
        verbs: vec!["get".into(), "list".into(), "watch".into()],
        short_names: Vec::new(),
        categories: Vec::new(),
        status_subresource: false,
        scale_subresource: false,
        custom: !is_builtin_group(group),
        printer_columns: Vec::new(),
    }
}

/// Metadata as the API server returns it: uid, resourceVersion, managedFields, ...
fn meta(name: &str, namespace: Option<&str>, created: &str, api_version: &str) -> Value {
    let mut m = json!({
        "name": name,
        "uid": format!("6f1c1a52-{:04x}-4b5e-9a43-1f0c3d2e8b7a", name.len()),
        "resourceVersion": "48213",
        "creationTimestamp": created,
        "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop"},
        "managedFields": [{
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": api_version,
            "time": created,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}
        }]
    });
    if let Some(ns) = namespace {
        m["namespace"] = json!(ns);
    }
    m
}

fn cells(table: &Value) -> Vec<Vec<Value>> {
    list(table, &["rows"])
        .iter()
        .map(|r| list(r, &["cells"]).to_vec())
        .collect()
}

fn column_names(table: &Value, wide: bool) -> Vec<String> {
    list(table, &["columnDefinitions"])
        .iter()
        .filter(|c| wide || int(c, &["priority"]) == 0)
        .map(|c| text(c, &["name"]).to_string())
        .collect()
}

fn print(resource: &ResourceInfo, objects: &[Value]) -> Value {
    let table = to_table(resource, objects, now(), IncludeObject::Metadata);
    let width = list(&table, &["columnDefinitions"]).len();
    for row in list(&table, &["rows"]) {
        assert_eq!(
            list(row, &["cells"]).len(),
            width,
            "cells must match columns"
        );
    }
    table
}

fn deployment() -> ResourceInfo {
    info("apps", "v1", "Deployment", "deployments", true)
}

fn web_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "0b8f6f1e-58a4-4e43-9d0e-5d8f7b4a2c11",
            "resourceVersion": "90211",
            "generation": 3,
            "creationTimestamp": "2024-05-30T09:00:00Z",
            "labels": {"app": "web"},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
            "managedFields": [{
                "manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1",
                "time": "2024-05-30T09:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:replicas": {}}}
            }]
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web", "tier": "frontend"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "frontend"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                         "resources": {}, "terminationMessagePath": "/dev/termination-log",
                         "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"},
                        {"name": "metrics", "image": "prom/statsd-exporter:v0.26.0",
                         "resources": {}, "terminationMessagePath": "/dev/termination-log",
                         "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
                    ],
                    "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst", "securityContext": {}, "schedulerName": "default-scheduler"
                }
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600
        },
        "status": {
            "observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 2,
            "availableReplicas": 2, "unavailableReplicas": 1,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]
        }
    })
}

#[test]
fn human_duration_matches_kubernetes() {
    let cases: &[(i64, &str)] = &[
        (0, "0s"),
        (45, "45s"),
        (119, "119s"),
        (120, "2m"),
        (312, "5m12s"),
        (599, "9m59s"),
        (600, "10m"),
        (179 * 60 + 59, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 5 * 60 + 9, "3h5m"),
        (7 * 3600 + 59 * 60, "7h59m"),
        (8 * 3600 + 30 * 60, "8h"),
        (47 * 3600, "47h"),
        (51 * 3600, "2d3h"),
        (7 * 86400 + 23 * 3600, "7d23h"),
        (8 * 86400 + 5 * 3600, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        ((3 * 365 + 12) * 86400, "3y12d"),
        (8 * 365 * 86400 + 86400, "8y"),
        (-1, "0s"),
        (-2, "<invalid>"),
        (-3600, "<invalid>"),
    ];
    for (secs, expected) in cases {
        assert_eq!(
            human_duration(SignedDuration::from_secs(*secs)),
            *expected,
            "{secs}s"
        );
    }
    // Go truncates toward zero: 1.5s in the future is still "now".
    assert_eq!(human_duration(SignedDuration::from_millis(-1500)), "0s");
    assert_eq!(human_duration(SignedDuration::from_millis(59_999)), "59s");
}

#[test]
fn deployment_columns_cells_and_kubectl_layout() {
    let table = print(&deployment(), &[web_deployment()]);
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(
        column_names(&table, false),
        ["Name", "Ready", "Up-to-date", "Available", "Age"]
    );
    assert_eq!(
        column_names(&table, true),
        [
            "Name",
            "Ready",
            "Up-to-date",
            "Available",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let name_col = &table["columnDefinitions"][0];
    assert_eq!(name_col["format"], "name");
    assert_eq!(name_col["type"], "string");
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("web"),
            json!("2/3"),
            json!(2),
            json!(2),
            json!("2d3h"),
            json!("nginx,metrics"),
            json!("nginx:1.27,prom/statsd-exporter:v0.26.0"),
            json!("app=web,tier=frontend"),
        ]
    );
    assert_eq!(
        render_plain(&table, false),
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/3     2            2           2d3h\n"
    );
}

#[test]
fn rows_carry_partial_object_metadata_or_the_object() {
    let obj = web_deployment();
    let table = to_table(
        &deployment(),
        std::slice::from_ref(&obj),
        now(),
        IncludeObject::Metadata,
    );
    let object = &table["rows"][0]["object"];
    assert_eq!(object["kind"], "PartialObjectMetadata");
    assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(object["metadata"]["namespace"], "shop");
    assert_eq!(object["metadata"]["uid"], obj["metadata"]["uid"]);
    assert!(object.get("spec").is_none());

    let table = to_table(
        &deployment(),
        std::slice::from_ref(&obj),
        now(),
        IncludeObject::Object,
    );
    assert_eq!(table["rows"][0]["object"], obj);

    let table = to_table(&deployment(), &[obj], now(), IncludeObject::None);
    assert!(table["rows"][0].get("object").is_none());

    assert_eq!(IncludeObject::from_query(None), Ok(IncludeObject::Metadata));
    assert_eq!(
        IncludeObject::from_query(Some("Object")),
        Ok(IncludeObject::Object)
    );
    assert_eq!(
        IncludeObject::from_query(Some("None")),
        Ok(IncludeObject::None)
    );
    assert!(IncludeObject::from_query(Some("object")).is_err());
}

#[test]
fn malformed_objects_never_panic_and_keep_the_column_count() {
    let kinds = [
        ("", "Namespace"),
        ("", "ConfigMap"),
        ("", "Secret"),
        ("", "Service"),
        ("", "ServiceAccount"),
        ("", "Endpoints"),
        ("", "Pod"),
        ("", "PersistentVolumeClaim"),
        ("", "Event"),
        ("", "Node"),
        ("apps", "Deployment"),
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("networking.k8s.io", "Ingress"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("rbac.authorization.k8s.io", "Role"),
        ("example.com", "Widget"),
        ("", "ReplicationController"),
        ("", "PersistentVolume"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("networking.k8s.io", "IngressClass"),
        ("policy", "PodDisruptionBudget"),
        ("storage.k8s.io", "StorageClass"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("coordination.k8s.io", "Lease"),
    ];
    let junk = [
        Value::Null,
        json!([1, 2]),
        json!("pod"),
        json!({}),
        json!({"metadata": [], "spec": "x", "status": 7}),
        json!({"metadata": {"name": 5, "creationTimestamp": "yesterday", "deletionTimestamp": 3},
               "spec": {"containers": {"a": 1}, "ports": [null, {"port": "80"}], "selector": {"matchExpressions": [{"operator": "Near"}]},
                        "metrics": [{"type": "Resource"}, {"type": "Bogus"}], "replicas": "3"},
               "status": {"conditions": "ready", "containerStatuses": [null, {"state": []}],
                          "initContainerStatuses": [{"state": {"terminated": {"exitCode": "x"}}}],
                          "loadBalancer": {"ingress": [{}]}},
               "subsets": [{"addresses": [{}], "ports": [{}]}], "subjects": [7], "data": [1]}),
    ];
    for (group, kind) in kinds {
        let resource = info(group, "v1", kind, "things", true);
        let table = print(&resource, &junk);
        assert_eq!(list(&table, &["rows"]).len(), junk.len(), "{kind}");
        render_plain(&table, true);
    }
}

#[test]
fn render_plain_hides_wide_columns_unless_asked() {
    let table = print(&deployment(), &[web_deployment()]);
    let wide = render_plain(&table, true);
    assert!(
        wide.starts_with("NAME   READY   UP-TO-DATE   AVAILABLE   AGE    CONTAINERS      IMAGES  ")
    );
    assert!(wide.contains("app=web,tier=frontend"));
    assert!(!render_plain(&table, false).contains("CONTAINERS"));
}
