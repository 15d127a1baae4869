//! Per-app ignore rules (like Argo CD's ignoreDifferences and Flux's spec.ignore).
//!
//! A rule names RFC 6901 JSON pointers (`/spec/replicas`, `/metadata/labels/app.kubernetes.io~1name`)
//! and optionally a target (group/kind/name/namespace). Pointers are resolved against each
//! side into structured [`FieldPath`]s, so an index into a keyed list (`/spec/template/spec/
//! containers/0/image`) ignores that container by name wherever it sits on the other side.

use crate::engine::fieldpath::{FieldPath, Segment};
use crate::engine::schema::{self, ItemKey, ListKind};
use crate::model::group_of;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Ignore the fields at `json_pointers` on objects matching the optional target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// API group of the target (`apps`; empty string for core). None matches any group.
    #[serde(default)]
    pub group: Option<String>,
    /// Kind of the target. None matches any kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// Name of the target. None matches any name.
    #[serde(default)]
    pub name: Option<String>,
    /// Namespace of the target. None matches any namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// RFC 6901 JSON pointers, e.g. `/spec/replicas`.
    #[serde(default)]
    pub json_pointers: Vec<String>,
}

/// Why an ignore rule is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreError {
    #[error("ignore rule has no json pointers")]
    NoPointers,
    #[error("json pointer {pointer:?} is empty: it would ignore the whole object")]
    WholeObject { pointer: String },
    #[error("json pointer {pointer:?} must start with '/'")]
    MissingLeadingSlash { pointer: String },
    #[error("json pointer {pointer:?} has an invalid escape: '~' must be followed by 0 or 1")]
    BadEscape { pointer: String },
}

/// Split an RFC 6901 pointer into unescaped reference tokens (`~1` → `/`, `~0` → `~`).
pub fn parse_pointer(pointer: &str) -> Result<Vec<String>, IgnoreError> {
    if pointer.is_empty() {
        return Err(IgnoreError::WholeObject {
            pointer: pointer.to_string(),
        });
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(IgnoreError::MissingLeadingSlash {
            pointer: pointer.to_string(),
        });
    };
    rest.split('/')
        .map(|raw| {
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => token.push('~'),
                        Some('1') => token.push('/'),
                        _ => {
                            return Err(IgnoreError::BadEscape {
                                pointer: pointer.to_string(),
                            })
                        }
                    }
                } else {
                    token.push(c);
                }
            }
            Ok(token)
        })
        .collect()
}

impl IgnoreRule {
    /// Check every pointer; the error names the first bad one.
    pub fn validate(&self) -> Result<(), IgnoreError> {
        if self.json_pointers.is_empty() {
            return Err(IgnoreError::NoPointers);
        }
        for pointer in &self.json_pointers {
            parse_pointer(pointer)?;
        }
        Ok(())
    }

    /// True when the rule's target (every field it sets) matches the object.
    pub fn targets(&self, group: &str, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.group.as_deref().is_none_or(|g| g == group)
            && self.kind.as_deref().is_none_or(|k| k == kind)
            && self.name.as_deref().is_none_or(|n| n == name)
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| namespace == Some(ns))
    }
}

/// Resolve pointer tokens against `obj` into a structured path: list indexes become keyed
/// items where the list is keyed and the item exists, plain indexes otherwise.
pub fn resolve_pointer(kind: &str, tokens: &[String], obj: &Value) -> FieldPath {
    let mut segments = Vec::with_capacity(tokens.len());
    let mut current = Some(obj);
    let mut field = "";
    for token in tokens {
        match current {
            Some(Value::Array(items)) => {
                let index = token.parse::<usize>().ok();
                let item = index.and_then(|i| items.get(i));
                let keyed = match (schema::list_kind(kind, field, items), item) {
                    (ListKind::Keyed(spec), Some(item)) => {
                        ItemKey::of(spec, item).map(|key| Segment::Item(key.to_fields()))
                    }
                    _ => None,
                };
                segments.push(match (keyed, index) {
                    (Some(segment), _) => segment,
                    (None, Some(i)) => Segment::Index(i),
                    (None, None) => Segment::Key(token.clone()),
                });
                current = item;
            }
            Some(Value::Object(map)) => {
                segments.push(Segment::Key(token.clone()));
                current = map.get(token);
                field = token;
            }
            _ => {
                segments.push(Segment::Key(token.clone()));
                current = None;
                field = token;
            }
        }
    }
    FieldPath(segments)
}

