//! Argo Rollouts through the real binary against sandbox clusters: the Rollout CRD installed
//! with real kubectl, a Rollout in Git paused mid-canary (its status written through the
//! status subresource, as the Rollouts controller would), its ReplicaSets owned by it, and the
//! Deployment its `workloadRef` points at tracked to the app but not in Git.
//! `kubedrift status --output json` reports the health and the progress and claims none of
//! them as Extraneous; `kubedrift compare --app` on a `kubectl get -o yaml` dump neither.

use crate::live_support::Fixture;
use kubedrift_testkit::Run;
use serde_json::{json, Value};
use std::process::Command;

/// The Rollout CRD as Argo Rollouts installs it (schema trimmed: unknown fields preserved).
pub const ROLLOUT_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: rollouts.argoproj.io
spec:
  group: argoproj.io
  names:
    kind: Rollout
    listKind: RolloutList
    plural: rollouts
    shortNames: [ro]
    singular: rollout
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources:
        status: {}
        scale:
          specReplicasPath: .spec.replicas
          statusReplicasPath: .status.HPAReplicas
          labelSelectorPath: .status.selector
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"#;

/// The canary of the Argo Rollouts docs, its template taken from Deployment `web-canary`.
const ROLLOUT: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web-canary
  namespace: shop
  labels:
    kubedrift.io/app: web
spec:
  replicas: 5
  selector:
    matchLabels:
      app: web-canary
  workloadRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web-canary
  strategy:
    canary:
      steps:
        - setWeight: 20
        - pause: {}
        - setWeight: 40
        - pause: {duration: 10m}
"#;

/// The Deployment the Rollout takes its template from: applied by hand, not in Git, but
/// carrying the app's label (what a copy-paste from the chart leaves behind).
const TEMPLATE_DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-canary
  namespace: shop
  labels:
    kubedrift.io/app: web
spec:
  replicas: 0
  selector:
    matchLabels:
      app: web-canary
  template:
    metadata:
      labels:
        app: web-canary
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.5.0
"#;

fn kubedrift(fx: &Fixture, args: &[&str]) -> Run {
    Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(args)
        .arg("--kubeconfig")
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", fx.config_path())
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubedrift runs")
        .into()
}

fn write(fx: &Fixture, name: &str, content: &str) -> String {
    let path = fx.dir.path().join(name);
    std::fs::write(&path, content).expect("file written");
    path.to_str().expect("utf-8 path").to_string()
}

fn kubectl_text(fx: &Fixture, args: &[&str]) -> String {
    let mut full = vec!["--context", "dev", "-n", "shop"];
    full.extend_from_slice(args);
    fx.ok(&full)
}

/// A ReplicaSet of the Rollout, as its controller makes them: the template's labels (with
/// the app's tracking label) and a controller reference to the Rollout.
fn replica_set(hash: &str, rollout_uid: &str, replicas: u32) -> String {
    let rs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": format!("web-canary-{hash}"), "namespace": "shop",
            "labels": {"app": "web-canary", "rollouts-pod-template-hash": hash,
                       "kubedrift.io/app": "web"},
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                 "name": "web-canary", "uid": rollout_uid,
                                 "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web-canary", "rollouts-pod-template-hash": hash}},
            "template": {
                "metadata": {"labels": {"app": "web-canary", "rollouts-pod-template-hash": hash,
                                        "kubedrift.io/app": "web"}},
                "spec": {"containers": [{"name": "web",
                                         "image": "registry.example.com/shop/web:1.5.0"}]}
            }
        }
    });
    serde_json::to_string(&rs).expect("json")
}

