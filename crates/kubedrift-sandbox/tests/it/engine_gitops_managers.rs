//! Through kubectl: objects applied server-side as the GitOps controllers do
//! (`--field-manager=kustomize-controller` with Flux's labels, `argocd-controller` with Argo
//! CD's tracking id), read back with `kubectl get -o json`. A field the controller applied and
//! Git has since dropped is drift; without the tool's marks the same manager's record is not
//! ours and the compare is two-way.

use kubedrift_core::engine::compare::{compare, CompareOptions, Verdict};
use kubedrift_testkit::SandboxEnv;
use serde_json::Value;
use std::time::Duration;

/// Applied by the controller: with `MARKS` (the tool's labels/annotations) in place of the
/// marker, and a `tier` label Git has since dropped.
const APPLIED: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo
  labels:
    app: podinfo
    tier: legacy
MARKS
data:
  PODINFO_UI_COLOR: '#34577c'
  PODINFO_CACHE_SERVER: tcp://redis:6379
";

const GIT: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo
  labels:
    app: podinfo
data:
  PODINFO_UI_COLOR: '#34577c'
";

const FLUX_MARKS: &str = "    kustomize.toolkit.fluxcd.io/name: apps
    kustomize.toolkit.fluxcd.io/namespace: flux-system";

const ARGO_MARKS: &str = "  annotations:
    argocd.argoproj.io/tracking-id: podinfo:/ConfigMap:apps/podinfo";

fn paths(env: &SandboxEnv, namespace: &str) -> Vec<String> {
    let out = env.ok(&[
        "get",
        "configmap",
        "podinfo",
        "-n",
        namespace,
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    let live: Value = serde_json::from_str(&out).expect("json");
    let mut git: Value = serde_yaml::from_str(GIT).expect("git");
    git["metadata"]["namespace"] = Value::String(namespace.to_string());
    match compare(Some(&git), Some(&live), &CompareOptions::default()) {
        Verdict::OutOfSync { paths } => {
            let mut out: Vec<String> = paths.iter().map(ToString::to_string).collect();
            out.sort();
            out
        }
        Verdict::Synced => Vec::new(),
        other => panic!("{namespace}: {other:?}"),
    }
}

#[test]
fn fields_a_gitops_controller_applied_server_side_and_git_dropped_are_drift() {
    let env = SandboxEnv::dev(Duration::from_secs(20));
    for (namespace, manager, marks) in [
        ("flux", "kustomize-controller", FLUX_MARKS),
        ("argo", "argocd-controller", ARGO_MARKS),
        ("unmarked", "kustomize-controller", ""),
    ] {
        env.ok(&["create", "namespace", namespace]);
        let mut manifest = APPLIED.replace("MARKS\n", &format!("{marks}\n"));
        if namespace == "argo" {
            manifest = manifest.replace("ConfigMap:apps/", "ConfigMap:argo/");
        }
        let manifest = manifest.replace("\n\n", "\n");
        let path = env.file(&format!("{namespace}.yaml"), &manifest);
        env.ok(&[
            "apply",
            "--server-side",
            &format!("--field-manager={manager}"),
            "-n",
            namespace,
            "-f",
            path.as_str(),
        ]);
        let found = paths(&env, namespace);
        if marks.is_empty() {
            assert_eq!(found, Vec::<String>::new(), "{namespace}");
        } else {
            assert_eq!(
                found,
                vec!["data.PODINFO_CACHE_SERVER", "metadata.labels.tier"],
                "{namespace}"
            );
        }
    }
}
