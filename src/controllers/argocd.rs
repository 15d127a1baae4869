//! Argo CD `Application` (argoproj.io/v1alpha1) → [`ControllerApp`]. Pure.
//!
//! Honoured: `source.repoURL`/`path`/`targetRevision`, `destination.server`/`name`/
//! `namespace`, kustomize `namePrefix`, `nameSuffix`, `images`, `commonLabels`,
//! `commonAnnotations`, `namespace`, `replicas`, `patches` (as a generated kustomization over
//! the app directory, as Argo CD edits one before building), helm `releaseName`,
//! `valueFiles`, `parameters`, `values`, `valuesObject`, directory `recurse`,
//! `ignoreDifferences` with JSON pointers; a Helm chart repository source (`chart:` with an
//! http(s) `repoURL` and an exact `targetRevision`) with the same helm options except
//! `valueFiles` (files inside the chart). Anything else set under the source (an OCI chart
//! registry, a version range, jq or manager ignore rules) marks the app unsupported.

use super::clusters::ClusterMap;
use super::{
    normalize_repo_path, text, ControllerApp, ControllerTool, ControllerView, RenderExtras,
};
use crate::config::HelmConfig;
use crate::engine::ignore::IgnoreRule;
use crate::render::RendererKind;
use serde_json::{json, Map, Value as Json};

pub const API_VERSION: &str = "argoproj.io/v1alpha1";
pub const KIND: &str = "Application";

/// The Application's status as the views show it.
fn controller_view(app: &Json, home: &str) -> ControllerView {
    ControllerView {
        tool: ControllerTool::ArgoCd,
        context: home.to_string(),
        api_version: API_VERSION.to_string(),
        kind: KIND.to_string(),
        namespace: text(app, "/metadata/namespace").unwrap_or("").to_string(),
        name: text(app, "/metadata/name").unwrap_or("").to_string(),
        sync: text(app, "/status/sync/status").map(str::to_string),
        health: text(app, "/status/health/status").map(str::to_string),
        revision: text(app, "/status/sync/revision").map(str::to_string),
        message: text(app, "/status/operationState/message")
            .or_else(|| text(app, "/status/health/message"))
            .map(str::to_string),
    }
}

