//! Events view: what changed this session (drift appeared/cleared with who, Git revision moved,
//! cluster down/up, render failed/recovered), newest first, under a sparkline of the drifted
//! resource count.

use super::fit;
use crate::tui::model::Model;
use crate::tui::theme::Slot;
use crate::tui::track::EventKind;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};
use ratatui::Frame;

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let [spark, list] = Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(area);
    let samples = model.tracker.samples();
    let shown: Vec<u64> = samples
        .iter()
        .rev()
        .take(usize::from(spark.width))
        .rev()
        .copied()
        .collect();
    frame.render_widget(
        Sparkline::default()
            .block(
                Block::new()
                    .borders(Borders::BOTTOM)
                    .border_style(theme.fg(Slot::Border))
                    .title(Span::styled(
                        format!(
                            " drifted resources: {} now, {} max over the last {} samples ",
                            model.tracker.drifted(),
                            shown.iter().max().copied().unwrap_or(0),
                            shown.len()
                        ),
                        theme.fg(Slot::Muted),
                    )),
            )
            .data(&shown)
            .style(theme.fg(Slot::Sparkline)),
        spark,
    );
    let width = usize::from(list.width);
    let height = usize::from(list.height);
    let total = model.tracker.events().len();
    let scroll = model
        .scroll
        .get("events")
        .copied()
        .unwrap_or(0)
        .min(total.saturating_sub(height));
    let mut lines = Vec::new();
    for event in model.tracker.events().rev().skip(scroll).take(height) {
        let slot = match event.kind {
            EventKind::DriftAppeared | EventKind::RenderFailed | EventKind::ClusterDown => {
                Slot::Warning
            }
            EventKind::DriftCleared | EventKind::RenderRecovered | EventKind::ClusterUp => {
                Slot::SyncSynced
            }
            EventKind::RevisionMoved | EventKind::Started => Slot::Accent,
        };
        let time = event
            .at
            .to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%H:%M:%S")
            .to_string();
        lines.push(Line::from(vec![
            Span::styled(format!(" {time} "), theme.fg(Slot::Muted)),
            Span::styled(format!("{:<9} ", event.kind.label()), theme.fg(slot)),
            Span::styled(
                fit(&event.text, width.saturating_sub(20)),
                theme.fg(Slot::Text),
            ),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            " no events yet (they start once Git is read and every cluster listed)",
            theme.fg(Slot::Muted),
        )));
    }
    frame.render_widget(Paragraph::new(lines), list);
}
