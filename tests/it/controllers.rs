//! Apps read from Argo CD Applications and Flux Kustomizations on sandbox clusters, with CRDs
//! of the same group, version, kind and scope as the projects' (schema left open), pointing
//! at temp git repos: the live layer (found with path, ref, namespace and renderer options;
//! appear and disappear as the objects do; unsupported options on that app only; the
//! controller's opinion against kubedrift's) and `kubedrift status --from argocd` through the
//! binary with no config file at all (cloning a bare remote into the cache dir).

use crate::live_support::{wait_app, Fixture, WAIT};
use kubedrift::live::{Live, LiveOptions};
use kubedrift::state::SyncState;
use kubedrift_testkit::Run;
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) fn crd(group: &str, kind: &str, plural: &str, version: &str, status: bool) -> String {
    let subresources = if status {
        "      subresources:\n        status: {}\n"
    } else {
        ""
    };
    format!(
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {singular}
  scope: Namespaced
  versions:
    - name: {version}
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
{subresources}"#,
        singular = kind.to_ascii_lowercase()
    )
}

/// Argo CD's Application CRD (no status subresource: Argo CD writes status with the object).
pub(crate) fn install_argocd(fx: &Fixture, context: &str) {
    let path = fx.file(
        "argocd-crd.yaml",
        &crd(
            "argoproj.io",
            "Application",
            "applications",
            "v1alpha1",
            false,
        ),
    );
    fx.ok(&["--context", context, "apply", "-f", &path]);
    let _ = fx.kubectl(&["--context", context, "create", "namespace", "argocd"]);
}

pub(crate) fn install_flux(fx: &Fixture, context: &str) {
    let crds = [
        crd(
            "kustomize.toolkit.fluxcd.io",
            "Kustomization",
            "kustomizations",
            "v1",
            true,
        ),
        crd(
            "source.toolkit.fluxcd.io",
            "GitRepository",
            "gitrepositories",
            "v1",
            true,
        ),
        crd(
            "helm.toolkit.fluxcd.io",
            "HelmRelease",
            "helmreleases",
            "v2",
            true,
        ),
    ];
    let path = fx.file("flux-crds.yaml", &crds.join("---\n"));
    fx.ok(&["--context", context, "apply", "-f", &path]);
    let _ = fx.kubectl(&["--context", context, "create", "namespace", "flux-system"]);
}

