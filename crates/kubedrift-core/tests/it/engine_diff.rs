//! Display diff: snapshots of realistic diffs, and proof that Secret values never reach any
//! rendering of a diff.

use kubedrift_core::engine::diff::{diff, to_ansi, DiffLineKind, DisplayDiff};
use serde_json::Value;
use std::path::Path;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Every way a diff can be shown: plain, ANSI, Debug, JSON of the structured lines.
fn all_renderings(d: &DisplayDiff) -> Vec<String> {
    vec![
        d.unified.clone(),
        to_ansi(d),
        format!("{d:?}"),
        serde_json::to_string(d).unwrap_or_default(),
    ]
}

/// The plaintext and base64 forms of every secret value in the Secret fixtures.
const SECRET_FORMS: &[&str] = &[
    "hunter2-prod",
    "aHVudGVyMi1wcm9k",
    "shop_app",
    "c2hvcF9hcHA=",
    "rotated-Xy9!pw",
    "cm90YXRlZC1YeTkhcHc=",
];

#[test]
fn deployment_image_and_replicas_change() {
    let d = diff(
        Some(&fixture("deployment-desired.yaml")),
        Some(&fixture("deployment-live.yaml")),
        3,
    );
    assert!(!d.is_empty());
    insta::assert_snapshot!("deployment_unified", d.unified);
}

#[test]
fn deployment_structured_lines_emphasize_the_changed_words() {
    let d = diff(
        Some(&fixture("deployment-desired.yaml")),
        Some(&fixture("deployment-live.yaml")),
        1,
    );
    let emphasized: Vec<(DiffLineKind, String)> = d
        .lines
        .iter()
        .flat_map(|line| {
            line.spans
                .iter()
                .filter(|s| s.emphasized)
                .map(move |s| (line.kind, s.text.clone()))
        })
        .collect();
    assert!(emphasized.contains(&(
        DiffLineKind::Removed,
        "registry.example.com/shop/web:1.14.2".to_string()
    )));
    assert!(emphasized.contains(&(
        DiffLineKind::Added,
        "registry.example.com/shop/web:1.15.0".to_string()
    )));
    // A line whose block changed too much is shown whole, without word emphasis.
    let replicas: Vec<(DiffLineKind, String)> = d
        .lines
        .iter()
        .filter(|l| l.text().trim_start().starts_with("replicas:"))
        .map(|l| (l.kind, l.text()))
        .collect();
    // spec.replicas changed; status.replicas (live only) is removed.
    assert_eq!(
        replicas,
        vec![
            (DiffLineKind::Removed, "  replicas: 5".to_string()),
            (DiffLineKind::Added, "  replicas: 3".to_string()),
            (DiffLineKind::Removed, "  replicas: 5".to_string()),
        ]
    );
    // Context lines never carry emphasis.
    assert!(d
        .lines
        .iter()
        .filter(|l| l.kind == DiffLineKind::Context)
        .all(|l| l.spans.iter().all(|s| !s.emphasized)));
    insta::assert_yaml_snapshot!("deployment_lines_context1", d.lines);
}

#[test]
fn secret_diff_shows_changes_but_no_value() {
    let d = diff(
        Some(&fixture("secret-desired.yaml")),
        Some(&fixture("secret-live.yaml")),
        3,
    );
    for rendering in all_renderings(&d) {
        for secret in SECRET_FORMS {
            assert!(
                !rendering.contains(secret),
                "{secret:?} leaked into:\n{rendering}"
            );
        }
    }
    // The rotated password is visible as a change (different masks), the unchanged username
    // is not a change: its mask is equal on both sides.
    assert!(d.unified.contains("\n-  password: +++++++++\n"));
    assert!(d.unified.contains("\n+  password: ++++++++\n"));
    assert!(d.unified.contains("\n   username: ++++++++\n"));
    insta::assert_snapshot!("secret_unified", d.unified);
}

#[test]
fn missing_live_object_is_shown_entirely_added() {
    let desired = fixture("configmap-desired.yaml");
    let d = diff(Some(&desired), None, 3);
    let body: Vec<_> = d
        .lines
        .iter()
        .filter(|l| !matches!(l.kind, DiffLineKind::Header | DiffLineKind::Hunk))
        .collect();
    assert!(!body.is_empty());
    assert!(body.iter().all(|l| l.kind == DiffLineKind::Added));
    insta::assert_snapshot!("configmap_missing_unified", d.unified);
}

#[test]
fn extraneous_secret_is_shown_entirely_removed_and_masked() {
    let live = fixture("secret-live.yaml");
    let d = diff(None, Some(&live), 3);
    assert!(d
        .lines
        .iter()
        .filter(|l| !matches!(l.kind, DiffLineKind::Header | DiffLineKind::Hunk))
        .all(|l| l.kind == DiffLineKind::Removed));
    for rendering in all_renderings(&d) {
        for secret in SECRET_FORMS {
            assert!(!rendering.contains(secret), "{secret:?} leaked");
        }
    }
    insta::assert_snapshot!("secret_extraneous_unified", d.unified);
}

