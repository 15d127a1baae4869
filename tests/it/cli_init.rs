//! `kubedrift init` end to end: temp git repos (git2) in each layout init recognises, sandbox
//! clusters whose context names say the environments; the real binary writes the config,
//! that config loads, and `kubedrift status` on the sandbox finds the expected apps in the
//! expected environments, each reading its own directory (or branch). Plus: never overwriting
//! without `--force`, ambiguous context names reported and left for the user to choose.

use kubedrift::sandbox::SandboxOptions;
use kubedrift_testkit::{kubectl_missing, tool_missing, Run, SandboxEnv};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const KUBECTL_TIMEOUT: Duration = Duration::from_secs(20);

/// A git repository built from in-memory trees, one commit per call, in a temp dir.
struct TempRepo {
    dir: tempfile::TempDir,
    path: PathBuf,
    repo: git2::Repository,
}

impl TempRepo {
    /// A repository named `name` (its directory), `HEAD` on `main`; `bare` for a mirror.
    fn new(name: &str, bare: bool) -> TempRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        let repo = if bare {
            git2::Repository::init_bare(&path)
        } else {
            git2::Repository::init(&path)
        }
        .expect("git init");
        repo.set_head("refs/heads/main").expect("head");
        TempRepo { dir, path, repo }
    }

    fn tree(&self, files: &[(String, String)]) -> git2::Oid {
        let mut builder = self.repo.treebuilder(None).expect("treebuilder");
        let mut subdirs: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (path, content) in files {
            match path.split_once('/') {
                Some((dir, rest)) => subdirs
                    .entry(dir.to_string())
                    .or_default()
                    .push((rest.to_string(), content.clone())),
                None => {
                    let blob = self.repo.blob(content.as_bytes()).expect("blob");
                    builder.insert(path, blob, 0o100644).expect("insert file");
                }
            }
        }
        for (dir, entries) in subdirs {
            let oid = self.tree(&entries);
            builder.insert(&dir, oid, 0o040000).expect("insert dir");
        }
        builder.write().expect("write tree")
    }

    /// Commits exactly `files` (the whole tree) on `branch`.
    fn commit(&self, branch: &str, files: &[(String, String)]) {
        let tree = self.repo.find_tree(self.tree(files)).expect("tree");
        let sig = git2::Signature::now("Ira Init", "ira@example.com").expect("sig");
        let refname = format!("refs/heads/{branch}");
        let parent = self
            .repo
            .find_reference(&refname)
            .ok()
            .and_then(|r| r.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(Some(&refname), &sig, &sig, "manifests", &tree, &parents)
            .expect("commit");
    }
}

/// A ConfigMap named `name` (no namespace: init guesses none, so it lands in `default`).
fn configmap(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  owner: team-{name}\n"
    )
}

fn files(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, c)| (p.to_string(), c.clone()))
        .collect()
}

fn sandbox(clusters: &[&str]) -> SandboxEnv {
    SandboxEnv::start(
        SandboxOptions {
            clusters: clusters.iter().map(|c| c.to_string()).collect(),
            ready_after: Duration::ZERO,
            ..SandboxOptions::default()
        },
        KUBECTL_TIMEOUT,
    )
}

/// The kubedrift binary, isolated from the machine's kubeconfig and config.
fn kubedrift(home: &Path, args: &[&str], current_dir: Option<&Path>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .env_remove("KUBEDRIFT_CONFIG")
        .env_remove("KUBEDRIFT_LOG");
    if let Some(dir) = current_dir {
        command.current_dir(dir);
    }
    command.output().expect("kubedrift runs").into()
}

/// A kubeconfig in `dir` with `contexts` (name, cluster), every cluster at an address nothing
/// listens on: for runs of `init`, which reads the kubeconfig but never connects.
fn offline_kubeconfig(dir: &Path, contexts: &[(&str, &str)]) -> PathBuf {
    let clusters: BTreeSet<&str> = contexts.iter().map(|(_, cluster)| *cluster).collect();
    let mut text = "apiVersion: v1\nkind: Config\nclusters:\n".to_string();
    for cluster in clusters {
        text.push_str(&format!(
            "- name: '{cluster}'\n  cluster: {{server: 'https://127.0.0.1:9'}}\n"
        ));
    }
    text.push_str("users:\n- name: me\n  user: {token: t}\ncontexts:\n");
    for (name, cluster) in contexts {
        text.push_str(&format!(
            "- name: '{name}'\n  context: {{cluster: '{cluster}', user: me}}\n"
        ));
    }
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).expect("kubeconfig");
    path
}

/// `kubedrift init --repo REPO --kubeconfig FILE --output -` (prints the config) plus `extra`.
fn init_printed(home: &Path, repo: &Path, kubeconfig: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "init",
        "--repo",
        repo.to_str().expect("utf-8"),
        "--kubeconfig",
        kubeconfig.to_str().expect("utf-8"),
        "--output",
        "-",
    ];
    args.extend(extra);
    kubedrift(home, &args, None)
}