/// `kubectl apply` of `yaml` on `context`, retried while the CRD is being established.
pub(crate) fn apply(fx: &Fixture, context: &str, name: &str, yaml: &str) {
    let path = fx.file(name, yaml);
    let deadline = Instant::now() + WAIT;
    loop {
        let run = fx.kubectl(&["--context", context, "apply", "-f", &path]);
        if run.code == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "kubectl apply {name} failed: {}",
            run.stderr
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// An Application as Argo CD's documentation shows it, with the status Argo CD would write.
fn application(name: &str, repo_url: &str, source_extra: &str, server: &str, sync: &str) -> String {
    format!(
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo_url}
    targetRevision: main
    path: apps/web/dev
{source_extra}  destination:
    server: {server}
    namespace: shop
status:
  sync:
    status: {sync}
  health:
    status: Healthy
"#
    )
}

fn repo_url(fx: &Fixture) -> String {
    format!("file://{}", fx.repo_path().display())
}

/// A config with only a source (and the repo URL mapped to the fixture's repo).
fn source_config(fx: &Fixture, source: &str) -> kubedrift::config::Config {
    let text = format!(
        "[settings]\ngit_poll_seconds = 1\nfetch_interval_seconds = 0\n\n[[repo]]\nname = \"gitops\"\npath = \"{}\"\nurl = \"{}\"\n\n{source}",
        fx.repo_path().display(),
        repo_url(fx)
    );
    let path = fx.dir.path().join("controllers.toml");
    std::fs::write(&path, text).expect("config");
    kubedrift::config::Config::load_file(&path)
        .expect("config loads")
        .config
}

fn live(fx: &Fixture, config: kubedrift::config::Config, contexts: &[&str]) -> Live {
    let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
        .expect("kubeconfig");
    Live::start(LiveOptions {
        config,
        kubeconfig,
        contexts: contexts.iter().map(|c| c.to_string()).collect(),
        env: None,
        app: None,
        revision: None,
    })
    .expect("live starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argocd_applications_become_apps_and_follow_their_objects() {
    let fx = Fixture::start(&["dev", "prod"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    fx.deploy("dev", "dev");
    let url = repo_url(&fx);
    let prod_server = fx.sandbox.cluster("prod").expect("prod").url().to_string();
    apply(
        &fx,
        "dev",
        "web.yaml",
        &application("web", &url, "", "https://kubernetes.default.svc", "Synced"),
    );
    // Deployed to another cluster (named by its server URL), with kustomize options; Argo
    // CD says Synced but nothing is deployed there.
    let kustomize = "    kustomize:\n      namePrefix: prod-\n      images:\n        - registry.example.com/shop/web:2.0.0\n";
    apply(
        &fx,
        "dev",
        "web-prod.yaml",
        &application("web-prod", &url, kustomize, &prod_server, "Synced"),
    );
    // A chart repository source at a version range: unsupported, on that app only.
    apply(
        &fx,
        "dev",
        "redis.yaml",
        r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: redis, namespace: argocd }
spec:
  source: { repoURL: "https://charts.bitnami.com/bitnami", chart: redis, targetRevision: 17.x }
  destination: { server: "https://kubernetes.default.svc", namespace: redis }
"#,
    );
    let config = source_config(&fx, "[[source]]\nkind = \"argocd\"\n");
    let live = live(&fx, config, &["dev", "prod"]);

    let snapshot = wait_app(&live, "web", "dev", "Synced", |a| {
        a.sync == SyncState::Synced
    })
    .await;
    let web = snapshot.app("web", "dev").expect("web");
    assert!(web.revision.starts_with("main@"), "{}", web.revision);
    assert_eq!(web.namespace.as_deref(), Some("shop"));
    assert_eq!(web.resources.len(), 3);
    let controller = web.controller.as_ref().expect("Argo CD's opinion");
    assert_eq!(controller.label(), "Argo CD: Synced/Healthy");
    assert_eq!(web.controller_disagreement(), None);

    // Destination by server URL → context prod; namePrefix and images honoured.
    let snapshot = wait_app(&live, "web-prod", "prod", "OutOfSync", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
    let prod = snapshot.app("web-prod", "prod").expect("web-prod");
    let mut names: Vec<&str> = prod.resources.iter().map(|r| &*r.key.name).collect();
    names.sort();
    assert_eq!(names, ["prod-web", "prod-web", "prod-web-config"]);
    let deployment = prod
        .resources
        .iter()
        .find(|r| &*r.key.kind == "Deployment")
        .and_then(|r| r.desired.as_ref())
        .expect("desired deployment");
    assert_eq!(
        deployment
            .get()
            .pointer("/spec/template/spec/containers/0/image")
            .and_then(|v| v.as_str()),
        Some("registry.example.com/shop/web:2.0.0")
    );
    assert_eq!(
        prod.controller_disagreement().as_deref(),
        Some("Argo CD says Synced, kubedrift says OutOfSync")
    );
    let table = kubedrift::cli::status::table(&snapshot);
    assert!(
        table.contains("DISAGREE: Argo CD says Synced, kubedrift says OutOfSync"),
        "{table}"
    );

    let snapshot = wait_app(&live, "redis", "dev", "unsupported", |a| {
        a.sync == SyncState::Error
    })
    .await;
    let redis = snapshot.app("redis", "dev").expect("redis");
    assert!(
        redis
            .message()
            .contains(r#"unsupported: chart version range "17.x" (only exact versions)"#),
        "{}",
        redis.message()
    );
    assert_eq!(
        snapshot.app("web", "dev").map(|a| a.sync),
        Some(SyncState::Synced),
        "the unsupported app leaves the others alone"
    );

    // A new Application appears without a restart; deleting it removes it.
    apply(
        &fx,
        "dev",
        "late.yaml",
        &application(
            "late",
            &url,
            "",
            "https://kubernetes.default.svc",
            "OutOfSync",
        ),
    );
    let snapshot = wait_app(&live, "late", "dev", "listed", |a| {
        a.sync == SyncState::Synced
    })
    .await;
    let late = snapshot.app("late", "dev").expect("late");
    assert_eq!(
        late.controller_disagreement().as_deref(),
        Some("Argo CD says OutOfSync, kubedrift says Synced")
    );
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "argocd",
        "delete",
        "application",
        "late",
    ]);
    let (snapshot, gone) = live
        .wait_until(WAIT, |s| s.app("late", "dev").is_none())
        .await;
    assert!(gone, "late still listed");
    assert!(snapshot.app("web", "dev").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_kustomizations_read_their_git_repository_and_options() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[(
            "apps/settings/configmap.yaml".to_string(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  LOG_LEVEL: ${log_level}\n  REGION: ${region:=eu-west-1}\n".to_string(),
        )],
        "settings with variables",
    );
    install_flux(&fx, "dev");
    let url = repo_url(&fx);
    apply(
        &fx,
        "dev",
        "flux.yaml",
        &format!(
            r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{ name: gitops, namespace: flux-system }}
spec:
  interval: 1m
  url: {url}
  ref: {{ branch: main }}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{ name: settings, namespace: flux-system }}
spec:
  interval: 10m
  sourceRef: {{ kind: GitRepository, name: gitops }}
  path: ./apps/settings
  prune: true
  targetNamespace: store
  namePrefix: flux-
  postBuild:
    substitute: {{ log_level: debug }}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{ name: sops, namespace: flux-system }}
spec:
  interval: 10m
  sourceRef: {{ kind: GitRepository, name: gitops }}
  path: ./apps/settings
  decryption: {{ provider: sops }}
"#
        ),
    );
    let config = source_config(&fx, "[[source]]\nkind = \"flux\"\n");
    let live = live(&fx, config, &["dev"]);
    let snapshot = wait_app(&live, "settings", "dev", "OutOfSync", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
    let settings = snapshot.app("settings", "dev").expect("settings");
    assert!(
        settings.revision.starts_with("main@"),
        "{}",
        settings.revision
    );
    assert_eq!(settings.resources.len(), 1);
    let configmap = &settings.resources[0];
    assert_eq!(
        (configmap.key.namespace.as_deref(), &*configmap.key.name),
        (Some("store"), "flux-settings")
    );
    let desired = configmap.desired.as_ref().expect("desired").get();
    assert_eq!(desired["data"]["LOG_LEVEL"], "debug");
    assert_eq!(desired["data"]["REGION"], "eu-west-1");
    let flux = settings.controller.as_ref().expect("Flux's opinion");
    assert_eq!(
        (flux.kind.as_str(), flux.name.as_str()),
        ("Kustomization", "settings")
    );

    let snapshot = wait_app(&live, "sops", "dev", "unsupported", |a| {
        a.sync == SyncState::Error
    })
    .await;
    let sops = snapshot.app("sops", "dev").expect("sops");
    assert!(
        sops.message().contains("unsupported: spec.decryption"),
        "{}",
        sops.message()
    );
}

/// A bare remote of the fixture's repo, as a server would hold it.
fn bare_remote(fx: &Fixture) -> std::path::PathBuf {
    let bare = fx.dir.path().join("remote.git");
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&repo_url(fx), &bare)
        .expect("bare clone");
    bare
}

#[test]
fn status_from_argocd_needs_no_config_file() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    fx.deploy("dev", "dev");
    let remote = format!("file://{}", bare_remote(&fx).display());
    apply(
        &fx,
        "dev",
        "web.yaml",
        &application(
            "web",
            &remote,
            "",
            "https://kubernetes.default.svc",
            "Synced",
        ),
    );
    apply(
        &fx,
        "dev",
        "stale.yaml",
        &application(
            "stale",
            &remote,
            "",
            "https://kubernetes.default.svc",
            "OutOfSync",
        ),
    );
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let cache = fx.dir.path().join("cache");
    let run = |args: &[&str]| -> Run {
        Command::new(env!("CARGO_BIN_EXE_kubedrift"))
            .args(args)
            .arg("--kubeconfig")
            .arg(fx.kubeconfig_path())
            .env_remove("KUBEDRIFT_CONFIG")
            .env_remove("KUBECONFIG")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("KUBEDRIFT_CACHE_DIR", &cache)
            .env("NO_COLOR", "1")
            .output()
            .expect("kubedrift runs")
            .into()
    };
    let json = run(&["status", "--from", "argocd", "--output", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", json.stdout, json.stderr));
    let app = |name: &str| {
        report["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| a["app"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
    };
    let web = app("web");
    assert_eq!(web["sync"], "Synced", "{web:#}\n{}", json.stderr);
    assert_eq!(web["env"], "dev");
    assert_eq!(web["controller"]["tool"], "argocd");
    assert_eq!(web["controller"]["sync"], "Synced");
    assert!(web["controller"]["disagreement"].is_null());
    let stale = app("stale");
    assert_eq!(
        stale["controller"]["disagreement"],
        "Argo CD says OutOfSync, kubedrift says Synced"
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    // The repo was cloned (bare) into the cache dir.
    let clones: Vec<_> = std::fs::read_dir(cache.join("repos"))
        .expect("cache dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".git"))
        .collect();
    assert_eq!(clones.len(), 1);

    // No Flux here (its CRDs are not served): no apps, said so, and no error.
    let flux = run(&["status", "--from", "flux"]);
    assert_eq!(flux.code, 0, "{}\n{}", flux.stdout, flux.stderr);
    assert!(
        flux.stderr.contains("no Flux objects found"),
        "{}",
        flux.stderr
    );
    // wait judges the same apps, at the Application's revision.
    let wait = run(&[
        "wait",
        "web",
        "--env",
        "dev",
        "--from",
        "argocd",
        "--timeout",
        "30s",
    ]);
    assert_eq!(wait.code, 0, "{}\n{}", wait.stdout, wait.stderr);
    assert!(
        wait.stdout.contains("web@dev runs origin/main@"),
        "{}",
        wait.stdout
    );
    // diff reads the same apps.
    let diff = run(&["diff", "web", "--env", "dev", "--from", "argocd"]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    let table = run(&["status", "--from", "argocd"]);
    assert!(table.stdout.contains("CONTROLLER"), "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("DISAGREE: Argo CD says OutOfSync, kubedrift says Synced"),
        "{}",
        table.stdout
    );
}

/// `kubedrift sync` of an app read from an Argo CD Application asks Argo CD to refresh it (the
/// annotation on the Application); `--direct` applies Git's objects instead; `--read-only`
/// writes nothing.
#[test]
fn sync_asks_argocd_to_refresh_unless_direct() {
    let fx = Fixture::start(&["dev", "prod"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    let url = format!("file://{}", fx.repo_path().display());
    apply(
        &fx,
        "dev",
        "web.yaml",
        &application("web", &url, "", "https://kubernetes.default.svc", "Synced"),
    );
    // Deployed from dev's Argo CD (a hub) to prod.
    let prod_server = fx.sandbox.cluster("prod").expect("prod").url().to_string();
    apply(
        &fx,
        "dev",
        "web-prod.yaml",
        &application("web-prod", &url, "", &prod_server, "Synced"),
    );
    let _ = fx.kubectl(&["--context", "dev", "create", "namespace", "shop"]);
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let run = |args: &[&str]| -> Run {
        Command::new(env!("CARGO_BIN_EXE_kubedrift"))
            .args(args)
            .arg("--kubeconfig")
            .arg(fx.kubeconfig_path())
            .env_remove("KUBEDRIFT_CONFIG")
            .env_remove("KUBECONFIG")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("KUBEDRIFT_DATA_DIR", home.join("data"))
            .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
            .env("NO_COLOR", "1")
            .output()
            .expect("kubedrift runs")
            .into()
    };
    let refresh = || {
        fx.kubectl(&[
            "--context",
            "dev",
            "-n",
            "argocd",
            "get",
            "application",
            "web",
            "-o",
            "jsonpath={.metadata.annotations.argocd\\.argoproj\\.io/refresh}",
        ])
        .stdout
    };
    let read_only = run(&[
        "sync",
        "web",
        "--env",
        "dev",
        "--from",
        "argocd",
        "--yes",
        "--read-only",
    ]);
    assert_ne!(read_only.code, 0, "{}", read_only.stdout);
    assert_eq!(refresh(), "");

    let asked = run(&["sync", "web", "--env", "dev", "--from", "argocd", "--yes"]);
    assert_eq!(asked.code, 0, "{}\n{}", asked.stdout, asked.stderr);
    assert!(
        asked
            .stdout
            .contains("asked Argo CD Application/argocd/web to reconcile"),
        "{}",
        asked.stdout
    );
    assert_eq!(refresh(), "normal");
    // Nothing was applied: the app's objects are still missing.
    assert_ne!(
        fx.kubectl(&[
            "--context",
            "dev",
            "-n",
            "shop",
            "get",
            "configmap",
            "web-config"
        ])
        .code,
        0
    );

    // The Application of web-prod lives on dev (the hub): the request is written there,
    // through dev's capability; nothing is applied to prod.
    let hub_refresh = || {
        fx.kubectl(&[
            "--context",
            "dev",
            "-n",
            "argocd",
            "get",
            "application",
            "web-prod",
            "-o",
            "jsonpath={.metadata.annotations.argocd\\.argoproj\\.io/refresh}",
        ])
        .stdout
    };
    let hub = run(&[
        "sync",
        "web-prod",
        "--env",
        "prod",
        "--from",
        "argocd",
        "--yes",
        "--read-only",
    ]);
    assert_ne!(hub.code, 0, "{}", hub.stdout);
    assert_eq!(hub_refresh(), "");
    let hub = run(&[
        "sync", "web-prod", "--env", "prod", "--from", "argocd", "--yes",
    ]);
    assert_eq!(hub.code, 0, "{}\n{}", hub.stdout, hub.stderr);
    assert!(
        hub.stdout
            .contains("asked Argo CD Application/argocd/web-prod to reconcile"),
        "{}",
        hub.stdout
    );
    assert_eq!(hub_refresh(), "normal");
    assert_ne!(
        fx.kubectl(&[
            "--context",
            "prod",
            "-n",
            "shop",
            "get",
            "configmap",
            "web-config"
        ])
        .code,
        0
    );

    let direct = run(&[
        "sync", "web", "--env", "dev", "--from", "argocd", "--yes", "--direct",
    ]);
    assert_eq!(direct.code, 0, "{}\n{}", direct.stdout, direct.stderr);
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "get",
        "configmap",
        "web-config",
    ]);
}

#[test]
fn a_config_with_only_a_source_loads_and_bad_kinds_are_errors() {
    use kubedrift::controllers::ControllerTool;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubedrift.toml");
    std::fs::write(
        &path,
        "[[source]]\nkind = \"flux\"\ncontexts = [\"prod\"]\n\n[[source]]\nkind = \"argocd\"\n\n[source.clusters]\n\"https://10.0.0.1:6443\" = \"prod\"\n",
    )
    .expect("write");
    let config = kubedrift::config::Config::load_file(&path)
        .expect("loads without repos or environments")
        .config;
    assert_eq!(config.sources.len(), 2);
    assert_eq!(config.sources[0].kind, ControllerTool::Flux);
    assert_eq!(config.sources[0].contexts, ["prod"]);
    assert_eq!(config.sources[0].namespaces_to_list(), None);
    assert_eq!(
        config.sources[1].namespaces_to_list(),
        Some(vec!["argocd".to_string()])
    );
    assert_eq!(
        config.sources[1]
            .clusters
            .get("https://10.0.0.1:6443")
            .map(String::as_str),
        Some("prod")
    );
    std::fs::write(&path, "[[source]]\nkind = \"spinnaker\"\n").expect("write");
    let error = kubedrift::config::Config::load_file(&path)
        .expect_err("unknown kind")
        .to_string();
    assert!(error.contains("expected argocd or flux"), "{error}");
    assert!(error.contains(":2:"), "points at the line: {error}");
}

/// A repo only the Application names is cloned (bare) into `settings.cache_dir` and fetched
/// on the fetch interval: a commit pushed to the remote shows up without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloned_repo_is_fetched_on_the_interval() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    fx.deploy("dev", "dev");
    let remote = bare_remote(&fx);
    let remote_url = format!("file://{}", remote.display());
    apply(
        &fx,
        "dev",
        "web.yaml",
        &application(
            "web",
            &remote_url,
            "",
            "https://kubernetes.default.svc",
            "Synced",
        ),
    );
    let cache = fx.dir.path().join("cache");
    let path = fx.dir.path().join("fetch.toml");
    std::fs::write(
        &path,
        format!(
            "[settings]\ngit_poll_seconds = 1\nfetch_interval_seconds = 1\ncache_dir = \"{}\"\n\n[[source]]\nkind = \"argocd\"\n",
            cache.display()
        ),
    )
    .expect("config");
    let config = kubedrift::config::Config::load_file(&path)
        .expect("config")
        .config;
    let live = live(&fx, config, &["dev"]);
    let snapshot = wait_app(&live, "web", "dev", "Synced", |a| {
        a.sync == SyncState::Synced
    })
    .await;
    let before = snapshot.app("web", "dev").expect("web").revision.clone();
    assert!(before.starts_with("origin/main@"), "{before}");
    assert!(cache.join("repos").is_dir());

    // A new commit reaches the remote (as a push would).
    fx.commit(
        &[(
            "apps/web/dev/extra.yaml".to_string(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: shop\ndata:\n  A: b\n".to_string(),
        )],
        "web: extra settings",
    );
    let remote_repo = git2::Repository::open_bare(&remote).expect("remote");
    remote_repo
        .remote_anonymous(&repo_url(&fx))
        .expect("remote")
        .fetch(&["+refs/heads/main:refs/heads/main"], None, None)
        .expect("push to the remote");
    let snapshot = wait_app(&live, "web", "dev", "OutOfSync (extra missing)", |a| {
        a.resources.iter().any(|r| &*r.key.name == "extra")
    })
    .await;
    let web = snapshot.app("web", "dev").expect("web");
    assert_ne!(web.revision, before);
    assert_eq!(web.sync, SyncState::OutOfSync);
}

/// Helm: an Argo CD Application with `helm` options (release name, values file, parameters,
/// valuesObject) and a Flux HelmRelease from a GitRepository (values), read by two sources.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_options_of_argocd_and_flux_are_rendered() {
    if kubedrift_testkit::tool_missing(
        "helm is not on PATH",
        kubedrift::render::Tools::default().find("helm").is_none(),
    ) {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\ndata:\n  level: {{ .Values.level | quote }}\n  tag: {{ .Values.image.tag | quote }}\n  region: {{ .Values.region | quote }}\n";
    fx.commit(
        &[
            (
                "charts/api/Chart.yaml".to_string(),
                "apiVersion: v2\nname: api\nversion: 0.1.0\n".to_string(),
            ),
            (
                "charts/api/values.yaml".to_string(),
                "level: info\nimage:\n  tag: \"1.0\"\nregion: eu\n".to_string(),
            ),
            (
                "charts/api/values-prod.yaml".to_string(),
                "level: warn\n".to_string(),
            ),
            (
                "charts/api/templates/configmap.yaml".to_string(),
                template.to_string(),
            ),
        ],
        "api chart",
    );
    install_argocd(&fx, "dev");
    install_flux(&fx, "dev");
    let url = repo_url(&fx);
    apply(
        &fx,
        "dev",
        "api.yaml",
        &format!(
            r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{ name: api, namespace: argocd }}
spec:
  source:
    repoURL: {url}
    targetRevision: main
    path: charts/api
    helm:
      releaseName: api-prod
      valueFiles: [values-prod.yaml]
      parameters:
        - {{ name: image.tag, value: "2.0" }}
      valuesObject:
        region: us
  destination: {{ server: "https://kubernetes.default.svc", namespace: api }}
"#
        ),
    );
    apply(
        &fx,
        "dev",
        "flux-api.yaml",
        &format!(
            r#"apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{ name: gitops, namespace: flux-system }}
spec: {{ url: "{url}", ref: {{ branch: main }} }}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{ name: api-flux, namespace: flux-system }}
spec:
  interval: 10m
  targetNamespace: apps
  chart:
    spec:
      chart: ./charts/api
      sourceRef: {{ kind: GitRepository, name: gitops }}
  values:
    level: debug
"#
        ),
    );
    let config = source_config(
        &fx,
        "[[source]]\nkind = \"argocd\"\n\n[[source]]\nkind = \"flux\"\n",
    );
    let live = live(&fx, config, &["dev"]);
    let data = |snapshot: &kubedrift::state::Snapshot, app: &str| {
        let view = snapshot.app(app, "dev").expect("app");
        assert_eq!(view.resources.len(), 1, "{}", view.message());
        let resource = &view.resources[0];
        let desired = resource.desired.as_ref().expect("desired").get().clone();
        (resource.key.to_string(), desired["data"].clone())
    };
    let snapshot = wait_app(&live, "api", "dev", "rendered", |a| !a.resources.is_empty()).await;
    let (key, values) = data(&snapshot, "api");
    assert!(key.contains("api/api-prod-settings"), "{key}");
    assert_eq!(
        values,
        serde_json::json!({"level": "warn", "tag": "2.0", "region": "us"})
    );
    let snapshot = wait_app(&live, "api-flux", "dev", "rendered", |a| {
        !a.resources.is_empty()
    })
    .await;
    let (key, values) = data(&snapshot, "api-flux");
    assert!(key.contains("apps/apps-api-flux-settings"), "{key}");
    assert_eq!(
        values,
        serde_json::json!({"level": "debug", "tag": "1.0", "region": "eu"})
    );
}

/// The real binary's terminal UI with `--from argocd` and no config file, in tmux: the app
/// rows come from the Applications (a disagreement marked ≠ctl), a new Application appears
/// without a restart and a deleted one disappears.
#[test]
fn the_tui_from_argocd_follows_the_applications() {
    use crate::tui_tmux::{shell_quote, tmux_available, Tmux};
    if !tmux_available() {
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    fx.deploy("dev", "dev");
    let url = repo_url(&fx);
    apply(
        &fx,
        "dev",
        "web.yaml",
        &application(
            "web",
            &url,
            "",
            "https://kubernetes.default.svc",
            "OutOfSync",
        ),
    );
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let exit_file = fx.dir.path().join("exit-code");
    let command = format!(
        "env -u KUBEDRIFT_CONFIG {} --from argocd --read-only --kubeconfig {}; echo $? > {}",
        shell_quote(std::path::Path::new(env!("CARGO_BIN_EXE_kubedrift"))),
        shell_quote(&fx.kubeconfig_path()),
        shell_quote(&exit_file)
    );
    let home_text = home.display().to_string();
    let cache_text = fx.dir.path().join("cache").display().to_string();
    let tmux = Tmux::start(
        "controllers",
        &command,
        &[
            ("HOME", home_text.as_str()),
            ("KUBEDRIFT_CACHE_DIR", cache_text.as_str()),
        ],
    );
    let screen = tmux.wait_for("web with the controller's disagreement", |s| {
        s.lines().any(|l| l.contains("web") && l.contains("≠ctl"))
    });
    assert!(!screen.contains("latecomer"), "{screen}");
    apply(
        &fx,
        "dev",
        "latecomer.yaml",
        &application(
            "latecomer",
            &url,
            "",
            "https://kubernetes.default.svc",
            "Synced",
        ),
    );
    tmux.wait_for("the new Application", |s| s.contains("latecomer"));
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "argocd",
        "delete",
        "application",
        "latecomer",
    ]);
    tmux.wait_for("the deleted Application gone", |s| !s.contains("latecomer"));
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_for_exit(&exit_file), "0");
}

/// An Application's `ignoreDifferences` (JSON pointers) is what kubedrift's compare leaves out
/// too: replicas scaled by an autoscaler are no drift for either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argocd_ignore_differences_are_honoured() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    fx.deploy("dev", "dev");
    fx.scale_web("dev", 5);
    let url = repo_url(&fx);
    let yaml = application("web", &url, "", "https://kubernetes.default.svc", "Synced")
        .replace(
            "  destination:",
            "  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      jsonPointers: [/spec/replicas]\n  destination:",
        );
    apply(&fx, "dev", "web.yaml", &yaml);
    let strict = application(
        "web-strict",
        &url,
        "",
        "https://kubernetes.default.svc",
        "Synced",
    );
    apply(&fx, "dev", "web-strict.yaml", &strict);
    let config = source_config(&fx, "[[source]]\nkind = \"argocd\"\n");
    let live = live(&fx, config, &["dev"]);
    wait_app(&live, "web", "dev", "Synced (replicas ignored)", |a| {
        a.sync == SyncState::Synced
    })
    .await;
    // The same objects without the rule: the scale is drift.
    wait_app(&live, "web-strict", "dev", "OutOfSync", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
}

/// `kubedrift status --watch --from argocd`: a new Application prints its row, a deleted one
/// says its object is gone (not "removed from Git").
#[test]
fn status_watch_from_argocd_prints_apps_as_their_objects_come_and_go() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    fx.deploy("dev", "dev");
    let url = repo_url(&fx);
    apply(
        &fx,
        "dev",
        "web.yaml",
        &application("web", &url, "", "https://kubernetes.default.svc", "Synced"),
    );
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(["status", "--watch", "--from", "argocd", "--kubeconfig"])
        .arg(fx.kubeconfig_path())
        .env_remove("KUBEDRIFT_CONFIG")
        .env_remove("KUBECONFIG")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kubedrift status --watch starts");
    let lines = kubedrift_testkit::lines_of(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    let table =
        kubedrift_testkit::wait_for_line(&lines, WAIT, &mut seen, |line| line.starts_with("web "));
    assert!(table.is_some(), "no row for web: {seen:?}");
    apply(
        &fx,
        "dev",
        "extra.yaml",
        &application(
            "extra",
            &url,
            "",
            "https://kubernetes.default.svc",
            "Synced",
        ),
    );
    let added = kubedrift_testkit::wait_for_line(&lines, WAIT, &mut seen, |line| {
        line.starts_with("extra ")
    });
    assert!(added.is_some(), "no row for the new Application: {seen:?}");
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "argocd",
        "delete",
        "application",
        "extra",
    ]);
    let removed = kubedrift_testkit::wait_for_line(&lines, WAIT, &mut seen, |line| {
        line.contains("extra  dev  removed (Application argocd/extra is gone)")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(removed.is_some(), "no removal line: {seen:?}");
}
