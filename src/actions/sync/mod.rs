//! Sync: make one app's cluster objects match Git with server-side apply (field manager
//! `kubedrift`, kubedrift's tracking labels), and optionally prune what Git dropped.
//!
//! The flow a caller (CLI or TUI) drives:
//! 1. [`plan::build`] — pure: from the app's live view, which resources to create, update
//!    or prune, in order, each with its masked diff; what is left alone and why.
//! 2. [`apply::dry_run`] — the server's view of the same plan (`dryRun=All`): its diff,
//!    conflicts with other field managers (with their names), refusals (403).
//! 3. confirmation (the caller's), then [`capability::cluster_access`] for a
//!    [`WriteCapability`].
//! 4. [`apply::execute`] — one result per step; a failure is reported and nothing is
//!    skipped silently.
//!
//! [`capability::cluster_access`]: crate::actions::capability::cluster_access
//! [`WriteCapability`]: crate::actions::WriteCapability

pub mod apply;
pub mod order;
pub mod plan;

use crate::engine::diff::DisplayDiff;
use crate::model::{Object, ResourceKey};
use crate::state::AppId;
use serde::Serialize;

/// Build one app's plan from its live view and dry-run it on the server: what the TUI runs
/// as a background task before showing the plan (steps 1 and 2 above). The probes go to
/// [`crate::actions::capability::cluster_access`] with [`Plan::forbidden`].
pub async fn prepare(
    client: &kube::Client,
    app: &crate::state::AppView,
    options: &plan::PlanOptions,
) -> (Plan, Vec<crate::actions::capability::AccessProbe>) {
    let mut built = plan::build(app, options);
    let probes = apply::dry_run(client, &mut built, &app.ignore).await;
    (built, probes)
}

/// What a step does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Prune,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Prune => "prune",
        }
    }
}

/// A field another manager owns that this apply would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The manager as the server names it (`"kubectl"`, `"kubectl-edit" using apps/v1`).
    pub manager: String,
    /// The field (`.spec.replicas`).
    pub field: String,
}

/// What the server's dry run said about a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DryRun {
    /// Not asked yet (the plan was only built).
    NotRun,
    /// The server would accept it.
    Ok,
    /// Other managers own fields this apply changes (accepted only with force).
    Conflicts { conflicts: Vec<Conflict> },
    /// The credentials may not do it (403).
    Forbidden { message: String },
    /// Anything else the server (or discovery) refused.
    Failed { message: String },
    /// Cannot be asked yet: its namespace is created by an earlier step of this sync.
    Deferred { reason: String },
}

/// The GitOps controller that owns an object, whose reconcile a manual sync will fight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControllerOwner {
    /// `Argo CD` or `Flux`.
    pub tool: String,
    /// The object to annotate to ask it to reconcile instead.
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The annotation that asks for a reconcile (value: see [`apply::request_reconcile`]).
    pub annotation: String,
}

impl ControllerOwner {
    /// The object an app read from Argo CD / Flux comes from, as the one to ask to reconcile.
    pub fn of(controller: &crate::state::ControllerView) -> ControllerOwner {
        use crate::state::ControllerTool;
        ControllerOwner {
            tool: controller.tool.label().to_string(),
            api_version: controller.api_version.clone(),
            kind: controller.kind.clone(),
            namespace: controller.namespace.clone(),
            name: controller.name.clone(),
            annotation: match controller.tool {
                ControllerTool::ArgoCd => "argocd.argoproj.io/refresh",
                ControllerTool::Flux => "reconcile.fluxcd.io/requestedAt",
            }
            .to_string(),
        }
    }
}

/// One resource to create, update or prune.
#[derive(Clone, Serialize)]
pub struct Step {
    pub key: ResourceKey,
    pub action: Action,
    pub api_version: String,
    /// Sync wave (`argocd.argoproj.io/sync-wave`, default 0).
    pub wave: i64,
    /// Masked diff of what changes (live → desired; a prune shows the object removed). After
    /// the dry run: what the server would store against live.
    pub diff: DisplayDiff,
    pub dry_run: DryRun,
    /// What will be sent (desired + namespace + tracking labels); None for prunes. Never
    /// serialized or printed: it may be a Secret.
    #[serde(skip)]
    pub body: Option<Object>,
    /// The live object before the sync (for the server-side diff). Never serialized.
    #[serde(skip)]
    pub live: Option<Object>,
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Step")
            .field("key", &self.key)
            .field("action", &self.action)
            .field("wave", &self.wave)
            .field("dry_run", &self.dry_run)
            .finish_non_exhaustive()
    }
}

