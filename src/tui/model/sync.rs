//! The `s` (sync) and `p` (promote) keys: which app, whether writing is allowed (and why
//! not), the plan as a background task, the confirmation, the execution as another task.
//! The model never holds a write capability: the runtime asks for one when it executes, and
//! a read-only session, config or credentials never get one.

use super::{Effect, Model, Msg, View};
use crate::actions::capability::{AccessProbe, ReadOnly};
use crate::actions::sync::{Outcome, Plan};
use crate::state::AppId;
use crossterm::event::{KeyCode, KeyEvent};
use std::sync::Arc;

/// A plan and the access questions its dry run produced (for the capability check).
#[derive(Debug, Clone)]
pub struct PlannedSync {
    pub plan: Arc<Plan>,
    pub probes: Arc<Vec<AccessProbe>>,
}

impl PartialEq for PlannedSync {
    fn eq(&self, other: &PlannedSync) -> bool {
        Arc::ptr_eq(&self.plan, &other.plan) && Arc::ptr_eq(&self.probes, &other.probes)
    }
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
    pub stage: SyncStage,
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
        if self.view() == View::Sync
            && self
                .sync
                .as_ref()
                .is_some_and(|s| matches!(s.stage, SyncStage::Planning | SyncStage::Executing(_)))
        {
            return Vec::new();
        }
        self.sync_generation += 1;
        self.sync = Some(SyncFlow {
            protected: self.protected_envs.contains(&app.env),
            app: app.clone(),
            typed: String::new(),
            stage: SyncStage::Planning,
        });
        self.push(View::Sync);
        vec![Effect::PlanSync {
            generation: self.sync_generation,
            app,
        }]
    }

    pub(super) fn start_promote(&mut self) -> Vec<Effect> {
        let Some(app) = self.action_target() else {
            self.status = Some("promote: select an app first".into());
            return Vec::new();
        };
        self.status = Some(match self.write_blocked(&app.env) {
            Some(reason) => format!("promote disabled: {reason}"),
            None => format!(
                "promote from the TUI is not built yet: kubedrift promote {} --from ENV --to {}",
                app.app, app.env
            ),
        });
        Vec::new()
    }

    /// `y` / Enter in the sync view: execute a planned sync (a protected environment only
    /// once its name was typed), or close a finished one.
    pub(super) fn confirm_sync(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.sync else {
            return Vec::new();
        };
        match &flow.stage {
            SyncStage::Planned(planned) => {
                if planned.plan.is_empty() {
                    self.status = Some("nothing to sync".into());
                    return Vec::new();
                }
                if flow.protected && flow.typed != flow.app.env {
                    self.status = Some(format!(
                        "{} is protected: type its name, then Enter",
                        flow.app.env
                    ));
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
            || !matches!(flow.stage, SyncStage::Planned(_))
        {
            return false;
        }
        match key.code {
            KeyCode::Char(c) => flow.typed.push(c),
            KeyCode::Backspace => {
                flow.typed.pop();
            }
            _ => return false,
        }
        true
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
