//! Image bump: set the target environment's image tag to the one the source runs — the
//! kustomize `images:` entry's `newTag`, or a dotted key in a Helm values file.
//!
//! The target file is edited as text (one value replaced), so its comments, order and
//! formatting survive; the source is read with a YAML parser.

use super::{join, read_file, FileEdit, PromoteError};
use crate::config::Promotion;
use git2::{Oid, Repository};
use serde_yaml::Value;

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Where the tag lives in an environment's app directory.
enum TagSite<'a> {
    /// The kustomization's `images:` entry of this name.
    Kustomize { image: &'a str },
    /// A dotted key of a Helm values file.
    Helm { file: &'a str, key: &'a str },
}

impl TagSite<'_> {
    /// The file holding the tag in `dir` at `commit`, and its text.
    fn file(
        &self,
        repo: &Repository,
        commit: Oid,
        dir: &str,
    ) -> Result<(String, String), PromoteError> {
        match self {
            TagSite::Kustomize { .. } => kustomization(repo, commit, dir),
            TagSite::Helm { file, .. } => {
                let path = join(dir, file);
                let text = read_text(repo, commit, &path)?
                    .ok_or_else(|| PromoteError::Model(format!("{path} does not exist")))?;
                Ok((path, text))
            }
        }
    }

    fn read(&self, text: &str) -> Result<String, String> {
        match self {
            TagSite::Kustomize { image } => kustomize_tag(text, image),
            TagSite::Helm { key, .. } => values_scalar(text, key),
        }
    }

    fn write(&self, text: &str, tag: &str) -> Result<String, String> {
        match self {
            TagSite::Kustomize { image } => set_image_tag(text, image, tag),
            TagSite::Helm { key, .. } => {
                let path: Vec<&str> = key.split('.').collect();
                set_yaml_scalar(text, &path, tag)
            }
        }
    }
}

/// The edit (none when the tags already agree).
pub fn edits(
    repo: &Repository,
    source: Oid,
    source_dir: &str,
    target: Oid,
    target_dir: &str,
    promotion: &Promotion,
) -> Result<Vec<FileEdit>, PromoteError> {
    let site = match (
        &promotion.image,
        &promotion.values_file,
        &promotion.values_key,
    ) {
        (Some(image), _, _) => TagSite::Kustomize { image },
        (None, Some(file), Some(key)) => TagSite::Helm { file, key },
        _ => {
            return Err(PromoteError::Model(
                "the image model needs `image`, or `values_file` and `values_key`".into(),
            ))
        }
    };
    let (source_path, source_text) = site.file(repo, source, source_dir)?;
    let tag = site
        .read(&source_text)
        .map_err(|e| PromoteError::Model(format!("{source_path} at the source: {e}")))?;
    let (target_path, old_text) = site.file(repo, target, target_dir)?;
    let new_text = site
        .write(&old_text, &tag)
        .map_err(|e| PromoteError::Model(format!("{target_path}: {e}")))?;
    if new_text == old_text {
        return Ok(Vec::new());
    }
    Ok(vec![FileEdit {
        path: target_path,
        old: Some(old_text.into_bytes()),
        new: new_text.into_bytes(),
    }])
}

fn read_text(repo: &Repository, commit: Oid, path: &str) -> Result<Option<String>, PromoteError> {
    match read_file(repo, commit, path)? {
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| PromoteError::Model(format!("{path} is not UTF-8"))),
        None => Ok(None),
    }
}

fn kustomization(
    repo: &Repository,
    commit: Oid,
    dir: &str,
) -> Result<(String, String), PromoteError> {
    for name in KUSTOMIZATION_FILES {
        let path = join(dir, name);
        if let Some(text) = read_text(repo, commit, &path)? {
            return Ok((path, text));
        }
    }
    Err(PromoteError::Model(format!(
        "no kustomization.yaml in {dir}"
    )))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `newTag` of the `images:` entry named `image`.
pub fn kustomize_tag(text: &str, image: &str) -> Result<String, String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let entry = doc
        .get("images")
        .and_then(Value::as_sequence)
        .and_then(|images| {
            images
                .iter()
                .find(|i| i.get("name").and_then(Value::as_str) == Some(image))
        })
        .ok_or_else(|| format!("no images entry named {image}"))?;
    entry
        .get("newTag")
        .and_then(scalar_text)
        .ok_or_else(|| format!("the images entry {image} has no newTag"))
}

