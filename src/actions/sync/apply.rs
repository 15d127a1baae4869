//! The sync's conversations with the API server: the dry run of a plan (no capability needed:
//! `dryRun=All` stores nothing) and its execution (only with a [`WriteCapability`]).

use super::{
    Action, Conflict, ControllerOwner, DryRun, Outcome, Plan, Step, StepOutcome, StepResult,
};
use crate::actions::capability::{AccessProbe, WriteCapability};
use crate::engine::compare::{comparable_pair, CompareOptions};
use crate::engine::diff;
use crate::engine::ignore::IgnoreRule;
use crate::model::{group_of, FIELD_MANAGER};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiResource, Scope};
use std::collections::HashMap;

/// Why a plan could not be executed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecuteError {
    #[error("the write capability is for context {have}, but the plan is for context {want}; nothing written")]
    WrongContext { have: String, want: String },
    #[error("the write capability is for environment {have}, but the plan is for {want}; nothing written")]
    WrongEnvironment { have: String, want: String },
    #[error("{0} is not a controller of this plan; nothing written")]
    UnknownController(String),
}

/// The capability must be for the plan's environment and context: the capability's client
/// is the only one written through, so this binds the write to the cluster that was checked.
fn check_binding(plan: &Plan, capability: &WriteCapability) -> Result<(), ExecuteError> {
    if capability.env() != plan.app.env {
        return Err(ExecuteError::WrongEnvironment {
            have: capability.env().to_string(),
            want: plan.app.env.clone(),
        });
    }
    if capability.context() != plan.context {
        return Err(ExecuteError::WrongContext {
            have: capability.context().to_string(),
            want: plan.context.clone(),
        });
    }
    Ok(())
}

/// Discovery answers per kind, so a plan asks once per kind.
#[derive(Default)]
struct Kinds {
    known: HashMap<String, Result<(ApiResource, Scope), String>>,
}

impl Kinds {
    async fn api(
        &mut self,
        client: &kube::Client,
        step: &Step,
    ) -> Result<(Api<DynamicObject>, ApiResource), String> {
        let cache_key = format!("{}/{}", step.api_version, step.key.kind);
        if !self.known.contains_key(&cache_key) {
            let version = step
                .api_version
                .rsplit('/')
                .next()
                .unwrap_or(&step.api_version);
            let gvk = GroupVersionKind::gvk(group_of(&step.api_version), version, &step.key.kind);
            let found = kube::discovery::pinned_kind(client, &gvk)
                .await
                .map(|(resource, caps)| (resource, caps.scope))
                .map_err(|e| format!("discovery of {}: {e}", step.key.kind));
            self.known.insert(cache_key.clone(), found);
        }
        let (resource, scope) = match self.known.get(&cache_key) {
            Some(Ok(found)) => found.clone(),
            Some(Err(err)) => return Err(err.clone()),
            None => return Err("discovery failed".into()),
        };
        let api = match (scope, &step.key.namespace) {
            (Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &resource),
            (Scope::Namespaced, None) => Api::default_namespaced_with(client.clone(), &resource),
            (Scope::Cluster, _) => Api::all_with(client.clone(), &resource),
        };
        Ok((api, resource))
    }
}

