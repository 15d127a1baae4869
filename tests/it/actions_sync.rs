//! `kubedrift sync` through the real binary against sandbox clusters over HTTPS: the plan is
//! a server-side dry run, the sync creates, updates and prunes exactly what it said, conflicts
//! name the other manager, partial failures are reported, and read-only (flag, config,
//! viewer credentials) writes nothing — counted on the server.

use crate::live_support::Fixture;
use kubedrift_testkit::show;
use kubedrift_testkit::Run;
use std::path::Path;
use std::process::{Command, Stdio};

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\n  namespace: shop\ntype: Opaque\ndata:\n  password: czNjcjN0LWh1bnRlcjI=\n";

fn kubedrift_in(fx: &Fixture, data_dir: &Path, config: &Path, args: &[&str]) -> Run {
    Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(args)
        .arg("--kubeconfig")
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", config)
        .env("KUBEDRIFT_DATA_DIR", data_dir)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("kubedrift runs")
        .into()
}

fn kubedrift(fx: &Fixture, args: &[&str]) -> Run {
    kubedrift_in(fx, &fx.dir.path().join("data"), &fx.config_path(), args)
}

fn writes(fx: &Fixture) -> u64 {
    fx.sandbox.cluster("dev").expect("dev").write_requests()
}

/// Remove `files` from the repo and commit.
fn remove_and_commit(fx: &Fixture, files: &[&str], message: &str) {
    let repo = git2::Repository::open(fx.repo_path()).expect("open");
    let mut index = repo.index().expect("index");
    for file in files {
        std::fs::remove_file(fx.repo_path().join(file)).expect("remove");
        index.remove_path(Path::new(file)).expect("unstage");
    }
    index.write().expect("index write");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("Dana SRE", "dana@example.com").expect("sig");
    let parent = repo.head().expect("head").peel_to_commit().expect("commit");
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[&parent])
        .expect("commit");
}

