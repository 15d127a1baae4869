//! `kubedrift render`: config → git (from objects, at a ref) → renderer → masked output.
//! Real git repos made with git2, the real `kubectl kustomize`, the real binary.

use git2::{Repository, Signature};
use std::path::Path;
use std::process::{Command, Output};

fn commit_files(repo: &Repository, files: &[(&str, &str)], message: &str) -> String {
    let workdir = repo.workdir().expect("non-bare test repo").to_path_buf();
    for (path, content) in files {
        let full = workdir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("Test", "test@example.com").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
        .to_string()
}

const BASE_DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0
";

const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: hunter2-very-secret
";

struct Fixture {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    repo: Repository,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let repo_path = dir.path().join("gitops");
    let repo = Repository::init(&repo_path).unwrap();
    repo.set_head("refs/heads/main").unwrap();
    commit_files(
        &repo,
        &[
            ("apps/web/base/deploy.yaml", BASE_DEPLOY),
            ("apps/web/base/secret.yaml", SECRET),
            (
                "apps/web/base/kustomization.yaml",
                "resources: [deploy.yaml, secret.yaml]\n",
            ),
            (
                "apps/web/envs/dev/kustomization.yaml",
                "resources: [../../base]\nnamespace: shop-dev\nimages:\n  - name: ghcr.io/example/web\n    newTag: 1.1.0\n",
            ),
            (
                "apps/api/envs/dev/deploy.yaml",
                &BASE_DEPLOY.replace("name: web", "name: api"),
            ),
        ],
        "initial",
    );
    fixture_config(dir, repo, "gitops", "apps/{app}/envs/{env}")
}

/// One repo, one environment `dev`, apps discovered with `pattern`.
fn fixture_config(
    dir: tempfile::TempDir,
    repo: Repository,
    repo_name: &str,
    pattern: &str,
) -> Fixture {
    let repo_path = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[repo]]\nname = {repo_name:?}\npath = {:?}\n\n\
             [[environment]]\nname = \"dev\"\ncontext = \"dev\"\n\n\
             [[discover]]\nrepo = {repo_name:?}\npattern = {pattern:?}\n",
            repo_path.display().to_string()
        ),
    )
    .unwrap();
    Fixture {
        _dir: dir,
        config,
        repo,
    }
}

fn kubedrift(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kubedrift")
}