/// Ask the server what the plan would do (`dryRun=All`), step by step: replaces each step's
/// diff with the server's result against live, and records conflicts (with the managers'
/// names), 403s and other refusals. Also returns the SelfSubjectAccessReview probes that
/// match the plan's writes.
pub async fn dry_run(
    client: &kube::Client,
    plan: &mut Plan,
    ignore: &[IgnoreRule],
) -> Vec<AccessProbe> {
    let mut kinds = Kinds::default();
    let mut probes: Vec<AccessProbe> = Vec::new();
    let opts = CompareOptions {
        ignore,
        ..CompareOptions::default()
    };
    // Namespaces this plan creates: their objects cannot be dry-run before they exist.
    let mut new_namespaces: Vec<String> = Vec::new();
    for step in &mut plan.steps {
        if step.action == Action::Create
            && step.key.group.is_empty()
            && &*step.key.kind == "Namespace"
        {
            new_namespaces.push(step.key.name.to_string());
        }
        let namespace_is_new = step
            .key
            .namespace
            .as_ref()
            .is_some_and(|ns| new_namespaces.iter().any(|new| **new == **ns));
        let (api, resource) = match kinds.api(client, step).await {
            Ok(found) => found,
            Err(message) => {
                step.dry_run = DryRun::Failed { message };
                continue;
            }
        };
        // Server-side apply of an object that does not exist yet is a create: RBAC asks
        // for `create` as well as `patch` there.
        let verbs: &[&str] = match step.action {
            Action::Prune => &["delete"],
            Action::Create => &["create", "patch"],
            Action::Update => &["patch"],
        };
        for verb in verbs {
            let probe = AccessProbe {
                verb: (*verb).into(),
                group: resource.group.clone(),
                resource: resource.plural.clone(),
                namespace: step.key.namespace.as_deref().map(str::to_string),
            };
            if !probes.contains(&probe) {
                probes.push(probe);
            }
        }
        match step.action {
            Action::Create | Action::Update => {
                let Some(body) = step.body.clone() else {
                    step.dry_run = DryRun::Failed {
                        message: "nothing to apply".into(),
                    };
                    continue;
                };
                let params = |force: bool| {
                    let params = PatchParams::apply(FIELD_MANAGER).dry_run();
                    if force {
                        params.force()
                    } else {
                        params
                    }
                };
                let first = api
                    .patch(&step.key.name, &params(false), &Patch::Apply(&body))
                    .await;
                let result = match first {
                    Err(kube::Error::Api(status)) if status.code == 409 => {
                        step.dry_run = DryRun::Conflicts {
                            conflicts: conflicts_of(&status),
                        };
                        // Show what forcing would store, so the user sees what they confirm.
                        api.patch(&step.key.name, &params(true), &Patch::Apply(&body))
                            .await
                    }
                    other => other,
                };
                match result {
                    Ok(applied) => {
                        if step.dry_run == DryRun::NotRun {
                            step.dry_run = DryRun::Ok;
                        }
                        if let Ok(mut value) = serde_json::to_value(&applied) {
                            if let Some(map) = value.as_object_mut() {
                                map.entry("apiVersion")
                                    .or_insert_with(|| step.api_version.clone().into());
                                map.entry("kind")
                                    .or_insert_with(|| step.key.kind.to_string().into());
                            }
                            let (want, have) =
                                comparable_pair(Some(&value), step.live.as_ref(), &opts);
                            step.diff = diff::diff(want.as_ref(), have.as_ref(), 3);
                        }
                    }
                    Err(kube::Error::Api(status)) if status.code == 404 && namespace_is_new => {
                        step.dry_run = DryRun::Deferred {
                            reason: format!(
                                "namespace {} is created by this sync first",
                                step.key.namespace.as_deref().unwrap_or_default()
                            ),
                        };
                    }
                    Err(err) => step.dry_run = refusal(err),
                }
            }
            Action::Prune => {
                let params = DeleteParams {
                    dry_run: true,
                    ..DeleteParams::background()
                };
                step.dry_run = match api.delete(&step.key.name, &params).await {
                    Ok(_) => DryRun::Ok,
                    Err(kube::Error::Api(status)) if status.code == 404 => DryRun::Ok,
                    Err(err) => refusal(err),
                };
            }
        }
    }
    probes
}

fn refusal(err: kube::Error) -> DryRun {
    match err {
        kube::Error::Api(status) if status.code == 403 => DryRun::Forbidden {
            message: status.message.clone(),
        },
        kube::Error::Api(status) => DryRun::Failed {
            message: format!("{} ({})", status.message, status.code),
        },
        other => DryRun::Failed {
            message: other.to_string(),
        },
    }
}

