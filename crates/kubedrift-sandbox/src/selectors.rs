//! Label selectors (equality- and set-based) and field selectors, as list and watch accept them.

use serde_json::Value;

/// Why a selector string could not be parsed (answered as 400 BadRequest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to parse requirement: {0}")]
pub struct SelectorError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<(String, Op)>,
}

/// Split at commas that are not inside parentheses.
fn split_top_level(text: &str) -> Result<Vec<&str>, SelectorError> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(SelectorError(text.to_string()));
                }
            }
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(SelectorError(text.to_string()));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn parse_set(text: &str) -> Result<Vec<String>, SelectorError> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| SelectorError(text.to_string()))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        if text.trim().is_empty() {
            return Ok(LabelSelector { requirements });
        }
        for part in split_top_level(text)? {
            let part = part.trim();
            let err = || SelectorError(part.to_string());
            let (key, op) = if let Some(key) = part.strip_prefix('!') {
                (key.trim(), Op::DoesNotExist)
            } else if let Some((key, value)) = part.split_once("!=") {
                (key.trim(), Op::NotEquals(value.trim().to_string()))
            } else if let Some((key, value)) = part.split_once("==") {
                (key.trim(), Op::Equals(value.trim().to_string()))
            } else if let Some((key, value)) = part.split_once('=') {
                (key.trim(), Op::Equals(value.trim().to_string()))
            } else if let Some((key, set)) = part.split_once(" notin ") {
                (key.trim(), Op::NotIn(parse_set(set)?))
            } else if let Some((key, set)) = part.split_once(" in ") {
                (key.trim(), Op::In(parse_set(set)?))
            } else {
                (part, Op::Exists)
            };
            if !valid_key(key) {
                return Err(err());
            }
            requirements.push((key.to_string(), op));
        }
        Ok(LabelSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether the object's metadata.labels satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels").and_then(Value::as_object);
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.requirements.iter().all(|(key, op)| match op {
            Op::Equals(v) => label(key) == Some(v.as_str()),
            Op::NotEquals(v) => label(key) != Some(v.as_str()),
            Op::In(set) => label(key).is_some_and(|l| set.iter().any(|v| v == l)),
            Op::NotIn(set) => label(key).is_none_or(|l| !set.iter().any(|v| v == l)),
            Op::Exists => label(key).is_some(),
            Op::DoesNotExist => label(key).is_none(),
        })
    }
}

/// A parsed field selector (`metadata.name=web,metadata.namespace!=kube-system`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<(String, bool, String)>,
}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (path, equal, value) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, true, v)
            } else {
                return Err(SelectorError(part.to_string()));
            };
            let path = path.trim();
            if path.is_empty() {
                return Err(SelectorError(part.to_string()));
            }
            requirements.push((path.to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Fields are looked up by their dotted path; missing fields compare as "".
    pub fn matches(&self, obj: &Value) -> bool {
        self.requirements.iter().all(|(path, equal, value)| {
            let mut node = Some(obj);
            for segment in path.split('.') {
                node = node.and_then(|n| n.get(segment));
            }
            let actual = match node {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            (actual == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "web-7d9f8b6c5-x2x9q", "namespace": "shop", "labels": labels},
               "spec": {"nodeName": "sandbox-node-1"}})
    }

    #[test]
    fn equality_and_set_based_requirements() {
        let p = pod(json!({"app": "web", "tier": "frontend", "pod-template-hash": "7d9f8b6c5"}));
        let sel = |s: &str| LabelSelector::parse(s).expect("valid selector");
        assert!(sel("app=web").matches(&p));
        assert!(sel("app==web,tier!=backend").matches(&p));
        assert!(sel("tier in (frontend, backend),app").matches(&p));
        assert!(!sel("tier notin (frontend)").matches(&p));
        assert!(sel("!canary").matches(&p));
        assert!(!sel("canary").matches(&p));
        assert!(sel("").matches(&p));
        assert!(LabelSelector::parse("tier in (a,b").is_err());
        assert!(LabelSelector::parse("=x").is_err());
    }

    #[test]
    fn field_selectors_follow_dotted_paths() {
        let p = pod(json!({}));
        let sel = |s: &str| FieldSelector::parse(s).expect("valid selector");
        assert!(sel("metadata.name=web-7d9f8b6c5-x2x9q").matches(&p));
        assert!(sel("metadata.namespace!=kube-system,spec.nodeName=sandbox-node-1").matches(&p));
        assert!(!sel("metadata.namespace=default").matches(&p));
        assert!(FieldSelector::parse("metadata.name").is_err());
    }
}
