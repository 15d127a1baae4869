//! A duplicate mapping key stays an error (as kubectl's strict field validation makes it),
//! but the message names the key and both lines. serde_yaml reports where the *mapping*
//! starts; this finds the two lines that hold the key.

use regex::Regex;
use std::sync::LazyLock;

static DUPLICATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?:(.+?): )?duplicate entry with key "(.*)"(?: at line \d+ column \d+)?$"#)
        .unwrap_or_else(|_| unreachable!("static regex"))
});

/// Where a duplicate key is and what to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// 1-based line of the repeated key, in `text`.
    pub line: usize,
    /// 1-based column of the repeated key.
    pub column: usize,
    /// `duplicate key "x" in data: first at line 6, again at line 8`, lines in `text`
    /// shifted by `first_line - 1`.
    pub message: String,
}

/// For serde_yaml's `message` about the mapping that starts at `line`:`column` of `text` (a
/// document starting at file line `first_line`), the repeated key's position and a message
/// naming both lines. None when the message is about something else or the lines cannot be
/// found (a flow mapping `{a: 1, a: 2}`): the caller keeps serde_yaml's message.
pub fn locate(
    text: &str,
    first_line: usize,
    line: usize,
    column: usize,
    message: &str,
) -> Option<DuplicateKey> {
    let caps = DUPLICATE.captures(message)?;
    let path = caps.get(1).map(|m| m.as_str());
    let key = caps.get(2)?.as_str();
    let indent = column.checked_sub(1)?;
    let mut found = Vec::new();
    for (index, content) in text.lines().enumerate().skip(line.checked_sub(1)?) {
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let leading = content.len() - trimmed.len();
        let first = index + 1 == line;
        if !first && leading < indent {
            break; // the mapping ended
        }
        if !first && leading > indent {
            continue; // a nested value
        }
        let at_key = content.get(indent..).unwrap_or("");
        if key_of(at_key) == Some(key) {
            found.push(index + 1);
            if found.len() == 2 {
                break;
            }
        }
    }
    let [first, again] = found[..] else {
        return None;
    };
    let shift = |l: usize| first_line + l - 1;
    let place = path.map(|p| format!(" in {p}")).unwrap_or_default();
    Some(DuplicateKey {
        line: again,
        column,
        message: format!(
            "duplicate key {key:?}{place}: first at line {}, again at line {}",
            shift(first),
            shift(again)
        ),
    })
}

/// The key a `key: value` line starts with (quotes removed).
fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once(':')?;
    let key = key.trim_end();
    let unquoted = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')));
    Some(unquoted.unwrap_or(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_key_and_both_lines() {
        let text =
            "kind: ConfigMap\ndata:\n  x: \"1\"\n  nested:\n    x: 2\n  # x: 9\n  \"x\": \"3\"\n";
        let found = locate(
            text,
            10,
            3,
            3,
            "data: duplicate entry with key \"x\" at line 3 column 3",
        );
        assert_eq!(
            found,
            Some(DuplicateKey {
                line: 7,
                column: 3,
                message: "duplicate key \"x\" in data: first at line 12, again at line 16".into(),
            })
        );
        // A list item's mapping starts after "- ".
        let text = "items:\n- name: a\n  port: 1\n  name: b\n";
        let found = locate(text, 1, 2, 3, "items[0]: duplicate entry with key \"name\"");
        assert_eq!(
            found.map(|f| (f.line, f.message)),
            Some((
                4,
                "duplicate key \"name\" in items[0]: first at line 2, again at line 4".to_string()
            ))
        );
        assert_eq!(
            locate(
                "a: {x: 1, x: 2}\n",
                1,
                1,
                4,
                "a: duplicate entry with key \"x\""
            ),
            None
        );
        assert_eq!(locate("a: 1\n", 1, 1, 1, "invalid type"), None);
    }
}
