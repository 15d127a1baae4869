//! Diff pane: unified or side by side, changed words emphasized, unchanged runs folded.
//! Text comes from `engine::diff`, which masks Secret values.

use super::fit;
use crate::engine::diff::{DiffLineKind, DiffSpan};
use crate::tui::diffdoc::{Cell, Row};
use crate::tui::model::{Model, ServerDiff};
use crate::tui::theme::{Slot, Theme};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

fn kind_style(theme: &Theme, kind: DiffLineKind) -> Style {
    match kind {
        DiffLineKind::Added => theme.fg(Slot::DiffAdded),
        DiffLineKind::Removed => theme.fg(Slot::DiffRemoved),
        DiffLineKind::Header | DiffLineKind::Hunk => theme.fg(Slot::DiffHeader),
        DiffLineKind::Context => theme.fg(Slot::DiffContext),
        // Live-only items apply keeps: not drift, shown so nothing is hidden, dimmed.
        DiffLineKind::Kept => theme.fg(Slot::DiffContext).add_modifier(Modifier::DIM),
    }
}

fn marker(kind: DiffLineKind) -> &'static str {
    match kind {
        DiffLineKind::Added => "+",
        DiffLineKind::Removed => "-",
        _ => " ",
    }
}

/// A cell's spans cut to `width` characters (marker included), emphasis kept.
fn cell_spans(theme: &Theme, cell: &Cell, width: usize) -> Vec<Span<'static>> {
    let style = kind_style(theme, cell.kind);
    let mut out = vec![Span::styled(marker(cell.kind), style)];
    let mut left = width.saturating_sub(1);
    let total: usize = cell.spans.iter().map(|s| s.text.chars().count()).sum();
    let cut = total > left;
    if cut {
        left = left.saturating_sub(1);
    }
    for DiffSpan { text, emphasized } in &cell.spans {
        if left == 0 {
            break;
        }
        let piece: String = text.chars().take(left).collect();
        left -= piece.chars().count();
        let span_style = if *emphasized {
            style.add_modifier(theme.emphasis())
        } else {
            style
        };
        out.push(Span::styled(piece, span_style));
    }
    if cut {
        out.push(Span::styled("…", theme.fg(Slot::Muted)));
    }
    let used: usize = out.iter().map(|s| s.content.chars().count()).sum();
    if used < width {
        out.push(Span::raw(" ".repeat(width - used)));
    }
    out
}

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let Some(diff) = &model.diff else {
        return;
    };
    let width = usize::from(area.width);
    let mut status = vec![
        if diff.side_by_side {
            "side by side (live │ desired)"
        } else {
            "unified (- live, + desired)"
        }
        .to_string(),
        if diff.folded {
            "folded".into()
        } else {
            "unfolded".to_string()
        },
        format!(
            "{} change{}",
            diff.layout.hunks.len(),
            if diff.layout.hunks.len() == 1 {
                ""
            } else {
                "s"
            }
        ),
    ];
    if !diff.search.is_empty() {
        let at = diff
            .matches
            .iter()
            .position(|m| *m == diff.scroll)
            .map(|i| i + 1);
        status.push(format!(
            "/{} {}{} match{}",
            diff.search,
            at.map(|i| format!("{i} of ")).unwrap_or_default(),
            diff.matches.len(),
            if diff.matches.len() == 1 { "" } else { "es" }
        ));
    }
    status.push(match &diff.server {
        ServerDiff::Off => "local (D: server-side dry run)".into(),
        ServerDiff::Pending => "server-side dry run: asking the API server…".into(),
        ServerDiff::Shown => "server-side dry run".into(),
        ServerDiff::Failed(e) => format!("server-side dry run failed: {e}"),
    });
    let slot = if matches!(diff.server, ServerDiff::Failed(_)) {
        Slot::Error
    } else {
        Slot::Muted
    };
    let mut lines = vec![Line::from(Span::styled(
        fit(&format!(" {}", status.join(" · ")), width),
        theme.fg(slot),
    ))];
    let height = usize::from(area.height.saturating_sub(1));
    if diff.layout.rows.is_empty() {
        lines.push(Line::from(Span::styled(
            " waiting for the server-side diff…",
            theme.fg(Slot::Muted),
        )));
    }
    for (i, row) in diff
        .layout
        .rows
        .iter()
        .enumerate()
        .skip(diff.scroll)
        .take(height)
    {
        let is_match = diff.matches.binary_search(&i).is_ok();
        let lead = if i == diff.scroll && (is_match || diff.layout.hunks.contains(&i)) {
            Span::styled("▶", theme.fg(Slot::Accent))
        } else if is_match {
            Span::styled("•", theme.search_match())
        } else {
            Span::raw(" ")
        };
        let room = width.saturating_sub(1);
        let mut spans = vec![lead];
        match row {
            Row::Title(title) => spans.push(Span::styled(
                fit(title, room),
                theme.fg(Slot::Accent).add_modifier(Modifier::BOLD),
            )),
            Row::Note(note) => spans.push(Span::styled(fit(note, room), theme.fg(Slot::Muted))),
            Row::Fold(n) => spans.push(Span::styled(
                fit(&format!("  ⋯ {n} unchanged lines (z unfolds)"), room),
                theme.fg(Slot::DiffFold),
            )),
            Row::Line(cell) => spans.extend(cell_spans(theme, cell, room)),
            Row::Pair(left, right) => {
                let half = room.saturating_sub(1) / 2;
                let blank = |w: usize| Span::raw(" ".repeat(w));
                match left {
                    Some(c) => spans.extend(cell_spans(theme, c, half)),
                    None => spans.push(blank(half)),
                }
                spans.push(Span::styled("│", theme.fg(Slot::Border)));
                match right {
                    Some(c) => spans.extend(cell_spans(theme, c, room - half - 1)),
                    None => spans.push(blank(room - half - 1)),
                }
            }
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
