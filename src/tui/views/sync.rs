//! Sync view: the plan of one app's sync (create / update / prune per resource with its
//! masked diff, the server's dry-run verdict, conflicts, what is left alone), the
//! confirmation, then the result per resource and the app's state as the watch sees it.

use crate::actions::sync::{DryRun, Plan};
use crate::tui::model::{Model, ReconcileRequest, SyncFlow, SyncStage};
use crate::tui::theme::Slot;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let Some(flow) = &model.sync else {
        frame.render_widget(Paragraph::new("no sync"), area);
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    let state = model
        .snapshot
        .apps
        .get(&flow.app)
        .map(|a| a.sync.label().to_string())
        .unwrap_or_else(|| "gone".into());
    lines.push(Line::from(Span::styled(
        format!("sync {} in {} (now {state})", flow.app.app, flow.app.env),
        theme.fg(Slot::Title),
    )));
    match &flow.stage {
        SyncStage::Planning => lines.push(Line::from(Span::styled(
            "planning: server-side dry run…",
            theme.fg(Slot::Muted),
        ))),
        SyncStage::PlanFailed(error) => lines.push(Line::from(Span::styled(
            format!("could not plan: {error}"),
            theme.fg(Slot::Error),
        ))),
        SyncStage::Planned(planned) if planned.reconcile.is_some() => {
            if let Some(request) = &planned.reconcile {
                reconcile_lines(model, flow, request, &mut lines);
            }
            lines.push(Line::from(Span::styled(
                "what the controller will change:",
                theme.fg(Slot::Muted),
            )));
            plan_lines(model, &planned.plan, &mut lines);
        }
        SyncStage::Planned(planned) => {
            if flow.via_controller {
                lines.push(Line::from(Span::styled(
                    "direct apply: the GitOps controller may undo it — d asks it to reconcile instead",
                    theme.fg(Slot::Warning),
                )));
            }
            let prompt = if planned.plan.is_empty() {
                "nothing to sync — Esc to go back".to_string()
            } else if flow.protected && flow.confirming {
                format!(
                    "{} is protected: type its name, then Enter to apply (Esc cancels): {}",
                    flow.app.env, flow.typed
                )
            } else if flow.protected {
                format!(
                    "{} is protected: y / Enter, then type its name to apply (Esc cancels)",
                    flow.app.env
                )
            } else {
                "apply this plan? y / Enter: yes, Esc: cancel".to_string()
            };
            lines.push(Line::from(Span::styled(prompt, theme.fg(Slot::Warning))));
            if flow.force_conflicts {
                lines.push(Line::from(Span::styled(
                    "forcing: fields other managers own are taken over",
                    theme.fg(Slot::Warning),
                )));
            } else if !planned.plan.conflicts().is_empty() {
                lines.push(Line::from(Span::styled(
                    "conflicts: applied as is, those fields stay the other manager's — F re-plans taking them over",
                    theme.fg(Slot::Warning),
                )));
            }
            lines.push(prune_line(model, &planned.plan));
            plan_lines(model, &planned.plan, &mut lines);
        }
        SyncStage::Executing(planned) => {
            lines.push(Line::from(Span::styled("applying…", theme.fg(Slot::Muted))));
            plan_lines(model, &planned.plan, &mut lines);
        }
        SyncStage::Refused(reason) => lines.push(Line::from(Span::styled(
            format!("nothing written: {reason}"),
            theme.fg(Slot::Error),
        ))),
        SyncStage::Done(outcome) => {
            let summary = if flow.reconcile() {
                if outcome.all_succeeded() {
                    "asked the controller to reconcile".to_string()
                } else {
                    "could not ask the controller to reconcile".to_string()
                }
            } else if outcome.all_succeeded() {
                "synced: every step succeeded".to_string()
            } else {
                format!("{} step(s) did not succeed", outcome.failures())
            };
            lines.push(Line::from(Span::styled(summary, theme.fg(Slot::Accent))));
            for step in &outcome.steps {
                let slot = if step.result.is_success() {
                    Slot::SyncSynced
                } else {
                    Slot::Error
                };
                lines.push(Line::from(vec![
                    Span::raw(format!("  {:<6} {} ", step.action.label(), step.key)),
                    Span::styled(step.result.label(), theme.fg(slot)),
                ]));
            }
        }
    }
    let scroll = model.scroll.get("sync").copied().unwrap_or(0);
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    // Wrapped, not cut: a conflict or refusal reason must be readable at 80 columns.
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// The reconcile request a sync of a controller app makes, the server's dry run of it, and
/// the confirmation.
fn reconcile_lines(
    model: &Model,
    flow: &SyncFlow,
    request: &ReconcileRequest,
    lines: &mut Vec<Line<'static>>,
) {
    let theme = &model.theme;
    let owner = &request.owner;
    lines.push(Line::from(Span::styled(
        format!(
            "ask {} to reconcile {} {}/{} on {} (annotation {})",
            owner.tool, owner.kind, owner.namespace, owner.name, request.context, owner.annotation
        ),
        theme.fg(Slot::Accent),
    )));
    match &request.dry_run {
        DryRun::Forbidden { message } => lines.push(Line::from(Span::styled(
            format!("the server refuses it: {message}"),
            theme.fg(Slot::Error),
        ))),
        DryRun::Failed { message } => lines.push(Line::from(Span::styled(
            format!("dry run failed: {message}"),
            theme.fg(Slot::Error),
        ))),
        _ => {}
    }
    let prompt = if flow.protected && flow.confirming {
        format!(
            "{} is protected: type its name, then Enter to ask (Esc cancels): {}",
            flow.app.env, flow.typed
        )
    } else {
        "ask? y / Enter: yes, d: apply directly instead, Esc: cancel".to_string()
    };
    lines.push(Line::from(Span::styled(prompt, theme.fg(Slot::Warning))));
}

/// Whether the plan prunes, how many objects it deletes, and the key that changes it.
fn prune_line(model: &Model, plan: &Plan) -> Line<'static> {
    let theme = &model.theme;
    let prunes = plan
        .steps
        .iter()
        .filter(|s| s.action == crate::actions::sync::Action::Prune)
        .count();
    if plan.prune {
        Line::from(Span::styled(
            format!(
                "prune ON (x): {prunes} object(s) Git dropped are deleted, each listed as prune"
            ),
            theme.fg(Slot::Warning),
        ))
    } else {
        Line::from(Span::styled(
            "prune off (x): what Git dropped stays, listed as left alone",
            theme.fg(Slot::Muted),
        ))
    }
}

