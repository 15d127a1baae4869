//! Display diff: normalized YAML of both sides, unified diff with word-level inline changes.
//!
//! Both sides are rendered as YAML with a stable key order (`apiVersion`, `kind`, `metadata`
//! (`name`, `namespace` first), `spec`, then the remaining keys sorted; nested maps sorted), so
//! the diff only shows what differs, never how a serializer happened to order keys. The result
//! exists twice: as plain unified text (for files, pipes, `--output=diff`) and as structured
//! lines with emphasized words (for the TUI and [`to_ansi`]), both built from the same hunks.
//!
//! Secrets are masked here, on copies, whatever the caller did: this is the last stop before
//! a human sees the text.

use crate::engine::fieldpath::FieldPath;
use crate::engine::mask::{mask_secret, mask_secret_pair};
use serde::Serialize;
use serde_json::{Map, Value};
use similar::{ChangeTag, DiffOp, TextDiff};

/// Header label of the old side.
const OLD_LABEL: &str = "live";
/// Header label of the new side.
const NEW_LABEL: &str = "desired";

/// What one line of a diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DiffLineKind {
    /// `--- live` / `+++ desired`.
    Header,
    /// `@@ -a,b +c,d @@`.
    Hunk,
    /// Unchanged line around a change.
    Context,
    /// Only in desired (Git).
    Added,
    /// Only in live (cluster).
    Removed,
    /// Not a change: a live-only item of a strategic-merge list that applying Git keeps (a
    /// sidecar or env var a webhook injected), shown so nothing is hidden. Marked `#`, shown
    /// dimmed.
    Kept,
}

/// A run of text within a line; `emphasized` marks the words that changed within the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffSpan {
    pub text: String,
    pub emphasized: bool,
}

/// One diff line. Spans hold the line content without the `+`/`-`/` ` marker and without the
/// newline; the kind says which marker it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub kind: DiffLineKind,
    pub spans: Vec<DiffSpan>,
}

impl DiffLine {
    fn plain(kind: DiffLineKind, text: String) -> Self {
        DiffLine {
            kind,
            spans: vec![DiffSpan {
                text,
                emphasized: false,
            }],
        }
    }

    /// The line content (spans joined), without marker.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }

    /// The marker a unified diff puts in front of the content.
    pub fn marker(&self) -> &'static str {
        match self.kind {
            DiffLineKind::Header | DiffLineKind::Hunk => "",
            DiffLineKind::Context => " ",
            DiffLineKind::Added => "+",
            DiffLineKind::Removed => "-",
            DiffLineKind::Kept => "#",
        }
    }
}

/// One rendered diff.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DisplayDiff {
    /// Plain unified diff text (`--- live`, `+++ desired`), Secrets masked. Empty when the
    /// sides do not differ.
    pub unified: String,
    /// The same diff as structured lines (headers, hunks, context, added, removed).
    pub lines: Vec<DiffLine>,
}

impl DisplayDiff {
    /// True when the two sides render identically (lines about items apply keeps are not
    /// changes).
    pub fn is_empty(&self) -> bool {
        self.lines
            .iter()
            .all(|line| line.kind == DiffLineKind::Kept)
    }
}

/// The note heading each kept item in a diff.
pub const KEPT_NOTE: &str = " live only, kept by apply (not drift): ";

/// [`diff`], followed by the live-only items apply keeps ([`DiffLineKind::Kept`]): each as a
/// `# live only, kept by apply (not drift): PATH` line and the item's YAML, every line marked
/// `#` (a comment to anything reading the diff as a patch).
pub fn diff_with_kept(
    desired: Option<&Value>,
    live: Option<&Value>,
    kept: &[(FieldPath, Value)],
    context_lines: usize,
) -> DisplayDiff {
    let mut shown = diff(desired, live, context_lines);
    for (path, item) in kept {
        shown.lines.push(DiffLine::plain(
            DiffLineKind::Kept,
            format!("{KEPT_NOTE}{path}"),
        ));
        let mut item = item.clone();
        // Never a Secret's values, whatever the list.
        if live.is_some_and(crate::engine::mask::is_secret) {
            item = Value::String("++++++++".to_string());
        }
        for line in render_yaml(&item).lines() {
            shown
                .lines
                .push(DiffLine::plain(DiffLineKind::Kept, format!("   {line}")));
        }
    }
    if !kept.is_empty() {
        shown.unified = unified_text(&shown.lines);
    }
    shown
}

/// Diff `live` (old) against `desired` (new); either side may be absent (the whole object is
/// then added or removed). Secrets are masked here, whatever the caller did.
/// `context_lines` unchanged lines are kept around each change.
pub fn diff(desired: Option<&Value>, live: Option<&Value>, context_lines: usize) -> DisplayDiff {
    let mut desired = desired.cloned();
    let mut live = live.cloned();
    mask_secret_pair(desired.as_mut(), live.as_mut());
    let new_text = desired.as_ref().map(render_yaml).unwrap_or_default();
    let old_text = live.as_ref().map(render_yaml).unwrap_or_default();
    diff_texts(&old_text, &new_text, context_lines)
}

