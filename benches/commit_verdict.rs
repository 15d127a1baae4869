//! Commit → verdict through the live layer (harness = false; `cargo bench --bench
//! commit_verdict -- [objects] [commits] [poll_seconds]`): one sandbox cluster, one plain-YAML
//! app of `objects` ConfigMaps, all deployed. Each round commits a change of one ConfigMap's
//! value to the local repo (as `git commit` would: a new commit on `main`) and waits until the
//! snapshot shows that resource's new verdict. Reports p50/p99/max.
//!
//! The poll interval is long on purpose (default 3600 s): a commit must be noticed by
//! watching the refs, not by the poll.

use kubedrift::config::Config;
use kubedrift::live::{Live, LiveOptions};
use kubedrift::sandbox::{Sandbox, SandboxOptions};
use kubedrift::state::SyncState;
use serde_json::json;
use std::time::{Duration, Instant};

fn config_map(i: usize, level: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": format!("cfg-{i:05}"), "namespace": "bench",
                        "labels": {"kubedrift.io/app": "bench"}},
           "data": {"LOG_LEVEL": level, "SHARD": i.to_string()}})
}

fn write_and_commit(repo: &git2::Repository, objects: usize, changed: Option<(usize, &str)>) {
    let docs: Vec<String> = (0..objects)
        .map(|i| {
            let level = match changed {
                Some((at, level)) if at == i => level,
                _ => "info",
            };
            serde_yaml::to_string(&config_map(i, level)).expect("yaml")
        })
        .collect();
    let workdir = repo.workdir().expect("workdir");
    std::fs::create_dir_all(workdir.join("apps/bench/c00")).expect("mkdir");
    std::fs::write(workdir.join("apps/bench/c00/all.yaml"), docs.join("---\n")).expect("write");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = git2::Signature::now("bench", "bench@example.com").expect("sig");
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(
        Some("refs/heads/main"),
        &sig,
        &sig,
        "bench",
        &tree,
        &parents,
    )
    .expect("commit");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(index.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let objects = args.first().copied().unwrap_or(1_000) as usize;
    let commits = args.get(1).copied().unwrap_or(20) as usize;
    let poll_seconds = args.get(2).copied().unwrap_or(3600);

    let sandbox = Sandbox::start(SandboxOptions {
        clusters: vec!["c00".into()],
        tls: false,
        ready_after: Duration::ZERO,
        controller: false,
        ..SandboxOptions::default()
    })
    .expect("sandbox");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig_path = dir.path().join("kubeconfig");
    sandbox
        .write_kubeconfig(&kubeconfig_path)
        .expect("kubeconfig");
    let cluster = sandbox.cluster("c00").expect("cluster");
    cluster
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}))
        .expect("namespace");
    for i in 0..objects {
        cluster
            .apply(&config_map(i, "info"), "kubedrift", false)
            .expect("apply");
    }
    let repo_path = dir.path().join("gitops");
    let repo = git2::Repository::init(&repo_path).expect("init");
    repo.set_head("refs/heads/main").expect("head");
    write_and_commit(&repo, objects, None);
    let config_path = dir.path().join("kubedrift.toml");
    std::fs::write(
        &config_path,
        format!(
            "[settings]\ngit_poll_seconds = {poll_seconds}\nfetch_interval_seconds = 0\n\n\
             [[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n\
             [[environment]]\nname = \"c00\"\ncontext = \"c00\"\n\n\
             [[app]]\nname = \"bench\"\nrepo = \"gitops\"\npath = \"apps/{{app}}/{{env}}\"\nnamespace = \"bench\"\n",
            repo_path.display()
        ),
    )
    .expect("config");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
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
    let (_, ok) = runtime.block_on(live.wait_until(Duration::from_secs(300), |s| {
        s.sources_loaded
            && s.settled()
            && s.app("bench", "c00")
                .is_some_and(|a| a.sync == SyncState::Synced)
    }));
    assert!(ok, "never synced");

    let mut latencies = Vec::with_capacity(commits);
    for n in 0..commits {
        let target = (n * 37) % objects;
        let name = format!("cfg-{target:05}");
        write_and_commit(&repo, objects, Some((target, "debug")));
        // From the moment the commit exists.
        let t0 = Instant::now();
        let (_, ok) = runtime.block_on(live.wait_until(Duration::from_secs(60), |s| {
            s.app("bench", "c00").is_some_and(|a| {
                a.resources
                    .iter()
                    .any(|r| *r.key.name == *name && r.verdict.is_drift())
            })
        }));
        assert!(ok, "commit {n} never showed");
        latencies.push(t0.elapsed());
    }
    latencies.sort();
    println!(
        "commit -> verdict ({objects} objects, {commits} commits, poll every {poll_seconds} s): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    drop(live);
    drop(sandbox);
}
