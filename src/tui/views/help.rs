//! Help: the keys of the view below it, read from the keymap table that dispatches them.

use crate::tui::keymap::{for_context, keys_label};
use crate::tui::model::Model;
use crate::tui::theme::Slot;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let view = model.view_below_help();
    let mut lines = vec![Line::from(Span::styled(
        format!(" keys in the {} view (? or Esc closes help)", view.title()),
        theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
    ))];
    lines.push(Line::from(""));
    for binding in for_context(view.context()) {
        let style = if binding.enabled {
            theme.fg(Slot::Text)
        } else {
            theme.fg(Slot::Muted).add_modifier(Modifier::DIM)
        };
        let key_style = if binding.enabled {
            theme.fg(Slot::Accent).add_modifier(Modifier::BOLD)
        } else {
            style
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<16}", keys_label(binding)), key_style),
            Span::styled(binding.help.to_string(), style),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "  mouse: wheel scrolls, click selects, click again opens",
        theme.fg(Slot::Muted),
    )));
    let max = lines.len().saturating_sub(usize::from(area.height));
    let scroll = model.scroll.get("help").copied().unwrap_or(0).min(max);
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), area);
}
