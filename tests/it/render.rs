//! Renderers against an in-memory repository (tests/fixtures/render/repo), with the real
//! `kubectl kustomize` for Kustomize and the real (missing) helm.

use kubedrift::manifest::{ManifestError, ManifestLimits};
use kubedrift::render::{
    render, RenderCache, RenderError, RenderRequest, RendererKind, Tools, HELM_NOT_INSTALLED,
};
use kubedrift::source::{SourceError, SourceTree, TreeSource};
use serde_json::json;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// A repository at one commit, in memory: repo path → bytes. Directory ids are a hash of the
/// directory's contents, like git tree ids.
#[derive(Clone)]
struct MemRepo {
    files: BTreeMap<String, Vec<u8>>,
    revision: String,
}

impl MemRepo {
    fn fixture() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/repo");
        let mut files = BTreeMap::new();
        read_dir(&root, "", &mut files);
        MemRepo {
            files,
            revision: "main@1a2b3c4".into(),
        }
    }

    /// The next commit: the same tree with some files changed.
    fn commit(&self, revision: &str, changes: &[(&str, &[u8])]) -> Self {
        let mut next = self.clone();
        next.revision = revision.into();
        for (path, bytes) in changes {
            next.files.insert(path.to_string(), bytes.to_vec());
        }
        next
    }
}

fn read_dir(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            read_dir(&entry.path(), &rel, out);
        } else {
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
}