fn line_index(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

#[test]
fn sync_creates_updates_and_prunes_exactly_what_the_plan_said() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[
            (
                "apps/web/dev/namespace.yaml".to_string(),
                NAMESPACE.to_string(),
            ),
            ("apps/web/dev/secret.yaml".to_string(), SECRET.to_string()),
        ],
        "web: namespace and secret",
    );

    // The plan: a server-side dry run, in kind order, nothing written.
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    let out = &run.stdout;
    assert!(
        out.contains("5 to create, 0 to update, 0 to prune"),
        "{out}"
    );
    let order: Vec<usize> = [
        "create  Namespace/shop",
        "create  ConfigMap/shop/web-config",
        "create  Secret/shop/web-db",
        "create  Service/shop/web",
        "create  apps/Deployment/shop/web",
    ]
    .iter()
    .map(|l| line_index(out, l))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "order: {out}");
    assert!(
        out.contains("create  Secret/shop/web-db  [not dry-run: namespace shop is created by this sync first]"),
        "{out}"
    );
    assert!(!run.stderr.contains("dry run refused"), "{}", show(&run));
    assert!(
        !out.contains("czNjcjN0") && !out.contains("s3cr3t"),
        "secret shown: {out}"
    );
    assert_eq!(writes(&fx), 0, "a dry run wrote");
    let run = kubedrift(
        &fx,
        &["sync", "web", "--env", "dev", "--dry-run", "-o", "json"],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let steps = doc["plans"][0]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 5, "{}", run.stdout);
    assert_eq!(steps[0]["action"], "create");
    assert_eq!(steps[0]["dry_run"]["state"], "ok");
    assert!(!run.stdout.contains("czNjcjN0"), "secret in JSON");

    // One resource only.
    let run = kubedrift(
        &fx,
        &[
            "sync",
            "web",
            "--env",
            "dev",
            "--dry-run",
            "--resource",
            "Deployment/web",
        ],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout.contains("1 to create, 0 to update"),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout.contains("create  apps/Deployment/shop/web"),
        "{}",
        show(&run)
    );

    // No --yes and no terminal: the plan, then nothing done.
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev"]);
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout.contains("nothing done (use --yes)"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx), 0);

    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    for created in [
        "create  Namespace/shop: created",
        "create  ConfigMap/shop/web-config: created",
        "create  Secret/shop/web-db: created",
        "create  Service/shop/web: created",
        "create  apps/Deployment/shop/web: created",
    ] {
        assert!(run.stdout.contains(created), "{created}: {}", show(&run));
    }
    assert!(
        run.stdout.contains("web@dev is now Synced"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx), 5, "one apply per planned resource");
    let labels = fx.jsonpath(
        &["-n", "shop", "deployment", "web"],
        "{.metadata.labels.kubedrift\\.io/app} {.metadata.labels.kubedrift\\.io/env} {.metadata.managedFields[0].manager}",
    );
    assert_eq!(labels, "web dev kubedrift");

    // Git moves on: a new image, the ConfigMap removed. An object labelled for the app but
    // not for this environment is Extraneous too, yet never pruned.
    fx.commit(
        &[(
            "apps/web/dev/deployment.yaml".to_string(),
            crate::live_support::deployment("registry.example.com/shop/web:1.5.0", 2),
        )],
        "web: 1.5.0",
    );
    remove_and_commit(&fx, &["apps/web/dev/configmap.yaml"], "web: drop config");
    fx.ok(&[
        "-n",
        "shop",
        "create",
        "configmap",
        "web-legacy",
        "--from-literal=a=b",
    ]);
    fx.ok(&[
        "-n",
        "shop",
        "label",
        "configmap",
        "web-legacy",
        "kubedrift.io/app=web",
    ]);
    let before = writes(&fx);

    let run = kubedrift(
        &fx,
        &["sync", "web", "--env", "dev", "--dry-run", "--prune"],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    let out = &run.stdout;
    assert!(
        out.contains("0 to create, 1 to update, 1 to prune"),
        "{out}"
    );
    assert!(out.contains("update  apps/Deployment/shop/web"), "{out}");
    assert!(out.contains("prune   ConfigMap/shop/web-config"), "{out}");
    assert!(
        out.contains(
            "skip    ConfigMap/shop/web-legacy: has kubedrift.io/app but no kubedrift.io/env"
        ),
        "{out}"
    );
    assert!(
        out.contains("+      - image: registry.example.com/shop/web:1.5.0"),
        "{out}"
    );

    // Without --prune the ConfigMap is listed as left in place.
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--dry-run"]);
    assert!(
        run.stdout
            .contains("skip    ConfigMap/shop/web-config: not in Git any more; left in place"),
        "{}",
        show(&run)
    );

    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--prune", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout
            .contains("update  apps/Deployment/shop/web: updated"),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout
            .contains("prune   ConfigMap/shop/web-config: pruned"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx) - before, 2, "exactly the update and the prune");
    assert_eq!(
        fx.jsonpath(
            &["-n", "shop", "deployment", "web"],
            "{.spec.template.spec.containers[0].image}"
        ),
        "registry.example.com/shop/web:1.5.0"
    );
    let gone = fx.kubectl(&["-n", "shop", "get", "configmap", "web-config"]);
    assert_ne!(gone.code, 0, "pruned ConfigMap still there");
    fx.ok(&["-n", "shop", "get", "configmap", "web-legacy"]);

    // Every action is in the audit log, and `history` prints it; no Secret value anywhere.
    let log = std::fs::read_to_string(fx.dir.path().join("data/audit.jsonl")).expect("audit log");
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(!log.contains("czNjcjN0"), "secret in the audit log");
    let run = kubedrift(&fx, &["history", "--app", "web"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert_eq!(
        run.stdout.lines().filter(|l| l.contains("sync")).count(),
        2,
        "{}",
        show(&run)
    );
    assert!(run.stdout.contains("pruned"), "{}", show(&run));
}

#[test]
fn a_conflict_names_the_other_manager_and_is_forced_only_when_asked() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[(
            "apps/web/dev/namespace.yaml".to_string(),
            NAMESPACE.to_string(),
        )],
        "web: namespace",
    );
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    // Someone edits replicas with another field manager (an Apply owner: a real conflict).
    let patch = fx.file(
        "replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 5\n",
    );
    fx.ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=hotfix-dana",
        "-f",
        &patch,
    ]);

    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout
            .contains("conflict: .spec.replicas is owned by \"hotfix-dana\""),
        "{}",
        show(&run)
    );

    let before = writes(&fx);
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--yes"]);
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stdout.contains(
            "apps/Deployment/shop/web: conflict: .spec.replicas is owned by \"hotfix-dana\""
        ),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx) - before, 1, "the apply was sent, without force");
    assert_eq!(
        fx.jsonpath(&["-n", "shop", "deployment", "web"], "{.spec.replicas}"),
        "5"
    );

    let run = kubedrift(
        &fx,
        &["sync", "web", "--env", "dev", "--yes", "--force-conflicts"],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(run.stdout.contains("will be forced"), "{}", show(&run));
    assert_eq!(
        fx.jsonpath(&["-n", "shop", "deployment", "web"], "{.spec.replicas}"),
        "2"
    );

    // No Argo CD or Flux mark here: nothing to ask to reconcile.
    fx.scale_web("dev", 3);
    let before = writes(&fx);
    let run = kubedrift(
        &fx,
        &["sync", "web", "--env", "dev", "--reconcile", "--yes"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout.contains("nothing done: no Argo CD or Flux mark"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx), before);
}

#[test]
fn a_partial_failure_is_reported_per_resource_and_the_rest_is_applied() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[
            ("apps/web/dev/namespace.yaml".to_string(), NAMESPACE.to_string()),
            (
                "apps/web/dev/elsewhere.yaml".to_string(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-elsewhere\n  namespace: nowhere\ndata:\n  a: b\n"
                    .to_string(),
            ),
        ],
        "web: a ConfigMap in a namespace nobody creates",
    );
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--yes"]);
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stdout
            .contains("create  ConfigMap/nowhere/web-elsewhere: failed:")
            && run.stdout.contains("\"nowhere\" not found"),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout.contains("apps/Deployment/shop/web: created"),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout.contains("1 resource(s) not synced"),
        "{}",
        show(&run)
    );
    fx.ok(&["-n", "shop", "get", "deployment", "web"]);
}

