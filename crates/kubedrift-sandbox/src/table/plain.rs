//! A Table as `kubectl get` lays it out in plain text, for tests, logs and debugging output.

use crate::table::fields::{int, list, text};
use serde_json::Value;
use std::fmt::Write as _;

/// Plain-text rendering of a Table the way `kubectl get` lays it out: upper-case headers and
/// kubectl's tabwriter settings (cells padded by three spaces to at least six columns).
/// Null cells print as `<none>`. For tests, logs and debugging output.
pub fn render_plain(table: &Value, wide: bool) -> String {
    let columns = list(table, &["columnDefinitions"]);
    let shown: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| wide || int(c, &["priority"]) == 0)
        .map(|(i, _)| i)
        .collect();
    let mut grid: Vec<Vec<String>> = vec![shown
        .iter()
        .map(|&i| text(&columns[i], &["name"]).to_uppercase())
        .collect()];
    for row in list(table, &["rows"]) {
        let cells = list(row, &["cells"]);
        grid.push(
            shown
                .iter()
                .map(|&i| match cells.get(i) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => "<none>".to_string(),
                    Some(other) => other.to_string(),
                })
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..shown.len())
        .map(|c| {
            let widest = grid.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
            (widest + 3).max(6)
        })
        .collect();
    let mut out = String::new();
    for line in grid {
        let mut rendered = String::new();
        for (c, cell) in line.iter().enumerate() {
            if c + 1 == line.len() {
                rendered.push_str(cell);
            } else {
                let _ = write!(rendered, "{cell:<width$}", width = widths[c]);
            }
        }
        out.push_str(rendered.trim_end());
        out.push('\n');
    }
    out
}
