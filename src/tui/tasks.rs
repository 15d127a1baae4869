//! The TUI's background tasks: the effects that ask a cluster or Git something (or, for a
//! confirmed sync, write through a capability). Each runs on the tokio runtime and replies
//! with a [`Msg`] carrying the generation it was asked with. The terminal's own effects
//! (quit, refresh, clipboard, theme) are left to the caller.
//!
//! Public so that tests drive the model with the same tasks the terminal UI runs.

use super::diffdoc::{Entry, FULL_CONTEXT};
use super::model::{Effect, Msg, PlannedSync, PreparedPromotion, Probe};
use crate::actions::audit;
use crate::actions::capability::{self, Session};
use crate::actions::promote;
use crate::actions::sync;
use crate::engine::compare::{comparable_pair, display_pair, CompareOptions};
use crate::state::{AppView, Snapshot};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// What the tasks need besides the model.
#[derive(Clone)]
pub struct TaskContext {
    pub config: crate::config::Config,
    pub kubeconfig: kube::config::Kubeconfig,
    /// `--read-only` or not: decided once, at start.
    pub session: Session,
    /// The audit log executed syncs are appended to (None: not recorded, e.g. no data dir).
    pub audit_log: Option<std::path::PathBuf>,
}

/// Start the task `effect` asks for (must be called inside a tokio runtime); `snapshot` is
/// the live layer's current one. Effects that are not tasks are handed back.
pub fn spawn(
    effect: Effect,
    context: &TaskContext,
    snapshot: Arc<Snapshot>,
    tx: &UnboundedSender<Msg>,
) -> Option<Effect> {
    let tx = tx.clone();
    let context = context.clone();
    match effect {
        Effect::DryRun {
            generation,
            app,
            key,
        } => {
            tokio::spawn(async move {
                let result = match snapshot.apps.get(&app) {
                    Some(view) => {
                        server_side_entries(
                            &context.kubeconfig,
                            view,
                            &snapshot.field_managers,
                            key.as_ref(),
                        )
                        .await
                    }
                    None => Err(format!("{app} is gone")),
                };
                let _ = tx.send(Msg::DryRunDone { generation, result });
            });
        }
        Effect::Probe {
            generation,
            contexts,
        } => {
            tokio::spawn(async move {
                let probes = futures::future::join_all(
                    contexts
                        .into_iter()
                        .map(|ctx| probe(&context.kubeconfig, ctx)),
                )
                .await;
                let _ = tx.send(Msg::ProbeDone { generation, probes });
            });
        }
        Effect::Git {
            generation,
            request,
        } => {
            tokio::task::spawn_blocking(move || {
                // The commit facts as soon as Git has them; the chart versions (read from
                // chart repositories over the network) follow in a second reply.
                let early = |facts: &super::model::GitFacts| {
                    let facts = facts.clone();
                    let _ = tx.send(Msg::GitDone { generation, facts });
                };
                let facts = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    super::gitfacts::read_in_two_steps(&context.config, &request, early)
                }))
                .unwrap_or_default();
                let _ = tx.send(Msg::GitDone { generation, facts });
            });
        }
        Effect::PlanPromote {
            generation,
            app,
            from,
            to,
            new_branch,
        } => {
            tokio::task::spawn_blocking(move || {
                let request = promote::Request {
                    app,
                    from,
                    to,
                    merge: false,
                    // The pull-request flow (a new `promote/<app>/<to>/<sha>` branch), or the
                    // environment's own ref (compare-and-swap; a checked-out branch refused).
                    new_branch,
                };
                let result = promote::prepare_request(&context.config, &request)
                    .map(|p| {
                        let remote = promote::commit::push_remote(p.repo(), repo_url(&context, &p));
                        PreparedPromotion(Arc::new(p), remote)
                    })
                    .map_err(|e| e.to_string());
                let _ = tx.send(Msg::PromotePlanned { generation, result });
            });
        }
        Effect::ExecutePromote {
            generation,
            prepared,
            push,
        } => {
            tokio::spawn(async move {
                // Credentials that may not write the environment make it read-only for its
                // promotions too (as `s` and `p` show it), whatever git would allow.
                let to = prepared.0.to().to_string();
                let result = match write_blocked(&context, &to).await {
                    Some((_, reason)) => Err(reason),
                    None => tokio::task::spawn_blocking(move || {
                        write_promotion(&context, &prepared.0, push)
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("the promotion task failed: {e}"))),
                };
                let _ = tx.send(Msg::PromoteDone { generation, result });
            });
        }
        Effect::CheckWrite { generation, envs } => {
            tokio::spawn(async move {
                let blocked =
                    futures::future::join_all(envs.iter().map(|env| write_blocked(&context, env)))
                        .await
                        .into_iter()
                        .flatten()
                        .collect();
                let _ = tx.send(Msg::WriteChecked {
                    generation,
                    blocked,
                });
            });
        }
        Effect::PlanSync {
            generation,
            app,
            force_conflicts,
            prune,
            reconcile,
        } => {
            tokio::spawn(async move {
                let result = match snapshot.apps.get(&app) {
                    Some(view) => {
                        plan_sync(&context, view, force_conflicts, prune, reconcile).await
                    }
                    None => Err(format!("{app} is gone")),
                };
                let _ = tx.send(Msg::SyncPlanned { generation, result });
            });
        }
        Effect::ExecuteSync {
            generation,
            planned,
        } => {
            tokio::spawn(async move {
                let result = execute_sync(&context, &planned).await;
                let _ = tx.send(Msg::SyncDone { generation, result });
            });
        }
        other => return Some(other),
    }
    None
}