#[test]
fn read_only_by_flag_config_or_viewer_credentials_writes_nothing() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[(
            "apps/web/dev/namespace.yaml".to_string(),
            NAMESPACE.to_string(),
        )],
        "web: namespace",
    );
    let data = fx.dir.path().join("data");

    let run = kubedrift(
        &fx,
        &["sync", "web", "--env", "dev", "--yes", "--read-only"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout
            .contains("nothing done: dev is read-only: the session was started with --read-only"),
        "{}",
        show(&run)
    );

    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    let global = fx.dir.path().join("global-read-only.toml");
    std::fs::write(
        &global,
        config.replacen("[settings]\n", "[settings]\nread_only = true\n", 1),
    )
    .expect("write");
    let run = kubedrift_in(
        &fx,
        &data,
        &global,
        &["sync", "web", "--env", "dev", "--yes"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout.contains("settings.read_only = true"),
        "{}",
        show(&run)
    );

    let per_env = fx.dir.path().join("env-read-only.toml");
    std::fs::write(
        &per_env,
        config.replacen(
            "context = \"dev\"\n",
            "context = \"dev\"\nread_only = true\n",
            1,
        ),
    )
    .expect("write");
    let run = kubedrift_in(
        &fx,
        &data,
        &per_env,
        &["sync", "web", "--env", "dev", "--yes", "--prune"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout.contains("read_only = true for environment dev"),
        "{}",
        show(&run)
    );

    // Viewer credentials, no flag: the server says no (SelfSubjectAccessReview, or a 403 on
    // the dry run where that is not served).
    let viewer = fx.dir.path().join("viewer.toml");
    std::fs::write(
        &viewer,
        config.replacen("context = \"dev\"\n", "context = \"dev-viewer\"\n", 1),
    )
    .expect("write");
    let run = kubedrift_in(
        &fx,
        &data,
        &viewer,
        &["sync", "web", "--env", "dev", "--yes"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout
            .contains("dev is read-only: the credentials of context dev-viewer may not write"),
        "{}",
        show(&run)
    );

    assert_eq!(writes(&fx), 0, "a read-only sync sent a write request");
    let run = fx.kubectl(&["get", "namespace", "shop"]);
    assert_ne!(run.code, 0, "namespace shop was created");
    assert!(
        !data.join("audit.jsonl").exists(),
        "nothing done, nothing audited"
    );

    // A protected environment needs its name as the confirmation, even with --yes.
    let protected = fx.dir.path().join("protected.toml");
    std::fs::write(
        &protected,
        config.replacen(
            "context = \"dev\"\n",
            "context = \"dev\"\nprotected = true\n",
            1,
        ),
    )
    .expect("write");
    let run = kubedrift_in(
        &fx,
        &data,
        &protected,
        &["sync", "web", "--env", "dev", "--yes"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout
            .contains("nothing done: dev is protected (use --yes --confirm-env dev)"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx), 0);
    let run = kubedrift_in(
        &fx,
        &data,
        &protected,
        &[
            "sync",
            "web",
            "--env",
            "dev",
            "--yes",
            "--confirm-env",
            "dev",
        ],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(writes(&fx) > 0);
}

const APPLICATION_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: applications.argoproj.io
spec:
  group: argoproj.io
  names:
    kind: Application
    listKind: ApplicationList
    plural: applications
    singular: application
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"#;

#[test]
fn objects_argo_cd_manages_get_a_warning_and_a_reconcile_request_instead_of_a_sync() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let crd = fx.file("crd.yaml", APPLICATION_CRD);
    fx.ok(&["apply", "-f", &crd]);
    fx.ok(&["create", "namespace", "argocd"]);
    let application = fx.file(
        "application.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n",
    );
    fx.ok(&["apply", "-f", &application]);
    fx.ok(&[
        "-n",
        "shop",
        "label",
        "deployment",
        "web",
        "app.kubernetes.io/instance=web",
    ]);
    fx.scale_web("dev", 4);

    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout.contains("warning: Argo CD (Application argocd/web) manages these objects; its controller will undo a manual sync"),
        "{}",
        show(&run)
    );

    // Viewer credentials may not ask either.
    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    let viewer = fx.dir.path().join("viewer.toml");
    std::fs::write(
        &viewer,
        config.replacen("context = \"dev\"\n", "context = \"dev-viewer\"\n", 1),
    )
    .expect("write");
    let before = writes(&fx);
    let run = kubedrift_in(
        &fx,
        &fx.dir.path().join("data"),
        &viewer,
        &["sync", "web", "--env", "dev", "--reconcile", "--yes"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(run.stdout.contains("may not write"), "{}", show(&run));
    assert_eq!(writes(&fx), before);

    let run = kubedrift(
        &fx,
        &["sync", "web", "--env", "dev", "--reconcile", "--yes"],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout
            .contains("asked Argo CD Application/argocd/web to reconcile"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx) - before, 1, "only the annotation, no sync");
    assert_eq!(
        fx.jsonpath(
            &["-n", "argocd", "applications.argoproj.io", "web"],
            "{.metadata.annotations.argocd\\.argoproj\\.io/refresh}"
        ),
        "normal"
    );
    assert_eq!(
        fx.jsonpath(&["-n", "shop", "deployment", "web"], "{.spec.replicas}"),
        "4"
    );

    // Every OutOfSync app of the environment, in one go (taking replicas back from kubectl).
    let run = kubedrift(
        &fx,
        &[
            "sync",
            "--all",
            "--env",
            "dev",
            "--yes",
            "--force-conflicts",
        ],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(run.stdout.contains("Plan for web@dev"), "{}", show(&run));
    assert_eq!(
        fx.jsonpath(&["-n", "shop", "deployment", "web"], "{.spec.replicas}"),
        "2"
    );
    let run = kubedrift(&fx, &["sync", "--all", "--env", "dev", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout.contains("No OutOfSync app in dev."),
        "{}",
        show(&run)
    );
}

#[test]
fn a_failed_wave_stops_later_waves_and_every_step_says_what_happened() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[
            ("apps/web/dev/namespace.yaml".to_string(), NAMESPACE.to_string()),
            (
                "apps/web/dev/early.yaml".to_string(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-early\n  namespace: nowhere\n  annotations:\n    argocd.argoproj.io/sync-wave: \"-1\"\n".to_string(),
            ),
        ],
        "web: an early wave that cannot land",
    );
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--yes"]);
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stdout.contains("ConfigMap/nowhere/web-early (wave -1)"),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout
            .contains("create  ConfigMap/nowhere/web-early: failed:"),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout.contains(
            "create  apps/Deployment/shop/web: not attempted: an apply in an earlier wave (-1) failed"
        ),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout.contains("5 resource(s) not synced"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx), 1, "only the failed early apply was sent");
}

/// The counter the read-only tests rely on counts what kubectl writes, and not its dry runs.
#[test]
fn the_sandbox_counts_write_requests_but_not_dry_runs_or_reads() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let cm = fx.file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\ndata:\n  a: b\n",
    );
    fx.ok(&["apply", "--dry-run=server", "-f", &cm]);
    fx.ok(&["apply", "--server-side", "--dry-run=server", "-f", &cm]);
    fx.ok(&["get", "configmaps", "-A"]);
    assert_eq!(writes(&fx), 0);
    fx.ok(&["apply", "--server-side", "-f", &cm]);
    assert_eq!(writes(&fx), 1);
    fx.ok(&["delete", "--dry-run=server", "-f", &cm]);
    assert_eq!(writes(&fx), 1);
    // A viewer's refused write is still a write request.
    let denied = fx.kubectl(&["--context", "dev-viewer", "delete", "-f", &cm]);
    assert_ne!(denied.code, 0);
    assert_eq!(writes(&fx), 2);
    fx.ok(&["delete", "-f", &cm]);
    assert_eq!(writes(&fx), 3);
}

/// What the TUI shows next to disabled action keys: asked of the server, before any plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_only_reason_comes_from_the_session_the_config_or_the_server() {
    use kubedrift::actions::capability::{read_only_reason, ReadOnly, Session};
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let config = fx.config();
    let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
        .expect("kubeconfig");
    let admin = kubedrift::cluster::kubeconfig::client_for(&kubeconfig, "dev")
        .await
        .expect("admin client");
    let viewer = kubedrift::cluster::kubeconfig::client_for(&kubeconfig, "dev-viewer")
        .await
        .expect("viewer client");
    let writable = Session::new(false);
    assert_eq!(
        read_only_reason(&writable, &config, "dev", "dev", &admin).await,
        None
    );
    let reason = read_only_reason(&writable, &config, "dev", "dev-viewer", &viewer)
        .await
        .expect("viewer is read-only");
    assert!(matches!(reason, ReadOnly::Credentials { .. }), "{reason}");
    assert!(
        reason
            .to_string()
            .starts_with("dev is read-only: the credentials of context dev-viewer may not write"),
        "{reason}"
    );
    let reason = read_only_reason(&Session::new(true), &config, "dev", "dev", &admin).await;
    assert!(matches!(reason, Some(ReadOnly::SessionFlag { .. })));
    assert_eq!(writes(&fx), 0);
}

/// One ConfigMap to create, planned for `env` on `context` (built by hand: the point is what
/// `execute` accepts, not how a plan is made).
fn configmap_plan(env: &str, context: &str) -> kubedrift::actions::sync::Plan {
    use kubedrift::actions::sync::{Action, DryRun, Plan, Step};
    let body: kubedrift::model::Object = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "bound", "namespace": "default"},
        "data": {"a": "b"},
    }))
    .expect("object");
    Plan {
        app: kubedrift::state::AppId {
            app: "web".into(),
            env: env.into(),
        },
        context: context.into(),
        steps: vec![Step {
            key: kubedrift::model::ResourceKey {
                group: "".into(),
                kind: "ConfigMap".into(),
                namespace: Some("default".into()),
                name: "bound".into(),
            },
            action: Action::Create,
            api_version: "v1".into(),
            wave: 0,
            diff: Default::default(),
            dry_run: DryRun::Ok,
            body: Some(body),
            live: None,
        }],
        skipped: Vec::new(),
        prune: false,
        force_conflicts: false,
        controllers: Vec::new(),
    }
}

