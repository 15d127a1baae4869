//! `kubedrift demo`: the real binary with `--headless`, judged by the real `kubedrift status`
//! and the real kubectl; and the demo's background loop, through the library, with a short
//! interval.

use kubedrift::demo::{Demo, DemoOptions};
use kubedrift_testkit::{kubectl_command, kubectl_missing, lines_of, wait_for_line, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The value after `label` on the line starting with it (`Config:   /tmp/...`).
fn path_after(seen: &[String], label: &str) -> PathBuf {
    let line = seen
        .iter()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in {seen:#?}"));
    PathBuf::from(line[label.len()..].trim())
}

fn status_json(config: &Path, kubeconfig: &Path) -> (Run, Value) {
    let run: Run = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(["status", "-o", "json", "--timeout", "60s", "--config"])
        .arg(config)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("KUBEDRIFT_CONFIG")
        .output()
        .expect("kubedrift status runs")
        .into();
    let json = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run, json)
}

fn app<'a>(status: &'a Value, name: &str, env: &str) -> &'a Value {
    status["apps"]
        .as_array()
        .and_then(|apps| apps.iter().find(|a| a["app"] == name && a["env"] == env))
        .unwrap_or(&Value::Null)
}

fn resource<'a>(app: &'a Value, kind: &str, name: &str) -> &'a Value {
    app["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["kind"] == kind && r["name"] == name))
        .unwrap_or(&Value::Null)
}

/// Every trouble the demo promises, as `kubedrift status -o json` reports it; the first
/// problem found, if any.
fn trouble_problems(status: &Value) -> Option<String> {
    let apps = status["apps"].as_array()?;
    // Ten apps (the Argo Rollouts one included), eleven with the Helm chart (written only
    // when helm is installed).
    let helm = kubedrift::render::Tools::default().find("helm").is_some();
    let cells = if helm { 33 } else { 30 };
    if apps.len() != cells {
        return Some(format!("{} app rows, want {cells}", apps.len()));
    }
    let synced = apps.iter().filter(|a| a["sync"] == "Synced").count();
    if synced != cells - 4 {
        return Some(format!(
            "{synced} Synced cells, want {} (all but the 4 with drift)",
            cells - 4
        ));
    }
    if helm {
        for env in ["dev", "stage", "prod"] {
            let exporter = app(status, "metrics-exporter", env);
            if exporter["sync"] != "Synced" {
                return Some(format!("{env} metrics-exporter: {exporter}"));
            }
        }
    }
    // The branch-per-environment app: each environment at its own branch, all synced.
    for env in ["dev", "stage", "prod"] {
        let payments = app(status, "payments-api", env);
        let on_branch = payments["revision"]
            .as_str()
            .is_some_and(|r| r.starts_with(&format!("env/{env}@")));
        if payments["sync"] != "Synced" || !on_branch {
            return Some(format!("{env} payments-api: {payments}"));
        }
    }
    let prod_web = resource(
        app(status, "storefront", "prod"),
        "Deployment",
        "storefront",
    );
    if prod_web["sync"] != "OutOfSync" || prod_web["paths"] != serde_json::json!(["spec.replicas"])
    {
        return Some(format!("prod storefront: {prod_web}"));
    }
    let field = &prod_web["attribution"]["fields"][0];
    if field["writer"]["manager"] != "kubectl" || field["direction"] != "LiveDrift" {
        return Some(format!("prod storefront attribution: {prod_web}"));
    }
    let catalog = resource(
        app(status, "catalog-api", "stage"),
        "Deployment",
        "catalog-api",
    );
    let image_path = "spec.template.spec.containers[name=catalog-api].image";
    if catalog["sync"] != "OutOfSync"
        || catalog["paths"] != serde_json::json!([image_path])
        || catalog["attribution"]["direction"] != "GitAhead"
    {
        return Some(format!("stage catalog-api: {catalog}"));
    }
    let config = resource(
        app(status, "checkout-api", "stage"),
        "ConfigMap",
        "checkout-api-config",
    );
    if config["sync"] != "Missing" {
        return Some(format!("stage checkout-api ConfigMap: {config}"));
    }
    let debug = resource(
        app(status, "admin-web", "dev"),
        "Service",
        "admin-web-debug",
    );
    if debug["sync"] != "Extraneous" {
        return Some(format!("dev admin-web debug Service: {debug}"));
    }
    let search = resource(app(status, "search-api", "dev"), "Deployment", "search-api");
    if search["sync"] != "Synced" || search["health"]["status"] != "Progressing" {
        return Some(format!("dev search-api: {search}"));
    }
    // The Argo Rollouts app: stage paused mid-canary (status written by the demo), its
    // ReplicaSets never Extraneous; dev and prod fully promoted.
    let canary = app(status, "recommendations", "stage");
    let rollout = resource(canary, "Rollout", "recommendations");
    if canary["sync"] != "Synced"
        || canary["health"] != "Suspended"
        || rollout["health"]["message"] != "CanaryPauseStep"
        || rollout["rollout"]["headline"] != "canary 40% paused"
    {
        return Some(format!("stage recommendations: {canary}"));
    }
    for env in ["dev", "prod"] {
        let promoted = app(status, "recommendations", env);
        if promoted["sync"] != "Synced" || promoted["health"] != "Healthy" {
            return Some(format!("{env} recommendations: {promoted}"));
        }
    }
    let prod_search = app(status, "search-api", "prod");
    if prod_search["health"] != "Healthy" {
        return Some(format!(
            "prod search-api (rolled out 2 s after apply): {prod_search}"
        ));
    }
    None
}

