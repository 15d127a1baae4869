//! The JSONPath subset that `additionalPrinterColumns` use: `.a.b`, `.a[0].b`, `['a.b']`,
//! `.a[?(@.type=="Ready")].status` (and `\.` in keys). Paths outside it are an error, and the
//! column prints empty cells.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Field(String),
    Index(usize),
    /// `[?(@.a.b=="value")]`: elements whose `a.b` equals the (string) value.
    Filter(Vec<String>, String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct JsonPath(Vec<Segment>);

/// Why a printer column's JSONPath is outside the supported subset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported JSONPath {path:?}: {reason}")]
pub(super) struct JsonPathError {
    path: String,
    reason: &'static str,
}

impl JsonPath {
    pub(super) fn parse(path: &str) -> Result<JsonPath, JsonPathError> {
        let err = |reason| JsonPathError {
            path: path.to_string(),
            reason,
        };
        let trimmed = path.trim();
        let inner = trimmed
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .unwrap_or(trimmed);
        let chars: Vec<char> = inner.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    let mut field = String::new();
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        if chars[i] == '\\' && i + 1 < chars.len() {
                            i += 1;
                        }
                        field.push(chars[i]);
                        i += 1;
                    }
                    if field.is_empty() {
                        return Err(err("empty field name"));
                    }
                    segments.push(Segment::Field(field));
                }
                '[' => {
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == ']')
                        .map(|p| p + i)
                        .ok_or_else(|| err("unclosed ["))?;
                    let body: String = chars[i + 1..close].iter().collect();
                    segments
                        .push(Self::bracket(body.trim()).ok_or_else(|| err("unsupported [...]"))?);
                    i = close + 1;
                }
                _ => return Err(err("expected . or [")),
            }
        }
        Ok(JsonPath(segments))
    }

    fn bracket(body: &str) -> Option<Segment> {
        if let Ok(index) = body.parse::<usize>() {
            return Some(Segment::Index(index));
        }
        if let Some(quoted) = body
            .strip_prefix('\'')
            .and_then(|b| b.strip_suffix('\''))
            .or_else(|| body.strip_prefix('"').and_then(|b| b.strip_suffix('"')))
        {
            return Some(Segment::Field(quoted.to_string()));
        }
        let condition = body.strip_prefix("?(")?.strip_suffix(')')?;
        let (lhs, rhs) = condition.split_once("==")?;
        let field_path = lhs.trim().strip_prefix("@.")?;
        let rhs = rhs.trim();
        let value = rhs
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| rhs.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(rhs);
        let fields = field_path.split('.').map(str::to_string).collect();
        Some(Segment::Filter(fields, value.to_string()))
    }

    /// The first value the path selects (a filter may select several; columns show one).
    pub(super) fn first_match<'a>(&self, obj: &'a Value) -> Option<&'a Value> {
        let mut current: Vec<&Value> = vec![obj];
        for segment in &self.0 {
            current = current
                .into_iter()
                .flat_map(|v| -> Vec<&Value> {
                    match segment {
                        Segment::Field(name) => v.get(name.as_str()).into_iter().collect(),
                        Segment::Index(i) => v.get(*i).into_iter().collect(),
                        Segment::Filter(fields, expected) => v
                            .as_array()
                            .map(|items| {
                                items
                                    .iter()
                                    .filter(|item| {
                                        let field = fields
                                            .iter()
                                            .try_fold(*item, |acc, f| acc.get(f.as_str()));
                                        match field {
                                            Some(Value::String(s)) => s == expected,
                                            Some(other) => {
                                                expected.parse::<Value>().is_ok_and(|e| e == *other)
                                            }
                                            None => false,
                                        }
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }
                })
                .collect();
        }
        current.into_iter().next()
    }
}
