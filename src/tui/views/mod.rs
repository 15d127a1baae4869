//! Drawing: `draw(&model, frame)`. Pure functions of the model; no I/O, no waiting.
//! One module per view; this one draws the frame around them (header, footer, prompt) and the
//! "terminal too small" screen.

pub mod app;
pub mod clusters;
pub mod diff;
pub mod events;
pub mod help;
pub mod overview;
pub mod promote;
pub mod promotion;
pub mod rollout;
pub mod sync;

#[cfg(test)]
mod rollout_tests;
#[cfg(test)]
pub(crate) mod tests;

use super::model::{Model, Prompt, View, MIN_HEIGHT, MIN_WIDTH};
use super::theme::{Glyph, Slot, Theme};
use super::track::short_age;
use crate::engine::health::HealthStatus;
use crate::state::{Reach, SyncState};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

pub fn sync_glyph(sync: SyncState) -> (Glyph, Slot) {
    match sync {
        SyncState::Synced => (Glyph::Synced, Slot::SyncSynced),
        SyncState::OutOfSync => (Glyph::OutOfSync, Slot::SyncOutOfSync),
        SyncState::Unknown => (Glyph::Unknown, Slot::SyncUnknown),
        SyncState::Unreachable => (Glyph::Unreachable, Slot::SyncUnreachable),
        SyncState::Loading => (Glyph::Loading, Slot::SyncLoading),
        SyncState::Error => (Glyph::Error, Slot::SyncError),
    }
}

/// Sync of a cell: glyph and colour (never colour alone).
pub fn sync_span(theme: &Theme, sync: SyncState) -> Span<'static> {
    let (glyph, slot) = sync_glyph(sync);
    Span::styled(theme.glyph(glyph).to_string(), theme.fg(slot))
}

/// A resource verdict: glyph and colour.
pub fn verdict_span(theme: &Theme, verdict: &crate::engine::compare::Verdict) -> Span<'static> {
    use crate::engine::compare::Verdict;
    let (glyph, slot) = match verdict {
        Verdict::Synced => (Glyph::Synced, Slot::SyncSynced),
        Verdict::OutOfSync { .. } => (Glyph::OutOfSync, Slot::SyncOutOfSync),
        Verdict::Missing => (Glyph::Missing, Slot::SyncMissing),
        Verdict::Extraneous => (Glyph::Extraneous, Slot::SyncExtraneous),
        Verdict::Unknown { .. } => (Glyph::Unknown, Slot::SyncUnknown),
    };
    Span::styled(theme.glyph(glyph).to_string(), theme.fg(slot))
}

pub fn health_span(theme: &Theme, health: Option<HealthStatus>) -> Span<'static> {
    let Some(health) = health else {
        return Span::raw(" ");
    };
    let (glyph, slot) = match health {
        HealthStatus::Healthy => (Glyph::Healthy, Slot::HealthHealthy),
        HealthStatus::Progressing => (Glyph::Progressing, Slot::HealthProgressing),
        HealthStatus::Suspended => (Glyph::Suspended, Slot::HealthSuspended),
        HealthStatus::Degraded => (Glyph::Degraded, Slot::HealthDegraded),
        HealthStatus::Missing => (Glyph::HealthMissing, Slot::HealthMissing),
        HealthStatus::Unknown => (Glyph::HealthUnknown, Slot::HealthUnknown),
    };
    Span::styled(theme.glyph(glyph).to_string(), theme.fg(slot))
}

/// Cut `text` to `width` characters, with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// The first visible row so that `selected` is on screen in `height` rows.
pub fn scroll_for(selected: usize, height: usize) -> usize {
    selected.saturating_sub(height.saturating_sub(1))
}

pub fn draw(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(model, frame, area);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area);
    draw_header(model, frame, header);
    match model.view() {
        View::Overview => overview::draw(model, frame, body),
        View::App => app::draw(model, frame, body),
        View::Diff => diff::draw(model, frame, body),
        View::Promotion => promotion::draw(model, frame, body),
        View::Clusters => clusters::draw(model, frame, body),
        View::Events => events::draw(model, frame, body),
        View::Help => help::draw(model, frame, body),
        View::Sync => sync::draw(model, frame, body),
        View::Promote => promote::draw(model, frame, body),
    }
    draw_footer(model, frame, footer);
}

