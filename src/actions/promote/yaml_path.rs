//! Read and set one scalar of a YAML text by path, editing the scalar's own bytes in place:
//! every comment, blank line, key order, indentation and quoting choice of the file stays as
//! it was (the file is never re-dumped).
//!
//! Paths: `spec.source.targetRevision`, `image.tag`, `images[name=web].newTag` (the list
//! item whose `name` is `web`), `containers[0].image`, `annotations.example\.com/team` (`\.`
//! is a literal dot). In a file of several documents (`---`), a path starting with a key must
//! match in exactly one of them; `[kind=Deployment]` or `[metadata.name=web-prod]` first
//! picks the document (the documents are then the list the selector applies to).
//!
//! The scalar's byte span comes from a YAML parser with source positions (granit-parser), so
//! block and flow styles, comments between keys and multi-line plain scalars are located as
//! YAML reads them, not guessed line by line.

use granit_parser::{Event, Parser, ScalarStyle};
use std::ops::Range;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// A list item by position.
    Index(usize),
    /// The list item (a mapping) whose `key` (dotted for a nested key: `metadata.name`) is the
    /// scalar `value`.
    Match { key: String, value: String },
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlPath {
    pub steps: Vec<Step>,
}

impl std::fmt::Display for YamlPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&key.replace('.', "\\."))?;
                }
                Step::Index(index) => write!(f, "[{index}]")?,
                Step::Match { key, value } => write!(f, "[{key}={value}]")?,
            }
        }
        Ok(())
    }
}

impl YamlPath {
    pub fn parse(text: &str) -> Result<YamlPath, String> {
        let mut steps = Vec::new();
        let mut key = String::new();
        let mut chars = text.chars().peekable();
        // After `]`, a `.` or another `[` must follow.
        let mut after_selector = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => key.push(escaped),
                    None => return Err("ends in a backslash".into()),
                },
                '.' => {
                    if key.is_empty() && !after_selector {
                        return Err("an empty key (two dots, or a leading dot)".into());
                    }
                    if !key.is_empty() {
                        steps.push(Step::Key(std::mem::take(&mut key)));
                    }
                    after_selector = false;
                    if chars.peek().is_none() {
                        return Err("ends in a dot".into());
                    }
                }
                '[' => {
                    if !key.is_empty() {
                        steps.push(Step::Key(std::mem::take(&mut key)));
                    }
                    let mut inner = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == ']' {
                            closed = true;
                            break;
                        }
                        inner.push(c);
                    }
                    if !closed {
                        return Err("a `[` without its `]`".into());
                    }
                    steps.push(selector(&inner)?);
                    after_selector = true;
                }
                ']' => return Err("a `]` without its `[`".into()),
                other => {
                    if after_selector {
                        return Err(format!("`{other}` after `]` (use `.` before the next key)"));
                    }
                    key.push(other);
                }
            }
        }
        if !key.is_empty() {
            steps.push(Step::Key(key));
        }
        if steps.is_empty() {
            return Err("an empty path".into());
        }
        Ok(YamlPath { steps })
    }
}

fn selector(inner: &str) -> Result<Step, String> {
    let inner = inner.trim();
    if let Some((key, value)) = inner.split_once('=') {
        let key = key.trim();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if key.is_empty() {
            return Err(format!("[{inner}]: no key before `=`"));
        }
        return Ok(Step::Match {
            key: key.to_string(),
            value: value.to_string(),
        });
    }
    inner
        .parse::<usize>()
        .map(Step::Index)
        .map_err(|_| format!("[{inner}] is neither a list index nor key=value"))
}

/// A scalar as found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The value as YAML reads it (escapes processed).
    pub value: String,
    pub style: Style,
    /// The scalar's bytes in the text (quotes included for quoted scalars).
    pub span: Range<usize>,
    /// Inside a flow collection (`{a: 1}`, `[x, y]`), where `,[]{}` end a plain scalar.
    pub in_flow: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Block,
}

impl Scalar {
    /// A plain scalar YAML reads as something other than a string (`3`, `true`, `null`):
    /// copied as it is written, so the target gets the same type.
    fn is_typed(&self) -> bool {
        self.style == Style::Plain && !reads_as_string(&self.value)
    }
}