fn resources(app: &Value) -> &[Value] {
    app["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

#[test]
fn status_reports_a_paused_canary_and_claims_neither_its_replicasets_nor_its_workload() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.ok(&[
        "--context",
        "dev",
        "apply",
        "-f",
        &write(&fx, "crd.yaml", ROLLOUT_CRD),
    ]);
    fx.commit(
        &[("apps/web/dev/rollout.yaml".to_string(), ROLLOUT.to_string())],
        "web: canary Rollout",
    );
    fx.deploy("dev", "dev");
    fx.ok(&[
        "--context",
        "dev",
        "apply",
        "-f",
        &write(&fx, "template.yaml", TEMPLATE_DEPLOYMENT),
    ]);
    // The app's plain Deployment must have finished its own rollout first: while it is
    // Progressing (the worse health in Argo CD's order) it, not the paused canary, would be the
    // app's health — a race with the sandbox's controller that failed CI under load.
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=120s",
    ]);

    // The controller's part: status (paused at step 2 of 4) and the two ReplicaSets.
    let generation = kubectl_text(
        &fx,
        &[
            "get",
            "rollout",
            "web-canary",
            "-o",
            "jsonpath={.metadata.generation}",
        ],
    );
    let uid = kubectl_text(
        &fx,
        &[
            "get",
            "rollout",
            "web-canary",
            "-o",
            "jsonpath={.metadata.uid}",
        ],
    );
    let status = json!({"status": {
        "observedGeneration": generation.trim(), "phase": "Paused", "message": "CanaryPauseStep",
        "currentPodHash": "7f9c6d5b8", "stableRS": "6d4b8c9f7", "currentStepIndex": 1,
        "replicas": 5, "updatedReplicas": 1, "availableReplicas": 5,
        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-03-02T10:05:00Z"}],
        "canary": {"currentBackgroundAnalysisRunStatus":
                       {"name": "web-canary-7f9c6d5b8-2", "status": "Running"}}
    }});
    kubectl_text(
        &fx,
        &[
            "patch",
            "rollout",
            "web-canary",
            "--subresource=status",
            "--type=merge",
            "-p",
            &status.to_string(),
        ],
    );
    for (hash, replicas) in [("6d4b8c9f7", 4), ("7f9c6d5b8", 1)] {
        let file = write(
            &fx,
            &format!("rs-{hash}.json"),
            &replica_set(hash, uid.trim(), replicas),
        );
        fx.ok(&["--context", "dev", "apply", "-f", &file]);
    }

    let run = kubedrift(&fx, &["status", "--env", "dev", "--output", "json"]);
    // Exit 0: nothing drifted — the hand-applied template Deployment is not Extraneous.
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    let app = &doc["apps"][0];
    assert_eq!(app["sync"], "Synced", "{app}");
    assert_eq!(app["health"], "Suspended", "{app}");
    let rollout = resources(app)
        .iter()
        .find(|r| r["kind"] == "Rollout")
        .unwrap_or_else(|| panic!("no Rollout row: {app}"));
    assert_eq!(rollout["sync"], "Synced", "{rollout}");
    assert_eq!(rollout["health"]["status"], "Suspended", "{rollout}");
    assert_eq!(rollout["health"]["message"], "CanaryPauseStep", "{rollout}");
    assert_eq!(
        rollout["rollout"]["headline"], "canary 20% paused",
        "{rollout}"
    );
    assert_eq!(
        rollout["rollout"]["lines"],
        json!([
            "canary step 2 of 4 (pause until promoted), weight 20%",
            "paused at a pause step",
            "background analysis web-canary-7f9c6d5b8-2 running",
            "template from Deployment web-canary"
        ]),
        "{rollout}"
    );
    let extraneous: Vec<&Value> = resources(app)
        .iter()
        .filter(|r| r["sync"] == "Extraneous")
        .collect();
    assert!(extraneous.is_empty(), "{extraneous:?}");
    assert!(
        !resources(app).iter().any(|r| r["kind"] == "ReplicaSet"),
        "{app}"
    );

    // Offline, on a dump of everything in the namespace (ReplicaSets and Pods included).
    let dump = kubectl_text(
        &fx,
        &[
            "get",
            "rollouts,deployments,replicasets,pods,services,configmaps",
            "-o",
            "yaml",
        ],
    );
    assert!(dump.contains("web-canary-7f9c6d5b8"), "{dump}");
    let dump = write(&fx, "live.yaml", &dump);
    let desired = fx.repo_path().join("apps/web/dev");
    let run = kubedrift(
        &fx,
        &[
            "compare",
            desired.to_str().expect("utf-8"),
            &dump,
            "--app",
            "web",
            "--output",
            "json",
        ],
    );
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let extraneous: Vec<&Value> = resources(&doc)
        .iter()
        .filter(|r| r["sync"] == "Extraneous")
        .collect();
    assert!(extraneous.is_empty(), "{extraneous:?}");
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let rollout = resources(&doc)
        .iter()
        .find(|r| r["kind"] == "Rollout")
        .unwrap_or_else(|| panic!("no Rollout: {doc}"));
    assert_eq!(rollout["health"]["status"], "Suspended", "{rollout}");
}

/// The Rollout of [`ROLLOUT`], letting the controller scale the referenced Deployment down.
fn rollout_scaling_down() -> String {
    ROLLOUT.replace(
        "    name: web-canary\n  strategy:",
        "    name: web-canary\n    scaleDown: onsuccess\n  strategy:",
    )
}

#[test]
fn a_deployment_the_rollout_scales_down_keeps_its_template_compared() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.ok(&[
        "--context",
        "dev",
        "apply",
        "-f",
        &write(&fx, "crd.yaml", ROLLOUT_CRD),
    ]);
    let rollout = rollout_scaling_down();
    assert!(rollout.contains("scaleDown: onsuccess"), "{rollout}");
    // Git has the template Deployment too, with 3 replicas.
    let template = TEMPLATE_DEPLOYMENT.replace("replicas: 0", "replicas: 3");
    fx.commit(
        &[
            ("apps/web/dev/rollout.yaml".to_string(), rollout),
            ("apps/web/dev/rollout-template.yaml".to_string(), template),
        ],
        "web: canary Rollout with its template Deployment",
    );
    fx.deploy("dev", "dev");
    // The Rollouts controller scales the Deployment to 0 once the Rollout is healthy.
    kubectl_text(
        &fx,
        &[
            "patch",
            "deployment",
            "web-canary",
            "--type=merge",
            "-p",
            r#"{"spec":{"replicas":0}}"#,
            "--field-manager=rollouts-controller",
        ],
    );
    let run = kubedrift(&fx, &["status", "--env", "dev", "--output", "json"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    let deployment = resources(&doc["apps"][0])
        .iter()
        .find(|r| r["kind"] == "Deployment" && r["name"] == "web-canary")
        .cloned()
        .unwrap_or_else(|| panic!("no template Deployment: {doc}"));
    assert_eq!(deployment["sync"], "Synced", "{deployment}");

    // Someone changes the template's image by hand: that is drift.
    kubectl_text(
        &fx,
        &[
            "set",
            "image",
            "deployment/web-canary",
            "web=registry.example.com/shop/web:1.6.0",
        ],
    );
    let run = kubedrift(&fx, &["status", "--env", "dev", "--output", "json"]);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    let deployment = resources(&doc["apps"][0])
        .iter()
        .find(|r| r["kind"] == "Deployment" && r["name"] == "web-canary")
        .cloned()
        .unwrap_or_else(|| panic!("no template Deployment: {doc}"));
    assert_eq!(deployment["sync"], "OutOfSync", "{deployment}");
    assert_eq!(
        deployment["paths"],
        json!(["spec.template.spec.containers[name=web].image"]),
        "{deployment}"
    );
}
