//! Through kubectl: a manifest applied with fields set explicitly to their server defaults
//! (`protocol: TCP`, `imagePullPolicy: IfNotPresent`, `dnsPolicy: ClusterFirst`, ...) and
//! compared with Git that omits them is Synced, and `kubectl diff --server-side` agrees that
//! applying Git changes nothing; a defaulted field changed live since is drift. And the
//! engine's table of server defaults agrees with what the server filled in.

use kubedrift_core::engine::compare::{comparable_pair, compare, CompareOptions, Verdict};
use kubedrift_core::engine::defaults::server_default;
use kubedrift_core::engine::diff::diff;
use kubedrift_testkit::SandboxEnv;
use serde_json::Value;
use std::time::Duration;

/// Git: nothing the server defaults.
const GIT: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
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
spec:
  replicas: 1
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
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet:
            path: /healthz
            port: 8080
";

/// What was applied before: the same with the defaults spelled out.
const APPLIED: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
  sessionAffinity: None
  selector:
    app: web
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  strategy:
    type: RollingUpdate
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      terminationGracePeriodSeconds: 30
      containers:
      - name: web
        image: registry.example.com/shop/web:1.4.2
        imagePullPolicy: IfNotPresent
        terminationMessagePolicy: File
        ports:
        - containerPort: 8080
          protocol: TCP
        readinessProbe:
          periodSeconds: 10
          httpGet:
            path: /healthz
            port: 8080
            scheme: HTTP
";

fn documents(text: &str, namespace: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|doc| {
            let mut obj: Value = serde_yaml::from_str(doc).expect("manifest");
            obj["metadata"]["namespace"] = Value::String(namespace.to_string());
            obj
        })
        .collect()
}

