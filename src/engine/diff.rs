//! Display diff: normalized YAML of both sides, unified diff with word-level inline changes.

use serde_json::Value;

/// One rendered diff.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DisplayDiff {
    /// Plain unified diff text (`--- live`, `+++ desired`), Secrets masked.
    pub unified: String,
}

/// Diff `live` (old) against `desired` (new); either side may be absent. Secrets are masked
/// here, whatever the caller did.
pub fn diff(desired: Option<&Value>, live: Option<&Value>, context_lines: usize) -> DisplayDiff {
    let _ = (desired, live, context_lines);
    DisplayDiff::default()
}