/// Why `env` may not be written, if it may not (session, config, the server's answer).
async fn write_blocked(context: &TaskContext, env: &str) -> Option<(String, String)> {
    if let Err(reason) = capability::static_checks(&context.session, &context.config, env) {
        return Some((env.to_string(), reason.to_string()));
    }
    let kube_context = context.config.environment(env).ok()?.context.clone();
    let client =
        match crate::cluster::kubeconfig::client_for(&context.kubeconfig, &kube_context).await {
            Ok(client) => client,
            Err(e) => {
                return Some((
                    env.to_string(),
                    format!("{env} is not writable: no client for context {kube_context} ({e})"),
                ))
            }
        };
    let asked = capability::read_only_reason(
        &context.session,
        &context.config,
        env,
        &kube_context,
        &client,
    );
    match tokio::time::timeout(Duration::from_secs(20), asked).await {
        Ok(reason) => reason.map(|r| (env.to_string(), r.to_string())),
        Err(_) => Some((
            env.to_string(),
            format!("{env}: the API server did not say in 20s whether writing is allowed"),
        )),
    }
}

/// The plan of one app (`force_conflicts`: take over other managers' fields; `prune`: delete
/// what Git dropped, else it is listed as left alone) with the server's dry run, through the
/// client of the app's own context.
async fn plan_sync(
    context: &TaskContext,
    app: &AppView,
    force_conflicts: bool,
    prune: bool,
    reconcile: bool,
) -> Result<PlannedSync, String> {
    let client = crate::cluster::kubeconfig::client_for(&context.kubeconfig, &app.context)
        .await
        .map_err(|e| e.to_string())?;
    let options = sync::plan::PlanOptions {
        force_conflicts,
        prune,
        ..sync::plan::PlanOptions::default()
    };
    let (plan, probes) = tokio::time::timeout(
        Duration::from_secs(60),
        sync::prepare(&client, app, &options),
    )
    .await
    .map_err(|_| "the API server did not answer the dry run in 60s".to_string())?;
    let mut plan = plan;
    let mut probes = probes;
    let mut request = None;
    if let Some(controller) = app.controller.as_ref().filter(|_| reconcile) {
        // The write is the annotation on the controller's object, where it lives: ask the
        // server about that one (as `kubedrift sync` does), not about the plan's objects.
        let owner = sync::ControllerOwner::of(controller);
        if !plan.controllers.contains(&owner) {
            plan.controllers.insert(0, owner.clone());
        }
        let owner_client =
            crate::cluster::kubeconfig::client_for(&context.kubeconfig, &controller.context)
                .await
                .map_err(|e| e.to_string())?;
        let (dry_run, probe) = tokio::time::timeout(
            Duration::from_secs(60),
            sync::apply::dry_run_reconcile(&owner_client, &owner),
        )
        .await
        .map_err(|_| "the API server did not answer the dry run in 60s".to_string())?;
        probes = probe.into_iter().collect();
        request = Some(Arc::new(super::model::ReconcileRequest {
            owner,
            context: controller.context.clone(),
            dry_run,
        }));
    }
    Ok(PlannedSync {
        plan: Arc::new(plan),
        probes: Arc::new(probes),
        reconcile: request,
    })
}

