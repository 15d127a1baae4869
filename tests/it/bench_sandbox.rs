//! `kubedrift sandbox --preload DIR --control-stdin` through the binary, judged by kubectl:
//! preloaded objects are served like applied ones (`kubectl diff --server-side` of the same
//! manifest finds nothing, of a changed one finds exactly that object), faults switch on and
//! off from stdin, and `stats` counts the watches a client opens.

#![cfg(unix)]

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Kills the child if the test fails before stopping it.
struct Sandbox {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sandbox {
    fn command(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").expect("write command");
        self.stdin.flush().expect("flush");
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("an answer")
    }
}

#[test]
fn preloaded_sandbox_serves_kubectl_and_switches_faults_from_stdin() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let preload = dir.path().join("preload");
    std::fs::create_dir_all(&preload).expect("mkdir");
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "shop"},
        "data": {"LOG_LEVEL": "info"}});
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}});
    let lines = [
        json!({"create": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
               "manager": "kubectl-create"}),
        json!({"apply": config_map, "manager": "kubectl"}),
        json!({"apply": deployment, "manager": "kubectl"}),
        // Drift as `kubectl scale` would leave it.
        json!({"merge": {"spec": {"replicas": 5}}, "manager": "kubectl-edit",
               "target": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"}}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(preload.join("dev.jsonl"), text).expect("preload file");
    let kubeconfig = dir.path().join("kd.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args([
            "sandbox",
            "--clusters",
            "dev",
            "--no-controller",
            "--control-stdin",
        ])
        .arg("--kubeconfig-out")
        .arg(&kubeconfig)
        .arg("--preload")
        .arg(&preload)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kubedrift sandbox");
    let stdin = child.stdin.take().expect("stdin");
    let lines = kubedrift_testkit::lines_of(child.stdout.take().expect("stdout"));
    let mut sandbox = Sandbox {
        child,
        stdin,
        lines,
    };
    loop {
        let line = sandbox
            .lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the ready text");
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let scratch = dir.path().join("kubectl");
    let kubectl = |args: &[&str]| {
        kubedrift_testkit::kubectl_command(&kubeconfig, &scratch)
            .args(["--context", "dev", "--request-timeout", "5s"])
            .args(args)
            .output()
            .expect("run kubectl")
    };

    let got = kubectl(&[
        "get",
        "configmap",
        "settings",
        "-n",
        "shop",
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    let got: Value = serde_json::from_slice(&got.stdout).expect("json");
    assert_eq!(got["data"]["LOG_LEVEL"], "info");
    let managers: Vec<&str> = got["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(
        managers,
        ["kubectl"],
        "preloaded as `kubectl apply --server-side`"
    );

    // The manifests as Git has them: only the scaled Deployment differs.
    let manifests = dir.path().join("manifests.yaml");
    std::fs::write(
        &manifests,
        format!(
            "{}---\n{}",
            serde_yaml::to_string(&config_map).expect("yaml"),
            serde_yaml::to_string(&deployment).expect("yaml")
        ),
    )
    .expect("write manifests");
    let manifests = manifests.to_string_lossy().into_owned();
    let diff = kubectl(&[
        "diff",
        "--server-side",
        "--force-conflicts",
        "-f",
        &manifests,
    ]);
    let output = String::from_utf8_lossy(&diff.stdout);
    assert_eq!(
        diff.status.code(),
        Some(1),
        "{output}{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    let named: Vec<&str> = output
        .lines()
        .filter(|l| l.starts_with("diff "))
        .filter_map(|l| l.rsplit('/').next())
        .collect();
    assert_eq!(named, ["apps.v1.Deployment.shop.web"], "{output}");
    assert!(
        output.contains("-  replicas: 5") && output.contains("+  replicas: 2"),
        "{output}"
    );

    // Faults from stdin: down refuses connections, up serves again.
    assert_eq!(sandbox.command("fault dev down"), "ok");
    let refused = kubectl(&["get", "configmap", "settings", "-n", "shop"]);
    assert!(!refused.status.success());
    assert_eq!(sandbox.command("fault dev clear"), "ok");
    let mut back = false;
    for _ in 0..50 {
        if kubectl(&["get", "configmap", "settings", "-n", "shop"])
            .status
            .success()
        {
            back = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(back, "the cluster serves again after `fault dev clear`");
    assert_eq!(sandbox.command("fault dev errors 1"), "ok");
    let failed = kubectl(&["get", "configmap", "settings", "-n", "shop"]);
    assert!(String::from_utf8_lossy(&failed.stderr).contains("simulated internal error"));
    assert_eq!(sandbox.command("clear-all"), "ok");
    assert!(sandbox
        .command("fault nowhere down")
        .starts_with("error: no cluster"));
    assert!(sandbox
        .command("explode")
        .starts_with("error: unknown command"));

    // `stats` counts watches as clients open them.
    let before: Value = serde_json::from_str(&sandbox.command("stats")).expect("stats json");
    let watched = kubectl(&[
        "get",
        "configmaps",
        "-n",
        "shop",
        "--watch",
        "--request-timeout",
        "1s",
    ]);
    drop(watched);
    let after: Value = serde_json::from_str(&sandbox.command("stats")).expect("stats json");
    let watches = |v: &Value| {
        v["clusters"]["dev"]["watchRequests"]
            .as_u64()
            .expect("count")
    };
    assert!(watches(&after) > watches(&before), "{before} -> {after}");
    assert_eq!(
        after["clusters"]["dev"]["objects"].as_u64().map(|n| n > 2),
        Some(true)
    );
}
