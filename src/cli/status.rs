//! `kubedrift status`: sync and health of every app in every environment.

use super::{Exit, GlobalArgs, OutputFormat};
use crate::config::Config;
use crate::live::{Live, LiveOptions};
use crate::state::{AppView, ChangeKind, Snapshot, SyncState};
use color_eyre::eyre::{eyre, WrapErr};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;
use std::io::Write;
use std::time::Duration;

/// Show APP, ENV, CLUSTER, SYNC, HEALTH, REVISION, MESSAGE for every app and environment.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift status\n  kubedrift status --env prod --output json\n  kubedrift status --app web --watch\n\n\
Exit codes: 0 all synced, 1 any drift, 2 errors (unreachable cluster, render error, a kind that \
may not be listed, timeout)."
)]
pub struct StatusArgs {
    #[command(flatten)]
    pub from: super::FromArg,
    /// Only this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Only this app.
    #[arg(long)]
    pub app: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Keep running and print changes as they happen.
    #[arg(long)]
    pub watch: bool,
    /// How long to wait for every cluster's first list (e.g. `30s`, `2m`).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `90`, `90s`, `2m`, `500ms` → a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (examples: 30s, 2m, 500ms)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(value)),
        "s" => Ok(Duration::from_secs(value)),
        "m" => Ok(Duration::from_secs(value.saturating_mul(60))),
        _ => Err(format!("{text:?}: unknown unit {unit:?} (use ms, s or m)")),
    }
}

/// Start the live layer for the headless commands (config and kubeconfig from the flags).
pub(crate) fn start_live(
    global: &GlobalArgs,
    env: Option<&str>,
    app: Option<&str>,
) -> color_eyre::Result<(tokio::runtime::Runtime, Live)> {
    start_live_at(global, env, app, None)
}

/// [`start_live`] rendering the selected apps at `revision` (a commit) instead of their refs.
pub(crate) fn start_live_at(
    global: &GlobalArgs,
    env: Option<&str>,
    app: Option<&str>,
    revision: Option<String>,
) -> color_eyre::Result<(tokio::runtime::Runtime, Live)> {
    let config = super::load_config(global)?;
    let kubeconfig = crate::cluster::kubeconfig::load_default(global.kubeconfig.as_deref())?;
    // Apps read from Argo CD / Flux are known only once their objects are listed.
    if let Some(app) = app.filter(|_| config.sources.is_empty()) {
        check_app_exists(&config, env, app)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .wrap_err("could not start the async runtime")?;
    let live = {
        let _guard = runtime.enter();
        Live::start(LiveOptions {
            config,
            kubeconfig,
            contexts: global.contexts.clone(),
            env: env.map(str::to_string),
            app: app.map(str::to_string),
            revision,
        })?
    };
    Ok((runtime, live))
}

/// Fail early (exit 2, with a suggestion) when no selected environment has an app named
/// `app`, listed or discovered. When discovery cannot read a repo the name may be there, so
/// the live layer runs and shows the repo error instead.
pub(crate) fn check_app_exists(
    config: &Config,
    env: Option<&str>,
    app: &str,
) -> color_eyre::Result<()> {
    let mut known: std::collections::BTreeSet<String> =
        config.apps.iter().map(|a| a.name.clone()).collect();
    if known.contains(app) {
        return Ok(());
    }
    if !config.discover.is_empty() {
        let repos = crate::desired::Repos::open(config);
        for environment in &config.environments {
            if env.is_some_and(|e| e != environment.name) {
                continue;
            }
            match crate::desired::apps_for(config, &repos, &environment.name) {
                Ok((apps, errors)) => {
                    if apps.iter().any(|a| a.name == app) || !errors.is_empty() {
                        return Ok(());
                    }
                    known.extend(apps.into_iter().map(|a| a.name));
                }
                Err(_) => return Ok(()),
            }
        }
    }
    Err(eyre!(
        "no app named {app:?}{}",
        suggest_app(app, known.iter().map(String::as_str))
            .map(|s| format!(" (did you mean {s:?}?)"))
            .unwrap_or_default()
    ))
}

/// The known app closest to a mistyped `app`: the config's suggestion, else a name one
/// transposition or a few edits away (short names like `wbe` for `web` score too low for a
/// similarity ratio).
pub(crate) fn suggest_app<'a>(
    app: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<String> {
    crate::config::suggest(app, known.clone()).or_else(|| {
        let limit = (app.chars().count() / 3).max(1);
        known
            .into_iter()
            .map(|k| (strsim::osa_distance(app, k), k))
            .filter(|(distance, _)| *distance <= limit)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, k)| k.to_string())
    })
}

