//! Shared setup of the live tests: sandbox clusters and kubectl (from [`crate::common`]), a
//! git repo in the same temp dir, a kubedrift config, and helpers to deploy and commit.
//! A test file using it declares `mod common;` too.
#![allow(dead_code)]

use kubedrift::config::Config;
use kubedrift::live::{Live, LiveOptions};
use kubedrift::sandbox::SandboxOptions;
use kubedrift::state::{AppView, ResourceView, Snapshot};
use kubedrift_testkit::SandboxEnv;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Generous: the machine is shared; a test waits for a state, never for a duration.
pub const WAIT: Duration = Duration::from_secs(60);
/// kubectl's `--request-timeout` in the live tests.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(20);

/// The sandbox (with kubectl on it) plus the repo and config of app `web`, all in the
/// sandbox's temp dir. Dereferences to [`SandboxEnv`] (`sandbox`, `dir`, `ok`, ...).
pub struct Fixture {
    env: SandboxEnv,
}

impl std::ops::Deref for Fixture {
    type Target = SandboxEnv;

    fn deref(&self) -> &SandboxEnv {
        &self.env
    }
}

pub fn deployment(image: &str, replicas: u32) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    kubedrift.io/app: web
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: {image}
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
"#
    )
}

/// The files of app `web` that [`Fixture::start`] commits in every environment.
pub const INITIAL_FILES: [&str; 3] = ["deployment.yaml", "service.yaml", "configmap.yaml"];

pub const SERVICE: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    kubedrift.io/app: web
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
"#;

pub const CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels:
    kubedrift.io/app: web
data:
  LOG_LEVEL: info
  FEATURE_CHECKOUT_V2: "true"
"#;

impl Fixture {
    /// Clusters `clusters` (contexts `<name>` admin and `<name>-viewer`), and a repo with app
    /// `web` in every environment of `envs` (env name, context).
    pub fn start(clusters: &[&str], envs: &[(&str, &str)]) -> Fixture {
        let env = SandboxEnv::start(
            SandboxOptions {
                clusters: clusters.iter().map(|c| c.to_string()).collect(),
                ready_after: Duration::from_millis(100),
                ..SandboxOptions::default()
            },
            KUBECTL_TIMEOUT,
        );
        let fixture = Fixture { env };
        let repo = git2::Repository::init(fixture.repo_path()).expect("git init");
        repo.set_head("refs/heads/main").expect("head");
        let mut files = Vec::new();
        for (env, _) in envs {
            let contents = [
                deployment("registry.example.com/shop/web:1.4.2", 2),
                SERVICE.to_string(),
                CONFIGMAP.to_string(),
            ];
            for (file, content) in INITIAL_FILES.iter().zip(contents) {
                files.push((format!("apps/web/{env}/{file}"), content));
            }
        }
        fixture.commit(&files, "web: initial manifests");
        let mut config = format!(
            "[settings]\ngit_poll_seconds = 1\nfetch_interval_seconds = 0\n\n[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n",
            fixture.repo_path().display()
        );
        for (env, context) in envs {
            config.push_str(&format!(
                "[[environment]]\nname = \"{env}\"\ncontext = \"{context}\"\n\n"
            ));
        }
        config.push_str("[[app]]\nname = \"web\"\nrepo = \"gitops\"\npath = \"apps/{app}/{env}\"\nnamespace = \"shop\"\n");
        std::fs::write(fixture.config_path(), config).expect("config written");
        fixture
    }

    /// One cluster and environment `dev`, where Git has `file` (committed with `message`) on
    /// top of the initial manifests, and only the initial manifests are deployed.
    pub fn dev_with_undeployed_file(file: &str, content: &str, message: &str) -> Fixture {
        let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
        fx.commit(
            &[(format!("apps/web/dev/{file}"), content.to_string())],
            message,
        );
        fx.deploy_files("dev", &INITIAL_FILES, "dev");
        fx
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("kubedrift.toml")
    }