/// True when `text`, written plain, is read back by YAML as the string `text` — by YAML 1.2
/// (serde_yaml) and by the YAML 1.1 reader of Kubernetes and Helm (go-yaml via
/// sigs.k8s.io/yaml), where `yes`, `off`, `0755` or `1_000` are not strings.
fn reads_as_string(text: &str) -> bool {
    let yaml_1_2 = matches!(serde_yaml::from_str::<serde_yaml::Value>(text), Ok(serde_yaml::Value::String(ref s)) if s == text);
    yaml_1_2 && !is_yaml_1_1_non_string(text)
}

/// A plain scalar that YAML 1.1 reads as a bool, a number or null though YAML 1.2 reads it
/// as a string.
fn is_yaml_1_1_non_string(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    if WORDS.contains(&text) {
        return true;
    }
    // Numbers: YAML 1.1 allows `_` separators, `0`-prefixed octal, `0b` binary and base 60.
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let digits: String = unsigned.chars().filter(|c| *c != '_').collect();
    let sexagesimal = unsigned.contains(':')
        && unsigned.split(':').all(|part| {
            let part: String = part.chars().filter(|c| *c != '_').collect();
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
        });
    sexagesimal
        || (!digits.is_empty()
            && unsigned.starts_with(|c: char| c.is_ascii_digit())
            && (digits.parse::<f64>().is_ok()
                || digits
                    .strip_prefix("0b")
                    .is_some_and(|b| !b.is_empty() && b.bytes().all(|b| b == b'0' || b == b'1'))))
}

/// A character YAML lets stand as itself in a quoted scalar (`c-printable` without line
/// breaks); others must be escaped, which only double quotes can.
fn is_printable_in_line(c: char) -> bool {
    matches!(c, '\t' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// `value` as a YAML double-quoted scalar: `"` and `\` escaped, and every character that may
/// not stand as itself (control characters, line breaks, DEL, …) written as an escape.
fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_printable_in_line(c) => out.push(c),
            c if u32::from(c) <= 0xff => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) <= 0xffff => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// The document's node tree with scalar spans (only what locating needs).
#[derive(Debug)]
enum Node {
    Scalar(Scalar),
    Mapping(Vec<(Node, Node)>),
    Sequence(Vec<Node>),
    Alias,
}

/// Parse every document of `text` into nodes.
fn parse(text: &str) -> Result<Vec<Node>, String> {
    let mut documents = Vec::new();
    let mut events = Parser::new_from_str(text);
    // Stack of open collections: (is_mapping, children).
    let mut stack: Vec<(bool, Vec<Node>, bool)> = Vec::new();
    let mut flow_depth = 0usize;
    for next in events.by_ref() {
        let (event, span) = next.map_err(|e| format!("not valid YAML: {e}"))?;
        let node = match event {
            Event::Scalar(value, style, _, _) => {
                let range = span
                    .byte_range()
                    .ok_or("the YAML parser gave no byte offsets")?;
                Node::Scalar(Scalar {
                    value: value.into_owned(),
                    style: match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::SingleQuoted,
                        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                        _ => Style::Block,
                    },
                    span: range,
                    in_flow: flow_depth > 0,
                })
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => Node::Alias,
            Event::MappingStart(style, _, _) | Event::SequenceStart(style, _, _) => {
                let is_mapping = matches!(event, Event::MappingStart(..));
                let flow = matches!(style, granit_parser::StructureStyle::Flow);
                if flow {
                    flow_depth += 1;
                }
                stack.push((is_mapping, Vec::new(), flow));
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some((is_mapping, children, flow)) = stack.pop() else {
                    return Err("unbalanced YAML structure".into());
                };
                if flow {
                    flow_depth = flow_depth.saturating_sub(1);
                }
                if is_mapping {
                    let mut pairs = Vec::new();
                    let mut it = children.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Node::Mapping(pairs)
                } else {
                    Node::Sequence(children)
                }
            }
            Event::StreamEnd => break,
            _ => continue,
        };
        match stack.last_mut() {
            Some((_, children, _)) => children.push(node),
            None => documents.push(node),
        }
    }
    if documents.is_empty() {
        return Err("the file has no YAML content".into());
    }
    Ok(documents)
}

/// The value at dotted `key` (`metadata.name`) below mapping `node`.
fn lookup<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    key.split('.').try_fold(node, |at, part| match at {
        Node::Mapping(pairs) => pairs
            .iter()
            .find(|(k, _)| matches!(k, Node::Scalar(s) if s.value == part))
            .map(|(_, v)| v),
        _ => None,
    })
}