pub fn run(global: &GlobalArgs, args: StatusArgs) -> color_eyre::Result<Exit> {
    let (runtime, live) = start_live(global, args.env.as_deref(), args.app.as_deref())?;
    // A watching status answers `kubedrift diff` from its snapshot (see `serve`).
    #[cfg(unix)]
    let _diff_server = args
        .watch
        .then(|| serve_diff(global, &runtime, &live, &args))
        .flatten();
    // Ctrl-C: without --watch, `main` ends the process and the renders' tools
    // (`leftovers::end_on_signals`); with --watch, the watch loop below handles it.
    let (snapshot, settled) = runtime.block_on(live.wait_settled(args.timeout));
    let stdout = std::io::stdout();
    // Buffered: the JSON of 50k resources is half a million lines, each a write otherwise.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut exit = exit_for(&snapshot, settled);
    // `--app` named an app that exists, but none of the selected environments has it.
    let unmatched = args
        .app
        .as_deref()
        .filter(|_| snapshot.sources_loaded && snapshot.apps.is_empty());
    if unmatched.is_some() {
        exit = Exit::Error;
    }
    match args.output {
        OutputFormat::Table => write!(out, "{}", table(&snapshot))?,
        OutputFormat::Json => {
            let report = Report {
                snapshot: &snapshot,
                settled,
                exit,
            };
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    drop(out);
    if !settled {
        let waiting: Vec<&str> = snapshot
            .clusters
            .values()
            .filter(|c| !c.settled)
            .map(|c| c.context.as_str())
            .collect();
        eprintln!(
            "error: timed out after {:?} waiting for the first list of: {}",
            args.timeout,
            if waiting.is_empty() {
                "git".to_string()
            } else {
                waiting.join(", ")
            }
        );
    }
    for repo in snapshot.repos.values() {
        if let Some(error) = &repo.error {
            eprintln!("error: repo {}: {error}", repo.name);
        }
    }
    if let Some(tool) = global.from.filter(|_| snapshot.apps.is_empty() && settled) {
        eprintln!(
            "note: no {} objects found on the selected contexts ({})",
            tool.label(),
            match tool {
                crate::state::ControllerTool::ArgoCd => "Applications in namespace argocd",
                crate::state::ControllerTool::Flux => "Kustomizations and HelmReleases",
            }
        );
    }
    if let Some(app) = unmatched {
        eprintln!(
            "error: app {app:?} is in none of the selected environments{}",
            args.env
                .as_deref()
                .map(|e| format!(" (--env {e})"))
                .unwrap_or_default()
        );
    }
    if !args.watch {
        // The process ends right after this. Tearing the live layer down first (every
        // cluster's objects, the state, the runtime's threads) took 2-4 s at 50k objects, to
        // free memory the exit frees anyway. Renders still running are ended by `main`
        // (`render::leftovers::end_all`: their tools killed, their temp dirs removed).
        std::mem::forget(snapshot);
        std::mem::forget(live);
        std::mem::forget(runtime);
        return Ok(exit);
    }
    runtime.block_on(watch(&live, args.output, &snapshot))?;
    Ok(exit)
}

/// Start the diff server of this process; None (logged) when it cannot serve.
#[cfg(unix)]
fn serve_diff(
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
    live: &Live,
    args: &StatusArgs,
) -> Option<crate::serve::server::DiffServer> {
    use crate::serve::{identity::ScopeInputs, server};
    let inputs = ScopeInputs::read(global)?;
    let config = super::load_config(global).ok()?;
    let scope = server::ServeScope::of(
        inputs.identity(),
        &config,
        args.env.as_deref(),
        args.app.as_deref(),
    );
    let _guard = runtime.enter();
    match server::start(live, scope) {
        Ok(server) => {
            tracing::debug!(path = %server.path().display(), "serving diff");
            Some(server)
        }
        Err(err) => {
            tracing::info!(%err, "not serving diff");
            None
        }
    }
}

/// One line to stdout, flushed (a reader of `--watch` sees it at once); a closed pipe is an
/// error that ends the watch instead of a panic.
fn emit(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

/// Print a line for every app row that changes, until interrupted.
async fn watch(live: &Live, output: OutputFormat, printed: &Snapshot) -> color_eyre::Result<()> {
    let mut changes = live.subscribe();
    // The initial table already showed these rows: print a row again only when it changes.
    let mut last: std::collections::BTreeMap<crate::state::AppId, String> = printed
        .apps
        .iter()
        .map(|(id, app)| (id.clone(), watch_line(app, output)))
        .collect();
    // Apps read from Argo CD / Flux objects go with their object, not with a Git change.
    let mut read_from: std::collections::BTreeMap<crate::state::AppId, String> = printed
        .apps
        .iter()
        .filter_map(|(id, app)| Some((id.clone(), object_name(app)?)))
        .collect();
    // One future for the whole watch: a signal arriving while a change is printed is kept.
    let mut stop = std::pin::pin!(stop_requested());
    loop {
        let change = tokio::select! {
            change = changes.recv() => change,
            _ = &mut stop => return Ok(()),
        };
        let ids: Vec<crate::state::AppId> = match change {
            Ok(change) => match change.what {
                ChangeKind::App(id) | ChangeKind::Resource { app: id, .. } => vec![id],
                ChangeKind::AppRemoved(id) => {
                    let line = match output {
                        OutputFormat::Table => match read_from.remove(&id) {
                            Some(object) => {
                                format!("{}  {}  removed ({object} is gone)", id.app, id.env)
                            }
                            None => format!("{}  {}  removed from Git", id.app, id.env),
                        },
                        OutputFormat::Json => {
                            json!({"app": id.app, "env": id.env, "removed": true}).to_string()
                        }
                    };
                    emit(&line)?;
                    last.remove(&id);
                    continue;
                }
                _ => continue,
            },
            // Fell behind: re-read every row.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                live.snapshot().apps.keys().cloned().collect()
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
        };
        let snapshot = live.snapshot();
        for id in ids {
            let Some(app) = snapshot.apps.get(&id) else {
                continue;
            };
            if let Some(object) = object_name(app) {
                read_from.insert(id.clone(), object);
            }
            let line = watch_line(app, output);
            if last.get(&id) != Some(&line) {
                emit(&line)?;
                last.insert(id, line);
            }
        }
    }
}

/// Ctrl-C, or (Unix) SIGTERM as `kill` and service managers send: the watch ends normally,
/// so the diff socket is removed.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `Application argocd/web`: the controller object an app was read from.
fn object_name(app: &AppView) -> Option<String> {
    app.controller
        .as_ref()
        .map(|c| format!("{} {}/{}", c.kind, c.namespace, c.name))
}

/// One `--watch` line for an app row.
fn watch_line(app: &AppView, output: OutputFormat) -> String {
    match output {
        OutputFormat::Table => row(app).join("  "),
        OutputFormat::Json => serde_json::to_string(&AppJson(app)).unwrap_or_default(),
    }
}

/// 0 all synced, 1 any drift, 2 anything undecided (unreachable, render error, unknown,
/// still loading, repo error).
pub fn exit_for(snapshot: &Snapshot, settled: bool) -> Exit {
    let mut exit = if settled { Exit::InSync } else { Exit::Error };
    if snapshot.repos.values().any(|r| r.error.is_some()) {
        exit = Exit::Error;
    }
    for app in snapshot.apps.values() {
        // An undecided resource is an error even when another one of the app drifted (the
        // row says OutOfSync): the same mix across two apps exits 2 too.
        if app
            .resources
            .iter()
            .any(|r| matches!(r.verdict, crate::engine::compare::Verdict::Unknown { .. }))
        {
            exit = exit.worst(Exit::Error);
        }
        exit = exit.worst(match app.sync {
            SyncState::Synced => Exit::InSync,
            SyncState::OutOfSync => Exit::Drift,
            SyncState::Unknown | SyncState::Unreachable | SyncState::Loading | SyncState::Error => {
                Exit::Error
            }
        });
    }
    exit
}

const HEADER: [&str; 7] = [
    "APP", "ENV", "CLUSTER", "SYNC", "HEALTH", "REVISION", "MESSAGE",
];

fn row(app: &AppView) -> [String; 7] {
    [
        app.id.app.clone(),
        app.id.env.clone(),
        app.context.clone(),
        app.sync.label().to_string(),
        app.health.map(|h| h.label()).unwrap_or("-").to_string(),
        if app.revision.is_empty() {
            "-".to_string()
        } else {
            app.revision.clone()
        },
        app.message().replace('\n', " "),
    ]
}

/// The status table, columns aligned like kubectl's. When some app was read from Argo CD or
/// Flux, a CONTROLLER column shows what the controller says, and the message starts with the
/// disagreement when the controller and kubedrift disagree.
pub fn table(snapshot: &Snapshot) -> String {
    if snapshot.apps.values().any(|a| a.controller.is_some()) {
        let rows: Vec<[String; 8]> = snapshot.apps.values().map(|a| controller_row(a)).collect();
        return super::table::render(CONTROLLER_HEADER, &rows, 3);
    }
    let rows: Vec<[String; 7]> = snapshot.apps.values().map(|a| row(a)).collect();
    super::table::render(HEADER, &rows, 3)
}

const CONTROLLER_HEADER: [&str; 8] = [
    "APP",
    "ENV",
    "CLUSTER",
    "SYNC",
    "HEALTH",
    "CONTROLLER",
    "REVISION",
    "MESSAGE",
];

fn controller_row(app: &AppView) -> [String; 8] {
    let [name, env, cluster, sync, health, revision, message] = row(app);
    let controller = app
        .controller
        .as_ref()
        .map(|c| c.label())
        .unwrap_or_else(|| "-".to_string());
    let message = match app.controller_disagreement() {
        Some(disagreement) => format!("DISAGREE: {disagreement}; {message}"),
        None => message,
    };
    [
        name, env, cluster, sync, health, controller, revision, message,
    ]
}

/// One app as `status --output json` shows it (an element of `apps`, a `--watch` line).
/// Serialized as it is written, never built as a `serde_json::Value`: at 50k resources that
/// took longer than writing the document.
struct AppJson<'a>(&'a AppView);

impl Serialize for AppJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let app = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("app", &app.id.app)?;
        map.serialize_entry("env", &app.id.env)?;
        map.serialize_entry("cluster", &app.context)?;
        map.serialize_entry("sync", app.sync.label())?;
        map.serialize_entry("health", &app.health.map(|h| h.label()))?;
        map.serialize_entry("revision", &app.revision)?;
        map.serialize_entry("message", &app.message())?;
        map.serialize_entry("resources", &ResourcesJson(&app.resources))?;
        if let Some(controller) = &app.controller {
            let mut entry = json!(controller);
            entry["disagreement"] = json!(app.controller_disagreement());
            map.serialize_entry("controller", &entry)?;
        }
        map.end()
    }
}

