//! The scale benchmark behind `kubedrift bench` (issue 13): a seeded generator of clusters,
//! apps and resources with a matching Git repo; the sandbox in its own process; kubedrift's
//! binary measured from outside (wall time, peak RSS, CPU via wait4) next to `kubectl diff
//! --server-side` and `kubectl get -A -o json` on the same sandbox and manifests; and a soak
//! mode with faults. Nothing here is timed in a test: the test only checks the report is
//! complete and that kubectl and kubedrift name the same resources.

pub mod generate;
pub mod launcher;
mod measure;
pub mod names;
pub mod process;
pub mod rng;
pub mod soak;
pub mod watcher;

pub use generate::ScaleSpec;
pub use measure::MeasureOptions;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    #[error(transparent)]
    Process(#[from] process::ProcessError),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// A child run measured from outside.
#[derive(Debug, Clone, Serialize)]
pub struct TimedRun {
    pub wall_ms: f64,
    pub max_rss_mib: f64,
    pub cpu_ms: f64,
    /// `cpu_ms` split into user and system time.
    #[serde(default)]
    pub user_ms: f64,
    #[serde(default)]
    pub sys_ms: f64,
    pub exit_code: Option<i32>,
    /// 1-minute load average when it ended.
    pub load: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusRun {
    pub label: String,
    pub run: TimedRun,
    /// CPU spent beside the run (sandbox, harness, the rest of the machine).
    pub beside: process::Beside,
    /// kustomize runs the child made (counted by a PATH shim).
    pub tool_runs: usize,
    pub complete: bool,
    pub resources: usize,
    pub differing: usize,
    /// Resources whose verdict could not be decided.
    pub unknown: usize,
    /// Apps in Error / Unreachable / Unknown, with their message (first 5).
    pub app_errors: Vec<String>,
    /// The differing resources are exactly the generator's drift.
    pub matches_generator: bool,
    pub error: Option<String>,
}

/// `kubectl diff --server-side` vs `kubedrift diff` on one app in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct ComparedRun {
    pub target: String,
    pub kustomize: bool,
    pub resources: usize,
    pub kubectl: TimedRun,
    pub kubedrift: TimedRun,
    /// kubectl wall time / kubedrift wall time.
    pub ratio: f64,
    /// `kubedrift diff --server-side` (a dry-run apply per object, like kubectl's).
    pub kubedrift_server_side: TimedRun,
    pub server_side_same_resources: bool,
    pub same_resources: bool,
    pub matches_generator: bool,
    pub kubectl_named: Vec<String>,
    pub kubedrift_named: Vec<String>,
    pub kubectl_error: Option<String>,
    pub kubedrift_error: Option<String>,
    /// The same diff answered by a running `status --watch` (measured in the live phase).
    pub served: Option<ServedDiff>,
    /// The one-shot diff's stdout, to compare the served one with.
    #[serde(skip)]
    pub one_shot_stdout: String,
}

/// `kubedrift diff` answered by a running `kubedrift status --watch` over its socket.
#[derive(Debug, Clone, Serialize)]
pub struct ServedDiff {
    pub runs: usize,
    /// Runs whose stderr said the watching kubedrift answered.
    pub answered: usize,
    pub wall_ms_median: f64,
    pub wall_ms_min: f64,
    /// The first run: the server computes the answer (later runs of the same snapshot are
    /// answered from its cache of answers).
    pub wall_ms_first: f64,
    pub cpu_ms_median: f64,
    /// The largest peak RSS of the runs (started by [`launcher::Launcher`], so their own).
    pub max_rss_mib: f64,
    /// The launcher's own peak RSS: a child's peak below it would show as this.
    pub rss_floor_mib: Option<f64>,
    /// kubectl wall time / served median wall time.
    pub ratio: f64,
    /// Names the same resources as `kubectl diff --server-side`.
    pub same_resources: bool,
    /// Byte-identical to the one-shot diff's stdout (and the same exit code).
    pub same_as_one_shot: bool,
    /// Why it was not answered (the first decline's stderr line), if it was not.
    pub declined: Option<String>,
    pub load: f64,
}

/// `kubectl diff --server-side` over a whole environment vs `kubedrift status --env`.
#[derive(Debug, Clone, Serialize)]
pub struct EnvComparison {
    pub env: String,
    pub objects: usize,
    pub kubectl: TimedRun,
    /// `kubectl kustomize` of the Kustomize apps first (kubectl diff cannot mix -k and -f).
    pub kubectl_kustomize_render_ms: f64,
    pub kubedrift_status: TimedRun,
    pub kubedrift_tool_runs: usize,
    /// (kubectl diff + its kustomize renders) / kubedrift status.
    pub ratio: f64,
    pub kubectl_named: usize,
    pub kubedrift_named: usize,
    pub same_resources: bool,
    pub matches_generator: bool,
    pub only_kubectl: Vec<String>,
    pub only_kubedrift: Vec<String>,
    pub kubectl_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub count: usize,
    pub timeouts: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub load: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnrelatedCommit {
    /// Apps whose desired state was published again (a new revision on their line).
    pub apps_republished: usize,
    pub app_lines_printed: usize,
    /// kustomize runs in the window.
    pub tool_runs: usize,
    pub load: f64,
}

/// `kubedrift status --watch -o json` as a child: first status, edits, commits.
#[derive(Debug, Clone, Serialize)]
pub struct LiveReport {
    pub first_status_ms: f64,
    pub rss_after_first_status_mib: Option<f64>,
    pub rss_at_end_mib: Option<f64>,
    /// The watcher's whole run (peak RSS over the phase).
    pub watcher: TimedRun,
    pub load_at_start: f64,
    pub edits: Latency,
    pub edit_errors: Vec<String>,
    pub commits: Latency,
    pub git_poll_seconds: u64,
    pub unrelated_commits: Vec<UnrelatedCommit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SizeReport {
    pub label: String,
    pub spec: ScaleSpec,
    pub live_objects: usize,
    pub expected_differing: usize,
    pub generate_ms: f64,
    /// Sandbox process start until served (preload included).
    pub sandbox_ready_ms: f64,
    pub sandbox_max_rss_mib: f64,
    pub sandbox_alive_at_end: bool,
    /// `kubectl get configmaps,secrets,services,deployments -A -o json`, every cluster in turn.
    pub kubectl_get_all: TimedRun,
    pub kubectl_get_items: usize,
    /// `status -o json` runs: the first is the cold start.
    pub status: Vec<StatusRun>,
    /// `status` with table output (what a user types), after the JSON runs.
    pub status_table: TimedRun,
    pub status_table_beside: process::Beside,
    pub status_table_tool_runs: usize,
    pub per_app: Vec<ComparedRun>,
    pub environment: EnvComparison,
    pub live: LiveReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_mib: f64,
    pub kernel: String,
    pub kubectl: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kubedrift_version: String,
    pub started_at: String,
    pub machine: Machine,
    pub load_at_start: f64,
    pub load_at_end: f64,
    pub sizes: Vec<SizeReport>,
}

/// A size preset: (clusters, apps per cluster, resources per app).
pub fn preset(label: &str) -> Option<(usize, usize, usize)> {
    match label {
        "tiny" => Some((2, 2, 8)),
        "1k" => Some((10, 5, 20)),
        "10k" => Some((10, 20, 50)),
        "50k" => Some((10, 50, 100)),
        _ => None,
    }
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|m| m.trim().to_string())
        .unwrap_or_default();
    let memory_mib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    let kubectl = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_default();
    Machine {
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model,
        memory_mib,
        kernel,
        kubectl,
    }
}

/// Measure every size in `sizes` (each in its own directory under `work`).
pub fn run(
    sizes: &[(String, ScaleSpec)],
    work: &Path,
    opts: &MeasureOptions,
    mut progress: impl FnMut(&str),
) -> Result<Report, BenchError> {
    let load_at_start = process::load_average();
    let started_at = jiff::Timestamp::now().to_string();
    let mut reports = Vec::new();
    for (label, spec) in sizes {
        progress(&format!(
            "size {label}: {} clusters x {} apps x {} resources = {} live objects",
            spec.clusters,
            spec.apps_per_cluster,
            spec.resources_per_app,
            spec.live_objects()
        ));
        let root = work.join(label);
        std::fs::create_dir_all(&root).map_err(|e| BenchError::Io(root.clone(), e))?;
        let report = measure::measure_size(label, spec, &root, opts)?;
        progress(&summary(&report));
        reports.push(report);
    }
    Ok(Report {
        kubedrift_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        machine: machine(),
        load_at_start,
        load_at_end: process::load_average(),
        sizes: reports,
    })
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "n/a".to_string()
    } else if v >= 10_000.0 {
        format!("{:.1} s", v / 1e3)
    } else {
        format!("{v:.1} ms")
    }
}

/// `user U sys S; beside: sandbox X, harness H, others O, steal T`.
fn cpu_split(run: &TimedRun, beside: &process::Beside) -> String {
    format!(
        "user {} sys {}; beside it: sandbox {}, harness {}, others {}, steal {}",
        ms(run.user_ms),
        ms(run.sys_ms),
        ms(beside.sandbox_cpu_ms),
        ms(beside.harness_cpu_ms),
        ms(beside.others_cpu_ms),
        ms(beside.steal_ms)
    )
}

/// The human summary of one size.
pub fn summary(r: &SizeReport) -> String {
    let mut out = format!(
        "== {} ({} live objects, {} differing by construction) ==\n",
        r.label, r.live_objects, r.expected_differing
    );
    out.push_str(&format!(
        "  generate {}, sandbox ready {} (peak RSS {:.0} MiB)\n",
        ms(r.generate_ms),
        ms(r.sandbox_ready_ms),
        r.sandbox_max_rss_mib
    ));
    out.push_str(&format!(
        "  kubectl get -A -o json, all clusters: {} ({} items) load {:.2}\n",
        ms(r.kubectl_get_all.wall_ms),
        r.kubectl_get_items,
        r.kubectl_get_all.load
    ));
    for s in &r.status {
        out.push_str(&format!(
            "  status {}: {} peak RSS {:.0} MiB cpu {} ({}) tool runs {} complete {} resources {} differing {} matches generator {} exit {:?} load {:.2}{}\n",
            s.label,
            ms(s.run.wall_ms),
            s.run.max_rss_mib,
            ms(s.run.cpu_ms),
            cpu_split(&s.run, &s.beside),
            s.tool_runs,
            s.complete,
            s.resources,
            s.differing,
            s.matches_generator,
            s.run.exit_code,
            s.run.load,
            s.error.as_ref().map(|e| format!(" error: {e}")).unwrap_or_default()
        ));
        if s.unknown > 0 || !s.app_errors.is_empty() {
            out.push_str(&format!(
                "    {} resources Unknown; apps: {}\n",
                s.unknown,
                s.app_errors.join("; ")
            ));
        }
    }
    out.push_str(&format!(
        "  status (table output): {} peak RSS {:.0} MiB cpu {} ({}) tool runs {} exit {:?} load {:.2}\n",
        ms(r.status_table.wall_ms),
        r.status_table.max_rss_mib,
        ms(r.status_table.cpu_ms),
        cpu_split(&r.status_table, &r.status_table_beside),
        r.status_table_tool_runs,
        r.status_table.exit_code,
        r.status_table.load
    ));
    for c in &r.per_app {
        out.push_str(&format!(
            "  diff {} ({}): kubectl {} / kubedrift {} = {:.1}x (kubedrift --server-side {}, same {}), same resources {} ({} named), matches generator {}, load {:.2}{}{}\n",
            c.target,
            if c.kustomize { "kustomize" } else { "plain" },
            ms(c.kubectl.wall_ms),
            ms(c.kubedrift.wall_ms),
            c.ratio,
            ms(c.kubedrift_server_side.wall_ms),
            c.server_side_same_resources,
            c.same_resources,
            c.kubedrift_named.len(),
            c.matches_generator,
            c.kubedrift.load,
            c.kubectl_error.as_ref().map(|e| format!(" kubectl error: {e}")).unwrap_or_default(),
            c.kubedrift_error.as_ref().map(|e| format!(" kubedrift error: {e}")).unwrap_or_default(),
        ));
    }
    for c in &r.per_app {
        let Some(s) = &c.served else { continue };
        out.push_str(&format!(
            "  diff {} served by status --watch: median {} (min {}, first {}) cpu {} peak RSS {:.1} MiB (launcher floor {}) = {:.1}x kubectl, answered {}/{}, same resources {}, same as one-shot {}, load {:.2}{}\n",
            c.target,
            ms(s.wall_ms_median),
            ms(s.wall_ms_min),
            ms(s.wall_ms_first),
            ms(s.cpu_ms_median),
            s.max_rss_mib,
            s.rss_floor_mib
                .map_or_else(|| "n/a".to_string(), |f| format!("{f:.1} MiB")),
            s.ratio,
            s.answered,
            s.runs,
            s.same_resources,
            s.same_as_one_shot,
            s.load,
            s.declined.as_ref().map(|d| format!(" declined: {d}")).unwrap_or_default(),
        ));
    }
    let e = &r.environment;
    out.push_str(&format!(
        "  environment {} ({} objects): kubectl diff {} + kustomize {} / kubedrift status --env {} = {:.1}x, same resources {} ({} vs {}), matches generator {}, load {:.2}{}\n",
        e.env,
        e.objects,
        ms(e.kubectl.wall_ms),
        ms(e.kubectl_kustomize_render_ms),
        ms(e.kubedrift_status.wall_ms),
        e.ratio,
        e.same_resources,
        e.kubectl_named,
        e.kubedrift_named,
        e.matches_generator,
        e.kubedrift_status.load,
        e.kubectl_error.as_ref().map(|x| format!(" kubectl error: {x}")).unwrap_or_default(),
    ));
    let l = &r.live;
    out.push_str(&format!(
        "  status --watch: first status {}, RSS {:.0} MiB after it, {:.0} MiB at end, peak {:.0} MiB (load {:.2})\n",
        ms(l.first_status_ms),
        l.rss_after_first_status_mib.unwrap_or(f64::NAN),
        l.rss_at_end_mib.unwrap_or(f64::NAN),
        l.watcher.max_rss_mib,
        l.load_at_start
    ));
    out.push_str(&format!(
        "  live edit -> verdict ({} edits, {} timed out): p50 {} p99 {} max {} (load {:.2}){}\n",
        l.edits.count,
        l.edits.timeouts,
        ms(l.edits.p50_ms),
        ms(l.edits.p99_ms),
        ms(l.edits.max_ms),
        l.edits.load,
        l.edit_errors
            .first()
            .map(|e| format!(" first error: {e}"))
            .unwrap_or_default()
    ));
    out.push_str(&format!(
        "  commit -> verdict ({} commits, {} timed out, git_poll_seconds {}): p50 {} p99 {} max {} (load {:.2})\n",
        l.commits.count,
        l.commits.timeouts,
        l.git_poll_seconds,
        ms(l.commits.p50_ms),
        ms(l.commits.p99_ms),
        ms(l.commits.max_ms),
        l.commits.load
    ));
    for (n, u) in l.unrelated_commits.iter().enumerate() {
        out.push_str(&format!(
            "  unrelated commit #{}: {} apps re-published, {} kustomize runs, {} app lines (load {:.2})\n",
            n + 1,
            u.apps_republished,
            u.tool_runs,
            u.app_lines_printed,
            u.load
        ));
    }
    out
}
