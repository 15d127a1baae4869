//! The `p` key: promote the selected app into the selected environment from the one before
//! it (promotion order of the config), as a commit on a new `promote/<app>/<to>/<sha>` branch
//! (the pull-request flow). The proposal (with its git diff) is prepared as a
//! background task, shown, confirmed, then written by another task that asks for the git
//! write capability; a read-only session or config never gets one.

use super::{Effect, Model, Msg, View};
use crate::actions::promote::Proposal;
use crate::state::AppId;
use std::sync::Arc;

/// A prepared promotion (shared; compared by identity).
#[derive(Clone)]
pub struct PreparedPromotion(pub Arc<Proposal>);

impl std::fmt::Debug for PreparedPromotion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Promotion({} {} → {})",
            self.0.app(),
            self.0.from(),
            self.0.to()
        )
    }
}

impl PartialEq for PreparedPromotion {
    fn eq(&self, other: &PreparedPromotion) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Debug, Clone)]
pub enum PromoteStage {
    Preparing,
    Failed(String),
    Prepared(PreparedPromotion),
    Writing(PreparedPromotion),
    /// Not written: the capability was refused or the write failed (refs untouched).
    NotWritten(String),
    /// `commit on ref`.
    Written(String),
}

#[derive(Debug, Clone)]
pub struct PromoteFlow {
    /// The app and the environment promoted to.
    pub app: AppId,
    pub from: String,
    pub protected: bool,
    pub typed: String,
    pub stage: PromoteStage,
}

impl Model {
    pub(super) fn plan_promotion(&mut self, app: AppId) -> Vec<Effect> {
        let position = self.config_envs.iter().position(|e| *e == app.env);
        let Some(from) = position
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.config_envs.get(i))
            .cloned()
        else {
            self.status = Some(format!(
                "{} is the first environment: nothing promotes into it",
                app.env
            ));
            return Vec::new();
        };
        if self
            .promote
            .as_ref()
            .is_some_and(|p| matches!(p.stage, PromoteStage::Preparing | PromoteStage::Writing(_)))
        {
            self.push(View::Promote);
            return Vec::new();
        }
        self.promote_generation += 1;
        self.promote = Some(PromoteFlow {
            protected: self.protected_envs.contains(&app.env),
            app: app.clone(),
            from: from.clone(),
            typed: String::new(),
            stage: PromoteStage::Preparing,
        });
        self.scroll.remove("promote");
        self.push(View::Promote);
        vec![Effect::PlanPromote {
            generation: self.promote_generation,
            app: app.app,
            from,
            to: app.env,
        }]
    }

    pub(super) fn confirm_promote(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.promote else {
            return Vec::new();
        };
        match &flow.stage {
            PromoteStage::Prepared(prepared) => {
                if prepared.0.is_noop() {
                    self.status = Some("nothing to promote".into());
                    return Vec::new();
                }
                if flow.protected && flow.typed != flow.app.env {
                    self.status = Some(format!(
                        "{} is protected: type its name, then Enter",
                        flow.app.env
                    ));
                    return Vec::new();
                }
                let prepared = prepared.clone();
                flow.stage = PromoteStage::Writing(prepared.clone());
                self.promote_generation += 1;
                vec![Effect::ExecutePromote {
                    generation: self.promote_generation,
                    prepared,
                }]
            }
            PromoteStage::Preparing | PromoteStage::Writing(_) => Vec::new(),
            _ => {
                self.back();
                Vec::new()
            }
        }
    }

    pub(super) fn promote_typing(&mut self, key: &crossterm::event::KeyEvent) -> bool {
        let Some(flow) = &mut self.promote else {
            return false;
        };
        if self.stack.last() != Some(&View::Promote)
            || !flow.protected
            || !matches!(flow.stage, PromoteStage::Prepared(_))
        {
            return false;
        }
        super::sync::edit_typed_name(&mut flow.typed, key)
    }

    pub(super) fn on_promote_reply(&mut self, msg: Msg) -> Vec<Effect> {
        let Some(flow) = &mut self.promote else {
            return Vec::new();
        };
        match msg {
            Msg::PromotePlanned { generation, result } if generation == self.promote_generation => {
                flow.stage = match result {
                    Ok(prepared) => {
                        // Typing the name guards moving the environment's own ref only.
                        flow.protected = flow.protected && prepared.0.onto_env_ref();
                        PromoteStage::Prepared(prepared)
                    }
                    Err(error) => PromoteStage::Failed(error),
                };
            }
            Msg::PromoteDone { generation, result } if generation == self.promote_generation => {
                flow.stage = match result {
                    Ok(written) => PromoteStage::Written(written),
                    Err(why) => PromoteStage::NotWritten(why),
                };
            }
            _ => {}
        }
        Vec::new()
    }
}
