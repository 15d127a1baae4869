//! The real kubectl (v1.32, /usr/bin/kubectl) against sandbox clusters: outputs and exit codes
//! must be what kubectl gives against a real cluster.
//!
//! kubectl only sends bearer tokens over HTTPS, so these sandboxes serve TLS. Every kubectl run
//! has `--request-timeout` so a server bug fails a test instead of hanging it.

use std::process::Stdio;
use std::time::Duration;

/// kubectl's `--request-timeout` in these tests.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh sandbox with cluster `dev` and kubectl on it.
fn start_dev() -> kubedrift_testkit::SandboxEnv {
    kubedrift_testkit::SandboxEnv::dev(KUBECTL_TIMEOUT)
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";

fn deployment(replicas: u32, with_env: bool) -> String {
    let env = if with_env {
        "        env:\n        - name: MODE\n          value: prod\n"
    } else {
        ""
    };
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  replicas: {replicas}
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
        image: nginx:1.27
        ports:
        - containerPort: 80
{env}"
    )
}

fn first_line(text: &str) -> Vec<&str> {
    text.lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

#[test]
fn fresh_cluster_looks_like_a_real_one() {
    let env = start_dev();
    let namespaces = env.ok(&["get", "ns", "-o", "name"]);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(
            namespaces.contains(&format!("namespace/{ns}")),
            "{namespaces}"
        );
    }
    let accounts = env.ok(&["get", "sa", "-A", "--no-headers"]);
    assert_eq!(
        accounts
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("default"))
            .count(),
        4,
        "{accounts}"
    );
    let ca = env.jsonpath(
        &["cm", "kube-root-ca.crt", "-n", "kube-public"],
        "{.data.ca\\.crt}",
    );
    assert!(ca.contains("BEGIN CERTIFICATE"));
    let svc = env.ok(&["get", "svc", "kubernetes", "-n", "default"]);
    assert_eq!(
        first_line(&svc),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert!(svc.contains("10.96.0.1"));
    let version = env.ok(&["version", "-o", "json"]);
    assert!(version.contains("\"gitVersion\": \"v1.32"), "{version}");
    // kubectl 1.32 uses aggregated discovery: two requests, no per-group-version fetches.
    let verbose = env.kubectl(&["api-resources", "-v=6"]);
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    assert!(
        verbose.stderr.contains("/apis?timeout="),
        "{}",
        verbose.stderr
    );
    assert!(
        !verbose.stderr.contains("/apis/apps/v1?timeout="),
        "fell back to legacy discovery:\n{}",
        verbose.stderr
    );
    let resources = env.ok(&["api-resources", "--no-headers"]);
    for (name, api) in [
        ("deployments", "apps/v1"),
        ("horizontalpodautoscalers", "autoscaling/v2"),
        ("clusterroles", "rbac.authorization.k8s.io/v1"),
        ("customresourcedefinitions", "apiextensions.k8s.io/v1"),
    ] {
        assert!(
            resources
                .lines()
                .any(|l| l.starts_with(name) && l.contains(api)),
            "{name} missing:\n{resources}"
        );
    }
}

