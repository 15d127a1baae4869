//! `parse_file`: one YAML or JSON file → Kubernetes objects with the line they start on.

use super::convert::{kind_name, to_json};
use super::split::split_documents;
use super::{ManifestError, ManifestLimits, ManifestObject, ParsedFile, SourceLocation};
use regex::Regex;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use std::sync::LazyLock;

/// Parse one YAML or JSON file.
///
/// - Files named `*.json` are parsed as a JSON stream (one or more values); anything else as
///   multi-document YAML (which also accepts JSON).
/// - Empty and comment-only documents (and `null` documents) are skipped.
/// - `kind: List` (and any `*List` kind with an `items` array) is expanded; each item is
///   located at the list's line.
/// - Documents with neither `apiVersion` nor `kind` are skipped with a warning (config files
///   that happen to be YAML); an object with only one of them, or without `metadata.name`, is
///   an [`ManifestError::Invalid`] error.
/// - Each object's `source.line` is the 1-based line of its document's first content line
///   (not counting a bare `---`, blank lines or comments before it).
///
/// Never panics, whatever the bytes.
pub fn parse_file(
    file: &str,
    bytes: &[u8],
    limits: &ManifestLimits,
) -> Result<ParsedFile, ManifestError> {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(ManifestError::TooLarge {
            file: file.to_string(),
            size,
            limit: limits.max_file_bytes,
        });
    }
    if bytes.contains(&0) {
        return Err(ManifestError::NotText {
            file: file.to_string(),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ManifestError::NotText {
        file: file.to_string(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = ParsedFile::default();
    if file.to_ascii_lowercase().ends_with(".json") {
        parse_json(file, text, &mut parsed)?;
    } else {
        parse_yaml(file, text, &mut parsed)?;
    }
    Ok(parsed)
}

fn parse_yaml(file: &str, text: &str, out: &mut ParsedFile) -> Result<(), ManifestError> {
    for document in split_documents(text) {
        let Some(line) = document.content_line else {
            continue;
        };
        let value: Yaml = serde_yaml::from_str(document.text).map_err(|err| {
            let (err_line, column) = match err.location() {
                Some(location) => (
                    document.first_line + location.line().saturating_sub(1),
                    location.column(),
                ),
                None => (line, 1),
            };
            let duplicate = err.location().and_then(|location| {
                super::duplicate_key::locate(
                    document.text,
                    document.first_line,
                    location.line(),
                    location.column(),
                    &err.to_string(),
                )
            });
            if let Some(duplicate) = duplicate {
                return ManifestError::Syntax {
                    file: file.to_string(),
                    line: document.first_line + duplicate.line - 1,
                    column: duplicate.column,
                    message: duplicate.message,
                };
            }
            ManifestError::Syntax {
                file: file.to_string(),
                line: err_line,
                column,
                message: absolute_message(&err.to_string(), document.first_line, err_line, column),
            }
        })?;
        let value = untag(value);
        let json = match &value {
            Yaml::Null => continue,
            Yaml::Mapping(_) => {
                to_json(&value, "").map_err(|err| invalid(file, line, err.to_string()))?
            }
            other => {
                return Err(invalid(
                    file,
                    line,
                    format!(
                        "expected a Kubernetes object (a mapping), found a {}",
                        kind_name(other)
                    ),
                ))
            }
        };
        add_document(file, line, json, out)?;
    }
    Ok(())
}

fn untag(value: Yaml) -> Yaml {
    match value {
        Yaml::Tagged(tagged) => untag(tagged.value),
        other => other,
    }
}

fn parse_json(file: &str, text: &str, out: &mut ParsedFile) -> Result<(), ManifestError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Json>();
    let mut line = 1usize;
    let mut counted_to = 0usize;
    loop {
        // The next value starts at the first non-whitespace byte after the previous one.
        let offset = stream.byte_offset();
        let rest = text.get(offset..).unwrap_or("");
        let start = offset + (rest.len() - rest.trim_start().len());
        line += text
            .get(counted_to..start)
            .unwrap_or("")
            .bytes()
            .filter(|b| *b == b'\n')
            .count();
        counted_to = start;
        let Some(next) = stream.next() else {
            break;
        };
        let value = next.map_err(|err| {
            let (err_line, column) = (err.line().max(1), err.column().max(1));
            ManifestError::Syntax {
                file: file.to_string(),
                line: err_line,
                column,
                message: absolute_message(&err.to_string(), 1, err_line, column),
            }
        })?;
        match value {
            Json::Null => continue,
            Json::Object(_) => add_document(file, line, value, out)?,
            other => {
                return Err(invalid(
                    file,
                    line,
                    format!(
                        "expected a Kubernetes object (a mapping), found {}",
                        json_kind(&other)
                    ),
                ))
            }
        }
    }
    Ok(())
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn invalid(file: &str, line: usize, message: String) -> ManifestError {
    ManifestError::Invalid {
        file: file.to_string(),
        line,
        message,
    }
}

static POSITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r" at line (\d+) column (\d+)").unwrap_or_else(|_| unreachable!("static regex"))
});

/// Parser messages carry positions relative to the document they were given. Rewrite them
/// to be file-absolute, and drop the one that repeats the error's own position (it is
/// already in the `file:line:column` prefix).
fn absolute_message(message: &str, first_line: usize, line: usize, column: usize) -> String {
    let mut dropped = false;
    POSITION
        .replace_all(message, |caps: &regex::Captures<'_>| {
            let rel_line: usize = caps[1].parse().unwrap_or(1);
            let col: usize = caps[2].parse().unwrap_or(1);
            let abs_line = first_line + rel_line.saturating_sub(1);
            if !dropped && abs_line == line && col == column {
                dropped = true;
                String::new()
            } else {
                format!(" at line {abs_line} column {col}")
            }
        })
        .into_owned()
}

