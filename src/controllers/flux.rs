//! Flux `Kustomization` (kustomize.toolkit.fluxcd.io/v1) and `HelmRelease`
//! (helm.toolkit.fluxcd.io/v2) with the `GitRepository` (source.toolkit.fluxcd.io/v1) they
//! read → [`ControllerApp`]s. Pure.
//!
//! Honoured: `sourceRef` → the GitRepository's `url` and `ref` (commit, name, tag, branch;
//! Flux's default branch `master`), `path`, `targetNamespace`, `namePrefix`, `nameSuffix`,
//! `patches`, `images`, `components`, `commonMetadata.labels` (a generated kustomization, as
//! Flux generates one), `postBuild.substitute`; HelmRelease charts from a GitRepository with
//! `releaseName`, `targetNamespace`, `values`, `chart.spec.valuesFiles`; HelmRelease charts
//! from an http(s) `HelmRepository` at an exact `version` (rendered from the chart repository,
//! nothing cloned). Everything else that changes the output marks the app unsupported (an OCI
//! HelmRepository, a version range, `valuesFiles` inside a repository chart).

use super::{
    normalize_repo_path, text, ControllerApp, ControllerTool, ControllerView, RenderExtras,
};
use crate::config::HelmConfig;
use crate::render::RendererKind;
use serde_json::{json, Map, Value as Json};

pub const KUSTOMIZATION_API_VERSION: &str = "kustomize.toolkit.fluxcd.io/v1";
pub const HELMRELEASE_API_VERSION: &str = "helm.toolkit.fluxcd.io/v2";
pub const GITREPOSITORY_API_VERSION: &str = "source.toolkit.fluxcd.io/v1";

/// Flux's objects on one context. Debug shows their names only (a HelmRelease's values may
/// be secrets).
#[derive(Clone, Default)]
pub struct FluxObjects {
    pub kustomizations: Vec<Json>,
    pub helm_releases: Vec<Json>,
    pub git_repositories: Vec<Json>,
    pub helm_repositories: Vec<Json>,
}

impl std::fmt::Debug for FluxObjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |list: &[Json]| -> Vec<String> {
            list.iter()
                .map(|o| {
                    format!(
                        "{}/{}",
                        text(o, "/metadata/namespace").unwrap_or(""),
                        text(o, "/metadata/name").unwrap_or("")
                    )
                })
                .collect()
        };
        f.debug_struct("FluxObjects")
            .field("kustomizations", &names(&self.kustomizations))
            .field("helm_releases", &names(&self.helm_releases))
            .field("git_repositories", &names(&self.git_repositories))
            .field("helm_repositories", &names(&self.helm_repositories))
            .finish()
    }
}

/// Every Kustomization and HelmRelease on context `home` as an app.
pub fn apps(objects: &FluxObjects, home: &str) -> Vec<ControllerApp> {
    let mut out: Vec<ControllerApp> = objects
        .kustomizations
        .iter()
        .map(|k| kustomization(k, &objects.git_repositories, home))
        .collect();
    out.extend(
        objects
            .helm_releases
            .iter()
            .map(|h| helm_release(h, objects, home)),
    );
    out
}

fn controller_view(object: &Json, api_version: &str, kind: &str, home: &str) -> ControllerView {
    let ready = object
        .pointer("/status/conditions")
        .and_then(Json::as_array)
        .and_then(|conditions| {
            conditions
                .iter()
                .find(|c| c.get("type").and_then(Json::as_str) == Some("Ready"))
        });
    ControllerView {
        tool: ControllerTool::Flux,
        context: home.to_string(),
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: text(object, "/metadata/namespace")
            .unwrap_or("")
            .to_string(),
        name: text(object, "/metadata/name").unwrap_or("").to_string(),
        sync: ready
            .and_then(|c| c.get("status"))
            .and_then(Json::as_str)
            .map(|s| {
                match s {
                    "True" => "Ready",
                    "False" => "NotReady",
                    _ => "Unknown",
                }
                .to_string()
            }),
        health: ready
            .and_then(|c| c.get("reason"))
            .and_then(Json::as_str)
            .map(str::to_string),
        revision: text(object, "/status/lastAppliedRevision").map(str::to_string),
        message: ready
            .and_then(|c| c.get("message"))
            .and_then(Json::as_str)
            .map(str::to_string),
    }
}

