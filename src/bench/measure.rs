//! One size of the scale benchmark: generate, start the sandbox process, and measure
//! kubedrift's binary (status cold and warm, diff, status --watch) next to kubectl on the same
//! sandbox and the same manifests.

use super::generate::{
    self, AppInstance, Generated, ScaleSpec, EDIT_MANAGER, TARGET_KEY, TARGET_VALUE,
};
use super::launcher::Launcher;
use super::names;
use super::process::{self, load_average, Beside, CpuCounters, Finished, SandboxProcess, ToolShim};
use super::watcher::Watcher;
use super::{
    BenchError, ComparedRun, EnvComparison, Latency, LiveReport, ServedDiff, SizeReport, StatusRun,
    TimedRun, UnrelatedCommit,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Knobs of one measured size besides the generated setup.
#[derive(Debug, Clone)]
pub struct MeasureOptions {
    pub kubedrift: PathBuf,
    pub edits: usize,
    pub commits: usize,
    pub unrelated_commits: usize,
    /// App instances compared with `kubectl diff` one by one.
    pub per_app_samples: usize,
    pub status_timeout: Duration,
    /// `status` runs after the first (each reported; the first is the cold one).
    pub warm_runs: usize,
}

pub(super) struct Setup {
    pub generated: Generated,
    pub sandbox: SandboxProcess,
    pub shim: ToolShim,
    pub cache_home: PathBuf,
    pub root: PathBuf,
}

pub(super) fn setup(
    spec: &ScaleSpec,
    root: &Path,
    kubedrift: &Path,
) -> Result<(Setup, f64), BenchError> {
    let started = Instant::now();
    let generated = generate::generate(spec, root)?;
    let generate_ms = started.elapsed().as_secs_f64() * 1e3;
    let sandbox = SandboxProcess::start(
        kubedrift,
        &generated.contexts,
        &root.join("kubeconfig.yaml"),
        &generated.preload,
    )?;
    let shim = ToolShim::create(&root.join("shim"))?;
    let cache_home = root.join("cache");
    Ok((
        Setup {
            generated,
            sandbox,
            shim,
            cache_home,
            root: root.to_path_buf(),
        },
        generate_ms,
    ))
}

fn kubedrift_command(setup: &Setup, opts: &MeasureOptions) -> Command {
    let mut command = Command::new(&opts.kubedrift);
    command
        .arg("--config")
        .arg(&setup.generated.config)
        .arg("--kubeconfig")
        .arg(&setup.sandbox.kubeconfig)
        .env("PATH", setup.shim.path_env())
        .env("NO_COLOR", "1")
        .env_remove("KUBEDRIFT_LOG");
    process::own_caches(&mut command, &setup.cache_home);
    command
}

fn kubectl_command(setup: &Setup, context: &str) -> Command {
    let mut command = Command::new("kubectl");
    command
        .arg("--kubeconfig")
        .arg(&setup.sandbox.kubeconfig)
        .arg("--context")
        .arg(context)
        // A discovery cache of its own, warmed by the first kubectl run of the size (as a
        // user's ~/.kube/cache is).
        .arg("--cache-dir")
        .arg(setup.root.join("kubectl-cache"))
        .env_remove("KUBECONFIG")
        .env_remove("KUBECTL_EXTERNAL_DIFF");
    command
}

fn timed(finished: &Finished) -> TimedRun {
    TimedRun {
        wall_ms: finished.wall_ms,
        max_rss_mib: finished.max_rss_mib,
        cpu_ms: finished.cpu_ms,
        user_ms: finished.user_ms,
        sys_ms: finished.sys_ms,
        exit_code: finished.exit_code,
        load: finished.load,
    }
}

/// Every resource Git and the preload say differ, as `ENV KEY`.
fn truth(instances: &[AppInstance]) -> BTreeSet<String> {
    instances
        .iter()
        .flat_map(|i| i.differing.iter().map(move |k| format!("{} {k}", i.env)))
        .collect()
}

fn status_run(
    setup: &Setup,
    opts: &MeasureOptions,
    label: &str,
    expected: &BTreeSet<String>,
) -> Result<StatusRun, BenchError> {
    let before = setup.shim.runs();
    let counters = CpuCounters::read(Some(setup.sandbox.pid()));
    let finished = process::run(
        kubedrift_command(setup, opts)
            .args(["status", "--output", "json", "--timeout"])
            .arg(format!("{}s", opts.status_timeout.as_secs())),
    )?;
    let beside = counters.beside(
        &CpuCounters::read(Some(setup.sandbox.pid())),
        finished.cpu_ms,
    );
    // Kept for a post-mortem when a run disagrees with the generator.
    let saved = setup.root.join(format!(
        "status-{}.json",
        label.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    ));
    let _ = std::fs::write(&saved, &finished.stdout);
    let report: Value = serde_json::from_str(&finished.stdout).unwrap_or(Value::Null);
    let named = names::status_names(&report);
    let apps = report
        .get("apps")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let unknown = apps
        .iter()
        .flat_map(|a| {
            a.get("resources")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter(|r| r.get("sync").and_then(Value::as_str) == Some("Unknown"))
        .count();
    let app_errors: Vec<String> = apps
        .iter()
        .filter(|a| {
            matches!(
                a.get("sync").and_then(Value::as_str),
                Some("Error" | "Unreachable" | "Unknown")
            )
        })
        .take(5)
        .map(|a| {
            let text = |n: &str| a.get(n).and_then(Value::as_str).unwrap_or("").to_string();
            format!(
                "{}@{}: {} {}",
                text("app"),
                text("env"),
                text("sync"),
                text("message")
            )
        })
        .collect();
    let resources: usize = report
        .get("apps")
        .and_then(Value::as_array)
        .map(|apps| {
            apps.iter()
                .map(|a| {
                    a.get("resources")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                })
                .sum()
        })
        .unwrap_or(0);
    Ok(StatusRun {
        label: label.to_string(),
        run: timed(&finished),
        beside,
        tool_runs: setup.shim.runs() - before,
        complete: report
            .get("complete")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        resources,
        differing: named.len(),
        unknown,
        app_errors,
        matches_generator: &named == expected,
        error: (finished.exit_code == Some(2)).then(|| first_lines(&finished.stderr)),
    })
}

/// `kubedrift status` as a user types it (table output): only its time, RSS and tool runs.
fn status_table_run(
    setup: &Setup,
    opts: &MeasureOptions,
) -> Result<(TimedRun, Beside, usize), BenchError> {
    let before = setup.shim.runs();
    let counters = CpuCounters::read(Some(setup.sandbox.pid()));
    let finished = process::run(
        kubedrift_command(setup, opts)
            .args(["status", "--timeout"])
            .arg(format!("{}s", opts.status_timeout.as_secs())),
    )?;
    let beside = counters.beside(
        &CpuCounters::read(Some(setup.sandbox.pid())),
        finished.cpu_ms,
    );
    Ok((timed(&finished), beside, setup.shim.runs() - before))
}

fn first_lines(text: &str) -> String {
    text.lines().take(3).collect::<Vec<_>>().join(" | ")
}

/// Sample app instances for the per-app comparison: round-robin over (kustomize?, drifted?)
/// so each kind is represented, in generation order.
fn sample(instances: &[AppInstance], count: usize) -> Vec<&AppInstance> {
    let mut buckets: [Vec<&AppInstance>; 4] = Default::default();
    for instance in instances {
        let bucket =
            usize::from(instance.kustomize) * 2 + usize::from(!instance.differing.is_empty());
        buckets[bucket].push(instance);
    }
    let mut picked = Vec::new();
    let mut round = 0;
    while picked.len() < count && buckets.iter().any(|b| b.len() > round) {
        for bucket in [3, 1, 0, 2] {
            if let Some(instance) = buckets[bucket].get(round) {
                if picked.len() < count {
                    picked.push(*instance);
                }
            }
        }
        round += 1;
    }
    picked
}

fn kubectl_diff_args(command: &mut Command, instance: &AppInstance) {
    command
        .args(["diff", "--server-side", "--force-conflicts"])
        .arg(if instance.kustomize { "-k" } else { "-f" })
        .arg(&instance.dir);
}

fn compare_app(
    setup: &Setup,
    opts: &MeasureOptions,
    instance: &AppInstance,
) -> Result<ComparedRun, BenchError> {
    let mut kubectl = kubectl_command(setup, &instance.env);
    kubectl_diff_args(&mut kubectl, instance);
    let kubectl_run = process::run(&mut kubectl)?;
    // --fresh: the one-shot read, even if a watching kubedrift runs.
    let kubedrift_run = process::run(
        kubedrift_command(setup, opts)
            .args(["diff", &instance.app, "--env", &instance.env, "--fresh"])
            .arg("--timeout")
            .arg(format!("{}s", opts.status_timeout.as_secs())),
    )?;
    let server_side_run = process::run(
        kubedrift_command(setup, opts)
            .args([
                "diff",
                &instance.app,
                "--env",
                &instance.env,
                "--server-side",
                "--timeout",
            ])
            .arg(format!("{}s", opts.status_timeout.as_secs())),
    )?;
    let kubectl_named = names::kubectl_diff_names(&kubectl_run.stdout);
    let kubedrift_named = names::kubedrift_diff_names(&kubedrift_run.stdout);
    let server_side_named = names::kubedrift_diff_names(&server_side_run.stdout);
    Ok(ComparedRun {
        kubedrift_server_side: timed(&server_side_run),
        server_side_same_resources: server_side_named == kubectl_named,
        target: format!("{}@{}", instance.app, instance.env),
        kustomize: instance.kustomize,
        resources: setup.generated.spec.resources_per_app,
        kubectl: timed(&kubectl_run),
        kubedrift: timed(&kubedrift_run),
        ratio: kubectl_run.wall_ms / kubedrift_run.wall_ms.max(1e-3),
        same_resources: kubectl_named == kubedrift_named,
        matches_generator: kubedrift_named == instance.differing,
        kubectl_named: kubectl_named.into_iter().collect(),
        kubedrift_named: kubedrift_named.into_iter().collect(),
        kubectl_error: (kubectl_run.exit_code.unwrap_or(2) > 1)
            .then(|| first_lines(&kubectl_run.stderr)),
        kubedrift_error: (kubedrift_run.exit_code.unwrap_or(2) > 1)
            .then(|| first_lines(&kubedrift_run.stderr)),
        served: None,
        one_shot_stdout: kubedrift_run.stdout.clone(),
    })
}

/// How many times each served diff runs (the median is reported).
const SERVED_RUNS: usize = 5;

/// `kubedrift diff` of `compared`'s app while `status --watch` runs (settled): answered over
/// the socket, timed from outside like the one-shot run.
fn served_diff(
    setup: &Setup,
    opts: &MeasureOptions,
    instance: &AppInstance,
    compared: &ComparedRun,
) -> Result<ServedDiff, BenchError> {
    // Through a launcher: spawned by this harness (tens to hundreds of MiB at 10k/50k), a
    // child's peak RSS would be the harness's.
    let mut launcher = Launcher::start(&opts.kubedrift, &setup.root.join("launcher"))?;
    let mut runs = Vec::new();
    for _ in 0..SERVED_RUNS {
        runs.push(launcher.run(kubedrift_command(setup, opts).args([
            "diff",
            &instance.app,
            "--env",
            &instance.env,
        ]))?);
    }
    let rss_floor_mib = launcher.floor_mib();
    let answered: Vec<&process::Finished> = runs
        .iter()
        .filter(|r| r.stderr.contains("answered by the watching kubedrift"))
        .collect();
    let mut walls: Vec<f64> = runs.iter().map(|r| r.wall_ms).collect();
    walls.sort_by(f64::total_cmp);
    let mut cpus: Vec<f64> = runs.iter().map(|r| r.cpu_ms).collect();
    cpus.sort_by(f64::total_cmp);
    let median = |v: &[f64]| v.get(v.len() / 2).copied().unwrap_or(0.0);
    let kubectl_named: BTreeSet<String> = compared.kubectl_named.iter().cloned().collect();
    let same_resources = runs
        .iter()
        .all(|r| names::kubedrift_diff_names(&r.stdout) == kubectl_named);
    let same_as_one_shot = runs.iter().all(|r| {
        r.stdout == compared.one_shot_stdout && r.exit_code == compared.kubedrift.exit_code
    });
    Ok(ServedDiff {
        runs: runs.len(),
        answered: answered.len(),
        wall_ms_median: median(&walls),
        wall_ms_min: walls.first().copied().unwrap_or(0.0),
        wall_ms_first: runs.first().map_or(0.0, |r| r.wall_ms),
        cpu_ms_median: median(&cpus),
        max_rss_mib: runs.iter().map(|r| r.max_rss_mib).fold(0.0, f64::max),
        rss_floor_mib,
        ratio: compared.kubectl.wall_ms / median(&walls).max(1e-3),
        same_resources,
        same_as_one_shot,
        declined: runs
            .iter()
            .find(|r| !r.stderr.contains("answered by the watching kubedrift"))
            .map(|r| first_lines(&r.stderr)),
        load: load_average(),
    })
}

fn compare_environment(
    setup: &Setup,
    opts: &MeasureOptions,
    env: &str,
) -> Result<EnvComparison, BenchError> {
    let instances: Vec<&AppInstance> = setup
        .generated
        .instances
        .iter()
        .filter(|i| i.env == env)
        .collect();
    // kubectl diff takes files, not kustomizations, next to each other: render those first
    // (timed, and counted in kubectl's total).
    let rendered_dir = setup.root.join("kubectl-rendered").join(env);
    std::fs::create_dir_all(&rendered_dir).map_err(|e| BenchError::Io(rendered_dir.clone(), e))?;
    let mut render_ms = 0.0;
    let mut kubectl = kubectl_command(setup, env);
    kubectl.args(["diff", "--server-side", "--force-conflicts"]);
    for instance in &instances {
        if instance.kustomize {
            let run = process::run(Command::new("kubectl").arg("kustomize").arg(&instance.dir))?;
            render_ms += run.wall_ms;
            let file = rendered_dir.join(format!("{}.yaml", instance.app));
            std::fs::write(&file, &run.stdout).map_err(|e| BenchError::Io(file.clone(), e))?;
            kubectl.arg("-f").arg(file);
        } else {
            kubectl.arg("-f").arg(&instance.dir);
        }
    }
    let kubectl_run = process::run(&mut kubectl)?;
    let before = setup.shim.runs();
    let kubedrift_run = process::run(
        kubedrift_command(setup, opts)
            .args(["status", "--env", env, "--output", "json", "--timeout"])
            .arg(format!("{}s", opts.status_timeout.as_secs())),
    )?;
    let tool_runs = setup.shim.runs() - before;
    let report: Value = serde_json::from_str(&kubedrift_run.stdout).unwrap_or(Value::Null);
    let kubedrift_named: BTreeSet<String> = names::status_names(&report)
        .into_iter()
        .filter_map(|n| n.strip_prefix(&format!("{env} ")).map(str::to_string))
        .collect();
    let kubectl_named = names::kubectl_diff_names(&kubectl_run.stdout);
    let expected: BTreeSet<String> = instances
        .iter()
        .flat_map(|i| i.differing.iter().cloned())
        .collect();
    let kubectl_total = kubectl_run.wall_ms + render_ms;
    Ok(EnvComparison {
        env: env.to_string(),
        objects: instances.len() * setup.generated.spec.resources_per_app,
        kubectl: timed(&kubectl_run),
        kubectl_kustomize_render_ms: render_ms,
        kubedrift_status: timed(&kubedrift_run),
        kubedrift_tool_runs: tool_runs,
        ratio: kubectl_total / kubedrift_run.wall_ms.max(1e-3),
        kubectl_named: kubectl_named.len(),
        kubedrift_named: kubedrift_named.len(),
        same_resources: kubectl_named == kubedrift_named,
        matches_generator: kubedrift_named == expected,
        only_kubectl: kubectl_named
            .difference(&kubedrift_named)
            .take(10)
            .cloned()
            .collect(),
        only_kubedrift: kubedrift_named
            .difference(&kubectl_named)
            .take(10)
            .cloned()
            .collect(),
        kubectl_error: (kubectl_run.exit_code.unwrap_or(2) > 1)
            .then(|| first_lines(&kubectl_run.stderr)),
    })
}

fn kubectl_get_all(setup: &Setup) -> Result<(TimedRun, usize), BenchError> {
    let started = Instant::now();
    let mut items = 0;
    let mut last = None;
    let mut max_rss: f64 = 0.0;
    let mut cpu = 0.0;
    let (mut user_ms, mut sys_ms) = (0.0, 0.0);
    for context in &setup.generated.contexts {
        let run = process::run(kubectl_command(setup, context).args([
            "get",
            "configmaps,secrets,services,deployments.apps",
            "-A",
            "-o",
            "json",
        ]))?;
        items += serde_json::from_str::<Value>(&run.stdout)
            .ok()
            .and_then(|v| v.get("items").and_then(Value::as_array).map(Vec::len))
            .unwrap_or(0);
        max_rss = max_rss.max(run.max_rss_mib);
        cpu += run.cpu_ms;
        user_ms += run.user_ms;
        sys_ms += run.sys_ms;
        last = run.exit_code.filter(|c| *c != 0).or(last);
    }
    Ok((
        TimedRun {
            wall_ms: started.elapsed().as_secs_f64() * 1e3,
            max_rss_mib: max_rss,
            cpu_ms: cpu,
            user_ms,
            sys_ms,
            exit_code: Some(last.unwrap_or(0)),
            load: load_average(),
        },
        items,
    ))
}

fn percentiles(mut samples: Vec<Duration>, attempts: usize) -> Latency {
    samples.sort();
    let pick = |p: f64| -> f64 {
        if samples.is_empty() {
            return f64::NAN;
        }
        let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
        samples[index.min(samples.len() - 1)].as_secs_f64() * 1e3
    };
    Latency {
        count: samples.len(),
        timeouts: attempts - samples.len(),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        load: load_average(),
    }
}

/// Clients for live edits, one per context (kube-rs, like any other writer).
pub(super) struct Editor {
    runtime: tokio::runtime::Runtime,
    kubeconfig: kube::config::Kubeconfig,
    clients: std::collections::HashMap<String, kube::Client>,
}

impl Editor {
    pub fn new(kubeconfig: &Path) -> Result<Editor, BenchError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BenchError::Io(PathBuf::from("tokio runtime"), e))?;
        let kubeconfig = crate::cluster::kubeconfig::load_kubeconfig(&[kubeconfig.to_path_buf()])
            .map_err(|e| BenchError::Other(e.to_string()))?;
        Ok(Editor {
            runtime,
            kubeconfig,
            clients: Default::default(),
        })
    }

    /// Set `cm-000`'s target key in the app's namespace (a `kubectl edit`).
    pub fn set_target(
        &mut self,
        context: &str,
        namespace: &str,
        value: &str,
    ) -> Result<(), String> {
        let client = match self.clients.get(context) {
            Some(client) => client.clone(),
            None => {
                let client = self
                    .runtime
                    .block_on(crate::cluster::kubeconfig::client_for(
                        &self.kubeconfig,
                        context,
                    ))
                    .map_err(|e| e.to_string())?;
                self.clients.insert(context.to_string(), client.clone());
                client
            }
        };
        let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(client, namespace);
        let params = kube::api::PatchParams {
            field_manager: Some(EDIT_MANAGER.to_string()),
            ..Default::default()
        };
        let patch = kube::api::Patch::Merge(json!({"data": {TARGET_KEY: value}}));
        self.runtime
            .block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(10),
                    api.patch("cm-000", &params, &patch),
                )
                .await
            })
            .map_err(|_| "timed out".to_string())?
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

