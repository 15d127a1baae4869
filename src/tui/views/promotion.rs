//! Promotion timeline (read-only): the app's revision in each environment in promotion order,
//! the commits between neighbours and what promoting would change.

use super::overview::short_commit;
use super::{fit, health_span, sync_span};
use crate::tui::model::Model;
use crate::tui::theme::Slot;
use crate::tui::track::short_age;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn lines(model: &Model, width: usize) -> Vec<Line<'static>> {
    let theme = &model.theme;
    let Some(app) = model.app.as_ref().map(|a| a.app.clone()) else {
        return vec![Line::from(" no app selected")];
    };
    let mut lines = vec![Line::from(Span::styled(
        format!(" promotion of {app} (read-only; the promote action comes later)"),
        theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
    ))];
    lines.push(Line::from(""));
    let mut previous: Option<(String, Option<String>)> = None;
    for env in model.all_envs() {
        let Some(view) = model.cell(&app, &env) else {
            lines.push(Line::from(Span::styled(
                format!("  ○ {env}: not deployed here"),
                theme.fg(Slot::Muted),
            )));
            continue;
        };
        let tag = model.image_tag(view).map(str::to_string);
        if let Some((prev_env, prev_tag)) = &previous {
            let behind = model.git.behind.get(&view.id).cloned().unwrap_or_default();
            let count = model.git.behind_commits(&view.id);
            if let Some(chart) = model.git.charts_behind.get(&view.id) {
                let n = chart.versions.len();
                lines.push(Line::from(Span::styled(
                    fit(
                        &format!(
                            "  │  chart {} {} → {}: {n} newer version{} in {prev_env} ({})",
                            chart.chart,
                            chart.from,
                            chart.to,
                            if n == 1 { "" } else { "s" },
                            chart.versions.join(", ")
                        ),
                        width,
                    ),
                    theme.fg(Slot::Warning),
                )));
                if let Some(error) = &chart.index_error {
                    lines.push(Line::from(Span::styled(
                        fit(
                            &format!("  │    (versions in between unknown: {error})"),
                            width,
                        ),
                        theme.fg(Slot::Muted),
                    )));
                }
            }
            if behind.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("  │  nothing in {prev_env}'s Git history for {app} that {env} lacks"),
                    theme.fg(Slot::Muted),
                )));
            } else {
                lines.push(Line::from(Span::styled(
                    format!(
                        "  │  promoting {prev_env} → {env} brings {count} commit{}:",
                        if count == 1 { "" } else { "s" }
                    ),
                    theme.fg(Slot::Warning),
                )));
                for commit in behind.iter().take(8) {
                    lines.push(Line::from(Span::styled(
                        fit(
                            &format!(
                                "  │    {} {} ({}, {} ago)",
                                commit.short,
                                commit.summary,
                                commit.author,
                                short_age(commit.time, model.now)
                            ),
                            width,
                        ),
                        theme.fg(Slot::Text),
                    )));
                }
            }
            if prev_tag != &tag {
                lines.push(Line::from(Span::styled(
                    format!(
                        "  │  image {} → {}",
                        tag.as_deref().unwrap_or("-"),
                        prev_tag.as_deref().unwrap_or("-")
                    ),
                    theme.fg(Slot::Warning),
                )));
            }
        }
        let commit = model
            .git
            .commits
            .get(&view.id)
            .map(|c| format!(" — {} ({})", c.summary, c.author))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::raw("  "),
            sync_span(theme, view.sync),
            Span::raw(" "),
            health_span(theme, view.health),
            Span::styled(
                format!(" {env:<10}"),
                theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                fit(
                    &format!(
                        "{} {}{commit}",
                        short_commit(&view.revision),
                        tag.as_deref()
                            .map(|t| format!("image {t}"))
                            .unwrap_or_default()
                    ),
                    width.saturating_sub(18),
                ),
                theme.fg(Slot::Text),
            ),
        ]));
        previous = Some((env.clone(), tag));
    }
    lines
}

pub fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let all = lines(model, usize::from(area.width));
    let max = all.len().saturating_sub(usize::from(area.height));
    let scroll = model.scroll.get("promotion").copied().unwrap_or(0).min(max);
    frame.render_widget(Paragraph::new(all).scroll((scroll as u16, 0)), area);
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, render, sample_model};
    use crate::state::AppId;
    use crate::tui::model::ChartBehind;
    use crate::tui::theme::Theme;
    use crossterm::event::KeyCode;

    #[test]
    fn chart_versions_behind_show_in_the_app_view_the_timeline_and_the_overview() {
        let mut model = sample_model(Theme::dark());
        model.update(crate::tui::model::Msg::Resize(160, 48));
        let prod = AppId::new("web", "prod");
        model.git.charts_behind.insert(
            prod.clone(),
            ChartBehind {
                chart: "web".into(),
                from: "1.4.0".into(),
                to: "1.5.0".into(),
                versions: vec!["1.5.0".into(), "1.4.1".into()],
                index_error: None,
            },
        );
        let commits = model.git.behind_commits(&prod);
        assert_eq!(model.git.behind_by(&prod), commits + 2);
        let overview = render(&mut model, 160, 48);
        assert!(
            overview.contains(&format!("↓{}", commits + 2)),
            "{overview}"
        );
        keys(&mut model, ":app web");
        key(&mut model, KeyCode::Enter);
        keys(&mut model, ":env prod");
        key(&mut model, KeyCode::Enter);
        key(&mut model, KeyCode::Enter);
        let app = render(&mut model, 160, 48);
        assert!(
            app.contains("behind the previous environment by 2 chart versions (web 1.4.0 → 1.5.0)"),
            "{app}"
        );
        keys(&mut model, "P");
        let timeline = render(&mut model, 160, 48);
        assert!(
            timeline.contains("chart web 1.4.0 → 1.5.0: 2 newer versions in stage (1.5.0, 1.4.1)"),
            "{timeline}"
        );
    }
}
