//! Soak under faults (loopback only, bounded by `duration`): `kubedrift status --watch` follows
//! 10 sandbox clusters while faults are switched at random on the sandbox process (down and
//! back, 500s, 429s, latency, cut watches, 410 Gone) and live edits and Git commits go on.
//! At the end every fault is cleared; 5 s later the watcher's verdicts are compared with a
//! fresh `kubedrift status`.

use super::generate::{AppInstance, ScaleSpec, TARGET_VALUE};
use super::measure::{commit_target, setup, target_key, Editor};
use super::process::{self, load_average};
use super::rng::SplitMix64;
use super::watcher::Watcher;
use super::BenchError;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SoakOptions {
    pub kubedrift: PathBuf,
    pub duration: Duration,
    pub spec: ScaleSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// Faults, edits and commits ran this long.
    pub soak_seconds: f64,
    /// With the recovery wait and the fresh status runs.
    pub total_seconds: f64,
    pub live_objects: usize,
    pub clusters: usize,
    pub faults_injected: BTreeMap<String, usize>,
    pub edits_ok: usize,
    pub edits_failed: usize,
    pub commits: usize,
    /// The watcher or the sandbox exited on its own (goal 0).
    pub crashes: Vec<String>,
    pub rss_start_mib: Option<f64>,
    pub rss_end_mib: Option<f64>,
    pub rss_samples_mib: Vec<f64>,
    pub watcher_peak_rss_mib: f64,
    /// Resources whose watcher verdict differs from a fresh `status` 5 s after the last
    /// recovery (goal 0), and again 30 s after it.
    pub wrong_after_5s: usize,
    pub wrong_after_30s: Option<usize>,
    pub wrong_examples: Vec<String>,
    pub compared_resources: usize,
    /// cm-000 verdicts in the fresh status that contradict the harness's own record of the
    /// Git and live values (instances with an uncertain last write skipped).
    pub model_mismatches: usize,
    /// Watch requests per cluster from 3 s after the first status (the initial watches are
    /// open by then) to 5 s after recovery: reconnects (the fresh `status` runs not counted).
    pub watch_reconnects: BTreeMap<String, u64>,
    pub relists: BTreeMap<String, u64>,
    pub fresh_status_exit: Option<i32>,
    pub load_at_start: f64,
    pub load_at_end: f64,
}

const FAULTS: [&str; 6] = [
    "down",
    "errors",
    "throttle",
    "latency",
    "cut-watches",
    "gone",
];

fn fault_commands(kind: &str, cluster: &str) -> Vec<String> {
    match kind {
        "down" => vec![format!("fault {cluster} down")],
        "errors" => vec![format!("fault {cluster} errors 0.5")],
        "throttle" => vec![format!("fault {cluster} throttle 1")],
        "latency" => vec![format!("fault {cluster} latency 300")],
        "cut-watches" => vec![format!("fault {cluster} cut-watches 300")],
        // Cut watches so they resume, and answer the resume with 410: a relist.
        _ => vec![
            format!("fault {cluster} gone on"),
            format!("fault {cluster} cut-watches 500"),
        ],
    }
}

