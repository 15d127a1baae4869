//! Workload controllers (`apps`) and Jobs and CronJobs (`batch`).

use super::{cells, column_names, info, meta, print};
use serde_json::json;

#[test]
fn workload_controllers() {
    let template = json!({"metadata": {"labels": {"app": "db"}},
                          "spec": {"containers": [{"name": "postgres", "image": "postgres:16"}],
                                   "nodeSelector": {"kubernetes.io/os": "linux"}}});
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": meta("web-5d8f7b4a2c", Some("shop"), "2024-06-01T10:00:00Z", "apps/v1"),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d8f7b4a2c"}},
                 "template": template},
        "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 1, "availableReplicas": 1,
                   "observedGeneration": 1}});
    let table = print(
        &info("apps", "v1", "ReplicaSet", "replicasets", true),
        &[rs],
    );
    assert_eq!(
        column_names(&table, false),
        ["Name", "Desired", "Current", "Ready", "Age"]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("web-5d8f7b4a2c"),
            json!(3),
            json!(3),
            json!(1),
            json!("120m"),
            json!("postgres"),
            json!("postgres:16"),
            json!("app=web,pod-template-hash=5d8f7b4a2c")
        ]
    );

    let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": meta("db", Some("shop"), "2024-06-01T10:00:00Z", "apps/v1"),
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": template, "podManagementPolicy": "OrderedReady",
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
        "status": {"replicas": 2, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2,
                   "availableReplicas": 2}});
    let table = print(
        &info("apps", "v1", "StatefulSet", "statefulsets", true),
        &[sts],
    );
    assert_eq!(
        column_names(&table, true),
        ["Name", "Ready", "Age", "Containers", "Images"]
    );
    assert_eq!(
        cells(&table)[0][..3],
        [json!("db"), json!("2/2"), json!("120m")]
    );

    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": meta("node-exporter", Some("monitoring"), "2024-06-01T10:00:00Z", "apps/v1"),
        "spec": {"selector": {"matchLabels": {"app": "node-exporter"},
                              "matchExpressions": [{"key": "tier", "operator": "In", "values": ["ops", "infra"]},
                                                   {"key": "canary", "operator": "DoesNotExist"}]},
                 "template": template},
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                   "updatedNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 0}});
    let table = print(&info("apps", "v1", "DaemonSet", "daemonsets", true), &[ds]);
    assert_eq!(
        column_names(&table, false),
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Up-to-date",
            "Available",
            "Node Selector",
            "Age"
        ]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("node-exporter"),
            json!(3),
            json!(3),
            json!(2),
            json!(3),
            json!(2),
            json!("kubernetes.io/os=linux"),
            json!("120m"),
            json!("postgres"),
            json!("postgres:16"),
            json!("app=node-exporter,!canary,tier in (infra,ops)")
        ]
    );
}

#[test]
fn jobs_and_cron_jobs() {
    let template = json!({"spec": {"containers": [{"name": "backup", "image": "acme/backup:3"}],
                                   "restartPolicy": "OnFailure"}});
    let complete = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": meta("backup-28613280", Some("shop"), "2024-06-01T11:00:00Z", "batch/v1"),
        "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
                 "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "9c1d"}},
                 "template": template, "suspend": false},
        "status": {"startTime": "2024-06-01T11:00:00Z", "completionTime": "2024-06-01T11:02:05Z",
                   "succeeded": 1, "ready": 0, "terminating": 0,
                   "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                  {"type": "Complete", "status": "True"}]}});
    let running = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": meta("reindex", Some("shop"), "2024-06-01T11:30:00Z", "batch/v1"),
        "spec": {"parallelism": 4, "backoffLimit": 6, "template": template,
                 "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "77aa"}}},
        "status": {"startTime": "2024-06-01T11:30:00Z", "active": 4, "ready": 4}});
    let failed = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": meta("flaky", Some("shop"), "2024-06-01T11:30:00Z", "batch/v1"),
        "spec": {"completions": 3, "parallelism": 1, "template": template},
        "status": {"startTime": "2024-06-01T11:30:00Z", "failed": 7, "succeeded": 1,
                   "conditions": [{"type": "FailureTarget", "status": "True"},
                                  {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}});
    let table = print(
        &info("batch", "v1", "Job", "jobs", true),
        &[complete, running, failed],
    );
    assert_eq!(
        column_names(&table, false),
        ["Name", "Status", "Completions", "Duration", "Age"]
    );
    let rows = cells(&table);
    assert_eq!(
        rows[0][..5],
        [
            json!("backup-28613280"),
            json!("Complete"),
            json!("1/1"),
            json!("2m5s"),
            json!("60m")
        ]
    );
    assert_eq!(rows[0][7], json!("batch.kubernetes.io/controller-uid=9c1d"));
    assert_eq!(
        rows[1][1..4],
        [json!("Running"), json!("0/1 of 4"), json!("30m")]
    );
    assert_eq!(rows[2][1..3], [json!("Failed"), json!("1/3")]);

    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": meta("backup", Some("shop"), "2024-05-20T12:00:00Z", "batch/v1"),
        "spec": {"schedule": "0 * * * *", "concurrencyPolicy": "Forbid", "suspend": false,
                 "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"spec": {"template": template}}},
        "status": {"lastScheduleTime": "2024-06-01T11:00:00Z", "lastSuccessfulTime": "2024-06-01T11:02:05Z",
                   "active": [{"kind": "Job", "name": "backup-28613340", "namespace": "shop"}]}});
    let table = print(&info("batch", "v1", "CronJob", "cronjobs", true), &[cron]);
    assert_eq!(
        column_names(&table, false),
        [
            "Name",
            "Schedule",
            "Timezone",
            "Suspend",
            "Active",
            "Last Schedule",
            "Age"
        ]
    );
    assert_eq!(
        cells(&table)[0],
        vec![
            json!("backup"),
            json!("0 * * * *"),
            json!("<none>"),
            json!("False"),
            json!(1),
            json!("60m"),
            json!("12d"),
            json!("backup"),
            json!("acme/backup:3"),
            json!("<none>")
        ]
    );
}
