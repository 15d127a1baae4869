//! Structured field paths: `spec.template.spec.containers[name=web].image`.
//!
//! Paths stay structured (not strings) so the live layer can map them onto managedFields
//! (`f:spec`, `k:{"name":"web"}`) for attribution, and so ignore rules can be matched exactly.

use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt::{self, Write as _};

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A map key: `spec`, `app.kubernetes.io/name`.
    Key(String),
    /// An item of a keyed list, identified by its key fields in key order, e.g.
    /// `[("containerPort", 8080), ("protocol", "TCP")]`.
    Item(Vec<(String, Value)>),
    /// A position in a list that has no key (`args[0]`).
    Index(usize),
}

/// A path to a field inside an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// The empty path (the object itself).
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// A path of plain map keys: `FieldPath::keys(&["spec", "replicas"])`.
    pub fn keys(keys: &[&str]) -> Self {
        FieldPath(
            keys.iter()
                .map(|k| Segment::Key((*k).to_string()))
                .collect(),
        )
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// This path extended by one segment.
    pub fn child(&self, segment: Segment) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment);
        FieldPath(segments)
    }

    /// True if `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &FieldPath) -> bool {
        self.0.len() >= other.0.len() && self.0[..other.0.len()] == other.0[..]
    }

    /// True if one path lies inside the other (or they are equal).
    pub fn overlaps(&self, other: &FieldPath) -> bool {
        self.starts_with(other) || other.starts_with(self)
    }
}

/// True for keys shown bare after a dot: ASCII letters, digits, `_` and `-`, not starting
/// with a digit or `-`.
fn is_plain_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

/// A key value inside `[...]`: numbers and booleans bare, simple strings bare, anything else
/// as a JSON string.
fn write_key_value(out: &mut fmt::Formatter<'_>, value: &Value) -> fmt::Result {
    match value {
        Value::String(s)
            if !s.is_empty()
                && s.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':')
                }) =>
        {
            out.write_str(s)
        }
        Value::String(s) => write!(out, "{}", Value::String(s.clone())),
        other => write!(out, "{other}"),
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_identifier(key) => {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => write!(f, "[{}]", Value::String(key.clone()))?,
                Segment::Item(fields) => {
                    f.write_char('[')?;
                    for (n, (name, value)) in fields.iter().enumerate() {
                        if n > 0 {
                            f.write_char(',')?;
                        }
                        write!(f, "{name}=")?;
                        write_key_value(f, value)?;
                    }
                    f.write_char(']')?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// True when `item` is an object whose key fields equal `fields` (a missing `protocol` counts
/// as `TCP`, as the API server defaults it).
pub fn item_matches(item: &Value, fields: &[(String, Value)]) -> bool {
    fields.iter().all(|(name, want)| {
        let got = item.get(name.as_str());
        match got {
            Some(v) => crate::engine::schema::key_values_equal(v, want),
            None => crate::engine::schema::default_key_value(name)
                .is_some_and(|d| crate::engine::schema::key_values_equal(d, want)),
        }
    })
}

/// The value at `path` inside `value`, if present. Keyed items are found by their key fields.
pub fn get<'a>(value: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut current = value;
    for segment in &path.0 {
        current = match segment {
            Segment::Key(key) => current.as_object()?.get(key)?,
            Segment::Index(index) => current.as_array()?.get(*index)?,
            Segment::Item(fields) => current
                .as_array()?
                .iter()
                .find(|item| item_matches(item, fields))?,
        };
    }
    Some(current)
}

/// Remove the value at `path` from `value` (no-op when absent). Returns true if removed.
pub fn remove(value: &mut Value, path: &FieldPath) -> bool {
    let Some((last, parents)) = path.0.split_last() else {
        return false;
    };
    let mut current = value;
    for segment in parents {
        let next = match segment {
            Segment::Key(key) => current.as_object_mut().and_then(|m| m.get_mut(key)),
            Segment::Index(index) => current.as_array_mut().and_then(|a| a.get_mut(*index)),
            Segment::Item(fields) => current
                .as_array_mut()
                .and_then(|a| a.iter_mut().find(|item| item_matches(item, fields))),
        };
        match next {
            Some(next) => current = next,
            None => return false,
        }
    }
    match last {
        Segment::Key(key) => current
            .as_object_mut()
            .is_some_and(|m| m.shift_remove(key).is_some()),
        Segment::Index(index) => match current.as_array_mut() {
            Some(items) if *index < items.len() => {
                items.remove(*index);
                true
            }
            _ => false,
        },
        Segment::Item(fields) => match current.as_array_mut() {
            Some(items) => {
                let before = items.len();
                items.retain(|item| !item_matches(item, fields));
                before != items.len()
            }
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn display_of_keys_items_and_indexes() {
        let path = FieldPath(vec![
            Segment::Key("spec".into()),
            Segment::Key("template".into()),
            Segment::Key("spec".into()),
            Segment::Key("containers".into()),
            Segment::Item(vec![("name".into(), json!("web"))]),
            Segment::Key("ports".into()),
            Segment::Item(vec![
                ("containerPort".into(), json!(8080)),
                ("protocol".into(), json!("TCP")),
            ]),
        ]);
        assert_eq!(
            path.to_string(),
            "spec.template.spec.containers[name=web].ports[containerPort=8080,protocol=TCP]"
        );
        let labels = FieldPath::keys(&["metadata", "labels", "app.kubernetes.io/name"]);
        assert_eq!(
            labels.to_string(),
            r#"metadata.labels["app.kubernetes.io/name"]"#
        );
        let args = FieldPath(vec![Segment::Key("args".into()), Segment::Index(0)]);
        assert_eq!(args.to_string(), "args[0]");
        assert_eq!(serde_json::to_value(&args).ok(), Some(json!("args[0]")));
    }

    #[test]
    fn odd_key_values_are_quoted() {
        let path = FieldPath(vec![
            Segment::Key("env".into()),
            Segment::Item(vec![("name".into(), json!("a,b=c]"))]),
        ]);
        assert_eq!(path.to_string(), r#"env[name="a,b=c]"]"#);
    }

    #[test]
    fn get_and_remove_follow_keyed_items() {
        let mut obj = json!({"spec": {"ports": [
            {"port": 80, "protocol": "TCP", "targetPort": 8080},
            {"port": 53, "protocol": "UDP"}
        ]}});
        let path = FieldPath(vec![
            Segment::Key("spec".into()),
            Segment::Key("ports".into()),
            Segment::Item(vec![
                ("port".into(), json!(80)),
                ("protocol".into(), json!("TCP")),
            ]),
            Segment::Key("targetPort".into()),
        ]);
        assert_eq!(get(&obj, &path), Some(&json!(8080)));
        assert!(remove(&mut obj, &path));
        assert_eq!(get(&obj, &path), None);
        assert!(!remove(&mut obj, &path));
    }
}