/// The conflicts of a 409 apply answer: each cause names the manager and the field; without
/// causes, the message (which names them too) stands for one.
fn conflicts_of(status: &kube::core::Status) -> Vec<Conflict> {
    let causes: Vec<Conflict> = status
        .details
        .as_ref()
        .map(|d| {
            d.causes
                .iter()
                .filter(|c| {
                    c.reason == "FieldManagerConflict" || c.message.starts_with("conflict with")
                })
                .map(|c| Conflict {
                    manager: c
                        .message
                        .strip_prefix("conflict with ")
                        .unwrap_or(&c.message)
                        .to_string(),
                    field: c.field.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    if causes.is_empty() {
        vec![Conflict {
            manager: "another field manager".into(),
            field: status.message.clone(),
        }]
    } else {
        causes
    }
}

/// Run the plan: every apply in order (server-side apply, manager `kubedrift`, forced only
/// when the plan says so), then the prunes. A step that fails is reported and the rest of
/// its wave still runs; later waves and the prunes are not attempted after a failure, and
/// say so. Writes go through the capability's client only.
pub async fn execute(plan: &Plan, capability: &WriteCapability) -> Result<Outcome, ExecuteError> {
    check_binding(plan, capability)?;
    let client = capability.client();
    let mut kinds = Kinds::default();
    let mut outcome = Outcome {
        app: plan.app.clone(),
        steps: Vec::new(),
    };
    let mut failed_wave: Option<i64> = None;
    for step in &plan.steps {
        let blocked = match (step.action, failed_wave) {
            (_, None) => None,
            (Action::Prune, Some(wave)) => Some(format!(
                "an apply in wave {wave} failed; nothing is pruned from a half-synced app"
            )),
            (_, Some(wave)) if step.wave > wave => {
                Some(format!("an apply in an earlier wave ({wave}) failed"))
            }
            _ => None,
        };
        let result = match blocked {
            Some(reason) => StepResult::NotAttempted { reason },
            None => run_step(client, &mut kinds, step, plan.force_conflicts).await,
        };
        if !result.is_success() && step.action != Action::Prune && failed_wave.is_none() {
            failed_wave = Some(step.wave);
        }
        outcome.steps.push(StepOutcome {
            key: step.key.clone(),
            action: step.action,
            result,
        });
    }
    Ok(outcome)
}

async fn run_step(
    client: &kube::Client,
    kinds: &mut Kinds,
    step: &Step,
    force: bool,
) -> StepResult {
    let api = match kinds.api(client, step).await {
        Ok((api, _)) => api,
        Err(message) => return StepResult::Failed { message },
    };
    let failed = |err: kube::Error| match err {
        kube::Error::Api(status) => StepResult::Failed {
            message: format!("{} ({})", status.message, status.code),
        },
        other => StepResult::Failed {
            message: other.to_string(),
        },
    };
    match step.action {
        Action::Create | Action::Update => {
            let Some(body) = &step.body else {
                return StepResult::Failed {
                    message: "nothing to apply".into(),
                };
            };
            let mut params = PatchParams::apply(FIELD_MANAGER);
            if force {
                params = params.force();
            }
            match api
                .patch(&step.key.name, &params, &Patch::Apply(body))
                .await
            {
                Ok(_) if step.action == Action::Create => StepResult::Created,
                Ok(_) => StepResult::Updated,
                Err(kube::Error::Api(status)) if status.code == 409 => StepResult::Conflict {
                    conflicts: conflicts_of(&status),
                },
                Err(err) => failed(err),
            }
        }
        Action::Prune => {
            // Only the object the plan showed: one recreated or changed since (another uid
            // or resourceVersion) is left alone.
            let params = DeleteParams {
                preconditions: step.live.as_ref().map(planned_preconditions),
                ..DeleteParams::background()
            };
            match api.delete(&step.key.name, &params).await {
                Ok(_) => StepResult::Pruned,
                Err(kube::Error::Api(status)) if status.code == 404 => StepResult::AlreadyGone,
                Err(kube::Error::Api(status)) if status.code == 409 => StepResult::Failed {
                    message: format!(
                        "changed since the plan; not pruned ({} ({}))",
                        status.message, status.code
                    ),
                },
                Err(err) => failed(err),
            }
        }
    }
}

/// The uid and resourceVersion of the planned live object, as delete preconditions.
fn planned_preconditions(live: &crate::model::Object) -> Preconditions {
    let field = |pointer: &str| {
        live.pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    Preconditions {
        uid: field("/metadata/uid"),
        resource_version: field("/metadata/resourceVersion"),
    }
}

/// Ask the GitOps controller that owns the app's objects to reconcile (Argo CD: the
/// `argocd.argoproj.io/refresh: normal` annotation on the Application; Flux:
/// `reconcile.fluxcd.io/requestedAt: <now>` on the Kustomization or HelmRelease) — a write,
/// so it takes the capability too: `owner` must be one of `plan`'s controllers and the
/// capability must be for the plan's environment and context.
pub async fn request_reconcile(
    plan: &Plan,
    owner: &ControllerOwner,
    capability: &WriteCapability,
    now: jiff::Timestamp,
) -> Result<Result<(), String>, ExecuteError> {
    check_binding(plan, capability)?;
    reconcile_planned_owner(plan, owner, capability, now).await
}

/// [`request_reconcile`] for a controller object that lives on another cluster than the app
/// (an Argo CD Application on a hub cluster deploying to this one): `capability` must be for
/// `owner_context`, the cluster holding the object, and `owner` one of `plan`'s controllers.
pub async fn request_reconcile_on(
    plan: &Plan,
    owner: &ControllerOwner,
    owner_context: &str,
    capability: &WriteCapability,
    now: jiff::Timestamp,
) -> Result<Result<(), String>, ExecuteError> {
    if capability.context() != owner_context {
        return Err(ExecuteError::WrongContext {
            have: capability.context().to_string(),
            want: owner_context.to_string(),
        });
    }
    reconcile_planned_owner(plan, owner, capability, now).await
}

/// The write both requests share, once the capability is known to fit: only a controller
/// the plan named is patched.
async fn reconcile_planned_owner(
    plan: &Plan,
    owner: &ControllerOwner,
    capability: &WriteCapability,
    now: jiff::Timestamp,
) -> Result<Result<(), String>, ExecuteError> {
    if !plan.controllers.contains(owner) {
        return Err(ExecuteError::UnknownController(format!(
            "{} {}/{}",
            owner.kind, owner.namespace, owner.name
        )));
    }
    Ok(patch_reconcile(capability.client(), owner, now, false)
        .await
        .map(|_| ())
        .map_err(ReconcilePatchError::into_message))
}

/// The dry run of [`request_reconcile`] (no capability needed) and the access probe that
/// matches it: what the server says before the user confirms.
pub async fn dry_run_reconcile(
    client: &kube::Client,
    owner: &ControllerOwner,
) -> (DryRun, Option<AccessProbe>) {
    match patch_reconcile(client, owner, jiff::Timestamp::now(), true).await {
        Ok(resource) => (
            DryRun::Ok,
            Some(AccessProbe {
                verb: "patch".into(),
                group: resource.group,
                resource: resource.plural,
                namespace: Some(owner.namespace.clone()),
            }),
        ),
        Err(ReconcilePatchError::Api { message, code: 403 }) => {
            (DryRun::Forbidden { message }, None)
        }
        Err(ReconcilePatchError::Api { message, code }) => (
            DryRun::Failed {
                message: format!("{message} ({code})"),
            },
            None,
        ),
        Err(ReconcilePatchError::Other(message)) => (DryRun::Failed { message }, None),
    }
}

enum ReconcilePatchError {
    Api { message: String, code: u16 },
    Other(String),
}

impl ReconcilePatchError {
    fn into_message(self) -> String {
        match self {
            ReconcilePatchError::Api { message, code } => format!("{message} ({code})"),
            ReconcilePatchError::Other(message) => message,
        }
    }
}

async fn patch_reconcile(
    client: &kube::Client,
    owner: &ControllerOwner,
    now: jiff::Timestamp,
    dry_run: bool,
) -> Result<ApiResource, ReconcilePatchError> {
    let version = owner.api_version.rsplit('/').next().unwrap_or("v1");
    let gvk = GroupVersionKind::gvk(group_of(&owner.api_version), version, &owner.kind);
    let (resource, _) = kube::discovery::pinned_kind(client, &gvk)
        .await
        .map_err(|e| {
            ReconcilePatchError::Other(format!("{} is not served here: {e}", owner.kind))
        })?;
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &owner.namespace, &resource);
    let value = if owner.annotation == "argocd.argoproj.io/refresh" {
        "normal".to_string()
    } else {
        now.to_string()
    };
    let patch = serde_json::json!({"metadata": {"annotations": {owner.annotation.clone(): value}}});
    let params = if dry_run {
        PatchParams::default().dry_run()
    } else {
        PatchParams::default()
    };
    api.patch(&owner.name, &params, &Patch::Merge(&patch))
        .await
        .map(|_| resource)
        .map_err(|e| match e {
            kube::Error::Api(status) => ReconcilePatchError::Api {
                message: status.message.clone(),
                code: status.code,
            },
            other => ReconcilePatchError::Other(other.to_string()),
        })
}