/// `kubedrift init --repo REPO --output <dir>/kubedrift.toml` on the sandbox's kubeconfig;
/// requires exit 0. The written config's path and init's stdout.
fn init(env: &SandboxEnv, repo: &TempRepo) -> (PathBuf, String) {
    let output = repo.dir.path().join("kubedrift.toml");
    let run = kubedrift(
        env.dir.path(),
        &[
            "init",
            "--repo",
            repo.path.to_str().expect("utf-8"),
            "--kubeconfig",
            env.kubeconfig_path().to_str().expect("utf-8"),
            "--output",
            output.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    (output, run.stdout)
}

/// What `kubedrift status --output json` reports: (app, env) → (app sync, resource names).
type Report = BTreeMap<(String, String), (String, BTreeSet<String>)>;

fn status(env: &SandboxEnv, config: &Path) -> (i32, Report) {
    let run = kubedrift(
        env.dir.path(),
        &[
            "status",
            "--config",
            config.to_str().expect("utf-8"),
            "--kubeconfig",
            env.kubeconfig_path().to_str().expect("utf-8"),
            "--output",
            "json",
            "--timeout",
            "60s",
        ],
        None,
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "status JSON ({e}):\nstdout:\n{}\nstderr:\n{}\nconfig:\n{}",
            run.stdout,
            run.stderr,
            std::fs::read_to_string(config).unwrap_or_default()
        )
    });
    let mut report = Report::new();
    for app in doc["apps"].as_array().expect("apps") {
        let names = app["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| {
                format!(
                    "{}/{} {}",
                    r["kind"].as_str().unwrap_or(""),
                    r["name"].as_str().unwrap_or(""),
                    r["sync"].as_str().unwrap_or("")
                )
            })
            .collect();
        report.insert(
            (
                app["app"].as_str().expect("app").to_string(),
                app["env"].as_str().expect("env").to_string(),
            ),
            (app["sync"].as_str().expect("sync").to_string(), names),
        );
    }
    (run.code, report)
}

/// Every (app, env) of `expected` is reported OutOfSync with exactly the ConfigMap named in
/// `expected`, Missing (nothing deployed yet) — so each environment read its own directory or
/// branch — and nothing else is reported.
fn assert_found(report: &Report, expected: &[(&str, &str, &str)], config: &Path) {
    let want: Report = expected
        .iter()
        .map(|(app, env, configmap)| {
            (
                (app.to_string(), env.to_string()),
                (
                    "OutOfSync".to_string(),
                    BTreeSet::from([format!("ConfigMap/{configmap} Missing")]),
                ),
            )
        })
        .collect();
    assert_eq!(
        report,
        &want,
        "config:\n{}",
        std::fs::read_to_string(config).unwrap_or_default()
    );
}

#[test]
fn init_overlays_per_app_and_environment_then_status_finds_them() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-dev", "kind-prod"]);
    let repo = TempRepo::new("platform", false);
    let mut tree = Vec::new();
    for app in ["web", "api"] {
        tree.push((
            format!("apps/{app}/base/kustomization.yaml"),
            "resources:\n  - configmap.yaml\n".to_string(),
        ));
        tree.push((format!("apps/{app}/base/configmap.yaml"), configmap(app)));
        for stage in ["dev", "prod"] {
            tree.push((
                format!("apps/{app}/envs/{stage}/kustomization.yaml"),
                format!("resources:\n  - ../../base\nnameSuffix: -{stage}\n"),
            ));
        }
    }
    tree.push(("README.md".to_string(), "# platform\n".to_string()));
    repo.commit("main", &tree);
    // Feature branches named after environments are no branch per environment.
    repo.commit("dev-new-feature", &tree);
    repo.commit("prod-hotfix-123", &tree);

    // Run from a directory inside the work tree, without --repo: the repository is found.
    let inside = repo.path.join("apps");
    std::fs::create_dir_all(&inside).expect("mkdir");
    let output = repo.dir.path().join("kubedrift.toml");
    let run = kubedrift(
        env.dir.path(),
        &[
            "init",
            "--kubeconfig",
            env.kubeconfig_path().to_str().expect("utf-8"),
            "--output",
            output.to_str().expect("utf-8"),
        ],
        Some(&inside),
    );
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("apps/{app}/envs/{env}")
            && run.stdout.contains("api (dev, prod), web (dev, prod)"),
        "{}",
        run.stdout
    );
    // The viewer context is the same cluster: one choice, not an ambiguity.
    assert!(
        run.stdout
            .contains("dev → context kind-dev (its name says dev)")
            && run
                .stdout
                .contains("prod → context kind-prod (its name says prod)"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("new-feature")
            && !run.stdout.contains("hotfix")
            && !run.stdout.contains("default branch `main`"),
        "{}",
        run.stdout
    );
    let written = std::fs::read_to_string(&output).expect("config written");
    assert!(
        written.contains("pattern = \"apps/{app}/envs/{env}\""),
        "{written}"
    );
    assert!(
        written.contains("Same cluster, other user: kind-dev-viewer"),
        "{written}"
    );

    let (code, report) = status(&env, &output);
    assert_eq!(code, 1, "nothing deployed yet is drift");
    assert_found(
        &report,
        &[
            ("api", "dev", "api-dev"),
            ("api", "prod", "api-prod"),
            ("web", "dev", "web-dev"),
            ("web", "prod", "web-prod"),
        ],
        &output,
    );

    // Deployed as Git says, web in prod is Synced under the config init wrote.
    // (The overlay renames the base's ConfigMap; its data stays the base's.)
    let rendered = configmap("web").replace("name: web\n", "name: web-prod\n");
    let manifest = env.file("web-prod.yaml", &rendered);
    env.ok(&[
        "--context",
        "kind-prod",
        "-n",
        "default",
        "apply",
        "--server-side",
        "--field-manager=kubedrift",
        "-f",
        &manifest,
    ]);
    let (_, report) = status(&env, &output);
    assert_eq!(
        report[&("web".to_string(), "prod".to_string())],
        (
            "Synced".to_string(),
            BTreeSet::from(["ConfigMap/web-prod Synced".to_string()])
        ),
        "{report:?}"
    );
}

