//! An Argo CD Application whose source is a chart in a Helm chart repository (`chart:`,
//! `targetRevision` = chart version), and a Flux HelmRelease of a chart from a
//! HelmRepository, the repository served by the test itself on 127.0.0.1, read by
//! `kubedrift status --from argocd|flux` with no config file: the chart is pulled, rendered
//! with the object's helm options and compared with the sandbox cluster. Skipped without
//! helm unless `KUBEDRIFT_REQUIRE_HELM` is set.

use crate::chart_repo::{chart_repository, helm_available, ChartServer};
use crate::controllers::{apply, crd, install_argocd, install_flux};
use crate::live_support::Fixture;
use kubedrift_testkit::Run;
use std::process::Command;

/// The Application of the test: chart `web` at `version` from `repo`, release `shop-web`, a
/// parameter and inline values.
fn chart_application(name: &str, repo: &str, version: &str) -> String {
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo}
    chart: web
    targetRevision: "{version}"
    helm:
      releaseName: shop-web
      parameters:
        - name: greeting
          value: from argocd
      valuesObject:
        environment: staging
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
status:
  sync:
    status: Synced
  health:
    status: Healthy
"#
    )
}

/// What the chart renders at 0.1.5 with the Application's options (written out by hand:
/// the chart's template with release `shop-web`, values from the chart, the parameter and
/// `valuesObject`).
const DEPLOYED: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-web-settings
  namespace: shop
data:
  chartVersion: "0.1.5"
  environment: staging
  greeting: from argocd
  replicas: "1"
"#;

#[test]
fn status_from_argocd_renders_a_chart_from_a_chart_repository() {
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    let _ = fx.kubectl(&["--context", "dev", "create", "namespace", "shop"]);
    apply(
        &fx,
        "dev",
        "web.yaml",
        &chart_application("web", &server.url, "0.1.5"),
    );
    // A version range is not rendered as some other version: unsupported, that app only.
    apply(
        &fx,
        "dev",
        "ranged.yaml",
        &chart_application("ranged", &server.url, "0.1.x"),
    );
    let status = || status_from(&fx, "argocd");
    let app = |report: &serde_json::Value, name: &str| {
        report["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| a["app"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
    };

    // Nothing deployed yet: the chart's ConfigMap is missing.
    let (run, report) = status();
    let web = app(&report, "web");
    assert_eq!(web["sync"], "OutOfSync", "{web:#}\n{}", run.stderr);
    assert_eq!(web["revision"], "0.1.5", "{web:#}");
    assert!(
        web["resources"].to_string().contains("shop-web-settings"),
        "{web:#}"
    );
    assert_eq!(
        web["controller"]["disagreement"], "Argo CD says Synced, kubedrift says OutOfSync",
        "{web:#}"
    );
    let ranged = app(&report, "ranged");
    assert_eq!(ranged["sync"], "Error", "{ranged:#}");
    assert!(
        ranged["message"]
            .as_str()
            .is_some_and(|m| m.contains(r#"unsupported: chart version range "0.1.x""#)),
        "{ranged:#}"
    );
    assert_eq!(run.code, 2, "an app in error: {}", run.stderr);
    assert_eq!(server.count("/charts/web-0.1.5.tgz"), 1);

    // Deployed as Argo CD would have: in sync. The chart comes from the cache this time.
    let path = fx.file("deployed.yaml", DEPLOYED);
    fx.ok(&["--context", "dev", "apply", "-f", &path]);
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "argocd",
        "delete",
        "application",
        "ranged",
    ]);
    let (run, report) = status();
    let web = app(&report, "web");
    assert_eq!(web["sync"], "Synced", "{web:#}\n{}", run.stderr);
    assert!(web["controller"]["disagreement"].is_null(), "{web:#}");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        server.count("/charts/web-0.1.5.tgz"),
        1,
        "a known chart version is not fetched again"
    );

    // The Application moves to the next chart version: drift, at that version.
    apply(
        &fx,
        "dev",
        "web.yaml",
        &chart_application("web", &server.url, "0.2.0"),
    );
    let (run, report) = status();
    let web = app(&report, "web");
    assert_eq!(web["sync"], "OutOfSync", "{web:#}\n{}", run.stderr);
    assert_eq!(web["revision"], "0.2.0", "{web:#}");
    assert_eq!(run.code, 1, "{}", run.stderr);
}

/// `kubedrift status --from <tool> --output json` with no config file.
fn status_from(fx: &Fixture, tool: &str) -> (Run, serde_json::Value) {
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let run: Run = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(["status", "--from", tool, "--output", "json"])
        .arg("--kubeconfig")
        .arg(fx.kubeconfig_path())
        .env_remove("KUBEDRIFT_CONFIG")
        .env_remove("KUBECONFIG")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
        .env("KUBEDRIFT_CHART_CACHE", fx.dir.path().join("charts"))
        .env("NO_COLOR", "1")
        .output()
        .expect("kubedrift runs")
        .into();
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run, report)
}

#[test]
fn status_from_flux_renders_a_helm_release_from_a_helm_repository() {
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_flux(&fx, "dev");
    let path = fx.file(
        "helmrepository-crd.yaml",
        &crd(
            "source.toolkit.fluxcd.io",
            "HelmRepository",
            "helmrepositories",
            "v1",
            true,
        ),
    );
    fx.ok(&["--context", "dev", "apply", "-f", &path]);
    let _ = fx.kubectl(&["--context", "dev", "create", "namespace", "shop"]);
    // As Flux's documentation shows them: a HelmRepository and a HelmRelease of its chart.
    apply(
        &fx,
        "dev",
        "flux.yaml",
        &format!(
            r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: flux-system
spec:
  interval: 5m
  url: {url}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: shop
spec:
  interval: 10m
  releaseName: shop-web
  chart:
    spec:
      chart: web
      version: "0.1.5"
      sourceRef:
        kind: HelmRepository
        name: charts
        namespace: flux-system
  values:
    environment: staging
    greeting: from argocd
"#,
            url = server.url
        ),
    );
    let (run, report) = status_from(&fx, "flux");
    let web = report["apps"]
        .as_array()
        .and_then(|apps| apps.iter().find(|a| a["app"] == "web"))
        .cloned()
        .unwrap_or_else(|| panic!("no web in {report:#}\n{}", run.stderr));
    assert_eq!(web["sync"], "OutOfSync", "{web:#}\n{}", run.stderr);
    assert_eq!(web["revision"], "0.1.5", "{web:#}");
    assert_eq!(web["controller"]["tool"], "flux", "{web:#}");

    // The same values as the Argo CD Application's: the same ConfigMap.
    let path = fx.file("deployed.yaml", DEPLOYED);
    fx.ok(&["--context", "dev", "apply", "-f", &path]);
    let (run, report) = status_from(&fx, "flux");
    let web = &report["apps"][0];
    assert_eq!(web["app"], "web", "{report:#}");
    assert_eq!(web["sync"], "Synced", "{web:#}\n{}", run.stderr);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.count("/charts/web-0.1.5.tgz"), 1, "fetched once");
}
