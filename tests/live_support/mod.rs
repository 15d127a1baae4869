//! Shared setup of the live tests: sandbox clusters (TLS, so the real kubectl sends tokens),
//! a git repo in a temp dir, a kubedrift config, and helpers to run kubectl and commit.
#![allow(dead_code)]

use kubedrift::config::Config;
use kubedrift::sandbox::{Sandbox, SandboxOptions};
use kubedrift::state::live::{Live, LiveOptions};
use kubedrift::state::{AppView, Snapshot};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

pub const KUBECTL: &str = "/usr/bin/kubectl";
/// Generous: the machine is shared; a test waits for a state, never for a duration.
pub const WAIT: Duration = Duration::from_secs(60);

pub struct Fixture {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
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
        let sandbox = Sandbox::start(SandboxOptions {
            clusters: clusters.iter().map(|c| c.to_string()).collect(),
            tls: true,
            ready_after: Duration::from_millis(100),
            ..SandboxOptions::default()
        })
        .expect("sandbox starts");
        let dir = tempfile::tempdir().expect("tempdir");
        sandbox
            .write_kubeconfig(&dir.path().join("kubeconfig"))
            .expect("kubeconfig written");
        let fixture = Fixture { sandbox, dir };
        let repo = git2::Repository::init(fixture.repo_path()).expect("git init");
        repo.set_head("refs/heads/main").expect("head");
        let mut files = Vec::new();
        for (env, _) in envs {
            files.push((
                format!("apps/web/{env}/deployment.yaml"),
                deployment("registry.example.com/shop/web:1.4.2", 2),
            ));
            files.push((format!("apps/web/{env}/service.yaml"), SERVICE.to_string()));
            files.push((
                format!("apps/web/{env}/configmap.yaml"),
                CONFIGMAP.to_string(),
            ));
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

    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
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

    /// Run the real kubectl; panics with its stderr when it fails.
    pub fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(self.kubeconfig_path())
            .arg("--cache-dir")
            .arg(self.dir.path().join("kube-cache"))
            .arg("--request-timeout=20s")
            .args(args)
            .env_remove("KUBECONFIG")
            .env("HOME", self.dir.path())
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Deploy the env's manifests as kubedrift's sync would: server-side apply, manager kubedrift.
    pub fn deploy(&self, context: &str, env: &str) {
        let _ = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(self.kubeconfig_path())
            .args(["--context", context, "create", "namespace", "shop"])
            .env_remove("KUBECONFIG")
            .env("HOME", self.dir.path())
            .output();
        let dir = self.repo_path().join(format!("apps/web/{env}"));
        self.kubectl(&[
            "--context",
            context,
            "apply",
            "--server-side",
            "--field-manager=kubedrift",
            "-f",
            dir.to_str().expect("utf-8 path"),
        ]);
    }

    /// Server-side apply (manager kubedrift) of some files of the env's app directory.
    pub fn deploy_files(&self, context: &str, files: &[&str], env: &str) {
        let _ = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(self.kubeconfig_path())
            .args(["--context", context, "create", "namespace", "shop"])
            .env_remove("KUBECONFIG")
            .env("HOME", self.dir.path())
            .output();
        for file in files {
            let path = self.repo_path().join(format!("apps/web/{env}/{file}"));
            self.kubectl(&[
                "--context",
                context,
                "apply",
                "--server-side",
                "--field-manager=kubedrift",
                "-f",
                path.to_str().expect("utf-8 path"),
            ]);
        }
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
            .map(|a| (a.sync, a.health, a.message.clone()))
    );
    snapshot
}

pub fn path_exists(path: &Path) -> bool {
    path.exists()
}
