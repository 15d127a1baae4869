//! App view: one app in one environment. Resources grouped by kind with verdict, health and
//! attribution in words; the Git revision with its commit; render warnings and errors.

use super::{fit, health_span, rollout, scroll_for, sync_span, verdict_span};
use crate::engine::attribution::Attribution;
use crate::engine::compare::Verdict;
use crate::state::ResourceView;
use crate::tui::model::{sorted_resources, Model};
use crate::tui::theme::Slot;
use crate::tui::track::short_age;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use std::sync::Arc;

const INFO_LINES: u16 = 4;
const DETAIL_LINES: u16 = 6;
const BODY_TOP: u16 = 2;

/// Attribution in words, one line per differing field:
/// `spec.replicas changed by kubectl (scale) 12m ago — live drift`.
pub fn attribution_lines(attribution: &Attribution, now: jiff::Timestamp) -> Vec<String> {
    attribution
        .fields
        .iter()
        .map(|field| {
            let who = match field.writer.as_ref().filter(|_| field.exact) {
                Some(writer) => {
                    let sub = writer
                        .subresource
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default();
                    let when = writer
                        .time
                        .as_ref()
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                        .map(|t| format!(" {} ago", short_age(t, now)))
                        .unwrap_or_default();
                    format!(" changed by {}{sub}{when}", writer.manager)
                }
                None => " differs".to_string(),
            };
            format!("{}{who} — {}", field.path, field.direction.label())
        })
        .collect()
}

/// Rows of the resource list: `None` is a kind heading, `Some(i)` the i-th resource.
fn list_rows(resources: &[&Arc<ResourceView>]) -> Vec<Option<usize>> {
    let mut rows = Vec::new();
    let mut kind: Option<&str> = None;
    for (i, r) in resources.iter().enumerate() {
        if kind != Some(&*r.key.kind) {
            kind = Some(&*r.key.kind);
            rows.push(None);
        }
        rows.push(Some(i));
    }
    rows
}

/// The kind named by the heading at `row`: that of the resource after it.
fn heading_kind(rows: &[Option<usize>], row: usize, resources: &[&Arc<ResourceView>]) -> String {
    rows.get(row + 1)
        .copied()
        .flatten()
        .and_then(|i| resources.get(i))
        .map(|r| {
            if r.key.group.is_empty() {
                r.key.kind.to_string()
            } else {
                format!("{} ({})", r.key.kind, r.key.group)
            }
        })
        .unwrap_or_default()
}

fn list_height(model: &Model) -> usize {
    usize::from(model.size.1.saturating_sub(4 + INFO_LINES + DETAIL_LINES)).max(1)
}

