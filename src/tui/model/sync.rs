//! The `s` (sync) and `p` (promote) keys: which app, whether writing is allowed (and why
//! not), the plan as a background task, the confirmation, the execution as another task.
//! The model never holds a write capability: the runtime asks for one when it executes, and
//! a read-only session, config or credentials never get one.

use super::{Effect, Model, Msg, View};
use crate::actions::capability::{AccessProbe, ReadOnly};
use crate::actions::sync::{ControllerOwner, DryRun, Outcome, Plan};
use crate::state::AppId;
use crossterm::event::{KeyCode, KeyEvent};
use std::sync::Arc;

/// A plan and the access questions its dry run produced (for the capability check).
#[derive(Debug, Clone)]
pub struct PlannedSync {
    pub plan: Arc<Plan>,
    pub probes: Arc<Vec<AccessProbe>>,
    /// For an app read from Argo CD / Flux (unless the user chose a direct apply): the write
    /// is asking its controller to reconcile, not applying the plan (shown for what the
    /// controller will change).
    pub reconcile: Option<Arc<ReconcileRequest>>,
}

impl PartialEq for PlannedSync {
    fn eq(&self, other: &PlannedSync) -> bool {
        let same_reconcile = match (&self.reconcile, &other.reconcile) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        Arc::ptr_eq(&self.plan, &other.plan)
            && Arc::ptr_eq(&self.probes, &other.probes)
            && same_reconcile
    }
}

/// The reconcile request a sync of a controller app makes: annotate `owner` on `context`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconcileRequest {
    pub owner: ControllerOwner,
    /// The kubeconfig context holding the object (an Argo CD hub may differ from the app's).
    pub context: String,
    /// The server's dry run of the annotation.
    pub dry_run: DryRun,
}

/// Where a sync is.
#[derive(Debug, Clone)]
pub enum SyncStage {
    Planning,
    PlanFailed(String),
    /// Waiting for the confirmation.
    Planned(PlannedSync),
    Executing(PlannedSync),
    /// The capability was refused: nothing was written.
    Refused(String),
    Done(Outcome),
}

/// The sync being shown in the sync view.
#[derive(Debug, Clone)]
pub struct SyncFlow {
    pub app: AppId,
    /// The environment is `protected = true`: its name must be typed to confirm.
    pub protected: bool,
    pub typed: String,
    /// Fields other managers own are taken over (the user asked with `F`).
    pub force_conflicts: bool,
    /// Objects Git dropped are deleted too (the user turned it on with `x`; off at first).
    pub prune: bool,
    /// The user confirmed once and is typing the protected environment's name.
    pub confirming: bool,
    /// The app was read from an Argo CD / Flux object: a sync asks its controller to
    /// reconcile unless `direct`.
    pub via_controller: bool,
    /// Apply the plan directly even so (the user chose it with `d`; off at first).
    pub direct: bool,
    pub stage: SyncStage,
}

impl SyncFlow {
    /// The sync asks the app's controller to reconcile instead of applying.
    pub fn reconcile(&self) -> bool {
        self.via_controller && !self.direct
    }
}

impl Model {
    /// Why `env` may not be written, when known: the session flag, else what the runtime's
    /// access check found (config switches, credentials).
    pub fn write_blocked(&self, env: &str) -> Option<String> {
        if self.read_only {
            return Some(
                ReadOnly::SessionFlag {
                    target: env.to_string(),
                }
                .to_string(),
            );
        }
        self.write_blocked.get(env).cloned()
    }

    /// The app `s` / `p` act on in the current view.
    fn action_target(&self) -> Option<AppId> {
        match self.view() {
            View::Overview => self.selected_id(),
            View::Diff => self.diff.as_ref().map(|d| d.app.clone()),
            View::App | View::Promotion => self.app.clone(),
            View::Sync => self.sync.as_ref().map(|s| s.app.clone()),
            View::Promote => self.promote.as_ref().map(|p| p.app.clone()),
            _ => None,
        }
    }

