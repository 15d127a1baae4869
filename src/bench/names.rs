//! Which resources each tool names as differing, as kubedrift keys
//! (`group/Kind/namespace/name`), so kubectl's and kubedrift's answers can be compared.

use serde_json::Value;
use std::collections::BTreeSet;

/// Objects named by `kubectl diff` output: its `diff -u -N LIVE/<file> MERGED/<file>` lines,
/// where the file is `[group.]version.Kind.namespace.name`. Names and namespaces must not
/// contain dots (the generator's never do); cluster-scoped objects are not expected.
pub fn kubectl_diff_names(output: &str) -> BTreeSet<String> {
    output
        .lines()
        .filter(|line| line.starts_with("diff "))
        .filter_map(|line| line.split_whitespace().last())
        .filter_map(|path| path.rsplit('/').next())
        .filter_map(|file| {
            let parts: Vec<&str> = file.split('.').collect();
            if parts.len() < 4 {
                return None;
            }
            let n = parts.len();
            let group = parts[..n - 4].join(".");
            Some(super::generate::key_of(
                &group,
                parts[n - 3],
                parts[n - 2],
                parts[n - 1],
            ))
        })
        .collect()
}

/// Objects named by `kubedrift diff` output: its `# APP@ENV KEY (Verdict) ...` title lines.
pub fn kubedrift_diff_names(output: &str) -> BTreeSet<String> {
    output
        .lines()
        .filter_map(|line| line.strip_prefix("# "))
        .filter_map(|title| title.split_whitespace().nth(1))
        .map(str::to_string)
        .collect()
}

/// Differing resources per environment in a `kubedrift status -o json` report (or one app
/// line of `--watch`): OutOfSync, Missing and Extraneous, as `ENV KEY`.
pub fn status_names(report: &Value) -> BTreeSet<String> {
    let apps: Vec<&Value> = match report.get("apps").and_then(Value::as_array) {
        Some(apps) => apps.iter().collect(),
        None => vec![report],
    };
    let mut names = BTreeSet::new();
    for app in apps {
        let env = app.get("env").and_then(Value::as_str).unwrap_or("");
        for resource in app
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let sync = resource.get("sync").and_then(Value::as_str).unwrap_or("");
            if !matches!(sync, "OutOfSync" | "Missing" | "Extraneous") {
                continue;
            }
            names.insert(format!("{env} {}", resource_key(resource)));
        }
    }
    names
}

/// The kubedrift key of a resource entry of the status JSON.
pub fn resource_key(resource: &Value) -> String {
    let text = |name: &str| resource.get(name).and_then(Value::as_str).unwrap_or("");
    super::generate::key_of(text("group"), text("kind"), text("namespace"), text("name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_diff_headers_become_keys() {
        let output = "diff -u -N /tmp/LIVE-1/v1.ConfigMap.app-000.cm-004 /tmp/MERGED-2/v1.ConfigMap.app-000.cm-004\n\
--- /tmp/LIVE-1/v1.ConfigMap.app-000.cm-004\n+++ /tmp/MERGED-2/v1.ConfigMap.app-000.cm-004\n\
@@ -1 +1 @@\n-  LOG_LEVEL: debug\n+  LOG_LEVEL: info\n\
diff -u -N /tmp/LIVE-1/apps.v1.Deployment.app-000.web-001 /tmp/MERGED-2/apps.v1.Deployment.app-000.web-001\n\
diff -u -N /tmp/LIVE-1/networking.k8s.io.v1.Ingress.app-000.web /tmp/MERGED-2/networking.k8s.io.v1.Ingress.app-000.web\n";
        let names: Vec<String> = kubectl_diff_names(output).into_iter().collect();
        assert_eq!(
            names,
            [
                "ConfigMap/app-000/cm-004",
                "apps/Deployment/app-000/web-001",
                "networking.k8s.io/Ingress/app-000/web"
            ]
        );
    }

    #[test]
    fn kubedrift_titles_and_status_json_become_keys() {
        let output =
            "# app-000@c00 ConfigMap/app-000/cm-004 (OutOfSync) — kubectl-edit changed data\n\
-  LOG_LEVEL: info\n+  LOG_LEVEL: debug\n# app-000@c00 Service/app-000/svc-002 (Missing)\n";
        let names: Vec<String> = kubedrift_diff_names(output).into_iter().collect();
        assert_eq!(
            names,
            ["ConfigMap/app-000/cm-004", "Service/app-000/svc-002"]
        );
        let report = serde_json::json!({"apps": [{"env": "c00", "resources": [
            {"group": "apps", "kind": "Deployment", "namespace": "a", "name": "w", "sync": "OutOfSync"},
            {"group": "", "kind": "ConfigMap", "namespace": "a", "name": "c", "sync": "Synced"},
            {"group": "", "kind": "Service", "namespace": "a", "name": "s", "sync": "Missing"},
        ]}]});
        let names: Vec<String> = status_names(&report).into_iter().collect();
        assert_eq!(names, ["c00 Service/a/s", "c00 apps/Deployment/a/w"]);
    }
}