    pub fn repo_path(&self) -> PathBuf {
        self.dir.path().join("gitops")
    }

    pub fn config(&self) -> Config {
        Config::load_file(&self.config_path())
            .expect("config loads")
            .config
    }

    /// Write `files` (repo path, content) and commit them on main.
    pub fn commit(&self, files: &[(String, String)], message: &str) {
        let repo = git2::Repository::open(self.repo_path()).expect("open repo");
        for (path, content) in files {
            let full = self.repo_path().join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(&full, content).expect("write");
        }
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("index write");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = git2::Signature::now("Dana SRE", "dana@example.com").expect("sig");
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(
            Some("refs/heads/main"),
            &sig,
            &sig,
            message,
            &tree,
            &parents,
        )
        .expect("commit");
    }

    /// Deploy the env's manifests as kubedrift's sync would: server-side apply, manager kubedrift.
    pub fn deploy(&self, context: &str, env: &str) {
        self.create_namespace(context);
        self.apply_as_kubedrift(context, &self.repo_path().join(format!("apps/web/{env}")));
    }

    /// Server-side apply (manager kubedrift) of some files of the env's app directory.
    pub fn deploy_files(&self, context: &str, files: &[&str], env: &str) {
        self.create_namespace(context);
        for file in files {
            let path = self.repo_path().join(format!("apps/web/{env}/{file}"));
            self.apply_as_kubedrift(context, &path);
        }
    }

    /// Namespace `shop` on `context`; already being there is fine.
    fn create_namespace(&self, context: &str) {
        let _ = self.kubectl(&["--context", context, "create", "namespace", "shop"]);
    }

    /// `kubectl apply --server-side --field-manager=kubedrift -f PATH` on `context`: what
    /// kubedrift's sync writes.
    pub fn apply_as_kubedrift(&self, context: &str, path: &Path) {
        self.ok(&[
            "--context",
            context,
            "apply",
            "--server-side",
            "--field-manager=kubedrift",
            "-f",
            path.to_str().expect("utf-8 path"),
        ]);
    }

    /// `kubectl scale` of Deployment `shop/web` on `context`: live drift by another writer.
    pub fn scale_web(&self, context: &str, replicas: u32) {
        self.ok(&[
            "--context",
            context,
            "-n",
            "shop",
            "scale",
            "deployment/web",
            &format!("--replicas={replicas}"),
        ]);
    }

    pub fn live(&self, env: Option<&str>) -> Live {
        let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[self.kubeconfig_path()])
            .expect("kubeconfig");
        Live::start(LiveOptions {
            config: self.config(),
            kubeconfig,
            contexts: Vec::new(),
            env: env.map(str::to_string),
            app: None,
            revision: None,
        })
        .expect("live starts")
    }
}

/// Wait until app `app@env` satisfies `pred`; panics with the last row when it never does.
pub async fn wait_app(
    live: &Live,
    app: &str,
    env: &str,
    what: &str,
    pred: impl Fn(&AppView) -> bool,
) -> Arc<Snapshot> {
    let (snapshot, ok) = live
        .wait_until(WAIT, |s| s.app(app, env).is_some_and(|a| pred(a)))
        .await;
    assert!(
        ok,
        "{app}@{env} never became {what}; last row: {:?}",
        snapshot
            .app(app, env)
            .map(|a| (a.sync, a.health, a.message()))
    );
    snapshot
}

pub fn path_exists(path: &Path) -> bool {
    path.exists()
}

/// The resource of kind `kind` in an app row; panics naming the kinds there when it is missing.
pub fn resource<'a>(app: &'a AppView, kind: &str) -> &'a ResourceView {
    app.resources
        .iter()
        .find(|r| *r.key.kind == *kind)
        .map(|r| r.as_ref())
        .unwrap_or_else(|| {
            let kinds: Vec<&str> = app.resources.iter().map(|r| &*r.key.kind).collect();
            panic!("no {kind} in {}@{}: {kinds:?}", app.id.app, app.id.env)
        })
}
