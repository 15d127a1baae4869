//! Overview: apps (rows) × environments (columns, promotion order). Each cell: sync glyph and
//! health glyph, the running image tag (else short commit), behind-by-N, drift age.

use super::{fit, health_span, rollout, scroll_for, sync_span};
use crate::state::{AppView, SyncState};
use crate::tui::model::Model;
use crate::tui::theme::Slot;
use crate::tui::track::short_age;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const MIN_COLUMN: u16 = 18;
/// Rows above the first app row: the column header.
const TABLE_TOP: u16 = 1;
/// Rows the header above the body takes (see `views::draw`).
const BODY_TOP: u16 = 2;

/// Where things are on screen, shared by drawing and mouse clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub area: Rect,
    pub app_width: u16,
    pub column_width: u16,
    pub first_column: usize,
    pub visible_columns: usize,
    pub first_row: usize,
    pub visible_rows: usize,
}

impl Geometry {
    /// The (row, column) under a screen position.
    pub fn hit(&self, x: u16, y: u16) -> Option<(usize, usize)> {
        let top = self.area.y + TABLE_TOP;
        if y < top || x < self.area.x + self.app_width {
            return None;
        }
        let row = self.first_row + usize::from(y - top);
        let col = self.first_column
            + usize::from((x - self.area.x - self.app_width) / self.column_width.max(1));
        (row < self.first_row + self.visible_rows && col < self.first_column + self.visible_columns)
            .then_some((row, col))
    }
}

/// The layout for the model's terminal size.
pub fn geometry(model: &Model) -> Geometry {
    let area = Rect::new(
        0,
        BODY_TOP,
        model.size.0,
        model.size.1.saturating_sub(BODY_TOP + 2),
    );
    geometry_in(model, area)
}

fn geometry_in(model: &Model, area: Rect) -> Geometry {
    let longest = model
        .rows
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(3) as u16;
    let app_width = (longest + 2).clamp(10, 28).min(area.width / 3);
    let room = area.width.saturating_sub(app_width);
    let columns = model.columns.len().max(1);
    let fit_columns = usize::from((room / MIN_COLUMN).max(1)).min(columns);
    let first_column = model
        .col
        .saturating_sub(fit_columns - 1)
        .min(columns - fit_columns);
    let column_width = room / fit_columns as u16;
    let visible_rows = usize::from(area.height.saturating_sub(TABLE_TOP));
    let first_row = scroll_for(model.row, visible_rows);
    Geometry {
        area,
        app_width,
        column_width,
        first_column,
        visible_columns: fit_columns.min(model.columns.len()),
        first_row,
        visible_rows: visible_rows.min(model.rows.len().saturating_sub(first_row)),
    }
}

/// The short commit of a revision label (`main@1a2b3c4` → `1a2b3c4`).
pub fn short_commit(revision: &str) -> &str {
    revision.rsplit('@').next().unwrap_or(revision)
}