/// The capability carries the client of its own environment's context: a plan for another
/// environment (another cluster, or another environment on the same context) is refused,
/// and nothing reaches any cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_capability_writes_only_its_own_environment() {
    use kubedrift::actions::capability::{cluster_access, Session};
    use kubedrift::actions::sync::apply::{self, ExecuteError};
    let fx = Fixture::start(
        &["dev", "prod"],
        &[("dev", "dev"), ("prod", "prod"), ("qa", "dev")],
    );
    let config = fx.config();
    let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
        .expect("kubeconfig");
    let session = Session::new(false);
    let dev = cluster_access(&session, &config, &kubeconfig, "dev", &[], None)
        .await
        .expect("dev is writable");
    assert_eq!(dev.context(), "dev");
    let prod_writes = || fx.sandbox.cluster("prod").expect("prod").write_requests();

    let err = apply::execute(&configmap_plan("prod", "prod"), &dev)
        .await
        .expect_err("a prod plan with a dev capability");
    assert!(
        matches!(err, ExecuteError::WrongEnvironment { .. }),
        "{err}"
    );
    let err = apply::execute(&configmap_plan("qa", "dev"), &dev)
        .await
        .expect_err("another environment on the same context");
    assert!(
        matches!(err, ExecuteError::WrongEnvironment { .. }),
        "{err}"
    );
    let err = apply::execute(&configmap_plan("dev", "prod"), &dev)
        .await
        .expect_err("the plan's context is not the environment's");
    assert!(matches!(err, ExecuteError::WrongContext { .. }), "{err}");
    let mut foreign = configmap_plan("prod", "prod");
    let owner = kubedrift::actions::sync::ControllerOwner {
        tool: "Argo CD".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: "Application".into(),
        namespace: "argocd".into(),
        name: "web".into(),
        annotation: "argocd.argoproj.io/refresh".into(),
    };
    foreign.controllers.push(owner.clone());
    let err = apply::request_reconcile(&foreign, &owner, &dev, jiff::Timestamp::now())
        .await
        .expect_err("a reconcile of prod with a dev capability");
    assert!(
        matches!(err, ExecuteError::WrongEnvironment { .. }),
        "{err}"
    );
    let err = apply::request_reconcile(
        &configmap_plan("dev", "dev"),
        &owner,
        &dev,
        jiff::Timestamp::now(),
    )
    .await
    .expect_err("a controller the plan does not name");
    assert!(matches!(err, ExecuteError::UnknownController(_)), "{err}");
    assert_eq!(writes(&fx), 0);
    assert_eq!(prod_writes(), 0);

    let outcome = apply::execute(&configmap_plan("dev", "dev"), &dev)
        .await
        .expect("its own environment");
    assert!(outcome.all_succeeded(), "{outcome:?}");
    assert_eq!(writes(&fx), 1);
    assert_eq!(prod_writes(), 0);
}

