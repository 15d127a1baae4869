//! Apps rendering a chart from a Helm chart repository: a repository the test serves itself
//! on 127.0.0.1 (a directory made with `helm package` and `helm repo index`), the real helm,
//! the real binary. Skipped without helm unless `KUBEDRIFT_REQUIRE_HELM` is set.

use kubedrift_testkit::show;
use kubedrift_testkit::{Run, SandboxEnv};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Whether helm is on PATH; without it the test is skipped, unless CI requires helm.
pub(crate) fn helm_available() -> bool {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join("helm").is_file()))
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var_os("KUBEDRIFT_REQUIRE_HELM").is_none(),
            "KUBEDRIFT_REQUIRE_HELM is set but helm is not on PATH"
        );
        eprintln!("helm is not installed here: skipping the chart repository test");
    }
    found
}

/// The credentials `/private/...` accepts (HTTP basic auth): a user and password, or a token
/// as the user name alone (`https://TOKEN@host/...`, which helm does not send).
const ROBOT: (&str, &str) = ("robot", "s3cr3t-p@ss");
const TOKEN_USER: &str = "t0ken-as-user-s3cr3t";

/// A static file server on 127.0.0.1 that counts the requests for each path. The files are
/// served under `/charts/` and, with [`ROBOT`]'s basic auth only, under `/private/`.
pub(crate) struct ChartServer {
    pub(crate) url: String,
    requests: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl ChartServer {
    pub(crate) fn start(root: PathBuf) -> ChartServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/charts", listener.local_addr().expect("addr"));
        let requests: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let counts = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // The headers: only Authorization matters.
                let mut authorized = false;
                let basic = |user: &str, password: &str| {
                    format!(
                        "basic {}",
                        base64::Engine::encode(
                            &base64::engine::general_purpose::STANDARD,
                            format!("{user}:{password}")
                        )
                    )
                };
                let accepted = [basic(ROBOT.0, ROBOT.1), basic(TOKEN_USER, "")];
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("authorization")
                            && accepted
                                .iter()
                                .any(|a| value.trim().eq_ignore_ascii_case(a))
                        {
                            authorized = true;
                        }
                    }
                    line.clear();
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                *counts
                    .lock()
                    .expect("lock")
                    .entry(path.clone())
                    .or_default() += 1;
                let file = path
                    .strip_prefix("/charts/")
                    .or_else(|| path.strip_prefix("/private/").filter(|_| authorized))
                    .filter(|name| !name.contains(['/', '\\']) && !name.starts_with('.'))
                    .map(|name| root.join(name));
                let (status, body) = match file.and_then(|f| std::fs::read(f).ok()) {
                    Some(body) => ("200 OK", body),
                    None => ("404 Not Found", b"not found\n".to_vec()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        ChartServer { url, requests }
    }

    fn total(&self) -> usize {
        self.requests.lock().expect("lock").values().sum()
    }

    pub(crate) fn count(&self, path: &str) -> usize {
        self.requests
            .lock()
            .expect("lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

const TEMPLATE: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  chartVersion: {{ .Chart.Version | quote }}
  environment: {{ .Values.environment | quote }}
  greeting: {{ .Values.greeting | quote }}
  replicas: {{ .Values.replicas | quote }}
"#;

/// `dir/repo` with chart `web` at 0.1.0, 0.1.5 and 0.2.0 and its index.
pub(crate) fn chart_repository(dir: &Path) -> PathBuf {
    let chart = dir.join("src/web");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        chart.join("values.yaml"),
        "environment: none\ngreeting: hello\nreplicas: 1\n",
    )
    .expect("values.yaml");
    std::fs::write(chart.join("templates/settings.yaml"), TEMPLATE).expect("template");
    let repo = dir.join("repo");
    for version in ["0.1.0", "0.1.5", "0.2.0"] {
        let out = Command::new("helm")
            .args(["package", "--version", version, "-d"])
            .arg(&repo)
            .arg(&chart)
            .output()
            .expect("helm package runs");
        assert!(out.status.success(), "{out:?}");
    }
    let out = Command::new("helm")
        .args(["repo", "index"])
        .arg(&repo)
        .output()
        .expect("helm repo index runs");
    assert!(out.status.success(), "{out:?}");
    repo
}

fn commit_files(repo: &git2::Repository, files: &[(&str, &str)]) {
    let workdir = repo.workdir().expect("work tree").to_path_buf();
    for (path, content) in files {
        let full = workdir.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("index write");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("Test", "test@example.com").expect("sig");
    repo.commit(Some("HEAD"), &sig, &sig, "values", &tree, &[])
        .expect("commit");
}

struct Fixture {
    dir: tempfile::TempDir,
    config: PathBuf,
    cache: PathBuf,
}

impl Fixture {
    /// A Git repo with per-environment values files and a config with app `web` (chart
    /// 0.2.0 in dev, 0.1.0 in prod, from `chart_url`) and app `broken` (a repository
    /// nobody listens on).
    fn new(chart_url: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init(dir.path().join("gitops")).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        commit_files(
            &repo,
            &[
                ("envs/dev/values.yaml", "environment: dev # from Git\n"),
                ("envs/prod/values.yaml", "environment: prod # from Git\n"),
            ],
        );
        let config = dir.path().join("kubedrift.toml");
        std::fs::write(
            &config,
            format!(
                r#"[[repo]]
name = "gitops"
path = "gitops"

[[environment]]
name = "dev"
context = "dev"
namespace = "shop"

[[environment]]
name = "prod"
context = "dev"
namespace = "shop-prod"

[[app]]
name = "web"
path = "envs/{{env}}"
chart = {{ repo = "{chart_url}", name = "web", version = {{ dev = "0.2.0", prod = "0.1.0" }} }}
helm = {{ values = ["values.yaml"], set = {{ greeting = "from the config", replicas = 3 }} }}

[[app]]
name = "broken"
chart = {{ repo = "http://127.0.0.1:1/unreachable", name = "web", version = "0.1.0" }}

[[app]]
name = "missing"
chart = {{ repo = "{chart_url}", name = "web", version = "9.9.9" }}

[[app]]
name = "private"
chart = {{ repo = "http://robot:s3cr3t-t0ken@127.0.0.1:1/private", name = "web", version = "0.1.0" }}
"#
            ),
        )
        .expect("config");
        let cache = dir.path().join("chart-cache");
        Fixture { dir, config, cache }
    }

    fn kubedrift(&self, args: &[&str]) -> Run {
        Command::new(env!("CARGO_BIN_EXE_kubedrift"))
            .args(args)
            .env("KUBEDRIFT_CONFIG", &self.config)
            .env("KUBEDRIFT_CHART_CACHE", &self.cache)
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .output()
            .expect("kubedrift runs")
            .into()
    }
}

#[test]
fn a_chart_from_a_chart_repository_renders_per_environment_version_and_is_fetched_once() {
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    let fx = Fixture::new(&server.url);

    let dev = fx.kubedrift(&["render", "web", "--env", "dev", "--output", "json"]);
    assert_eq!(dev.code, 0, "{}", show(&dev));
    let list: serde_json::Value = serde_json::from_str(&dev.stdout).expect("json");
    let data = &list["items"][0]["data"];
    assert_eq!(data["chartVersion"], "0.2.0", "{}", show(&dev));
    assert_eq!(data["environment"], "dev", "values file from Git");
    assert_eq!(data["greeting"], "from the config", "inline set value");
    assert_eq!(data["replicas"], "3");
    assert_eq!(list["items"][0]["metadata"]["namespace"], "shop");
    assert_eq!(server.count("/charts/web-0.2.0.tgz"), 1);
    assert_eq!(server.count("/charts/web-0.1.0.tgz"), 0);

    let prod = fx.kubedrift(&["render", "web", "--env", "prod", "--output", "json"]);
    assert_eq!(prod.code, 0, "{}", show(&prod));
    let list: serde_json::Value = serde_json::from_str(&prod.stdout).expect("json");
    assert_eq!(list["items"][0]["data"]["chartVersion"], "0.1.0");
    assert_eq!(list["items"][0]["data"]["environment"], "prod");
    assert_eq!(server.count("/charts/web-0.1.0.tgz"), 1);

    // Both versions are known now: rendering them again fetches nothing at all.
    let before = server.total();
    for env in ["dev", "prod"] {
        let again = fx.kubedrift(&["render", "web", "--env", env, "--output", "json"]);
        assert_eq!(again.code, 0, "{}", show(&again));
    }
    assert_eq!(server.total(), before, "a known version was fetched again");
    let cached: Vec<PathBuf> = walk(&fx.cache)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tgz"))
        .collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    assert!(fx.dir.path().exists());
}

#[test]
fn a_corrupt_cached_chart_is_pulled_again_not_trusted() {
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    let fx = Fixture::new(&server.url);
    let first = fx.kubedrift(&["render", "web", "--env", "dev", "--output", "json"]);
    assert_eq!(first.code, 0, "{}", show(&first));
    assert_eq!(server.count("/charts/web-0.2.0.tgz"), 1);
    let archive = walk(&fx.cache)
        .into_iter()
        .find(|p| p.ends_with("web/0.2.0.tgz"))
        .expect("the cached archive");
    let bytes = std::fs::read(&archive).expect("archive");
    // A half-written archive (a full disk, a crash, another tool), then an emptied one.
    for damaged in [&bytes[..bytes.len() / 2], &b""[..]] {
        std::fs::write(&archive, damaged).expect("damage");
        let again = fx.kubedrift(&["render", "web", "--env", "dev", "--output", "json"]);
        assert_eq!(again.code, 0, "{}", show(&again));
        let list: serde_json::Value = serde_json::from_str(&again.stdout).expect("json");
        assert_eq!(list["items"][0]["data"]["chartVersion"], "0.2.0");
        assert_eq!(std::fs::read(&archive).expect("archive"), bytes, "repaired");
    }
    assert_eq!(
        server.count("/charts/web-0.2.0.tgz"),
        3,
        "pulled again each time"
    );
    // Intact again: the next render fetches nothing.
    let before = server.total();
    let cached = fx.kubedrift(&["render", "web", "--env", "dev", "--output", "json"]);
    assert_eq!(cached.code, 0, "{}", show(&cached));
    assert_eq!(server.total(), before);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn an_unreachable_chart_repository_is_that_apps_error_naming_the_url() {
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    let fx = Fixture::new(&server.url);

    let broken = fx.kubedrift(&["render", "broken", "--env", "dev"]);
    assert_eq!(broken.code, 2, "{}", show(&broken));
    assert!(
        broken.stderr.contains("http://127.0.0.1:1/unreachable"),
        "{}",
        show(&broken)
    );

    // A version the repository does not have: the app's error, with the URL.
    let missing = fx.kubedrift(&["render", "missing", "--env", "dev"]);
    assert_eq!(missing.code, 2, "{}", show(&missing));
    assert!(
        missing
            .stderr
            .contains(&format!("chart web 9.9.9 from {}", server.url))
            && missing.stderr.contains("not found"),
        "{}",
        show(&missing)
    );

    // Credentials in a repository URL never show, in the error either.
    let private = fx.kubedrift(&["render", "private", "--env", "dev"]);
    assert_eq!(private.code, 2, "{}", show(&private));
    assert!(
        private.stderr.contains("http://***@127.0.0.1:1/private"),
        "{}",
        show(&private)
    );
    assert!(
        !show(&private).contains("s3cr3t-t0ken"),
        "{}",
        show(&private)
    );

    // `status` over every app: the broken one shows its error with the URL, the chart app
    // next to it is rendered and compared (Missing: nothing is deployed).
    let sandbox = SandboxEnv::dev(Duration::from_secs(20));
    let status: Run = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(["status", "--env", "dev", "--output", "json", "--kubeconfig"])
        .arg(sandbox.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", &fx.config)
        .env("KUBEDRIFT_CHART_CACHE", &fx.cache)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("kubedrift status runs")
        .into();
    let text = show(&status);
    assert!(
        status.stdout.contains("http://127.0.0.1:1/unreachable"),
        "{text}"
    );
    let report: serde_json::Value = serde_json::from_str(&status.stdout).expect("json");
    let app = |name: &str| {
        report["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| a["app"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    let broken = app("broken");
    assert_eq!(broken["sync"], "Error", "{text}");
    assert!(
        broken["message"]
            .as_str()
            .is_some_and(|m| m.contains("http://127.0.0.1:1/unreachable")),
        "{text}"
    );
    assert!(!text.contains("s3cr3t-t0ken"), "{text}");
    let web = app("web");
    assert_ne!(web["sync"], "Error", "the other app is unaffected: {text}");
    assert!(
        web["resources"].to_string().contains("web-settings"),
        "{text}"
    );
    assert_eq!(
        status.code, 2,
        "an app in error makes the answer incomplete: {text}"
    );
}

#[test]
fn behind_by_counts_the_chart_versions_published_between_environments() {
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    let fx = Fixture::new(&server.url);
    let config = kubedrift::config::Config::load_file(&fx.config)
        .expect("config loads")
        .config;
    let repo = git2::Repository::open(fx.dir.path().join("gitops")).expect("open");
    let head = repo
        .refname_to_id("refs/heads/main")
        .expect("main")
        .to_string();
    let revision = format!("main@{}", &head[..7]);
    let dev = kubedrift::state::AppId::new("web", "dev");
    let prod = kubedrift::state::AppId::new("web", "prod");
    let request = kubedrift::tui::model::GitRequest {
        envs: vec!["dev".into(), "prod".into()],
        apps: vec![(dev.clone(), revision.clone()), (prod.clone(), revision)],
    };
    let facts = kubedrift::tui::gitfacts::read(&config, &request);
    let behind = facts.charts_behind.get(&prod).expect("prod is behind dev");
    assert_eq!(
        (behind.from.as_str(), behind.to.as_str()),
        ("0.1.0", "0.2.0")
    );
    assert_eq!(
        behind.versions,
        ["0.2.0", "0.1.5"],
        "SemVer order, newest first"
    );
    assert_eq!(behind.index_error, None);
    assert_eq!(facts.behind_by(&prod), 2, "same commit, two chart versions");
    assert!(!facts.charts_behind.contains_key(&dev));
    assert!(server.count("/charts/index.yaml") >= 1);
}

#[test]
fn a_chart_repository_that_does_not_answer_never_holds_back_the_commit_facts() {
    if !helm_available() {
        return;
    }
    // A repository that takes connections and never answers, until the listener is closed.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/charts", listener.local_addr().expect("addr"));
    let listener = Mutex::new(Some(listener));
    let fx = Fixture::new(&url);
    let config = kubedrift::config::Config::load_file(&fx.config)
        .expect("config loads")
        .config;
    let repo = git2::Repository::open(fx.dir.path().join("gitops")).expect("open");
    let head = repo
        .refname_to_id("refs/heads/main")
        .expect("main")
        .to_string();
    let revision = format!("main@{}", &head[..7]);
    let dev = kubedrift::state::AppId::new("web", "dev");
    let prod = kubedrift::state::AppId::new("web", "prod");
    let request = kubedrift::tui::model::GitRequest {
        envs: vec!["dev".into(), "prod".into()],
        apps: vec![(dev.clone(), revision.clone()), (prod.clone(), revision)],
    };
    let mut early = None;
    let facts = kubedrift::tui::gitfacts::read_in_two_steps(&config, &request, |git| {
        early = Some(git.clone());
        // Only now does the repository answer (by hanging up).
        drop(listener.lock().expect("lock").take());
    });
    let early = early.expect("the Git facts came first");
    assert!(
        early.commits.contains_key(&dev) && early.commits.contains_key(&prod),
        "{early:?}"
    );
    assert!(early.charts_behind.is_empty(), "{early:?}");
    // Then the chart versions, with the repository's error: prod runs 0.1.0, dev 0.2.0.
    let behind = facts.charts_behind.get(&prod).expect("prod is behind dev");
    assert_eq!(behind.versions, ["0.2.0"]);
    assert!(behind.index_error.is_some(), "{behind:?}");
    assert_eq!(facts.commits, early.commits);
}

#[test]
fn chart_settings_are_checked_at_load_with_the_line_of_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubedrift.toml");
    let load = |app: &str| {
        std::fs::write(
            &path,
            format!(
                "[[repo]]\nname = \"gitops\"\npath = \"gitops\"\n\n\
                 [[environment]]\nname = \"dev\"\ncontext = \"dev\"\n\n\
                 [[environment]]\nname = \"prod\"\ncontext = \"prod\"\n\n[[app]]\n{app}\n"
            ),
        )
        .expect("write");
        kubedrift::config::Config::load_file(&path).map(|l| l.config)
    };
    // A chart app needs no path; its chart is resolved per environment.
    let config = load(
        "name = \"web\"\nchart = { repo = \"https://robot:t0ken@charts.example.com/{env}\", name = \"web\", version = { prod = \"1.2.0\" } }",
    )
    .expect("valid");
    let prod = config
        .apps_for("prod", &BTreeMap::new())
        .expect("apps")
        .into_iter()
        .next()
        .expect("web in prod");
    let chart = prod.chart.expect("chart");
    assert_eq!(chart.repo, "https://robot:t0ken@charts.example.com/prod");
    assert_eq!(chart.version, "1.2.0");
    assert_eq!(prod.renderer, kubedrift::render::RendererKind::Helm);
    assert!(
        config
            .apps_for("dev", &BTreeMap::new())
            .expect("apps")
            .is_empty(),
        "no version for dev: not deployed there"
    );
    assert!(
        !format!("{config:?}").contains("t0ken"),
        "credentials in Debug"
    );

    for (app, expected) in [
        (
            "name = \"web\"\nchart = { repo = \"https://c.example.com\", name = \"web\", version = \"latest\" }",
            "not an exact SemVer chart version",
        ),
        (
            "name = \"web\"\nchart = { repo = \"oci://ghcr.io/acme\", name = \"web\", version = \"1.0.0\" }",
            "not an http(s) chart repository URL",
        ),
        (
            "name = \"web\"\nchart = { repo = \"https://c.example.com\", name = \"web\", version = { prdo = \"1.0.0\" } }",
            "did you mean `prod`?",
        ),
        (
            "name = \"web\"\nrenderer = \"kustomize\"\nchart = { repo = \"https://c.example.com\", name = \"web\", version = \"1.0.0\" }",
            "rendered with helm",
        ),
        (
            "name = \"web\"\nchart = { repo = \"https://c.example.com\", name = \"../web\", version = \"1.0.0\" }",
            "not a chart name",
        ),
        ("name = \"web\"", "needs `path`"),
    ] {
        let err = load(app).expect_err(app).to_string();
        assert!(err.contains(expected), "{app}: {err}");
        assert!(err.contains("kubedrift.toml:"), "the file and line: {err}");
    }
}

#[test]
fn apps_rendering_one_chart_version_in_parallel_fetch_it_once() {
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    let fx = Fixture::new(&server.url);
    let config = kubedrift::config::Config::load_file(&fx.config)
        .expect("config loads")
        .config;
    let repos = kubedrift::desired::Repos::open(&config);
    let app = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("web");
    let repo = repos.get(&app.repo).expect("repo").clone();
    let revision = repo.resolve(&app.git_ref).expect("ref");
    let limits = kubedrift::manifest::ManifestLimits::default();
    std::thread::scope(|scope| {
        let renders: Vec<_> = (0..4)
            .map(|_| {
                let (app, repo, revision, cache) = (&app, repo.clone(), &revision, &fx.cache);
                scope.spawn(move || {
                    let source = kubedrift::git::CommitSource::new(repo, revision);
                    let mut request = kubedrift::desired::render_request(app, &source, &limits);
                    request.tools.chart_cache = Some(cache.clone());
                    kubedrift::render::render(&request).map(|r| r.objects.len())
                })
            })
            .collect();
        for render in renders {
            assert_eq!(render.join().expect("no panic"), Ok(1));
        }
    });
    assert_eq!(
        server.count("/charts/web-0.2.0.tgz"),
        1,
        "fetched more than once"
    );
}

#[cfg(unix)]
#[test]
fn credentials_in_the_repository_url_never_reach_helms_command_line() {
    use std::os::unix::fs::PermissionsExt;
    if !helm_available() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = ChartServer::start(chart_repository(scratch.path()));
    // helm behind a wrapper that records every command line it is given.
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let log = scratch.path().join("helm-args.log");
    let real = std::env::split_paths(&std::env::var_os("PATH").expect("PATH"))
        .map(|dir| dir.join("helm"))
        .find(|p| p.is_file())
        .expect("helm");
    let wrapper = bin.join("helm");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .expect("wrapper");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").expect("PATH"),
    )))
    .expect("PATH");
    let password = format!("{}:{}", ROBOT.0, ROBOT.1.replace('@', "%40"));
    for (userinfo, secret) in [(password.as_str(), ROBOT.1), (TOKEN_USER, TOKEN_USER)] {
        let private = server
            .url
            .replace("http://", &format!("http://{userinfo}@"))
            .replace("/charts", "/private");
        let fx = Fixture::new(&private);
        let _ = std::fs::remove_file(&log);
        let run: Run = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
            .args(["render", "web", "--env", "dev", "--output", "json"])
            .env("PATH", &path)
            .env("KUBEDRIFT_CONFIG", &fx.config)
            .env("KUBEDRIFT_CHART_CACHE", &fx.cache)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("kubedrift runs")
            .into();
        let args = std::fs::read_to_string(&log).expect("helm was run");
        if secret == ROBOT.1 {
            assert_eq!(run.code, 0, "{}", show(&run));
            assert!(
                run.stdout.contains("\"chartVersion\": \"0.2.0\""),
                "{}",
                show(&run)
            );
            assert!(args.lines().any(|l| l.starts_with("pull ")), "{args}");
        } else {
            // helm sends basic auth only with a password: the app's error, token unshown.
            assert_eq!(run.code, 2, "{}", show(&run));
            assert!(
                run.stderr.contains("http://***@127.0.0.1"),
                "{}",
                show(&run)
            );
        }
        assert!(
            !args.contains(secret) && !show(&run).contains(secret),
            "{secret} is on a command line or in the output:\n{args}"
        );
    }
    assert_eq!(server.count("/private/web-0.2.0.tgz"), 1);
}