/// Add one parsed document: skip it (non-Kubernetes YAML), expand it (a List) or validate it
/// as a single object.
fn add_document(
    file: &str,
    line: usize,
    value: Json,
    out: &mut ParsedFile,
) -> Result<(), ManifestError> {
    let Json::Object(map) = &value else {
        return Err(invalid(
            file,
            line,
            format!(
                "expected a Kubernetes object (a mapping), found {}",
                json_kind(&value)
            ),
        ));
    };
    if !map.contains_key("apiVersion") && !map.contains_key("kind") {
        out.warnings.push(format!(
            "{file}:{line}: skipped a YAML document that is not a Kubernetes object (no apiVersion or kind)"
        ));
        return Ok(());
    }
    let kind = map
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    let items = map.get("items");
    let is_list = kind.ends_with("List")
        && match items {
            Some(Json::Array(_)) => true,
            None | Some(Json::Null) => kind == "List",
            Some(_) => false,
        };
    if !is_list {
        check_object(&value, "").map_err(|message| invalid(file, line, message))?;
        out.objects.push(ManifestObject {
            object: value,
            source: SourceLocation {
                file: file.to_string(),
                line,
            },
        });
        return Ok(());
    }
    check_type_fields(map, "").map_err(|message| invalid(file, line, message))?;
    let Json::Object(mut map) = value else {
        return Ok(());
    };
    let items = match map.remove("items") {
        Some(Json::Array(items)) => items,
        _ => Vec::new(),
    };
    for (index, item) in items.into_iter().enumerate() {
        let prefix = format!("{kind} items[{index}]: ");
        if !item.is_object() {
            return Err(invalid(
                file,
                line,
                format!(
                    "{prefix}expected a Kubernetes object (a mapping), found {}",
                    json_kind(&item)
                ),
            ));
        }
        check_object(&item, &prefix).map_err(|message| invalid(file, line, message))?;
        out.objects.push(ManifestObject {
            object: item,
            source: SourceLocation {
                file: file.to_string(),
                line,
            },
        });
    }
    Ok(())
}

/// apiVersion and kind must both be non-empty strings.
fn check_type_fields(map: &serde_json::Map<String, Json>, prefix: &str) -> Result<(), String> {
    for field in ["apiVersion", "kind"] {
        match map.get(field) {
            None | Some(Json::Null) => return Err(format!("{prefix}missing {field}")),
            Some(Json::String(s)) if s.trim().is_empty() => {
                return Err(format!("{prefix}{field} is empty"))
            }
            Some(Json::String(_)) => {}
            Some(other) => {
                return Err(format!(
                    "{prefix}{field} must be a string, found {}",
                    json_kind(other)
                ))
            }
        }
    }
    Ok(())
}

/// A single object needs apiVersion, kind and metadata.name (all strings).
fn check_object(value: &Json, prefix: &str) -> Result<(), String> {
    let Json::Object(map) = value else {
        return Err(format!(
            "{prefix}expected a Kubernetes object (a mapping), found {}",
            json_kind(value)
        ));
    };
    check_type_fields(map, prefix)?;
    let metadata = match map.get("metadata") {
        None | Some(Json::Null) => return Err(format!("{prefix}missing metadata.name")),
        Some(Json::Object(metadata)) => metadata,
        Some(other) => {
            return Err(format!(
                "{prefix}metadata must be a mapping, found {}",
                json_kind(other)
            ))
        }
    };
    match metadata.get("name") {
        None | Some(Json::Null) => Err(format!("{prefix}missing metadata.name")),
        Some(Json::String(s)) if s.trim().is_empty() => {
            Err(format!("{prefix}metadata.name is empty"))
        }
        Some(Json::String(_)) => Ok(()),
        Some(other) => Err(format!(
            "{prefix}metadata.name must be a string, found {}",
            json_kind(other)
        )),
    }
}