#[test]
fn renders_a_kustomize_overlay_from_git_objects_with_secrets_masked() {
    let fx = fixture();
    let out = kubedrift(&fx.config, &["render", "web", "--env", "dev"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("kustomize renderer"), "{stdout}");
    assert!(
        stdout.contains("image: ghcr.io/example/web:1.1.0"),
        "{stdout}"
    );
    assert!(stdout.contains("namespace: shop-dev"), "{stdout}");
    assert!(
        stdout.contains("password:"),
        "the key stays visible: {stdout}"
    );
    assert!(!stdout.contains("hunter2"), "secret value leaked: {stdout}");
    assert!(
        !stdout.contains("aHVudGVyMi"),
        "base64 secret value leaked: {stdout}"
    );
}

#[test]
fn renders_an_older_ref_without_touching_the_working_tree() {
    let fx = fixture();
    let first = fx
        .repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    commit_files(
        &fx.repo,
        &[(
            "apps/api/envs/dev/deploy.yaml",
            &BASE_DEPLOY
                .replace("name: web", "name: api")
                .replace("1.0.0", "2.0.0"),
        )],
        "bump api",
    );
    // A dirty working tree must not matter: kubedrift reads git objects only.
    std::fs::write(
        fx.repo
            .workdir()
            .unwrap()
            .join("apps/api/envs/dev/deploy.yaml"),
        "garbage: [",
    )
    .unwrap();
    let head = kubedrift(&fx.config, &["render", "api", "--env", "dev", "-o", "json"]);
    assert_eq!(
        head.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&head.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&head.stdout).unwrap();
    assert_eq!(
        list["items"][0]["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/example/web:2.0.0"
    );
    let old = kubedrift(
        &fx.config,
        &[
            "render",
            "api",
            "--env",
            "dev",
            "--ref",
            &first[..10],
            "-o",
            "json",
        ],
    );
    let list: serde_json::Value = serde_json::from_slice(&old.stdout).unwrap();
    assert_eq!(
        list["items"][0]["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/example/web:1.0.0"
    );
}

#[test]
fn unknown_app_and_unknown_ref_are_clear_errors() {
    let fx = fixture();
    let out = kubedrift(&fx.config, &["render", "wbe", "--env", "dev"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no app \"wbe\""), "{stderr}");
    assert!(stderr.contains("known: api, web"), "{stderr}");

    let out = kubedrift(
        &fx.config,
        &["render", "web", "--env", "dev", "--ref", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nope"), "{stderr}");
}

#[test]
fn a_broken_kustomization_is_an_error_scoped_to_its_app() {
    let fx = fixture();
    commit_files(
        &fx.repo,
        &[(
            "apps/web/envs/dev/kustomization.yaml",
            "resources: [../../does-not-exist]\n",
        )],
        "break web",
    );
    let web = kubedrift(&fx.config, &["render", "web", "--env", "dev"]);
    assert_eq!(web.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&web.stderr).contains("does-not-exist"),
        "{}",
        String::from_utf8_lossy(&web.stderr)
    );
    let api = kubedrift(&fx.config, &["render", "api", "--env", "dev"]);
    assert_eq!(
        api.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&api.stderr)
    );
}

/// A repo laid out `{env}/releases/{namespace}/{app}`: app `ledger` of namespace `payments`.
fn releases_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let repo_path = dir.path().join("releases");
    let repo = Repository::init(&repo_path).unwrap();
    repo.set_head("refs/heads/main").unwrap();
    let release = "dev/releases/payments/ledger";
    commit_files(
        &repo,
        &[
            (
                &format!("{release}/deploy.yaml"),
                &BASE_DEPLOY.replace("web", "ledger"),
            ),
            (
                &format!("{release}/config.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ledger-config\n  labels:\n    app: ledger\ndata:\n  LEDGER_CURRENCY: EUR\n",
            ),
            (
                &format!("{release}/shared.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ledger-shared\n  namespace: platform\ndata:\n  region: eu-west-1\n",
            ),
            (
                &format!("{release}/rbac.yaml"),
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ledger-reader\nrules:\n  - apiGroups: [\"\"]\n    resources: [configmaps]\n    verbs: [get, list, watch]\n",
            ),
        ],
        "ledger",
    );
    fixture_config(dir, repo, "releases", "{env}/releases/{namespace}/{app}")
}

#[test]
fn render_prints_the_namespace_objects_are_compared_in() {
    let fx = releases_fixture();
    let out = kubedrift(
        &fx.config,
        &["render", "ledger", "--env", "dev", "-o", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let namespace_of = |kind: &str, name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind}/{name} not rendered: {list:#}"))["metadata"]
            .get("namespace")
            .cloned()
    };
    let payments = Some(serde_json::json!("payments"));
    assert_eq!(namespace_of("Deployment", "ledger"), payments);
    assert_eq!(namespace_of("ConfigMap", "ledger-config"), payments);
    assert_eq!(
        namespace_of("ConfigMap", "ledger-shared"),
        Some(serde_json::json!("platform")),
        "a namespace Git names is kept"
    );
    assert_eq!(
        namespace_of("ClusterRole", "ledger-reader"),
        None,
        "cluster-scoped kinds get none"
    );

    let text = kubedrift(&fx.config, &["render", "ledger", "--env", "dev"]);
    assert_eq!(text.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&text.stdout);
    let header = stdout.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("# ledger in dev at main@")
            && header.ends_with("(plain renderer, default namespace payments)"),
        "{stdout}"
    );
    let documents: Vec<&str> = stdout.split("---\n").skip(1).collect();
    assert_eq!(documents.len(), 4, "{stdout}");
    for document in documents {
        let expected = if document.contains("kind: ClusterRole") {
            None
        } else if document.contains("name: ledger-shared") {
            Some("  namespace: platform\n")
        } else {
            Some("  namespace: payments\n")
        };
        match expected {
            Some(line) => assert!(document.contains(line), "{document}"),
            None => assert!(!document.contains("namespace:"), "{document}"),
        }
    }
}

#[test]
fn render_without_any_configured_namespace_says_default() {
    let fx = fixture();
    let out = kubedrift(&fx.config, &["render", "api", "--env", "dev"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .next()
            .is_some_and(|l| l.ends_with("default namespace default)")),
        "{stdout}"
    );
    assert!(
        stdout.contains("  name: api\n  namespace: default\n"),
        "{stdout}"
    );
}