    /// Ask the runtime which environments may not be written (once per live layer).
    pub(super) fn ask_write_access(&mut self) -> Vec<Effect> {
        if self.read_only || self.access_asked || self.envs.is_empty() {
            return Vec::new();
        }
        self.access_asked = true;
        self.access_generation += 1;
        vec![Effect::CheckWrite {
            generation: self.access_generation,
            envs: self.envs.clone(),
        }]
    }

    pub(super) fn start_sync(&mut self) -> Vec<Effect> {
        let Some(app) = self.action_target() else {
            self.status = Some("sync: select an app first".into());
            return Vec::new();
        };
        if let Some(reason) = self.write_blocked(&app.env) {
            self.status = Some(format!("sync disabled: {reason}"));
            return Vec::new();
        }
        // One sync at a time: while one is out, `s` shows it (its result must not be lost).
        if self
            .sync
            .as_ref()
            .is_some_and(|s| matches!(s.stage, SyncStage::Planning | SyncStage::Executing(_)))
        {
            self.push(View::Sync);
            return Vec::new();
        }
        self.sync_generation += 1;
        self.scroll.remove("sync");
        let via_controller = self
            .snapshot
            .apps
            .get(&app)
            .is_some_and(|a| a.controller.is_some());
        self.sync = Some(SyncFlow {
            protected: self.protected_envs.contains(&app.env),
            app: app.clone(),
            typed: String::new(),
            force_conflicts: false,
            prune: false,
            confirming: false,
            via_controller,
            direct: false,
            stage: SyncStage::Planning,
        });
        self.push(View::Sync);
        vec![Effect::PlanSync {
            generation: self.sync_generation,
            app,
            force_conflicts: false,
            prune: false,
            reconcile: via_controller,
        }]
    }

    /// `d` in the sync view of an app read from Argo CD / Flux: apply directly instead of
    /// asking the controller to reconcile (or back), then plan again.
    pub(super) fn toggle_direct(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.sync else {
            return Vec::new();
        };
        if !flow.via_controller {
            self.status = Some("not read from Argo CD / Flux: a sync applies directly".into());
            return Vec::new();
        }
        if flow.confirming
            || !matches!(flow.stage, SyncStage::Planned(_) | SyncStage::PlanFailed(_))
        {
            return Vec::new();
        }
        flow.direct = !flow.direct;
        self.plan_sync_again()
    }

    /// After a toggle of the sync view: plan again with the flow's new choices (the new plan
    /// is shown and confirmed like any other; a reply to the old plan is dropped).
    fn plan_sync_again(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.sync else {
            return Vec::new();
        };
        flow.stage = SyncStage::Planning;
        flow.confirming = false;
        flow.typed.clear();
        self.sync_generation += 1;
        vec![Effect::PlanSync {
            generation: self.sync_generation,
            app: flow.app.clone(),
            force_conflicts: flow.force_conflicts,
            prune: flow.prune,
            reconcile: flow.reconcile(),
        }]
    }

    /// `F` in the sync view: the plan has conflicts; plan again taking those fields over
    /// (the new plan is shown and confirmed like any other).
    pub(super) fn force_sync(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.sync else {
            return Vec::new();
        };
        let SyncStage::Planned(planned) = &flow.stage else {
            return Vec::new();
        };
        if flow.confirming {
            return Vec::new();
        }
        if planned.plan.conflicts().is_empty() || flow.force_conflicts {
            self.status = Some("no conflicts to take over".into());
            return Vec::new();
        }
        flow.force_conflicts = true;
        self.plan_sync_again()
    }

    /// `x` in the sync view: prune on/off, then plan again (the new plan lists each object
    /// it would delete and is confirmed like any other).
    pub(super) fn toggle_prune(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.sync else {
            return Vec::new();
        };
        if flow.confirming
            || !matches!(flow.stage, SyncStage::Planned(_) | SyncStage::PlanFailed(_))
        {
            return Vec::new();
        }
        flow.prune = !flow.prune;
        self.plan_sync_again()
    }