/// Translate one Application living on context `home`.
pub fn application(app: &Json, home: &str, clusters: &ClusterMap) -> ControllerApp {
    let controller = controller_view(app, home);
    let mut unsupported = Vec::new();
    let sources: Vec<&Json> = match app.pointer("/spec/sources").and_then(Json::as_array) {
        Some(list) if !list.is_empty() => list.iter().collect(),
        _ => app.pointer("/spec/source").into_iter().collect(),
    };
    if sources.len() > 1 {
        unsupported.push("spec.sources (more than one source)".to_string());
    }
    let empty = Json::Object(Map::new());
    let source = sources.first().copied().unwrap_or(&empty);
    let destination = app.pointer("/spec/destination");
    let context = clusters.resolve(
        destination.and_then(|d| text(d, "/server")),
        destination.and_then(|d| text(d, "/name")),
        home,
    );
    let namespace = destination
        .and_then(|d| text(d, "/namespace"))
        .filter(|ns| !ns.is_empty())
        .map(str::to_string);
    let mut repo_url = text(source, "/repoURL").unwrap_or("").to_string();
    if repo_url.is_empty() {
        unsupported.push("source without repoURL".to_string());
    }
    let mut git_ref = text(source, "/targetRevision")
        .filter(|r| !r.is_empty())
        .unwrap_or("HEAD")
        .to_string();
    let mut path = match normalize_repo_path(text(source, "/path").unwrap_or("")) {
        Some(path) => path,
        None => {
            unsupported.push("source.path outside the repository".to_string());
            String::new()
        }
    };
    // A chart repository source: `repoURL` is the chart repository, `targetRevision` the
    // chart version, and there is no Git repository to clone.
    let is_chart_source = source.get("chart").is_some();
    let mut chart = None;
    if is_chart_source {
        let version = text(source, "/targetRevision").unwrap_or("");
        match super::chart_ref(&repo_url, text(source, "/chart").unwrap_or(""), version) {
            Ok(found) => chart = Some(found),
            Err(why) => unsupported.push(why),
        }
        repo_url = String::new();
        path = String::new();
        git_ref = version.to_string();
    }
    for key in ["plugin", "ref"] {
        if source.get(key).is_some() {
            unsupported.push(format!("source.{key}"));
        }
    }
    let mut renderer = RendererKind::Auto;
    let mut extras = RenderExtras::default();
    let mut helm = HelmConfig::default();
    if let Some(kustomize) = source.get("kustomize").and_then(Json::as_object) {
        renderer = RendererKind::Kustomize;
        extras.kustomization = kustomization(kustomize, &path, &mut unsupported);
    }
    if let Some(options) = source.get("helm").and_then(Json::as_object) {
        renderer = RendererKind::Helm;
        helm = helm_options(options, &mut extras, &mut unsupported);
    }
    if is_chart_source {
        renderer = RendererKind::Helm;
        // The values files of a chart repository source are files inside the chart archive,
        // which kubedrift does not unpack: not read as Git files (that would compare
        // something else).
        if !helm.values.is_empty() {
            unsupported.push("helm.valueFiles of a chart repository source".to_string());
            helm.values.clear();
        }
        for key in ["kustomize", "directory"] {
            if source.get(key).is_some() {
                unsupported.push(format!("source.{key} with a chart"));
            }
        }
    }
    // Argo CD names the release after the Application unless told otherwise.
    if helm.release_name.is_none() {
        helm.release_name = Some(controller.name.clone());
    }
    if let Some(directory) = source.get("directory").and_then(Json::as_object) {
        renderer = RendererKind::Plain;
        for (key, value) in directory {
            match key.as_str() {
                "recurse" => {}
                "include" | "exclude" if value.as_str().is_some_and(str::is_empty) => {}
                other => unsupported.push(format!("directory.{other}")),
            }
        }
        extras.top_level_only = !directory
            .get("recurse")
            .and_then(Json::as_bool)
            .unwrap_or(false);
    } else if renderer == RendererKind::Auto {
        // A directory without options: Argo CD does not recurse either.
        extras.top_level_only = true;
    }
    let ignore = ignore_differences(app, &mut unsupported);
    ControllerApp {
        name: controller.name.clone(),
        context,
        repo_url,
        path,
        git_ref,
        namespace,
        renderer,
        helm,
        chart,
        extras,
        ignore,
        unsupported,
        error: None,
        controller,
    }
}

/// `spec.ignoreDifferences` as kubedrift's ignore rules. Argo CD matches `group` exactly, an
/// absent one being the core group; jq expressions and managers are not honoured.
fn ignore_differences(app: &Json, unsupported: &mut Vec<String>) -> Vec<IgnoreRule> {
    let mut rules = Vec::new();
    for entry in app
        .pointer("/spec/ignoreDifferences")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        for key in ["jqPathExpressions", "managedFieldsManagers"] {
            if entry.get(key).is_some_and(|v| !is_blank(v)) {
                unsupported.push(format!("ignoreDifferences.{key}"));
            }
        }
        let json_pointers: Vec<String> = entry
            .get("jsonPointers")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect();
        if json_pointers.is_empty() {
            continue;
        }
        let field = |key: &str| {
            entry
                .get(key)
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let rule = IgnoreRule {
            group: Some(field("group").unwrap_or_default()),
            kind: field("kind"),
            name: field("name"),
            namespace: field("namespace"),
            json_pointers,
        };
        match rule.validate() {
            Ok(()) => rules.push(rule),
            Err(why) => unsupported.push(format!("ignoreDifferences ({why})")),
        }
    }
    rules
}

