//! The promotion preview never shows a Secret's values: a changed file that holds Secret
//! manifests is shown as the masked diff of its parsed objects (`engine::mask`: keys and
//! *that* a value changed stay visible), and a file that mentions `kind: Secret` but does
//! not parse is not shown at all.

use crate::engine::diff;
use crate::engine::mask::is_secret;
use crate::manifest::{parse_file, ManifestLimits};
use serde_json::{json, Value};

/// How one changed file may be shown.
pub enum FileView {
    /// No Secret in it: the plain git diff is fine.
    Plain,
    /// Secret manifests: the masked diff of the parsed objects (unified text).
    Masked(String),
    /// Mentions a Secret but cannot be parsed: the content is hidden.
    Hidden,
}

/// Decide how the change of `path` from `old` to `new` (None: absent) may be shown.
pub fn view(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> FileView {
    let sides = [old, new];
    let mentions = sides
        .iter()
        .flatten()
        .any(|bytes| mentions_secret(&String::from_utf8_lossy(bytes)));
    let parsed: Vec<Option<Result<Vec<Value>, ()>>> = sides
        .iter()
        .map(|side| {
            side.map(|bytes| {
                parse_file(path, bytes, &ManifestLimits::default())
                    .map(|file| file.objects.into_iter().map(|o| o.object).collect())
                    .map_err(|_| ())
            })
        })
        .collect();
    let has_secret = parsed
        .iter()
        .flatten()
        .any(|side| side.as_ref().is_ok_and(|objs| objs.iter().any(is_secret)));
    if !mentions && !has_secret {
        return FileView::Plain;
    }
    let mut lists: Vec<Option<Value>> = Vec::new();
    for side in parsed {
        match side {
            None => lists.push(None),
            Some(Ok(objects)) => lists.push(Some(
                json!({"apiVersion": "v1", "kind": "List", "items": objects}),
            )),
            Some(Err(())) => return FileView::Hidden,
        }
    }
    // diff::diff masks both sides with one table (equal values, equal masks).
    let shown = diff::diff(lists[1].as_ref(), lists[0].as_ref(), 3);
    // The engine names the sides live/desired; here they are the target before and after.
    let old_name = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".into()
    };
    let new_name = if new.is_some() {
        format!("b/{path}")
    } else {
        "/dev/null".into()
    };
    let unified = shown
        .unified
        .lines()
        .map(|line| match line {
            "--- live" => format!("--- {old_name}\n"),
            "+++ desired" => format!("+++ {new_name}\n"),
            other => format!("{other}\n"),
        })
        .collect();
    FileView::Masked(unified)
}

/// Whether the text names `kind: Secret` (YAML or JSON), parsable or not.
fn mentions_secret(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line
            .trim()
            .trim_start_matches("- ")
            .trim_start_matches(['{', ',']);
        line.split(',').any(|part| {
            let part = part.trim();
            let rest = ["kind", "\"kind\"", "'kind'"]
                .iter()
                .find_map(|key| part.strip_prefix(key));
            rest.and_then(|r| r.trim_start().strip_prefix(':'))
                .is_some_and(|value| {
                    value
                        .trim()
                        .trim_matches(|c| matches!(c, '"' | '\'' | '}' | ','))
                        .trim()
                        == "Secret"
                })
        })
    })
}

/// The text shown for one file: the plain diff from `plain`, or the masked / hidden view.
pub fn file_text(
    path: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    plain: impl FnOnce() -> String,
) -> String {
    match view(path, old, new) {
        FileView::Plain => plain(),
        FileView::Masked(unified) => format!(
            "diff --git a/{path} b/{path}\n# {path} holds Secrets: their values are masked \
             (shown as parsed manifests)\n{unified}"
        ),
        FileView::Hidden => format!(
            "diff --git a/{path} b/{path}\n# {path} mentions kind: Secret but does not parse: \
             content hidden\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-old\n";

    #[test]
    fn secret_values_are_masked_and_unparsable_secret_files_hidden() {
        let new = SECRET.replace("hunter2-old", "hunter2-new");
        let FileView::Masked(text) = view("s.yaml", Some(SECRET.as_bytes()), Some(new.as_bytes()))
        else {
            panic!("not masked");
        };
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("password"), "{text}");
        let broken = format!("{SECRET}  bad: [\n");
        assert!(matches!(
            view("s.yaml", None, Some(broken.as_bytes())),
            FileView::Hidden
        ));
        assert!(matches!(
            view("v.yml", Some(b"version: 1\n"), Some(b"version: 2\n")),
            FileView::Plain
        ));
        assert!(mentions_secret(
            "{\"kind\": \"Secret\", \"apiVersion\": \"v1\"}"
        ));
        assert!(mentions_secret("  - kind: 'Secret'"));
        assert!(!mentions_secret("kind: SecretStore"));
    }
}