    pub(super) fn start_promote(&mut self) -> Vec<Effect> {
        let Some(app) = self.action_target() else {
            self.status = Some("promote: select an app first".into());
            return Vec::new();
        };
        if let Some(reason) = self.write_blocked(&app.env) {
            self.status = Some(format!("promote disabled: {reason}"));
            return Vec::new();
        }
        self.plan_promotion(app)
    }

    /// `y` / Enter in the sync view: execute a planned sync (a protected environment only
    /// once its name was typed), or close a finished one.
    pub(super) fn confirm_sync(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.sync else {
            return Vec::new();
        };
        match &flow.stage {
            SyncStage::Planned(planned) => {
                // A reconcile request is a write even when kubedrift sees nothing to apply.
                if planned.plan.is_empty() && planned.reconcile.is_none() {
                    self.status = Some("nothing to sync".into());
                    return Vec::new();
                }
                if let Some(ask) =
                    ask_for_protected_name(flow.protected, &flow.typed, &flow.app.env)
                {
                    flow.confirming = true;
                    self.status = Some(ask);
                    return Vec::new();
                }
                let planned = planned.clone();
                flow.stage = SyncStage::Executing(planned.clone());
                self.sync_generation += 1;
                vec![Effect::ExecuteSync {
                    generation: self.sync_generation,
                    planned,
                }]
            }
            SyncStage::Done(_) | SyncStage::Refused(_) | SyncStage::PlanFailed(_) => {
                self.back();
                Vec::new()
            }
            SyncStage::Planning | SyncStage::Executing(_) => Vec::new(),
        }
    }

    /// Typing a protected environment's name in the sync view. True when the key was used.
    pub(super) fn sync_typing(&mut self, key: &KeyEvent) -> bool {
        let Some(flow) = &mut self.sync else {
            return false;
        };
        if self.stack.last() != Some(&View::Sync)
            || !flow.protected
            || !flow.confirming
            || !matches!(flow.stage, SyncStage::Planned(_))
        {
            return false;
        }
        edit_typed_name(&mut flow.typed, key)
    }

    pub(super) fn on_sync_reply(&mut self, msg: Msg) -> Vec<Effect> {
        let Some(flow) = &mut self.sync else {
            return Vec::new();
        };
        match msg {
            Msg::SyncPlanned { generation, result } if generation == self.sync_generation => {
                flow.stage = match result {
                    Ok(planned) => SyncStage::Planned(planned),
                    Err(error) => SyncStage::PlanFailed(error),
                };
            }
            Msg::SyncDone { generation, result } if generation == self.sync_generation => {
                flow.stage = match result {
                    Ok(outcome) => SyncStage::Done(outcome),
                    Err(refused) => SyncStage::Refused(refused),
                };
            }
            _ => {} // a stale reply: the user moved on
        }
        Vec::new()
    }

    pub(super) fn on_write_checked(
        &mut self,
        generation: u64,
        blocked: Vec<(String, String)>,
    ) -> Vec<Effect> {
        if generation == self.access_generation {
            self.write_blocked = blocked.into_iter().collect();
        }
        Vec::new()
    }
}

/// Before a write to a protected environment (sync and promote alike): what to ask while its
/// name is not typed yet; None once it is, or when the environment is not protected.
pub(super) fn ask_for_protected_name(protected: bool, typed: &str, env: &str) -> Option<String> {
    (protected && typed != env).then(|| format!("{env} is protected: type its name, then Enter"))
}

