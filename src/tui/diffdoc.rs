//! The diff pane's document: one or more resource diffs (from `engine::diff`, already masked)
//! laid out as rows, unified or side by side, with unchanged runs folded. Pure.

use crate::engine::diff::{DiffLine, DiffLineKind, DiffSpan, DisplayDiff};

/// Unchanged lines kept around a change when folding.
pub const FOLD_CONTEXT: usize = 3;
/// Context asked of `engine::diff` so the pane can fold itself (every unchanged line).
pub const FULL_CONTEXT: usize = 1_000_000;

/// One resource's diff with its title.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: String,
    pub diff: DisplayDiff,
}

/// One side of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub kind: DiffLineKind,
    pub spans: Vec<DiffSpan>,
}

impl Cell {
    fn of(line: &DiffLine) -> Cell {
        Cell {
            kind: line.kind,
            spans: line.spans.clone(),
        }
    }

    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A resource's title.
    Title(String),
    /// A note (no difference, an error).
    Note(String),
    /// `n unchanged lines` folded away.
    Fold(usize),
    /// A unified line.
    Line(Cell),
    /// Side by side: live on the left, desired on the right.
    Pair(Option<Cell>, Option<Cell>),
}

impl Row {
    /// Text searched by `/`.
    pub fn text(&self) -> String {
        match self {
            Row::Title(t) | Row::Note(t) => t.clone(),
            Row::Fold(n) => format!("{n} unchanged lines"),
            Row::Line(c) => c.text(),
            Row::Pair(l, r) => format!(
                "{} {}",
                l.as_ref().map(Cell::text).unwrap_or_default(),
                r.as_ref().map(Cell::text).unwrap_or_default()
            ),
        }
    }

    fn is_change(&self) -> bool {
        let changed = |c: &Option<Cell>| {
            c.as_ref()
                .is_some_and(|c| matches!(c.kind, DiffLineKind::Added | DiffLineKind::Removed))
        };
        match self {
            Row::Line(c) => matches!(c.kind, DiffLineKind::Added | DiffLineKind::Removed),
            Row::Pair(l, r) => changed(l) || changed(r),
            _ => false,
        }
    }
}

/// The laid-out document.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub rows: Vec<Row>,
    /// Row index where each run of changes starts (`]`/`[`).
    pub hunks: Vec<usize>,
}

/// Lay out `entries`. `folded`: long unchanged runs collapse to one row.
pub fn layout(entries: &[Entry], side_by_side: bool, folded: bool) -> Layout {
    let mut rows = Vec::new();
    for entry in entries {
        rows.push(Row::Title(entry.title.clone()));
        if entry.diff.is_empty() {
            rows.push(Row::Note("no difference".into()));
            continue;
        }
        let lines: Vec<&DiffLine> = entry
            .diff
            .lines
            .iter()
            .filter(|l| !matches!(l.kind, DiffLineKind::Header | DiffLineKind::Hunk))
            .collect();
        let unified = fold(&lines, folded);
        if side_by_side {
            rows.extend(pair_up(unified));
        } else {
            rows.extend(unified);
        }
    }
    let mut hunks = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.is_change() && (i == 0 || !rows[i - 1].is_change()) {
            hunks.push(i);
        }
    }
    Layout { rows, hunks }
}

/// Unified rows; runs of context longer than twice [`FOLD_CONTEXT`] keep their edges only.
fn fold(lines: &[&DiffLine], folded: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].kind != DiffLineKind::Context {
            rows.push(Row::Line(Cell::of(lines[i])));
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].kind == DiffLineKind::Context {
            i += 1;
        }
        let run = &lines[start..i];
        let keep_before = if start == 0 { 0 } else { FOLD_CONTEXT };
        let keep_after = if i == lines.len() { 0 } else { FOLD_CONTEXT };
        if folded && run.len() > keep_before + keep_after + 1 {
            rows.extend(run[..keep_before].iter().map(|l| Row::Line(Cell::of(l))));
            rows.push(Row::Fold(run.len() - keep_before - keep_after));
            rows.extend(
                run[run.len() - keep_after..]
                    .iter()
                    .map(|l| Row::Line(Cell::of(l))),
            );
        } else {
            rows.extend(run.iter().map(|l| Row::Line(Cell::of(l))));
        }
    }
    rows
}

