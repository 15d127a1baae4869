//! Three-way compare follows what `kubectl apply` does to strategic-merge lists: a live-only
//! item of containers, env, volumes, volumeMounts or ports that we never applied (a sidecar or
//! env var a mutating webhook injected) is kept by apply, so it is not drift; atomic lists
//! (args, tolerations) differ as a whole; an item we applied and Git dropped is drift.
//!
//! The live objects are real: applied by kubectl (client-side, and server-side as kubedrift)
//! to a sandbox cluster, extended by another writer with `kubectl patch`, read back with
//! `kubectl get -o json`.

use kubedrift_core::engine::compare::{compare, CompareOptions, Verdict};
use kubedrift_testkit::SandboxEnv;
use serde_json::Value;
use std::time::Duration;

const MANIFEST: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
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
      tolerations:
      - key: dedicated
        operator: Equal
        value: web
        effect: NoSchedule
      containers:
      - name: web
        image: registry.example.com/shop/web:1.4.2
        args: [\"--serve\"]
        env:
        - name: MODE
          value: prod
        - name: LEGACY
          value: \"1\"
        ports:
        - containerPort: 8080
        volumeMounts:
        - name: config
          mountPath: /config
      volumes:
      - name: config
        configMap:
          name: web-config
";

/// What a mutating webhook (Istio-like) adds: a sidecar, an env var, a volume, a mount, a port.
const INJECTED: &str = r#"{"spec":{"template":{"spec":{
  "containers":[
    {"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.24.0"},
    {"name":"web","env":[{"name":"ISTIO_META_INJECTED","value":"true"}],
     "ports":[{"containerPort":15090,"name":"http-envoy-prom"}],
     "volumeMounts":[{"name":"istio-envoy","mountPath":"/etc/istio/proxy"}]}],
  "volumes":[{"name":"istio-envoy","emptyDir":{}}]}}}}"#;

fn desired(manifest: &str, namespace: &str) -> Value {
    let mut obj: Value = serde_yaml::from_str(manifest).expect("manifest");
    obj["metadata"]["namespace"] = Value::String(namespace.to_string());
    obj
}

fn live(env: &SandboxEnv, namespace: &str) -> Value {
    let out = env.ok(&[
        "get",
        "deployment",
        "web",
        "-n",
        namespace,
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    serde_json::from_str(&out).expect("json")
}

fn paths(verdict: &Verdict) -> Vec<String> {
    match verdict {
        Verdict::OutOfSync { paths } => paths.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    }
}

/// The sandbox with the manifest applied client-side in `csa` and server-side (as kubedrift)
/// in `ssa`, then extended by the "webhook" in both.
fn applied_then_injected() -> SandboxEnv {
    let env = SandboxEnv::dev(Duration::from_secs(20));
    let path = env.file("web.yaml", MANIFEST);
    for (namespace, flags) in [
        ("csa", vec![]),
        ("ssa", vec!["--server-side", "--field-manager=kubedrift"]),
    ] {
        env.ok(&["create", "namespace", namespace]);
        let mut args = vec!["apply", "-n", namespace, "-f", path.as_str()];
        args.extend(flags);
        env.ok(&args);
        env.ok(&[
            "patch",
            "deployment",
            "web",
            "-n",
            namespace,
            "--field-manager=istio-sidecar-injector",
            "-p",
            INJECTED,
        ]);
    }
    env
}

#[test]
fn items_another_writer_added_to_merge_lists_are_kept_by_apply_so_not_drift() {
    let env = applied_then_injected();
    for namespace in ["csa", "ssa"] {
        let live = live(&env, namespace);
        let containers = live["spec"]["template"]["spec"]["containers"]
            .as_array()
            .map(Vec::len);
        assert_eq!(containers, Some(2), "the sidecar is live: {live:#}");
        let verdict = compare(
            Some(&desired(MANIFEST, namespace)),
            Some(&live),
            &CompareOptions::default(),
        );
        assert_eq!(
            verdict,
            Verdict::Synced,
            "{namespace}: {:?}",
            paths(&verdict)
        );

        // Without the record of our apply (two-way), the same live object differs.
        let mut unrecorded = live.clone();
        if let Some(meta) = unrecorded["metadata"].as_object_mut() {
            meta.shift_remove("managedFields");
            if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                annotations.shift_remove("kubectl.kubernetes.io/last-applied-configuration");
            }
        }
        let two_way = compare(
            Some(&desired(MANIFEST, namespace)),
            Some(&unrecorded),
            &CompareOptions::default(),
        );
        assert!(
            paths(&two_way)
                .contains(&"spec.template.spec.containers[name=istio-proxy]".to_string()),
            "{namespace}: {two_way:?}"
        );
    }
}

#[test]
fn atomic_lists_and_items_git_dropped_are_still_drift() {
    let env = applied_then_injected();
    for namespace in ["csa", "ssa"] {
        // Another writer changes atomic lists: args replaced, a toleration added.
        env.ok(&[
            "patch", "deployment", "web", "-n", namespace, "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","args":["--serve","--debug"]}]}}}}"#,
        ]);
        env.ok(&[
            "patch", "deployment", "web", "-n", namespace, "--type=json", "-p",
            r#"[{"op":"add","path":"/spec/template/spec/tolerations/-","value":{"key":"spot","operator":"Exists"}}]"#,
        ]);
        let live = live(&env, namespace);
        let verdict = compare(
            Some(&desired(MANIFEST, namespace)),
            Some(&live),
            &CompareOptions::default(),
        );
        let found = paths(&verdict);
        assert!(
            found.iter().any(|p| p.ends_with(".args")),
            "{namespace}: {found:?}"
        );
        assert!(
            found.iter().any(|p| p == "spec.template.spec.tolerations"),
            "{namespace}: {found:?}"
        );
        assert!(
            !found.iter().any(|p| p.contains("istio")),
            "{namespace}: the injected items are still not drift: {found:?}"
        );

        // Git drops an env var we applied: apply would remove it, so it is drift.
        let dropped = MANIFEST.replace("        - name: LEGACY\n          value: \"1\"\n", "");
        let verdict = compare(
            Some(&desired(&dropped, namespace)),
            Some(&live),
            &CompareOptions::default(),
        );
        assert!(
            paths(&verdict)
                .contains(&"spec.template.spec.containers[name=web].env[name=LEGACY]".to_string()),
            "{namespace}: {verdict:?}"
        );
    }
}