/// The chart a HelmRelease takes from the HelmRepository its `sourceRef` names. Err: the
/// HelmRepository is missing (the app's error); Ok(Err): what kubedrift cannot render
/// ("unsupported: ..."): an OCI repository, a version range (Flux's default is `*`).
fn helm_repository_chart(
    chart: &Json,
    source_ref: &Json,
    own_namespace: &str,
    repositories: &[Json],
) -> Result<Result<crate::render::ChartRef, String>, String> {
    let name = text(source_ref, "/name").unwrap_or("");
    let namespace = text(source_ref, "/namespace").unwrap_or(own_namespace);
    let Some(repository) = repositories.iter().find(|r| {
        text(r, "/metadata/name") == Some(name) && text(r, "/metadata/namespace") == Some(namespace)
    }) else {
        return Err(format!("HelmRepository {namespace}/{name} not found"));
    };
    if text(repository, "/spec/type") == Some("oci") {
        return Ok(Err("HelmRepository type oci".to_string()));
    }
    let version = text(chart, "/version").unwrap_or("*");
    Ok(super::chart_ref(
        text(repository, "/spec/url").unwrap_or(""),
        text(chart, "/chart").unwrap_or(""),
        version,
    ))
}

/// The GitRepository a `sourceRef` names: its URL and ref, or why it cannot be used.
fn git_source(
    source_ref: Option<&Json>,
    own_namespace: &str,
    repositories: &[Json],
    unsupported: &mut Vec<String>,
) -> Result<(String, String), String> {
    let Some(source_ref) = source_ref else {
        return Err("no sourceRef".to_string());
    };
    let kind = text(source_ref, "/kind").unwrap_or("GitRepository");
    let name = text(source_ref, "/name").unwrap_or("");
    let namespace = text(source_ref, "/namespace").unwrap_or(own_namespace);
    if kind == "HelmRepository" {
        unsupported.push("chart repository source".to_string());
        return Ok((String::new(), String::new()));
    }
    if kind != "GitRepository" {
        unsupported.push(format!("sourceRef kind {kind}"));
        return Ok((String::new(), String::new()));
    }
    let Some(repository) = repositories.iter().find(|r| {
        text(r, "/metadata/name") == Some(name) && text(r, "/metadata/namespace") == Some(namespace)
    }) else {
        return Err(format!("GitRepository {namespace}/{name} not found"));
    };
    let url = text(repository, "/spec/url").unwrap_or("").to_string();
    let reference = repository.pointer("/spec/ref");
    let field = |key: &str| {
        reference
            .and_then(|r| r.get(key))
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    };
    if field("semver").is_some() && field("commit").is_none() && field("name").is_none() {
        unsupported.push("GitRepository ref.semver".to_string());
    }
    for key in ["include", "ignore", "recurseSubmodules", "sparseCheckout"] {
        if repository
            .pointer(&format!("/spec/{key}"))
            .is_some_and(|v| !matches!(v, Json::Null | Json::Bool(false)))
        {
            unsupported.push(format!("GitRepository spec.{key}"));
        }
    }
    // Flux's order of precedence; its default is the master branch.
    let git_ref = field("commit")
        .or_else(|| field("name"))
        .or_else(|| field("tag"))
        .or_else(|| field("branch"))
        .unwrap_or("master")
        .to_string();
    Ok((url, git_ref))
}