#[test]
fn init_envs_with_a_shared_base_is_one_app() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["dev", "gke_acme_europe-west1_production"]);
    let repo = TempRepo::new("storefront", false);
    repo.commit(
        "main",
        &files(&[
            (
                "base/kustomization.yaml",
                "resources:\n  - configmap.yaml\n".into(),
            ),
            ("base/configmap.yaml", configmap("storefront")),
            (
                "envs/dev/kustomization.yaml",
                "resources:\n  - ../../base\nnameSuffix: -dev\n".into(),
            ),
            (
                "envs/prod/kustomization.yaml",
                "resources:\n  - ../../base\nnameSuffix: -prod\n".into(),
            ),
        ]),
    );
    let (config, stdout) = init(&env, &repo);
    assert!(
        stdout.contains("app storefront: envs/{env}") && stdout.contains("shared base"),
        "{stdout}"
    );
    // `prod` (the directory) finds the context that spells it `production`.
    assert!(
        stdout.contains("prod → context gke_acme_europe-west1_production"),
        "{stdout}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[
            ("storefront", "dev", "storefront-dev"),
            ("storefront", "prod", "storefront-prod"),
        ],
        &config,
    );
}

#[test]
fn init_environment_directories_holding_apps() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["staging", "prod"]);
    let repo = TempRepo::new("clusters-config", false);
    repo.commit(
        "main",
        &files(&[
            ("staging/web/configmap.yaml", configmap("web-staging")),
            ("staging/worker/configmap.yaml", configmap("worker-staging")),
            ("prod/web/configmap.yaml", configmap("web-prod")),
        ]),
    );
    let (config, stdout) = init(&env, &repo);
    assert!(stdout.contains("{env}/{app}"), "{stdout}");
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[
            ("web", "prod", "web-prod"),
            ("web", "staging", "web-staging"),
            ("worker", "staging", "worker-staging"),
        ],
        &config,
    );

    // The environments in a directory of their own: `environments/{env}/{app}`.
    let contained = TempRepo::new("platform", false);
    contained.commit(
        "main",
        &files(&[
            (
                "environments/staging/web/configmap.yaml",
                configmap("web-staging"),
            ),
            (
                "environments/prod/web/configmap.yaml",
                configmap("web-prod"),
            ),
        ]),
    );
    let (config, stdout) = init(&env, &contained);
    assert!(stdout.contains("environments/{env}/{app}"), "{stdout}");
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[
            ("web", "prod", "web-prod"),
            ("web", "staging", "web-staging"),
        ],
        &config,
    );
}

#[test]
fn init_app_directories_holding_environments() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-dev", "kind-prod"]);
    let repo = TempRepo::new("gitops", false);
    repo.commit(
        "main",
        &files(&[
            ("apps/web/dev/configmap.yaml", configmap("web-dev")),
            ("apps/web/prod/configmap.yaml", configmap("web-prod")),
        ]),
    );
    let (config, stdout) = init(&env, &repo);
    assert!(stdout.contains("apps/{app}/{env}"), "{stdout}");
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[("web", "dev", "web-dev"), ("web", "prod", "web-prod")],
        &config,
    );
}

