//! Argo Rollouts in the TUI: a Rollout's progress (from its live object, in the engine's
//! words) as a short headline for the overview cell and the resource row, a small bar, and
//! the full account in the app view's detail pane.

use crate::engine::rollout::{self, RolloutProgress};
use crate::state::{AppView, ResourceView};

/// Cells of the progress bar.
pub const BAR_WIDTH: usize = 10;

/// The progress of a resource's live Rollout; None for other resources or no live object.
pub fn progress_of(resource: &ResourceView) -> Option<RolloutProgress> {
    if &*resource.key.group != rollout::GROUP || &*resource.key.kind != "Rollout" {
        return None;
    }
    rollout::progress(&resource.live.as_ref()?.get())
}

/// The headline of the app's first Rollout in the middle of an update (`canary 40%`), for
/// the overview cell: it says more than a bare Progressing or Suspended.
pub fn app_headline(app: &AppView) -> Option<String> {
    app.resources
        .iter()
        .filter_map(|r| progress_of(r))
        .find_map(|p| p.headline())
}

/// A bar of `width` cells, `percent` of them full: `████░░░░░░`.
pub fn bar(percent: u8, width: usize) -> String {
    let full = (usize::from(percent.min(100)) * width + 50) / 100;
    format!("{}{}", "█".repeat(full), "░".repeat(width - full))
}

/// The resource row's summary: headline, and the bar for a canary
/// (`canary 40% paused ████░░░░░░`).
pub fn row_summary(progress: &RolloutProgress) -> Option<String> {
    let headline = progress.headline()?;
    Some(match progress.percent() {
        Some(percent) => format!("{headline} {}", bar(percent, BAR_WIDTH)),
        None => headline,
    })
}

/// The detail pane's lines for the Rollout `resource` of `app`: the progress in words, the
/// first one led by the canary's bar; the `workloadRef` line says whether Git has that
/// workload (and its verdict) or not (then its template is not compared).
pub fn detail_lines(
    progress: &RolloutProgress,
    app: &AppView,
    resource: &ResourceView,
) -> Vec<String> {
    let mut lines = progress.lines();
    if let (Some(first), Some(percent)) = (lines.first_mut(), progress.percent()) {
        *first = format!("{} {percent:>3}%  {first}", bar(percent, BAR_WIDTH));
    }
    let workload = resource
        .live
        .as_ref()
        .and_then(|live| rollout::referenced_key(&resource.key, &live.get()));
    if let (Some(workload), Some(last)) = (workload, lines.last_mut()) {
        let in_app = app.resources.iter().find(|r| r.key == workload);
        let note = match in_app {
            Some(r) if r.desired.is_some() => format!("in Git, {}", r.verdict.label()),
            _ => "not in Git: its template is not compared".to_string(),
        };
        last.push_str(&format!(" ({note})"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_rounds_to_the_nearest_cell() {
        assert_eq!(bar(0, 10), "░░░░░░░░░░");
        assert_eq!(bar(40, 10), "████░░░░░░");
        assert_eq!(bar(44, 10), "████░░░░░░");
        assert_eq!(bar(45, 10), "█████░░░░░");
        assert_eq!(bar(100, 10), "██████████");
        assert_eq!(bar(250, 4), "████");
    }
}