/// A resource the plan leaves alone, and why (nothing is skipped silently).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub key: ResourceKey,
    pub reason: String,
}

/// Everything a sync of one app in one environment will do, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub app: AppId,
    pub context: String,
    /// Applies in order (wave, kind, name), then prunes in reverse order.
    pub steps: Vec<Step>,
    pub skipped: Vec<Skipped>,
    /// Whether pruning was asked for.
    pub prune: bool,
    /// Whether conflicts with other field managers are overridden.
    pub force_conflicts: bool,
    /// Argo CD / Flux controllers that manage objects of this plan.
    pub controllers: Vec<ControllerOwner>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every conflict the dry run found, per resource.
    pub fn conflicts(&self) -> Vec<(&ResourceKey, &Conflict)> {
        self.steps
            .iter()
            .flat_map(|s| match &s.dry_run {
                DryRun::Conflicts { conflicts } => {
                    conflicts.iter().map(|c| (&s.key, c)).collect::<Vec<_>>()
                }
                _ => Vec::new(),
            })
            .collect()
    }

    /// The first 403 the dry run met (credentials that cannot write).
    pub fn forbidden(&self) -> Option<String> {
        self.steps.iter().find_map(|s| match &s.dry_run {
            DryRun::Forbidden { message } => Some(format!("{}: {message}", s.key)),
            _ => None,
        })
    }
}

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StepResult {
    Created,
    Updated,
    Pruned,
    /// Already gone when the prune ran.
    AlreadyGone,
    /// Another manager owns fields this apply changes; not forced.
    Conflict {
        conflicts: Vec<Conflict>,
    },
    Failed {
        message: String,
    },
    /// Not attempted, with the reason (an earlier wave failed).
    NotAttempted {
        reason: String,
    },
}

impl StepResult {
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            StepResult::Created
                | StepResult::Updated
                | StepResult::Pruned
                | StepResult::AlreadyGone
        )
    }

    pub fn label(&self) -> String {
        match self {
            StepResult::Created => "created".into(),
            StepResult::Updated => "updated".into(),
            StepResult::Pruned => "pruned".into(),
            StepResult::AlreadyGone => "already gone".into(),
            StepResult::Conflict { conflicts } => format!(
                "conflict: {} (not forced; use --force-conflicts)",
                describe_conflicts(conflicts)
            ),
            StepResult::Failed { message } => format!("failed: {message}"),
            StepResult::NotAttempted { reason } => format!("not attempted: {reason}"),
        }
    }
}

/// `field .spec.replicas is owned by "kubectl"` for each conflict.
pub fn describe_conflicts(conflicts: &[Conflict]) -> String {
    conflicts
        .iter()
        .map(|c| format!("{} is owned by {}", c.field, c.manager))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One step's result.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    pub key: ResourceKey,
    pub action: Action,
    #[serde(flatten)]
    pub result: StepResult,
}

impl StepOutcome {
    /// A reconcile request as a step: the annotation updates the controller's object.
    pub fn reconcile(owner: &ControllerOwner, result: Result<(), String>) -> StepOutcome {
        let group = owner
            .api_version
            .split_once('/')
            .map_or("", |(group, _)| group);
        StepOutcome {
            key: ResourceKey::new(group, &owner.kind, Some(&owner.namespace), &owner.name),
            action: Action::Update,
            result: match result {
                Ok(()) => StepResult::Updated,
                Err(message) => StepResult::Failed { message },
            },
        }
    }
}

/// The results of executing a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub app: AppId,
    pub steps: Vec<StepOutcome>,
}

impl Outcome {
    pub fn all_succeeded(&self) -> bool {
        self.steps.iter().all(|s| s.result.is_success())
    }

    pub fn failures(&self) -> usize {
        self.steps.iter().filter(|s| !s.result.is_success()).count()
    }
}
