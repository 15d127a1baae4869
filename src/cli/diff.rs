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
a timeout).\n\n\
When a `kubedrift status --watch` runs on the same config and kubeconfig, it answers (in a few \
milliseconds, from its watch streams, once every cluster is watched and Git is current) and \
stderr says so; stdout and the exit code are those of a one-shot read. --fresh always reads \
the clusters."
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
    /// Read Git and the clusters now, never the answer of a watching kubedrift.
    #[arg(long)]
    pub fresh: bool,
}

/// `diff` answered by a watching kubedrift before the rest of the process starts (`main`
/// calls this before the signal thread of one-shot commands): `None` when it is not to be
/// asked or did not answer — then [`run`] reads the clusters.
#[cfg(unix)]
pub fn ask_server_first(cli: &mut super::Cli) -> Option<color_eyre::Result<Exit>> {
    let Some(super::Command::Diff(args)) = &mut cli.command else {
        return None;
    };
    if args.fresh || args.server_side {
        return None;
    }
    let global = cli.global.with_from(&args.from);
    // No render tool runs yet: a signal only has to end the process as the thread would.
    let signals = crate::render::leftovers::QuickSignals::install();
    let answered = crate::serve::client::diff(&global, args);
    drop(signals);
    match answered {
        Ok(Some(exit)) => Some(Ok(exit)),
        Ok(None) => None,
        Err(err) => Some(Err(err.into())),
    }
}

/// One resource's diff, ready to print.
struct ResourceDiff {
    title: String,
    diff: diff::DisplayDiff,
}

/// Reads Git and the clusters; a watching kubedrift was asked before (`main` calls
/// [`ask_server_first`]).
pub fn run(global: &GlobalArgs, args: DiffArgs) -> color_eyre::Result<Exit> {
    let (runtime, snapshot, settled) = read_snapshot(global, &args)?;
    let color = super::color_enabled();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (exit, errors) = if args.server_side {
        let kubeconfig = crate::cluster::kubeconfig::load_default(global.kubeconfig.as_deref())?;
        let scope = Scope {
            app: &args.app,
            env: None,
            settled,
            timeout: args.timeout,
            color,
        };
        write_report(
            &snapshot,
            &scope,
            &mut out,
            |app, field_managers, errors| {
                runtime.block_on(server_side_diffs(&kubeconfig, app, field_managers, errors))
            },
        )?
    } else {
        write_local_report(
            &snapshot,
            &Scope {
                app: &args.app,
                env: None,
                settled,
                timeout: args.timeout,
                color,
            },
            &mut out,
        )?
    };
    for error in &errors {
        eprintln!("error: {error}");
    }
    Ok(exit)
}

/// What one `diff` shows: which app (and environment, when the snapshot holds several), and
/// how.
pub(crate) struct Scope<'a> {
    pub app: &'a str,
    /// Only this environment (None: every environment of the snapshot).
    pub env: Option<&'a str>,
    /// Whether the snapshot is settled (every cluster's first list, Git read).
    pub settled: bool,
    /// The `--timeout` the snapshot was read with (named in its error).
    pub timeout: Duration,
    pub color: bool,
}

/// The desired-vs-live diff of `scope.app` in `snapshot`, written to `out`: the one output of
/// `diff`, whether the snapshot was read once or is a watching kubedrift's
/// (`serve::server`). Returns the exit code and the errors for stderr.
pub(crate) fn write_local_report(
    snapshot: &Snapshot,
    scope: &Scope<'_>,
    out: &mut dyn Write,
) -> std::io::Result<(Exit, Vec<String>)> {
    write_report(snapshot, scope, out, local_diffs)
}

fn write_report(
    snapshot: &Snapshot,
    scope: &Scope<'_>,
    out: &mut dyn Write,
    mut diffs_of: impl FnMut(&AppView, &[String], &mut Vec<String>) -> Vec<ResourceDiff>,
) -> std::io::Result<(Exit, Vec<String>)> {
    let mut errors: Vec<String> = Vec::new();
    if !scope.settled {
        errors.push(format!(
            "timed out after {:?} waiting for the clusters' first list",
            scope.timeout
        ));
    }
    let apps: Vec<_> = snapshot
        .apps
        .values()
        .filter(|a| a.id.app == scope.app && scope.env.is_none_or(|env| a.id.env == env))
        .cloned()
        .collect();
    if apps.is_empty() {
        errors.push(no_app_message(scope.app, snapshot, scope.settled));
    }
    let mut differs = false;
    for app in &apps {
        match app.sync {
            SyncState::Error | SyncState::Unreachable => {
                errors.push(format!("{}: {}", app.id, app.message()));
                continue;
            }
            _ => {}
        }
        for item in diffs_of(app, &snapshot.field_managers, &mut errors) {
            differs = true;
            writeln!(out, "# {} {}", app.id, item.title)?;
            if scope.color {
                write!(out, "{}", diff::to_ansi(&item.diff))?;
            } else {
                write!(out, "{}", item.diff.unified)?;
            }
        }
    }
    let exit = if !errors.is_empty() {
        Exit::Error
    } else if differs {
        Exit::Drift
    } else {
        Exit::InSync
    };
    Ok((exit, errors))
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
