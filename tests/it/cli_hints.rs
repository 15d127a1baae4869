//! Hints where a new user goes wrong: `compare` of manifests without a namespace against a
//! dump of another namespace suggests `-n`; `namespace = "{app}"` in the config puts each app
//! in a namespace of its own name; a duplicate YAML key names the key and both lines.

use kubedrift::config::Config;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const DESIRED: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
";

/// `kubectl get cm,svc -n shop -o yaml` (trimmed), plus the same ConfigMap in `staging`.
const LIVE: &str = "apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: web-config
    namespace: shop
    uid: 1f0e8d2c-6b7a-4c5d-9e8f-0a1b2c3d4e5f
  data:
    LOG_LEVEL: info
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: web-config
    namespace: staging
  data:
    LOG_LEVEL: debug
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: shop
  spec:
    selector:
      app: web
    ports:
    - port: 80
      protocol: TCP
      targetPort: 80
";

fn compare(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .arg("compare")
        .arg(dir.join("desired.yaml"))
        .arg(dir.join("live.yaml"))
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("KUBEDRIFT_CONFIG")
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .output()
        .expect("kubedrift runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn compare_suggests_the_namespace_the_live_objects_are_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("desired.yaml"), DESIRED).expect("write");
    std::fs::write(dir.path().join("live.yaml"), LIVE).expect("write");

    let (code, stdout, stderr) = compare(dir.path(), &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let hints: Vec<&str> = stderr.lines().filter(|l| l.starts_with("hint: ")).collect();
    assert_eq!(
        hints,
        [
            "hint: 2 desired objects without a namespace were compared in namespace \"default\" \
             and are Missing there; the live objects have 2 of them in namespace \"shop\": try -n shop",
            "hint: 2 desired objects without a namespace were compared in namespace \"default\" \
             and are Missing there; the live objects have 1 of them in namespace \"staging\": try -n staging",
        ],
        "{stderr}"
    );

    let (code, stdout, _) = compare(dir.path(), &["--output", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(doc["hints"].as_array().map(Vec::len), Some(2), "{doc:#}");

    // Following the hint: in sync, and nothing more to suggest.
    let (code, stdout, stderr) = compare(dir.path(), &["-n", "shop"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stderr.contains("hint:"), "{stderr}");
}

const TEMPLATED: &str = r#"
[[repo]]
name = "gitops"
path = "/srv/git/gitops"

[[environment]]
name = "dev"
context = "kind-dev"
namespace = "{app}-{env}"

[[environment]]
name = "prod"
context = "kind-prod"

[[discover]]
pattern = "apps/{app}/{env}"
namespace = "{app}"

[[discover]]
pattern = "tools/{app}"

[[app]]
name = "billing"
path = "billing/{env}"
namespace = "team-{app}"
"#;

#[test]
fn namespaces_can_name_the_app_and_the_environment() {
    let config = Config::from_str(TEMPLATED, Path::new("config.toml")).expect("valid config");
    let listing = BTreeMap::from([(
        "gitops".to_string(),
        [
            "apps/cart/dev",
            "apps/cart/prod",
            "apps/search/prod",
            "tools/grafana",
        ]
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>(),
    )]);
    let namespaces = |env: &str| -> Vec<(String, Option<String>)> {
        config
            .apps_for(env, &listing)
            .expect("apps")
            .into_iter()
            .map(|a| (a.name, a.namespace))
            .collect()
    };
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        namespaces("prod"),
        [
            ("billing".to_string(), some("team-billing")),
            ("cart".to_string(), some("cart")),
            ("grafana".to_string(), None),
            ("search".to_string(), some("search")),
        ]
    );
    // The environment's template applies where neither the app nor its rule names one.
    assert_eq!(
        namespaces("dev"),
        [
            ("billing".to_string(), some("team-billing")),
            ("cart".to_string(), some("cart")),
            ("grafana".to_string(), some("grafana-dev")),
        ]
    );

    let wrong = TEMPLATED.replace("namespace = \"{app}\"", "namespace = \"{name}\"");
    let err = Config::from_str(&wrong, Path::new("config.toml"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("unknown placeholder `{name}` (use {app} or {env})"),
        "{err}"
    );
}

#[test]
fn a_duplicate_yaml_key_names_the_key_and_both_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let desired = "# web settings\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  LOG_LEVEL: info\n  FEATURE_X: \"true\"\n  LOG_LEVEL: debug\n";
    std::fs::write(dir.path().join("desired.yaml"), desired).expect("write");
    std::fs::write(dir.path().join("live.yaml"), LIVE).expect("write");
    let (code, _, stderr) = compare(dir.path(), &["-n", "shop"]);
    assert_eq!(code, 2, "{stderr}");
    let file = dir.path().join("desired.yaml");
    assert!(
        stderr.contains(&format!(
            "{}:10:3: duplicate key \"LOG_LEVEL\" in data: first at line 8, again at line 10",
            file.display()
        )),
        "{stderr}"
    );
}