/// The scalar at `path` in `text`.
pub fn find(text: &str, path: &YamlPath) -> Result<Scalar, String> {
    let mut documents = parse(text)?;
    let starts_with_key = matches!(path.steps.first(), Some(Step::Key(_)));
    // A file of one document that is a list: `[0]`, `[name=web]` index that list.
    if documents.len() == 1 && (starts_with_key || matches!(documents[0], Node::Sequence(_))) {
        return walk(&documents.remove(0), path);
    }
    if !starts_with_key {
        // `[kind=Deployment]…`, `[1]…`: the documents are the list.
        return walk(&Node::Sequence(documents), path);
    }
    let count = documents.len();
    let mut found: Vec<Scalar> = documents
        .iter()
        .filter_map(|document| walk(document, path).ok())
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("no {path} in any of the {count} documents")),
        n => Err(format!(
            "{path} is in {n} of the file's {count} documents; pick one with a leading selector, e.g. [metadata.name=web].{path}"
        )),
    }
}

/// The scalar at `path` below `root`.
fn walk(root: &Node, path: &YamlPath) -> Result<Scalar, String> {
    let mut at = root;
    for (depth, step) in path.steps.iter().enumerate() {
        let here = || {
            YamlPath {
                steps: path.steps[..=depth].to_vec(),
            }
            .to_string()
        };
        at = match (step, at) {
            (Step::Key(key), Node::Mapping(pairs)) => pairs
                .iter()
                .find(|(k, _)| matches!(k, Node::Scalar(s) if s.value == *key))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("no key {}", here()))?,
            (Step::Index(index), Node::Sequence(items)) => items
                .get(*index)
                .ok_or_else(|| format!("no item {}", here()))?,
            (Step::Match { key, value }, Node::Sequence(items)) => items
                .iter()
                .find(
                    |item| matches!(lookup(item, key), Some(Node::Scalar(s)) if s.value == *value),
                )
                .ok_or_else(|| format!("no list item {}", here()))?,
            (_, Node::Alias) => {
                return Err(format!(
                    "{} is an alias (*name); edit the anchored value instead",
                    here()
                ))
            }
            (Step::Key(_), _) => return Err(format!("{} : not a mapping there", here())),
            (_, _) => return Err(format!("{} : not a list there", here())),
        };
    }
    match at {
        Node::Scalar(scalar) => Ok(scalar.clone()),
        Node::Alias => Err(format!("{path} is an alias (*name)")),
        _ => Err(format!("{path} is not a scalar value")),
    }
}

/// The text `source` is written as in the place of `target`: the target's quoting kept where
/// it can hold the value; a plain target gets quotes only when plain text would read as
/// something else (`1.10` stays the string it was at the source).
fn rendition(source: &Scalar, target: &Scalar) -> Result<String, String> {
    let value = &source.value;
    let double = || Ok(double_quoted(value));
    // Single quotes and plain text hold a value only when each character can stand as
    // itself (no line break, which would fold, no control character).
    let one_line = value.chars().all(is_printable_in_line);
    match target.style {
        Style::Block => Err(
            "the target is a block scalar (| or >); only single-line values are edited in place"
                .into(),
        ),
        Style::SingleQuoted if one_line => Ok(format!("'{}'", value.replace('\'', "''"))),
        Style::SingleQuoted | Style::DoubleQuoted => double(),
        Style::Plain => {
            let flow_safe = !target.in_flow || !value.contains([',', '[', ']', '{', '}']);
            // A plain source is copied as it is written: it reads the same at the target.
            let as_written = source.style == Style::Plain;
            let plain_ok = !value.is_empty()
                && one_line
                && flow_safe
                && (source.is_typed() || as_written || reads_as_string(value));
            if plain_ok {
                Ok(value.clone())
            } else {
                double()
            }
        }
    }
}