fn counters(stats: &str, name: &str) -> BTreeMap<String, u64> {
    let value: Value = serde_json::from_str(stats).unwrap_or(Value::Null);
    value
        .get("clusters")
        .and_then(Value::as_object)
        .map(|clusters| {
            clusters
                .iter()
                .map(|(c, v)| (c.clone(), v.get(name).and_then(Value::as_u64).unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

fn fresh_verdicts(
    kubedrift: &Path,
    config: &Path,
    kubeconfig: &Path,
) -> Result<(BTreeMap<String, String>, Option<i32>), BenchError> {
    let run = process::run(
        Command::new(kubedrift)
            .arg("--config")
            .arg(config)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["status", "--output", "json", "--timeout", "60s"])
            .env_remove("KUBEDRIFT_LOG"),
    )?;
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    let mut verdicts = BTreeMap::new();
    for app in report
        .get("apps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |n: &str| app.get(n).and_then(Value::as_str).unwrap_or("").to_string();
        for resource in app
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            verdicts.insert(
                format!(
                    "{}@{} {}",
                    text("app"),
                    text("env"),
                    super::names::resource_key(resource)
                ),
                resource
                    .get("sync")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            );
        }
    }
    Ok((verdicts, run.exit_code))
}

fn disagreements(
    watched: &BTreeMap<String, String>,
    fresh: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (key, verdict) in fresh {
        match watched.get(key) {
            Some(seen) if seen == verdict => {}
            seen => wrong.push(format!(
                "{key}: watcher {} / fresh {verdict}",
                seen.map_or("(absent)", String::as_str)
            )),
        }
    }
    for key in watched.keys().filter(|k| !fresh.contains_key(*k)) {
        wrong.push(format!("{key}: only in the watcher"));
    }
    wrong
}

pub fn run(
    opts: &SoakOptions,
    root: &Path,
    mut progress: impl FnMut(&str),
) -> Result<SoakReport, BenchError> {
    let load_at_start = load_average();
    let (mut setup, _) = setup(&opts.spec, root, &opts.kubedrift)?;
    let generated = &setup.generated;
    let mut watcher = Watcher::start(
        &opts.kubedrift,
        &generated.config,
        &setup.sandbox.kubeconfig,
        &setup.shim.path_env(),
        &setup.cache_home,
        Duration::from_secs(120),
    )?;
    // The watches open after the first lists (one per watched kind and cluster): let them
    // open before counting, so what is counted after is reconnects.
    std::thread::sleep(Duration::from_secs(3));
    let stats_start = setup.sandbox.command("stats")?;
    let rss_start = watcher.rss_mib();
    progress(&format!(
        "soak: {} clusters, {} live objects, first status in {:.1} s; running {:?}",
        generated.contexts.len(),
        opts.spec.live_objects(),
        watcher.first_status.as_secs_f64(),
        opts.duration
    ));
    let mut editor = Editor::new(&setup.sandbox.kubeconfig)?;
    let repo = git2::Repository::open(&generated.repo)?;
    let mut rng = SplitMix64::new(opts.spec.seed ^ 0x736f_616b);
    let instances: &[AppInstance] = &generated.instances;
    let plain: Vec<usize> = (0..instances.len())
        .filter(|i| !instances[*i].kustomize)
        .collect();
    // Per instance: (live value, git value drifted?, live value certain?)
    let mut live_value: Vec<Option<String>> = vec![Some(TARGET_VALUE.to_string()); instances.len()];
    let mut git_drifted = vec![false; instances.len()];
    let mut active: Vec<(String, Instant)> = Vec::new();
    let mut injected: BTreeMap<String, usize> = BTreeMap::new();
    let (mut edits_ok, mut edits_failed, mut commits) = (0, 0, 0);
    let mut rss_samples = Vec::new();
    let mut crashes = Vec::new();
    let started = Instant::now();
    let mut next_sample = Instant::now();
    let mut commit_n = 0;
    while started.elapsed() < opts.duration {
        std::thread::sleep(Duration::from_millis(500));
        watcher.drain();
        let now = Instant::now();
        let (ended, still): (Vec<_>, Vec<_>) =
            active.drain(..).partition(|(_, until)| *until <= now);
        active = still;
        for (cluster, _) in ended {
            setup.sandbox.command(&format!("fault {cluster} clear"))?;
        }
        if active.len() < 3 && rng.chance(0.2) {
            let cluster = &generated.contexts[rng.below(generated.contexts.len() as u64) as usize];
            if !active.iter().any(|(c, _)| c == cluster) {
                let kind = FAULTS[rng.below(FAULTS.len() as u64) as usize];
                for command in fault_commands(kind, cluster) {
                    setup.sandbox.command(&command)?;
                }
                *injected.entry(kind.to_string()).or_default() += 1;
                let lasts = Duration::from_millis(2_000 + rng.below(6_000));
                active.push((cluster.clone(), now + lasts));
            }
        }
        if rng.chance(0.6) {
            let i = rng.below(instances.len() as u64) as usize;
            let value = if rng.chance(0.5) {
                "debug"
            } else {
                TARGET_VALUE
            };
            match editor.set_target(&instances[i].env, &instances[i].app, value) {
                Ok(()) => {
                    edits_ok += 1;
                    live_value[i] = Some(value.to_string());
                }
                Err(_) => {
                    // A timed-out write may or may not have landed.
                    edits_failed += 1;
                    live_value[i] = None;
                }
            }
        }
        if !plain.is_empty() && rng.chance(0.1) {
            let i = plain[rng.below(plain.len() as u64) as usize];
            commit_target(
                &repo,
                &generated.repo,
                &instances[i],
                !git_drifted[i],
                commit_n,
            )?;
            git_drifted[i] = !git_drifted[i];
            commit_n += 1;
            commits += 1;
        }
        if now >= next_sample {
            next_sample = now + Duration::from_secs(10);
            if let Some(rss) = watcher.rss_mib() {
                rss_samples.push(rss);
            }
            if !watcher.running() {
                crashes.push("kubedrift status --watch exited during the soak".to_string());
                break;
            }
            if !setup.sandbox.running() {
                crashes.push("the sandbox process exited during the soak".to_string());
                break;
            }
        }
    }
    let soak_seconds = started.elapsed().as_secs_f64();
    setup.sandbox.command("clear-all")?;
    let recovered = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    watcher.drain();
    // Counted before the fresh `status` runs add their own lists and watches.
    let stats_end = setup.sandbox.command("stats")?;
    let (fresh, fresh_exit) = fresh_verdicts(
        &opts.kubedrift,
        &generated.config,
        &setup.sandbox.kubeconfig,
    )?;
    let wrong = disagreements(&watcher.verdicts(), &fresh);
    let wrong_after_30s = if wrong.is_empty() {
        None
    } else {
        let left = Duration::from_secs(30).saturating_sub(recovered.elapsed());
        std::thread::sleep(left);
        watcher.drain();
        let (fresh, _) = fresh_verdicts(
            &opts.kubedrift,
            &generated.config,
            &setup.sandbox.kubeconfig,
        )?;
        Some(disagreements(&watcher.verdicts(), &fresh).len())
    };
    let mut model_mismatches = 0;
    for (i, instance) in instances.iter().enumerate() {
        let Some(live) = &live_value[i] else { continue };
        let git = if git_drifted[i] { "warn" } else { TARGET_VALUE };
        let want = if live == git { "Synced" } else { "OutOfSync" };
        let key = format!(
            "{}@{} {}",
            instance.app,
            instance.env,
            target_key(&instance.app)
        );
        if fresh.get(&key).is_some_and(|v| v != want) {
            model_mismatches += 1;
        }
    }
    let watches_start = counters(&stats_start, "watchRequests");
    let lists_start = counters(&stats_start, "listRequests");
    let watch_reconnects = counters(&stats_end, "watchRequests")
        .into_iter()
        .map(|(c, n)| {
            (
                c.clone(),
                n - watches_start.get(&c).copied().unwrap_or(0).min(n),
            )
        })
        .collect();
    let relists = counters(&stats_end, "listRequests")
        .into_iter()
        .map(|(c, n)| {
            (
                c.clone(),
                n - lists_start.get(&c).copied().unwrap_or(0).min(n),
            )
        })
        .collect();
    let rss_end = watcher.rss_mib();
    if !watcher.running() && crashes.is_empty() {
        crashes.push("kubedrift status --watch exited during the soak".to_string());
    }
    let finished = watcher.stop()?;
    if finished.signal.is_some_and(|s| s != libc::SIGINT) {
        crashes.push(format!("the watcher died of signal {:?}", finished.signal));
    }
    let _ = setup.sandbox.stop();
    Ok(SoakReport {
        soak_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
        live_objects: opts.spec.live_objects(),
        clusters: opts.spec.clusters,
        faults_injected: injected,
        edits_ok,
        edits_failed,
        commits,
        crashes,
        rss_start_mib: rss_start,
        rss_end_mib: rss_end,
        rss_samples_mib: rss_samples,
        watcher_peak_rss_mib: finished.max_rss_mib,
        wrong_after_5s: wrong.len(),
        wrong_after_30s,
        wrong_examples: wrong.into_iter().take(10).collect(),
        compared_resources: fresh.len(),
        model_mismatches,
        watch_reconnects,
        relists,
        fresh_status_exit: fresh_exit,
        load_at_start,
        load_at_end: load_average(),
    })
}