pub(super) fn target_key(app: &str) -> String {
    generate::key_of("", "ConfigMap", app, "cm-000")
}

/// Flip cm-000's target value in Git (`info` ↔ `warn`) for a plain app; the new value.
pub(super) fn commit_target(
    repo: &git2::Repository,
    root: &Path,
    instance: &AppInstance,
    to_drift: bool,
    n: usize,
) -> Result<(), BenchError> {
    let file = instance.dir.join("configmaps.yaml");
    let text = std::fs::read_to_string(&file).map_err(|e| BenchError::Io(file.clone(), e))?;
    let (from, to) = if to_drift {
        (
            format!("{TARGET_KEY}: {TARGET_VALUE}"),
            format!("{TARGET_KEY}: warn"),
        )
    } else {
        (
            format!("{TARGET_KEY}: warn"),
            format!("{TARGET_KEY}: {TARGET_VALUE}"),
        )
    };
    let changed = text.replacen(&from, &to, 1);
    let relative = file
        .strip_prefix(root)
        .map_err(|_| BenchError::Other("app dir outside the repo".into()))?;
    generate::commit_file(repo, relative, &changed, &format!("bench commit {n}"))?;
    Ok(())
}

fn live_phase(
    setup: &Setup,
    opts: &MeasureOptions,
    per_app: &mut [ComparedRun],
    sampled: &[&AppInstance],
) -> Result<LiveReport, BenchError> {
    let generated = &setup.generated;
    let load_at_start = load_average();
    let mut watcher = Watcher::start(
        &opts.kubedrift,
        &generated.config,
        &setup.sandbox.kubeconfig,
        &setup.shim.path_env(),
        &setup.cache_home,
        opts.status_timeout,
    )?;
    let first_status = watcher.first_status;
    let rss_after_first_status = watcher.rss_mib();
    // The per-app diffs again, answered by this watching kubedrift (nothing changed since
    // the one-shot runs: the same stdout is expected).
    for (compared, instance) in per_app.iter_mut().zip(sampled) {
        compared.served = Some(served_diff(setup, opts, instance, compared)?);
        watcher.drain();
    }
    let mut editor = Editor::new(&setup.sandbox.kubeconfig)?;
    let instances = &generated.instances;
    let mut edit_samples = Vec::new();
    let mut edit_errors = Vec::new();
    for n in 0..opts.edits {
        let instance = &instances[(n / 2 * 7) % instances.len()];
        let to_drift = n % 2 == 0;
        let key = target_key(&instance.app);
        let want = if to_drift { "OutOfSync" } else { "Synced" };
        watcher.drain();
        let t0 = Instant::now();
        if let Err(err) = editor.set_target(
            &instance.env,
            &instance.app,
            if to_drift { "debug" } else { TARGET_VALUE },
        ) {
            edit_errors.push(err);
            continue;
        }
        if let Some(at) = watcher.wait_for(
            &instance.app,
            &instance.env,
            Duration::from_secs(30),
            |line| line.resources.get(&key).is_some_and(|s| s == want),
        ) {
            edit_samples.push(at.saturating_duration_since(t0));
        }
    }
    let edits = percentiles(edit_samples, opts.edits - edit_errors.len());

    let repo = git2::Repository::open(&generated.repo)?;
    let plain: Vec<&AppInstance> = instances.iter().filter(|i| !i.kustomize).collect();
    let commit_instances: Vec<&AppInstance> = if plain.is_empty() {
        instances.iter().collect()
    } else {
        plain
    };
    let mut commit_samples = Vec::new();
    // Commits land at a seeded random point of the poll cycle, as a user's would: right
    // after the previous verdict (itself just after a poll) they would all wait a full cycle.
    let mut phase = super::rng::SplitMix64::new(generated.spec.seed ^ 0x636f_6d6d);
    for n in 0..opts.commits {
        std::thread::sleep(Duration::from_millis(
            phase.below(generated.spec.git_poll_seconds * 1000),
        ));
        let instance = commit_instances[(n / 2 * 3) % commit_instances.len()];
        let to_drift = n % 2 == 0;
        let key = target_key(&instance.app);
        let want = if to_drift { "OutOfSync" } else { "Synced" };
        watcher.drain();
        let t0 = Instant::now();
        commit_target(&repo, &generated.repo, instance, to_drift, n)?;
        let wait = Duration::from_secs(generated.spec.git_poll_seconds * 3 + 30);
        if let Some(at) = watcher.wait_for(&instance.app, &instance.env, wait, |line| {
            line.resources.get(&key).is_some_and(|s| s == want)
        }) {
            commit_samples.push(at.saturating_duration_since(t0));
        }
    }
    let commits = percentiles(commit_samples, opts.commits);

    let mut unrelated = Vec::new();
    for n in 0..opts.unrelated_commits {
        watcher.drain();
        let before: std::collections::BTreeMap<(String, String), String> = watcher
            .apps
            .iter()
            .map(|(id, a)| (id.clone(), a.revision.clone()))
            .collect();
        let runs_before = setup.shim.runs();
        generate::commit_file(
            &repo,
            Path::new("docs/notes.md"),
            &format!("unrelated change {n}\n"),
            &format!("docs: note {n}"),
        )?;
        let mut republished = BTreeSet::new();
        let mut lines = 0;
        watcher.collect_for(
            Duration::from_secs(generated.spec.git_poll_seconds * 2 + 2),
            |id, app| {
                lines += 1;
                if before.get(id).is_some_and(|r| *r != app.revision) {
                    republished.insert(format!("{}@{}", id.0, id.1));
                }
            },
        );
        unrelated.push(UnrelatedCommit {
            apps_republished: republished.len(),
            app_lines_printed: lines,
            tool_runs: setup.shim.runs() - runs_before,
            load: load_average(),
        });
    }
    let rss_at_end = watcher.rss_mib();
    let finished = watcher.stop()?;
    Ok(LiveReport {
        first_status_ms: first_status.as_secs_f64() * 1e3,
        rss_after_first_status_mib: rss_after_first_status,
        rss_at_end_mib: rss_at_end,
        watcher: timed(&finished),
        load_at_start,
        edits,
        edit_errors: edit_errors.into_iter().take(5).collect(),
        commits,
        git_poll_seconds: generated.spec.git_poll_seconds,
        unrelated_commits: unrelated,
    })
}

