//! serde_yaml values → serde_json values, the representation every other module works with.
//!
//! Done by hand rather than through serde so that merge keys (`<<`) are applied with YAML's
//! rules (explicit keys win, earlier merge sources win over later ones), tags are dropped,
//! and anything JSON cannot represent is reported instead of silently changed.

use serde_json::{Map, Number, Value as Json};
use serde_yaml::Value as Yaml;

/// Why a YAML value has no JSON equivalent. Messages never include values (they may be
/// secrets), only the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ConvertError {
    #[error("{path}: mapping keys must be strings, found a {found}")]
    NonStringKey { path: String, found: &'static str },
    #[error("{path}: number is not representable in JSON (NaN or infinite)")]
    NonFiniteNumber { path: String },
    #[error("{path}: merge key `<<` must refer to a mapping or a list of mappings")]
    BadMerge { path: String },
}

/// A short name of the kind of a YAML value, for messages.
pub(crate) fn kind_name(value: &Yaml) -> &'static str {
    match value {
        Yaml::Null => "null",
        Yaml::Bool(_) => "boolean",
        Yaml::Number(_) => "number",
        Yaml::String(_) => "string",
        Yaml::Sequence(_) => "sequence",
        Yaml::Mapping(_) => "mapping",
        Yaml::Tagged(tagged) => kind_name(&tagged.value),
    }
}

/// Convert `value` to JSON. `path` is the dotted field path used in error messages.
pub(crate) fn to_json(value: &Yaml, path: &str) -> Result<Json, ConvertError> {
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Json::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(number) => Json::Number(number),
                    None => {
                        return Err(ConvertError::NonFiniteNumber {
                            path: path.to_string(),
                        })
                    }
                }
            }
        }
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                out.push(to_json(item, &format!("{path}[{index}]"))?);
            }
            Json::Array(out)
        }
        Yaml::Mapping(mapping) => Json::Object(mapping_to_json(mapping, path)?),
        Yaml::Tagged(tagged) => to_json(&tagged.value, path)?,
    })
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn mapping_to_json(
    mapping: &serde_yaml::Mapping,
    path: &str,
) -> Result<Map<String, Json>, ConvertError> {
    let mut out = Map::new();
    let mut merges = Vec::new();
    for (key, value) in mapping {
        let key = match key {
            Yaml::String(s) => s.as_str(),
            Yaml::Tagged(tagged) => match &tagged.value {
                Yaml::String(s) => s.as_str(),
                other => {
                    return Err(ConvertError::NonStringKey {
                        path: path_or_root(path),
                        found: kind_name(other),
                    })
                }
            },
            other => {
                return Err(ConvertError::NonStringKey {
                    path: path_or_root(path),
                    found: kind_name(other),
                })
            }
        };
        if key == "<<" {
            merges.push(value);
            continue;
        }
        let mut converted = to_json(value, &child_path(path, key))?;
        if is_file_mode_field(path, key) {
            if let Some(mode) = converted.as_str().and_then(yaml_1_1_octal) {
                converted = Json::Number(mode.into());
            }
        }
        out.insert(key.to_string(), converted);
    }
    for merge in merges {
        let sources: Vec<&Yaml> = match untag(merge) {
            Yaml::Mapping(_) => vec![merge],
            Yaml::Sequence(items) => items.iter().collect(),
            _ => {
                return Err(ConvertError::BadMerge {
                    path: path_or_root(path),
                })
            }
        };
        for source in sources {
            let Yaml::Mapping(source) = untag(source) else {
                return Err(ConvertError::BadMerge {
                    path: path_or_root(path),
                });
            };
            for (key, value) in mapping_to_json(source, path)? {
                out.entry(key).or_insert(value);
            }
        }
    }
    Ok(out)
}

/// File-mode fields of pod volumes (`defaultMode`, `items[].mode` of configMap, secret,
/// projected and downwardAPI volumes): int32 in the API, conventionally written in octal.
///
/// kubectl parses YAML 1.1, where a plain `0644` is the octal integer 420; serde_yaml follows
/// YAML 1.2 and keeps it the string "0644". serde_yaml's `Value` does not say whether the
/// scalar was quoted, so the YAML 1.1 reading is applied only where the API type is an
/// integer: there a string is never valid, so a quoted "0644" cannot mean text.
fn is_file_mode_field(path: &str, key: &str) -> bool {
    matches!(key, "defaultMode" | "mode") && path.contains("volumes[")
}

/// A YAML 1.1 octal integer (`0644`, `-0755`), as kubectl's YAML parser reads it.
fn yaml_1_1_octal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let octal = digits.strip_prefix('0')?;
    if octal.is_empty() || !octal.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let value = i64::from_str_radix(octal, 8).ok()?;
    Some(if negative { -value } else { value })
}

fn untag(value: &Yaml) -> &Yaml {
    match value {
        Yaml::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

fn path_or_root(path: &str) -> String {
    if path.is_empty() {
        "(top level)".to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn convert(text: &str) -> Result<Json, ConvertError> {
        let value: Yaml = serde_yaml::from_str(text).unwrap();
        to_json(&value, "")
    }

    #[test]
    fn yaml_1_1_octal_only_for_volume_file_modes() {
        assert_eq!(yaml_1_1_octal("0644"), Some(420));
        assert_eq!(yaml_1_1_octal("-0755"), Some(-493));
        for text in ["0", "08", "0o644", "644", "0644 ", "", "-", "0x1A4"] {
            assert_eq!(yaml_1_1_octal(text), None, "{text}");
        }
        let out = convert(
            "volumes:\n- name: c\n  configMap: {name: c, defaultMode: 0644, items: [{key: k, path: p, mode: 0400}]}\nmode: 0644\ndata: {defaultMode: 0644}",
        )
        .unwrap();
        assert_eq!(out["volumes"][0]["configMap"]["defaultMode"], json!(420));
        assert_eq!(
            out["volumes"][0]["configMap"]["items"][0]["mode"],
            json!(256)
        );
        assert_eq!(out["mode"], json!("0644"));
        assert_eq!(out["data"]["defaultMode"], json!("0644"));
    }

    #[test]
    fn numbers_keep_their_type() {
        let out = convert("a: 1\nb: -2\nc: 18446744073709551615\nd: 1.5\ne: '3'").unwrap();
        assert_eq!(
            out,
            json!({"a": 1, "b": -2, "c": 18446744073709551615u64, "d": 1.5, "e": "3"})
        );
    }

    #[test]
    fn merge_keys_and_anchors() {
        let out = convert(
            "base: &b {cpu: 1, mem: 2}\nother: &o {mem: 9, disk: 3}\nc:\n  <<: [*b, *o]\n  cpu: 5\n",
        )
        .unwrap();
        assert_eq!(out["c"], json!({"cpu": 5, "mem": 2, "disk": 3}));
    }

    #[test]
    fn nested_merges_are_applied() {
        let out = convert("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\n").unwrap();
        assert_eq!(out["c"], json!({"y": 2, "x": 1}));
    }

    #[test]
    fn tags_are_dropped() {
        let out = convert("a: !custom {b: 1}\n").unwrap();
        assert_eq!(out, json!({"a": {"b": 1}}));
    }

    #[test]
    fn non_string_keys_are_errors() {
        let err = convert("data:\n  1: one\n").unwrap_err();
        assert_eq!(
            err,
            ConvertError::NonStringKey {
                path: "data".into(),
                found: "number"
            }
        );
    }

    #[test]
    fn nan_is_an_error() {
        assert!(matches!(
            convert("a: .nan").unwrap_err(),
            ConvertError::NonFiniteNumber { .. }
        ));
    }
}
