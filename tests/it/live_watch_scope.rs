//! Apps in several namespaces of one cluster: each needed kind is listed and watched once,
//! cluster-wide, and only the app namespaces' objects count; verdicts (Extraneous included)
//! are as with one watch per namespace. Through `kubedrift status` against the sandbox,
//! counting the list and watch requests the sandbox received.

use crate::live_cli::kubedrift;
use crate::live_support::Fixture;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

const APPS: [&str; 4] = ["api", "cart", "mail", "search"];

fn configmap(app: &str, namespace: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": format!("{app}-config"), "namespace": namespace,
                        "labels": {"kubedrift.io/app": app}},
           "data": {"LOG_LEVEL": "info"}})
}

#[test]
fn apps_in_four_namespaces_are_listed_once_per_kind_with_the_same_verdicts() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let dev = fx.sandbox.cluster("dev").expect("dev");
    let files: Vec<(String, String)> = APPS
        .iter()
        .map(|app| {
            let yaml = serde_yaml::to_string(&configmap(app, app)).expect("yaml");
            (format!("apps/{app}/dev/configmap.yaml"), yaml)
        })
        .collect();
    fx.commit(&files, "four more apps, one namespace each");
    let mut config = std::fs::read_to_string(fx.config_path()).expect("config");
    for app in APPS {
        config.push_str(&format!(
            "\n[[app]]\nname = \"{app}\"\nrepo = \"gitops\"\npath = \"apps/{{app}}/{{env}}\"\nnamespace = \"{app}\"\n"
        ));
    }
    std::fs::write(fx.config_path(), config).expect("config written");
    for namespace in APPS.iter().chain(&["shop", "elsewhere"]) {
        dev.create(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
            "kubectl-create",
        )
        .expect("namespace");
    }
    fx.deploy("dev", "dev");
    for app in APPS {
        dev.create(configmap(app, app), "kubedrift")
            .expect("configmap");
    }
    // Tracked to `cart` but not in Git, of a kind no app has (watched metadata-only): extraneous.
    dev.create(
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": "cart-leftover", "namespace": "cart",
                            "labels": {"kubedrift.io/app": "cart", "kubedrift.io/env": "dev"}}}),
        "kubectl-create",
    )
    .expect("service account");
    // Labelled for `mail` but outside every app namespace: not `mail`'s (as with one watch
    // per app namespace, which never saw it).
    dev.create(
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": "mail-stray", "namespace": "elsewhere",
                            "labels": {"kubedrift.io/app": "mail", "kubedrift.io/env": "dev"}}}),
        "kubectl-create",
    )
    .expect("stray service account");

    let api = dev.api_server();
    let lists_before = api.list_requests.load(Ordering::Relaxed);
    let watches_before = api.watch_requests.load(Ordering::Relaxed);
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--timeout", "60s"]);
    let lists = api.list_requests.load(Ordering::Relaxed) - lists_before;
    let watches = api.watch_requests.load(Ordering::Relaxed) - watches_before;

    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let row = |app: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(app))
            .unwrap_or_else(|| panic!("no row for {app}:\n{stdout}"))
    };
    for app in ["web", "api", "mail", "search"] {
        assert!(row(app).contains("Synced"), "{stdout}");
    }
    assert!(
        row("cart").contains("OutOfSync") && row("cart").contains("1 Extraneous"),
        "{stdout}"
    );

    // 5 app namespaces × 9 watched kinds would be 45 lists (+ CRDs) with one watch per
    // kind and namespace; one per kind is 9 + 1 for CRDs. `status` may stop before opening
    // every watch, never open more than one per list.
    assert!(lists <= 10, "{lists} list requests");
    assert!(watches <= lists, "{watches} watch requests, {lists} lists");
}

/// The viewer may not list Secrets: the cluster-wide list of the two app namespaces is
/// refused, the watcher falls back to one per namespace, which are refused too and reported
/// (Secret Unknown, kind Forbidden) while the other kinds are compared.
#[test]
fn a_kind_forbidden_cluster_wide_falls_back_per_namespace_and_is_reported() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev-viewer")]);
    let dev = fx.sandbox.cluster("dev").expect("dev");
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\n  namespace: shop\n  labels:\n    kubedrift.io/app: web\ntype: Opaque\ndata:\n  password: czNjcjN0LWh1bnRlcjI=\n";
    let api_config = serde_yaml::to_string(&configmap("api", "api")).expect("yaml");
    fx.commit(
        &[
            ("apps/web/dev/secret.yaml".to_string(), secret.to_string()),
            ("apps/api/dev/configmap.yaml".to_string(), api_config),
        ],
        "web: credentials; api app",
    );
    let mut config = std::fs::read_to_string(fx.config_path()).expect("config");
    config.push_str("\n[[app]]\nname = \"api\"\nrepo = \"gitops\"\npath = \"apps/{app}/{env}\"\nnamespace = \"api\"\n");
    std::fs::write(fx.config_path(), config).expect("config written");
    dev.create(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "api"}}),
        "kubectl-create",
    )
    .expect("namespace");
    fx.deploy("dev", "dev");
    dev.create(configmap("api", "api"), "kubedrift")
        .expect("configmap");

    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--timeout", "60s", "-o", "json"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stderr.contains("timed out"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("json");
    let app = |name: &str| {
        report["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| a["app"] == name))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .clone()
    };
    assert_eq!(app("api")["sync"], "Synced", "{stdout}");
    assert_eq!(app("web")["sync"], "Unknown", "{stdout}");
    assert!(
        app("web")["message"]
            .as_str()
            .is_some_and(|m| m.contains("Secret")),
        "{stdout}"
    );
    let kinds = report["clusters"][0]["kinds"].as_array().expect("kinds");
    assert!(
        kinds
            .iter()
            .any(|k| k[0]["kind"] == "Secret" && k[1]["state"] == "Forbidden"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("czNjcjN0LWh1bnRlcjI"),
        "secret value shown"
    );
}