fn kustomization(object: &Json, repositories: &[Json], home: &str) -> ControllerApp {
    let controller = controller_view(object, KUSTOMIZATION_API_VERSION, "Kustomization", home);
    let mut unsupported = Vec::new();
    let spec = object.get("spec").cloned().unwrap_or(Json::Null);
    let source = git_source(
        spec.get("sourceRef"),
        &controller.namespace,
        repositories,
        &mut unsupported,
    );
    let path = normalize_repo_path(text(&spec, "/path").unwrap_or("")).unwrap_or_else(|| {
        unsupported.push("spec.path outside the repository".to_string());
        String::new()
    });
    let mut generated = Map::new();
    let mut extras = RenderExtras::default();
    if let Some(Json::Object(spec)) = object.get("spec") {
        for (key, value) in spec {
            match key.as_str() {
                "targetNamespace" => {
                    if let Some(ns) = value.as_str().filter(|s| !s.is_empty()) {
                        generated.insert("namespace".into(), json!(ns));
                    }
                }
                "namePrefix" | "nameSuffix" | "patches" | "images" if !is_empty(value) => {
                    generated.insert(key.clone(), value.clone());
                }
                "components" => {
                    let components: Vec<Json> = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_str)
                        .filter_map(|c| crate::git::join_path(&path, c).ok())
                        .map(|c| json!(format!("../{c}")))
                        .collect();
                    if !components.is_empty() {
                        generated.insert("components".into(), Json::Array(components));
                    }
                }
                "commonMetadata" => {
                    if let Some(labels) = value.get("labels").filter(|l| !is_empty(l)) {
                        generated.insert(
                            "labels".into(),
                            json!([{"pairs": labels, "includeSelectors": false, "includeTemplates": false}]),
                        );
                    }
                    if value.get("annotations").is_some_and(|a| !is_empty(a)) {
                        unsupported.push("spec.commonMetadata.annotations".to_string());
                    }
                }
                "postBuild" => {
                    if let Some(vars) = value.get("substitute").and_then(Json::as_object) {
                        for (name, value) in vars {
                            let text = match value {
                                Json::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            extras.substitute.insert(name.clone(), text);
                        }
                    }
                    if value.get("substituteFrom").is_some_and(|v| !is_empty(v)) {
                        unsupported.push("spec.postBuild.substituteFrom".to_string());
                    }
                }
                "decryption" | "kubeConfig" | "patchesStrategicMerge" | "patchesJson6902"
                    if !is_empty(value) =>
                {
                    unsupported.push(format!("spec.{key}"));
                }
                // How and when Flux applies, not what: no effect on the desired objects.
                _ => {}
            }
        }
    }
    if !generated.is_empty() {
        extras.kustomization = Some(Json::Object(generated));
    }
    let (repo_url, git_ref, error) = match source {
        Ok((url, git_ref)) => (url, git_ref, None),
        Err(error) => (String::new(), String::new(), Some(error)),
    };
    ControllerApp {
        name: controller.name.clone(),
        context: Ok(home.to_string()),
        repo_url,
        path,
        git_ref,
        namespace: Some(controller.namespace.clone()).filter(|ns| !ns.is_empty()),
        renderer: if extras.kustomization.is_some() {
            RendererKind::Kustomize
        } else {
            RendererKind::Auto
        },
        helm: HelmConfig::default(),
        chart: None,
        extras,
        ignore: Vec::new(),
        unsupported,
        error,
        controller,
    }
}

