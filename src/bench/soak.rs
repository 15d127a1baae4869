//! Soak under faults (loopback only, bounded by `duration`): `kubedrift status --watch` follows
//! 10 sandbox clusters while faults are switched at random on the sandbox process (down and
//! back, 500s, 429s, latency, cut watches, 410 Gone) and live edits and Git commits go on.
//! At the end every fault is cleared; 5 s later the watcher's verdicts are compared with a
//! fresh `kubedrift status`.

use super::generate::{AppInstance, ScaleSpec, TARGET_VALUE};
use super::measure::{commit_target, setup, target_key, Editor};
use super::process::{self, load_average, SandboxProcess};
use super::rng::SplitMix64;
use super::watcher::{Watcher, WATCHER_ENV};
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
    /// Every this long, faults are cleared and the watcher is compared with a fresh `status`
    /// 5 s later (also once at the end).
    pub checkpoint_every: Duration,
}

/// The watcher's memory at one moment of the soak.
#[derive(Debug, Clone, Serialize)]
pub struct RssSample {
    /// Since the faults started.
    pub at_seconds: f64,
    pub rss_mib: f64,
    /// The anonymous (heap, stacks) and file-backed (code pages touched) parts of `rss_mib`
    /// (RssAnon, RssFile + RssShmem): growth of the code part is not memory kept.
    pub anon_mib: Option<f64>,
    pub file_mib: Option<f64>,
    /// OS threads and open file descriptors (sockets mostly): a connection or task leak shows
    /// here before it shows in RSS.
    pub threads: Option<u64>,
    pub open_fds: Option<usize>,
    /// 1-minute load average.
    pub load: f64,
}

/// Every fault cleared, 5 s of recovery, then the watcher against a fresh `status`.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Since the faults started.
    pub at_seconds: f64,
    pub compared_resources: usize,
    /// Resources whose watcher verdict differs from the fresh `status` (goal 0).
    pub wrong_after_5s: usize,
    /// When some were wrong: the same 30 s after the recovery.
    pub wrong_after_30s: Option<usize>,
    pub wrong_examples: Vec<String>,
    /// cm-000 verdicts in the fresh status that contradict the harness's own record of the
    /// Git and live values (instances with an uncertain last write skipped).
    pub model_mismatches: usize,
    pub fresh_status_exit: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// Faults, edits and commits ran this long (checkpoint pauses included).
    pub soak_seconds: f64,
    /// With the recovery wait and the fresh status runs.
    pub total_seconds: f64,
    pub live_objects: usize,
    pub clusters: usize,
    pub faults_injected: BTreeMap<String, usize>,
    pub faults_by_cluster: BTreeMap<String, usize>,
    pub edits_ok: usize,
    pub edits_failed: usize,
    pub commits: usize,
    /// The watcher or the sandbox exited on its own (goal 0).
    pub crashes: Vec<String>,
    pub rss_start_mib: Option<f64>,
    pub rss_end_mib: Option<f64>,
    /// Over the whole soak (every 10 s, or every 1/60 of a long soak).
    pub rss_samples: Vec<RssSample>,
    /// Least-squares slope of RSS after the first third of the soak (warm-up): flat is ~0.
    pub rss_slope_mib_per_10min_after_warmup: Option<f64>,
    /// The same for the anonymous part of RSS only (see `RssSample::anon_mib`).
    pub anon_slope_mib_per_10min_after_warmup: Option<f64>,
    pub watcher_peak_rss_mib: f64,
    /// Allocator settings the watcher ran with (MALLOC_* of this process, and
    /// KUBEDRIFT_BENCH_WATCHER_ENV), so runs with and without them are told apart.
    pub watcher_env: BTreeMap<String, String>,
    pub checkpoints: Vec<Checkpoint>,
    /// Summed over the checkpoints: resources wrong 5 s after recovery (goal 0), and of
    /// those, still wrong after 30 s.
    pub wrong_after_5s: usize,
    pub wrong_after_30s: usize,
    pub compared_resources: usize,
    pub model_mismatches: usize,
    /// Watch requests per cluster from 3 s after the first status (the initial watches are
    /// open by then) to the end: reconnects (the checkpoints' fresh `status` runs not counted).
    pub watch_reconnects: BTreeMap<String, u64>,
    pub relists: BTreeMap<String, u64>,
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