/// The kustomization Argo CD's `kustomize` options amount to, built over the app directory
/// (None when no option changes the output).
fn kustomization(
    options: &Map<String, Json>,
    path: &str,
    unsupported: &mut Vec<String>,
) -> Option<Json> {
    let mut out = Map::new();
    for (key, value) in options {
        match key.as_str() {
            "namePrefix" | "nameSuffix" | "commonLabels" | "commonAnnotations" | "namespace" => {
                if !is_blank(value) {
                    out.insert(key.clone(), value.clone());
                }
            }
            "images" => {
                let mut images = Vec::new();
                for image in value.as_array().into_iter().flatten() {
                    match image.as_str().and_then(parse_image_override) {
                        Some(parsed) => images.push(parsed),
                        None => unsupported.push(format!("kustomize.images entry {image}")),
                    }
                }
                if !images.is_empty() {
                    out.insert("images".into(), Json::Array(images));
                }
            }
            "replicas" => {
                let replicas: Vec<Json> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        let count = match r.get("count") {
                            Some(Json::String(s)) => s.parse::<i64>().map(Json::from).ok(),
                            Some(n @ Json::Number(_)) => Some(n.clone()),
                            _ => None,
                        };
                        json!({"name": r.get("name").cloned().unwrap_or(Json::Null), "count": count})
                    })
                    .collect();
                if !replicas.is_empty() {
                    out.insert("replicas".into(), Json::Array(replicas));
                }
            }
            "patches" => {
                let mut patches = Vec::new();
                for patch in value.as_array().into_iter().flatten() {
                    let mut patch = patch.clone();
                    // A patch file is relative to the app directory; the generated
                    // kustomization sits elsewhere.
                    if let Some(file) = patch.get("path").and_then(Json::as_str) {
                        match crate::git::join_path(path, file) {
                            Ok(repo_path) => {
                                patch["path"] = Json::String(format!("../{repo_path}"));
                            }
                            Err(_) => {
                                unsupported.push(format!("kustomize.patches path {file}"));
                                continue;
                            }
                        }
                    }
                    patches.push(patch);
                }
                if !patches.is_empty() {
                    out.insert("patches".into(), Json::Array(patches));
                }
            }
            // Set but empty: changes nothing.
            _ if is_blank(value) => {}
            other => unsupported.push(format!("kustomize.{other}")),
        }
    }
    (!out.is_empty()).then(|| Json::Object(out))
}

fn is_blank(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        Json::Number(_) => false,
    }
}

/// `kustomize edit set image` syntax as Argo CD takes it — `nginx:1.25`,
/// `nginx=registry/nginx:1.25`, `nginx=nginx@sha256:…` — as a kustomization `images` entry.
pub fn parse_image_override(text: &str) -> Option<Json> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (name, target) = match text.split_once('=') {
        Some((name, target)) => (name.to_string(), target),
        None => (String::new(), text),
    };
    let (image, digest) = match target.split_once('@') {
        Some((image, digest)) => (image, Some(digest)),
        None => (target, None),
    };
    // The tag is after the last ':' that follows the last '/' (a registry port is not a tag).
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let (new_name, tag) = match image[slash..].rfind(':') {
        Some(colon) => (&image[..slash + colon], Some(&image[slash + colon + 1..])),
        None => (image, None),
    };
    let mut entry = Map::new();
    if name.is_empty() {
        entry.insert("name".into(), Json::String(new_name.to_string()));
    } else {
        entry.insert("name".into(), Json::String(name));
        entry.insert("newName".into(), Json::String(new_name.to_string()));
    }
    if let Some(tag) = tag.filter(|t| !t.is_empty()) {
        entry.insert("newTag".into(), Json::String(tag.to_string()));
    }
    if let Some(digest) = digest {
        entry.insert("digest".into(), Json::String(digest.to_string()));
    }
    Some(Json::Object(entry))
}

