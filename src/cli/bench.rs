//! `kubedrift bench`: the scale benchmark and the soak under faults (see `crate::bench`).

use super::status::parse_duration;
use super::{Exit, GlobalArgs};
use crate::bench::{self, soak, MeasureOptions, ScaleSpec};
use color_eyre::eyre::{eyre, WrapErr};
use std::path::PathBuf;
use std::time::Duration;

/// Measure kubedrift at scale against a sandbox in its own process, next to kubectl.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift bench --sizes 1k,10k,50k --out bench.json\n  \
kubedrift bench --sizes tiny\n  kubedrift bench --soak 3m\n\n\
Sizes: tiny (2 clusters x 2 apps x 8), 1k (10 x 5 x 20), 10k (10 x 20 x 50), 50k (10 x 50 x 100); \
--clusters/--apps/--resources override a preset. The sandbox runs as `kubedrift sandbox` in \
its own process; every kubedrift number is a child process measured from outside (wait4).\n\n\
Exit codes: 0 measured (the report says which goals are met), 2 error (setup failed)."
)]
pub struct BenchArgs {
    /// Sizes to measure, in order (tiny, 1k, 10k, 50k).
    #[arg(long, value_delimiter = ',', default_value = "1k,10k,50k")]
    pub sizes: Vec<String>,
    #[arg(long)]
    pub clusters: Option<usize>,
    /// Apps per cluster.
    #[arg(long)]
    pub apps: Option<usize>,
    /// Resources per app.
    #[arg(long)]
    pub resources: Option<usize>,
    /// Seed of the generator (the same seed generates the same repo and drift).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Fraction of resources that drift.
    #[arg(long, default_value_t = 0.03)]
    pub drift: f64,
    /// Fraction of apps rendered with Kustomize.
    #[arg(long, default_value_t = 0.2)]
    pub kustomize: f64,
    /// `git_poll_seconds` of the generated config (kubedrift's default is 5).
    #[arg(long, default_value_t = 5)]
    pub git_poll_seconds: u64,
    /// Live edits per size (each waits for its verdict).
    #[arg(long, default_value_t = 100)]
    pub edits: usize,
    /// Commits per size (each waits for its verdict).
    #[arg(long, default_value_t = 10)]
    pub commits: usize,
    #[arg(long, default_value_t = 2)]
    pub unrelated_commits: usize,
    /// Apps compared one by one with `kubectl diff --server-side`.
    #[arg(long, default_value_t = 4)]
    pub per_app: usize,
    /// `status` runs after the first (warm starts).
    #[arg(long, default_value_t = 1)]
    pub warm_runs: usize,
    /// Run the soak under faults for this long instead (e.g. `3m`); 10 clusters.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub soak: Option<Duration>,
    /// During the soak, clear every fault this often and compare the watcher with a fresh
    /// `status` 5 s later (also done once at the end).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", default_value = "5m")]
    pub soak_checkpoint: Duration,
    /// Write the JSON report here too.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Keep the generated setups here (default: a temp dir, removed at the end).
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
}

fn spec(args: &BenchArgs, label: &str) -> color_eyre::Result<ScaleSpec> {
    let (clusters, apps, resources) = match bench::preset(label) {
        Some(preset) => preset,
        None => {
            let objects: usize = label
                .parse()
                .map_err(|_| eyre!("unknown size {label:?} (tiny, 1k, 10k, 50k or a number)"))?;
            (10, (objects / 1000).max(1), 100.min(objects.max(10) / 10))
        }
    };
    Ok(ScaleSpec {
        clusters: args.clusters.unwrap_or(clusters).max(1),
        apps_per_cluster: args.apps.unwrap_or(apps).max(1),
        resources_per_app: args.resources.unwrap_or(resources).max(1),
        seed: args.seed,
        drift: args.drift.clamp(0.0, 1.0),
        kustomize: args.kustomize.clamp(0.0, 1.0),
        git_poll_seconds: args.git_poll_seconds.max(1),
    })
}

pub fn run(_global: &GlobalArgs, args: BenchArgs) -> color_eyre::Result<Exit> {
    let kubedrift = std::env::current_exe().wrap_err("where is this kubedrift binary?")?;
    let temp = tempfile::Builder::new()
        .prefix("kubedrift-bench-")
        .tempdir()
        .wrap_err("could not create a temp dir")?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    // Every child runs this copy, so a rebuild during the bench cannot change what is measured.
    let kubedrift = bench::process::pinned_binary(&kubedrift, &work.join("bin"))?;
    let report = if let Some(duration) = args.soak {
        let mut spec = spec(&args, "1k")?;
        spec.apps_per_cluster = args.apps.unwrap_or(4);
        spec.resources_per_app = args.resources.unwrap_or(25);
        spec.git_poll_seconds = 1;
        let report = soak::run(
            &soak::SoakOptions {
                kubedrift,
                duration,
                spec,
                checkpoint_every: args.soak_checkpoint,
            },
            &work.join("soak"),
            |line| eprintln!("{line}"),
        )?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        serde_json::to_value(&report)?
    } else {
        let sizes = args
            .sizes
            .iter()
            .map(|label| Ok((label.clone(), spec(&args, label)?)))
            .collect::<color_eyre::Result<Vec<_>>>()?;
        let opts = MeasureOptions {
            kubedrift,
            edits: args.edits,
            commits: args.commits,
            unrelated_commits: args.unrelated_commits,
            per_app_samples: args.per_app,
            status_timeout: Duration::from_secs(600),
            warm_runs: args.warm_runs,
        };
        // Progress and each size's summary go to stdout as they are measured.
        let report = bench::run(&sizes, &work, &opts, |line| println!("{line}"))?;
        serde_json::to_value(&report)?
    };
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(&report)?)
            .wrap_err_with(|| format!("could not write {}", out.display()))?;
    }
    Ok(Exit::InSync)
}