/// The scalar at dotted `key` (`image.tag`).
pub fn values_scalar(text: &str, key: &str) -> Result<String, String> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let mut at = &doc;
    for part in key.split('.') {
        at = at.get(part).ok_or_else(|| format!("no key {key}"))?;
    }
    scalar_text(at).ok_or_else(|| format!("{key} is not a scalar"))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// `key: value  # comment` → (key, value start, value end) within `line`, for a line whose
/// content (after `prefix_len` bytes of indentation and `- `) is a `key: value` pair.
fn key_value_span(line: &str, from: usize) -> Option<(String, usize, usize)> {
    // `from` counts ASCII spaces; anything else (a tab, U+3000) is content, and a `from`
    // that is not a char boundary is no key at all (never a panic on user text).
    let rest = line.get(from..)?;
    let colon = rest.find(':')?;
    let key = rest[..colon]
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();
    let after = &rest[colon + 1..];
    let lead = after.len() - after.trim_start().len();
    let value_start = from + colon + 1 + lead;
    let value = &line[value_start..];
    let end = value
        .find(" #")
        .map(|at| value[..at].trim_end().len())
        .unwrap_or_else(|| value.trim_end().len());
    Some((key, value_start, value_start + end))
}

/// `old` value text replaced by `new`, keeping the old quoting style; a value YAML would
/// read as something other than a string (`1.10`, `true`) is quoted so its type stays.
fn requote(old: &str, new: &str) -> String {
    let plain_is_string =
        matches!(serde_yaml::from_str::<Value>(new), Ok(Value::String(ref s)) if s == new);
    if old.starts_with('\'') {
        format!("'{}'", new.replace('\'', "''"))
    } else if old.starts_with('"') || !plain_is_string {
        format!("\"{}\"", new.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        new.to_string()
    }
}

/// Set `newTag` of the `images:` entry named `image` (adding `newTag` to the entry when it
/// has none).
pub fn set_image_tag(text: &str, image: &str, tag: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines
        .iter()
        .position(|l| indent_of(l) == 0 && l.trim_end().starts_with("images:"))
        .ok_or("no images: list")?;
    // The list's lines: until a line at indent 0 that is not a list item.
    let mut end = start + 1;
    while end < lines.len() {
        let line = lines[end];
        if !is_blank_or_comment(line) && indent_of(line) == 0 && !line.starts_with('-') {
            break;
        }
        end += 1;
    }
    // Items: each starts at a `- ` line.
    let mut items: Vec<(usize, usize)> = Vec::new();
    for (i, line) in lines.iter().enumerate().take(end).skip(start + 1) {
        // The same indentation rule as everywhere here: ASCII spaces only.
        if line[indent_of(line)..].starts_with("- ") {
            if let Some(last) = items.last_mut() {
                last.1 = i;
            }
            items.push((i, end));
        }
    }
    for (first, last) in items {
        let dash = indent_of(lines[first]);
        let field_indent = dash + 2;
        let mut name_line = None;
        let mut tag_line = None;
        for (i, line) in lines.iter().enumerate().take(last).skip(first) {
            if is_blank_or_comment(line) {
                continue;
            }
            let from = if i == first {
                field_indent
            } else {
                indent_of(line)
            };
            if i != first && indent_of(line) != field_indent {
                continue;
            }
            if let Some((key, s, e)) = key_value_span(line, from) {
                match key.as_str() {
                    "name" => {
                        let value = line[s..e].trim_matches(|c| c == '"' || c == '\'');
                        if value == image {
                            name_line = Some(i);
                        }
                    }
                    "newTag" => tag_line = Some((i, s, e)),
                    _ => {}
                }
            }
        }
        let Some(name_line) = name_line else {
            continue;
        };
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        match tag_line {
            Some((i, s, e)) => {
                let line = lines[i];
                out[i] = format!("{}{}{}", &line[..s], requote(&line[s..e], tag), &line[e..]);
            }
            None => {
                let eol = if lines[name_line].ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                out[name_line] = format!(
                    "{}{eol}{}newTag: {}\n",
                    lines[name_line],
                    " ".repeat(field_indent),
                    requote("", tag)
                );
            }
        }
        return Ok(out.concat());
    }
    Err(format!("no images entry named {image}"))
}

/// Set the scalar at `path` (nested mapping keys) in a YAML text.
pub fn set_yaml_scalar(text: &str, path: &[&str], value: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let (mut from, mut to) = (0, lines.len());
    let mut parent_indent: Option<usize> = None;
    for (depth, key) in path.iter().enumerate() {
        // The block's own indentation: its first content line's.
        let level = lines[from..to]
            .iter()
            .find(|l| !is_blank_or_comment(l))
            .map(|l| indent_of(l))
            .ok_or_else(|| format!("no key {}", path[..=depth].join(".")))?;
        if parent_indent.is_some_and(|p| level <= p) {
            return Err(format!("no key {}", path[..=depth].join(".")));
        }
        let found = (from..to).find(|&i| {
            let line = lines[i];
            !is_blank_or_comment(line)
                && indent_of(line) == level
                && key_value_span(line, level).is_some_and(|(k, _, _)| k == *key)
        });
        let Some(i) = found else {
            return Err(format!("no key {}", path[..=depth].join(".")));
        };
        if depth + 1 == path.len() {
            let line = lines[i];
            let (_, s, e) = key_value_span(line, level).ok_or("not a key")?;
            if s == e {
                return Err(format!("{} is not a scalar", path.join(".")));
            }
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            out[i] = format!(
                "{}{}{}",
                &line[..s],
                requote(&line[s..e], value),
                &line[e..]
            );
            return Ok(out.concat());
        }
        // The child block: following lines indented deeper than this key.
        let mut end = i + 1;
        while end < to && (is_blank_or_comment(lines[end]) || indent_of(lines[end]) > level) {
            end += 1;
        }
        from = i + 1;
        to = end;
        parent_indent = Some(level);
    }
    Err("empty key".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kustomize_tag_is_replaced_in_place_keeping_comments_and_quotes() {
        let text = "resources:\n  - ../../base\nimages:\n  - name: registry.example.com/shop/api\n    newTag: 2.0.0\n  - name: registry.example.com/shop/web # the shop\n    newTag: \"1.4.2\" # pinned\nnamespace: shop\n";
        let out = set_image_tag(text, "registry.example.com/shop/web", "1.5.0").expect("set");
        assert_eq!(
            out,
            text.replace("newTag: \"1.4.2\" # pinned", "newTag: \"1.5.0\" # pinned")
        );
        assert_eq!(
            kustomize_tag(&out, "registry.example.com/shop/web").as_deref(),
            Ok("1.5.0")
        );
        assert_eq!(
            kustomize_tag(&out, "registry.example.com/shop/api").as_deref(),
            Ok("2.0.0")
        );
        // An entry without newTag gets one; an unknown image is an error.
        let bare = "images:\n- name: web\n  newName: registry/web\n";
        let out = set_image_tag(bare, "web", "7").expect("set");
        assert_eq!(kustomize_tag(&out, "web").as_deref(), Ok("7"));
        assert!(set_image_tag(bare, "api", "7").is_err());
    }

    #[test]
    fn helm_values_keys_are_found_by_nesting_not_by_name_alone() {
        let text = "tag: top\nimage:\n  repository: registry/web\n  tag: 1.4.2 # current\nsidecar:\n  image:\n    tag: 9\n";
        let out = set_yaml_scalar(text, &["image", "tag"], "1.5.0").expect("set");
        assert_eq!(
            out,
            text.replace("tag: 1.4.2 # current", "tag: 1.5.0 # current")
        );
        assert_eq!(values_scalar(&out, "image.tag").as_deref(), Ok("1.5.0"));
        assert_eq!(values_scalar(&out, "sidecar.image.tag").as_deref(), Ok("9"));
        assert_eq!(values_scalar(&out, "tag").as_deref(), Ok("top"));
        assert!(set_yaml_scalar(text, &["image", "digest"], "x").is_err());
        assert!(set_yaml_scalar(text, &["image"], "x").is_err());
    }

    #[test]
    fn non_ascii_whitespace_and_tabs_are_content_not_indentation() {
        for text in [
            "images:\n  \u{3000}- name: a\n",
            "images:\n  - \u{3000}name: a\n    newTag: 1\n",
            "images:\n\t- name: a\n\t  newTag: 1\n",
            "a:\n  \u{a0}b: 1\n",
        ] {
            let _ = set_image_tag(text, "a", "1.0");
            let _ = set_yaml_scalar(text, &["a", "b"], "x");
        }
        assert_eq!(
            set_image_tag("images:\n  - name: a\n    newTag: \"1\"\n", "a", "2").as_deref(),
            Ok("images:\n  - name: a\n    newTag: \"2\"\n")
        );
    }

    proptest::proptest! {
        #[test]
        fn text_edits_never_panic_on_any_yaml_ish_text(text in "[ \\-a-z:#\"'\n\t\u{3000}\u{a0}\u{2003}]{0,120}") {
            let _ = set_image_tag(&text, "a", "1.0");
            let _ = set_yaml_scalar(&text, &["a", "b"], "x");
            let _ = set_yaml_scalar(&text, &["a"], "x");
        }
    }
}