fn plan_lines(model: &Model, plan: &Plan, lines: &mut Vec<Line<'static>>) {
    let theme = &model.theme;
    for step in &plan.steps {
        let verdict = match &step.dry_run {
            DryRun::Conflicts { conflicts } => format!(
                "conflict: {}",
                crate::actions::sync::describe_conflicts(conflicts)
            ),
            DryRun::NotRun => "not asked".into(),
            DryRun::Ok => "accepted".into(),
            DryRun::Forbidden { message } => format!("forbidden: {message}"),
            DryRun::Failed { message } => format!("failed: {message}"),
            DryRun::Deferred { reason } => format!("deferred: {reason}"),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<6} {} ", step.action.label(), step.key),
                theme.fg(Slot::Text),
            ),
            Span::styled(format!("[dry run: {verdict}]"), theme.fg(Slot::Muted)),
        ]));
        for text in step.diff.unified.lines() {
            let slot = if text.starts_with('+') {
                Slot::DiffAdded
            } else if text.starts_with('-') {
                Slot::DiffRemoved
            } else {
                Slot::DiffContext
            };
            lines.push(Line::from(Span::styled(
                format!("    {text}"),
                theme.fg(slot),
            )));
        }
    }
    for skipped in &plan.skipped {
        lines.push(Line::from(Span::styled(
            format!("left alone {}: {}", skipped.key, skipped.reason),
            theme.fg(Slot::Muted),
        )));
    }
}
