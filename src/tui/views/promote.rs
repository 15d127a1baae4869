//! Promote view: the promotion's git diff (Secret values masked by the actions library), the
//! confirmation, then the commit and ref written, or why nothing was.

use crate::tui::model::{Model, PromoteStage};
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
            lines.push(note(format!("could not prepare: {error}"), Slot::Error))
        }
        PromoteStage::NotWritten(why) => {
            lines.push(note(format!("nothing written: {why}"), Slot::Error))
        }
        PromoteStage::Written(what) => lines.push(note(format!("committed {what}"), Slot::Accent)),
        PromoteStage::Prepared(prepared) | PromoteStage::Writing(prepared) => {
            let proposal = &prepared.0;
            let prompt = if matches!(flow.stage, PromoteStage::Writing(_)) {
                "committing…".to_string()
            } else if proposal.is_noop() {
                "nothing to promote — Esc to go back".to_string()
            } else if flow.protected {
                format!(
                    "{} is protected: type its name, then Enter to commit onto {} (Esc cancels): {}",
                    flow.app.env,
                    proposal.write_ref(),
                    flow.typed
                )
            } else {
                format!(
                    "commit onto {}? y / Enter: yes, Esc: cancel",
                    proposal.write_ref()
                )
            };
            lines.push(note(prompt, Slot::Warning));
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
