//! `kubedrift compare DESIRED LIVE`: the real binary on the shipped example and on bad input.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn kubedrift(args: &[&str]) -> Output {
    kubedrift_with(args, &[])
}

/// The binary with `env` set; no config is found unless `env` points to one (no
/// `$KUBEDRIFT_CONFIG`, and the XDG config dir is one that does not exist).
fn kubedrift_with(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("KUBEDRIFT_CONFIG")
        .env(
            "XDG_CONFIG_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-compare-no-config"),
        );
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run kubedrift")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn resource<'a>(doc: &'a Value, kind: &str, name: &str) -> &'a Value {
    doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind && r["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not in {doc:#}"))
}

#[test]
fn the_example_reports_each_kind_of_drift_and_exits_1() {
    let out = kubedrift(&[
        "compare",
        "assets/examples/desired",
        "assets/examples/live",
        "--output",
        "json",
        "--diff",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&out);
    assert_eq!(doc["sync"], "OutOfSync");
    assert_eq!(doc["exitCode"], 1);

    let deploy = resource(&doc, "Deployment", "web");
    assert_eq!(deploy["sync"], "OutOfSync");
    let paths: Vec<&str> = deploy["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "spec.replicas",
            "spec.template.spec.containers[name=web].env[name=LOG_LEVEL].value"
        ]
    );
    assert_eq!(deploy["health"]["status"], "Healthy");
    assert_eq!(
        deploy["source"],
        "assets/examples/desired/deployment.yaml:1"
    );

    // Server-set fields (clusterIP, defaults, status) and `targetPort: http` are not drift.
    assert_eq!(resource(&doc, "Service", "web")["sync"], "Synced");
    assert_eq!(resource(&doc, "ConfigMap", "web-config")["sync"], "Synced");
    assert_eq!(resource(&doc, "ServiceAccount", "web")["sync"], "Missing");

    // The rotated Secret value is drift, and no value of it is ever printed.
    let secret = resource(&doc, "Secret", "web-db");
    assert_eq!(secret["sync"], "OutOfSync");
    assert_eq!(secret["paths"][0], "data.DB_PASSWORD");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("correct-horse"), "plaintext leaked");
    assert!(!text.contains("Y29ycmVjdC1ob3Jz"), "base64 leaked");
    let diff = secret["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  DB_PASSWORD: ") && diff.contains("+  DB_PASSWORD: "),
        "{diff}"
    );
}

#[test]
fn table_output_lists_every_resource_with_its_differences() {
    let out = kubedrift(&["compare", "assets/examples/desired", "assets/examples/live"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("SYNC"), "{text}");
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("OutOfSync")
            && l.contains("apps/Deployment/shop/web")
            && l.contains("spec.replicas")),
        "{text}"
    );
}

#[test]
fn identical_sides_exit_0() {
    let out = kubedrift(&[
        "compare",
        "assets/examples/desired",
        "assets/examples/desired",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\n  namespace: shop\ndata:\n  k: v\n";

#[test]
fn a_bad_file_is_reported_with_its_line_and_the_rest_is_still_compared() {
    let dir = tempfile::tempdir().unwrap();
    let desired = dir.path().join("desired");
    let live = dir.path().join("live");
    std::fs::create_dir_all(&desired).unwrap();
    std::fs::create_dir_all(&live).unwrap();
    write(&desired, "good.yaml", &CM.replace("NAME", "good"));
    write(
        &desired,
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  - b\n",
    );
    write(&desired, "dup.yaml", &CM.replace("NAME", "good"));
    write(&live, "live.yaml", &CM.replace("NAME", "good"));

    let out = kubedrift(&[
        "compare",
        desired.to_str().unwrap(),
        live.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an incomplete answer is an error"
    );
    let doc = json_of(&out);
    assert_eq!(resource(&doc, "ConfigMap", "good")["sync"], "Synced");
    let errors: Vec<&str> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("broken.yaml:5:3")),
        "malformed YAML names file:line: {errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("dup.yaml") && e.contains("good.yaml")),
        "a duplicate identity names both files: {errors:?}"
    );
}

#[test]
fn live_objects_tracked_to_the_app_but_not_in_git_are_extraneous() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "desired.yaml", &CM.replace("NAME", "kept"));
    let tracked = CM.replace("NAME", "leftover").replace(
        "  namespace: shop\n",
        "  namespace: shop\n  labels:\n    kubedrift.io/app: web\n",
    );
    let untracked = CM.replace("NAME", "someone-elses");
    write(
        dir.path(),
        "live.yaml",
        &format!(
            "{}---\n{tracked}---\n{untracked}",
            CM.replace("NAME", "kept")
        ),
    );
    let desired = dir.path().join("desired.yaml");
    let live = dir.path().join("live.yaml");
    let args = |app: Option<&str>| {
        let mut v = vec![
            "compare".to_string(),
            desired.display().to_string(),
            live.display().to_string(),
            "-o".into(),
            "json".into(),
        ];
        if let Some(app) = app {
            v.extend(["--app".into(), app.into()]);
        }
        v
    };
    let with_app = args(Some("web"));
    let out = kubedrift(&with_app.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    assert_eq!(
        resource(&doc, "ConfigMap", "leftover")["sync"],
        "Extraneous"
    );
    assert!(
        doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] != "someone-elses"),
        "objects without a mark are never Extraneous"
    );

    let without_app = args(None);
    let out = kubedrift(&without_app.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.status.code(),
        Some(0),
        "without --app nothing is claimed"
    );
}