/// FNV-1a over paths and contents: equal content, equal id.
fn fake_tree_id(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, bytes) in files {
        for byte in path
            .bytes()
            .chain([0])
            .chain(bytes.iter().copied())
            .chain([0])
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

impl TreeSource for MemRepo {
    fn subtree(&self, path: &str) -> Result<SourceTree, SourceError> {
        if self.files.contains_key(path) {
            return Err(SourceError::NotADirectory {
                path: path.into(),
                revision: self.revision.clone(),
            });
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let files: BTreeMap<String, Vec<u8>> = self
            .files
            .iter()
            .filter_map(|(p, b)| {
                p.strip_prefix(&prefix)
                    .map(|rel| (rel.to_string(), b.clone()))
            })
            .collect();
        if files.is_empty() {
            return Err(SourceError::PathNotFound {
                path: path.into(),
                revision: self.revision.clone(),
            });
        }
        Ok(SourceTree {
            root: path.into(),
            id: fake_tree_id(&files),
            files,
        })
    }

    fn revision(&self) -> String {
        self.revision.clone()
    }
}

fn names(rendered: &kubedrift::render::Rendered) -> Vec<String> {
    rendered
        .objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o.object["kind"].as_str().unwrap(),
                o.object["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn plain_renders_every_manifest_file_recursively() {
    let repo = MemRepo::fixture();
    let mut req = RenderRequest::new(&repo, "apps/api");
    req.namespace = Some("shop");
    let rendered = render(&req).unwrap();
    assert_eq!(rendered.renderer_used, RendererKind::Plain);
    assert_eq!(
        names(&rendered),
        vec![
            "ConfigMap/api-config",
            "ServiceAccount/api",
            "Deployment/api",
            "Service/api"
        ]
    );
    assert_eq!(rendered.objects[3].source.file, "apps/api/deployment.yaml");
    assert_eq!(rendered.objects[3].source.line, 21);
    assert!(rendered.is_complete(), "{:?}", rendered.errors);
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
}

#[test]
fn kustomize_overlay_with_base_patch_generator_prefix_and_component() {
    let repo = MemRepo::fixture();
    let req = RenderRequest::new(&repo, "apps/web/overlays/prod");
    let rendered = render(&req).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(rendered.renderer_used, RendererKind::Kustomize);
    let names = names(&rendered);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"Deployment/prod-web".to_string()));
    assert!(names.contains(&"Service/prod-web".to_string()));
    let config = rendered
        .objects
        .iter()
        .find(|o| o.object["kind"] == "ConfigMap")
        .unwrap();
    let config_name = config.object["metadata"]["name"].as_str().unwrap();
    assert!(
        config_name.starts_with("prod-web-config-"),
        "generated name with hash: {config_name}"
    );
    assert_eq!(
        config.object["data"]["app.properties"],
        "checkout.timeout=30s\ncheckout.currency=EUR\n"
    );
    assert_eq!(config.object["data"]["LOG_LEVEL"], "info");

    let deploy = rendered
        .objects
        .iter()
        .find(|o| o.object["kind"] == "Deployment")
        .unwrap();
    assert_eq!(
        deploy.object["spec"]["replicas"],
        json!(4),
        "patch from the overlay applied"
    );
    assert_eq!(deploy.object["metadata"]["namespace"], "shop");
    assert_eq!(
        deploy.object["metadata"]["labels"]["team"], "storefront",
        "component outside the app dir"
    );
    assert_eq!(
        deploy.object["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "web"
    );
    assert_eq!(
        deploy.object["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["configMapRef"]
            ["name"],
        json!(config_name),
        "generator name reference rewritten"
    );
    assert!(
        deploy.source.file.starts_with("apps/web/overlays/prod"),
        "{}",
        deploy.source.file
    );
}

#[test]
fn bad_kustomization_carries_kubectls_message_and_other_apps_render() {
    let repo = MemRepo::fixture();
    let err = render(&RenderRequest::new(&repo, "apps/web/overlays/broken")).unwrap_err();
    match &err {
        RenderError::ToolFailed { app, stderr, .. } => {
            assert_eq!(app, "apps/web/overlays/broken");
            assert!(
                stderr.contains("no resource matches strategic merge patch"),
                "{stderr}"
            );
            assert!(
                !stderr.contains("kubedrift-kustomize-"),
                "temp paths leaked: {stderr}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.app(), "apps/web/overlays/broken");
    assert!(render(&RenderRequest::new(&repo, "apps/web/overlays/prod")).is_ok());
}

#[test]
fn syntactically_broken_kustomization_is_reported_by_the_tool() {
    let repo = MemRepo::fixture().commit(
        "main@2",
        &[(
            "apps/web/overlays/prod/kustomization.yaml",
            b"resources: [../../base\nnamePrefix: x-\n",
        )],
    );
    let err = render(&RenderRequest::new(&repo, "apps/web/overlays/prod")).unwrap_err();
    let RenderError::ToolFailed { stderr, .. } = &err else {
        panic!("unexpected {err:?}")
    };
    assert!(stderr.contains("yaml"), "{stderr}");
    assert!(
        err.to_string().starts_with("kubectl kustomize failed")
            || err.to_string().starts_with("kustomize build failed"),
        "{err}"
    );
}

#[test]
fn remote_bases_are_rejected_clearly() {
    let repo = MemRepo::fixture();
    let err = render(&RenderRequest::new(&repo, "apps/web/overlays/remote")).unwrap_err();
    assert!(
        matches!(&err, RenderError::RemoteBase { reference, .. } if reference.starts_with("https://github.com/acme"))
    );
    assert_eq!(
        err.to_string(),
        "apps/web/overlays/remote/kustomization.yaml: remote bases are not supported: https://github.com/acme/platform//monitoring?ref=v1.2.0"
    );
}

#[test]
fn missing_base_names_the_resolved_repo_path() {
    let repo = MemRepo::fixture();
    let err = render(&RenderRequest::new(&repo, "apps/web/overlays/missing-base")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "apps/web/overlays/missing-base/kustomization.yaml: resources entry \"../../legacy-base\" (apps/web/legacy-base) not found at main@1a2b3c4"
    );
}

#[test]
fn reference_leaving_the_repository_is_an_error() {
    let repo = MemRepo::fixture().commit(
        "main@3",
        &[(
            "apps/web/overlays/prod/kustomization.yaml",
            b"resources:\n  - ../../../../../outside\n",
        )],
    );
    let err = render(&RenderRequest::new(&repo, "apps/web/overlays/prod")).unwrap_err();
    assert!(err.to_string().contains("leaves the repository"), "{err}");
}

#[test]
fn kustomize_missing_is_a_clear_error() {
    let repo = MemRepo::fixture();
    let empty = tempfile::tempdir().unwrap();
    let mut req = RenderRequest::new(&repo, "apps/web/overlays/prod");
    req.tools = Tools {
        search_path: Some(empty.path().as_os_str().to_os_string()),
        ..Tools::default()
    };
    let err = render(&req).unwrap_err();
    assert!(
        matches!(&err, RenderError::ToolMissing { tool, .. } if tool == "kustomize"),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("kustomize not installed"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn hanging_tool_is_killed_after_the_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let repo = MemRepo::fixture();
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("kubectl");
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut req = RenderRequest::new(&repo, "apps/web/overlays/prod");
    req.tools = Tools {
        search_path: Some(bin.path().as_os_str().to_os_string()),
        timeout: Duration::from_millis(300),
        ..Tools::default()
    };
    let err = render(&req).unwrap_err();
    assert!(matches!(err, RenderError::Timeout { .. }), "{err:?}");
}

#[test]
fn helm_chart_without_helm_says_helm_not_installed() {
    let repo = MemRepo::fixture();
    let mut req = RenderRequest::new(&repo, "charts/web");
    req.namespace = Some("shop");
    req.helm.values_files = vec!["envs/prod/web-values.yaml".into()];
    req.helm.set = vec![("image".into(), "ghcr.io/acme/web:1.5.0".into())];
    if req.tools.find("helm").is_some() {
        eprintln!(
            "helm is installed here; checking the missing path with an empty search path only"
        );
    } else {
        let err = render(&req).unwrap_err();
        assert_eq!(err.to_string(), HELM_NOT_INSTALLED);
    }
    let empty = tempfile::tempdir().unwrap();
    req.tools = Tools {
        search_path: Some(empty.path().as_os_str().to_os_string()),
        ..Tools::default()
    };
    let err = render(&req).unwrap_err();
    assert!(
        matches!(&err, RenderError::ToolMissing { tool, app, .. } if tool == "helm" && app == "charts/web")
    );
    assert_eq!(err.to_string(), "helm not installed");
    // Nothing else breaks: other apps in the same repo still render.
    assert!(render(&RenderRequest::new(&repo, "apps/api")).is_ok());
}

/// The real helm, when this machine has it. `.ci/run` installs helm and sets
/// `KUBEDRIFT_REQUIRE_HELM=1`, so in CI these tests cannot pass by skipping.
fn real_helm(req: &RenderRequest<'_>) -> bool {
    if req.tools.find("helm").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("KUBEDRIFT_REQUIRE_HELM").is_none(),
        "KUBEDRIFT_REQUIRE_HELM is set but helm is not on PATH"
    );
    eprintln!("helm is not installed here: skipping the real-helm render");
    false
}

#[test]
fn helm_chart_renders_with_values_set_and_a_local_dependency() {
    let repo = MemRepo::fixture();
    let mut req = RenderRequest::new(&repo, "charts/web");
    req.namespace = Some("shop");
    req.helm.values_files = vec!["envs/prod/web-values.yaml".into()];
    req.helm.set = vec![("image".into(), "ghcr.io/acme/web:1.5.0".into())];
    if !real_helm(&req) {
        return;
    }
    let rendered = render(&req).unwrap();
    assert_eq!(rendered.renderer_used, RendererKind::Helm);
    assert!(rendered.errors.is_empty(), "{:?}", rendered.errors);
    assert_eq!(
        names(&rendered),
        vec!["ConfigMap/web-common", "Service/web", "Deployment/web"],
        "the file:// dependency is built and rendered too"
    );
    let object = |kind: &str| {
        rendered
            .objects
            .iter()
            .find(|o| o.object["kind"] == kind)
            .map(|o| o.object.clone())
            .unwrap()
    };
    let deployment = object("Deployment");
    assert_eq!(
        deployment["spec"]["replicas"], 4,
        "values file wins over values.yaml"
    );
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "ghcr.io/acme/web:1.5.0", "--set wins");
    assert_eq!(container["resources"]["limits"]["memory"], "512Mi");
    assert_eq!(
        deployment["metadata"]["labels"]["helm.sh/chart"],
        "web-0.3.1"
    );
    assert_eq!(object("Service")["metadata"]["namespace"], "shop");
    assert_eq!(object("ConfigMap")["data"]["LOG_FORMAT"], "json");

    // A commit that touches only the values re-renders with the new values.
    let next = repo.commit("main@2", &[("envs/prod/web-values.yaml", b"replicas: 6\n")]);
    let mut req = RenderRequest::new(&next, "charts/web");
    req.namespace = Some("shop");
    req.helm.values_files = vec!["envs/prod/web-values.yaml".into()];
    let rendered = render(&req).unwrap();
    assert_eq!(
        names(&rendered),
        vec!["ConfigMap/web-common", "Deployment/web"]
    );
    assert_eq!(rendered.objects[1].object["spec"]["replicas"], 6);
}

#[test]
fn helm_template_errors_are_the_apps_and_carry_helms_message() {
    let repo = MemRepo::fixture().commit(
        "main@3",
        &[(
            "charts/web/templates/broken.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.name }}\n",
        )],
    );
    let mut req = RenderRequest::new(&repo, "charts/web");
    req.namespace = Some("shop");
    req.helm.set = vec![("image".into(), "ghcr.io/acme/web:s3cr3t-tag".into())];
    if !real_helm(&req) {
        return;
    }
    let err = render(&req).unwrap_err();
    let RenderError::ToolFailed {
        app, tool, stderr, ..
    } = &err
    else {
        panic!("expected a tool failure, got {err:?}");
    };
    assert_eq!(app, "charts/web");
    assert_eq!(tool, "helm template");
    assert!(stderr.contains("nil pointer evaluating"), "{stderr}");
    assert!(
        stderr.contains("broken.yaml"),
        "names the template: {stderr}"
    );
    assert!(
        !stderr.contains("kubedrift-helm-"),
        "no temp dir paths: {stderr}"
    );
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
    // The other apps of the repo still render.
    assert!(render(&RenderRequest::new(&repo, "apps/api")).is_ok());
}

#[test]
fn helm_values_file_must_exist() {
    let repo = MemRepo::fixture();
    let mut req = RenderRequest::new(&repo, "charts/web");
    req.helm.values_files = vec!["envs/staging/web-values.yaml".into()];
    let err = render(&req).unwrap_err();
    assert!(
        err.to_string()
            .contains("values file \"envs/staging/web-values.yaml\" not found"),
        "{err}"
    );
}

#[test]
fn bad_files_are_scoped_and_the_rest_of_the_app_renders() {
    let mut big =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: \"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 600));
    big.extend(b"\"\n");
    let repo = MemRepo::fixture().commit(
        "main@4",
        &[
            (
                "apps/messy/logo.yaml",
                b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10",
            ),
            ("apps/messy/big.yaml", &big),
        ],
    );
    let mut req = RenderRequest::new(&repo, "apps/messy");
    req.namespace = Some("shop");
    req.limits = ManifestLimits {
        max_file_bytes: 400,
    };
    let rendered = render(&req).unwrap();
    assert_eq!(names(&rendered), vec!["Service/messy", "ConfigMap/good"]);
    let errors: Vec<String> = rendered.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert_eq!(
        errors[0],
        format!(
            "apps/messy/big.yaml: {} bytes is over the 400 byte limit",
            big.len()
        )
    );
    assert_eq!(
        errors[1],
        "apps/messy/logo.yaml: binary or non-UTF-8 content"
    );
    assert!(
        matches!(&rendered.errors[2], ManifestError::Syntax { file, line: 8, .. } if file == "apps/messy/malformed.yaml"),
        "{}",
        errors[2]
    );
    assert!(
        errors[2].contains("quoted scalar at line 6 column 8"),
        "absolute inner position: {}",
        errors[2]
    );
    assert_eq!(errors[3], "apps/messy/no-kind.yaml:6: missing kind");
    assert_eq!(
        errors[4],
        "apps/messy/sequence.yaml:1: expected a Kubernetes object (a mapping), found a sequence"
    );
    assert_eq!(rendered.duplicates.len(), 1);
    assert_eq!(
        rendered.duplicates[0].to_string(),
        "Service/shop/messy is defined twice: apps/messy/dup-a.yaml:1 and apps/messy/nested/dup-b.yaml:2"
    );
    // The first definition is kept.
    assert_eq!(
        rendered.objects[0].object["spec"]["ports"][0]["port"],
        json!(80)
    );
    assert!(!rendered.is_complete());
    // Another app of the same commit is unaffected.
    let api = render(&RenderRequest::new(&repo, "apps/api")).unwrap();
    assert!(api.is_complete());
}

#[test]
fn path_not_found_is_an_error_for_that_app_only() {
    let repo = MemRepo::fixture();
    let err = render(&RenderRequest::new(&repo, "apps/checkout")).unwrap_err();
    assert_eq!(
        err,
        RenderError::Source {
            app: "apps/checkout".into(),
            error: SourceError::PathNotFound {
                path: "apps/checkout".into(),
                revision: "main@1a2b3c4".into()
            }
        }
    );
    assert_eq!(
        err.to_string(),
        "path \"apps/checkout\" not found at main@1a2b3c4"
    );
    assert_eq!(
        render(&RenderRequest::new(&repo, "apps/api"))
            .unwrap()
            .objects
            .len(),
        4
    );
}

#[test]
fn auto_detection_and_explicit_renderer() {
    let repo = MemRepo::fixture();
    // Explicit Plain on a kustomization dir: the kustomization is not a Kubernetes object.
    let mut req = RenderRequest::new(&repo, "apps/web/base");
    req.renderer = RendererKind::Plain;
    let rendered = render(&req).unwrap();
    assert_eq!(rendered.renderer_used, RendererKind::Plain);
    assert_eq!(rendered.errors.len(), 1, "{:?}", rendered.errors);
    assert_eq!(
        rendered.errors[0].to_string(),
        "apps/web/base/kustomization.yaml:1: missing metadata.name"
    );
    req.renderer = RendererKind::Auto;
    assert_eq!(render(&req).unwrap().renderer_used, RendererKind::Kustomize);
}

#[test]
fn cache_rerenders_only_apps_whose_inputs_changed() {
    let mut cache = RenderCache::default();
    let commit1 = MemRepo::fixture();
    let render_all = |cache: &mut RenderCache, repo: &MemRepo| {
        let web = cache
            .render(&RenderRequest::new(repo, "apps/web/overlays/prod"))
            .unwrap();
        let api = cache.render(&RenderRequest::new(repo, "apps/api")).unwrap();
        (web, api)
    };
    let (web1, api1) = render_all(&mut cache, &commit1);
    assert_eq!(cache.stats().renders, 2);

    // A commit touching neither app nor the web base: nothing re-renders.
    let commit2 = commit1.commit(
        "main@5",
        &[(
            "apps/messy/good.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good2}\n",
        )],
    );
    let (web2, api2) = render_all(&mut cache, &commit2);
    assert_eq!(cache.stats().renders, 2);
    assert_eq!(cache.stats().hits, 2);
    assert_eq!(
        (web2.cache_key.as_str(), api2.cache_key.as_str()),
        (web1.cache_key.as_str(), api1.cache_key.as_str())
    );
    assert_eq!(web2, web1);

    // Changing the base the overlay uses re-renders the overlay only.
    let base = String::from_utf8(commit1.files["apps/web/base/deployment.yaml"].clone()).unwrap();
    let commit3 = commit2.commit(
        "main@6",
        &[(
            "apps/web/base/deployment.yaml",
            base.replace("1.4.2", "1.5.0").as_bytes(),
        )],
    );
    let (web3, _) = render_all(&mut cache, &commit3);
    assert_eq!(cache.stats().renders, 3);
    assert_ne!(web3.cache_key, web1.cache_key);
    let deploy = web3
        .objects
        .iter()
        .find(|o| o.object["kind"] == "Deployment")
        .unwrap();
    assert_eq!(
        deploy.object["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/acme/web:1.5.0"
    );

    // So does the shared component two levels up, and a file only referenced by the
    // overlay's generator.
    let commit4 = commit3.commit("main@7", &[("components/team-label/kustomization.yaml", b"apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs:\n      team: payments\n")]);
    let (web4, _) = render_all(&mut cache, &commit4);
    assert_eq!(cache.stats().renders, 4);
    assert_eq!(
        web4.objects[0].object["metadata"]["labels"]["team"],
        "payments"
    );

    // Changing renderer options changes the key.
    let mut req = RenderRequest::new(&commit4, "apps/api");
    req.namespace = Some("other");
    cache.render(&req).unwrap();
    assert_eq!(cache.stats().renders, 5);
    assert_eq!(cache.stats().hits, 4);
}

#[test]
fn failures_are_not_cached() {
    let mut cache = RenderCache::default();
    let repo = MemRepo::fixture();
    let empty = tempfile::tempdir().unwrap();
    let mut req = RenderRequest::new(&repo, "apps/web/overlays/prod");
    req.tools = Tools {
        search_path: Some(OsString::from(empty.path())),
        ..Tools::default()
    };
    assert!(cache.render(&req).is_err());
    req.tools = Tools::default();
    assert!(cache.render(&req).is_ok());
    assert_eq!(cache.stats().renders, 2);
    assert_eq!(cache.len(), 1);
}

#[test]
fn kustomize_files_outside_the_app_and_generated_secrets() {
    let repo = MemRepo::fixture();
    let mut req = RenderRequest::new(&repo, "apps/web/overlays/eu");
    req.namespace = Some("shop-eu");
    let rendered = render(&req).unwrap_or_else(|err| panic!("{err}"));
    let names = names(&rendered);
    assert!(
        names.contains(&"Namespace/shop-eu".to_string()),
        "{names:?}"
    );
    let deploy = rendered
        .objects
        .iter()
        .find(|o| o.object["kind"] == "Deployment")
        .unwrap();
    assert_eq!(
        deploy.object["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"],
        "256Mi",
        "patchesStrategicMerge file from shared/"
    );
    let secret = rendered
        .objects
        .iter()
        .find(|o| o.object["kind"] == "Secret")
        .unwrap();
    assert!(secret.object["metadata"]["name"]
        .as_str()
        .unwrap()
        .starts_with("web-token-"));
    assert_eq!(secret.object["data"]["token"], "dG9rLTRmOWMyYTcxZDBlOGI2");
    // The deprecation notice kustomize prints is kept as a warning.
    assert!(
        rendered
            .warnings
            .iter()
            .any(|w| w.contains("patchesStrategicMerge")),
        "{:?}",
        rendered.warnings
    );
    // Secret values never show up in Debug output.
    let debug = format!("{rendered:?}");
    assert!(
        !debug.contains("dG9rLTRmOWMyYTcxZDBlOGI2") && debug.contains("web-token-"),
        "{debug}"
    );

    // The token file is only referenced, two directories up; changing it re-renders.
    let mut cache = RenderCache::default();
    cache.render(&req).unwrap();
    let next = repo.commit("main@8", &[("shared/tokens/web.txt", b"tok-rotated")]);
    let mut req2 = RenderRequest::new(&next, "apps/web/overlays/eu");
    req2.namespace = Some("shop-eu");
    let rotated = cache.render(&req2).unwrap();
    assert_eq!(cache.stats().renders, 2);
    assert_ne!(rotated.cache_key, rendered.cache_key);
    // ... while a change elsewhere in shared/ that the overlay does not read does not.
    let unrelated = next.commit("main@9", &[("shared/README.md", b"shared bits")]);
    let mut req3 = RenderRequest::new(&unrelated, "apps/web/overlays/eu");
    req3.namespace = Some("shop-eu");
    cache.render(&req3).unwrap();
    assert_eq!(cache.stats().renders, 2, "shared/README.md is not an input");
}

#[test]
fn secret_generator_literals_never_leave_the_renderer_in_tool_errors() {
    // A typo (`:` for `=`) in a secretGenerator literal: kubectl quotes every literal of the
    // generator in its error, the valid ones too.
    let kustomization = b"resources:\n- ../../base\nsecretGenerator:\n- name: db-credentials\n  literals:\n  - password:s3cr3t-hunter2-value\n  - username=shop-admin-7f3k\n";
    let repo = MemRepo::fixture().commit(
        "main@3",
        &[(
            "apps/web/overlays/prod/kustomization.yaml",
            kustomization.as_slice(),
        )],
    );
    let err = render(&RenderRequest::new(&repo, "apps/web/overlays/prod")).unwrap_err();
    let RenderError::ToolFailed { stderr, .. } = &err else {
        panic!("unexpected {err:?}")
    };
    let shown = format!("{err} {stderr} {err:?}");
    for secret in ["s3cr3t-hunter2-value", "hunter2", "shop-admin-7f3k"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    // Still says what is wrong, and which key.
    assert!(stderr.contains("invalid literal source"), "{stderr}");
    assert!(stderr.contains("password"), "{stderr}");
    assert!(stderr.contains("expected key=value"), "{stderr}");
}
