//! Promote view: the plan (source and target with their refs and commits, where the commit
//! goes, whether it is pushed and where, each with the key that changes it), the promotion's
//! git diff (Secret values masked by the actions library), the confirmation, then the commit
//! and ref written (and the push), or why nothing was.

use crate::actions::promote::short;
use crate::tui::model::{Model, PromoteMode, PromoteStage};
use crate::tui::theme::Slot;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let Some(flow) = &model.promote else {
        frame.render_widget(Paragraph::new("no promotion"), area);
        return;
    };
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(
        format!(
            "promote {} from {} to {}",
            flow.app.app, flow.from, flow.app.env
        ),
        theme.fg(Slot::Title),
    ))];
    let note = |text: String, slot: Slot| Line::from(Span::styled(text, theme.fg(slot)));
    match &flow.stage {
        PromoteStage::Preparing => lines.push(note("preparing…".into(), Slot::Muted)),
        PromoteStage::Failed(error) => {
            lines.push(note(format!("could not prepare: {error}"), Slot::Error));
            let other_mode = match flow.mode {
                PromoteMode::NewBranch => "onto the environment's own ref",
                PromoteMode::EnvRef => "on a new promote/ branch",
            };
            lines.push(note(
                format!("f: promote from another environment, m: {other_mode}, Esc: back"),
                Slot::Muted,
            ));
        }
        PromoteStage::NotWritten(why) => {
            lines.push(note(format!("nothing written: {why}"), Slot::Error))
        }
        PromoteStage::Written(what) => lines.push(note(format!("committed {what}"), Slot::Accent)),
        PromoteStage::Prepared(prepared) | PromoteStage::Writing(prepared) => {
            let proposal = &prepared.0;
            let writing = matches!(flow.stage, PromoteStage::Writing(_));
            let prompt = if writing {
                "committing…".to_string()
            } else if proposal.is_noop() {
                "nothing to promote — Esc to go back".to_string()
            } else if flow.protected && flow.confirming {
                format!(
                    "{} is protected: type its name, then Enter to commit onto {} (Esc cancels): {}",
                    flow.app.env,
                    proposal.write_ref(),
                    flow.typed
                )
            } else if flow.protected {
                format!(
                    "{} is protected: y / Enter, then type its name to commit onto {} (Esc cancels)",
                    flow.app.env,
                    proposal.write_ref()
                )
            } else {
                format!(
                    "commit onto {}? y / Enter: yes, Esc: cancel",
                    proposal.write_ref()
                )
            };
            lines.push(note(prompt, Slot::Warning));
            let text = |s: String| note(s, Slot::Text);
            lines.push(text(format!(
                "  from   {} ({} at {})   f: another source",
                proposal.from(),
                proposal.source_ref(),
                short(proposal.source_commit())
            )));
            lines.push(text(format!(
                "  to     {} ({} at {}), model {}",
                proposal.to(),
                proposal.target_ref(),
                short(proposal.target_tip()),
                crate::actions::promote::model_name(proposal.model())
            )));
            let onto = match flow.mode {
                PromoteMode::NewBranch => format!(
                    "  onto   new branch {} (pull request)   m: onto {} instead",
                    proposal.write_ref(),
                    proposal.target_ref()
                ),
                PromoteMode::EnvRef => format!(
                    "  onto   {} itself (compare-and-swap)   m: a new promote/ branch instead",
                    proposal.write_ref()
                ),
            };
            lines.push(text(onto));
            let push = match (&prepared.1, flow.push) {
                (Some(remote), true) => format!("  push   yes, to {remote}   u: no push"),
                (Some(remote), false) => format!("  push   no   u: push to {remote}"),
                (None, _) => "  push   no (the repo has no remote)".to_string(),
            };
            lines.push(text(push));
            for text in proposal.diff().lines() {
                let slot = if text.starts_with('+') {
                    Slot::DiffAdded
                } else if text.starts_with('-') {
                    Slot::DiffRemoved
                } else {
                    Slot::DiffContext
                };
                lines.push(note(format!("  {text}"), slot));
            }
        }
    }
    let scroll = model.scroll.get("promote").copied().unwrap_or(0);
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
}