fn helm_options(
    options: &Map<String, Json>,
    extras: &mut RenderExtras,
    unsupported: &mut Vec<String>,
) -> HelmConfig {
    let mut helm = HelmConfig::default();
    let mut inline: Vec<Json> = Vec::new();
    for (key, value) in options {
        match key.as_str() {
            "releaseName" => {
                helm.release_name = value.as_str().filter(|s| !s.is_empty()).map(str::to_string)
            }
            "valueFiles" => {
                helm.values = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect();
            }
            "parameters" => {
                for parameter in value.as_array().into_iter().flatten() {
                    let (Some(name), Some(value)) = (
                        parameter.get("name").and_then(Json::as_str),
                        parameter.get("value"),
                    ) else {
                        continue;
                    };
                    if parameter.get("forceString").and_then(Json::as_bool) == Some(true) {
                        unsupported.push(format!("helm.parameters[{name}].forceString"));
                        continue;
                    }
                    helm.set.insert(name.to_string(), value.clone());
                }
            }
            "values" => {
                if let Some(text) = value.as_str().filter(|s| !s.trim().is_empty()) {
                    match serde_yaml::from_str::<Json>(text) {
                        Ok(parsed) => inline.push(parsed),
                        Err(_) => unsupported.push("helm.values (not YAML)".to_string()),
                    }
                }
            }
            "valuesObject" => {
                if !is_blank(value) {
                    inline.push(value.clone());
                }
            }
            _ if is_blank(value) => {}
            other => unsupported.push(format!("helm.{other}")),
        }
    }
    // Argo CD: `valuesObject` wins over `values`; both over the values files.
    if let Some(values) = merged(inline) {
        extras.helm_values = serde_yaml::to_string(&values).ok();
    }
    helm
}