/// Per-cluster request counters (`watchRequests`, `listRequests`) of the sandbox.
struct Requests {
    watches: BTreeMap<String, u64>,
    lists: BTreeMap<String, u64>,
}

impl Requests {
    fn read(sandbox: &mut SandboxProcess) -> Result<Requests, BenchError> {
        let stats = sandbox.command("stats")?;
        Ok(Requests {
            watches: counters(&stats, "watchRequests"),
            lists: counters(&stats, "listRequests"),
        })
    }
}

/// `later - earlier` per cluster.
fn delta(later: &BTreeMap<String, u64>, earlier: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    later
        .iter()
        .map(|(c, n)| {
            (
                c.clone(),
                n.saturating_sub(earlier.get(c).copied().unwrap_or(0)),
            )
        })
        .collect()
}

fn add_into(total: &mut BTreeMap<String, u64>, more: &BTreeMap<String, u64>) {
    for (c, n) in more {
        *total.entry(c.clone()).or_default() += n;
    }
}

/// What the harness itself wrote, to judge the fresh status by (see `model_mismatches`).
struct Model<'a> {
    instances: &'a [AppInstance],
    /// Per instance: the live value last written (None: a timed-out write, uncertain).
    live_value: Vec<Option<String>>,
    /// Per instance: Git's value is the drifted one.
    git_drifted: Vec<bool>,
    /// Per cluster: the last fault, as `KIND from S s to S s` (the lead to a wrong verdict).
    last_fault: BTreeMap<String, String>,
    /// Per instance: when (s since the start) the harness last wrote its live value.
    last_edit: Vec<Option<f64>>,
}

impl Model<'_> {
    /// A wrong verdict with what the harness last did to its cluster and resource.
    fn explain(&self, wrong: &str) -> String {
        let Some((app_env, _)) = wrong.split_once(' ') else {
            return wrong.to_string();
        };
        let Some((app, env)) = app_env.split_once('@') else {
            return wrong.to_string();
        };
        let fault = self.last_fault.get(env).map_or("none", String::as_str);
        let edit = self
            .instances
            .iter()
            .position(|i| i.app == app && i.env == env)
            .and_then(|i| self.last_edit[i])
            .map_or("never".to_string(), |at| format!("at {at:.1} s"));
        format!("{wrong} (last fault on {env}: {fault}; last edit of the app {edit})")
    }

    fn note_fault(
        &mut self,
        cluster: &str,
        kind: &str,
        from: Instant,
        to: Instant,
        start: Instant,
    ) {
        let at = |t: Instant| t.saturating_duration_since(start).as_secs_f64();
        self.last_fault.insert(
            cluster.to_string(),
            format!("{kind} from {:.1} s to {:.1} s", at(from), at(to)),
        );
    }

    fn mismatches(&self, fresh: &BTreeMap<String, String>) -> usize {
        let mut mismatches = 0;
        for (i, instance) in self.instances.iter().enumerate() {
            let Some(live) = &self.live_value[i] else {
                continue;
            };
            let git = if self.git_drifted[i] {
                "warn"
            } else {
                TARGET_VALUE
            };
            let want = if live == git { "Synced" } else { "OutOfSync" };
            let key = format!(
                "{}@{} {}",
                instance.app,
                instance.env,
                target_key(&instance.app)
            );
            if fresh.get(&key).is_some_and(|v| v != want) {
                mismatches += 1;
            }
        }
        mismatches
    }
}