/// `cluster_access` decides from the config, not from its caller: an unknown environment is
/// refused, the context is the environment's, and with nothing planned to ask about (every
/// dry run failed) the server is still asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_access_refuses_unknown_environments_and_always_asks_the_server() {
    use kubedrift::actions::capability::{cluster_access, ReadOnly, Session};
    let fx = Fixture::start(&["dev"], &[("dev", "dev"), ("oncall", "dev-viewer")]);
    let config = fx.config();
    let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
        .expect("kubeconfig");
    let session = Session::new(false);
    let err = cluster_access(&session, &config, &kubeconfig, "prdo", &[], None)
        .await
        .expect_err("unknown environment");
    assert!(matches!(err, ReadOnly::UnknownEnvironment { .. }), "{err}");
    let err = cluster_access(&session, &config, &kubeconfig, "oncall", &[], None)
        .await
        .expect_err("viewer credentials, no probes, no dry-run answer");
    assert!(
        err.to_string().starts_with(
            "oncall is read-only: the credentials of context dev-viewer may not write"
        ),
        "{err}"
    );
    assert_eq!(writes(&fx), 0);
}

/// A server-side apply that creates needs RBAC `create`, not only `patch`: the probes of a
/// create step ask for both, of an update for `patch`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_step_is_probed_for_create_and_patch() {
    use kubedrift::actions::sync::{apply, Action};
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
        .expect("kubeconfig");
    let client = kubedrift::cluster::kubeconfig::client_for(&kubeconfig, "dev")
        .await
        .expect("client");
    let verbs = |probes: &[kubedrift::actions::capability::AccessProbe]| {
        let mut verbs: Vec<String> = probes
            .iter()
            .filter(|p| p.resource == "configmaps")
            .map(|p| p.verb.clone())
            .collect();
        verbs.sort();
        verbs
    };
    let mut plan = configmap_plan("dev", "dev");
    let probes = apply::dry_run(&client, &mut plan, &[]).await;
    assert_eq!(verbs(&probes), ["create", "patch"]);
    plan.steps[0].action = Action::Update;
    let probes = apply::dry_run(&client, &mut plan, &[]).await;
    assert_eq!(verbs(&probes), ["patch"]);
    assert_eq!(writes(&fx), 0);
}

