//! `kubedrift compare DESIRED LIVE`: the real binary on the shipped example and on bad input.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn kubedrift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("KUBEDRIFT_CONFIG")
        .output()
        .expect("run kubedrift")
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