fn live(env: &SandboxEnv, kind: &str, namespace: &str) -> Value {
    let out = env.ok(&[
        "get",
        kind,
        "web",
        "-n",
        namespace,
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    serde_json::from_str(&out).expect("json")
}

/// The verdict; the display diff must be empty exactly when Synced.
fn verdict(desired: &Value, live: &Value) -> Verdict {
    let opts = CompareOptions::default();
    let verdict = compare(Some(desired), Some(live), &opts);
    let (want, have) = comparable_pair(Some(desired), Some(live), &opts);
    let shown = diff(want.as_ref(), have.as_ref(), 3);
    assert_eq!(
        shown.is_empty(),
        verdict == Verdict::Synced,
        "{verdict:?}:\n{}",
        shown.unified
    );
    verdict
}

fn applied(env: &SandboxEnv) -> [(&'static str, Vec<&'static str>); 2] {
    let path = env.file("applied.yaml", APPLIED);
    let setups = [
        ("csa", vec![]),
        ("ssa", vec!["--server-side", "--field-manager=kubedrift"]),
    ];
    for (namespace, flags) in &setups {
        env.ok(&["create", "namespace", namespace]);
        let mut args = vec!["apply", "-n", namespace, "-f", path.as_str()];
        args.extend(flags.iter().copied());
        env.ok(&args);
    }
    setups
}

#[test]
fn defaults_applied_explicitly_then_dropped_from_git_are_not_drift() {
    let env = SandboxEnv::dev(Duration::from_secs(20));
    for (namespace, flags) in applied(&env) {
        let git = documents(GIT, namespace);
        for (index, kind) in ["service", "deployment"].into_iter().enumerate() {
            let live = live(&env, kind, namespace);
            assert_eq!(
                verdict(&git[index], &live),
                Verdict::Synced,
                "{namespace} {kind}"
            );
        }
        // kubectl agrees: applying Git server-side changes nothing. (Client-side, its diff
        // shows the new last-applied annotation, and only that.)
        if !flags.is_empty() {
            let git_path = env.file("git.yaml", GIT);
            let mut args = vec!["diff", "-n", namespace, "-f", git_path.as_str()];
            args.extend(flags.iter().copied());
            let run = env.kubectl(&args);
            let changed: Vec<&str> = run
                .stdout
                .lines()
                .filter(|l| (l.starts_with('+') || l.starts_with('-')) && !l.starts_with("+++"))
                .filter(|l| !l.starts_with("---"))
                .collect();
            assert!(
                changed.is_empty(),
                "{namespace}: kubectl diff:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn a_defaulted_field_changed_live_since_is_drift() {
    let env = SandboxEnv::dev(Duration::from_secs(20));
    for (namespace, _) in applied(&env) {
        env.ok(&[
            "patch",
            "deployment",
            "web",
            "-n",
            namespace,
            "--field-manager=kubectl-edit",
            "-p",
            r#"{"spec":{"template":{"spec":{"dnsPolicy":"Default"}}}}"#,
        ]);
        let git = documents(GIT, namespace);
        let live = live(&env, "deployment", namespace);
        let found = verdict(&git[1], &live);
        if namespace == "csa" {
            // kubectl apply patches from last-applied: it deletes dnsPolicy, which the server
            // defaults back to ClusterFirst: a change, so drift.
            let paths: Vec<String> = match &found {
                Verdict::OutOfSync { paths } => paths.iter().map(ToString::to_string).collect(),
                other => panic!("{namespace}: {other:?}"),
            };
            assert_eq!(paths, vec!["spec.template.spec.dnsPolicy"], "{namespace}");
        } else {
            // The patch took dnsPolicy over from kubedrift's Apply entry: a server-side apply
            // of Git no longer touches it, so it stays Default: not drift.
            assert_eq!(found, Verdict::Synced, "{namespace}");
        }
    }
}

/// Every field of `value` the engine's table knows a default for holds that default, when
/// the manifest left it out; returns how many were checked.
fn check_defaults(kind: &str, keys: &mut Vec<String>, value: &Value, given: &Value) -> usize {
    let mut checked = 0;
    match value {
        Value::Object(map) => {
            for (field, child) in map {
                let given_child = given.get(field).unwrap_or(&Value::Null);
                let path: Vec<&str> = keys.iter().map(String::as_str).collect();
                if given_child.is_null() {
                    if let Some(default) = server_default(kind, &path, field) {
                        assert!(
                            default.is(child, map),
                            "{kind} {path:?}.{field}: the server defaulted {child}, the engine \
                             expects {default:?}"
                        );
                        checked += 1;
                    }
                }
                keys.push(field.clone());
                checked += check_defaults(kind, keys, child, given_child);
                keys.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let given_item = given.get(index).unwrap_or(&Value::Null);
                checked += check_defaults(kind, keys, item, given_item);
            }
        }
        _ => {}
    }
    checked
}

#[test]
fn the_engines_defaults_are_what_the_server_fills_in() {
    let env = SandboxEnv::dev(Duration::from_secs(20));
    env.ok(&["create", "namespace", "plain"]);
    let path = env.file("git.yaml", GIT);
    env.ok(&["apply", "-n", "plain", "-f", path.as_str()]);
    let git = documents(GIT, "plain");
    let mut checked = 0;
    for (index, kind) in ["service", "deployment"].into_iter().enumerate() {
        let live = live(&env, kind, "plain");
        let kind_name = live["kind"].as_str().unwrap_or("").to_string();
        checked += check_defaults(&kind_name, &mut Vec::new(), &live, &git[index]);
    }
    // Service type, sessionAffinity, internalTrafficPolicy, port protocol; Deployment
    // revisionHistoryLimit, progressDeadlineSeconds, strategy (type, maxSurge,
    // maxUnavailable), pod spec (dnsPolicy, restartPolicy, schedulerName,
    // terminationGracePeriodSeconds), container (imagePullPolicy, terminationMessagePath,
    // terminationMessagePolicy, port protocol), probe (timeout, period, success, failure,
    // scheme).
    assert!(checked >= 20, "only {checked} defaulted fields checked");
}