/// Identity of the object a comparison is about, for matching rule targets.
struct Target<'a> {
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

fn target_of<'a>(desired: Option<&'a Value>, live: Option<&'a Value>) -> Target<'a> {
    let field = |path: &[&str]| -> Option<&'a str> {
        [live, desired].into_iter().flatten().find_map(|obj| {
            let mut v = obj;
            for key in path {
                v = v.get(*key)?;
            }
            v.as_str().filter(|s| !s.is_empty())
        })
    };
    Target {
        group: group_of(field(&["apiVersion"]).unwrap_or("")),
        kind: field(&["kind"]).unwrap_or(""),
        namespace: field(&["metadata", "namespace"]),
        name: field(&["metadata", "name"]).unwrap_or(""),
    }
}

/// Every path the rules that target this object ignore, resolved on both sides (deduplicated).
/// Invalid pointers are skipped here; [`IgnoreRule::validate`] reports them at load time.
pub fn ignored_paths(
    rules: &[IgnoreRule],
    desired: Option<&Value>,
    live: Option<&Value>,
) -> Vec<FieldPath> {
    if rules.is_empty() {
        return Vec::new();
    }
    let target = target_of(desired, live);
    let mut paths: Vec<FieldPath> = Vec::new();
    for rule in rules {
        if !rule.targets(target.group, target.kind, target.namespace, target.name) {
            continue;
        }
        for pointer in &rule.json_pointers {
            let Ok(tokens) = parse_pointer(pointer) else {
                continue;
            };
            for side in [desired, live].into_iter().flatten() {
                let path = resolve_pointer(target.kind, &tokens, side);
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_escapes() {
        assert_eq!(
            parse_pointer("/metadata/annotations/app.kubernetes.io~1name"),
            Ok(vec![
                "metadata".into(),
                "annotations".into(),
                "app.kubernetes.io/name".into()
            ])
        );
        assert_eq!(parse_pointer("/a~0b"), Ok(vec!["a~b".into()]));
        assert_eq!(parse_pointer("/"), Ok(vec![String::new()]));
    }

    #[test]
    fn invalid_pointers_are_validation_errors() {
        let rule = |p: &str| IgnoreRule {
            json_pointers: vec!["/spec/replicas".into(), p.into()],
            ..IgnoreRule::default()
        };
        assert!(matches!(
            rule("spec").validate(),
            Err(IgnoreError::MissingLeadingSlash { .. })
        ));
        assert!(matches!(
            rule("/a~2").validate(),
            Err(IgnoreError::BadEscape { .. })
        ));
        assert!(matches!(
            rule("/a~").validate(),
            Err(IgnoreError::BadEscape { .. })
        ));
        assert!(matches!(
            rule("").validate(),
            Err(IgnoreError::WholeObject { .. })
        ));
        assert_eq!(
            IgnoreRule::default().validate(),
            Err(IgnoreError::NoPointers)
        );
        assert_eq!(
            rule("/spec/template/spec/containers/0/image").validate(),
            Ok(())
        );
    }

    #[test]
    fn targets_match_every_set_field() {
        let rule = IgnoreRule {
            group: Some("apps".into()),
            kind: Some("Deployment".into()),
            namespace: Some("shop".into()),
            json_pointers: vec!["/spec/replicas".into()],
            ..IgnoreRule::default()
        };
        assert!(rule.targets("apps", "Deployment", Some("shop"), "web"));
        assert!(!rule.targets("apps", "Deployment", Some("other"), "web"));
        assert!(!rule.targets("", "Deployment", Some("shop"), "web"));
        assert!(!rule.targets("apps", "StatefulSet", Some("shop"), "web"));
    }

    #[test]
    fn list_indexes_resolve_to_keyed_items() {
        let obj = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx"}], "args": ["a"]}}}});
        let tokens = parse_pointer("/spec/template/spec/containers/0/image").unwrap_or_default();
        assert_eq!(
            resolve_pointer("Deployment", &tokens, &obj).to_string(),
            "spec.template.spec.containers[name=web].image"
        );
        let tokens = parse_pointer("/spec/template/spec/args/0").unwrap_or_default();
        assert_eq!(
            resolve_pointer("Deployment", &tokens, &obj).to_string(),
            "spec.template.spec.args[0]"
        );
    }
}