/// The resource index at screen row `y` (for clicks).
pub fn resource_at(model: &Model, y: u16) -> Option<usize> {
    let app = model.current_app()?;
    let resources = sorted_resources(app);
    let rows = list_rows(&resources);
    let top = BODY_TOP + INFO_LINES;
    let height = list_height(model);
    let selected_row = rows
        .iter()
        .position(|r| *r == Some(model.resource))
        .unwrap_or(0);
    let first = scroll_for(selected_row, height);
    let offset = usize::from(y.checked_sub(top)?);
    if offset >= height {
        return None;
    }
    rows.get(first + offset).copied().flatten()
}

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let Some(app) = model.current_app() else {
        let text = match &model.app {
            Some(id) => format!("  {id} is gone from Git or was filtered out"),
            None => "  no app selected".into(),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.fg(Slot::Muted))),
            area,
        );
        return;
    };
    let [info, list, detail] = Layout::vertical([
        Constraint::Length(INFO_LINES),
        Constraint::Min(1),
        Constraint::Length(DETAIL_LINES),
    ])
    .areas(area);

    // Info: identity, sync and health, Git revision and commit, message.
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(" {} ", app.id),
            theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
        ),
        sync_span(theme, app.sync),
        Span::styled(format!(" {} ", app.sync.label()), theme.fg(Slot::Text)),
        health_span(theme, app.health),
        Span::styled(
            format!(" {}", app.health.map(|h| h.label()).unwrap_or("no health")),
            theme.fg(Slot::Text),
        ),
        Span::styled(
            format!(
                "   context {} · namespace {}",
                app.context,
                app.namespace.as_deref().unwrap_or("-")
            ),
            theme.fg(Slot::Muted),
        ),
    ])];
    // Read from Argo CD / Flux: what the controller says, next to kubedrift's verdict.
    if let Some(controller) = &app.controller {
        if let Some(first) = lines.first_mut() {
            first.spans.push(Span::styled(
                format!(
                    " · {} ({} {}/{})",
                    controller.label(),
                    controller.kind,
                    controller.namespace,
                    controller.name
                ),
                theme.fg(Slot::Muted),
            ));
        }
    }
    let commit = match model.git.commits.get(&app.id) {
        Some(c) => format!(
            " Git {} — {} ({}, {} ago)",
            app.revision,
            c.summary,
            c.author,
            short_age(c.time, model.now)
        ),
        None => match model.git.errors.get(&app.id) {
            Some(error) => format!(" Git {} — {error}", app.revision),
            None => format!(" Git {}", app.revision),
        },
    };
    lines.push(Line::from(Span::styled(commit, theme.fg(Slot::Text))));
    let commits = model.git.behind_commits(&app.id);
    let versions = model.git.behind_versions(&app.id);
    if commits + versions > 0 {
        let mut parts = Vec::new();
        if commits > 0 {
            parts.push(format!(
                "{commits} commit{}",
                if commits == 1 { "" } else { "s" }
            ));
        }
        if let Some(chart) = model.git.charts_behind.get(&app.id) {
            parts.push(format!(
                "{versions} chart version{} ({} {} → {})",
                if versions == 1 { "" } else { "s" },
                chart.chart,
                chart.from,
                chart.to
            ));
        }
        lines.push(Line::from(Span::styled(
            format!(
                " behind the previous environment by {} (P: promotion timeline)",
                parts.join(" and ")
            ),
            theme.fg(Slot::Warning),
        )));
    }
    if let Some(disagreement) = app.controller_disagreement() {
        lines.push(Line::from(Span::styled(
            format!(" ≠ {disagreement}"),
            theme.fg(Slot::Warning).add_modifier(Modifier::BOLD),
        )));
    }
    let message = app.message();
    if !message.is_empty() {
        let slot = if app.sync == crate::state::SyncState::Error {
            Slot::Error
        } else {
            Slot::Warning
        };
        lines.push(Line::from(Span::styled(
            format!(" {message}"),
            theme.fg(slot),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), info);

    // Resources by kind.
    let resources = sorted_resources(app);
    let rows = list_rows(&resources);
    let height = usize::from(list.height);
    let selected_row = rows
        .iter()
        .position(|r| *r == Some(model.resource))
        .unwrap_or(0);
    let first = scroll_for(selected_row, height);
    let name_width = resources
        .iter()
        .map(|r| {
            r.key.name.chars().count()
                + r.key
                    .namespace
                    .as_ref()
                    .map(|n| n.chars().count() + 1)
                    .unwrap_or(0)
        })
        .max()
        .unwrap_or(4)
        .clamp(8, 40);
    let mut lines = Vec::new();
    if resources.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no resources (nothing rendered for this environment)",
            theme.fg(Slot::Muted),
        )));
    }
    for (at, row) in rows.iter().enumerate().skip(first).take(height) {
        match row {
            None => {
                let kind = heading_kind(&rows, at, &resources);
                lines.push(Line::from(Span::styled(
                    format!(" {kind}"),
                    theme.fg(Slot::Muted).add_modifier(Modifier::BOLD),
                )));
            }
            Some(i) => {
                let Some(resource) = resources.get(*i) else {
                    continue;
                };
                let is_selected = *i == model.resource;
                let style = super::selected(theme, is_selected);
                let rollout_summary = rollout::progress_of(resource)
                    .as_ref()
                    .and_then(rollout::row_summary);
                let summary = resource
                    .attribution
                    .as_ref()
                    .and_then(|a| attribution_lines(a, model.now).into_iter().next())
                    .or_else(|| match &resource.verdict {
                        Verdict::Unknown { reason } => Some(reason.clone()),
                        Verdict::Missing => Some("in Git, not in the cluster".into()),
                        Verdict::Extraneous => {
                            Some("in the cluster, tracked to this app, not in Git".into())
                        }
                        _ => rollout_summary
                            .or_else(|| resource.health.as_ref().and_then(|h| h.message.clone())),
                    })
                    .unwrap_or_default();
                let ns = resource
                    .key
                    .namespace
                    .as_ref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default();
                let name = fit(&format!("{ns}{}", resource.key.name), name_width);
                let text = format!(
                    " {name:<name_width$} {:<10} {:<11} ",
                    resource.verdict.label(),
                    resource
                        .health
                        .as_ref()
                        .map(|h| h.status.label())
                        .unwrap_or("-"),
                );
                let room = usize::from(list.width).saturating_sub(text.chars().count() + 5);
                lines.push(Line::from(vec![
                    Span::styled(if is_selected { " ›" } else { "  " }, style),
                    verdict_span(theme, &resource.verdict).patch_style(if is_selected {
                        theme.selection_background()
                    } else {
                        ratatui::style::Style::new()
                    }),
                    Span::raw(" "),
                    health_span(theme, resource.health.as_ref().map(|h| h.status)),
                    Span::styled(text, style),
                    Span::styled(fit(&summary, room), theme.fg(Slot::Muted).patch(style)),
                ]));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), list);

    // Detail of the selected resource.
    let mut lines = Vec::new();
    if let Some(resource) = model.selected_resource() {
        lines.push(Line::from(Span::styled(
            format!("{}", resource.key),
            theme.fg(Slot::Accent).add_modifier(Modifier::BOLD),
        )));
        if let Some(attribution) = &resource.attribution {
            for line in attribution_lines(attribution, model.now) {
                lines.push(Line::from(Span::styled(line, theme.fg(Slot::Text))));
            }
        } else if let Verdict::OutOfSync { paths } = &resource.verdict {
            let paths: Vec<String> = paths.iter().map(ToString::to_string).collect();
            lines.push(Line::from(format!("differs at {}", paths.join(", "))));
        }
        if let Some(progress) = rollout::progress_of(resource) {
            for line in rollout::detail_lines(&progress, app, resource) {
                lines.push(Line::from(Span::styled(line, theme.fg(Slot::Text))));
            }
        }
        if let Some(health) = resource.health.as_ref().and_then(|h| h.message.as_ref()) {
            lines.push(Line::from(Span::styled(
                format!("health: {health}"),
                theme.fg(Slot::Muted),
            )));
        }
        if let Some(origin) = &resource.origin {
            lines.push(Line::from(Span::styled(
                format!("from {origin}"),
                theme.fg(Slot::Muted),
            )));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(
            Block::new()
                .borders(Borders::TOP)
                .border_style(theme.fg(Slot::Border)),
        ),
        detail,
    );
}
