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
        let converted = to_json(value, &child_path(path, key))?;
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
