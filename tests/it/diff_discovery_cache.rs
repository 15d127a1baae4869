//! `kubedrift diff` keeps discovery answers on disk (`$KUBEDRIFT_CACHE_DIR/discovery`), as
//! kubectl does: a second diff asks no discovery request and says the same; a kind the cache
//! does not know (a CRD installed since) is asked from the server; a cached kind the server
//! no longer serves, or a corrupt file, never changes a verdict. Through the binary against
//! the sandbox, counting the requests the sandbox received.

use crate::live_cli::kubedrift_command;
use crate::live_discovery::{CRD, WIDGET};
use crate::live_support::Fixture;
use kubedrift_testkit::Run;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Requests the `dev` sandbox cluster received during one run.
#[derive(Debug)]
struct Counted {
    code: i32,
    stdout: String,
    stderr: String,
    discovery: u64,
    lists: u64,
    watches: u64,
}

fn cache_dir(fx: &Fixture) -> PathBuf {
    fx.dir.path().join("cache")
}

fn diff(fx: &Fixture) -> Counted {
    let api = fx.sandbox.cluster("dev").expect("dev").api_server();
    let discovery = api.discovery_requests.load(Ordering::Relaxed);
    let lists = api.list_requests.load(Ordering::Relaxed);
    let watches = api.watch_requests.load(Ordering::Relaxed);
    let run: Run = kubedrift_command(fx, &["diff", "web", "--env", "dev", "--timeout", "60s"])
        .env("KUBEDRIFT_CACHE_DIR", cache_dir(fx))
        .output()
        .expect("kubedrift runs")
        .into();
    Counted {
        code: run.code,
        stdout: run.stdout,
        stderr: run.stderr,
        discovery: api.discovery_requests.load(Ordering::Relaxed) - discovery,
        lists: api.list_requests.load(Ordering::Relaxed) - lists,
        watches: api.watch_requests.load(Ordering::Relaxed) - watches,
    }
}

fn discovery_files(fx: &Fixture) -> Vec<PathBuf> {
    let dir = cache_dir(fx).join("discovery");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.to_string_lossy().ends_with(".discovery.json"));
    files
}

/// Deployment `web` scaled by someone else: `diff` exits 1 and shows `replicas`.
fn drifted_fixture() -> Fixture {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    fx.scale_web("dev", 5);
    fx
}

#[test]
fn a_second_diff_takes_discovery_from_the_cache_and_says_the_same() {
    let fx = drifted_fixture();
    let first = diff(&fx);
    assert_eq!(first.code, 1, "{first:?}");
    assert!(first.stdout.contains("replicas"), "{first:?}");
    assert!(
        first.discovery > 0,
        "the first diff asks the server: {first:?}"
    );
    assert_eq!(
        discovery_files(&fx).len(),
        1,
        "one entry for the one server"
    );

    let second = diff(&fx);
    assert_eq!(second.code, 1, "{second:?}");
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(
        second.discovery, 0,
        "discovery came from the cache: {second:?}"
    );
    // One read: a list per planned kind, no watch.
    assert!(
        second.lists > 0 && second.lists <= first.lists,
        "{second:?}"
    );
    assert_eq!(second.watches, 0, "{second:?}");
}

#[test]
fn a_crd_installed_after_the_cache_was_written_is_found() {
    let fx = Fixture::dev_with_undeployed_file("widget.yaml", WIDGET, "web: banner widget");
    // Without the CRD the Widget cannot be compared: exit 2, the kind named.
    let before = diff(&fx);
    assert_eq!(before.code, 2, "{before:?}");
    assert!(before.stderr.contains("Widget"), "{before:?}");
    assert_eq!(discovery_files(&fx).len(), 1);

    let crd_path = fx.dir.path().join("crd.yaml");
    std::fs::write(&crd_path, CRD).expect("crd file");
    fx.ok(&["--context", "dev", "apply", "-f", path_str(&crd_path)]);
    apply_when_served(&fx, &fx.repo_path().join("apps/web/dev/widget.yaml"));

    // The cache does not know Widget: the server is asked, and everything is in sync.
    let after = diff(&fx);
    assert_eq!(after.code, 0, "{after:?}");
    assert!(after.discovery > 0, "{after:?}");
    // Now it does.
    let again = diff(&fx);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.discovery, 0, "{again:?}");

    // The Widget changed by someone else is shown as a difference.
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "patch",
        "widget",
        "checkout-banner",
        "--type=merge",
        "-p",
        r#"{"spec":{"size":4}}"#,
    ]);
    let drifted = diff(&fx);
    assert_eq!(drifted.code, 1, "{drifted:?}");
    assert!(drifted.stdout.contains("Widget"), "{drifted:?}");
}