#[test]
fn client_side_apply_diff_and_field_removal() {
    let env = start_dev();
    let ns = env.file("ns.yaml", NAMESPACE);
    let v1 = env.file("v1.yaml", &deployment(2, true));
    let created = env.ok(&["apply", "-f", &ns, "-f", &v1]);
    assert!(created.contains("deployment.apps/web created"), "{created}");
    let again = env.ok(&["apply", "-f", &v1]);
    assert_eq!(again.trim(), "deployment.apps/web unchanged");

    let table = env.ok(&["get", "deploy", "-A"]);
    assert_eq!(
        first_line(&table),
        [
            "NAMESPACE",
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE"
        ]
    );
    let yaml = env.ok(&[
        "get",
        "deploy",
        "web",
        "-n",
        "shop",
        "-o",
        "yaml",
        "--show-managed-fields",
    ]);
    for needle in [
        "uid:",
        "resourceVersion:",
        "generation: 1",
        "kubectl.kubernetes.io/last-applied-configuration",
        "manager: kubectl-client-side-apply",
        "progressDeadlineSeconds: 600",
        "imagePullPolicy: IfNotPresent",
    ] {
        assert!(yaml.contains(needle), "{needle} missing from:\n{yaml}");
    }

    // kubectl diff: 0 when the same, 1 when different.
    assert_eq!(env.kubectl(&["diff", "-f", &v1]).code, 0);
    let v2 = env.file("v2.yaml", &deployment(3, false));
    let diff = env.kubectl(&["diff", "-f", &v2]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(
        diff.stdout.contains("-  replicas: 2") && diff.stdout.contains("+  replicas: 3"),
        "{}",
        diff.stdout
    );

    // Re-apply without the env var: kubectl's three-way merge removes it.
    let configured = env.ok(&["apply", "-f", &v2]);
    assert_eq!(configured.trim(), "deployment.apps/web configured");
    let containers = env.jsonpath(
        &["deploy", "web", "-n", "shop"],
        "{.spec.template.spec.containers[0]}",
    );
    assert!(!containers.contains("MODE"), "{containers}");
    let generation = env.jsonpath(&["deploy", "web", "-n", "shop"], "{.metadata.generation}");
    assert_eq!(generation, "2");
    assert_eq!(env.kubectl(&["diff", "-f", &v2]).code, 0);

    // Server-side dry run stores nothing.
    let v3 = env.file("v3.yaml", &deployment(7, false));
    env.ok(&["apply", "--dry-run=server", "-f", &v3]);
    assert_eq!(
        env.jsonpath(&["deploy", "web", "-n", "shop"], "{.spec.replicas}"),
        "3"
    );
}

#[test]
fn server_side_apply_conflicts_after_scale() {
    let env = start_dev();
    let ns = env.file("ns.yaml", NAMESPACE);
    env.ok(&["apply", "-f", &ns]);
    let manifest = env.file("deploy.yaml", &deployment(2, true));
    let applied = env.ok(&["apply", "--server-side", "-f", &manifest]);
    assert!(
        applied.contains("deployment.apps/web serverside-applied"),
        "{applied}"
    );
    assert_eq!(
        env.ok(&["scale", "deploy", "web", "-n", "shop", "--replicas=5"])
            .trim(),
        "deployment.apps/web scaled"
    );

    let conflict = env.kubectl(&["apply", "--server-side", "-f", &manifest]);
    assert_eq!(conflict.code, 1);
    assert!(
        conflict.stderr.contains("Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"),
        "{}",
        conflict.stderr
    );
    assert!(conflict.stderr.contains("--force-conflicts"));

    env.ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        &manifest,
    ]);
    assert_eq!(
        env.jsonpath(&["deploy", "web", "-n", "shop"], "{.spec.replicas}"),
        "2"
    );
    let managers = env.jsonpath(
        &["deploy", "web", "-n", "shop", "--show-managed-fields"],
        "{.metadata.managedFields[*].manager}",
    );
    assert!(managers.contains("kubectl"), "{managers}");
}

#[test]
fn edit_patch_scale_and_delete() {
    let env = start_dev();
    env.ok(&["create", "namespace", "shop"]);
    let manifest = env.file("deploy.yaml", &deployment(2, true));
    env.ok(&["create", "-f", &manifest]);
    env.ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "shop",
        "--from-literal=LOG_LEVEL=info",
    ]);

    let editor = env.file(
        "editor.sh",
        "#!/bin/sh\nsed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' \"$1\"\n",
    );
    let mut perms = std::fs::metadata(&editor).expect("editor").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&editor, perms).expect("chmod");
    let edited = env
        .command(&["edit", "cm", "settings", "-n", "shop"])
        .env("KUBE_EDITOR", &editor)
        .output()
        .expect("kubectl edit");
    assert!(
        edited.status.success(),
        "{}",
        String::from_utf8_lossy(&edited.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&edited.stdout).trim(),
        "configmap/settings edited"
    );
    assert_eq!(
        env.jsonpath(&["cm", "settings", "-n", "shop"], "{.data.LOG_LEVEL}"),
        "debug"
    );

    env.ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "shop",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"labels":{"tier":"frontend"}}}"#,
    ]);
    // Strategic merge: the container list merges by name, keeping the env var.
    env.ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "shop",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}"#,
    ]);
    env.ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "shop",
        "--type",
        "json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#,
    ]);
    let state = env.jsonpath(&["deploy", "web", "-n", "shop"], "{.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].value} {.metadata.labels.tier}");
    assert_eq!(state, "4 nginx:1.28 prod frontend");

    let bad = env.kubectl(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "shop",
        "--type",
        "json",
        "-p",
        r#"[{"op":"remove","path":"/spec/nothing"}]"#,
    ]);
    assert_eq!(bad.code, 1);
    // A real server answers 422 for an inapplicable JSON patch; kubectl prints it as invalid.
    assert!(
        bad.stderr.starts_with("The request is invalid") && bad.stderr.contains("/spec/nothing"),
        "{}",
        bad.stderr
    );

    env.ok(&["scale", "deploy", "web", "-n", "shop", "--replicas=1"]);
    let scale = env.jsonpath(&["deploy", "web", "-n", "shop"], "{.spec.replicas}");
    assert_eq!(scale, "1");

    assert_eq!(
        env.ok(&["delete", "deploy", "web", "-n", "shop"]).trim(),
        "deployment.apps \"web\" deleted"
    );
    let gone = env.kubectl(&["get", "deploy", "web", "-n", "shop"]);
    assert_eq!(gone.code, 1);
    assert_eq!(
        gone.stderr.trim(),
        "Error from server (NotFound): deployments.apps \"web\" not found"
    );

    let no_ns = env.kubectl(&["create", "configmap", "x", "-n", "nope"]);
    assert_eq!(no_ns.code, 1);
    assert_eq!(
        no_ns.stderr.trim(),
        "error: failed to create configmap: namespaces \"nope\" not found"
    );

    let dup = env.kubectl(&["create", "configmap", "settings", "-n", "shop"]);
    assert_eq!(dup.code, 1);
    assert_eq!(
        dup.stderr.trim(),
        "error: failed to create configmap: configmaps \"settings\" already exists"
    );

    assert_eq!(
        env.ok(&["delete", "ns", "shop"]).trim(),
        "namespace \"shop\" deleted"
    );
    assert_eq!(
        env.ok(&["get", "cm", "-n", "shop", "-o", "name"]).trim(),
        ""
    );
}