fn cell_line(
    model: &Model,
    app: &std::sync::Arc<AppView>,
    width: usize,
    is_selected: bool,
) -> Line<'static> {
    let theme = &model.theme;
    let base = if is_selected {
        theme.selection()
    } else {
        Style::new()
    };
    let glyph_base = if is_selected {
        theme.selection_background()
    } else {
        Style::new()
    };
    let mut spans = vec![sync_span(theme, app.sync).patch_style(glyph_base)];
    let mut rest = String::new();
    match app.sync {
        SyncState::Unreachable => rest.push_str(" unreachable"),
        SyncState::Error => rest.push_str(" render error"),
        SyncState::Loading => rest.push_str(" loading"),
        _ => {
            spans.push(Span::styled(" ", base));
            spans.push(health_span(theme, app.health).patch_style(glyph_base));
            if let Some(headline) = rollout::app_headline(app) {
                rest.push(' ');
                rest.push_str(&headline);
            }
            let revision = model
                .image_tag(app)
                .unwrap_or_else(|| short_commit(&app.revision));
            rest.push(' ');
            rest.push_str(revision);
            let behind = model.git.behind_by(&app.id);
            if behind > 0 {
                rest.push_str(&format!(" ↓{behind}"));
            }
            if let Some(since) = model.tracker.app_drift_since(&app.id) {
                rest.push_str(&format!(" drift {}", short_age(since, model.now)));
            }
            // The controller (Argo CD / Flux) disagrees with kubedrift: often the incident.
            if app.controller_disagreement().is_some() {
                rest.push_str(" ≠ctl");
            }
        }
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = width.saturating_sub(used + 1);
    let text = fit(&rest, room);
    let pad = room.saturating_sub(text.chars().count());
    spans.push(Span::styled(
        format!("{text}{}", " ".repeat(pad)),
        theme.fg(Slot::Text).patch(base),
    ));
    spans.push(Span::raw(" "));
    Line::from(spans)
}

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let g = geometry_in(model, area);
    let mut lines: Vec<Line> = Vec::with_capacity(g.visible_rows + 1);
    // Column header: environment and its context.
    let mut header = vec![Span::styled(
        format!("{:<w$}", " APP", w = usize::from(g.app_width)),
        theme.fg(Slot::Muted).add_modifier(Modifier::BOLD),
    )];
    for env in model
        .columns
        .iter()
        .skip(g.first_column)
        .take(g.visible_columns)
    {
        let label = match model.context_of(env) {
            Some(ctx) if ctx != env => format!("{env} ({ctx})"),
            _ => env.clone(),
        };
        header.push(Span::styled(
            format!(
                "{:<w$}",
                fit(&label.to_uppercase(), usize::from(g.column_width) - 1),
                w = usize::from(g.column_width)
            ),
            theme.fg(Slot::Muted).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::from(header));
    if model.rows.is_empty() {
        let text = if model.loading() {
            "  loading: reading Git and listing clusters…"
        } else if !model.filter.is_empty() || model.only_problems {
            "  no app matches the filter"
        } else {
            "  no apps (check the config's [[app]] and [[discover]] entries)"
        };
        lines.push(Line::from(Span::styled(text, theme.fg(Slot::Muted))));
    }
    for (i, name) in model
        .rows
        .iter()
        .enumerate()
        .skip(g.first_row)
        .take(g.visible_rows)
    {
        let row_selected = i == model.row;
        let name_style = if row_selected {
            theme.fg(Slot::Accent).add_modifier(Modifier::BOLD)
        } else {
            theme.fg(Slot::Text)
        };
        let marker = if row_selected { "›" } else { " " };
        let mut spans = vec![Span::styled(
            format!(
                "{marker}{:<w$}",
                fit(name, usize::from(g.app_width) - 2),
                w = usize::from(g.app_width) - 1
            ),
            name_style,
        )];
        for (c, env) in model
            .columns
            .iter()
            .enumerate()
            .skip(g.first_column)
            .take(g.visible_columns)
        {
            let is_selected = row_selected && c == model.col;
            let width = usize::from(g.column_width);
            match model.cell(name, env) {
                Some(app) => spans.extend(cell_line(model, app, width, is_selected).spans),
                None => {
                    let style = if is_selected {
                        theme.selection()
                    } else {
                        theme.fg(Slot::Muted)
                    };
                    spans.push(Span::styled(format!("{:<width$}", "·"), style));
                }
            }
        }
        lines.push(Line::from(spans));
    }
    // Lines are set straight into the buffer: nothing here wraps, and a Paragraph's reflow
    // is most of a frame's cost with hundreds of rows.
    let buffer = frame.buffer_mut();
    for (i, line) in lines.iter().enumerate().take(usize::from(area.height)) {
        buffer.set_line(area.x, area.y + i as u16, line, area.width);
    }
    // Scroll hints when columns or rows are cut.
    let hidden_left = g.first_column > 0;
    let hidden_right = g.first_column + g.visible_columns < model.columns.len();
    if hidden_left || hidden_right {
        let text = format!(
            "{}{} of {} environments{}",
            if hidden_left { "← " } else { "" },
            g.visible_columns,
            model.columns.len(),
            if hidden_right { " →" } else { "" }
        );
        let width = text.chars().count() as u16;
        if area.width > width {
            let at = Rect::new(area.x + area.width - width, area.y, width, 1);
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.fg(Slot::Accent))),
                at,
            );
        }
    }
}