#[test]
fn a_stale_cached_version_or_scope_is_discovered_again_with_the_same_verdict() {
    let fx = drifted_fixture();
    let first = diff(&fx);
    assert_eq!(first.code, 1, "{first:?}");
    // As after a cluster upgrade that dropped a version: the entry says apps/v9.
    let files = discovery_files(&fx);
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).expect("entry");
    let stale = text.replace(
        r#""version":"v1","kind":"Deployment""#,
        r#""version":"v9","kind":"Deployment""#,
    );
    assert_ne!(stale, text, "the entry names apps/v1 Deployment: {text}");
    std::fs::write(&files[0], stale).expect("stale entry");

    let second = diff(&fx);
    assert_eq!(second.code, 1, "{second:?}");
    assert_eq!(second.stdout, first.stdout);
    assert!(second.discovery > 0, "{second:?}");
    let rewritten = std::fs::read_to_string(&files[0]).expect("entry");
    assert!(!rewritten.contains(r#""version":"v9""#), "{rewritten}");

    // As after a CRD was replaced by one of another scope: Deployment "cluster-scoped".
    let namespaced = r#""kind":"Deployment","plural":"deployments","namespaced":true"#;
    assert!(rewritten.contains(namespaced), "{rewritten}");
    std::fs::write(
        &files[0],
        rewritten.replace(
            namespaced,
            r#""kind":"Deployment","plural":"deployments","namespaced":false"#,
        ),
    )
    .expect("stale scope");
    let third = diff(&fx);
    assert_eq!(third.code, 1, "{third:?}");
    assert_eq!(third.stdout, first.stdout);
    assert!(third.discovery > 0, "{third:?}");
}

#[test]
fn a_corrupt_discovery_cache_file_is_ignored() {
    let fx = drifted_fixture();
    let first = diff(&fx);
    assert_eq!(first.code, 1, "{first:?}");
    let files = discovery_files(&fx);
    assert_eq!(files.len(), 1);
    std::fs::write(&files[0], b"{\"format\":1,\"server\":").expect("corrupt");

    let second = diff(&fx);
    assert_eq!(second.code, 1, "{second:?}");
    assert_eq!(second.stdout, first.stdout);
    assert!(second.discovery > 0, "{second:?}");
    // Written again: the next diff uses it.
    let third = diff(&fx);
    assert_eq!(third.stdout, first.stdout);
    assert_eq!(third.discovery, 0, "{third:?}");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `kubectl apply` of a custom resource, tried again while its CRD is being established.
fn apply_when_served(fx: &Fixture, path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run = fx.kubectl(&[
            "--context",
            "dev",
            "apply",
            "--server-side",
            "--field-manager=kubedrift",
            "-f",
            path_str(path),
        ]);
        if run.code == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "never served: {}", run.stderr);
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// With `fetch_interval_seconds` set, `diff` fetches before reading Git (as the live layer
/// does): what is compared is the remote's commit, not the clone's older one.
#[test]
fn diff_fetches_first_when_the_config_fetches() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let repo = git2::Repository::open(fx.repo_path()).expect("repo");
    let deployed = repo.refname_to_id("refs/heads/main").expect("main");
    // The remote is one commit ahead: LOG_LEVEL changed in Git, not deployed.
    fx.commit(
        &[(
            "apps/web/dev/configmap.yaml".to_string(),
            crate::live_support::CONFIGMAP.replace("LOG_LEVEL: info", "LOG_LEVEL: debug"),
        )],
        "web: debug logging",
    );
    let remote_path = fx.dir.path().join("remote.git");
    git2::Repository::init_bare(&remote_path).expect("bare");
    repo.remote_anonymous(path_str(&remote_path))
        .expect("file remote")
        .push(&["refs/heads/main:refs/heads/main"], None)
        .expect("push to the remote");
    repo.reference("refs/heads/main", deployed, true, "the clone is behind")
        .expect("reset main");
    repo.remote("origin", path_str(&remote_path))
        .expect("origin");

    // Without fetching, the clone's commit is compared: in sync.
    let behind = diff(&fx);
    assert_eq!(behind.code, 0, "{behind:?}");

    let config = std::fs::read_to_string(fx.config_path())
        .expect("config")
        .replace("fetch_interval_seconds = 0", "fetch_interval_seconds = 300")
        .replace(
            "name = \"gitops\"\n",
            &format!("name = \"gitops\"\nurl = \"{}\"\n", path_str(&remote_path)),
        );
    std::fs::write(fx.config_path(), config).expect("config written");
    let fetched = diff(&fx);
    assert_eq!(fetched.code, 1, "{fetched:?}");
    assert!(fetched.stdout.contains("LOG_LEVEL"), "{fetched:?}");
}