struct ResourcesJson<'a>(&'a [std::sync::Arc<crate::state::ResourceView>]);

impl Serialize for ResourcesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|r| ResourceJson(r)))
    }
}

/// One resource: the fields every headless command shows (see [`super::resource_json`], in
/// the same order), then its attribution and, for an Argo Rollout, its progress.
struct ResourceJson<'a>(&'a crate::state::ResourceView);

impl Serialize for ResourceJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use crate::engine::compare::Verdict;
        #[derive(serde::Serialize)]
        struct HealthJson<'h> {
            status: &'static str,
            message: &'h Option<String>,
        }
        let r = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("group", &r.key.group)?;
        map.serialize_entry("kind", &r.key.kind)?;
        map.serialize_entry("namespace", &r.key.namespace)?;
        map.serialize_entry("name", &r.key.name)?;
        map.serialize_entry("sync", r.verdict.label())?;
        map.serialize_entry(
            "health",
            &r.health.as_ref().map(|h| HealthJson {
                status: h.status.label(),
                message: &h.message,
            }),
        )?;
        match &r.verdict {
            Verdict::OutOfSync { paths } => {
                let paths: Vec<String> = paths.iter().map(ToString::to_string).collect();
                map.serialize_entry("paths", &paths)?;
            }
            Verdict::Unknown { reason } => map.serialize_entry("reason", reason)?,
            _ => {}
        }
        if let Some(attribution) = &r.attribution {
            map.serialize_entry("attribution", attribution)?;
        }
        // Only a Rollout is read back from its stored text for its progress.
        if let Some(progress) = r
            .live
            .as_ref()
            .filter(|_| &*r.key.kind == "Rollout")
            .and_then(|live| crate::engine::rollout::progress(&live.get()))
        {
            // An Argo Rollout: where its update is, structured and in words.
            map.serialize_entry(
                "rollout",
                &json!({
                    "headline": progress.headline(),
                    "percent": progress.percent(),
                    "lines": progress.lines(),
                    "progress": progress,
                }),
            )?;
        }
        map.end()
    }
}