/// Clear every fault, give the watcher 5 s, and compare it with a fresh `status` (and again
/// 30 s after the recovery when something was wrong). The fresh runs' own lists and watches
/// are added to `excluded`, so they are not counted as the watcher's reconnects.
fn checkpoint(
    opts: &SoakOptions,
    sandbox: &mut SandboxProcess,
    config: &Path,
    watcher: &mut Watcher,
    model: &Model,
    at_seconds: f64,
    excluded: &mut Requests,
) -> Result<Checkpoint, BenchError> {
    sandbox.command("clear-all")?;
    let recovered = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    watcher.drain();
    let before = Requests::read(sandbox)?;
    let kubeconfig = sandbox.kubeconfig.clone();
    let (fresh, fresh_exit) = fresh_verdicts(&opts.kubedrift, config, &kubeconfig)?;
    let wrong = disagreements(&watcher.verdicts(), &fresh);
    let wrong_after_30s = if wrong.is_empty() {
        None
    } else {
        let left = Duration::from_secs(30).saturating_sub(recovered.elapsed());
        std::thread::sleep(left);
        watcher.drain();
        let (fresh, _) = fresh_verdicts(&opts.kubedrift, config, &kubeconfig)?;
        Some(disagreements(&watcher.verdicts(), &fresh).len())
    };
    let after = Requests::read(sandbox)?;
    add_into(
        &mut excluded.watches,
        &delta(&after.watches, &before.watches),
    );
    add_into(&mut excluded.lists, &delta(&after.lists, &before.lists));
    Ok(Checkpoint {
        at_seconds,
        compared_resources: fresh.len(),
        wrong_after_5s: wrong.len(),
        wrong_after_30s,
        wrong_examples: wrong.iter().take(10).map(|w| model.explain(w)).collect(),
        model_mismatches: model.mismatches(&fresh),
        fresh_status_exit: fresh_exit,
    })
}

/// The slope (MiB per 10 minutes) of RSS over the samples after `warmup` seconds; None with
/// fewer than 3 such samples.
fn slope_after(samples: &[RssSample], warmup: f64) -> Option<f64> {
    slope_of(samples, warmup, |s| Some(s.rss_mib))
}

/// [`slope_after`] of the anonymous part of RSS (samples without it are skipped).
fn anon_slope_after(samples: &[RssSample], warmup: f64) -> Option<f64> {
    slope_of(samples, warmup, |s| s.anon_mib)
}

fn slope_of(
    samples: &[RssSample],
    warmup: f64,
    value: impl Fn(&RssSample) -> Option<f64>,
) -> Option<f64> {
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.at_seconds >= warmup)
        .filter_map(|s| Some((s.at_seconds, value(s)?)))
        .collect();
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_r = points.iter().map(|p| p.1).sum::<f64>() / n;
    let var: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    if var == 0.0 {
        return None;
    }
    let cov: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_r)).sum();
    Some(cov / var * 600.0)
}

/// The environment that changes how the watcher allocates (see `SoakReport::watcher_env`).
fn watcher_env() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("MALLOC_") || k == WATCHER_ENV)
        .collect()
}

/// How a dead child ended, for the crash line.
fn ended(how: Option<(Option<i32>, Option<i32>)>) -> String {
    match how {
        Some((Some(code), _)) => format!("exit code {code}"),
        Some((None, Some(signal))) => format!("signal {signal}"),
        _ => "unknown status".to_string(),
    }
}