/// The environment a write on `context` is checked against: the configured one on that
/// context, else one named after it (as for `--from` without a config).
fn reconcile_env(config: &mut crate::config::Config, context: &str) -> String {
    if let Some(env) = config.environments.iter().find(|e| e.context == context) {
        return env.name.clone();
    }
    config.environments.push(crate::config::Environment {
        name: context.to_string(),
        context: context.to_string(),
        namespace: None,
        git_ref: None,
        read_only: false,
        protected: false,
        order: None,
    });
    context.to_string()
}

/// Ask for the write capability on the cluster holding the controller's object; only with
/// it, annotate the object. The outcome lists the request as its one step.
async fn execute_reconcile(
    context: &TaskContext,
    planned: &PlannedSync,
    request: &super::model::ReconcileRequest,
) -> Result<sync::Outcome, String> {
    let plan = &planned.plan;
    let mut config = context.config.clone();
    let env = reconcile_env(&mut config, &request.context);
    let forbidden = match &request.dry_run {
        sync::DryRun::Forbidden { message } => Some(message.clone()),
        _ => None,
    };
    let capability = capability::cluster_access(
        &context.session,
        &config,
        &context.kubeconfig,
        &env,
        &planned.probes,
        forbidden,
    )
    .await
    .map_err(|reason| reason.to_string())?;
    let result = sync::apply::request_reconcile_on(
        plan,
        &request.owner,
        &request.context,
        &capability,
        jiff::Timestamp::now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    if let Some(path) = &context.audit_log {
        let entry = audit::Entry {
            time: jiff::Timestamp::now(),
            os_user: audit::os_user(),
            kube_user: None,
            action: "reconcile".into(),
            app: plan.app.app.clone(),
            env: plan.app.env.clone(),
            plan: json!({"controller": request.owner}),
            result: json!({"error": result.as_ref().err()}),
            ok: result.is_ok(),
        };
        if let Err(err) = audit::append(path, &entry) {
            tracing::warn!("reconcile request not recorded in the audit log: {err}");
        }
    }
    Ok(sync::Outcome {
        app: plan.app.clone(),
        steps: vec![sync::StepOutcome::reconcile(&request.owner, result)],
    })
}

/// Ask for the write capability of the plan's environment; only with it, apply the plan.
/// A refusal (read-only session or config, credentials that may not write) writes nothing.
async fn execute_sync(
    context: &TaskContext,
    planned: &PlannedSync,
) -> Result<sync::Outcome, String> {
    if let Some(request) = &planned.reconcile {
        return execute_reconcile(context, planned, request).await;
    }
    let plan = &planned.plan;
    // An app read from Argo CD / Flux without a configured environment: checked as the
    // environment named after its context (as `kubedrift sync --from` does).
    let mut config = context.config.clone();
    if config.environment(&plan.app.env).is_err() {
        reconcile_env(&mut config, &plan.context);
    }
    let capability = capability::cluster_access(
        &context.session,
        &config,
        &context.kubeconfig,
        &plan.app.env,
        &planned.probes,
        plan.forbidden(),
    )
    .await
    .map_err(|reason| reason.to_string())?;
    let outcome = sync::apply::execute(plan, &capability)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(path) = &context.audit_log {
        if let Err(err) = audit::append(path, &audit_entry(context, plan, &outcome)) {
            // The result is still shown; the terminal is not the place for a stderr line.
            tracing::warn!("sync not recorded in the audit log: {err}");
        }
    }
    Ok(outcome)
}

/// The `url` the config gives the proposal's repo (pushed to when it has no `origin`).
fn repo_url<'a>(context: &'a TaskContext, proposal: &promote::Proposal) -> Option<&'a str> {
    context
        .config
        .repos
        .iter()
        .find(|r| r.path == proposal.repo())
        .and_then(|r| r.url.as_deref())
}