/// Typing a protected environment's name (sync and promote alike): characters and Backspace
/// edit `typed`; true when the key was used.
pub(super) fn edit_typed_name(typed: &mut String, key: &KeyEvent) -> bool {
    match key.code {
        KeyCode::Char(c) => typed.push(c),
        KeyCode::Backspace => {
            typed.pop();
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::sync::plan::{build, PlanOptions};
    use crate::actions::sync::{Action as StepAction, StepOutcome, StepResult};
    use crate::tui::theme::Theme;
    use crate::tui::views::tests::{key, keys, render, sample_model};

    /// The sample, writable, with web@prod (kubectl scaled it) selected.
    fn writable_on_web_prod() -> Model {
        let mut m = sample_model(Theme::dark());
        m.read_only = false;
        m.update(Msg::Resize(160, 48));
        keys(&mut m, ":app web");
        key(&mut m, KeyCode::Enter);
        keys(&mut m, ":env prod");
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.selected_id().expect("cell").to_string(), "web@prod");
        m
    }

    fn press(m: &mut Model, c: char) -> Vec<Effect> {
        m.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        )))
    }

    fn planned_for(m: &Model, id: &AppId) -> PlannedSync {
        let app = m.snapshot.apps.get(id).expect("app");
        PlannedSync {
            plan: Arc::new(build(app, &PlanOptions::default())),
            probes: Arc::new(Vec::new()),
            reconcile: None,
        }
    }

    #[test]
    fn read_only_sessions_say_why_and_ask_for_nothing() {
        let mut m = writable_on_web_prod();
        m.read_only = true;
        for c in ['s', 'p'] {
            assert!(press(&mut m, c).is_empty());
            let status = m.status.clone().unwrap_or_default();
            assert!(
                status.contains("prod is read-only: the session was started with --read-only"),
                "{status}"
            );
            assert_eq!(m.view(), View::Overview);
        }
        // Nor is the access check asked for: the flag settles it.
        assert!(m.ask_write_access().is_empty());
    }

    #[test]
    fn credentials_that_may_not_write_disable_the_keys_with_the_reason() {
        let mut m = writable_on_web_prod();
        let effects = m.ask_write_access();
        let [Effect::CheckWrite { generation, envs }] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert!(envs.contains(&"prod".to_string()));
        let reason = "prod is read-only: the credentials of context prod-viewer may not write";
        // A stale answer is dropped.
        m.update(Msg::WriteChecked {
            generation: generation - 1,
            blocked: vec![("prod".into(), reason.into())],
        });
        assert_eq!(m.write_blocked("prod"), None);
        m.update(Msg::WriteChecked {
            generation: *generation,
            blocked: vec![("prod".into(), reason.into())],
        });
        assert!(press(&mut m, 's').is_empty());
        assert_eq!(
            m.status.as_deref(),
            Some(&*format!("sync disabled: {reason}"))
        );
        assert!(press(&mut m, 'p').is_empty());
        assert_eq!(
            m.status.as_deref(),
            Some(&*format!("promote disabled: {reason}"))
        );
    }

    #[test]
    fn s_plans_in_the_background_confirms_then_executes_and_shows_results() {
        let mut m = writable_on_web_prod();
        let effects = press(&mut m, 's');
        let [Effect::PlanSync {
            generation,
            app,
            force_conflicts: false,
            prune: false,
            reconcile: false,
        }] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        let (generation, app) = (*generation, app.clone());
        assert_eq!(app.to_string(), "web@prod");
        assert_eq!(m.view(), View::Sync);
        // y before the plan is there does nothing.
        assert!(press(&mut m, 'y').is_empty());
        let planned = planned_for(&m, &app);
        assert!(!planned.plan.is_empty(), "web@prod drifted");
        // A reply to an older ask is dropped.
        m.update(Msg::SyncPlanned {
            generation: generation - 1,
            result: Err("old".into()),
        });
        assert!(matches!(
            m.sync.as_ref().map(|s| &s.stage),
            Some(SyncStage::Planning)
        ));
        m.update(Msg::SyncPlanned {
            generation,
            result: Ok(planned.clone()),
        });
        let screen = render(&mut m, 160, 48);
        assert!(screen.contains("apply this plan? y / Enter"), "{screen}");
        assert!(
            screen.contains("update apps/Deployment/web/web"),
            "{screen}"
        );
        assert!(screen.contains("replicas"), "{screen}");
        let effects = press(&mut m, 'y');
        let [Effect::ExecuteSync {
            generation: exec,
            planned: sent,
        }] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        assert_eq!(*sent, planned);
        let step = &planned.plan.steps[0];
        m.update(Msg::SyncDone {
            generation: *exec,
            result: Ok(Outcome {
                app: app.clone(),
                steps: vec![StepOutcome {
                    key: step.key.clone(),
                    action: StepAction::Update,
                    result: StepResult::Updated,
                }],
            }),
        });
        let screen = render(&mut m, 160, 48);
        assert!(screen.contains("synced: every step succeeded"), "{screen}");
        assert!(screen.contains("updated"), "{screen}");
        // Enter closes the finished sync.
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.view(), View::Overview);
    }

    #[test]
    fn a_protected_environment_needs_its_name_typed() {
        let mut m = writable_on_web_prod();
        m.protected_envs.insert("prod".into());
        let effects = press(&mut m, 's');
        let [Effect::PlanSync {
            generation,
            app,
            force_conflicts: false,
            prune: false,
            reconcile: false,
        }] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        let planned = planned_for(&m, app);
        m.update(Msg::SyncPlanned {
            generation: *generation,
            result: Ok(planned),
        });
        // Enter alone, or a wrong name, does not execute; y is just a typed letter.
        key(&mut m, KeyCode::Enter);
        assert!(m
            .status
            .as_deref()
            .unwrap_or("")
            .contains("prod is protected"));
        keys(&mut m, "y");
        assert!(m
            .update(Msg::Key(KeyEvent::new(
                KeyCode::Enter,
                crossterm::event::KeyModifiers::NONE
            )))
            .is_empty());
        key(&mut m, KeyCode::Backspace);
        keys(&mut m, "prod");
        let screen = render(&mut m, 160, 48);
        assert!(
            screen.contains("prod is protected: type its name"),
            "{screen}"
        );
        let effects = m.update(Msg::Key(KeyEvent::new(
            KeyCode::Enter,
            crossterm::event::KeyModifiers::NONE,
        )));
        assert!(
            matches!(effects.as_slice(), [Effect::ExecuteSync { .. }]),
            "{effects:?}"
        );
    }

    #[test]
    fn p_promotes_from_the_previous_environment_and_drops_stale_replies() {
        let mut m = writable_on_web_prod();
        let effects = press(&mut m, 'p');
        let [Effect::PlanPromote {
            generation,
            app,
            from,
            to,
            new_branch: true,
        }] = effects.as_slice()
        else {
            panic!("{effects:?}");
        };
        assert_eq!(
            (app.as_str(), from.as_str(), to.as_str()),
            ("web", "stage", "prod")
        );
        assert_eq!(m.view(), View::Promote);
        m.update(Msg::PromotePlanned {
            generation: generation - 1,
            result: Err("old".into()),
        });
        assert!(matches!(
            m.promote.as_ref().map(|p| &p.stage),
            Some(crate::tui::model::PromoteStage::Preparing)
        ));
        m.update(Msg::PromotePlanned {
            generation: *generation,
            result: Err("no such app in stage".into()),
        });
        let screen = render(&mut m, 160, 48);
        assert!(
            screen.contains("promote web from stage to prod"),
            "{screen}"
        );
        assert!(
            screen.contains("could not prepare: no such app in stage"),
            "{screen}"
        );
        // y on a failed promotion closes it; nothing is asked to write.
        assert!(press(&mut m, 'y').is_empty());
        assert_eq!(m.view(), View::Overview);
        // Nothing promotes into the first environment.
        keys(&mut m, ":env dev");
        key(&mut m, KeyCode::Enter);
        assert!(press(&mut m, 'p').is_empty());
        assert_eq!(
            m.status.as_deref(),
            Some("dev is the first environment: nothing promotes into it")
        );
    }
}