/// Render one object as YAML with kubedrift's stable key order, Secrets masked (for outputs
/// that show a single side, e.g. the live object of a Missing/Extraneous row).
pub fn display_yaml(obj: &Value) -> String {
    let mut copy = obj.clone();
    mask_secret(&mut copy);
    render_yaml(&copy)
}

/// YAML in stable key order, without masking: callers mask first.
fn render_yaml(obj: &Value) -> String {
    let ordered = order_keys(obj, KeyOrder::Object);
    match serde_yaml::to_string(&ordered) {
        Ok(text) => text,
        // Serializing a JSON value as YAML cannot realistically fail; if it ever does, JSON
        // is still readable and still masked.
        Err(_) => serde_json::to_string_pretty(&ordered).unwrap_or_default() + "\n",
    }
}

/// Which key order a map gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyOrder {
    /// A Kubernetes object (root, or a list item with apiVersion/kind).
    Object,
    /// An object's `metadata`.
    Metadata,
    /// Anything else: sorted.
    Sorted,
}

const OBJECT_KEYS_FIRST: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
const METADATA_KEYS_FIRST: &[&str] = &["name", "namespace"];

fn order_keys(value: &Value, order: KeyOrder) -> Value {
    match value {
        Value::Object(map) => {
            let first: &[&str] = match order {
                KeyOrder::Object => OBJECT_KEYS_FIRST,
                KeyOrder::Metadata => METADATA_KEYS_FIRST,
                KeyOrder::Sorted => &[],
            };
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| {
                let rank = first
                    .iter()
                    .position(|f| *f == k.as_str())
                    .unwrap_or(first.len());
                (rank, k.as_str())
            });
            let mut out = Map::new();
            for key in keys {
                let child_order = if order == KeyOrder::Object && key == "metadata" {
                    KeyOrder::Metadata
                } else {
                    KeyOrder::Sorted
                };
                if let Some(child) = map.get(key) {
                    out.insert(key.clone(), order_child(child, child_order));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| order_child(item, KeyOrder::Sorted))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Maps that look like Kubernetes objects (items of a `List`) get object order.
fn order_child(value: &Value, order: KeyOrder) -> Value {
    let looks_like_object = value.get("apiVersion").is_some() && value.get("kind").is_some();
    if looks_like_object && order == KeyOrder::Sorted {
        order_keys(value, KeyOrder::Object)
    } else {
        order_keys(value, order)
    }
}

/// Unified diff of two texts, both plain and structured.
fn diff_texts(old: &str, new: &str, context_lines: usize) -> DisplayDiff {
    let text_diff = TextDiff::configure().diff_lines(old, new);
    let groups = text_diff.grouped_ops(context_lines);
    let mut lines = Vec::new();
    if groups.iter().any(|g| !g.is_empty()) {
        lines.push(DiffLine::plain(
            DiffLineKind::Header,
            format!("--- {OLD_LABEL}"),
        ));
        lines.push(DiffLine::plain(
            DiffLineKind::Header,
            format!("+++ {NEW_LABEL}"),
        ));
    }
    for group in &groups {
        let Some(header) = hunk_header(group) else {
            continue;
        };
        lines.push(DiffLine::plain(DiffLineKind::Hunk, header));
        for op in group {
            // No deadline: the result must not depend on the machine's speed.
            for change in text_diff.iter_inline_changes_deadline(op, None) {
                let kind = match change.tag() {
                    ChangeTag::Equal => DiffLineKind::Context,
                    ChangeTag::Insert => DiffLineKind::Added,
                    ChangeTag::Delete => DiffLineKind::Removed,
                };
                let mut spans: Vec<DiffSpan> = Vec::new();
                for (emphasized, text) in change.iter_strings_lossy() {
                    push_span(
                        &mut spans,
                        &text,
                        emphasized && kind != DiffLineKind::Context,
                    );
                }
                strip_newline(&mut spans);
                lines.push(DiffLine { kind, spans });
            }
        }
    }
    let unified = unified_text(&lines);
    DisplayDiff { unified, lines }
}

fn unified_text(lines: &[DiffLine]) -> String {
    lines
        .iter()
        .map(|line| format!("{}{}\n", line.marker(), line.text()))
        .collect()
}

/// `@@ -a,b +c,d @@` for a hunk, in the format of GNU diff (a range of one line is written
/// without its length; an empty range starts at the line before it).
fn hunk_header(group: &[DiffOp]) -> Option<String> {
    let first = group.first()?;
    let last = group.last()?;
    let old = format_range(first.old_range().start, last.old_range().end);
    let new = format_range(first.new_range().start, last.new_range().end);
    Some(format!("@@ -{old} +{new} @@"))
}

fn format_range(start: usize, end: usize) -> String {
    let len = end.saturating_sub(start);
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{}", start + 1, len),
    }
}

/// Append text to the spans, merging with the previous span when emphasis is the same.
fn push_span(spans: &mut Vec<DiffSpan>, text: &str, emphasized: bool) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.emphasized == emphasized => last.text.push_str(text),
        _ => spans.push(DiffSpan {
            text: text.to_string(),
            emphasized,
        }),
    }
}

