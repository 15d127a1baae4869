//! Pods: readiness, the kubelet's status reasons, restarts, init containers and sidecars.

use super::{cells, column_names, info, meta, print};
use crate::catalog::ResourceInfo;
use serde_json::{json, Value};

fn pod(name: &str, spec_extra: Value, status: Value) -> Value {
    let mut spec = json!({
        "containers": [{"name": "app", "image": "ghcr.io/acme/app:2.1.0", "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default", "serviceAccount": "default", "nodeName": "worker-1",
        "securityContext": {}, "schedulerName": "default-scheduler", "priority": 0,
        "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority"
    });
    if let (Some(spec_map), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
        for (k, v) in extra {
            spec_map.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, Some("shop"), "2024-06-01T11:00:00Z", "v1"),
        "spec": spec,
        "status": status
    })
}

fn running_status(restarts: i64, last_finished: Option<&str>) -> Value {
    let mut container = json!({
        "name": "app", "image": "ghcr.io/acme/app:2.1.0", "imageID": "ghcr.io/acme/app@sha256:1f2e",
        "containerID": "containerd://a1b2", "ready": true, "started": true,
        "restartCount": restarts, "state": {"running": {"startedAt": "2024-06-01T11:50:00Z"}},
        "lastState": {}
    });
    if let Some(finished) = last_finished {
        container["lastState"] = json!({"terminated": {"exitCode": 137, "reason": "OOMKilled",
            "startedAt": "2024-06-01T11:40:00Z", "finishedAt": finished, "containerID": "containerd://0f"}});
    }
    json!({
        "phase": "Running", "hostIP": "10.0.0.11", "hostIPs": [{"ip": "10.0.0.11"}],
        "podIP": "10.244.1.17", "podIPs": [{"ip": "10.244.1.17"}], "startTime": "2024-06-01T11:00:00Z",
        "qosClass": "BestEffort",
        "conditions": [
            {"type": "Initialized", "status": "True", "lastTransitionTime": "2024-06-01T11:00:00Z"},
            {"type": "Ready", "status": "True", "lastTransitionTime": "2024-06-01T11:50:01Z"},
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2024-06-01T11:50:01Z"},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-06-01T11:00:00Z"}
        ],
        "containerStatuses": [container]
    })
}

fn pods() -> ResourceInfo {
    info("", "v1", "Pod", "pods", true)
}

#[test]
fn running_pod_with_restarts_and_wide_columns() {
    let p = pod(
        "app-7d9c",
        json!({}),
        running_status(2, Some("2024-06-01T11:49:30Z")),
    );
    let table = print(&pods(), &[p]);
    assert_eq!(
        column_names(&table, false),
        ["Name", "Ready", "Status", "Restarts", "Age"]
    );
    assert_eq!(
        column_names(&table, true)[5..],
        ["IP", "Node", "Nominated Node", "Readiness Gates"]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("app-7d9c"),
            json!("1/1"),
            json!("Running"),
            json!("2 (10m ago)"),
            json!("60m"),
            json!("10.244.1.17"),
            json!("worker-1"),
            json!("<none>"),
            json!("<none>"),
        ]
    );
}

#[test]
fn crash_looping_pending_and_init_pods() {
    let mut crashing = running_status(5, Some("2024-06-01T11:58:00Z"));
    crashing["containerStatuses"][0]["ready"] = json!(false);
    crashing["containerStatuses"][0]["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
        "message": "back-off 2m40s restarting failed container"}});
    let crashing = pod("crashy", json!({}), crashing);

    let pending = pod(
        "pending",
        json!({"nodeName": null}),
        json!({"phase": "Pending", "qosClass": "BestEffort",
               "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}),
    );

    let init_spec =
        json!({"initContainers": [{"name": "migrate", "image": "ghcr.io/acme/migrate:1"}]});
    let initializing = pod(
        "init",
        init_spec.clone(),
        json!({"phase": "Pending",
               "conditions": [{"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized"}],
               "initContainerStatuses": [{"name": "migrate", "ready": false, "restartCount": 0,
                   "state": {"running": {"startedAt": "2024-06-01T11:59:00Z"}}}],
               "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                   "state": {"waiting": {"reason": "PodInitializing"}}}]}),
    );
    let init_failed = pod(
        "init-failed",
        init_spec,
        json!({"phase": "Pending",
               "initContainerStatuses": [{"name": "migrate", "ready": false, "restartCount": 3,
                   "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                   "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                       "finishedAt": "2024-06-01T11:57:00Z"}}}]}),
    );
    let table = print(&pods(), &[crashing, pending, initializing, init_failed]);
    let rows = cells(&table);
    assert_eq!(
        rows[0][1..4],
        [json!("0/1"), json!("CrashLoopBackOff"), json!("5 (2m ago)")]
    );
    assert_eq!(rows[1][1..4], [json!("0/1"), json!("Pending"), json!("0")]);
    assert_eq!(rows[1][6], json!("<none>"), "unscheduled pod has no node");
    assert_eq!(rows[2][1..4], [json!("0/1"), json!("Init:0/1"), json!("0")]);
    assert_eq!(
        rows[3][1..4],
        [
            json!("0/1"),
            json!("Init:CrashLoopBackOff"),
            json!("3 (3m ago)")
        ]
    );
}

#[test]
fn completed_terminating_and_sidecar_pods() {
    let mut done = running_status(0, None);
    done["phase"] = json!("Succeeded");
    done["containerStatuses"][0]["ready"] = json!(false);
    done["containerStatuses"][0]["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
        "startedAt": "2024-06-01T11:00:05Z", "finishedAt": "2024-06-01T11:01:00Z"}});
    let done = pod("job-x7k2p", json!({"restartPolicy": "Never"}), done);

    let mut terminating = pod("old", json!({}), running_status(0, None));
    terminating["metadata"]["deletionTimestamp"] = json!("2024-06-01T11:59:50Z");
    terminating["metadata"]["deletionGracePeriodSeconds"] = json!(30);

    let mut sidecar_status = running_status(0, None);
    sidecar_status["initContainerStatuses"] = json!([{"name": "proxy", "ready": true, "started": true,
        "restartCount": 1, "state": {"running": {"startedAt": "2024-06-01T11:00:02Z"}},
        "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": "2024-06-01T11:00:01Z"}}}]);
    let sidecar = pod(
        "with-sidecar",
        json!({"initContainers": [{"name": "proxy", "image": "envoyproxy/envoy:v1.30", "restartPolicy": "Always"}],
               "readinessGates": [{"conditionType": "acme.io/lb-registered"}]}),
        sidecar_status,
    );

    let table = print(&pods(), &[done, terminating, sidecar]);
    let rows = cells(&table);
    assert_eq!(rows[0][1..3], [json!("0/1"), json!("Completed")]);
    assert_eq!(table["rows"][0]["conditions"][0]["type"], "Completed");
    assert_eq!(table["rows"][0]["conditions"][0]["reason"], "Succeeded");
    assert_eq!(rows[1][2], json!("Terminating"));
    assert_eq!(
        rows[2][1..4],
        [json!("2/2"), json!("Running"), json!("1 (59m ago)")]
    );
    assert_eq!(
        rows[2][8],
        json!("0/1"),
        "readiness gate without condition is not passing"
    );
}