pub fn run(
    opts: &SoakOptions,
    root: &Path,
    mut progress: impl FnMut(&str),
) -> Result<SoakReport, BenchError> {
    let load_at_start = load_average();
    let (mut setup, _) = setup(&opts.spec, root, &opts.kubedrift)?;
    let mut watcher = Watcher::start(
        &opts.kubedrift,
        &setup.generated.config,
        &setup.sandbox.kubeconfig,
        &setup.shim.path_env(),
        &setup.cache_home,
        Duration::from_secs(120),
    )?;
    // The watches open after the first lists (one per watched kind and cluster): let them
    // open before counting, so what is counted after is reconnects.
    std::thread::sleep(Duration::from_secs(3));
    let requests_start = Requests::read(&mut setup.sandbox)?;
    let mut excluded = Requests {
        watches: BTreeMap::new(),
        lists: BTreeMap::new(),
    };
    let rss_start = watcher.rss_mib();
    let generated = &setup.generated;
    progress(&format!(
        "soak: {} clusters, {} live objects, first status in {:.1} s; running {:?}, a checkpoint every {:?}",
        generated.contexts.len(),
        opts.spec.live_objects(),
        watcher.first_status.as_secs_f64(),
        opts.duration,
        opts.checkpoint_every,
    ));
    let mut editor = Editor::new(&setup.sandbox.kubeconfig)?;
    let repo = git2::Repository::open(&generated.repo)?;
    let mut rng = SplitMix64::new(opts.spec.seed ^ 0x736f_616b);
    let instances: &[AppInstance] = &generated.instances;
    let plain: Vec<usize> = (0..instances.len())
        .filter(|i| !instances[*i].kustomize)
        .collect();
    let mut model = Model {
        instances,
        live_value: vec![Some(TARGET_VALUE.to_string()); instances.len()],
        git_drifted: vec![false; instances.len()],
        last_fault: BTreeMap::new(),
        last_edit: vec![None; instances.len()],
    };
    // (cluster, fault, started, until)
    let mut active: Vec<(String, &str, Instant, Instant)> = Vec::new();
    let mut injected: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_cluster: BTreeMap<String, usize> = BTreeMap::new();
    let (mut edits_ok, mut edits_failed, mut commits) = (0, 0, 0);
    let mut rss_samples = Vec::new();
    let mut checkpoints = Vec::new();
    let mut crashes = Vec::new();
    let sample_every = Duration::from_secs(10).max(opts.duration / 60);
    let checkpoint_every = opts.checkpoint_every.max(Duration::from_secs(10));
    let started = Instant::now();
    let mut next_sample = Instant::now();
    let mut next_checkpoint = Instant::now() + checkpoint_every;
    let mut commit_n = 0;
    while started.elapsed() < opts.duration {
        std::thread::sleep(Duration::from_millis(500));
        watcher.drain();
        let now = Instant::now();
        if now >= next_sample {
            next_sample = now + sample_every;
            let pid = watcher.pid();
            if let Some(rss) = watcher.rss_mib() {
                let parts = process::rss_parts_of(pid);
                rss_samples.push(RssSample {
                    at_seconds: started.elapsed().as_secs_f64(),
                    rss_mib: rss,
                    anon_mib: parts.map(|p| p.anon_mib),
                    file_mib: parts.map(|p| p.file_mib),
                    threads: process::threads_of(pid),
                    open_fds: process::open_fds_of(pid),
                    load: load_average(),
                });
            }
            if !watcher.running() {
                crashes.push(format!(
                    "kubedrift status --watch exited during the soak ({}) after {:.0} s",
                    ended(watcher.ended()),
                    started.elapsed().as_secs_f64()
                ));
                break;
            }
            if !setup.sandbox.running() {
                crashes.push("the sandbox process exited during the soak".to_string());
                break;
            }
        }
        // A checkpoint pauses faults, edits and commits (at least 5 s before the end: the
        // final checkpoint comes after the loop).
        if now >= next_checkpoint && started.elapsed() + Duration::from_secs(5) < opts.duration {
            for (cluster, kind, from, _) in active.drain(..) {
                model.note_fault(&cluster, kind, from, now, started);
            }
            let at = started.elapsed().as_secs_f64();
            let check = checkpoint(
                opts,
                &mut setup.sandbox,
                &generated.config,
                &mut watcher,
                &model,
                at,
                &mut excluded,
            )?;
            progress(&format!(
                "soak: checkpoint at {at:.0} s: {} of {} wrong after 5 s, RSS {:.1} MiB (anonymous {:.1})",
                check.wrong_after_5s,
                check.compared_resources,
                watcher.rss_mib().unwrap_or(0.0),
                process::rss_parts_of(watcher.pid()).map_or(0.0, |p| p.anon_mib),
            ));
            checkpoints.push(check);
            next_checkpoint = Instant::now() + checkpoint_every;
            continue;
        }
        let (ended_faults, still): (Vec<_>, Vec<_>) =
            active.drain(..).partition(|(_, _, _, until)| *until <= now);
        active = still;
        for (cluster, kind, from, _) in ended_faults {
            setup.sandbox.command(&format!("fault {cluster} clear"))?;
            model.note_fault(&cluster, kind, from, now, started);
        }
        if active.len() < 3 && rng.chance(0.2) {
            let cluster = &generated.contexts[rng.below(generated.contexts.len() as u64) as usize];
            if !active.iter().any(|(c, _, _, _)| c == cluster) {
                let kind = FAULTS[rng.below(FAULTS.len() as u64) as usize];
                for command in fault_commands(kind, cluster) {
                    setup.sandbox.command(&command)?;
                }
                *injected.entry(kind.to_string()).or_default() += 1;
                *by_cluster.entry(cluster.clone()).or_default() += 1;
                let lasts = Duration::from_millis(2_000 + rng.below(6_000));
                active.push((cluster.clone(), kind, now, now + lasts));
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
                    model.live_value[i] = Some(value.to_string());
                    model.last_edit[i] = Some(started.elapsed().as_secs_f64());
                }
                Err(_) => {
                    // A timed-out write may or may not have landed.
                    edits_failed += 1;
                    model.live_value[i] = None;
                    model.last_edit[i] = Some(started.elapsed().as_secs_f64());
                }
            }
        }
        if !plain.is_empty() && rng.chance(0.1) {
            let i = plain[rng.below(plain.len() as u64) as usize];
            commit_target(
                &repo,
                &generated.repo,
                &instances[i],
                !model.git_drifted[i],
                commit_n,
            )?;
            model.git_drifted[i] = !model.git_drifted[i];
            commit_n += 1;
            commits += 1;
        }
    }
    let soak_seconds = started.elapsed().as_secs_f64();
    let ended_at = Instant::now();
    for (cluster, kind, from, _) in active.drain(..) {
        model.note_fault(&cluster, kind, from, ended_at, started);
    }
    let rss_end = watcher.rss_mib();
    if crashes.is_empty() && !watcher.running() {
        crashes.push(format!(
            "kubedrift status --watch exited during the soak ({})",
            ended(watcher.ended())
        ));
    }
    // A dead watcher's verdicts are stale: comparing them would count its crash twice.
    if crashes.is_empty() {
        let check = checkpoint(
            opts,
            &mut setup.sandbox,
            &generated.config,
            &mut watcher,
            &model,
            soak_seconds,
            &mut excluded,
        )?;
        checkpoints.push(check);
    }
    let requests_end = Requests::read(&mut setup.sandbox)?;
    let mut watch_reconnects = delta(&requests_end.watches, &requests_start.watches);
    let mut relists = delta(&requests_end.lists, &requests_start.lists);
    for (total, fresh_runs) in [
        (&mut watch_reconnects, &excluded.watches),
        (&mut relists, &excluded.lists),
    ] {
        for (c, n) in total.iter_mut() {
            *n = n.saturating_sub(fresh_runs.get(c).copied().unwrap_or(0));
        }
    }
    let finished = watcher.stop()?;
    if finished.signal.is_some_and(|s| s != libc::SIGINT) {
        crashes.push(format!("the watcher died of signal {:?}", finished.signal));
    }
    if !crashes.is_empty() {
        // What the watcher said last is the lead to the crash.
        let tail: String = {
            let stderr = finished.stderr.trim();
            let from = stderr.len().saturating_sub(2000);
            stderr.get(from..).unwrap_or(stderr).to_string()
        };
        crashes.push(format!("watcher stderr (tail): {tail}"));
    }
    let _ = setup.sandbox.stop();
    let warmup = (soak_seconds / 3.0).max(60.0);
    Ok(SoakReport {
        soak_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
        live_objects: opts.spec.live_objects(),
        clusters: opts.spec.clusters,
        faults_injected: injected,
        faults_by_cluster: by_cluster,
        edits_ok,
        edits_failed,
        commits,
        crashes,
        rss_start_mib: rss_start,
        rss_end_mib: rss_end,
        rss_slope_mib_per_10min_after_warmup: slope_after(&rss_samples, warmup),
        anon_slope_mib_per_10min_after_warmup: anon_slope_after(&rss_samples, warmup),
        rss_samples,
        watcher_peak_rss_mib: finished.max_rss_mib,
        watcher_env: watcher_env(),
        wrong_after_5s: checkpoints.iter().map(|c| c.wrong_after_5s).sum(),
        wrong_after_30s: checkpoints.iter().filter_map(|c| c.wrong_after_30s).sum(),
        compared_resources: checkpoints.iter().map(|c| c.compared_resources).sum(),
        model_mismatches: checkpoints.iter().map(|c| c.model_mismatches).sum(),
        checkpoints,
        watch_reconnects,
        relists,
        load_at_start,
        load_at_end: load_average(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_seconds: f64, rss_mib: f64) -> RssSample {
        RssSample {
            at_seconds,
            rss_mib,
            anon_mib: None,
            file_mib: None,
            threads: None,
            open_fds: None,
            load: 0.0,
        }
    }

    #[test]
    fn slope_is_growth_per_ten_minutes_after_the_warmup() {
        // 10 MiB of warm-up, then 1 MiB per minute.
        let samples: Vec<RssSample> = (0..=20)
            .map(|m| {
                sample(
                    m as f64 * 60.0,
                    if m < 5 {
                        m as f64 * 2.0
                    } else {
                        5.0 + m as f64
                    },
                )
            })
            .collect();
        let slope = slope_after(&samples, 300.0).expect("enough samples");
        assert!((slope - 10.0).abs() < 1e-9, "{slope}");
        let flat: Vec<RssSample> = (0..10).map(|m| sample(m as f64 * 60.0, 70.0)).collect();
        assert_eq!(slope_after(&flat, 0.0), Some(0.0));
        assert_eq!(slope_after(&flat[..2], 0.0), None);
    }

    #[test]
    fn the_anonymous_slope_ignores_code_pages_touched_later() {
        // RSS rises 1 MiB per minute, all of it file-backed; the anonymous part is flat.
        let samples: Vec<RssSample> = (0..10)
            .map(|m| RssSample {
                anon_mib: Some(25.0),
                file_mib: Some(20.0 + m as f64),
                ..sample(m as f64 * 60.0, 45.0 + m as f64)
            })
            .collect();
        let rss = slope_after(&samples, 0.0).expect("rss slope");
        assert!((rss - 10.0).abs() < 1e-9, "{rss}");
        assert_eq!(anon_slope_after(&samples, 0.0), Some(0.0));
        // Without the split (old kernel) there is no anonymous slope.
        let unsplit: Vec<RssSample> = (0..10).map(|m| sample(m as f64 * 60.0, 45.0)).collect();
        assert_eq!(anon_slope_after(&unsplit, 0.0), None);
    }

    #[test]
    fn reconnects_subtract_the_fresh_status_runs() {
        let map = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
            pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect()
        };
        let later = map(&[("c00", 50), ("c01", 7)]);
        let earlier = map(&[("c00", 20)]);
        assert_eq!(delta(&later, &earlier), map(&[("c00", 30), ("c01", 7)]));
        let mut total = map(&[("c00", 1)]);
        add_into(&mut total, &map(&[("c00", 2), ("c02", 3)]));
        assert_eq!(total, map(&[("c00", 3), ("c02", 3)]));
    }
}