#[test]
fn ansi_output_colours_lines_and_emphasizes_words() {
    let d = diff(
        Some(&fixture("deployment-desired.yaml")),
        Some(&fixture("deployment-live.yaml")),
        0,
    );
    let ansi = to_ansi(&d);
    assert!(ansi.contains("\x1b[32m+"), "added lines are green");
    assert!(ansi.contains("\x1b[31m-"), "removed lines are red");
    assert!(ansi.contains("\x1b[1;7mregistry.example.com/shop/web:1.15.0\x1b[0m"));
    // Stripping the escape codes gives back the plain unified text.
    let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
        .map(|re| re.replace_all(&ansi, "").into_owned())
        .unwrap_or_default();
    assert_eq!(stripped, d.unified);
}

#[test]
fn caller_objects_are_not_modified() {
    let live = fixture("secret-live.yaml");
    let before = live.clone();
    let _ = diff(Some(&fixture("secret-desired.yaml")), Some(&live), 3);
    assert_eq!(live, before);
}

/// A Deployment `kubectl apply`-ed (client-side: last-applied annotation) as the server
/// returns it, then extended by a mutating webhook (a sidecar and an env var, in neither Git
/// nor last-applied), with the image changed live by hand.
fn injected_deployment(image_changed_live: bool) -> (Value, Value) {
    let desired = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "registry.example.com/shop/web:1.4.2",
                    "env": [{"name": "MODE", "value": "prod"}]}]}}}});
    let applied = serde_json::to_string(&desired).unwrap_or_default();
    let image = if image_changed_live {
        "registry.example.com/shop/web:1.4.2-hotfix"
    } else {
        "registry.example.com/shop/web:1.4.2"
    };
    let live = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "uid": "3b8e1f0c-6d2a-4c7e-b915-0e4f7a2d9c61",
            "resourceVersion": "884120", "generation": 4, "creationTimestamp": "2026-11-02T08:00:00Z",
            "annotations": {"deployment.kubernetes.io/revision": "4",
                            "kubectl.kubernetes.io/last-applied-configuration": applied},
            "managedFields": [
                {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1",
                 "time": "2026-11-02T08:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                {"manager": "istio-sidecar-injector", "operation": "Update", "apiVersion": "apps/v1",
                 "time": "2026-11-02T08:00:01Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                     "k:{\"name\":\"istio-proxy\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}}]},
        "spec": {"replicas": 2, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "web", "image": image, "imagePullPolicy": "IfNotPresent",
                     "env": [{"name": "MODE", "value": "prod"},
                             {"name": "ISTIO_META_INJECTED", "value": "true"}],
                     "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"},
                    {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0",
                     "args": ["proxy", "sidecar"], "imagePullPolicy": "IfNotPresent",
                     "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
                  "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                  "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 30}}},
        "status": {"observedGeneration": 4, "replicas": 2, "readyReplicas": 2}});
    (desired, live)
}

#[test]
fn live_only_items_apply_keeps_are_shown_as_kept_not_hidden() {
    use kubedrift_core::engine::compare::{compare, display_pair, CompareOptions, Verdict};
    use kubedrift_core::engine::diff::diff_with_kept;

    let opts = CompareOptions::default();
    let (desired, live) = injected_deployment(true);
    let paths: Vec<String> = match compare(Some(&desired), Some(&live), &opts) {
        Verdict::OutOfSync { paths } => paths.iter().map(ToString::to_string).collect(),
        other => panic!("OutOfSync expected, got {other:?}"),
    };
    assert_eq!(paths, vec!["spec.template.spec.containers[name=web].image"]);
    let pair = display_pair(Some(&desired), Some(&live), &opts);
    let kept: Vec<String> = pair.kept.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(
        kept,
        vec![
            "spec.template.spec.containers[name=web].env[name=ISTIO_META_INJECTED]",
            "spec.template.spec.containers[name=istio-proxy]"
        ]
    );
    let d = diff_with_kept(pair.desired.as_ref(), pair.live.as_ref(), &pair.kept, 3);
    assert!(!d.is_empty());
    // The kept lines are their own kind (the TUI dims them) and `#` lines in text.
    let kept_lines: Vec<String> = d
        .lines
        .iter()
        .filter(|l| l.kind == DiffLineKind::Kept)
        .map(|l| format!("{}{}", l.marker(), l.text()))
        .collect();
    assert!(kept_lines.iter().all(|l| l.starts_with('#')));
    assert!(kept_lines.contains(
        &"# live only, kept by apply (not drift): spec.template.spec.containers[name=istio-proxy]"
            .to_string()
    ));
    assert!(to_ansi(&d).contains("\x1b[2m# live only, kept by apply"));
    insta::assert_snapshot!("injected_sidecar_kept_unified", d.unified);

    // Synced: no change to show, the kept items still annotated.
    let (desired, live) = injected_deployment(false);
    assert_eq!(compare(Some(&desired), Some(&live), &opts), Verdict::Synced);
    let pair = display_pair(Some(&desired), Some(&live), &opts);
    let d = diff_with_kept(pair.desired.as_ref(), pair.live.as_ref(), &pair.kept, 3);
    assert!(d.is_empty(), "no change: {}", d.unified);
    assert_eq!(
        d.lines
            .iter()
            .filter(|l| l.kind == DiffLineKind::Kept && l.text().contains("kept by apply"))
            .count(),
        2
    );
}
