//! Parsed manifests in the persistent render cache: the objects of a render stored as JSON,
//! so that a start with unchanged Git parses no YAML (parsing YAML was most of a warm
//! start's render time; reading JSON back is several times faster).
//!
//! Only successes are stored: a file that did not parse is parsed (and reported) again on
//! every start. What is stored is exactly what the parser returned, checked when storing:
//! an encoding that does not read back equal (a float JSON text cannot carry exactly, say)
//! is not stored. The parser is part of the key: objects parsed by another kubedrift binary
//! (path, size, modification time) are not trusted, since its parser may differ.

use super::disk_cache::{tool_identity, ParsedObjects};
use crate::manifest::{ManifestObject, ParsedFile, SourceLocation};
use serde_json::Value as Json;
use std::sync::LazyLock;

/// The identity of the running kubedrift binary, `None` when it cannot be read (then
/// nothing parsed is stored or used).
pub(crate) fn parser_identity() -> Option<&'static str> {
    static IDENTITY: LazyLock<Option<String>> = LazyLock::new(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| tool_identity(&exe))
    });
    IDENTITY.as_deref()
}

#[derive(serde::Serialize)]
struct EntryOut<'a> {
    warnings: &'a [String],
    objects: Vec<ObjectOut<'a>>,
}

#[derive(serde::Serialize)]
struct ObjectOut<'a> {
    file: &'a str,
    line: usize,
    object: &'a Json,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryIn {
    warnings: Vec<String>,
    objects: Vec<ObjectIn>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectIn {
    file: String,
    line: usize,
    object: Json,
}

/// `parsed` as it is stored, `None` when it would not read back equal or no parser identity
/// is known.
pub(crate) fn encode(parsed: &ParsedFile) -> Option<ParsedObjects> {
    let parser = parser_identity()?;
    let entry = EntryOut {
        warnings: &parsed.warnings,
        objects: parsed
            .objects
            .iter()
            .map(|o| ObjectOut {
                file: &o.source.file,
                line: o.source.line,
                object: &o.object,
            })
            .collect(),
    };
    let json = serde_json::to_vec(&entry).ok()?;
    if decode_json(&json).as_ref() != Some(parsed) {
        tracing::debug!("parsed manifests do not read back equal from JSON; not cached");
        return None;
    }
    Some(ParsedObjects {
        parser: parser.to_string(),
        json,
    })
}

/// The stored objects, when this binary stored them and they read.
pub(crate) fn decode(stored: &ParsedObjects) -> Option<ParsedFile> {
    if Some(stored.parser.as_str()) != parser_identity() {
        return None;
    }
    decode_json(&stored.json)
}

fn decode_json(json: &[u8]) -> Option<ParsedFile> {
    let entry: EntryIn = serde_json::from_slice(json).ok()?;
    Some(ParsedFile {
        objects: entry
            .objects
            .into_iter()
            .map(|o| ManifestObject {
                object: o.object,
                source: SourceLocation {
                    file: o.file,
                    line: o.line,
                },
            })
            .collect(),
        warnings: entry.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{parse_file, ManifestLimits};

    fn parse(text: &str) -> ParsedFile {
        parse_file(
            "apps/web/quirks.yaml",
            text.as_bytes(),
            &ManifestLimits::default(),
        )
        .expect("parses")
    }

    /// Whatever YAML's rules made of the text (1.1-style octal modes, merge keys, big and
    /// fractional numbers, several documents, skipped ones), the cache gives back the same.
    #[test]
    fn parsed_yaml_reads_back_exactly() {
        let parsed = parse(
            "# leading comment\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    tier: web\n\
             data:\n  on: \"yes\"\n  empty: \"\"\n---\n\
             a_config_file: true\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n  annotations: &l\n    tier: web\n  labels:\n    <<: *l\n    extra: x\n\
             spec:\n  replicas: 3\n  big: 18446744073709551615\n  neg: -9223372036854775808\n  \
             ratio: 0.1\n  exp: 1e3\n  tiny: 5e-324\n  template:\n    spec:\n      volumes:\n        \
             - name: v\n          secret:\n            defaultMode: 0644\n---\n\
             apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    \
             metadata:\n      name: c\n    stringData:\n      k: \"ünïcode \\u0000 \\t\"\n",
        );
        assert_eq!(parsed.objects.len(), 3, "{parsed:?}");
        assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
        let stored = encode(&parsed).expect("encodes");
        assert_eq!(decode(&stored), Some(parsed));
    }

    #[test]
    fn another_parser_or_garbage_is_not_used() {
        let parsed = parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
        let stored = encode(&parsed).expect("encodes");
        let other = ParsedObjects {
            parser: format!("{}-older", stored.parser),
            json: stored.json.clone(),
        };
        assert_eq!(decode(&other), None);
        let garbage = ParsedObjects {
            parser: stored.parser.clone(),
            json: b"{\"objects\": 1}".to_vec(),
        };
        assert_eq!(decode(&garbage), None);
    }
}