#[test]
fn a_missing_path_is_an_error() {
    let out = kubedrift(&["compare", "does/not/exist", "assets/examples/live"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist"));
}

/// Deployment `web` of app1 in Git.
const DESIRED_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/instance: app1
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
        app.kubernetes.io/instance: app1
    spec:
      containers:
      - name: web
        image: nginx:1.27
";

/// `kubectl get deploy,rs,pod -n shop -o yaml` after Argo CD synced app1: the ReplicaSet
/// and Pod inherit the instance label from the template and name their controller.
const LIVE_DEPLOYMENT_RS_POD: &str = "apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
    uid: 1e7a3c5b-9d2f-4b6a-8c0e-2f4a6c8e0b1d
    resourceVersion: \"88123\"
    generation: 1
    creationTimestamp: \"2026-03-02T10:00:00Z\"
    labels:
      app.kubernetes.io/instance: app1
    annotations:
      deployment.kubernetes.io/revision: \"1\"
  spec:
    replicas: 1
    revisionHistoryLimit: 10
    progressDeadlineSeconds: 600
    selector:
      matchLabels:
        app.kubernetes.io/name: web
    strategy:
      type: RollingUpdate
      rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
    template:
      metadata:
        labels:
          app.kubernetes.io/name: web
          app.kubernetes.io/instance: app1
      spec:
        containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
        dnsPolicy: ClusterFirst
        restartPolicy: Always
        schedulerName: default-scheduler
        terminationGracePeriodSeconds: 30
  status:
    observedGeneration: 1
    replicas: 1
    readyReplicas: 1
    availableReplicas: 1
    updatedReplicas: 1
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: web-5d8f9c7b6
    namespace: shop
    uid: 7b9d1f3a-5c7e-4a0c-9e2b-4d6f8a0c2e4b
    resourceVersion: \"88125\"
    generation: 1
    labels:
      app.kubernetes.io/name: web
      app.kubernetes.io/instance: app1
      pod-template-hash: 5d8f9c7b6
    ownerReferences:
    - apiVersion: apps/v1
      kind: Deployment
      name: web
      uid: 1e7a3c5b-9d2f-4b6a-8c0e-2f4a6c8e0b1d
      controller: true
      blockOwnerDeletion: true
  spec:
    replicas: 1
    selector:
      matchLabels:
        app.kubernetes.io/name: web
        pod-template-hash: 5d8f9c7b6
  status:
    replicas: 1
    readyReplicas: 1
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-5d8f9c7b6-q8x2z
    generateName: web-5d8f9c7b6-
    namespace: shop
    uid: 3c5e7a9b-1d3f-4b5d-8f0a-6c8e0a2c4e6a
    resourceVersion: \"88131\"
    labels:
      app.kubernetes.io/name: web
      app.kubernetes.io/instance: app1
      pod-template-hash: 5d8f9c7b6
    ownerReferences:
    - apiVersion: apps/v1
      kind: ReplicaSet
      name: web-5d8f9c7b6
      uid: 7b9d1f3a-5c7e-4a0c-9e2b-4d6f8a0c2e4b
      controller: true
      blockOwnerDeletion: true
  spec:
    containers:
    - name: web
      image: nginx:1.27
    nodeName: node-a
  status:
    phase: Running
";

fn names_with_sync(doc: &Value, sync: &str) -> Vec<String> {
    doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["sync"] == sync)
        .map(|r| {
            format!(
                "{}/{}",
                r["kind"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn pods_and_replicasets_inheriting_the_instance_label_are_not_extraneous() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.yaml", DESIRED_DEPLOYMENT);
    write(dir.path(), "l.yaml", LIVE_DEPLOYMENT_RS_POD);
    let desired = dir.path().join("d.yaml");
    let live = dir.path().join("l.yaml");
    let out = kubedrift(&[
        "compare",
        desired.to_str().unwrap(),
        live.to_str().unwrap(),
        "--app",
        "app1",
        "-o",
        "json",
    ]);
    let doc = json_of(&out);
    assert!(
        names_with_sync(&doc, "Extraneous").is_empty(),
        "controller-made objects are not the app's: {doc}"
    );
    assert_eq!(out.status.code(), Some(0), "{doc}");
}

#[test]
fn a_desired_file_that_failed_to_parse_hides_no_extraneous_claims() {
    // The ConfigMap is still in Git, but its file has a typo: without it kubedrift cannot
    // know whether the live ConfigMap is extraneous, so it must not say so.
    let dir = tempfile::tempdir().unwrap();
    let desired = dir.path().join("desired");
    std::fs::create_dir_all(&desired).unwrap();
    write(&desired, "deployment.yaml", DESIRED_DEPLOYMENT);
    write(
        &desired,
        "config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\n  labels:\n    app.kubernetes.io/instance: app1\ndata:\n  LOG_LEVEL: info\n   bad: indent\n",
    );
    let live_config = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\n  uid: 9a1c3e5b-7d9f-4b1d-8a2c-4e6a8c0e2b4d\n  resourceVersion: \"88140\"\n  labels:\n    app.kubernetes.io/instance: app1\ndata:\n  LOG_LEVEL: info\n";
    write(
        dir.path(),
        "live.yaml",
        &format!("{LIVE_DEPLOYMENT_RS_POD}{live_config}"),
    );
    let live = dir.path().join("live.yaml");
    let out = kubedrift(&[
        "compare",
        desired.to_str().unwrap(),
        live.to_str().unwrap(),
        "--app",
        "app1",
        "-o",
        "json",
    ]);
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(2), "{doc}");
    assert!(
        names_with_sync(&doc, "Extraneous").is_empty(),
        "no Extraneous claims while Git could not be read in full: {doc}"
    );
    let said = doc["warnings"].to_string() + &doc["errors"].to_string();
    assert!(said.contains("config.yaml"), "{said}");
    assert!(said.contains("Extraneous"), "the user is told why: {said}");
}

#[test]
fn env_flag_claims_only_objects_of_that_environment() {
    // web@dev and web@dev2 share one cluster; Git for dev has only the Deployment.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.yaml", DESIRED_DEPLOYMENT);
    let config = |env: &str| {
        format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config-{env}\n  namespace: shop\n  uid: 9a1c3e5b-7d9f-4b1d-8a2c-{env}\n  resourceVersion: \"88140\"\n  labels:\n    kubedrift.io/app: app1\n    kubedrift.io/env: {env}\ndata:\n  LOG_LEVEL: info\n"
        )
    };
    write(
        dir.path(),
        "l.yaml",
        &format!(
            "{LIVE_DEPLOYMENT_RS_POD}{}{}",
            config("dev"),
            config("dev2")
        ),
    );
    let desired = dir.path().join("d.yaml");
    let live = dir.path().join("l.yaml");
    let run = |env: Option<&str>| {
        let mut args = vec![
            "compare",
            desired.to_str().unwrap(),
            live.to_str().unwrap(),
            "--app",
            "app1",
            "-o",
            "json",
        ];
        if let Some(env) = env {
            args.extend(["--env", env]);
        }
        json_of(&kubedrift(&args))
    };
    assert_eq!(
        names_with_sync(&run(Some("dev")), "Extraneous"),
        ["ConfigMap/web-config-dev"]
    );
    assert_eq!(
        names_with_sync(&run(Some("dev2")), "Extraneous"),
        ["ConfigMap/web-config-dev2"]
    );
    assert_eq!(
        names_with_sync(&run(None), "Extraneous"),
        ["ConfigMap/web-config-dev", "ConfigMap/web-config-dev2"]
    );
}

/// A cert-manager ClusterIssuer as in Git: a custom kind, cluster-scoped, no namespace.
const DESIRED_CLUSTER_ISSUER: &str = "apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
  labels:
    kubedrift.io/app: certs
spec:
  acme:
    email: sre@example.com
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef:
      name: letsencrypt-account-key
    solvers:
    - http01:
        ingress:
          ingressClassName: nginx
";

/// `kubectl get clusterissuer letsencrypt -o yaml`: no `metadata.namespace`, because the
/// API server knows the kind is cluster-scoped.
const LIVE_CLUSTER_ISSUER: &str = "apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {\"apiVersion\":\"cert-manager.io/v1\",\"kind\":\"ClusterIssuer\",\"metadata\":{\"annotations\":{},\"labels\":{\"kubedrift.io/app\":\"certs\"},\"name\":\"letsencrypt\"},\"spec\":{\"acme\":{\"email\":\"sre@example.com\",\"privateKeySecretRef\":{\"name\":\"letsencrypt-account-key\"},\"server\":\"https://acme-v02.api.letsencrypt.org/directory\",\"solvers\":[{\"http01\":{\"ingress\":{\"ingressClassName\":\"nginx\"}}}]}}}
  creationTimestamp: \"2026-03-02T09:12:44Z\"
  generation: 1
  labels:
    kubedrift.io/app: certs
  managedFields:
  - apiVersion: cert-manager.io/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations:
          .: {}
          f:kubectl.kubernetes.io/last-applied-configuration: {}
        f:labels:
          .: {}
          f:kubedrift.io/app: {}
      f:spec:
        .: {}
        f:acme:
          .: {}
          f:email: {}
          f:privateKeySecretRef:
            .: {}
            f:name: {}
          f:server: {}
          f:solvers: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: \"2026-03-02T09:12:44Z\"
  - apiVersion: cert-manager.io/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:status:
        .: {}
        f:acme:
          .: {}
          f:lastPrivateKeyHash: {}
          f:lastRegisteredEmail: {}
          f:uri: {}
        f:conditions:
          .: {}
          k:{\"type\":\"Ready\"}:
            .: {}
            f:lastTransitionTime: {}
            f:message: {}
            f:observedGeneration: {}
            f:reason: {}
            f:status: {}
            f:type: {}
    manager: cert-manager-clusterissuers
    operation: Update
    subresource: status
    time: \"2026-03-02T09:12:46Z\"
  name: letsencrypt
  resourceVersion: \"40211\"
  uid: 5f0b7c2e-8a41-4d3b-9e6a-1c2d3e4f5a6b
spec:
  acme:
    email: sre@example.com
    privateKeySecretRef:
      name: letsencrypt-account-key
    server: https://acme-v02.api.letsencrypt.org/directory
    solvers:
    - http01:
        ingress:
          ingressClassName: nginx
status:
  acme:
    lastPrivateKeyHash: 3mT0pXlqvGJx9Bq3G2c1m4Yk3s7dC0rQ1vF9nW2hZ5A=
    lastRegisteredEmail: sre@example.com
    uri: https://acme-v02.api.letsencrypt.org/acme/acct/1234567890
  conditions:
  - lastTransitionTime: \"2026-03-02T09:12:46Z\"
    message: The ACME account was registered with the ACME server
    observedGeneration: 1
    reason: ACMEAccountRegistered
    status: \"True\"
    type: Ready
";

#[test]
fn a_custom_cluster_scoped_kind_is_keyed_without_namespace_as_live_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.yaml", DESIRED_CLUSTER_ISSUER);
    write(dir.path(), "l.yaml", LIVE_CLUSTER_ISSUER);
    let desired = dir.path().join("d.yaml");
    let live = dir.path().join("l.yaml");
    for namespace in [None, Some("shop")] {
        let mut args = vec![
            "compare",
            desired.to_str().unwrap(),
            live.to_str().unwrap(),
            "--app",
            "certs",
        ];
        if let Some(ns) = namespace {
            args.extend(["-n", ns]);
        }
        let table = kubedrift(&args);
        let text = String::from_utf8_lossy(&table.stdout);
        assert_eq!(table.status.code(), Some(0), "-n {namespace:?}: {text}");
        assert!(
            text.lines().any(|l| l.starts_with("Synced")
                && l.contains("cert-manager.io/ClusterIssuer/letsencrypt")),
            "-n {namespace:?}: {text}"
        );
        assert!(!text.contains("default"), "-n {namespace:?}: {text}");

        args.extend(["-o", "json"]);
        let out = kubedrift(&args);
        let doc = json_of(&out);
        assert_eq!(out.status.code(), Some(0), "-n {namespace:?}: {doc}");
        assert_eq!(doc["resources"].as_array().unwrap().len(), 1, "{doc}");
        let issuer = resource(&doc, "ClusterIssuer", "letsencrypt");
        assert_eq!(issuer["sync"], "Synced", "{doc}");
        assert_eq!(issuer["group"], "cert-manager.io");
        assert_eq!(issuer["namespace"], Value::Null, "{doc}");
    }
}

/// The platform config listing app `web`, whose HPA owns `spec.replicas`.
const CONFIG_IGNORING_REPLICAS: &str = r#"
[[repo]]
name = "platform"
path = "platform-repo"

[[environment]]
name = "prod"
context = "prod-eu1"
namespace = "shop"

[[app]]
name = "web"
path = "apps/web/envs/{env}"

[[app.ignore]]
group = "apps"
kind = "Deployment"
name = "web"
json_pointers = ["/spec/replicas"]
"#;

/// Paths reported for `apps/Deployment/shop/web` (exit code checked: 1, drift).
fn deployment_paths(out: &Output) -> Vec<String> {
    let doc = json_of(out);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    resource(&doc, "Deployment", "web")["paths"]
        .as_array()
        .unwrap_or_else(|| panic!("no paths: {doc}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn compare_with_app_applies_the_configured_ignore_rules_of_that_app() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.yaml", DESIRED_DEPLOYMENT);
    // The HPA scaled web to 4 and someone hot-fixed the image.
    let live_text = LIVE_DEPLOYMENT_RS_POD
        .replacen(
            "    replicas: 1\n    revisionHistoryLimit",
            "    replicas: 4\n    revisionHistoryLimit",
            1,
        )
        .replacen(
            "image: nginx:1.27\n          imagePullPolicy",
            "image: nginx:1.27.1\n          imagePullPolicy",
            1,
        );
    assert_ne!(live_text, LIVE_DEPLOYMENT_RS_POD);
    write(dir.path(), "l.yaml", &live_text);
    let config = dir.path().join("config.toml");
    write(dir.path(), "config.toml", CONFIG_IGNORING_REPLICAS);
    let desired = dir.path().join("d.yaml");
    let live = dir.path().join("l.yaml");
    let base = [
        "compare",
        desired.to_str().unwrap(),
        live.to_str().unwrap(),
        "-o",
        "json",
    ];
    let image = "spec.template.spec.containers[name=web].image";
    let args = |extra: &[&'static str]| {
        let mut v: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |args: &[String], env: &[(&str, &Path)]| {
        kubedrift_with(&args.iter().map(String::as_str).collect::<Vec<_>>(), env)
    };

    // No config: both differences.
    let plain = run(&args(&["--app", "web"]), &[]);
    assert_eq!(deployment_paths(&plain), ["spec.replicas", image]);

    // --config: the app's rule hides replicas, the image drift is still reported.
    let mut explicit = vec!["--config".to_string(), config.display().to_string()];
    explicit.extend(args(&["--app", "web"]));
    assert_eq!(deployment_paths(&run(&explicit, &[])), [image]);

    // $KUBEDRIFT_CONFIG and the default file (XDG config dir) are used the same way.
    let from_env = run(&args(&["--app", "web"]), &[("KUBEDRIFT_CONFIG", &config)]);
    assert_eq!(deployment_paths(&from_env), [image]);
    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("kubedrift")).unwrap();
    std::fs::copy(&config, xdg.join("kubedrift/config.toml")).unwrap();
    let from_default = run(&args(&["--app", "web"]), &[("XDG_CONFIG_HOME", &xdg)]);
    assert_eq!(deployment_paths(&from_default), [image]);

    // Another app's rules, or no --app, change nothing.
    let other = run(&args(&["--app", "api"]), &[("KUBEDRIFT_CONFIG", &config)]);
    assert_eq!(deployment_paths(&other), ["spec.replicas", image]);
    let no_app = run(&args(&[]), &[("KUBEDRIFT_CONFIG", &config)]);
    assert_eq!(deployment_paths(&no_app), ["spec.replicas", image]);
}

#[test]
fn compare_with_app_and_a_config_that_does_not_load_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "d.yaml", DESIRED_DEPLOYMENT);
    write(dir.path(), "l.yaml", LIVE_DEPLOYMENT_RS_POD);
    write(
        dir.path(),
        "config.toml",
        &CONFIG_IGNORING_REPLICAS.replace("context = ", "contxt = "),
    );
    let config = dir.path().join("config.toml");
    let missing = dir.path().join("missing.toml");
    let desired = dir.path().join("d.yaml");
    let live = dir.path().join("l.yaml");
    for bad in [&config, &missing] {
        let out = kubedrift(&[
            "--config",
            bad.to_str().unwrap(),
            "compare",
            desired.to_str().unwrap(),
            live.to_str().unwrap(),
            "--app",
            "app1",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(bad.to_str().unwrap()), "{stderr}");
        assert!(out.stdout.is_empty(), "no half answer on stdout");
    }
    let typo = kubedrift(&[
        "--config",
        config.to_str().unwrap(),
        "compare",
        desired.to_str().unwrap(),
        live.to_str().unwrap(),
        "--app",
        "app1",
    ]);
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("config.toml:8:1"),
        "{}",
        String::from_utf8_lossy(&typo.stderr)
    );
}

/// `kubectl get -o yaml` of a Service applied client-side with `protocol: TCP` spelled out
/// (Git now leaves it to the default), and of a Deployment a webhook injected a sidecar into,
/// whose image was changed by hand.
const APPLIED_LIVE: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  uid: 7c0e5a2d-1f3b-4e8a-9d6c-2b4f8e1a0c37
  resourceVersion: "90211"
  creationTimestamp: "2026-11-02T08:00:00Z"
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"web","namespace":"shop"},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080}],"selector":{"app":"web"}}}
spec:
  clusterIP: 10.96.14.2
  clusterIPs: [10.96.14.2]
  internalTrafficPolicy: Cluster
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  selector:
    app: web
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 3b8e1f0c-6d2a-4c7e-b915-0e4f7a2d9c61
  resourceVersion: "90240"
  generation: 3
  creationTimestamp: "2026-11-02T08:00:00Z"
  annotations:
    deployment.kubernetes.io/revision: "3"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"shop"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"registry.example.com/shop/web:1.4.2","name":"web"}]}}}}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: registry.example.com/shop/web:1.4.2-hotfix
        imagePullPolicy: IfNotPresent
      - name: istio-proxy
        image: docker.io/istio/proxyv2:1.24.0
        imagePullPolicy: IfNotPresent
      dnsPolicy: ClusterFirst
      restartPolicy: Always
