//! `kubedrift sync APP --env E`: server-side apply of what Git says, after a dry run shown as
//! the plan and a confirmation. Thin over `actions::sync`.

use super::confirm::{confirm, Answer};
use super::status::{parse_duration, start_live};
use super::{Exit, GlobalArgs, OutputFormat};
use crate::actions::audit;
use crate::actions::capability::{cluster_access, Session};
use crate::actions::sync::{apply, plan, DryRun, Outcome, Plan};
use crate::engine::diff;
use crate::state::{AppView, SyncState};
use color_eyre::eyre::{eyre, WrapErr};
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Apply Git's desired state of an app (or every OutOfSync app of an environment).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift sync web --env dev --dry-run\n  kubedrift sync web --env dev --yes\n  \
kubedrift sync web --env dev --prune --yes\n  kubedrift sync --all --env dev --yes\n  \
kubedrift sync web --env dev --resource Deployment/web --force-conflicts --yes\n\n\
Always runs a server-side dry run first and prints it as the plan. Without --yes it asks on \
the terminal; without a terminal it prints the plan and does nothing.\n\n\
Exit codes: 0 done (or --dry-run shown), 1 nothing done (not confirmed, read-only), 2 errors \
(a resource failed, a conflict was not forced, the cluster could not be read)."
)]
pub struct SyncArgs {
    #[command(flatten)]
    pub from: super::FromArg,
    /// App name (or --all).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub app: Option<String>,
    /// Environment to sync.
    #[arg(long)]
    pub env: String,
    /// Every OutOfSync app of the environment.
    #[arg(long)]
    pub all: bool,
    /// Only this resource (`Kind/name` or `Kind/namespace/name`; repeatable).
    #[arg(long = "resource", value_name = "KIND/NAME")]
    pub resources: Vec<String>,
    /// Show the plan (server-side dry run) and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete objects tracked to this app and environment that Git no longer has.
    #[arg(long)]
    pub prune: bool,
    /// Do it without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// With --yes on a protected environment: its name, as the typed confirmation.
    #[arg(long, value_name = "ENV")]
    pub confirm_env: Option<String>,
    /// Take over fields that other field managers own.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Ask the Argo CD / Flux controller managing the app to reconcile instead of syncing
    /// (the default for apps read from Argo CD / Flux objects).
    #[arg(long, conflicts_with = "direct")]
    pub reconcile: bool,
    /// Apply directly even when the app was read from an Argo CD / Flux object (whose
    /// controller is otherwise asked to reconcile).
    #[arg(long)]
    pub direct: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// How long to wait for the cluster's first list.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

pub fn run(global: &GlobalArgs, args: SyncArgs) -> color_eyre::Result<Exit> {
    let mut config = super::load_config(global)?;
    // Apps read from Argo CD / Flux live in environments named after their contexts.
    let configured_env = match config.environment(&args.env) {
        Ok(environment) => Some(environment.clone()),
        Err(_) if !config.sources.is_empty() => None,
        Err(err) => return Err(err.into()),
    };
    let (runtime, live) = start_live(global, Some(&args.env), args.app.as_deref())?;
    let (snapshot, settled) = runtime.block_on(live.wait_settled(args.timeout));
    if !settled {
        return Err(eyre!(
            "timed out after {:?} waiting for the cluster's first list; nothing done",
            args.timeout
        ));
    }
    let apps: Vec<Arc<AppView>> = match &args.app {
        Some(app) => match snapshot.app(app, &args.env) {
            Some(view) => vec![Arc::clone(view)],
            None => return Err(eyre!("app {app:?} is not in environment {}", args.env)),
        },
        None => snapshot
            .apps
            .values()
            .filter(|a| a.id.env == args.env && a.sync == SyncState::OutOfSync)
            .cloned()
            .collect(),
    };
    for app in &apps {
        if matches!(
            app.sync,
            SyncState::Error | SyncState::Unreachable | SyncState::Loading
        ) {
            return Err(eyre!(
                "{}: {} ({}); nothing done",
                app.id,
                app.sync.label(),
                app.message()
            ));
        }
    }
    let environment = match configured_env {
        Some(environment) => environment,
        None => {
            let Some(context) = apps.first().map(|a| a.context.clone()) else {
                return Err(eyre!("no app in environment {}", args.env));
            };
            let environment = crate::config::Environment {
                name: args.env.clone(),
                context,
                namespace: None,
                git_ref: None,
                read_only: false,
                protected: false,
                order: None,
            };
            config.environments.push(environment.clone());
            environment
        }
    };
    // The controller of an app read from its objects is asked to reconcile, unless --direct.
    let reconcile = args.reconcile || (!args.direct && apps.iter().any(|a| a.controller.is_some()));
    let kubeconfig = crate::cluster::kubeconfig::load_default(global.kubeconfig.as_deref())?;
    let client = runtime
        .block_on(crate::cluster::kubeconfig::client_for(
            &kubeconfig,
            &environment.context,
        ))
        .wrap_err("could not build a client for the environment's context")?;
    let options = plan::PlanOptions {
        prune: args.prune,
        force_conflicts: args.force_conflicts,
        only: args.resources.clone(),
    };
    let mut plans: Vec<Plan> = Vec::new();
    let mut probes = Vec::new();
    // Where each controller object read by the live layer lives (the others, found from
    // tracking marks, live on the environment's cluster).
    let mut owner_contexts: Vec<(crate::actions::sync::ControllerOwner, String)> = Vec::new();
    for app in &apps {
        let (mut built, app_probes) =
            runtime.block_on(crate::actions::sync::prepare(&client, app, &options));
        if let Some(controller) = &app.controller {
            let owner = controller_owner(controller);
            if !built.controllers.contains(&owner) {
                built.controllers.insert(0, owner.clone());
            }
            owner_contexts.push((owner, controller.context.clone()));
        }
        for probe in app_probes {
            if !probes.contains(&probe) {
                probes.push(probe);
            }
        }
        plans.push(built);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.output == OutputFormat::Table {
        for p in &plans {
            write!(out, "{}", render_plan(p, super::color_enabled()))?;
        }
        if plans.is_empty() {
            writeln!(out, "No OutOfSync app in {}.", args.env)?;
        }
    }
    let json_report = |plans: &[Plan], outcomes: &[Outcome], note: &str, exit: Exit| json!({"plans": plans, "results": outcomes, "note": note, "exitCode": exit.code()});
    let finish = |out: &mut std::io::StdoutLock<'_>,
                  outcomes: &[Outcome],
                  note: &str,
                  exit: Exit|
     -> color_eyre::Result<Exit> {
        match args.output {
            OutputFormat::Table => {
                if !note.is_empty() {
                    writeln!(out, "{note}")?;
                }
            }
            OutputFormat::Json => {
                serde_json::to_writer_pretty(
                    &mut *out,
                    &json_report(&plans, outcomes, note, exit),
                )?;
                writeln!(out)?;
            }
        }
        Ok(exit)
    };
    let failed_dry_runs: Vec<String> = plans
        .iter()
        .flat_map(|p| {
            p.steps.iter().filter_map(move |s| match &s.dry_run {
                DryRun::Failed { message } => Some(format!("{} {}: {message}", p.app, s.key)),
                _ => None,
            })
        })
        .collect();
    for failure in &failed_dry_runs {
        eprintln!("warning: dry run refused {failure}");
    }
    if args.dry_run {
        return finish(&mut out, &[], "Dry run: nothing changed.", Exit::InSync);
    }
    if reconcile && plans.iter().all(|p| p.controllers.is_empty()) {
        return finish(
            &mut out,
            &[],
            "nothing done: no Argo CD or Flux mark on the app's live objects (nothing to ask to reconcile)",
            Exit::Drift,
        );
    }
    // A reconcile request writes where the controller objects live: the environment's
    // cluster, or an Argo CD hub (one cluster for every selected app).
    let owner_context = |owner: &crate::actions::sync::ControllerOwner| {
        owner_contexts
            .iter()
            .find(|(o, _)| o == owner)
            .map_or(environment.context.clone(), |(_, c)| c.clone())
    };
    let write_contexts: std::collections::BTreeSet<String> = plans
        .iter()
        .flat_map(|p| &p.controllers)
        .map(owner_context)
        .collect();
    if reconcile && write_contexts.len() > 1 {
        let listed: Vec<&str> = write_contexts.iter().map(String::as_str).collect();
        return finish(
            &mut out,
            &[],
            &format!(
                "nothing done: the controllers' objects live on several clusters ({}); sync the apps one by one",
                listed.join(", ")
            ),
            Exit::Drift,
        );
    }
    let hub = write_contexts
        .into_iter()
        .next()
        .filter(|context| reconcile && *context != environment.context);
    // The environment the reconcile request writes to (the hub's: configured, or named
    // after its context as for `--from`).
    let write_env = match &hub {
        None => environment.clone(),
        Some(context) => match config.environments.iter().find(|e| e.context == *context) {
            Some(env) => env.clone(),
            None => {
                let env = crate::config::Environment {
                    name: context.clone(),
                    context: context.clone(),
                    namespace: None,
                    git_ref: None,
                    read_only: false,
                    protected: false,
                    order: None,
                };
                config.environments.push(env.clone());
                env
            }
        },
    };
    let write_client = match &hub {
        None => client.clone(),
        Some(context) => runtime
            .block_on(crate::cluster::kubeconfig::client_for(&kubeconfig, context))
            .wrap_err("could not build a client for the controller's context")?,
    };
    let has_work = reconcile || plans.iter().any(|p| !p.is_empty());
    if !has_work {
        return finish(&mut out, &[], "Nothing to do.", Exit::InSync);
    }
    let session = Session::new(global.read_only);
    let mut forbidden = plans.iter().find_map(Plan::forbidden);
    if reconcile {
        // The reconcile request is the write: ask about it, not about the sync.
        probes.clear();
        forbidden = None;
        for owner in plans.iter().flat_map(|p| &p.controllers) {
            match runtime.block_on(apply::dry_run_reconcile(&write_client, owner)) {
                (_, Some(probe)) => probes.push(probe),
                (DryRun::Forbidden { message }, None) => forbidden = Some(message),
                _ => {}
            }
        }
    }
    let capability = match runtime.block_on(cluster_access(
        &session,
        &config,
        &kubeconfig,
        &write_env.name,
        &probes,
        forbidden,
    )) {
        Ok(capability) => capability,
        Err(read_only) => {
            return finish(
                &mut out,
                &[],
                &format!("nothing done: {read_only}"),
                Exit::Drift,
            )
        }
    };
    let conflicts: usize = plans.iter().map(|p| p.conflicts().len()).sum();
    if conflicts > 0 && !args.force_conflicts {
        eprintln!(
            "warning: {conflicts} field(s) owned by other managers; those resources will not be \
             applied unless you add --force-conflicts"
        );
    }
    let steps: usize = plans.iter().map(|p| p.steps.len()).sum();
    let question = if reconcile {
        format!("Ask the GitOps controllers of {} to reconcile?", args.env)
    } else {
        format!("Apply {steps} change(s) to {}?", args.env)
    };
    drop(out);
    if let Answer::Declined(why) = confirm(
        &question,
        &environment.name,
        environment.protected,
        args.yes,
        args.confirm_env.as_deref(),
    ) {
        let mut out = stdout.lock();
        return finish(&mut out, &[], &why, Exit::Drift);
    }
    let kube_user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == write_env.context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone());
    let record =
        |action: &str, app: &str, plan: serde_json::Value, result: serde_json::Value, ok: bool| {
            audit::record(&audit::Entry {
                time: jiff::Timestamp::now(),
                os_user: audit::os_user(),
                kube_user: kube_user.clone(),
                action: action.into(),
                app: app.into(),
                env: environment.name.clone(),
                plan,
                result,
                ok,
            })
        };
    if reconcile {
        let mut exit = Exit::InSync;
        let mut out = stdout.lock();
        for p in &plans {
            for owner in &p.controllers {
                let now = jiff::Timestamp::now();
                let result = match &hub {
                    None => runtime.block_on(apply::request_reconcile(p, owner, &capability, now)),
                    Some(context) => runtime.block_on(apply::request_reconcile_on(
                        p,
                        owner,
                        context,
                        &capability,
                        now,
                    )),
                }
                .map_err(|e| eyre!("{e}"))?;
                let what = format!(
                    "{} {}/{}/{}",
                    owner.tool, owner.kind, owner.namespace, owner.name
                );
                match &result {
                    Ok(()) => writeln!(out, "asked {what} to reconcile ({})", owner.annotation)?,
                    Err(err) => {
                        exit = Exit::Error;
                        writeln!(out, "could not ask {what} to reconcile: {err}")?;
                    }
                }
                record(
                    "reconcile",
                    &p.app.app,
                    json!({"controller": owner}),
                    json!({"error": result.as_ref().err()}),
                    result.is_ok(),
                );
            }
        }
        return Ok(exit);
    }
    let mut outcomes = Vec::new();
    for p in &plans {
        let outcome = runtime
            .block_on(apply::execute(p, &capability))
            .map_err(|e| eyre!("{e}"))?;
        let planned: Vec<_> = p
            .steps
            .iter()
            .map(|s| json!({"resource": s.key.to_string(), "action": s.action, "wave": s.wave}))
            .collect();
        let results: Vec<_> = outcome
            .steps
            .iter()
            .map(|s| json!({"resource": s.key.to_string(), "action": s.action, "result": s.result.label()}))
            .collect();
        record(
            "sync",
            &p.app.app,
            json!({"steps": planned, "prune": p.prune, "forceConflicts": p.force_conflicts}),
            json!(results),
            outcome.all_succeeded(),
        );
        outcomes.push(outcome);
    }
    let ok = outcomes.iter().all(Outcome::all_succeeded);
    let exit = if ok { Exit::InSync } else { Exit::Error };
    // What the cluster shows now comes from the watch, not from the API calls' answers.
    let ids: Vec<_> = plans.iter().map(|p| p.app.clone()).collect();
    // (Briefly: after a failure it will not get there, and the current state is the answer.)
    let settle = if ok {
        Duration::from_secs(10)
    } else {
        Duration::ZERO
    };
    let (after, _) = runtime.block_on(live.wait_until(settle, |s| {
        ids.iter()
            .all(|id| s.apps.get(id).is_some_and(|a| a.sync == SyncState::Synced))
    }));
    let mut out = stdout.lock();
    if args.output == OutputFormat::Table {
        for outcome in &outcomes {
            writeln!(out, "Result for {}:", outcome.app)?;
            for step in &outcome.steps {
                writeln!(
                    out,
                    "  {:<7} {}: {}",
                    step.action.label(),
                    step.key,
                    step.result.label()
                )?;
            }
            if let Some(view) = after.apps.get(&outcome.app) {
                writeln!(
                    out,
                    "{} is now {} (from the watch){}",
                    outcome.app,
                    view.sync.label(),
                    match view.message() {
                        message if message.is_empty() => String::new(),
                        message => format!(": {message}"),
                    }
                )?;
            }
        }
    }
    let failures: usize = outcomes.iter().map(Outcome::failures).sum();
    let note = if ok {
        String::new()
    } else {
        format!("{failures} resource(s) not synced (see above)")
    };
    finish(&mut out, &outcomes, &note, exit)
}

/// The plan as text: a summary line, one line per step (with conflicts and refusals), the
/// skipped resources with their reasons, controller warnings, then each step's masked diff.
pub fn render_plan(plan: &Plan, color: bool) -> String {
    use crate::actions::sync::Action;
    let count = |action: Action| plan.steps.iter().filter(|s| s.action == action).count();
    let mut text = format!(
        "Plan for {} (context {}): {} to create, {} to update, {} to prune{}\n",
        plan.app,
        plan.context,
        count(Action::Create),
        count(Action::Update),
        count(Action::Prune),
        if plan.prune { "" } else { " (prune off)" },
    );
    for step in &plan.steps {
        let note = match &step.dry_run {
            DryRun::Ok | DryRun::NotRun => String::new(),
            DryRun::Conflicts { conflicts } => format!(
                "  [conflict: {}{}]",
                crate::actions::sync::describe_conflicts(conflicts),
                if plan.force_conflicts {
                    "; will be forced"
                } else {
                    "; not forced"
                }
            ),
            DryRun::Forbidden { message } => format!("  [forbidden: {message}]"),
            DryRun::Failed { message } => format!("  [dry run failed: {message}]"),
            DryRun::Deferred { reason } => format!("  [not dry-run: {reason}]"),
        };
        let wave = if step.wave != 0 {
            format!(" (wave {})", step.wave)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  {:<7} {}{wave}{note}\n",
            step.action.label(),
            step.key
        ));
    }
    for skipped in &plan.skipped {
        text.push_str(&format!("  skip    {}: {}\n", skipped.key, skipped.reason));
    }
    for owner in &plan.controllers {
        text.push_str(&format!(
            "  warning: {} ({} {}/{}) manages these objects; its controller will undo a manual \
             sync. Use --reconcile to set {} on it instead.\n",
            owner.tool, owner.kind, owner.namespace, owner.name, owner.annotation
        ));
    }
    for step in &plan.steps {
        if step.diff.is_empty() {
            continue;
        }
        text.push_str(&format!("# {} {}\n", step.action.label(), step.key));
        if color {
            text.push_str(&diff::to_ansi(&step.diff));
        } else {
            text.push_str(&step.diff.unified);
        }
    }
    text
}

/// The object an app was read from, as the reconcile request takes it.
fn controller_owner(
    controller: &crate::state::ControllerView,
) -> crate::actions::sync::ControllerOwner {
    crate::actions::sync::ControllerOwner::of(controller)
}