#[test]
fn get_watch_streams_changes() {
    let env = start_dev();
    env.ok(&["create", "namespace", "shop"]);
    env.ok(&[
        "create",
        "configmap",
        "early",
        "-n",
        "shop",
        "--from-literal=a=1",
    ]);
    let mut child = env
        .command(&["get", "cm", "-n", "shop", "-w", "-o", "name"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let lines = kubedrift_testkit::lines_of(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    // Bounded wait so a broken watch fails instead of hanging (not a timing assertion).
    let wait_for = |wanted: &str, seen: &mut Vec<String>| {
        kubedrift_testkit::wait_for_line(&lines, Duration::from_secs(30), seen, |line| {
            line == wanted
        })
        .is_some()
    };
    assert!(
        wait_for("configmap/early", &mut seen),
        "initial list: {seen:?}"
    );
    env.ok(&[
        "create",
        "configmap",
        "late",
        "-n",
        "shop",
        "--from-literal=b=2",
    ]);
    let seen_late = wait_for("configmap/late", &mut seen);
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen_late, "watch did not deliver the new object: {seen:?}");
}

#[test]
fn custom_resource_definitions_are_served() {
    let env = start_dev();
    env.ok(&["create", "namespace", "shop"]);
    let crd = env.file(
        "crd.yaml",
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
",
    );
    assert!(env
        .ok(&["apply", "-f", &crd])
        .contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"));
    let widget = env.file("widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gear, namespace: shop}\nspec: {size: 3, color: blue}\n");
    assert_eq!(
        env.ok(&["apply", "-f", &widget]).trim(),
        "widget.example.com/gear created"
    );
    let table = env.ok(&["get", "wd", "-n", "shop"]);
    assert_eq!(first_line(&table), ["NAME", "SIZE", "AGE"]);
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("gear") && l.contains(" 3 ")),
        "{table}"
    );
    let resources = env.ok(&["api-resources", "--api-group=example.com", "--no-headers"]);
    assert!(
        resources.starts_with("widgets")
            && resources.contains("wd")
            && resources.contains("Widget"),
        "{resources}"
    );
    env.ok(&["apply", "--server-side", "-f", &widget]);
    env.ok(&["delete", "crd", "widgets.example.com"]);
    let gone = env.kubectl(&["get", "widgets", "-n", "shop"]);
    assert_eq!(gone.code, 1, "{}", gone.stdout);
}

#[test]
fn viewer_token_is_read_only() {
    let env = start_dev();
    env.ok(&["create", "namespace", "shop"]);
    let manifest = env.file("deploy.yaml", &deployment(1, false));
    env.ok(&["apply", "-f", &manifest]);
    let read = env.kubectl(&[
        "--context",
        "dev-viewer",
        "get",
        "deploy",
        "-n",
        "shop",
        "-o",
        "name",
    ]);
    assert_eq!((read.code, read.stdout.trim()), (0, "deployment.apps/web"));
    let patch = env.kubectl(&[
        "--context",
        "dev-viewer",
        "patch",
        "deploy",
        "web",
        "-n",
        "shop",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"replicas":3}}"#,
    ]);
    assert_eq!(patch.code, 1);
    assert_eq!(
        patch.stderr.trim(),
        "Error from server (Forbidden): deployments.apps \"web\" is forbidden: User \"viewer\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\""
    );
    let delete = env.kubectl(&["--context", "dev-viewer", "delete", "ns", "shop"]);
    assert_eq!(delete.code, 1);
    assert!(delete.stderr.starts_with("Error from server (Forbidden): namespaces \"shop\" is forbidden: User \"viewer\" cannot delete resource \"namespaces\" in API group \"\" at the cluster scope"), "{}", delete.stderr);
    assert_eq!(env.sandbox.clusters().len(), 1);
}