status:
  replicas: 2
"#;

const GIT_NOW: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: registry.example.com/shop/web:1.4.2
";

#[test]
fn defaulted_fields_are_not_drift_and_items_apply_keeps_are_shown_as_kept() {
    let dir = tempfile::tempdir().unwrap();
    let desired = dir.path().join("desired");
    let live = dir.path().join("live");
    std::fs::create_dir_all(&desired).unwrap();
    std::fs::create_dir_all(&live).unwrap();
    write(&desired, "web.yaml", GIT_NOW);
    write(&live, "web.yaml", APPLIED_LIVE);

    let out = kubedrift(&[
        "compare",
        "--diff",
        desired.to_str().unwrap(),
        live.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The Service's protocol Git no longer spells out is defaulted back: Synced.
    assert!(
        text.lines()
            .any(|l| l.starts_with("Synced") && l.contains("Service/shop/web")),
        "{text}"
    );
    assert!(!text.contains("protocol"), "{text}");
    // The Deployment differs by its image only; the sidecar is shown, kept.
    assert!(
        text.lines().any(|l| l.starts_with('-')
            && l.ends_with("image: registry.example.com/shop/web:1.4.2-hotfix")),
        "{text}"
    );
    assert!(
        text.contains(
            "\n# live only, kept by apply (not drift): spec.template.spec.containers[name=istio-proxy]\n"
        ),
        "{text}"
    );
    assert!(text.contains("\n#   name: istio-proxy\n"), "{text}");
}