/// The JSON document of `status --output json`, serialized as it is written.
pub struct Report<'a> {
    pub snapshot: &'a Snapshot,
    pub settled: bool,
    pub exit: Exit,
}

impl Serialize for Report<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Apps<'a>(&'a Snapshot);
        impl Serialize for Apps<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.apps.values().map(|a| AppJson(a)))
            }
        }
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("apps", &Apps(self.snapshot))?;
        map.serialize_entry(
            "clusters",
            &self.snapshot.clusters.values().collect::<Vec<_>>(),
        )?;
        map.serialize_entry("repos", &self.snapshot.repos.values().collect::<Vec<_>>())?;
        map.serialize_entry("complete", &self.settled)?;
        map.serialize_entry("exitCode", &self.exit.code())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_reject_garbage() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3h").is_err());
    }

    #[test]
    fn app_typos_get_a_suggestion_even_for_short_names() {
        assert_eq!(suggest_app("wbe", ["web", "api"]), Some("web".into()));
        assert_eq!(
            suggest_app("chekout", ["checkout"]),
            Some("checkout".into())
        );
        assert_eq!(suggest_app("zzz", ["web", "api"]), None);
    }

    #[test]
    fn an_undecided_resource_exits_2_even_when_its_app_row_is_out_of_sync() {
        use crate::engine::compare::Verdict;
        use crate::model::ResourceKey;
        use crate::state::{AppId, ResourceView};
        use std::sync::Arc;
        let resource = |name: &str, verdict: Verdict| {
            Arc::new(ResourceView {
                key: ResourceKey::new("apps", "Deployment", Some("shop"), name),
                verdict,
                health: None,
                origin: None,
                attribution: None,
                awaiting_list: false,
                desired: None,
                live: None,
            })
        };
        let drifted = resource("web", Verdict::OutOfSync { paths: Vec::new() });
        let app = |resources: Vec<Arc<ResourceView>>| AppView {
            id: AppId::new("web", "dev"),
            context: "dev".into(),
            namespace: Some("shop".into()),
            revision: "main@1a2b3c4".into(),
            sync: SyncState::OutOfSync,
            health: None,
            summary: crate::state::AppSummary {
                cause: crate::state::SyncCause::Drift {
                    out_of_sync: 1,
                    missing: 0,
                    extraneous: 0,
                    first_attribution: None,
                },
                ..Default::default()
            },
            resources,
            ignore: Vec::new(),
            controller: None,
        };
        let mut snapshot = Snapshot::default();
        snapshot.apps.insert(
            AppId::new("web", "dev"),
            Arc::new(app(vec![drifted.clone()])),
        );
        assert_eq!(exit_for(&snapshot, true), Exit::Drift);
        let undecided = resource(
            "worker",
            Verdict::Unknown {
                reason: "may not list apps/Deployment: forbidden".into(),
            },
        );
        snapshot.apps.insert(
            AppId::new("web", "dev"),
            Arc::new(app(vec![drifted, undecided])),
        );
        assert_eq!(exit_for(&snapshot, true), Exit::Error);
    }

    /// The document as it was built before it was streamed (a `serde_json::Value`): the
    /// streamed one must be byte for byte the same.
    fn reference_report(snapshot: &Snapshot, settled: bool, exit: Exit) -> serde_json::Value {
        let app_json = |app: &AppView| {
            let resources: Vec<serde_json::Value> = app
                .resources
                .iter()
                .map(|r| {
                    let mut entry =
                        crate::cli::resource_json(&r.key, &r.verdict, r.health.as_ref());
                    if let Some(attribution) = &r.attribution {
                        entry["attribution"] = json!(attribution);
                    }
                    // As before streaming: every live object was asked for its progress.
                    if let Some(progress) = r
                        .live
                        .as_ref()
                        .and_then(|live| crate::engine::rollout::progress(&live.get()))
                    {
                        entry["rollout"] = json!({
                            "headline": progress.headline(),
                            "percent": progress.percent(),
                            "lines": progress.lines(),
                            "progress": progress,
                        });
                    }
                    entry
                })
                .collect();
            let mut out = json!({
                "app": app.id.app,
                "env": app.id.env,
                "cluster": app.context,
                "sync": app.sync.label(),
                "health": app.health.map(|h| h.label()),
                "revision": app.revision,
                "message": app.message(),
                "resources": resources,
            });
            if let Some(controller) = &app.controller {
                let mut entry = json!(controller);
                entry["disagreement"] = json!(app.controller_disagreement());
                out["controller"] = entry;
            }
            out
        };
        json!({
            "apps": snapshot.apps.values().map(|a| app_json(a)).collect::<Vec<_>>(),
            "clusters": snapshot.clusters.values().collect::<Vec<_>>(),
            "repos": snapshot.repos.values().collect::<Vec<_>>(),
            "complete": settled,
            "exitCode": exit.code(),
        })
    }

    #[test]
    fn streamed_json_is_the_document_built_as_a_value() {
        use crate::engine::attribution::{Attribution, Direction, FieldAttribution, FieldWriter};
        use crate::engine::compare::Verdict;
        use crate::engine::fieldpath::FieldPath;
        use crate::engine::health::{Health, HealthStatus};
        use crate::model::ResourceKey;
        use crate::state::{AppId, ResourceView};
        use std::sync::Arc;
        let resource = |name: &str, verdict: Verdict, health: Option<Health>| {
            Arc::new(ResourceView {
                key: ResourceKey::new("apps", "Deployment", Some("shop"), name),
                verdict,
                health,
                origin: Some("apps/web/deploy.yaml:1".into()),
                attribution: None,
                awaiting_list: false,
                desired: None,
                live: None,
            })
        };
        let path = FieldPath::keys(&["spec", "replicas"]);
        let mut drifted = (*resource(
            "web",
            Verdict::OutOfSync {
                paths: vec![path.clone()],
            },
            Some(Health {
                status: HealthStatus::Progressing,
                message: Some("1 of 2 updated".into()),
            }),
        ))
        .clone();
        drifted.attribution = Some(Attribution {
            fields: vec![FieldAttribution {
                path,
                writer: Some(FieldWriter {
                    manager: "kubectl-edit".into(),
                    operation: "Update".into(),
                    time: Some("2026-12-06T08:20:23Z".into()),
                    subresource: None,
                }),
                exact: true,
                direction: Direction::LiveDrift,
            }],
            direction: Direction::LiveDrift,
        });
        let resources = vec![
            resource("api", Verdict::Synced, None),
            Arc::new(drifted),
            resource(
                "worker",
                Verdict::Unknown {
                    reason: "may not list apps/Deployment: forbidden".into(),
                },
                None,
            ),
            resource("gone", Verdict::Missing, None),
        ];
        let mut snapshot = Snapshot::default();
        snapshot.apps.insert(
            AppId::new("web", "dev"),
            Arc::new(AppView {
                id: AppId::new("web", "dev"),
                context: "dev".into(),
                namespace: Some("shop".into()),
                revision: "main@1a2b3c4".into(),
                sync: SyncState::OutOfSync,
                health: Some(crate::engine::health::HealthStatus::Progressing),
                summary: crate::state::AppSummary::default(),
                resources,
                ignore: Vec::new(),
                controller: None,
            }),
        );
        snapshot.apps.insert(
            AppId::new("api", "prod"),
            Arc::new(AppView {
                id: AppId::new("api", "prod"),
                context: "prod".into(),
                namespace: None,
                revision: String::new(),
                sync: SyncState::Synced,
                health: None,
                summary: crate::state::AppSummary::default(),
                resources: Vec::new(),
                ignore: Vec::new(),
                controller: None,
            }),
        );
        // An app read from Argo CD whose controller disagrees, with a paused canary Rollout
        // (read back from its stored text) next to a live Deployment (no progress).
        snapshot.apps.insert(
            AppId::new("shop", "prod"),
            Arc::new(controlled_app_with_a_rollout()),
        );
        for (settled, exit) in [(true, Exit::Drift), (false, Exit::Error)] {
            let streamed = serde_json::to_string_pretty(&Report {
                snapshot: &snapshot,
                settled,
                exit,
            })
            .unwrap();
            let built =
                serde_json::to_string_pretty(&reference_report(&snapshot, settled, exit)).unwrap();
            assert_eq!(streamed, built);
        }
        let app = snapshot.app("web", "dev").unwrap();
        let line = serde_json::to_string(&AppJson(app)).unwrap();
        assert!(line.contains(r#""paths":["spec.replicas"]"#), "{line}");
        // Both branches are in the compared document (not skipped on both sides alike).
        let shop = serde_json::to_string(&AppJson(snapshot.app("shop", "prod").unwrap())).unwrap();
        assert!(shop.contains(r#""controller":{"tool":"argocd""#), "{shop}");
        assert!(shop.contains(r#""disagreement":"#), "{shop}");
        assert!(shop.contains(r#""rollout":{"headline":"#), "{shop}");
        assert_eq!(shop.matches(r#""rollout":"#).count(), 1, "{shop}");
    }

    /// `shop@prod`, read from an Argo CD Application that says Synced while kubedrift sees
    /// drift: a canary Rollout paused at step 3 and a Deployment, both with live objects.
    fn controlled_app_with_a_rollout() -> AppView {
        use crate::engine::compare::Verdict;
        use crate::engine::health::{Health, HealthStatus};
        use crate::model::ResourceKey;
        use crate::state::ResourceView;
        use crate::state::{AppId, ControllerTool, ControllerView, LiveObject, ObjectRef};
        use std::sync::Arc;
        let rollout = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "41", "generation": 2},
            "spec": {"replicas": 5,
                     "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}},
                                                       {"setWeight": 40}, {"pause": {"duration": "10m"}}]}},
                     "template": {"spec": {"containers": [{"name": "web", "image": "shop/web:1.5.0"}]}}},
            "status": {"phase": "Paused", "message": "CanaryPauseStep", "observedGeneration": "2",
                       "currentPodHash": "7f9c6d5b8", "stableRS": "6d4b8c9f7", "currentStepIndex": 3,
                       "replicas": 5, "updatedReplicas": 2, "availableReplicas": 5,
                       "pauseConditions": [{"reason": "CanaryPauseStep",
                                            "startTime": "2026-01-05T11:50:00Z"}]}
        });
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "worker", "namespace": "shop", "resourceVersion": "42"},
            "spec": {"replicas": 1},
            "status": {"replicas": 1, "availableReplicas": 1}
        });
        let resource = |group: &str, kind: &str, name: &str, live: serde_json::Value| {
            Arc::new(ResourceView {
                key: ResourceKey::new(group, kind, Some("shop"), name),
                verdict: Verdict::OutOfSync {
                    paths: vec![crate::engine::fieldpath::FieldPath::keys(&[
                        "spec", "replicas",
                    ])],
                },
                health: Some(Health {
                    status: HealthStatus::Suspended,
                    message: Some("CanaryPauseStep".into()),
                }),
                origin: None,
                attribution: None,
                awaiting_list: false,
                desired: None,
                live: Some(ObjectRef::Live(Arc::new(LiveObject::new(live)))),
            })
        };
        AppView {
            id: AppId::new("shop", "prod"),
            context: "prod".into(),
            namespace: Some("shop".into()),
            revision: "main@5e6f7a8".into(),
            sync: SyncState::OutOfSync,
            health: Some(HealthStatus::Suspended),
            summary: crate::state::AppSummary::default(),
            resources: vec![
                resource("argoproj.io", "Rollout", "web", rollout),
                resource("apps", "Deployment", "worker", deployment),
            ],
            ignore: Vec::new(),
            controller: Some(ControllerView {
                tool: ControllerTool::ArgoCd,
                context: "prod".into(),
                api_version: "argoproj.io/v1alpha1".into(),
                kind: "Application".into(),
                namespace: "argocd".into(),
                name: "shop-prod".into(),
                sync: Some("Synced".into()),
                health: Some("Healthy".into()),
                revision: Some("5e6f7a8".into()),
                message: None,
            }),
        }
    }

    #[test]
    fn empty_settled_snapshot_is_in_sync_and_unsettled_is_error() {
        let snapshot = Snapshot::default();
        assert_eq!(exit_for(&snapshot, true), Exit::InSync);
        assert_eq!(exit_for(&snapshot, false), Exit::Error);
        assert_eq!(
            table(&snapshot),
            "APP   ENV   CLUSTER   SYNC   HEALTH   REVISION   MESSAGE\n"
        );
    }
}