fn helm_release(object: &Json, objects: &FluxObjects, home: &str) -> ControllerApp {
    let controller = controller_view(object, HELMRELEASE_API_VERSION, "HelmRelease", home);
    let mut unsupported = Vec::new();
    let spec = object.get("spec").cloned().unwrap_or(Json::Null);
    let chart = spec.pointer("/chart/spec");
    if spec.get("chartRef").is_some() {
        unsupported.push("spec.chartRef".to_string());
    }
    let source_ref = chart.and_then(|c| c.get("sourceRef"));
    let from_helm_repository = source_ref.and_then(|r| text(r, "/kind")) == Some("HelmRepository");
    let mut chart_ref = None;
    let source = if from_helm_repository {
        match helm_repository_chart(
            chart.unwrap_or(&Json::Null),
            source_ref.unwrap_or(&Json::Null),
            &controller.namespace,
            &objects.helm_repositories,
        ) {
            Ok(Ok(found)) => {
                let version = found.version.clone();
                chart_ref = Some(found);
                Ok((String::new(), version))
            }
            Ok(Err(why)) => {
                unsupported.push(why);
                Ok((String::new(), String::new()))
            }
            Err(error) => Err(error),
        }
    } else {
        git_source(
            source_ref,
            &controller.namespace,
            &objects.git_repositories,
            &mut unsupported,
        )
    };
    let path = if from_helm_repository {
        String::new()
    } else {
        chart
            .and_then(|c| text(c, "/chart"))
            .and_then(normalize_repo_path)
            .unwrap_or_default()
    };
    let target_namespace = text(&spec, "/targetNamespace").filter(|s| !s.is_empty());
    let mut helm = HelmConfig {
        release_name: Some(match (text(&spec, "/releaseName"), target_namespace) {
            (Some(name), _) if !name.is_empty() => name.to_string(),
            (_, Some(ns)) => format!("{ns}-{}", controller.name),
            _ => controller.name.clone(),
        }),
        ..HelmConfig::default()
    };
    // valuesFiles are relative to the source's root; kubedrift's to the chart directory.
    let up = "../".repeat(path.split('/').filter(|s| !s.is_empty()).count());
    helm.values = chart
        .and_then(|c| c.get("valuesFiles"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .filter_map(normalize_repo_path)
        .map(|file| format!("{up}{file}"))
        .collect();
    // A chart from a HelmRepository reads its valuesFiles from inside the chart archive,
    // which kubedrift does not unpack: never read from somewhere else instead.
    if chart_ref.is_some() && !helm.values.is_empty() {
        unsupported.push("spec.chart.spec.valuesFiles of a HelmRepository chart".to_string());
        helm.values.clear();
    }
    let mut extras = RenderExtras::default();
    if let Some(values) = spec.get("values").filter(|v| !is_empty(v)) {
        extras.helm_values = serde_yaml::to_string(values).ok();
    }
    for key in ["valuesFrom", "postRenderers", "kubeConfig"] {
        if spec.get(key).is_some_and(|v| !is_empty(v)) {
            unsupported.push(format!("spec.{key}"));
        }
    }
    let (repo_url, git_ref, error) = match source {
        Ok((url, git_ref)) => (url, git_ref, None),
        Err(error) => (String::new(), String::new(), Some(error)),
    };
    ControllerApp {
        name: controller.name.clone(),
        context: Ok(home.to_string()),
        repo_url,
        path,
        git_ref,
        namespace: target_namespace
            .map(str::to_string)
            .or_else(|| Some(controller.namespace.clone()).filter(|ns| !ns.is_empty())),
        renderer: RendererKind::Helm,
        helm,
        chart: chart_ref,
        extras,
        ignore: Vec::new(),
        unsupported,
        error,
        controller,
    }
}

fn is_empty(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        Json::String(s) => s.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Json {
        serde_yaml::from_str(yaml).expect("yaml")
    }

    /// Shaped as Flux's "Kustomization" and "GitRepository" documentation shows them.
    const PODINFO_REPO: &str = r#"
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: { name: podinfo, namespace: flux-system }
spec:
  interval: 5m0s
  url: https://github.com/stefanprodan/podinfo
  ref: { branch: master, tag: 6.5.0 }
"#;

    const PODINFO: &str = r#"
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: podinfo, namespace: flux-system }
spec:
  interval: 10m
  targetNamespace: default
  sourceRef: { kind: GitRepository, name: podinfo }
  path: "./kustomize"
  prune: true
  namePrefix: blue-
  images:
    - { name: ghcr.io/stefanprodan/podinfo, newTag: 6.5.1 }
  patches:
    - patch: |
        - op: replace
          path: /spec/replicas
          value: 3
      target: { kind: Deployment, name: podinfo }
  postBuild:
    substitute: { cluster_env: prod, replicas: "3" }
status:
  lastAppliedRevision: 6.5.0@sha1:0123456789abcdef0123456789abcdef01234567
  conditions:
    - { type: Ready, status: "True", reason: ReconciliationSucceeded, message: "Applied revision: 6.5.0@sha1:0123456" }
"#;

    #[test]
    fn a_kustomization_reads_its_git_repository_and_options() {
        let objects = FluxObjects {
            kustomizations: vec![parse(PODINFO)],
            git_repositories: vec![parse(PODINFO_REPO)],
            ..FluxObjects::default()
        };
        let apps = apps(&objects, "prod");
        assert_eq!(apps.len(), 1);
        let app = &apps[0];
        assert_eq!(app.name, "podinfo");
        assert_eq!(app.context, Ok("prod".into()));
        assert_eq!(app.repo_url, "https://github.com/stefanprodan/podinfo");
        assert_eq!(app.git_ref, "6.5.0", "a tag wins over a branch");
        assert_eq!(app.path, "kustomize");
        assert_eq!(app.renderer, RendererKind::Kustomize);
        let generated = app.extras.kustomization.as_ref().expect("kustomization");
        assert_eq!(generated["namespace"], json!("default"));
        assert_eq!(generated["namePrefix"], json!("blue-"));
        assert_eq!(generated["images"][0]["newTag"], json!("6.5.1"));
        assert_eq!(generated["patches"][0]["target"]["name"], json!("podinfo"));
        assert_eq!(
            app.extras.substitute.get("cluster_env").map(String::as_str),
            Some("prod")
        );
        assert!(app.unsupported.is_empty(), "{:?}", app.unsupported);
        assert_eq!(app.error, None);
        assert_eq!(app.controller.sync.as_deref(), Some("Ready"));
        assert_eq!(
            app.controller.health.as_deref(),
            Some("ReconciliationSucceeded")
        );
        assert!(app
            .controller
            .revision
            .as_deref()
            .is_some_and(|r| r.starts_with("6.5.0@sha1:")));
    }

    #[test]
    fn refs_follow_flux_precedence_and_missing_sources_are_errors() {
        let repo = |reference: &str| {
            parse(&format!(
                "metadata: {{ name: r, namespace: flux-system }}\nspec: {{ url: file:///srv/r, ref: {reference} }}"
            ))
        };
        let ks = parse(
            "metadata: { name: app, namespace: flux-system }\nspec: { sourceRef: { kind: GitRepository, name: r }, path: ./apps/app }",
        );
        let ref_of = |reference: &str| {
            let objects = FluxObjects {
                kustomizations: vec![ks.clone()],
                git_repositories: vec![repo(reference)],
                ..FluxObjects::default()
            };
            apps(&objects, "dev").remove(0).git_ref
        };
        assert_eq!(ref_of("{ branch: main }"), "main");
        assert_eq!(ref_of("{ branch: main, commit: abc1234 }"), "abc1234");
        assert_eq!(ref_of("{ name: refs/tags/v1 }"), "refs/tags/v1");
        assert_eq!(ref_of("{}"), "master");
        let alone = apps(
            &FluxObjects {
                kustomizations: vec![ks.clone()],
                ..FluxObjects::default()
            },
            "dev",
        );
        assert_eq!(
            alone[0].error.as_deref(),
            Some("GitRepository flux-system/r not found")
        );
        assert_eq!(alone[0].renderer, RendererKind::Auto);
    }

    #[test]
    fn what_flux_does_that_kubedrift_cannot_is_unsupported() {
        let ks = parse(
            r#"
metadata: { name: secrets, namespace: flux-system }
spec:
  sourceRef: { kind: GitRepository, name: r }
  path: ./secrets
  decryption: { provider: sops, secretRef: { name: sops-age } }
  postBuild:
    substituteFrom: [{ kind: ConfigMap, name: vars }]
"#,
        );
        let objects = FluxObjects {
            kustomizations: vec![ks],
            git_repositories: vec![parse(
                "metadata: { name: r, namespace: flux-system }\nspec: { url: file:///srv/r, ref: { branch: main } }",
            )],
            ..FluxObjects::default()
        };
        let app = apps(&objects, "dev").remove(0);
        assert_eq!(
            app.unsupported,
            ["spec.decryption", "spec.postBuild.substituteFrom"]
        );
    }

    #[test]
    fn debug_never_shows_inline_values() {
        let release = parse(
            "metadata: { name: api, namespace: apps }\nspec:\n  chart: { spec: { chart: ./c, sourceRef: { kind: GitRepository, name: r } } }\n  values: { password: hunter2 }",
        );
        let kustomization = parse(
            "metadata: { name: web, namespace: apps }\nspec:\n  sourceRef: { kind: GitRepository, name: r }\n  postBuild: { substitute: { token: s3cr3t } }",
        );
        let objects = FluxObjects {
            helm_releases: vec![release],
            kustomizations: vec![kustomization],
            ..FluxObjects::default()
        };
        let shown = format!("{objects:?}");
        assert!(
            shown.contains("apps/api") && !shown.contains("hunter2"),
            "{shown}"
        );
        let translated = apps(&objects, "dev");
        assert_eq!(translated[0].extras.substitute["token"], "s3cr3t");
        assert!(translated[1].extras.helm_values.is_some());
        let shown = format!("{translated:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    #[test]
    fn helm_releases_from_git_and_from_chart_repositories() {
        let git = parse(
            r#"
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: api, namespace: apps }
spec:
  interval: 10m
  targetNamespace: api
  chart:
    spec:
      chart: ./charts/api
      sourceRef: { kind: GitRepository, name: r, namespace: flux-system }
      valuesFiles: [charts/api/values-prod.yaml]
  values:
    replicaCount: 2
"#,
        );
        let from_repo = parse(
            r#"
metadata: { name: redis, namespace: apps }
spec:
  chart:
    spec: { chart: redis, version: "17.x", sourceRef: { kind: HelmRepository, name: bitnami } }
"#,
        );
        let objects = FluxObjects {
            helm_releases: vec![git, from_repo],
            git_repositories: vec![parse(
                "metadata: { name: r, namespace: flux-system }\nspec: { url: file:///srv/r, ref: { branch: main } }",
            )],
            helm_repositories: vec![parse(
                "metadata: { name: bitnami, namespace: apps }\nspec: { url: https://charts.bitnami.com/bitnami }",
            )],
            ..FluxObjects::default()
        };
        let apps = apps(&objects, "dev");
        let api = &apps[0];
        assert_eq!(api.renderer, RendererKind::Helm);
        assert_eq!(api.path, "charts/api");
        assert_eq!(api.git_ref, "main");
        assert_eq!(api.namespace.as_deref(), Some("api"));
        assert_eq!(api.helm.release_name.as_deref(), Some("api-api"));
        assert_eq!(api.helm.values, ["../../charts/api/values-prod.yaml"]);
        assert_eq!(api.extras.helm_values.as_deref(), Some("replicaCount: 2\n"));
        assert!(api.unsupported.is_empty(), "{:?}", api.unsupported);
        assert_eq!(
            apps[1].unsupported,
            [r#"chart version range "17.x" (only exact versions)"#]
        );
    }

    /// A HelmRelease of a chart from a HelmRepository, as Flux's documentation shows them.
    #[test]
    fn a_helm_release_from_a_helm_repository_becomes_a_chart_app() {
        let release = |chart_spec: &str| {
            parse(&format!(
                r#"
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{ name: podinfo, namespace: apps }}
spec:
  interval: 10m
  releaseName: podinfo-prod
  chart:
    spec: {chart_spec}
  values:
    replicaCount: 2
"#
            ))
        };
        let repositories = vec![
            parse(
                r#"
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: { name: podinfo, namespace: flux-system }
spec: { interval: 5m, url: https://stefanprodan.github.io/podinfo }
"#,
            ),
            parse(
                "metadata: { name: ghcr, namespace: flux-system }\nspec: { type: oci, url: oci://ghcr.io/stefanprodan/charts }",
            ),
        ];
        let objects = FluxObjects {
            helm_releases: vec![
                release("{ chart: podinfo, version: '6.5.4', sourceRef: { kind: HelmRepository, name: podinfo, namespace: flux-system } }"),
                release("{ chart: podinfo, sourceRef: { kind: HelmRepository, name: podinfo, namespace: flux-system } }"),
                release("{ chart: podinfo, version: '6.5.4', sourceRef: { kind: HelmRepository, name: ghcr, namespace: flux-system } }"),
                release("{ chart: podinfo, version: '6.5.4', sourceRef: { kind: HelmRepository, name: podinfo, namespace: flux-system }, valuesFiles: [values-prod.yaml] }"),
                release("{ chart: podinfo, version: '6.5.4', sourceRef: { kind: HelmRepository, name: gone } }"),
            ],
            helm_repositories: repositories,
            ..FluxObjects::default()
        };
        let apps = apps(&objects, "dev");
        let app = &apps[0];
        assert!(app.unsupported.is_empty(), "{:?}", app.unsupported);
        assert_eq!(
            app.chart,
            Some(crate::render::ChartRef {
                repo: "https://stefanprodan.github.io/podinfo".into(),
                name: "podinfo".into(),
                version: "6.5.4".into(),
            })
        );
        assert_eq!((app.repo_url.as_str(), app.path.as_str()), ("", ""));
        assert_eq!(app.git_ref, "6.5.4");
        assert_eq!(app.renderer, RendererKind::Helm);
        assert_eq!(app.helm.release_name.as_deref(), Some("podinfo-prod"));
        assert_eq!(app.extras.helm_values.as_deref(), Some("replicaCount: 2\n"));
        assert_eq!(app.error, None);
        let message = |i: usize| apps[i].unsupported_message().unwrap_or_default();
        assert_eq!(
            message(1),
            r#"unsupported: chart version range "*" (only exact versions)"#
        );
        assert_eq!(message(2), "unsupported: HelmRepository type oci");
        assert_eq!(
            message(3),
            "unsupported: spec.chart.spec.valuesFiles of a HelmRepository chart"
        );
        assert!(apps[3].helm.values.is_empty());
        assert_eq!(
            apps[4].error.as_deref(),
            Some("HelmRepository apps/gone not found")
        );
    }
}
