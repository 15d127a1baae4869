//! The `p` key: promote the selected app into the selected environment, from the one before
//! it by default (promotion order of the config; `f` picks another source), as a commit on a
//! new `promote/<app>/<to>/<sha>` branch (the pull-request flow) or, with `m`, onto the ref
//! the environment reads; `u` pushes the result when the repo has a remote. The proposal
//! (with its git diff) is prepared as a background task and shown with these choices, then
//! confirmed (a protected environment's own ref: its name typed), then written by another
//! task that asks for the git write capability; a read-only session or config never gets one.

use super::{Effect, Model, Msg, View};
use crate::actions::promote::Proposal;
use crate::state::AppId;
use std::sync::Arc;

/// A prepared promotion (shared; compared by identity), and the remote a push would go to
/// (None: the repo has no remote to push to).
#[derive(Clone)]
pub struct PreparedPromotion(pub Arc<Proposal>, pub Option<String>);

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

/// Where the promotion's commit goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoteMode {
    /// A new `promote/<app>/<to>/<sha>` branch, for a pull request (the default).
    NewBranch,
    /// The ref the target environment reads, moved with a compare-and-swap.
    EnvRef,
}

#[derive(Debug, Clone)]
pub struct PromoteFlow {
    /// The app and the environment promoted to.
    pub app: AppId,
    /// The source environment (default: the one before the target).
    pub from: String,
    pub mode: PromoteMode,
    /// Push the written ref to the repo's remote after the commit.
    pub push: bool,
    /// The commit goes onto a protected environment's own ref: its name must be typed.
    pub protected: bool,
    /// The user confirmed once and is typing the protected environment's name.
    pub confirming: bool,
    pub typed: String,
    pub stage: PromoteStage,
}

impl Model {
    /// The environments `target` can be promoted from, the default first: the environments
    /// before it in promotion order, nearest first, then those after it.
    fn promotion_sources(&self, target: &str) -> Vec<String> {
        let Some(position) = self.config_envs.iter().position(|e| e == target) else {
            return Vec::new();
        };
        let before = self.config_envs[..position].iter().rev();
        let after = self.config_envs[position + 1..].iter();
        before.chain(after).cloned().collect()
    }

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
        self.promote = Some(PromoteFlow {
            protected: false,
            confirming: false,
            app,
            from,
            mode: PromoteMode::NewBranch,
            push: false,
            typed: String::new(),
            stage: PromoteStage::Preparing,
        });
        self.scroll.remove("promote");
        self.push(View::Promote);
        self.prepare_promotion()
    }

    /// Prepare the flow's promotion again (its source or mode changed).
    fn prepare_promotion(&mut self) -> Vec<Effect> {
        let Some(flow) = &mut self.promote else {
            return Vec::new();
        };
        self.promote_generation += 1;
        flow.stage = PromoteStage::Preparing;
        flow.confirming = false;
        flow.typed.clear();
        vec![Effect::PlanPromote {
            generation: self.promote_generation,
            app: flow.app.app.clone(),
            from: flow.from.clone(),
            to: flow.app.env.clone(),
            new_branch: flow.mode == PromoteMode::NewBranch,
        }]
    }

    /// Whether the promote view may change its choices now (not while writing or done).
    fn promote_choosable(&self) -> bool {
        self.stack.last() == Some(&View::Promote)
            && self.promote.as_ref().is_some_and(|f| {
                !f.confirming
                    && matches!(
                        f.stage,
                        PromoteStage::Prepared(_)
                            | PromoteStage::Failed(_)
                            | PromoteStage::Preparing
                    )
            })
    }

    /// `f`: promote from the next candidate source environment.
    pub(super) fn cycle_promote_source(&mut self) -> Vec<Effect> {
        if !self.promote_choosable() {
            return Vec::new();
        }
        let Some(flow) = &self.promote else {
            return Vec::new();
        };
        let sources = self.promotion_sources(&flow.app.env);
        let next = sources
            .iter()
            .position(|e| *e == flow.from)
            .map(|i| (i + 1) % sources.len())
            .and_then(|i| sources.get(i))
            .cloned();
        match next {
            Some(from) if from != flow.from => {
                if let Some(flow) = &mut self.promote {
                    flow.from = from;
                }
                self.prepare_promotion()
            }
            _ => {
                self.status = Some("no other environment to promote from".into());
                Vec::new()
            }
        }
    }

    /// `m`: commit onto the environment's own ref, or on a new promote/ branch.
    pub(super) fn toggle_promote_mode(&mut self) -> Vec<Effect> {
        if !self.promote_choosable() {
            return Vec::new();
        }
        let Some(flow) = &mut self.promote else {
            return Vec::new();
        };
        flow.mode = match flow.mode {
            PromoteMode::NewBranch => PromoteMode::EnvRef,
            PromoteMode::EnvRef => PromoteMode::NewBranch,
        };
        self.prepare_promotion()
    }

    /// `u`: push the result after the commit (only when the repo has a remote).
    pub(super) fn toggle_promote_push(&mut self) -> Vec<Effect> {
        if !self.promote_choosable() {
            return Vec::new();
        }
        let Some(flow) = &mut self.promote else {
            return Vec::new();
        };
        match &flow.stage {
            PromoteStage::Prepared(PreparedPromotion(_, Some(_))) => flow.push = !flow.push,
            PromoteStage::Prepared(PreparedPromotion(_, None)) => {
                flow.push = false;
                self.status = Some("the repo has no remote to push to".into());
            }
            _ => {}
        }
        Vec::new()
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
                if let Some(ask) =
                    super::sync::ask_for_protected_name(flow.protected, &flow.typed, &flow.app.env)
                {
                    flow.confirming = true;
                    self.status = Some(ask);
                    return Vec::new();
                }
                let prepared = prepared.clone();
                let push = flow.push && prepared.1.is_some();
                flow.stage = PromoteStage::Writing(prepared.clone());
                self.promote_generation += 1;
                vec![Effect::ExecutePromote {
                    generation: self.promote_generation,
                    prepared,
                    push,
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
            || !flow.confirming
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
                        flow.protected = self.protected_envs.contains(&flow.app.env)
                            && prepared.0.onto_env_ref();
                        if prepared.1.is_none() {
                            flow.push = false;
                        }
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