/// Later documents override earlier ones, key by key (maps merge, anything else replaces).
fn merged(docs: Vec<Json>) -> Option<Json> {
    fn merge(base: &mut Json, over: Json) {
        match (base, over) {
            (Json::Object(base), Json::Object(over)) => {
                for (key, value) in over {
                    match base.get_mut(&key) {
                        Some(existing) => merge(existing, value),
                        None => {
                            base.insert(key, value);
                        }
                    }
                }
            }
            (base, over) => *base = over,
        }
    }
    let mut docs = docs.into_iter();
    let mut out = docs.next()?;
    for doc in docs {
        merge(&mut out, doc);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn clusters() -> ClusterMap {
        let kubeconfig: kube::config::Kubeconfig = serde_yaml::from_str(
            r#"
apiVersion: v1
kind: Config
clusters:
  - { name: mgmt, cluster: { server: "https://mgmt.example.com" } }
  - { name: prod, cluster: { server: "https://prod.example.com:6443" } }
contexts:
  - { name: mgmt, context: { cluster: mgmt, user: admin } }
  - { name: prod, context: { cluster: prod, user: admin } }
users: []
"#,
        )
        .expect("kubeconfig");
        ClusterMap::new(&kubeconfig, &BTreeMap::new())
    }

    /// The guestbook example of Argo CD's getting-started guide, with a status.
    const GUESTBOOK: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  syncPolicy:
    automated: { prune: true, selfHeal: true }
status:
  sync:
    status: Synced
    revision: 53e28ff20cc530b9ada2173fbbd64d48338583ba
  health:
    status: Healthy
"#;

    fn parse(yaml: &str) -> Json {
        serde_yaml::from_str(yaml).expect("yaml")
    }

    #[test]
    fn a_directory_application_on_its_own_cluster() {
        let app = application(&parse(GUESTBOOK), "mgmt", &clusters());
        assert_eq!(app.name, "guestbook");
        assert_eq!(app.context, Ok("mgmt".into()));
        assert_eq!(
            app.repo_url,
            "https://github.com/argoproj/argocd-example-apps.git"
        );
        assert_eq!(app.path, "guestbook");
        assert_eq!(app.git_ref, "HEAD");
        assert_eq!(app.namespace.as_deref(), Some("guestbook"));
        assert_eq!(app.renderer, RendererKind::Auto);
        assert!(
            app.extras.top_level_only,
            "Argo CD does not recurse by default"
        );
        assert!(app.unsupported.is_empty(), "{:?}", app.unsupported);
        assert_eq!(app.controller.sync.as_deref(), Some("Synced"));
        assert_eq!(app.controller.health.as_deref(), Some("Healthy"));
        assert_eq!(
            app.controller.revision.as_deref(),
            Some("53e28ff20cc530b9ada2173fbbd64d48338583ba")
        );
        assert_eq!(
            (
                app.controller.namespace.as_str(),
                app.controller.context.as_str()
            ),
            ("argocd", "mgmt")
        );
    }

    #[test]
    fn kustomize_options_become_a_kustomization_and_the_server_a_context() {
        let app = application(
            &parse(
                r#"
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: web-prod, namespace: argocd }
spec:
  source:
    repoURL: file:///srv/gitops
    path: ./apps/web/overlays/prod
    targetRevision: release-1.4
    kustomize:
      namePrefix: prod-
      nameSuffix: -v2
      commonLabels: { team: shop }
      images:
        - registry.example.com:5000/shop/web:1.4.3
        - nginx=nginx@sha256:abc
      patches:
        - path: replicas.yaml
          target: { kind: Deployment }
  destination:
    server: https://prod.example.com:6443/
    namespace: shop
"#,
            ),
            "mgmt",
            &clusters(),
        );
        assert_eq!(app.context, Ok("prod".into()));
        assert_eq!(app.path, "apps/web/overlays/prod");
        assert_eq!(app.git_ref, "release-1.4");
        assert_eq!(app.renderer, RendererKind::Kustomize);
        assert!(!app.extras.top_level_only);
        assert_eq!(
            app.extras.kustomization,
            Some(json!({
                "namePrefix": "prod-",
                "nameSuffix": "-v2",
                "commonLabels": {"team": "shop"},
                "images": [
                    {"name": "registry.example.com:5000/shop/web", "newTag": "1.4.3"},
                    {"name": "nginx", "newName": "nginx", "digest": "sha256:abc"}
                ],
                "patches": [{"path": "../apps/web/overlays/prod/replicas.yaml", "target": {"kind": "Deployment"}}]
            }))
        );
        assert!(app.unsupported.is_empty(), "{:?}", app.unsupported);
    }

    #[test]
    fn helm_options_and_what_cannot_be_honoured() {
        let app = application(
            &parse(
                r#"
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: api, namespace: argocd }
spec:
  source:
    repoURL: https://git.example.com/deploy.git
    path: charts/api
    targetRevision: 0a1b2c3d
    helm:
      releaseName: api-prod
      valueFiles: [values-prod.yaml]
      parameters:
        - { name: image.tag, value: "2.0.1" }
        - { name: replicaCount, value: "3", forceString: true }
      values: |
        ingress:
          enabled: true
      valuesObject:
        ingress: { host: api.example.com }
  destination: { name: in-cluster, namespace: api }
"#,
            ),
            "mgmt",
            &clusters(),
        );
        assert_eq!(app.renderer, RendererKind::Helm);
        assert_eq!(app.context, Ok("mgmt".into()));
        assert_eq!(app.helm.release_name.as_deref(), Some("api-prod"));
        assert_eq!(app.helm.values, ["values-prod.yaml"]);
        assert_eq!(app.helm.set.get("image.tag"), Some(&json!("2.0.1")));
        let values: Json =
            serde_yaml::from_str(app.extras.helm_values.as_deref().expect("inline values"))
                .expect("yaml");
        assert_eq!(
            values,
            json!({"ingress": {"enabled": true, "host": "api.example.com"}})
        );
        assert_eq!(
            app.unsupported,
            ["helm.parameters[replicaCount].forceString"]
        );
        assert_eq!(
            app.unsupported_message().as_deref(),
            Some("unsupported: helm.parameters[replicaCount].forceString")
        );
    }

    #[test]
    fn chart_repositories_several_sources_and_unknown_clusters_are_reported() {
        let chart = application(
            &parse(
                r#"
metadata: { name: redis, namespace: argocd }
spec:
  source: { repoURL: https://charts.bitnami.com/bitnami, chart: redis, targetRevision: 17.0.0 }
  destination: { server: "https://10.1.2.3", namespace: redis }
"#,
            ),
            "mgmt",
            &clusters(),
        );
        assert!(chart.unsupported.is_empty(), "{:?}", chart.unsupported);
        assert!(chart.chart.is_some());
        assert!(chart.context.is_err());
        let multi = application(
            &parse(
                r#"
metadata: { name: multi, namespace: argocd }
spec:
  sources:
    - { repoURL: https://git.example.com/a.git, path: a }
    - { repoURL: https://git.example.com/b.git, path: b }
  destination: { name: in-cluster }
"#,
            ),
            "mgmt",
            &clusters(),
        );
        assert_eq!(multi.unsupported, ["spec.sources (more than one source)"]);
        let kustomize = application(
            &parse(
                r#"
metadata: { name: k, namespace: argocd }
spec:
  source: { repoURL: https://git.example.com/a.git, path: a, kustomize: { forceCommonLabels: true, namePrefix: x- } }
  destination: { name: in-cluster }
"#,
            ),
            "mgmt",
            &clusters(),
        );
        assert_eq!(kustomize.unsupported, ["kustomize.forceCommonLabels"]);
    }

    /// A Helm chart repository source as Argo CD's documentation shows it (`chart:` instead
    /// of `path:`, `targetRevision` the chart version).
    #[test]
    fn a_chart_repository_source_becomes_a_chart_app_with_its_helm_options() {
        let app = application(
            &parse(
                r#"
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: redis, namespace: argocd }
spec:
  project: default
  source:
    repoURL: https://charts.bitnami.com/bitnami
    chart: redis
    targetRevision: 17.3.7
    helm:
      releaseName: cache
      parameters:
        - { name: architecture, value: standalone }
      values: |
        auth:
          enabled: false
      valuesObject:
        replica: { replicaCount: 2 }
  destination: { server: https://prod.example.com:6443, namespace: cache }
"#,
            ),
            "mgmt",
            &clusters(),
        );
        assert!(app.unsupported.is_empty(), "{:?}", app.unsupported);
        assert_eq!(
            app.chart,
            Some(crate::render::ChartRef {
                repo: "https://charts.bitnami.com/bitnami".into(),
                name: "redis".into(),
                version: "17.3.7".into(),
            })
        );
        assert_eq!(app.repo_url, "", "nothing to clone from Git");
        assert_eq!(app.path, "");
        assert_eq!(app.git_ref, "17.3.7");
        assert_eq!(app.renderer, RendererKind::Helm);
        assert_eq!(app.context, Ok("prod".into()));
        assert_eq!(app.namespace.as_deref(), Some("cache"));
        assert_eq!(app.helm.release_name.as_deref(), Some("cache"));
        assert_eq!(app.helm.set.get("architecture"), Some(&json!("standalone")));
        let values: Json =
            serde_yaml::from_str(app.extras.helm_values.as_deref().expect("inline values"))
                .expect("yaml");
        assert_eq!(
            values,
            json!({"auth": {"enabled": false}, "replica": {"replicaCount": 2}})
        );
        // Without a releaseName, Argo CD names the release after the Application.
        let unnamed = application(
            &parse(
                "metadata: { name: redis, namespace: argocd }
spec:
  source: { repoURL: 'http://charts.local/x/', chart: redis, targetRevision: v1.0.0 }
  destination: { name: in-cluster }
",
            ),
            "mgmt",
            &clusters(),
        );
        assert!(unnamed.unsupported.is_empty(), "{:?}", unnamed.unsupported);
        assert_eq!(unnamed.helm.release_name.as_deref(), Some("redis"));
        assert_eq!(unnamed.chart.map(|c| c.version), Some("v1.0.0".to_string()));
    }

    #[test]
    fn chart_sources_kubedrift_cannot_render_exactly_are_unsupported() {
        let with = |source: &str| {
            application(
                &parse(&format!(
                    "metadata: {{ name: c, namespace: argocd }}
spec:
  source: {source}
  destination: {{ name: in-cluster }}
"
                )),
                "mgmt",
                &clusters(),
            )
        };
        let cases = [
            (
                "{ repoURL: https://charts.example.com, chart: web, targetRevision: '1.2.*' }",
                r#"unsupported: chart version range "1.2.*" (only exact versions)"#,
            ),
            (
                "{ repoURL: https://charts.example.com, chart: web, targetRevision: '>=1.0.0 <2.0.0' }",
                r#"unsupported: chart version range ">=1.0.0 <2.0.0" (only exact versions)"#,
            ),
            (
                "{ repoURL: https://charts.example.com, chart: web }",
                "unsupported: chart version not set (latest)",
            ),
            (
                "{ repoURL: oci://ghcr.io/acme/charts, chart: web, targetRevision: 1.0.0 }",
                "unsupported: chart repository oci:// (OCI registry)",
            ),
            (
                "{ repoURL: registry-1.docker.io/bitnamicharts, chart: web, targetRevision: 1.0.0 }",
                "unsupported: chart repository without http(s):// (OCI registry)",
            ),
            (
                "{ repoURL: https://charts.example.com, chart: web, targetRevision: 1.0.0, helm: { valueFiles: [values-prod.yaml] } }",
                "unsupported: helm.valueFiles of a chart repository source",
            ),
        ];
        for (source, message) in cases {
            let app = with(source);
            assert_eq!(
                app.unsupported_message().as_deref(),
                Some(message),
                "{source}"
            );
        }
        // valueFiles are never read from elsewhere instead.
        assert!(with(cases[5].0).helm.values.is_empty());
    }

    #[test]
    fn ignore_differences_with_json_pointers_become_ignore_rules() {
        let app = application(
            &parse(
                r#"
metadata: { name: web, namespace: argocd }
spec:
  source: { repoURL: https://git.example.com/a.git, path: web }
  destination: { name: in-cluster, namespace: shop }
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers: [/spec/replicas]
    - kind: ConfigMap
      name: web-config
      jsonPointers: [/data/generated]
    - group: apps
      kind: Deployment
      jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "istio-proxy")']
"#,
            ),
            "mgmt",
            &clusters(),
        );
        assert_eq!(
            app.ignore,
            vec![
                IgnoreRule {
                    group: Some("apps".into()),
                    kind: Some("Deployment".into()),
                    name: None,
                    namespace: None,
                    json_pointers: vec!["/spec/replicas".into()],
                },
                IgnoreRule {
                    group: Some(String::new()),
                    kind: Some("ConfigMap".into()),
                    name: Some("web-config".into()),
                    namespace: None,
                    json_pointers: vec!["/data/generated".into()],
                },
            ]
        );
        assert_eq!(app.unsupported, ["ignoreDifferences.jqPathExpressions"]);
    }

    #[test]
    fn image_overrides_parse_as_kustomize_edit_set_image() {
        assert_eq!(
            parse_image_override("web:1.2"),
            Some(json!({"name": "web", "newTag": "1.2"}))
        );
        assert_eq!(
            parse_image_override("web=ghcr.io/acme/web:2"),
            Some(json!({"name": "web", "newName": "ghcr.io/acme/web", "newTag": "2"}))
        );
        assert_eq!(
            parse_image_override("localhost:5000/web"),
            Some(json!({"name": "localhost:5000/web"}))
        );
        assert_eq!(parse_image_override(""), None);
    }
}