fn too_small(model: &Model, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from(Span::styled(
            "terminal too small",
            model.theme.fg(Slot::Error).add_modifier(Modifier::BOLD),
        )),
        Line::from(format!(
            "kubedrift needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this is {}×{}",
            area.width, area.height
        )),
        Line::from("resize the terminal, or press q to quit"),
    ];
    frame.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

/// Clusters in the promotion order of their environments, then the rest by name.
pub fn clusters_in_order(model: &Model) -> Vec<&crate::state::ClusterView> {
    let envs = model.all_envs();
    let mut list: Vec<&crate::state::ClusterView> = model.snapshot.clusters.values().collect();
    list.sort_by_key(|c| {
        let at = envs
            .iter()
            .position(|e| model.context_of(e) == Some(c.context.as_str()))
            .unwrap_or(usize::MAX);
        (at, c.context.clone())
    });
    list
}

fn draw_header(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let mut spans = vec![
        Span::styled(
            " kubedrift ",
            theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
        ),
        Span::styled("│ ", theme.fg(Slot::Border)),
    ];
    for cluster in clusters_in_order(model) {
        let (glyph, slot, state) = match &cluster.reach {
            Reach::Reachable => (Glyph::Synced, Slot::SyncSynced, String::new()),
            Reach::Connecting => (Glyph::Loading, Slot::SyncLoading, " connecting".into()),
            Reach::Slow { .. } => (Glyph::Loading, Slot::SyncLoading, " slow".into()),
            Reach::Unreachable { .. } => (
                Glyph::Unreachable,
                Slot::SyncUnreachable,
                " unreachable".into(),
            ),
        };
        // The age of the last answer only where it tells something: the snapshot republishes
        // `last_seen` with other changes only, so for a reachable cluster it would just grow.
        let seen = match (&cluster.reach, cluster.last_seen) {
            (Reach::Reachable, _) | (_, None) => String::new(),
            (_, Some(t)) => format!(", last seen {} ago", short_age(t, model.now)),
        };
        spans.push(Span::styled(theme.glyph(glyph).to_string(), theme.fg(slot)));
        spans.push(Span::styled(
            format!(" {}{state}", cluster.context),
            theme.fg(Slot::Text),
        ));
        let latency = match model.probes.get(&cluster.context).map(|p| &p.result) {
            Some(Ok((_, ms))) if matches!(cluster.reach, Reach::Reachable) => format!(" {ms}ms"),
            _ => String::new(),
        };
        spans.push(Span::styled(
            format!("{latency}{seen}  "),
            theme.fg(Slot::Muted),
        ));
    }
    let mut crumbs: Vec<String> = Vec::new();
    for view in &model.stack {
        crumbs.push(match view {
            View::App | View::Promotion => model
                .app
                .as_ref()
                .map(|a| format!("{} {a}", view.title()))
                .unwrap_or_else(|| view.title().to_string()),
            View::Diff => model
                .diff
                .as_ref()
                .map(|d| match &d.key {
                    Some(key) => format!("diff {key}"),
                    None => format!("diff {}", d.app),
                })
                .unwrap_or_else(|| "diff".into()),
            other => other.title().to_string(),
        });
    }
    let mut second = vec![Span::styled(
        format!(" {}", crumbs.join(" › ")),
        theme.fg(Slot::Accent),
    )];
    if model.view() == View::Overview {
        let mut facts = Vec::new();
        if !model.filter.is_empty() {
            facts.push(format!("filter: {}", model.filter));
        }
        if model.only_problems {
            facts.push("only problems".into());
        }
        facts.push(format!(
            "sort: {}",
            match model.sort {
                super::model::Sort::Name => "name",
                super::model::Sort::Worst => "worst",
            }
        ));
        if let Some(ctx) = &model.context_filter {
            facts.push(format!("context: {ctx}"));
        }
        second.push(Span::styled(
            format!("   {}", facts.join(" · ")),
            theme.fg(Slot::Muted),
        ));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(spans), Line::from(second)]),
        area,
    );
}