/// Ask for the git write capability of the promotion; only with it, commit and move its
/// one ref (never the working tree or index), then push that ref when asked (a refused push
/// keeps the local commit and says so). Recorded in the audit log.
fn write_promotion(
    context: &TaskContext,
    proposal: &promote::Proposal,
    push: bool,
) -> Result<String, String> {
    let capability = capability::git_access(&context.session, &context.config, proposal)
        .map_err(|reason| reason.to_string())?;
    let written = promote::commit::execute(proposal, &capability);
    let pushed = match (&written, push) {
        (Ok(w), true) => Some(
            promote::commit::push(&capability, &w.reference, repo_url(context, proposal))
                .map_err(|e| promote::commit::redact_urls(&e.to_string())),
        ),
        _ => None,
    };
    if let Some(path) = &context.audit_log {
        let (result, ok) = match &written {
            Ok(w) => {
                let push_ok = !matches!(
                    pushed,
                    Some(Ok(promote::commit::PushResult::Rejected { .. }) | Err(_))
                );
                let push = match &pushed {
                    Some(Ok(result)) => json!(result),
                    Some(Err(error)) => json!({"error": error}),
                    None => json!(null),
                };
                (
                    json!({"commit": w.commit, "ref": w.reference, "push": push}),
                    push_ok,
                )
            }
            Err(e) => (json!({"error": e.to_string()}), false),
        };
        let entry = audit::Entry {
            time: jiff::Timestamp::now(),
            os_user: audit::os_user(),
            kube_user: None,
            action: "promote".into(),
            app: proposal.app().to_string(),
            env: proposal.to().to_string(),
            plan: json!({
                "from": proposal.from(), "to": proposal.to(),
                "model": promote::model_name(proposal.model()),
                "sourceCommit": proposal.source_commit().to_string(),
                "targetRef": proposal.target_ref(), "writeRef": proposal.write_ref(), "via": "tui",
                "push": push,
            }),
            result,
            ok,
        };
        if let Err(err) = audit::append(path, &entry) {
            tracing::warn!("promotion not recorded in the audit log: {err}");
        }
    }
    let written = written.map_err(|e| e.to_string())?;
    let mut text = format!(
        "{} on {}",
        promote::short(&written.commit),
        written.reference
    );
    if let Some(base) = &written.rebuilt_on {
        text.push_str(&format!(
            " (the target moved meanwhile; rebuilt on {})",
            promote::short(base)
        ));
    }
    match pushed {
        Some(Ok(promote::commit::PushResult::Pushed { remote })) => {
            text.push_str(&format!("; pushed to {remote}"));
        }
        Some(Ok(promote::commit::PushResult::Rejected { remote, message })) => {
            text.push_str(&format!(
                "; push rejected by {remote}: {message} — the local commit is kept"
            ));
        }
        Some(Err(error)) => {
            text.push_str(&format!("; not pushed: {error} — the local commit is kept"));
        }
        None => {}
    }
    Ok(text)
}