/// The value at `path` in `source_text`, written into `target_text` at `target_path`: only
/// the target scalar's bytes change. Returns the new text and the old and new values.
pub fn copy(
    source_text: &str,
    path: &YamlPath,
    target_text: &str,
    target_path: &YamlPath,
) -> Result<Copied, String> {
    let source = find(source_text, path).map_err(|e| format!("source: {e}"))?;
    if source.style == Style::Block {
        return Err(format!(
            "source: {path} is a block scalar (| or >); only single-line values are copied"
        ));
    }
    let target = find(target_text, target_path).map_err(|e| format!("target: {e}"))?;
    let mut written = rendition(&source, &target).map_err(|e| format!("target: {e}"))?;
    let mut span = target.span.clone();
    if span.is_empty() {
        // An empty value (`tag:`) has no bytes; the parser places it on the key's `:`.
        if !target_text
            .get(span.start..)
            .is_some_and(|rest| rest.starts_with(':'))
        {
            return Err(format!(
                "target: {target_path} is empty and its place cannot be told; write a value (e.g. ~) there first"
            ));
        }
        span = span.start + 1..span.start + 1;
        written.insert(0, ' ');
    }
    let mut text = String::with_capacity(target_text.len() + written.len());
    text.push_str(target_text.get(..span.start).ok_or("bad span")?);
    text.push_str(&written);
    text.push_str(target_text.get(span.end..).ok_or("bad span")?);
    Ok(Copied {
        text,
        old: target.value,
        new: source.value,
    })
}

/// The result of [`copy`].
#[derive(Clone, PartialEq, Eq)]
pub struct Copied {
    pub text: String,
    pub old: String,
    pub new: String,
}