fn draw_footer(model: &Model, frame: &mut Frame, area: Rect) {
    let theme = &model.theme;
    let [first, second] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let mut spans = Vec::new();
    if model.read_only {
        spans.push(Span::styled(" READ-ONLY ", theme.badge()));
        spans.push(Span::raw(" "));
    }
    if model.loading() {
        spans.push(Span::styled(
            format!("{} loading ", SPINNER[model.spinner % SPINNER.len()]),
            theme.fg(Slot::Accent),
        ));
    }
    let counts = model.counts();
    for (sync, label) in [
        (SyncState::Synced, "Synced"),
        (SyncState::OutOfSync, "OutOfSync"),
        (SyncState::Unknown, "Unknown"),
        (SyncState::Unreachable, "Unreachable"),
        (SyncState::Error, "Error"),
        (SyncState::Loading, "Loading"),
    ] {
        let n = counts.get(label).copied().unwrap_or(0);
        if n == 0 && !matches!(sync, SyncState::Synced | SyncState::OutOfSync) {
            continue;
        }
        spans.push(sync_span(theme, sync));
        spans.push(Span::styled(
            format!(" {n} {}  ", label.to_lowercase()),
            theme.fg(Slot::Text),
        ));
    }
    if let Some(notice) = &model.notice {
        spans.push(Span::styled(notice.clone(), theme.fg(Slot::Warning)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), first);

    let line = match &model.prompt {
        Prompt::Filter(text) => {
            prompt_line(theme, "/", text, "filter apps · Enter keep · Esc clear")
        }
        Prompt::Search(text) => prompt_line(
            theme,
            "/",
            text,
            "search the diff · Enter find · Esc cancel",
        ),
        Prompt::Command(text) => prompt_line(
            theme,
            ":",
            text,
            "ctx NAME · env NAME · app NAME · theme NAME · q",
        ),
        Prompt::None => match &model.status {
            Some(status) => Line::from(Span::styled(format!(" {status}"), theme.fg(Slot::Warning))),
            None => hints(model),
        },
    };
    frame.render_widget(Paragraph::new(line), second);
}

fn prompt_line(theme: &Theme, lead: &str, text: &str, help: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!("{lead}{text}"),
            theme.fg(Slot::Text).add_modifier(Modifier::BOLD),
        ),
        Span::styled("█", theme.fg(Slot::Accent)),
        Span::styled(format!("   {help}"), theme.fg(Slot::Muted)),
    ])
}

/// Key hints of the current view, from the keymap.
fn hints(model: &Model) -> Line<'static> {
    use super::keymap::Action as A;
    let wanted: &[(A, &str)] = match model.view() {
        View::Overview => &[
            (A::Open, "open"),
            (A::Diff, "diff"),
            (A::NextProblem, "next problem"),
            (A::Filter, "filter"),
            (A::ToggleProblems, "problems"),
            (A::Clusters, "clusters"),
            (A::Events, "events"),
            (A::Help, "help"),
            (A::Quit, "quit"),
        ],
        View::App => &[
            (A::Diff, "diff"),
            (A::ServerDiff, "server diff"),
            (A::NextProblem, "next problem"),
            (A::Promotion, "promotion"),
            (A::Back, "back"),
            (A::Help, "help"),
        ],
        View::Diff => &[
            (A::NextHunk, "next change"),
            (A::ToggleSideBySide, "side-by-side"),
            (A::ToggleFold, "fold"),
            (A::Filter, "search"),
            (A::ServerDiff, "server"),
            (A::Copy, "copy"),
            (A::Back, "back"),
        ],
        View::Promote => &[
            (A::Confirm, "commit"),
            (A::Down, "scroll"),
            (A::Back, "cancel / close"),
            (A::Help, "help"),
        ],
        View::Sync => &[
            (A::Confirm, "apply"),
            (A::ForceConflicts, "take over conflicts"),
            (A::Down, "scroll"),
            (A::Back, "cancel / close"),
            (A::Help, "help"),
        ],
        _ => &[(A::Back, "back"), (A::Help, "help"), (A::Quit, "back")],
    };
    let context = model.view().context();
    let bindings = super::keymap::for_context(context);
    let mut spans = Vec::new();
    for (action, label) in wanted {
        if let Some(binding) = bindings.iter().find(|b| b.action == *action) {
            if let Some(key) = binding.keys.first() {
                spans.push(Span::styled(
                    format!(" {}", key.label()),
                    model.theme.fg(Slot::Accent).add_modifier(Modifier::BOLD),
                ));
                spans.push(Span::styled(
                    format!(" {label} "),
                    model.theme.fg(Slot::Muted),
                ));
            }
        }
    }
    Line::from(spans)
}

/// Style of a selected row.
pub fn selected(theme: &Theme, is_selected: bool) -> Style {
    if is_selected {
        theme.selection()
    } else {
        Style::new()
    }
}