/// The audit record of an executed sync: resources, actions and results, never contents.
fn audit_entry(context: &TaskContext, plan: &sync::Plan, outcome: &sync::Outcome) -> audit::Entry {
    let kube_user = context
        .kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == plan.context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone());
    let planned: Vec<serde_json::Value> = plan
        .steps
        .iter()
        .map(|s| json!({"resource": s.key.to_string(), "action": s.action, "wave": s.wave}))
        .collect();
    let results: Vec<serde_json::Value> = outcome
        .steps
        .iter()
        .map(|s| json!({"resource": s.key.to_string(), "action": s.action, "result": s.result.label()}))
        .collect();
    audit::Entry {
        time: jiff::Timestamp::now(),
        os_user: audit::os_user(),
        kube_user,
        action: "sync".into(),
        app: plan.app.app.clone(),
        env: plan.app.env.clone(),
        plan: json!({"steps": planned, "prune": plan.prune, "forceConflicts": plan.force_conflicts, "from": "tui"}),
        result: json!(results),
        ok: outcome.all_succeeded(),
    }
}

/// Every (or one) desired object of `app` sent as a dry-run server-side apply; each result
/// diffed against live, masked.
async fn server_side_entries(
    kubeconfig: &kube::config::Kubeconfig,
    app: &AppView,
    field_managers: &[String],
    only: Option<&crate::model::ResourceKey>,
) -> Result<Vec<Entry>, String> {
    let client = crate::cluster::kubeconfig::client_for(kubeconfig, &app.context)
        .await
        .map_err(|e| e.to_string())?;
    let opts = CompareOptions {
        ignore: &app.ignore,
        field_managers,
        ..CompareOptions::default()
    };
    let mut entries = Vec::new();
    for resource in super::model::sorted_resources(app) {
        if only.is_some_and(|k| *k != resource.key) {
            continue;
        }
        if only.is_none() && !resource.verdict.is_drift() {
            continue;
        }
        let live_object = resource.live.as_ref().map(|o| o.get());
        let live = live_object.as_deref();
        let title = format!("{} — server-side dry run", resource.key);
        let desired_object = resource.desired.as_ref().map(|o| o.get());
        let Some(desired) = desired_object.as_deref() else {
            let (_, have) = comparable_pair(None, live, &opts);
            entries.push(Entry {
                title: format!("{} — Extraneous (nothing to apply)", resource.key),
                diff: crate::engine::diff::diff(None, have.as_ref(), FULL_CONTEXT),
            });
            continue;
        };
        let applied = tokio::time::timeout(
            Duration::from_secs(20),
            crate::cluster::dry_run::server_side_dry_run(
                &client,
                desired,
                resource.key.namespace.as_deref(),
            ),
        )
        .await
        .map_err(|_| format!("{}: the API server did not answer in 20s", resource.key))?
        .map_err(|e| format!("{}: {e}", resource.key))?;
        let pair = display_pair(Some(&applied), live, &opts);
        entries.push(Entry {
            title,
            diff: crate::engine::diff::diff_with_kept(
                pair.desired.as_ref(),
                pair.live.as_ref(),
                &pair.kept,
                FULL_CONTEXT,
            ),
        });
    }
    Ok(entries)
}

/// `/version` of one context's API server, timed (bounded: an unreachable server is an
/// error after 10 s, not a hang).
async fn probe(kubeconfig: &kube::config::Kubeconfig, context: String) -> (String, Probe) {
    let started = std::time::Instant::now();
    let asked = async {
        let client = crate::cluster::kubeconfig::client_for(kubeconfig, &context)
            .await
            .map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        let info = client
            .apiserver_version()
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((info.git_version, started.elapsed().as_millis() as u64))
    };
    let result = tokio::time::timeout(Duration::from_secs(10), asked)
        .await
        .unwrap_or_else(|_| Err(format!("no answer in {:?}", started.elapsed())));
    (
        context,
        Probe {
            at: jiff::Timestamp::now(),
            result,
        },
    )
}
