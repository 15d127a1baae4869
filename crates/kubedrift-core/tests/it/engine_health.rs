//! Health rules: a table of realistic live objects per kind and rule.
//!
//! Each document under `tests/fixtures/health/` is one case; its annotations say what it is
//! (`kubedrift.test/case`) and what to expect (`kubedrift.test/expect-status`, `None` for
//! kinds without a rule; `kubedrift.test/expect-message`, absent meaning no message).

use kubedrift_core::engine::health::{assess, worst, HealthStatus};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

struct Case {
    file: String,
    name: String,
    obj: Value,
    expect_status: String,
    expect_message: Option<String>,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/health");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let before = cases.len();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let obj = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
            let annotation = |key: &str| {
                obj["metadata"]["annotations"][key]
                    .as_str()
                    .map(str::to_string)
            };
            cases.push(Case {
                file: path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                name: annotation("kubedrift.test/case")
                    .unwrap_or_else(|| panic!("{} has a case without a name", path.display())),
                expect_status: annotation("kubedrift.test/expect-status").unwrap_or_else(|| {
                    panic!("{} has a case without expect-status", path.display())
                }),
                expect_message: annotation("kubedrift.test/expect-message"),
                obj,
            });
        }
        assert!(
            cases.len() > before,
            "{} holds no case: an empty fixture checks nothing",
            path.display()
        );
    }
    cases
}

fn status_name(status: HealthStatus) -> String {
    format!("{status:?}")
}

#[test]
fn every_fixture_case_gets_the_expected_health_and_message() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let got = assess(&case.obj);
        let got_status = got
            .as_ref()
            .map(|h| status_name(h.status))
            .unwrap_or_else(|| "None".to_string());
        let got_message = got.and_then(|h| h.message);
        if got_status != case.expect_status || got_message != case.expect_message {
            failures.push(format!(
                "{} / {}: expected {} {:?}, got {} {:?}",
                case.file,
                case.name,
                case.expect_status,
                case.expect_message,
                got_status,
                got_message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fixtures_cover_every_kind_with_a_rule_and_every_status() {
    let cases = cases();
    let kinds: BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| c.obj["kind"].as_str())
        .collect();
    for kind in [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Service",
        "Ingress",
        "PersistentVolumeClaim",
        "Pod",
        "Job",
        "HorizontalPodAutoscaler",
        "APIService",
        "Rollout",
        "AnalysisRun",
        "Kustomization",
        "HelmRelease",
        "GitRepository",
        "HelmRepository",
    ] {
        assert!(kinds.contains(kind), "no fixture for {kind}");
    }
    let statuses: BTreeSet<&str> = cases.iter().map(|c| c.expect_status.as_str()).collect();
    for status in [
        "Healthy",
        "Suspended",
        "Progressing",
        "Degraded",
        "Unknown",
        "None",
    ] {
        assert!(statuses.contains(status), "no fixture expecting {status}");
    }
    assert!(cases.len() >= 50, "only {} cases", cases.len());
}

#[test]
fn app_health_is_the_worst_in_argo_cd_order() {
    use HealthStatus::*;
    assert_eq!(worst([Healthy, Healthy]), Some(Healthy));
    assert_eq!(worst([Healthy, Suspended]), Some(Suspended));
    assert_eq!(worst([Suspended, Progressing]), Some(Progressing));
    assert_eq!(worst([Progressing, Missing]), Some(Missing));
    assert_eq!(worst([Missing, Degraded]), Some(Degraded));
    assert_eq!(worst([Degraded, Unknown, Healthy]), Some(Unknown));
    assert_eq!(worst(Vec::<HealthStatus>::new()), None);
    // App health from assessed resources: kinds without health do not count. The fixtures
    // hold Unknown cases (an inconclusive AnalysisRun), which win over every Degraded one.
    let resources = cases();
    let statuses = resources
        .iter()
        .filter_map(|c| assess(&c.obj))
        .map(|h| h.status);
    assert_eq!(worst(statuses), Some(Unknown));
    let known = resources
        .iter()
        .filter_map(|c| assess(&c.obj))
        .map(|h| h.status)
        .filter(|s| *s != Unknown);
    assert_eq!(worst(known), Some(Degraded));
}

#[test]
fn malformed_status_fields_never_panic_and_read_as_zero() {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "generation": "seven"},
        "spec": {"replicas": "3", "paused": "yes"},
        "status": {"conditions": "broken", "updatedReplicas": null}
    });
    let health = assess(&deployment);
    assert_eq!(health.map(|h| h.status), Some(HealthStatus::Healthy));

    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                     "status": {"containerStatuses": [null, 3, {"state": "x"}]}});
    assert_eq!(assess(&pod).map(|h| h.status), Some(HealthStatus::Unknown));

    let hpa = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                     "metadata": {"name": "h", "annotations":
                        {"autoscaling.alpha.kubernetes.io/conditions": "not json"}}});
    assert_eq!(assess(&hpa).map(|h| h.status), Some(HealthStatus::Unknown));

    assert_eq!(assess(&json!(null)), None);
    assert_eq!(assess(&json!([1, 2])), None);
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[A-Za-z]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("True"),
            Just("False"),
            Just("Running"),
            Just("RollingUpdate"),
            Just("OnDelete"),
            Just("LoadBalancer"),
            Just("CrashLoopBackOff"),
            Just("Available"),
            Just("Failed"),
            Just("Paused"),
            Just("Reconciling"),
            Just("Stalled"),
            Just("Ready"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("status".to_string()),
                    Just("spec".to_string()),
                    Just("metadata".to_string()),
                    Just("conditions".to_string()),
                    Just("type".to_string()),
                    Just("replicas".to_string()),
                    Just("phase".to_string()),
                    Just("containerStatuses".to_string()),
                    Just("state".to_string()),
                    Just("waiting".to_string()),
                    Just("reason".to_string()),
                    Just("rollingUpdate".to_string()),
                    Just("partition".to_string()),
                    Just("observedGeneration".to_string()),
                    Just("workloadRef".to_string()),
                    Just("currentPodHash".to_string()),
                    Just("strategy".to_string()),
                    Just("suspend".to_string()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn assess_never_panics_on_any_shape(
        kind in prop_oneof![
            Just(("apps/v1", "Deployment")), Just(("apps/v1", "StatefulSet")),
            Just(("apps/v1", "DaemonSet")), Just(("apps/v1", "ReplicaSet")),
            Just(("v1", "Service")), Just(("v1", "Pod")), Just(("v1", "PersistentVolumeClaim")),
            Just(("networking.k8s.io/v1", "Ingress")), Just(("batch/v1", "Job")),
            Just(("autoscaling/v2", "HorizontalPodAutoscaler")),
            Just(("autoscaling/v1", "HorizontalPodAutoscaler")),
            Just(("apiregistration.k8s.io/v1", "APIService")),
            Just(("argoproj.io/v1alpha1", "Rollout")),
            Just(("argoproj.io/v1alpha1", "AnalysisRun")),
            Just(("kustomize.toolkit.fluxcd.io/v1", "Kustomization")),
            Just(("helm.toolkit.fluxcd.io/v2", "HelmRelease")),
            Just(("source.toolkit.fluxcd.io/v1", "GitRepository")),
            Just(("source.toolkit.fluxcd.io/v1", "HelmRepository")),
        ],
        spec in arbitrary_json(),
        status in arbitrary_json(),
        metadata in arbitrary_json(),
    ) {
        let obj = json!({"apiVersion": kind.0, "kind": kind.1, "metadata": metadata,
                         "spec": spec, "status": status});
        let health = assess(&obj);
        prop_assert!(health.is_some());
    }
}
