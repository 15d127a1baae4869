//! `kubedrift diff APP`: masked unified diff of desired vs live, per resource.

use super::status::{check_app_exists, parse_duration, start_live};
use super::{Exit, GlobalArgs};
use crate::engine::compare::{comparable_pair, display_pair, CompareOptions, Verdict};
use crate::engine::diff;
use crate::live::one_shot::{read_once, OneShotOptions};
use crate::state::{AppView, Snapshot, SyncState};
use color_eyre::eyre::WrapErr;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Show what differs between Git and the cluster for one app, Secrets masked.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift diff web --env prod\n  kubedrift diff web --env prod --server-side\n\n\
Exit codes: 0 no difference, 1 differences (as `kubectl diff`, `argocd app diff` and \
`flux diff`, without a flag), 2 errors (an unknown app, an unreachable cluster, a render error, \
a timeout)."
)]
pub struct DiffArgs {
    #[command(flatten)]
    pub from: super::FromArg,
    /// App name.
    pub app: String,
    /// Only this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Accepted for compatibility and ignored: diff always exits 1 on a difference.
    #[arg(long)]
    pub exit_code: bool,
    /// Diff against a dry-run server-side apply (shows defaulting and webhook effects).
    #[arg(long)]
    pub server_side: bool,
    /// How long to wait for the clusters' first list.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// One resource's diff, ready to print.
struct ResourceDiff {
    title: String,
    diff: diff::DisplayDiff,
}

pub fn run(global: &GlobalArgs, args: DiffArgs) -> color_eyre::Result<Exit> {
    let (runtime, snapshot, settled) = read_snapshot(global, &args)?;
    let mut errors: Vec<String> = Vec::new();
    if !settled {
        errors.push(format!(
            "timed out after {:?} waiting for the clusters' first list",
            args.timeout
        ));
    }
    let apps: Vec<_> = snapshot
        .apps
        .values()
        .filter(|a| a.id.app == args.app)
        .cloned()
        .collect();
    if apps.is_empty() {
        errors.push(no_app_message(&args.app, &snapshot, settled));
    }
    let kubeconfig = if args.server_side {
        Some(crate::cluster::kubeconfig::load_default(
            global.kubeconfig.as_deref(),
        )?)
    } else {
        None
    };
    let color = super::color_enabled();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut differs = false;
    for app in &apps {
        match app.sync {
            SyncState::Error | SyncState::Unreachable => {
                errors.push(format!("{}: {}", app.id, app.message()));
                continue;
            }
            _ => {}
        }
        let diffs = match &kubeconfig {
            Some(kubeconfig) => runtime.block_on(server_side_diffs(
                kubeconfig,
                app,
                &snapshot.field_managers,
                &mut errors,
            )),
            None => local_diffs(app, &snapshot.field_managers, &mut errors),
        };
        for item in diffs {
            differs = true;
            writeln!(out, "# {} {}", app.id, item.title)?;
            if color {
                write!(out, "{}", diff::to_ansi(&item.diff))?;
            } else {
                write!(out, "{}", item.diff.unified)?;
            }
        }
    }
    for error in &errors {
        eprintln!("error: {error}");
    }
    Ok(if !errors.is_empty() {
        Exit::Error
    } else if differs {
        Exit::Drift
    } else {
        Exit::InSync
    })
}

/// One snapshot of the app: read once (Git, cached discovery, one LIST per kind) when the
/// config names its apps; through the live layer when apps come from Argo CD / Flux objects.
fn read_snapshot(
    global: &GlobalArgs,
    args: &DiffArgs,
) -> color_eyre::Result<(tokio::runtime::Runtime, Arc<Snapshot>, bool)> {
    let config = super::load_config(global)?;
    if !config.sources.is_empty() {
        let (runtime, live) = start_live(global, args.env.as_deref(), Some(&args.app))?;
        let (snapshot, settled) = runtime.block_on(live.wait_settled(args.timeout));
        return Ok((runtime, snapshot, settled));
    }
    let kubeconfig = crate::cluster::kubeconfig::load_default(global.kubeconfig.as_deref())?;
    check_app_exists(&config, args.env.as_deref(), &args.app)?;
    // One thread is enough for a handful of requests; Git is read on a thread of its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("could not start the async runtime")?;
    let options = OneShotOptions {
        config,
        kubeconfig,
        contexts: global.contexts.clone(),
        env: args.env.clone(),
        app: Some(args.app.clone()),
    };
    let (snapshot, settled) = read_once(&runtime, options, args.timeout)?;
    Ok((runtime, snapshot, settled))
}

/// Why nothing was found for `app`: an unknown name (with a suggestion from the apps Git
/// has), or a known app with no environment selected.
fn no_app_message(app: &str, snapshot: &crate::state::Snapshot, settled: bool) -> String {
    if !settled && !snapshot.sources_loaded {
        return format!("app {app:?} was not found before the timeout (Git not read yet)");
    }
    let known: std::collections::BTreeSet<&str> =
        snapshot.apps.keys().map(|id| id.app.as_str()).collect();
    let suggestion = super::status::suggest_app(app, known.iter().copied())
        .map(|s| format!(" (did you mean {s:?}?)"))
        .unwrap_or_default();
    format!("unknown app {app:?}{suggestion}")
}

fn title(resource: &crate::state::ResourceView) -> String {
    let mut title = format!("{} ({})", resource.key, resource.verdict.label());
    if let Some(attribution) = &resource.attribution {
        title.push_str(&format!(" — {}", attribution.summary()));
    }
    title
}

/// Desired vs live as the comparison sees them (server-owned fields dropped, Secrets masked).
fn local_diffs(
    app: &AppView,
    field_managers: &[String],
    errors: &mut Vec<String>,
) -> Vec<ResourceDiff> {
    let opts = CompareOptions {
        ignore: &app.ignore,
        field_managers,
        ..CompareOptions::default()
    };
    let mut out = Vec::new();
    for resource in &app.resources {
        if let Verdict::Unknown { reason } = &resource.verdict {
            errors.push(format!("{} {}: {reason}", app.id, resource.key));
            continue;
        }
        if !resource.verdict.is_drift() {
            continue;
        }
        let desired_object = resource.desired.as_ref().map(|o| o.get());
        let desired = desired_object.as_deref();
        let live_object = resource.live.as_ref().map(|o| o.get());
        let live = live_object.as_deref();
        let pair = display_pair(desired, live, &opts);
        out.push(ResourceDiff {
            title: title(resource),
            diff: diff::diff_with_kept(pair.desired.as_ref(), pair.live.as_ref(), &pair.kept, 3),
        });
    }
    out
}

/// Every desired object sent as a dry-run server-side apply; its result diffed against live.
async fn server_side_diffs(
    kubeconfig: &kube::config::Kubeconfig,
    app: &AppView,
    field_managers: &[String],
    errors: &mut Vec<String>,
) -> Vec<ResourceDiff> {
    let client = match crate::cluster::kubeconfig::client_for(kubeconfig, &app.context).await {
        Ok(client) => client,
        Err(err) => {
            errors.push(err.to_string());
            return Vec::new();
        }
    };
    let opts = CompareOptions {
        ignore: &app.ignore,
        field_managers,
        ..CompareOptions::default()
    };
    let mut out = Vec::new();
    for resource in &app.resources {
        let live_object = resource.live.as_ref().map(|o| o.get());
        let live = live_object.as_deref();
        let desired_object = resource.desired.as_ref().map(|o| o.get());
        let Some(desired) = desired_object.as_deref() else {
            // Extraneous: nothing to apply; show it as removed.
            let (_, have) = comparable_pair(None, live, &opts);
            out.push(ResourceDiff {
                title: title(resource),
                diff: diff::diff(None, have.as_ref(), 3),
            });
            continue;
        };
        let applied = match crate::cluster::dry_run::server_side_dry_run(
            &client,
            desired,
            resource.key.namespace.as_deref(),
        )
        .await
        {
            Ok(applied) => applied,
            Err(err) => {
                errors.push(format!(
                    "{}: dry-run apply of {}: {err}",
                    app.id, resource.key
                ));
                continue;
            }
        };
        let (want, have) = comparable_pair(Some(&applied), live, &opts);
        let shown = diff::diff(want.as_ref(), have.as_ref(), 3);
        if !shown.is_empty() {
            out.push(ResourceDiff {
                title: format!("{} (server-side dry run)", resource.key),
                diff: shown,
            });
        }
    }
    out
}