/// Values may be secrets: Debug shows neither.
impl std::fmt::Debug for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Copied").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> YamlPath {
        YamlPath::parse(text).expect("valid path")
    }

    #[test]
    fn paths_parse_and_print_back() {
        for text in [
            "image.tag",
            "spec.source.targetRevision",
            "images[name=web].newTag",
            "spec.template.spec.containers[0].image",
            "metadata.annotations.example\\.com/team",
            "[1].name",
        ] {
            assert_eq!(path(text).to_string(), text);
        }
        assert_eq!(
            path("images[name=web].newTag").steps,
            vec![
                Step::Key("images".into()),
                Step::Match {
                    key: "name".into(),
                    value: "web".into()
                },
                Step::Key("newTag".into())
            ]
        );
        for bad in [
            "", "a..b", ".a", "a.", "a[", "a]", "a[x]", "a[0]b", "a\\", "a[=x]",
        ] {
            assert!(YamlPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    const VALUES: &str = "# Values for prod.\n\n# The image.\nimage:\n  repository: ghcr.io/acme/web   # registry\n  # pinned by release\n  tag: \"1.4.2\"  # current\n\nreplicas: 3\nsidecar: {image: {tag: 9}, name: 'proxy'}\n";

    #[test]
    fn only_the_scalars_bytes_change() {
        let source = "image:\n  tag: 1.5.0\n";
        let copied = copy(source, &path("image.tag"), VALUES, &path("image.tag")).unwrap();
        assert_eq!(
            copied.text,
            VALUES.replace("tag: \"1.4.2\"", "tag: \"1.5.0\"")
        );
        assert_eq!(
            (copied.old.as_str(), copied.new.as_str()),
            ("1.4.2", "1.5.0")
        );
        // Into a flow mapping, keeping the single quotes.
        let copied = copy("n: envoy\n", &path("n"), VALUES, &path("sidecar.name")).unwrap();
        assert_eq!(copied.text, VALUES.replace("'proxy'", "'envoy'"));
        // A number stays a number; a string that looks like one gets quotes.
        let copied = copy("r: 5\n", &path("r"), VALUES, &path("replicas")).unwrap();
        assert_eq!(copied.text, VALUES.replace("replicas: 3", "replicas: 5"));
        let copied = copy("r: '5'\n", &path("r"), VALUES, &path("replicas")).unwrap();
        assert_eq!(
            copied.text,
            VALUES.replace("replicas: 3", "replicas: \"5\"")
        );
        let copied = copy("t: a,b\n", &path("t"), VALUES, &path("sidecar.image.tag")).unwrap();
        assert_eq!(copied.text, VALUES.replace("tag: 9}", "tag: \"a,b\"}"));
    }

    #[test]
    fn list_items_are_found_by_a_key_or_position() {
        let kustomization = "resources:\n  - ../../base\nimages:\n  - name: api # backend\n    newTag: 2.0.0\n  - name: web\n    newName: ghcr.io/acme/web\n    newTag: 1.4.2 # pinned\n";
        let copied = copy(
            "images:\n- name: web\n  newTag: 1.5.0\n",
            &path("images[name=web].newTag"),
            kustomization,
            &path("images[name=web].newTag"),
        )
        .unwrap();
        assert_eq!(
            copied.text,
            kustomization.replace("newTag: 1.4.2 # pinned", "newTag: 1.5.0 # pinned")
        );
        let scalar = find(kustomization, &path("images[0].newTag")).unwrap();
        assert_eq!(scalar.value, "2.0.0");
        assert!(find(kustomization, &path("images[name=db].newTag")).is_err());
        assert!(find(kustomization, &path("images[5]")).is_err());
        assert!(find(kustomization, &path("images.name")).is_err());
        assert!(
            find(kustomization, &path("images")).is_err(),
            "not a scalar"
        );
    }

    #[test]
    fn aliases_and_block_scalars_are_refused_not_guessed() {
        let text = "base: &v 1.0\nprod: *v\nnote: |\n  text\n";
        let err = copy("v: 2\n", &path("v"), text, &path("prod")).unwrap_err();
        assert!(err.contains("alias"), "{err}");
        let err = copy("v: 2\n", &path("v"), text, &path("note")).unwrap_err();
        assert!(err.contains("block scalar"), "{err}");
        let copied = copy("v: 2.0\n", &path("v"), text, &path("base")).unwrap();
        assert_eq!(copied.text, text.replace("&v 1.0", "&v 2.0"));
    }

    #[test]
    fn empty_values_are_filled_after_the_colon() {
        let text = "image:\n  tag:     # set by CI\nother: x\n";
        let copied = copy("v: 1.2.0\n", &path("v"), text, &path("image.tag")).unwrap();
        assert_eq!(
            copied.text,
            "image:\n  tag: 1.2.0     # set by CI\nother: x\n"
        );
        let flow = "a: {b: , c: 1}\n";
        let copied = copy("v: x\n", &path("v"), flow, &path("a.b")).unwrap();
        assert_eq!(copied.text, "a: {b: x , c: 1}\n");
        assert_eq!(find(&copied.text, &path("a.c")).unwrap().value, "1");
    }

    #[test]
    fn in_a_file_of_several_documents_the_path_must_name_one() {
        let manifests = "# web\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1.0 # app\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: worker:1.0\n";
        let image = "spec.template.spec.containers[name=web].image";
        let err = find(manifests, &path(image)).unwrap_err();
        assert!(err.contains("2 of the file's 3 documents"), "{err}");
        assert!(YamlPath::parse("[metadata.name=web][kind=Deployment]").is_ok());
        let pick = format!("[metadata.name=worker].{image}");
        assert_eq!(find(manifests, &path(&pick)).unwrap().value, "worker:1.0");
        let copied = copy(
            "v: web:2.0\n",
            &path("v"),
            manifests,
            &path(&format!("[0].{image}")),
        )
        .unwrap();
        assert_eq!(
            copied.text,
            manifests.replace("web:1.0 # app", "web:2.0 # app")
        );
        // A key every document has is ambiguous; one only one document has needs no
        // selector.
        assert!(find(manifests, &path("metadata.name")).is_err());
        assert_eq!(find("a: 1\n---\nb: 2\n", &path("b")).unwrap().value, "2");
        assert!(find("---\n", &path("a")).is_err());
        assert!(find("", &path("a")).is_err());
    }

    #[test]
    fn values_yaml_cannot_hold_as_they_are_are_escaped_in_double_quotes() {
        // A carriage return would fold to a space in single quotes; control characters and
        // DEL may not stand in a YAML file at all.
        for (source, target) in [
            ("v: \"x\\ry\"\n", "a: 'q' # c\n"),
            ("v: \"x\\u0001y\"\n", "a: 'q' # c\n"),
            ("v: \"x\\u007fy\\u0085z\\u2028\"\n", "a: \"q\" # c\n"),
            (
                "v: \"tab\\tand \\\"quote\\\" \\\\ \u{1F600}\"\n",
                "a: q # c\n",
            ),
        ] {
            let copied = copy(source, &path("v"), target, &path("a")).unwrap();
            let expected = find(source, &path("v")).unwrap().value;
            assert_eq!(
                find(&copied.text, &path("a")).unwrap().value,
                expected,
                "{copied:?} {}",
                copied.text
            );
            assert!(copied.text.ends_with(" # c\n"), "{}", copied.text);
            assert!(
                !copied
                    .text
                    .contains(|c: char| c.is_control() && c != '\n' && c != '\t'),
                "{:?}",
                copied.text
            );
        }
    }

    #[test]
    fn plain_targets_quote_what_yaml_1_1_reads_as_another_type() {
        for word in [
            "yes", "No", "ON", "off", "y", "0755", "1_000", "+12", "1:20", "0b101",
        ] {
            let copied = copy(&format!("v: '{word}'\n"), &path("v"), "a: q\n", &path("a")).unwrap();
            assert_eq!(copied.text, format!("a: \"{word}\"\n"));
        }
        for plain in ["1.2.3", "v1.0", "yes-please", "onion", "web:1.0"] {
            let copied =
                copy(&format!("v: '{plain}'\n"), &path("v"), "a: q\n", &path("a")).unwrap();
            assert_eq!(copied.text, format!("a: {plain}\n"));
        }
        // Written plain at the source, a value is copied as written: it reads the same.
        let copied = copy("v: on\n", &path("v"), "a: off\n", &path("a")).unwrap();
        assert_eq!(copied.text, "a: on\n");
    }

    #[test]
    fn a_leading_selector_picks_the_only_document_too() {
        let text = "kind: Application\nmetadata:\n  name: web-prod\nspec: {v: 1}\n";
        assert_eq!(
            find(text, &path("[metadata.name=web-prod].spec.v"))
                .unwrap()
                .value,
            "1"
        );
        assert_eq!(find(text, &path("[0].spec.v")).unwrap().value, "1");
        assert!(find(text, &path("[metadata.name=web-dev].spec.v")).is_err());
        // A file that is one list: the selector applies to that list.
        let list = "- name: a\n  v: 1\n- name: b\n  v: 2\n";
        assert_eq!(find(list, &path("[name=b].v")).unwrap().value, "2");
        assert_eq!(find(list, &path("[0].v")).unwrap().value, "1");
    }

    proptest::proptest! {
        /// Whatever the file's comments and blank lines and whatever the value, the edit
        /// changes only the value: the text before and after the scalar is byte-identical,
        /// and the edited file reads the new value back.
        #[test]
        fn everything_but_the_value_is_kept(
            comment in "[ a-zA-Z0-9#:'\"-]{0,20}",
            blank in 0usize..3,
            old in "[a-zA-Z0-9.:/_ -]{1,12}",
            new in "[a-zA-Z0-9.:/_ ,'\"#-]{1,12}",
            quote in 0usize..3,
        ) {
            let q = ["", "'", "\""][quote];
            let old_written = match q {
                "'" => format!("'{}'", old.replace('\'', "''")),
                "\"" => serde_json::to_string(&old).unwrap(),
                _ => old.clone(),
            };
            let target = format!(
                "# {comment}\n{}image:\n  # {comment}\n  tag: {old_written}   # {comment}\n{}other: x\n",
                "\n".repeat(blank),
                "\n".repeat(blank),
            );
            let Ok(scalar) = find(&target, &path("image.tag")) else {
                // Plain text YAML reads differently (`a #b`, `a: b`): not a valid fixture.
                return Ok(());
            };
            if scalar.span.is_empty() {
                // An empty value: see `empty_values_are_filled_after_the_colon`.
                return Ok(());
            }
            let source = format!("v: {}\n", serde_json::to_string(&new).unwrap());
            let copied = copy(&source, &path("v"), &target, &path("image.tag")).unwrap();
            proptest::prop_assert_eq!(&copied.text[..scalar.span.start], &target[..scalar.span.start]);
            let tail = &target[scalar.span.end..];
            proptest::prop_assert!(copied.text.ends_with(tail));
            let back = find(&copied.text, &path("image.tag")).unwrap();
            proptest::prop_assert_eq!(&back.value, &new);
            proptest::prop_assert_eq!(
                find(&copied.text, &path("other")).unwrap().value,
                "x".to_string()
            );
        }
    }
}