#[test]
fn init_helm_chart_with_values_per_environment() {
    if kubectl_missing() {
        return;
    }
    let helm_missing = kubedrift::render::Tools::default().find("helm").is_none();
    if tool_missing("helm is not on PATH", helm_missing) {
        return;
    }
    let env = sandbox(&["kind-dev", "kind-prod"]);
    let repo = TempRepo::new("charts", false);
    repo.commit(
        "main",
        &files(&[
            (
                "charts/redis/Chart.yaml",
                "apiVersion: v2\nname: redis\nversion: 0.1.0\n".into(),
            ),
            ("charts/redis/values.yaml", "stage: none\n".into()),
            ("charts/redis/values-dev.yaml", "stage: dev\n".into()),
            ("charts/redis/values-prod.yaml", "stage: prod\n".into()),
            // A variant, not an environment.
            ("charts/redis/values-ha.yaml", "stage: ha\n".into()),
            (
                "charts/redis/templates/configmap.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Values.stage }}\ndata:\n  stage: {{ .Values.stage | quote }}\n".into(),
            ),
        ]),
    );
    let (config, stdout) = init(&env, &repo);
    assert!(
        stdout.contains("app redis: charts/redis") && stdout.contains("Helm chart"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Chart `charts/redis`: `values-ha.yaml` name no environment"),
        "{stdout}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[
            ("redis", "dev", "redis-dev"),
            ("redis", "prod", "redis-prod"),
        ],
        &config,
    );
}

#[test]
fn init_app_directories_without_environments_take_them_from_context_names() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-dev", "kind-prod"]);
    let repo = TempRepo::new("shared-services", false);
    repo.commit(
        "main",
        &files(&[
            ("apps/dns/configmap.yaml", configmap("dns")),
            (
                "apps/ingress/kustomization.yaml",
                "resources:\n  - configmap.yaml\n".into(),
            ),
            ("apps/ingress/configmap.yaml", configmap("ingress")),
        ]),
    );
    let (config, stdout) = init(&env, &repo);
    assert!(
        stdout.contains("apps/{app}") && stdout.contains("dns (every environment)"),
        "{stdout}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[
            ("dns", "dev", "dns"),
            ("dns", "prod", "dns"),
            ("ingress", "dev", "ingress"),
            ("ingress", "prod", "ingress"),
        ],
        &config,
    );
}

#[test]
fn init_branch_per_environment_in_a_bare_repository() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-staging", "kind-prod"]);
    let repo = TempRepo::new("deploy.git", true);
    repo.commit(
        "main",
        &files(&[("README.md", "one branch per environment\n".into())]),
    );
    for stage in ["staging", "prod"] {
        repo.commit(
            stage,
            &files(&[
                (
                    "apps/web/configmap.yaml",
                    configmap(&format!("web-{stage}")),
                ),
                (
                    "apps/api/configmap.yaml",
                    configmap(&format!("api-{stage}")),
                ),
            ]),
        );
    }
    // A feature branch is not an environment.
    repo.commit(
        "feature/prod-tuning",
        &files(&[("apps/web/configmap.yaml", configmap("web-tuning"))]),
    );
    let (config, stdout) = init(&env, &repo);
    assert!(
        stdout.contains("staging (branch staging) → context kind-staging")
            && stdout.contains("prod (branch prod) → context kind-prod"),
        "{stdout}"
    );
    assert!(stdout.contains("default branch `main`"), "{stdout}");
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[
            ("api", "prod", "api-prod"),
            ("api", "staging", "api-staging"),
            ("web", "prod", "web-prod"),
            ("web", "staging", "web-staging"),
        ],
        &config,
    );
}

#[test]
fn init_branch_per_environment_in_a_fresh_clone_reads_the_remote_tracking_branches() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-staging", "kind-prod"]);
    let origin = TempRepo::new("deploy", false);
    origin.commit("main", &files(&[("README.md", "deploy\n".into())]));
    for stage in ["staging", "prod"] {
        origin.commit(
            stage,
            &files(&[(
                "apps/web/configmap.yaml",
                configmap(&format!("web-{stage}")),
            )]),
        );
    }
    let clone_dir = tempfile::tempdir().expect("tempdir");
    let clone_path = clone_dir.path().join("deploy");
    git2::Repository::clone(origin.path.to_str().expect("utf-8"), &clone_path).expect("clone");
    let clone = TempRepo {
        path: clone_path,
        repo: git2::Repository::open(clone_dir.path().join("deploy")).expect("open"),
        dir: clone_dir,
    };
    let (config, stdout) = init(&env, &clone);
    assert!(
        stdout.contains("staging (branch staging) → context kind-staging")
            && stdout.contains("prod (branch prod) → context kind-prod"),
        "{stdout}"
    );
    // Nothing moves `origin/prod` but a fetch: the user is told, not left with stale state.
    assert!(
        stdout.contains("only as remote-tracking branches (`origin/prod`, `origin/staging`)"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&config).expect("config");
    assert!(
        written.contains(&format!("# url = \"{}\"", origin.path.display())),
        "{written}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[
            ("web", "prod", "web-prod"),
            ("web", "staging", "web-staging"),
        ],
        &config,
    );
}

