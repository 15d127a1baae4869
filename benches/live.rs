//! Live-layer benchmark (harness = false; run with `cargo bench --bench live`):
//! 10 sandbox clusters × 1,000 objects each, one app per cluster.
//!
//! Reports: time to the first full status (Git read + rendered + every cluster listed),
//! resident memory (VmRSS of this process, which also hosts the sandbox servers, so the
//! growth across `Live::start` is reported too), and live edit → updated verdict latency
//! (p50/p99 over many edits: a ConfigMap written in the API server until the snapshot shows
//! its new verdict). Goal: p99 ≤ 100 ms.

use kubedrift::config::Config;
use kubedrift::live::{Live, LiveOptions};
use kubedrift::sandbox::api_server::{PatchKind, Subresource, WriteOptions};
use kubedrift::sandbox::{Sandbox, SandboxOptions};
use kubedrift::state::SyncState;
use serde_json::json;
use std::time::{Duration, Instant};

const CLUSTERS: usize = 10;
const OBJECTS_PER_CLUSTER: usize = 1_000;
const EDITS: usize = 200;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn manifests(env: &str) -> Vec<serde_json::Value> {
    let labels =
        json!({"app.kubernetes.io/part-of": "bench", "kubedrift.io/app": "bench", "env": env});
    (0..OBJECTS_PER_CLUSTER)
        .map(|i| match i % 3 {
            0 => json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": format!("cfg-{i:04}"), "namespace": "bench", "labels": labels},
                        "data": {"LOG_LEVEL": "info", "SHARD": i.to_string()}}),
            1 => json!({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": format!("svc-{i:04}"), "namespace": "bench", "labels": labels},
                        "spec": {"selector": {"app": format!("w-{i:04}")},
                                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
            _ => json!({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": format!("w-{i:04}"), "namespace": "bench", "labels": labels},
                        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": format!("w-{i:04}")}},
                                 "template": {"metadata": {"labels": {"app": format!("w-{i:04}")}},
                                              "spec": {"containers": [{"name": "app", "image": "registry.example.com/w:1.0.0",
                                                                       "ports": [{"containerPort": 8080}]}]}}}}),
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let names: Vec<String> = (0..CLUSTERS).map(|i| format!("c{i:02}")).collect();
    let sandbox = Sandbox::start(SandboxOptions {
        clusters: names.clone(),
        tls: true,
        ready_after: Duration::ZERO,
        // The sandbox's controller simulating ~3,300 rollouts shares these 2 cores with the
        // client being measured; KUBEDRIFT_BENCH_CONTROLLER=1 turns it on anyway.
        controller: std::env::var_os("KUBEDRIFT_BENCH_CONTROLLER").is_some(),
        ..SandboxOptions::default()
    })
    .expect("sandbox");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig_path = dir.path().join("kubeconfig");
    sandbox
        .write_kubeconfig(&kubeconfig_path)
        .expect("kubeconfig");

    // Git: one app per environment with the same 1,000 manifests the cluster has.
    let repo_path = dir.path().join("gitops");
    let repo = git2::Repository::init(&repo_path).expect("git init");
    repo.set_head("refs/heads/main").expect("head");
    let mut config = format!(
        "[settings]\ngit_poll_seconds = 2\nfetch_interval_seconds = 0\n\n[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n",
        repo_path.display()
    );
    for name in &names {
        let objects = manifests(name);
        let app_dir = repo_path.join("apps/bench").join(name);
        std::fs::create_dir_all(&app_dir).expect("mkdir");
        let docs: Vec<String> = objects
            .iter()
            .map(|o| serde_yaml::to_string(o).expect("yaml"))
            .collect();
        std::fs::write(app_dir.join("all.yaml"), docs.join("---\n")).expect("write");
        let cluster = sandbox.cluster(name).expect("cluster");
        cluster
            .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}))
            .expect("namespace");
        for obj in objects {
            cluster.insert(obj).expect("insert");
        }
        config.push_str(&format!(
            "[[environment]]\nname = \"{name}\"\ncontext = \"{name}\"\n\n"
        ));
    }
    config.push_str("[[app]]\nname = \"bench\"\nrepo = \"gitops\"\npath = \"apps/{app}/{env}\"\nnamespace = \"bench\"\n");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("bench", "bench@example.com").expect("sig");
    repo.commit(Some("refs/heads/main"), &sig, &sig, "bench", &tree, &[])
        .expect("commit");
    let config_path = dir.path().join("kubedrift.toml");
    std::fs::write(&config_path, config).expect("config");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let rss_before = rss_kib();
    let started = Instant::now();
    let live = {
        let _guard = runtime.enter();
        Live::start(LiveOptions {
            config: Config::load_file(&config_path).expect("config").config,
            kubeconfig: kubedrift::cluster::kubeconfig::load_kubeconfig(&[kubeconfig_path])
                .expect("kubeconfig"),
            contexts: Vec::new(),
            env: None,
            app: None,
            revision: None,
        })
        .expect("live")
    };
    let (snapshot, ok) = runtime.block_on(live.wait_until(Duration::from_secs(300), |s| {
        s.sources_loaded
            && s.settled()
            && s.apps.len() == CLUSTERS
            && s.apps.values().all(|a| a.sync == SyncState::Synced)
    }));
    let first_status = started.elapsed();
    assert!(
        ok,
        "never fully synced: {:?}",
        snapshot
            .apps
            .values()
            .map(|a| (a.id.to_string(), a.sync, a.message()))
            .collect::<Vec<_>>()
    );
    let rss_after = rss_kib();
    let resources: usize = snapshot.apps.values().map(|a| a.resources.len()).sum();

    // Live edits: flip one ConfigMap's value (cluster c00..c09 in turn) and wait for the verdict.
    let mut latencies = Vec::with_capacity(EDITS);
    for n in 0..EDITS {
        let name = &names[n % CLUSTERS];
        let cluster = sandbox.cluster(name).expect("cluster");
        let catalog = cluster.api_server().catalog();
        let info = catalog
            .by_kind("", "ConfigMap")
            .expect("configmap kind")
            .clone();
        let target = format!("cfg-{:04}", (n / (2 * CLUSTERS) * 3) % OBJECTS_PER_CLUSTER);
        let drifted = n % (2 * CLUSTERS) < CLUSTERS;
        let value = if drifted { "debug" } else { "info" };
        let opts = WriteOptions {
            field_manager: "kubectl-edit".into(),
            dry_run: false,
        };
        let t0 = Instant::now();
        cluster
            .api_server()
            .patch(
                &info,
                Some("bench"),
                &target,
                Subresource::Main,
                PatchKind::Merge,
                &json!({"data": {"LOG_LEVEL": value}}),
                &opts,
                jiff::Timestamp::now(),
            )
            .expect("patch");
        let (_, ok) = runtime.block_on(live.wait_until(Duration::from_secs(30), |s| {
            s.app("bench", name).is_some_and(|a| {
                a.resources
                    .iter()
                    .any(|r| *r.key.name == *target && r.verdict.is_drift() == drifted)
            })
        }));
        assert!(ok, "edit {n} never showed");
        latencies.push(t0.elapsed());
    }
    latencies.sort();

    println!("live benchmark: {CLUSTERS} clusters x {OBJECTS_PER_CLUSTER} objects ({resources} resources compared)");
    println!(
        "  time to first full status: {:.2} s",
        first_status.as_secs_f64()
    );
    println!(
        "  RSS: {} MiB total (process incl. sandbox servers), +{} MiB across Live::start",
        rss_after / 1024,
        rss_after.saturating_sub(rss_before) / 1024
    );
    println!(
        "  live edit -> updated verdict ({EDITS} edits): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    drop(live);
    drop(sandbox);
}