/// Remove the line terminator from the end of the last span (dropping the span if empty).
fn strip_newline(spans: &mut Vec<DiffSpan>) {
    if let Some(last) = spans.last_mut() {
        let trimmed_len = last.text.trim_end_matches(['\n', '\r']).len();
        last.text.truncate(trimmed_len);
        if last.text.is_empty() {
            spans.pop();
        }
    }
}

const ANSI_RESET: &str = "\x1b[0m";
const ANSI_BOLD: &str = "\x1b[1m";
const ANSI_CYAN: &str = "\x1b[36m";
const ANSI_GREEN: &str = "\x1b[32m";
const ANSI_RED: &str = "\x1b[31m";
const ANSI_DIM: &str = "\x1b[2m";
/// Bold + reverse video: the changed words stand out even on terminals without bold.
const ANSI_EMPHASIS: &str = "\x1b[1;7m";

/// The diff for a colour terminal: added lines green, removed red, changed words emphasized
/// (bold, reverse), hunk headers cyan, file headers bold.
pub fn to_ansi(diff: &DisplayDiff) -> String {
    let mut out = String::new();
    for line in &diff.lines {
        let colour = match line.kind {
            DiffLineKind::Header => ANSI_BOLD,
            DiffLineKind::Hunk => ANSI_CYAN,
            DiffLineKind::Context => "",
            DiffLineKind::Added => ANSI_GREEN,
            DiffLineKind::Removed => ANSI_RED,
            DiffLineKind::Kept => ANSI_DIM,
        };
        out.push_str(colour);
        out.push_str(line.marker());
        for span in &line.spans {
            if span.emphasized {
                out.push_str(ANSI_EMPHASIS);
                out.push_str(&span.text);
                out.push_str(ANSI_RESET);
                out.push_str(colour);
            } else {
                out.push_str(&span.text);
            }
        }
        if !colour.is_empty() {
            out.push_str(ANSI_RESET);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unified_text_matches_similar_own_formatter() {
        let old = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\n";
        let new = "a: 1\nb: 2\nc: 30\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\nx: 0\ni: 9\n";
        for context in [0, 1, 3] {
            let ours = diff_texts(old, new, context);
            let theirs = TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(context)
                .header(OLD_LABEL, NEW_LABEL)
                .to_string();
            assert_eq!(ours.unified, theirs, "context {context}");
        }
    }

    #[test]
    fn display_yaml_masks_secrets() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
                            "metadata": {"name": "s", "namespace": "n"},
                            "data": {"token": "c2VjcmV0LXRva2Vu"}});
        let yaml = display_yaml(&secret);
        assert!(yaml.contains("token: ++++++++"), "{yaml}");
        assert!(!yaml.contains("c2VjcmV0LXRva2Vu"));
    }

    #[test]
    fn identical_sides_give_an_empty_diff() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "c", "namespace": "n"}, "data": {"k": "v"}});
        let d = diff(Some(&obj), Some(&obj), 3);
        assert!(d.is_empty());
        assert_eq!(d.unified, "");
        assert!(diff(None, None, 3).is_empty());
    }

    #[test]
    fn keys_are_ordered_object_first_then_sorted() {
        let obj = json!({"status": {}, "spec": {"z": 1, "a": 2}, "metadata": {"uid": "u",
                         "name": "n", "labels": {"b": "1", "a": "2"}}, "kind": "K", "apiVersion": "v1"});
        let yaml = display_yaml(&obj);
        assert_eq!(
            yaml,
            "apiVersion: v1\nkind: K\nmetadata:\n  name: n\n  labels:\n    a: '2'\n    b: '1'\n  uid: u\nspec:\n  a: 2\n  z: 1\nstatus: {}\n"
        );
    }

    #[test]
    fn changed_word_is_emphasized() {
        let d = diff_texts("image: nginx:1.25\n", "image: nginx:1.27\n", 3);
        let added = d
            .lines
            .iter()
            .find(|l| l.kind == DiffLineKind::Added)
            .cloned();
        let spans = added.map(|l| l.spans).unwrap_or_default();
        let emphasized: Vec<&str> = spans
            .iter()
            .filter(|s| s.emphasized)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(emphasized, vec!["nginx:1.27"]);
    }
}