/// A prune deletes the object the plan showed, not whatever has that name when it runs:
/// uid and resourceVersion are delete preconditions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prune_of_an_object_changed_since_the_plan_deletes_nothing() {
    use kubedrift::actions::capability::{cluster_access, Session};
    use kubedrift::actions::sync::{apply, Action, StepResult};
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let cm = fx.file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bound\n  namespace: default\ndata:\n  a: b\n",
    );
    fx.ok(&["apply", "-f", &cm]);
    let planned_live = || -> kubedrift::model::Object {
        serde_json::from_str(&fx.ok(&["-n", "default", "get", "configmap", "bound", "-o", "json"]))
            .expect("json")
    };
    let mut plan = configmap_plan("dev", "dev");
    plan.prune = true;
    plan.steps[0].action = Action::Prune;
    plan.steps[0].body = None;
    plan.steps[0].live = Some(planned_live());
    // Someone changes it after the plan was shown.
    fx.ok(&[
        "-n",
        "default",
        "label",
        "configmap",
        "bound",
        "changed=after-plan",
    ]);
    let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
        .expect("kubeconfig");
    let capability = cluster_access(
        &Session::new(false),
        &fx.config(),
        &kubeconfig,
        "dev",
        &[],
        None,
    )
    .await
    .expect("writable");
    let outcome = apply::execute(&plan, &capability).await.expect("execute");
    match &outcome.steps[0].result {
        StepResult::Failed { message } => {
            assert!(message.contains("changed since the plan"), "{message}")
        }
        other => panic!("pruned an object changed since the plan: {other:?}"),
    }
    fx.ok(&["-n", "default", "get", "configmap", "bound"]);
    // Planned again from what is there now: pruned.
    plan.steps[0].live = Some(planned_live());
    let outcome = apply::execute(&plan, &capability).await.expect("execute");
    assert_eq!(outcome.steps[0].result, StepResult::Pruned);
    assert_ne!(
        fx.kubectl(&["-n", "default", "get", "configmap", "bound"])
            .code,
        0
    );
}