pub(super) fn measure_size(
    label: &str,
    spec: &ScaleSpec,
    root: &Path,
    opts: &MeasureOptions,
) -> Result<SizeReport, BenchError> {
    let (mut setup, generate_ms) = setup(spec, root, &opts.kubedrift)?;
    let expected = truth(&setup.generated.instances);
    let sandbox_ready_ms = setup.sandbox.ready_after.as_secs_f64() * 1e3;
    let (kubectl_get, kubectl_get_items) = kubectl_get_all(&setup)?;
    let mut status = vec![status_run(&setup, opts, "cold (first start)", &expected)?];
    for n in 0..opts.warm_runs {
        status.push(status_run(
            &setup,
            opts,
            &format!("second start #{}", n + 1),
            &expected,
        )?);
    }
    let (status_table, status_table_beside, status_table_tool_runs) =
        status_table_run(&setup, opts)?;
    let sampled = sample(&setup.generated.instances, opts.per_app_samples);
    let mut per_app = sampled
        .iter()
        .map(|instance| compare_app(&setup, opts, instance))
        .collect::<Result<Vec<_>, _>>()?;
    let env = setup
        .generated
        .contexts
        .first()
        .cloned()
        .unwrap_or_default();
    let environment = compare_environment(&setup, opts, &env)?;
    let live = live_phase(&setup, opts, &mut per_app, &sampled)?;
    let sandbox_alive = setup.sandbox.running();
    let sandbox = setup.sandbox.stop()?;
    Ok(SizeReport {
        label: label.to_string(),
        spec: spec.clone(),
        live_objects: spec.live_objects(),
        expected_differing: expected.len(),
        generate_ms,
        sandbox_ready_ms,
        sandbox_max_rss_mib: sandbox.max_rss_mib,
        sandbox_alive_at_end: sandbox_alive,
        kubectl_get_all: kubectl_get,
        kubectl_get_items,
        status,
        status_table,
        status_table_beside,
        status_table_tool_runs,
        per_app,
        environment,
        live,
    })
}