/// Side-by-side rows: a run of removed lines faces the added lines that follow it.
fn pair_up(rows: Vec<Row>) -> Vec<Row> {
    let mut out = Vec::new();
    let mut removed: Vec<Cell> = Vec::new();
    let mut added: Vec<Cell> = Vec::new();
    let flush = |out: &mut Vec<Row>, removed: &mut Vec<Cell>, added: &mut Vec<Cell>| {
        let n = removed.len().max(added.len());
        let mut left = removed.drain(..);
        let mut right = added.drain(..);
        for _ in 0..n {
            out.push(Row::Pair(left.next(), right.next()));
        }
    };
    for row in rows {
        match row {
            Row::Line(cell) if cell.kind == DiffLineKind::Removed => {
                if !added.is_empty() {
                    flush(&mut out, &mut removed, &mut added);
                }
                removed.push(cell);
            }
            Row::Line(cell) if cell.kind == DiffLineKind::Added => added.push(cell),
            Row::Line(cell) => {
                flush(&mut out, &mut removed, &mut added);
                out.push(Row::Pair(Some(cell.clone()), Some(cell)));
            }
            other => {
                flush(&mut out, &mut removed, &mut added);
                out.push(other);
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

/// Rows whose text contains `query` (case-insensitive).
pub fn search(layout: &Layout, query: &str) -> Vec<usize> {
    if query.is_empty() {
        return Vec::new();
    }
    let needle = query.to_lowercase();
    layout
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.text().to_lowercase().contains(&needle))
        .map(|(i, _)| i)
        .collect()
}

/// The next position after `from` in sorted `positions` (wrapping), or the previous one.
pub fn step(positions: &[usize], from: usize, forward: bool) -> Option<usize> {
    if forward {
        positions
            .iter()
            .copied()
            .find(|&p| p > from)
            .or_else(|| positions.first().copied())
    } else {
        positions
            .iter()
            .rev()
            .copied()
            .find(|&p| p < from)
            .or_else(|| positions.last().copied())
    }
}

/// The whole document as plain unified text (for the clipboard): titles and `--- live`/`+++
/// desired` diffs, masked as shown.
pub fn plain_text(entries: &[Entry]) -> String {
    let mut out = String::new();
    for entry in entries {
        out.push_str(&format!("# {}\n", entry.title));
        out.push_str(&entry.diff.unified);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diff::diff;
    use serde_json::json;

    fn entry() -> Entry {
        let mut data = serde_json::Map::new();
        for i in 0..30 {
            data.insert(format!("key{i:02}"), json!(format!("value{i}")));
        }
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n"}, "data": data.clone()});
        let mut desired = live.clone();
        desired["data"]["key15"] = json!("changed");
        desired["data"]["key29"] = json!("changed too");
        Entry {
            title: "ConfigMap/n/c".into(),
            diff: diff(Some(&desired), Some(&live), FULL_CONTEXT),
        }
    }

    #[test]
    fn long_unchanged_runs_fold_and_unfold() {
        let entries = [entry()];
        let folded = layout(&entries, false, true);
        let open = layout(&entries, false, false);
        assert!(folded.rows.iter().any(|r| matches!(r, Row::Fold(_))));
        assert!(!open.rows.iter().any(|r| matches!(r, Row::Fold(_))));
        assert!(folded.rows.len() < open.rows.len());
        let hidden: usize = folded
            .rows
            .iter()
            .map(|r| if let Row::Fold(n) = r { *n } else { 0 })
            .sum();
        assert_eq!(
            folded.rows.len() + hidden - count_folds(&folded),
            open.rows.len()
        );
        // Both changes are hunks, in order.
        assert_eq!(folded.hunks.len(), 2);
        assert!(folded.rows[folded.hunks[0]].text().contains("key15"));
    }

    fn count_folds(l: &Layout) -> usize {
        l.rows.iter().filter(|r| matches!(r, Row::Fold(_))).count()
    }

    #[test]
    fn side_by_side_pairs_removed_with_added() {
        let entries = [entry()];
        let sbs = layout(&entries, true, true);
        let pair = sbs
            .rows
            .iter()
            .find_map(|r| match r {
                Row::Pair(Some(l), Some(r)) if l.kind == DiffLineKind::Removed => Some((l, r)),
                _ => None,
            })
            .expect("a changed pair");
        assert!(pair.0.text().contains("value15"));
        assert!(pair.1.text().contains("changed"));
        assert_eq!(sbs.hunks.len(), 2);
    }

    #[test]
    fn search_and_step_wrap() {
        let entries = [entry()];
        let l = layout(&entries, false, false);
        let found = search(&l, "CHANGED");
        assert_eq!(found.len(), 2);
        assert_eq!(step(&found, found[1], true), Some(found[0]));
        assert_eq!(step(&found, found[0], false), Some(found[1]));
        assert_eq!(step(&[], 3, true), None);
    }
}
