//! `kubedrift wait APP --env E`: block until the environment runs a Git revision of the app
//! (for the CI pipeline that pushed it). Thin over `actions::wait`.

use super::status::{parse_duration, start_live_at};
use super::{Exit, GlobalArgs, OutputFormat};
use crate::actions::wait::{wait, Judgement};
use crate::config::Config;
use crate::state::AppId;
use color_eyre::eyre::eyre;
use serde_json::json;
use std::io::Write;
use std::time::Duration;

/// Wait until live matches the app's desired state at a revision (and is Healthy).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  kubedrift wait web --env prod\n  \
kubedrift wait web --env staging --revision \"$GIT_COMMIT\" --healthy --timeout 10m\n\n\
Exit codes: 0 the environment runs the revision (and is Healthy with --healthy), 1 timed out \
or Degraded (what is still different is printed), 2 errors (unknown revision, render error).")]
pub struct WaitArgs {
    #[command(flatten)]
    pub from: super::FromArg,
    /// App name.
    pub app: String,
    /// Environment.
    #[arg(long)]
    pub env: String,
    /// The Git revision (commit, tag, branch) to wait for; default: the environment's ref now.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// Also wait until every resource is Healthy; Degraded ends the wait (exit 1).
    #[arg(long)]
    pub healthy: bool,
    /// Give up after this long (e.g. `90s`, `10m`).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(global: &GlobalArgs, args: WaitArgs) -> color_eyre::Result<Exit> {
    // An app read from Argo CD / Flux is known once its object is listed: the live layer
    // says whether it exists; it runs at the object's target revision.
    if global.from.is_some() {
        if args.revision.is_some() {
            return Err(eyre!(
                "--revision needs a config that names the app's repo (not --from)"
            ));
        }
        let (runtime, live) = start_live_at(global, Some(&args.env), Some(&args.app), None)?;
        let id = AppId::new(&args.app, &args.env);
        let (snapshot, _) = runtime.block_on(live.wait_settled(args.timeout));
        let Some(view) = snapshot.app(&args.app, &args.env) else {
            return Err(eyre!("no app {:?} in environment {:?}", args.app, args.env));
        };
        let label = view.revision.clone();
        return finish(&runtime, &live, &id, &args, &label);
    }
    let config = Config::load(global.config.as_deref())?.config;
    let repos = crate::desired::Repos::open(&config);
    let app = crate::desired::find_app(&config, &repos, &args.env, &args.app)?;
    let (label, revision) = match &args.revision {
        Some(rev) => {
            // Render the app at exactly that commit, whichever ref (the environment's or
            // the app's own) it reads otherwise.
            let resolved = repos.get(&app.repo)?.resolve(rev)?;
            (resolved.label(), Some(resolved.commit.clone()))
        }
        None => (app.git_ref.clone(), None),
    };
    let (runtime, live) = start_live_at(global, Some(&args.env), Some(&args.app), revision)?;
    let id = AppId::new(&args.app, &args.env);
    finish(&runtime, &live, &id, &args, &label)
}

/// Wait for `id` to run `label` and say how it ended.
fn finish(
    runtime: &tokio::runtime::Runtime,
    live: &crate::live::Live,
    id: &AppId,
    args: &WaitArgs,
    label: &str,
) -> color_eyre::Result<Exit> {
    let judgement = runtime.block_on(wait(live, id, args.healthy, args.timeout, |remaining| {
        eprintln!("waiting for {id}: {}", remaining.join("; "));
    }));
    let (exit, summary, remaining) = match &judgement {
        Judgement::Done => (
            Exit::InSync,
            format!(
                "{id} runs {label}{}",
                if args.healthy { " and is Healthy" } else { "" }
            ),
            Vec::new(),
        ),
        Judgement::Pending { remaining } => (
            Exit::Drift,
            format!(
                "timed out after {:?}: {id} does not run {label} yet",
                args.timeout
            ),
            remaining.clone(),
        ),
        Judgement::Degraded { remaining } => (
            Exit::Drift,
            format!("{id} runs {label} but is Degraded"),
            remaining.clone(),
        ),
        Judgement::Error { message } => return Err(eyre!("{message}")),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.output {
        OutputFormat::Table => {
            writeln!(out, "{summary}")?;
            for item in &remaining {
                writeln!(out, "  still different: {item}")?;
            }
        }
        OutputFormat::Json => {
            let doc = json!({"app": args.app, "env": args.env, "revision": label,
                             "result": judgement, "exitCode": exit.code()});
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    Ok(exit)
}
