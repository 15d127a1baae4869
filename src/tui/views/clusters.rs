//! Clusters view: contexts, reachability, last seen, watched kinds and their state, errors,
//! objects cached; and the Git repos.

use super::fit;
use crate::state::{KindStatus, Reach};
use crate::tui::model::Model;
use crate::tui::theme::{Glyph, Slot};
use crate::tui::track::short_age;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn lines(model: &Model, width: usize) -> Vec<Line<'static>> {
    let theme = &model.theme;
    let mut lines = Vec::new();
    for cluster in super::clusters_in_order(model) {
        let (glyph, slot, state) = match &cluster.reach {
            Reach::Reachable => (Glyph::Synced, Slot::SyncSynced, "reachable".to_string()),
            Reach::Connecting => (Glyph::Loading, Slot::SyncLoading, "connecting".to_string()),
            Reach::Slow { detail } => {
                (Glyph::Loading, Slot::SyncLoading, format!("slow: {detail}"))
            }
            Reach::Unreachable { error } => (
                Glyph::Unreachable,
                Slot::SyncUnreachable,
                format!("unreachable: {error}"),
            ),
        };
        let envs: Vec<String> = model
            .all_envs()
            .into_iter()
            .filter(|e| model.context_of(e) == Some(cluster.context.as_str()))
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", theme.glyph(glyph)), theme.fg(slot)),
            Span::styled(
                cluster.context.clone(),
                theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(
                    "  environments: {}  objects cached: {}  last seen: {}  {}",
                    if envs.is_empty() {
                        "-".into()
                    } else {
                        envs.join(", ")
                    },
                    cluster.objects,
                    match (&cluster.reach, cluster.last_seen) {
                        (Reach::Reachable, _) => "now".to_string(),
                        (_, Some(t)) => format!("{} ago", short_age(t, model.now)),
                        (_, None) => "never".into(),
                    },
                    if cluster.settled {
                        ""
                    } else {
                        "(first lists running)"
                    }
                ),
                theme.fg(Slot::Muted),
            ),
        ]));
        lines.push(Line::from(Span::styled(
            fit(&format!("   {state}"), width),
            theme.fg(slot),
        )));
        let probe = match model.probes.get(&cluster.context) {
            Some(p) => match &p.result {
                Ok((version, ms)) => format!(
                    "   server {version}, /version answered in {ms} ms ({} ago)",
                    short_age(p.at, model.now)
                ),
                Err(error) => format!("   version probe failed: {error}"),
            },
            None => "   server version: not probed yet".to_string(),
        };
        lines.push(Line::from(Span::styled(
            fit(&probe, width),
            theme.fg(Slot::Muted),
        )));
        for (kind, status) in &cluster.kinds {
            let name = if kind.group.is_empty() {
                kind.kind.clone()
            } else {
                format!("{}/{}", kind.group, kind.kind)
            };
            let (text, slot) = match status {
                KindStatus::Listing => ("listing".to_string(), Slot::SyncLoading),
                KindStatus::Watching => ("watching".to_string(), Slot::SyncSynced),
                KindStatus::Forbidden { reason } => (format!("forbidden: {reason}"), Slot::Error),
                KindStatus::Failed { reason } => (format!("failed: {reason}"), Slot::Error),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("     {name:<36}"), theme.fg(Slot::Text)),
                Span::styled(fit(&text, width.saturating_sub(42)), theme.fg(slot)),
            ]));
        }
        lines.push(Line::from(""));
    }
    for repo in model.snapshot.repos.values() {
        let (text, slot) = match &repo.error {
            Some(error) => (format!("error: {error}"), Slot::Error),
            None => (
                format!(
                    "read {}",
                    repo.checked_at
                        .map(|t| format!("{} ago", short_age(t, model.now)))
                        .unwrap_or_else(|| "never".into())
                ),
                Slot::Muted,
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(" repo {}  ", repo.name),
                theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                fit(&text, width.saturating_sub(repo.name.len() + 8)),
                theme.fg(slot),
            ),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            " no clusters yet",
            theme.fg(Slot::Muted),
        )));
    }
    lines
}

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let all = lines(model, usize::from(area.width));
    let max = all.len().saturating_sub(usize::from(area.height));
    let scroll = model.scroll.get("clusters").copied().unwrap_or(0).min(max);
    frame.render_widget(Paragraph::new(all).scroll((scroll as u16, 0)), area);
}