/// Pruning a Namespace or a CRD deletes far more than itself: the plan skips them with the
/// reason unless that very resource is selected with --resource.
#[test]
fn namespaces_and_crds_are_pruned_only_when_selected_explicitly() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    // Two Namespaces; shop leaves Git (shop-old keeps Namespaces watched).
    fx.commit(
        &[
            (
                "apps/web/dev/namespace.yaml".to_string(),
                NAMESPACE.to_string(),
            ),
            (
                "apps/web/dev/namespace-old.yaml".to_string(),
                NAMESPACE.replace("shop", "shop-old"),
            ),
        ],
        "web: namespaces",
    );
    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--yes"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    remove_and_commit(
        &fx,
        &["apps/web/dev/namespace.yaml"],
        "web: namespace elsewhere",
    );
    let before = writes(&fx);

    let run = kubedrift(&fx, &["sync", "web", "--env", "dev", "--prune", "--yes"]);
    assert!(
        run.stdout.contains(
            "skip    Namespace/shop: deleting a Namespace deletes everything in it; not pruned unless selected with --resource Namespace/shop"
        ),
        "{}",
        show(&run)
    );
    assert!(
        !run.stdout.contains("prune   Namespace/shop"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx), before, "{}", show(&run));
    fx.ok(&["get", "namespace", "shop"]);

    let run = kubedrift(
        &fx,
        &[
            "sync",
            "web",
            "--env",
            "dev",
            "--prune",
            "--dry-run",
            "--resource",
            "Namespace/shop",
        ],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout.contains("prune   Namespace/shop"),
        "{}",
        show(&run)
    );
}

/// `--reconcile` when the controller's object is not served (every reconcile dry run failed,
/// so nothing was probed): viewer credentials are still asked about and refused.
#[test]
fn a_reconcile_with_nothing_probed_still_asks_the_server() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    fx.ok(&[
        "-n",
        "shop",
        "label",
        "deployment",
        "web",
        "app.kubernetes.io/instance=web",
    ]);
    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    let viewer = fx.dir.path().join("viewer.toml");
    std::fs::write(
        &viewer,
        config.replacen("context = \"dev\"\n", "context = \"dev-viewer\"\n", 1),
    )
    .expect("write");
    let before = writes(&fx);
    let run = kubedrift_in(
        &fx,
        &fx.dir.path().join("data"),
        &viewer,
        &["sync", "web", "--env", "dev", "--reconcile", "--yes"],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout
            .contains("dev is read-only: the credentials of context dev-viewer may not write"),
        "{}",
        show(&run)
    );
    assert_eq!(writes(&fx), before);
}