#[test]
fn init_reports_ambiguous_context_names_and_leaves_the_choice_commented() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-dev", "prod-eu1", "prod-us1"]);
    let repo = TempRepo::new("platform", false);
    repo.commit(
        "main",
        &files(&[
            ("dev/web/configmap.yaml", configmap("web-dev")),
            ("prod/web/configmap.yaml", configmap("web-prod")),
        ]),
    );
    let (config, stdout) = init(&env, &repo);
    assert!(
        stdout.contains("prod → ambiguous: prod-eu1, prod-us1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("several contexts on different clusters fit (prod-eu1, prod-us1)"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&config).expect("config");
    assert!(
        written.contains("# [[environment]]\n# name = \"prod\"\n# context = \"prod-eu1\"\n# context = \"prod-us1\"\n"),
        "{written}"
    );
    // The file loads as written, with the clear environment only.
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(&report, &[("web", "dev", "web-dev")], &config);

    // `--context` limits the contexts init considers: that settles it.
    let settled = repo.dir.path().join("settled.toml");
    let run = kubedrift(
        env.dir.path(),
        &[
            "init",
            "--repo",
            repo.path.to_str().expect("utf-8"),
            "--kubeconfig",
            env.kubeconfig_path().to_str().expect("utf-8"),
            "--context",
            "kind-dev",
            "--context",
            "prod-us1",
            "--output",
            settled.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("prod → context prod-us1 (its name says prod)"),
        "{}",
        run.stdout
    );

    // The user keeps prod-us1 and uncomments the block: prod is followed too.
    let chosen = written.replace(
        "# [[environment]]\n# name = \"prod\"\n# context = \"prod-eu1\"\n# context = \"prod-us1\"\n",
        "[[environment]]\nname = \"prod\"\ncontext = \"prod-us1\"\n",
    );
    std::fs::write(&config, chosen).expect("edit");
    let (_, report) = status(&env, &config);
    assert_found(
        &report,
        &[("web", "dev", "web-dev"), ("web", "prod", "web-prod")],
        &config,
    );
}

#[test]
fn init_never_overwrites_without_force() {
    let repo = TempRepo::new("platform", false);
    repo.commit(
        "main",
        &files(&[("envs/dev/kustomization.yaml", "resources: []\n".into())]),
    );
    let home = tempfile::tempdir().expect("home");
    let kubeconfig = offline_kubeconfig(home.path(), &[("dev", "dev")]);
    let output = home.path().join("config.toml");
    std::fs::write(&output, "# my hand-written config\n").expect("existing");
    let args = |force: bool| {
        let mut args = vec![
            "init".to_string(),
            "--repo".into(),
            repo.path.display().to_string(),
            "--kubeconfig".into(),
            kubeconfig.display().to_string(),
            "--output".into(),
            output.display().to_string(),
        ];
        if force {
            args.push("--force".into());
        }
        args
    };

    let refused = kubedrift(
        home.path(),
        &args(false).iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("already exists") && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&output).expect("still there"),
        "# my hand-written config\n"
    );

    // `--output -` prints the config and writes nothing.
    let printed = init_printed(home.path(), &repo.path, &kubeconfig, &[]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    assert!(
        printed
            .stdout
            .contains("[[environment]]\nname = \"dev\"\ncontext = \"dev\"\n"),
        "{}",
        printed.stdout
    );

    let forced = kubedrift(
        home.path(),
        &args(true).iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let written = std::fs::read_to_string(&output).expect("written");
    assert_eq!(written, printed.stdout);
    kubedrift::config::Config::load_file(&output).expect("the forced config loads");
}

#[test]
fn init_without_a_recognisable_layout_or_repository_exits_2() {
    let home = tempfile::tempdir().expect("home");
    let not_a_repo = kubedrift(
        home.path(),
        &[
            "init",
            "--repo",
            home.path().to_str().expect("utf-8"),
            "--output",
            "-",
        ],
        None,
    );
    assert_eq!(not_a_repo.code, 2);
    assert!(
        not_a_repo.stderr.contains("--repo"),
        "{}",
        not_a_repo.stderr
    );

    let repo = TempRepo::new("notes", false);
    repo.commit("main", &files(&[("README.md", "no manifests\n".into())]));
    let kubeconfig = offline_kubeconfig(home.path(), &[]);
    let empty = init_printed(home.path(), &repo.path, &kubeconfig, &[]);
    assert_eq!(empty.code, 2);
    assert!(
        empty.stderr.contains("found no app directories"),
        "{}",
        empty.stderr
    );
}

#[test]
fn init_is_in_completions_and_has_a_man_page() {
    let home = tempfile::tempdir().expect("home");
    let bash = kubedrift(home.path(), &["completions", "bash"], None);
    assert_eq!(bash.code, 0);
    assert!(
        bash.stdout.contains("kubedrift__subcmd__init"),
        "init missing from completions"
    );
    assert!(bash.stdout.contains("--force"));
    let man = kubedrift(home.path(), &["man", "init"], None);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(
        man.stdout.contains("kubedrift\\-init") && man.stdout.contains("\\-\\-force"),
        "{}",
        man.stdout
    );
}

/// Every (app, env) of `expected` is reported OutOfSync with exactly the ConfigMaps named
/// there, all Missing, and nothing else is reported (so no object is in two apps).
fn assert_apps(report: &Report, expected: &[(&str, &str, &[&str])], config: &Path) {
    let want: Report = expected
        .iter()
        .map(|(app, env, configmaps)| {
            (
                (app.to_string(), env.to_string()),
                (
                    "OutOfSync".to_string(),
                    configmaps
                        .iter()
                        .map(|c| format!("ConfigMap/{c} Missing"))
                        .collect(),
                ),
            )
        })
        .collect();
    assert_eq!(
        report,
        &want,
        "config:\n{}",
        std::fs::read_to_string(config).unwrap_or_default()
    );
}

#[test]
fn init_flux_repository_reads_each_cluster_directory_as_one_app() {
    if kubectl_missing() {
        return;
    }
    // flux2-kustomize-helm-example's layout; `prod-eu1` says production (aliases fold).
    let env = sandbox(&["kind-staging", "prod-eu1"]);
    let repo = TempRepo::new("flux2-kustomize-helm-example", false);
    let mut tree = files(&[
        (".github/workflows/e2e.yaml", "on: push\n".into()),
        ("scripts/validate.sh", "#!/bin/sh\n".into()),
        (
            "apps/base/podinfo/kustomization.yaml",
            "resources:\n  - configmap.yaml\n".into(),
        ),
        ("apps/base/podinfo/configmap.yaml", configmap("podinfo")),
        (
            "infrastructure/controllers/kustomization.yaml",
            "resources:\n  - configmap.yaml\n".into(),
        ),
        (
            "infrastructure/controllers/configmap.yaml",
            configmap("controllers"),
        ),
        ("infrastructure/configs/issuers.yaml", configmap("configs")),
    ]);
    for stage in ["production", "staging"] {
        tree.push((
            format!("apps/{stage}/kustomization.yaml"),
            format!("resources:\n  - ../base/podinfo\nnameSuffix: -{stage}\n"),
        ));
        tree.push((
            format!("clusters/{stage}/apps.yaml"),
            configmap(&format!("flux-apps-{stage}")),
        ));
        tree.push((
            format!("clusters/{stage}/flux-system/gotk-sync.yaml"),
            configmap(&format!("flux-system-{stage}")),
        ));
        tree.push((
            format!("clusters/{stage}/flux-system/kustomization.yaml"),
            "resources:\n  - gotk-sync.yaml\n".into(),
        ));
    }
    repo.commit("main", &tree);

    let (config, stdout) = init(&env, &repo);
    assert!(
        stdout.contains("{app}/{env}")
            && stdout.contains("apps (production, staging), clusters (production, staging)")
            && stdout.contains("infrastructure/{app}")
            && !stdout.contains("flux-system ("),
        "{stdout}"
    );
    assert!(
        stdout.contains("production → context prod-eu1")
            && stdout.contains("staging → context kind-staging"),
        "{stdout}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    // Flux's bootstrap is in its cluster's app, once: not an app of its own as well.
    assert_apps(
        &report,
        &[
            ("apps", "production", &["podinfo-production"]),
            ("apps", "staging", &["podinfo-staging"]),
            (
                "clusters",
                "production",
                &["flux-apps-production", "flux-system-production"],
            ),
            (
                "clusters",
                "staging",
                &["flux-apps-staging", "flux-system-staging"],
            ),
            ("configs", "production", &["configs"]),
            ("configs", "staging", &["configs"]),
            ("controllers", "production", &["controllers"]),
            ("controllers", "staging", &["controllers"]),
        ],
        &config,
    );
}

#[test]
fn init_environment_directories_at_the_root_are_never_apps_of_every_environment() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-dev", "kind-prod"]);
    // Each environment's directory holds its manifests: the repository is one app.
    let whole = TempRepo::new("edge", false);
    whole.commit(
        "main",
        &files(&[
            ("dev/configmap.yaml", configmap("edge-dev")),
            ("prod/configmap.yaml", configmap("edge-prod")),
        ]),
    );
    let (config, stdout) = init(&env, &whole);
    assert!(stdout.contains("app edge: {env}"), "{stdout}");
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[("edge", "dev", "edge-dev"), ("edge", "prod", "edge-prod")],
        &config,
    );

    // Manifests next to app directories: the apps, and a check for the rest.
    let mixed = TempRepo::new("platform", false);
    mixed.commit(
        "main",
        &files(&[
            ("dev/namespaces.yaml", configmap("ns-dev")),
            ("dev/web/configmap.yaml", configmap("web-dev")),
            ("prod/namespaces.yaml", configmap("ns-prod")),
            ("prod/web/configmap.yaml", configmap("web-prod")),
        ]),
    );
    let (config, stdout) = init(&env, &mixed);
    assert!(
        stdout.contains(
            "Manifests next to the app directories in `dev`, `prod`: no app includes them"
        ),
        "{stdout}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    // Not `prod` (its directory) compared on the dev cluster as an app of every environment.
    assert_found(
        &report,
        &[("web", "dev", "web-dev"), ("web", "prod", "web-prod")],
        &config,
    );
}

#[test]
fn init_lists_the_apps_when_the_root_pattern_would_take_other_directories() {
    if kubectl_missing() {
        return;
    }
    let env = sandbox(&["kind-dev"]);
    // argocd-example-apps' layout: apps at the root, next to docs, CI and a jsonnet app.
    let repo = TempRepo::new("argocd-example-apps", false);
    repo.commit(
        "master",
        &files(&[
            (".github/workflows/ci.yaml", "on: push\njobs: {}\n".into()),
            ("docs/index.md", "# docs\n".into()),
            ("jsonnet-guestbook/guestbook-ui.jsonnet", "{}\n".into()),
            ("guestbook/configmap.yaml", configmap("guestbook-ui")),
            (
                "kustomize-guestbook/kustomization.yaml",
                "namePrefix: kustomize-\nresources:\n  - configmap.yaml\n".into(),
            ),
            (
                "kustomize-guestbook/configmap.yaml",
                configmap("guestbook-ui"),
            ),
        ]),
    );
    repo.repo.set_head("refs/heads/master").expect("head");
    let (config, stdout) = init(&env, &repo);
    assert!(
        stdout.contains(
            "Pattern `{app}` would also take `.github`, `docs`, `jsonnet-guestbook` as apps"
        ),
        "{stdout}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    // Exactly the apps init reported: no `.github`, `docs` or jsonnet app shown as Synced.
    assert_found(
        &report,
        &[
            ("guestbook", "dev", "guestbook-ui"),
            ("kustomize-guestbook", "dev", "kustomize-guestbook-ui"),
        ],
        &config,
    );

    // A monorepo with one app without overlays: `apps/{app}` for it would find the overlay
    // apps a second time, which status refuses; it is listed instead.
    let mono = TempRepo::new("mono", false);
    mono.commit(
        "main",
        &files(&[
            (
                "apps/web/base/kustomization.yaml",
                "resources:\n  - configmap.yaml\n".into(),
            ),
            ("apps/web/base/configmap.yaml", configmap("web")),
            (
                "apps/web/overlays/dev/kustomization.yaml",
                "resources:\n  - ../../base\nnameSuffix: -dev\n".into(),
            ),
            ("apps/legacy/configmap.yaml", configmap("legacy")),
            // Values for a chart from a Helm repository (an Argo CD multi-source app).
            (
                "apps/cert-manager/values.yaml",
                "installCRDs: true\n".into(),
            ),
            (
                "apps/cert-manager/values-dev.yaml",
                "replicaCount: 1\n".into(),
            ),
        ]),
    );
    let (config, stdout) = init(&env, &mono);
    assert!(
        stdout.contains("app legacy: apps/legacy")
            && stdout
                .contains("Pattern `apps/{app}` would also take `apps/cert-manager`, `apps/web`"),
        "{stdout}"
    );
    // Not an app shown Synced with nothing compared.
    assert!(
        stdout.contains("Helm values files without a chart in `apps/cert-manager` (the chart"),
        "{stdout}"
    );
    let (code, report) = status(&env, &config);
    assert_eq!(code, 1);
    assert_found(
        &report,
        &[("legacy", "dev", "legacy"), ("web", "dev", "web-dev")],
        &config,
    );
}

#[test]
fn init_refuses_an_unknown_context_and_ignores_provider_words_in_context_names() {
    let repo = TempRepo::new("platform", false);
    repo.commit(
        "main",
        &files(&[
            (
                "apps/web/overlays/prod/kustomization.yaml",
                "resources: []\n".into(),
            ),
            (
                "infrastructure/aws/kustomization.yaml",
                "resources: []\n".into(),
            ),
            (
                "infrastructure/gcp/kustomization.yaml",
                "resources: []\n".into(),
            ),
        ]),
    );
    let home = tempfile::tempdir().expect("home");
    let kubeconfig = offline_kubeconfig(
        home.path(),
        &[
            ("arn:aws:eks:eu-west-1:123456789012:cluster/prod", "eks"),
            ("kind-dev", "dev"),
        ],
    );
    let output = home.path().join("config.toml");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "init",
            "--repo",
            repo.path.to_str().expect("utf-8"),
            "--kubeconfig",
            kubeconfig.to_str().expect("utf-8"),
            "--output",
            output.to_str().expect("utf-8"),
        ];
        args.extend(extra);
        kubedrift(home.path(), &args, None)
    };

    // A typo in --context is an error, not a config without environments.
    let typo = run(&["--context", "kind-dve"]);
    assert_eq!(typo.code, 2, "{}", typo.stdout);
    assert!(
        typo.stderr.contains("no context named \"kind-dve\"")
            && typo.stderr.contains("did you mean \"kind-dev\""),
        "{}",
        typo.stderr
    );
    assert!(!output.exists());

    // `aws` is a word of the EKS context's name, not an environment: infrastructure/aws is
    // an app like infrastructure/gcp. The next step names the kubeconfig init read.
    let written = run(&[]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert!(
        written
            .stdout
            .contains("infrastructure/{app} — app directories without environments")
            && written
                .stdout
                .contains("apps: aws (every environment), gcp (every environment)"),
        "{}",
        written.stdout
    );
    // kind-dev names an environment the repository does not have.
    assert!(
        written
            .stdout
            .contains("Contexts naming environments the repository does not: `kind-dev`; add an"),
        "{}",
        written.stdout
    );
    assert!(
        written.stdout.contains(&format!(
            "Next: kubedrift status --config {} --kubeconfig {}\n",
            output.display(),
            kubeconfig.display()
        )),
        "{}",
        written.stdout
    );
}

#[test]
fn init_leaves_out_a_branch_it_cannot_read_and_says_so() {
    let repo = TempRepo::new("platform", false);
    repo.commit(
        "main",
        &files(&[("envs/dev/kustomization.yaml", "resources: []\n".into())]),
    );
    // A branch naming an object the repository does not have (a broken ref, a partial clone).
    std::fs::write(
        repo.path.join(".git/refs/heads/prod"),
        "1234567890123456789012345678901234567890\n",
    )
    .expect("ref");
    let home = tempfile::tempdir().expect("home");
    let kubeconfig = offline_kubeconfig(home.path(), &[("kind-dev", "dev")]);
    let run = init_printed(home.path(), &repo.path, &kubeconfig, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("#   - Branch `prod` could not be read, so it was not looked at: "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("[[environment]]\nname = \"dev\"\ncontext = \"kind-dev\"\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn init_without_output_writes_where_the_other_commands_read_the_config() {
    let repo = TempRepo::new("platform", false);
    repo.commit(
        "main",
        &files(&[("envs/dev/configmap.yaml", configmap("platform-dev"))]),
    );
    let home = tempfile::tempdir().expect("home");
    let kubeconfig = offline_kubeconfig(home.path(), &[("kind-dev", "dev")]);
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
    command
        .args(["init", "--repo"])
        .arg(&repo.path)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("KUBEDRIFT_CONFIG")
        .env_remove("KUBECONFIG");
    let run: Run = command.output().expect("kubedrift runs").into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The XDG config dir on Linux (XDG_CONFIG_HOME unset).
    let written = home.path().join(".config/kubedrift/config.toml");
    assert!(
        run.stdout
            .contains(&format!("Wrote {}.", written.display())),
        "{}",
        run.stdout
    );
    // `render` (no cluster needed) finds that config without --config.
    let mut render = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
    render
        .args(["render", "platform", "--env", "dev"])
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("KUBEDRIFT_CONFIG")
        .env_remove("KUBECONFIG");
    let rendered: Run = render.output().expect("kubedrift runs").into();
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    assert!(
        rendered.stdout.contains("name: platform-dev"),
        "{}",
        rendered.stdout
    );
}

#[test]
fn init_never_copies_credentials_from_the_origin_url() {
    let repo = TempRepo::new("platform", false);
    repo.commit(
        "main",
        &files(&[("envs/dev/kustomization.yaml", "resources: []\n".into())]),
    );
    let home = tempfile::tempdir().expect("home");
    let kubeconfig = offline_kubeconfig(home.path(), &[("kind-dev", "dev")]);
    let check = "The `origin` URL embeds credentials, so it was not copied into the config";
    for secret_url in [
        "https://ci-bot:s3cr3t-pass@git.example.com/acme/platform.git",
        "https://ghp_s3cr3tToken@github.com/acme/platform.git",
    ] {
        repo.repo.remote("origin", secret_url).expect("remote");
        let output = home.path().join("config.toml");
        let mut args = vec![
            "init".to_string(),
            "--repo".into(),
            repo.path.display().to_string(),
            "--kubeconfig".into(),
            kubeconfig.display().to_string(),
            "--output".into(),
            output.display().to_string(),
            "--force".into(),
        ];
        let written = kubedrift(
            home.path(),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            None,
        );
        args.truncate(5);
        args.extend(["--output".into(), "-".into()]);
        let printed = kubedrift(
            home.path(),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            None,
        );
        let file = std::fs::read_to_string(&output).expect("written");
        for (what, text) in [
            ("stdout", &written.stdout),
            ("stderr", &written.stderr),
            ("printed", &printed.stdout),
            ("file", &file),
        ] {
            assert!(!text.contains("s3cr3t"), "{what} holds the secret:\n{text}");
        }
        assert!(written.stdout.contains(check), "{}", written.stdout);
        repo.repo.remote_delete("origin").expect("delete remote");
    }

    // An SSH login name is no secret: the URL is offered (commented out), without the check.
    repo.repo
        .remote("origin", "ssh://git@git.example.com/acme/platform.git")
        .expect("remote");
    let printed = init_printed(home.path(), &repo.path, &kubeconfig, &[]);
    assert!(
        printed
            .stdout
            .contains("# url = \"ssh://git@git.example.com/acme/platform.git\""),
        "{}",
        printed.stdout
    );
    assert!(!printed.stdout.contains(check), "{}", printed.stdout);
}