#[test]
fn controllers_move_status_like_a_cluster() {
    let env = start_dev();
    env.ok(&["create", "namespace", "shop"]);
    let manifest = env.file(
        "workloads.yaml",
        &format!(
            "{}---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  type: LoadBalancer
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 80}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: data, namespace: shop}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: 1Gi}}}}
---
apiVersion: batch/v1
kind: Job
metadata: {{name: migrate, namespace: shop}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: migrate, image: busybox:1.36, command: [sh, -c, 'true']}}]
",
            deployment(2, false)
        ),
    );
    env.ok(&["apply", "-f", &manifest]);
    let rollout = env.ok(&[
        "rollout",
        "status",
        "deploy/web",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    assert!(rollout.contains("successfully rolled out"), "{rollout}");
    env.ok(&[
        "wait",
        "--for=condition=complete",
        "job/migrate",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    env.ok(&[
        "wait",
        "--for=jsonpath={.status.phase}=Bound",
        "pvc/data",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    env.ok(&[
        "wait",
        "--for=jsonpath={.status.loadBalancer.ingress[0].ip}",
        "svc/web",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    let replicasets = env.ok(&["get", "rs", "-n", "shop", "-l", "app=web", "-o", "name"]);
    assert_eq!(replicasets.lines().count(), 1, "{replicasets}");
    let pods = env.ok(&["get", "pods", "-n", "shop", "-l", "app=web", "--no-headers"]);
    assert_eq!(
        pods.lines().filter(|l| l.contains("Running")).count(),
        2,
        "{pods}"
    );
    let deploy = env.ok(&["get", "deploy", "web", "-n", "shop", "--no-headers"]);
    assert_eq!(
        deploy.split_whitespace().take(4).collect::<Vec<_>>(),
        ["web", "2/2", "2", "2"]
    );
    // Deleting the Deployment garbage-collects its ReplicaSet and Pods.
    env.ok(&[
        "delete",
        "deploy",
        "web",
        "-n",
        "shop",
        "--wait=true",
        "--timeout=60s",
    ]);
    assert_eq!(
        env.ok(&["get", "rs,pods", "-n", "shop", "-l", "app=web", "-o", "name"])
            .trim(),
        ""
    );
}

#[test]
fn outage_refuses_connections_then_recovers_on_the_same_port() {
    let env = start_dev();
    let dev = env.sandbox.cluster("dev").expect("dev");
    // Straight after start: the bound socket must close too.
    assert!(dev.faults().set_down_and_wait(true));
    let probe = std::net::TcpStream::connect_timeout(&dev.addr(), Duration::from_secs(2));
    assert!(
        probe.is_err(),
        "port still accepts connections while down: {probe:?}"
    );
    let down = env.kubectl(&["get", "ns", "--request-timeout=5s"]);
    assert_eq!(down.code, 1);
    assert!(
        down.stderr.contains("connection refused"),
        "{}",
        down.stderr
    );
    assert!(dev.faults().set_down_and_wait(false));
    assert!(env
        .ok(&["get", "ns", "default", "-o", "name"])
        .contains("namespace/default"));

    dev.faults().set_error_rate(1.0);
    let failing = env.kubectl(&["get", "cm", "-n", "default", "--request-timeout=5s"]);
    assert_eq!(failing.code, 1);
    assert!(
        failing.stderr.contains("Error from server (InternalError)"),
        "{}",
        failing.stderr
    );
    dev.faults().clear();
}