#[test]
fn headless_demo_shows_the_promised_trouble_and_leaves_nothing_behind() {
    if kubectl_missing() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        // A long interval: the background loop must not move things while we look.
        .args(["demo", "--headless", "--interval", "3600"])
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("KUBEDRIFT_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubedrift demo starts");
    let lines = lines_of(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    let ready = wait_for_line(&lines, Duration::from_secs(120), &mut seen, |l| {
        l.starts_with("Press Ctrl-C")
    });
    if ready.is_none() {
        let _ = child.kill();
        let out = child.wait_with_output().expect("wait");
        panic!(
            "demo never became ready; stdout {seen:#?}\nstderr {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = path_after(&seen, "Demo directory:");
    let kubeconfig = path_after(&seen, "Kubeconfig:");
    let config = path_after(&seen, "Config:");
    assert!(dir.is_dir() && kubeconfig.starts_with(&dir) && config.starts_with(&dir));
    let kubectl_line = format!("kubectl --kubeconfig {} get pods -A", kubeconfig.display());
    let status_line = format!(
        "kubedrift status --config {} --kubeconfig {}",
        config.display(),
        kubeconfig.display()
    );
    assert!(seen.iter().any(|l| l.trim() == kubectl_line), "{seen:#?}");
    assert!(seen.iter().any(|l| l.trim() == status_line), "{seen:#?}");

    // Rollouts take the sandbox's 2 s; ask again (bounded) until they have settled.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (run, status) = loop {
        let (run, status) = status_json(&config, &kubeconfig);
        let problem = trouble_problems(&status);
        match problem {
            None => break (run, status),
            Some(problem) if Instant::now() > deadline => panic!(
                "{problem}\nexit {}\nstdout {}\nstderr {}",
                run.code, run.stdout, run.stderr
            ),
            Some(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    };
    assert_eq!(run.code, 1, "drift exits 1: {}", run.stderr);
    assert_eq!(status["exitCode"], 1);

    // The real kubectl sees the clusters; the stuck rollout and the crash loop look as on a
    // real cluster.
    for context in ["dev", "stage", "prod"] {
        let run: Run = kubectl_command(&kubeconfig, scratch.path())
            .args([
                "--request-timeout=20s",
                "--context",
                context,
                "get",
                "deploy",
                "-A",
            ])
            .output()
            .expect("kubectl runs")
            .into();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("storefront"), "{}", run.stdout);
    }
    let pods = |context: &str| -> String {
        let run: Run = kubectl_command(&kubeconfig, scratch.path())
            .args([
                "--request-timeout=20s",
                "--context",
                context,
                "get",
                "pods",
                "-A",
            ])
            .output()
            .expect("kubectl runs")
            .into();
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    // The Rollout CRD is served: the real kubectl lists stage's paused canary and the
    // ReplicaSets the demo wrote for it.
    let run: Run = kubectl_command(&kubeconfig, scratch.path())
        .args([
            "--request-timeout=20s",
            "--context",
            "stage",
            "-n",
            "shop",
            "get",
            "rollouts,replicasets",
        ])
        .output()
        .expect("kubectl runs")
        .into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in [
        "rollout.argoproj.io/recommendations",
        "replicaset.apps/recommendations-7f9c6d5b8",
        "replicaset.apps/recommendations-6d4b8c9f7",
    ] {
        assert!(run.stdout.contains(name), "{name}:\n{}", run.stdout);
    }
    // With the columns of Argo Rollouts' CRD: 5 desired, 2 of them on the canary's template.
    let run: Run = kubectl_command(&kubeconfig, scratch.path())
        .args([
            "--request-timeout=20s",
            "--context",
            "stage",
            "-n",
            "shop",
            "get",
            "ro",
        ])
        .output()
        .expect("kubectl runs")
        .into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let words: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        words.first().map(|w| &w[..]),
        Some(
            &[
                "NAME",
                "DESIRED",
                "CURRENT",
                "UP-TO-DATE",
                "AVAILABLE",
                "AGE"
            ][..]
        ),
        "{}",
        run.stdout
    );
    assert_eq!(
        words.get(1).and_then(|w| w.get(..5)),
        Some(&["recommendations", "5", "5", "2", "5"][..]),
        "{}",
        run.stdout
    );
    let dev_pods = pods("dev");
    assert!(
        dev_pods
            .lines()
            .any(|l| l.contains("search-api-") && l.contains("ImagePullBackOff")),
        "{dev_pods}"
    );
    let stage_pods = pods("stage");
    assert!(
        stage_pods
            .lines()
            .any(|l| l.contains("notifications-") && l.contains("CrashLoopBackOff")),
        "{stage_pods}"
    );

    // SIGTERM: clean stop, exit 0, nothing left behind.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("demo exits");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn the_background_loop_commits_syncs_and_edits() {
    if kubectl_missing() {
        return;
    }
    let demo = Demo::start(DemoOptions {
        trouble_interval: Duration::from_secs(1),
        ready_after: Duration::ZERO,
        ..DemoOptions::default()
    })
    .expect("demo starts");
    let dir = demo.dir().to_path_buf();
    assert!(
        demo.notice().is_none(),
        "kubectl is installed: Kustomize overlays"
    );
    let repo = git2::Repository::open(demo.repo_path()).expect("repo");
    let head_subject = |repo: &git2::Repository| {
        repo.head()
            .and_then(|h| h.peel_to_commit())
            .map(|c| {
                String::from_utf8_lossy(c.message_bytes())
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        head_subject(&repo),
        "catalog-api: bump image to 1.9.0 in stage"
    );
    let dev = demo.sandbox().cluster("dev").expect("dev");
    let live = |ns: &str, name: &str| {
        dev.object("apps/v1", "Deployment", Some(ns), name)
            .expect("deployment")
    };

    // Each step's effect is checked right after the loop reports it (the next step is
    // a second away).
    let wait_for_step = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while demo.trouble_steps() < n {
            assert!(Instant::now() < deadline, "step {n} never ran");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait_for_step(1);
    assert_eq!(
        head_subject(&repo),
        "storefront: bump image to 2.4.2 in dev"
    );
    assert_eq!(
        live("shop", "storefront")["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/acme/storefront:2.4.1",
        "committed, not yet synced"
    );
    wait_for_step(2);
    assert_eq!(
        live("shop", "storefront")["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/acme/storefront:2.4.2",
        "synced"
    );
    wait_for_step(3);
    let worker = live("jobs", "orders-worker");
    assert_eq!(worker["spec"]["replicas"], 3, "scaled by hand");
    let managers: Vec<&str> = worker["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(managers.contains(&"kubectl"), "{managers:?}");
    wait_for_step(4);
    assert_eq!(
        live("jobs", "orders-worker")["spec"]["replicas"],
        1,
        "synced back"
    );

    drop(demo);
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn without_kustomize_the_demo_writes_plain_yaml_and_says_so() {
    // An empty tool path: no kustomize, kubectl or helm to be found.
    let no_tools = tempfile::tempdir().expect("tempdir");
    let demo = Demo::start(DemoOptions {
        read_only: true,
        trouble_interval: Duration::from_secs(3600),
        ready_after: Duration::ZERO,
        tool_path: Some(no_tools.path().as_os_str().to_owned()),
    })
    .expect("demo starts");
    assert_eq!(
        demo.notice().as_deref(),
        Some("kustomize/kubectl not found: apps rendered as plain YAML")
    );
    assert!(demo.read_only());
    assert!(!demo.has_helm_app());
    let overlay = demo.repo_path().join("envs/dev/storefront");
    assert!(overlay.join("storefront.yaml").is_file());
    assert!(!overlay.join("kustomization.yaml").exists());
    assert!(!demo.repo_path().join("bases").exists());
    // Applied all the same: prod runs the storefront, scaled by hand.
    let prod = demo.sandbox().cluster("prod").expect("prod");
    let storefront = prod
        .object("apps/v1", "Deployment", Some("shop"), "storefront")
        .expect("applied");
    assert_eq!(storefront["spec"]["replicas"], 5);
    assert_eq!(
        storefront["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/acme/storefront:2.4.0"
    );
}

/// What the TUI will do: the live layer on the demo's config and kubeconfig, in process,
/// sees the initial trouble, then the background loop's commit (dev storefront Git ahead) and
/// its sync (Synced again, at a new revision).
#[test]
fn the_live_layer_follows_the_demo_as_it_changes() {
    use kubedrift::live::Live;
    use kubedrift::state::{AppId, SyncState};
    if kubectl_missing() {
        return;
    }
    let demo = Demo::start(DemoOptions {
        trouble_interval: Duration::from_secs(3),
        ready_after: Duration::ZERO,
        ..DemoOptions::default()
    })
    .expect("demo starts");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let live = {
        let _guard = runtime.enter();
        Live::start(demo.live_options().expect("kubeconfig")).expect("live starts")
    };
    let sync_of = |snapshot: &kubedrift::state::Snapshot, app: &str, env: &str| {
        snapshot
            .apps
            .get(&AppId::new(app, env))
            .map(|a| (a.sync, a.revision.clone()))
    };
    let bound = Duration::from_secs(60);
    let (first, ok) = runtime.block_on(live.wait_until(bound, |s| {
        sync_of(s, "storefront", "prod").is_some_and(|(sync, _)| sync == SyncState::OutOfSync)
            && sync_of(s, "storefront", "dev").is_some_and(|(sync, _)| sync == SyncState::Synced)
    }));
    assert!(ok, "initial trouble never seen");
    let (_, dev_revision) = sync_of(&first, "storefront", "dev").expect("dev storefront");

    let (_, ok) = runtime.block_on(live.wait_until(bound, |s| {
        sync_of(s, "storefront", "dev").is_some_and(|(sync, revision)| {
            sync == SyncState::OutOfSync && revision != dev_revision
        })
    }));
    assert!(ok, "the loop's commit never showed as Git ahead");
    let (_, ok) = runtime.block_on(live.wait_until(bound, |s| {
        sync_of(s, "storefront", "dev")
            .is_some_and(|(sync, revision)| sync == SyncState::Synced && revision != dev_revision)
    }));
    assert!(
        ok,
        "the loop's sync never showed as Synced at the new revision"
    );
    drop(live);
    drop(demo);
}
