//! The last-applied-configuration annotation, parsed into one flat arena.
//!
//! Three-way compare only needs the *shape* of what was applied (which fields, which keyed
//! items) plus the key values of list items, and it parses one annotation per compared
//! object, so this parse is on the hot path. Instead of a `serde_json::Value` (a heap
//! allocation per map, list and string, and a tree to free afterwards) the document is one
//! `Vec` of nodes: the children of a map or list sit next to each other and are named by an
//! index range; strings borrow from the annotation text, and only strings with escapes are
//! decoded (into one side buffer). A parse costs a handful of allocations (the arena and two
//! small stacks, plus the side buffer when a string has escapes), whatever the document.
//!
//! As in serde_json, a key given twice counts once, with its last value.
//!
//! Debug prints only the size: for Secrets the nodes hold the values.
//!
//! The grammar accepted is exactly JSON's (escapes and non-integer numbers are decoded by
//! serde_json itself); a property test holds the parser to `serde_json::from_str`.

use crate::engine::schema::{self, ItemKey, KeySpec};
use serde_json::{Map, Number, Value};

/// Deeper documents are refused, as serde_json refuses them (it stops at 128 levels).
const MAX_DEPTH: usize = 127;

/// A parsed applied manifest. The root is a map.
pub struct AppliedDoc<'a> {
    /// Every node; the children of a container are contiguous; the root is the last node.
    nodes: Vec<Node<'a>>,
    /// Decoded strings (those that had escapes in the text, or came from a `Value`).
    side: String,
}

/// A string of the document: a slice of the text, or a range of the side buffer.
#[derive(Clone, Copy)]
enum Text<'a> {
    Borrowed(&'a str),
    Side { start: u32, end: u32 },
}

enum Slot<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Text<'a>),
    List { start: u32, len: u32 },
    Map { start: u32, len: u32 },
}

struct Node<'a> {
    /// The key in the enclosing map; empty for list items and the root.
    key: Text<'a>,
    slot: Slot<'a>,
}

/// One node of an [`AppliedDoc`], cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Applied<'a> {
    doc: &'a AppliedDoc<'a>,
    index: u32,
}

/// What an [`Applied`] node is. (No Debug: it holds Secret values.)
#[derive(Clone, Copy)]
pub enum View<'a> {
    Null,
    Bool(bool),
    Number(&'a Number),
    String(&'a str),
    List(Children<'a>),
    Map(Children<'a>),
}

/// The children of a map or list node.
#[derive(Debug, Clone, Copy)]
pub struct Children<'a> {
    doc: &'a AppliedDoc<'a>,
    start: u32,
    len: u32,
}

impl<'a> Children<'a> {
    fn nodes(self) -> impl DoubleEndedIterator<Item = (u32, &'a Node<'a>)> {
        let start = self.start;
        self.doc
            .nodes
            .get(start as usize..start as usize + self.len as usize)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(move |(offset, node)| (start + offset as u32, node))
    }

    /// Map entries as `(key, child)`, in document order.
    pub fn entries(self) -> impl DoubleEndedIterator<Item = (&'a str, Applied<'a>)> {
        let doc = self.doc;
        self.nodes()
            .map(move |(index, node)| (doc.text(node.key), Applied { doc, index }))
    }

    /// List items, in order.
    pub fn items(self) -> impl Iterator<Item = Applied<'a>> {
        let doc = self.doc;
        self.nodes().map(move |(index, _)| Applied { doc, index })
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    pub fn len(self) -> usize {
        self.len as usize
    }

    /// True when the entry at `position` has its key again later: serde_json keeps the last.
    pub fn is_shadowed(self, position: usize) -> bool {
        let mut entries = self.entries().skip(position);
        let Some((key, _)) = entries.next() else {
            return false;
        };
        entries.any(|(later, _)| schema::same_key(later, key))
    }

    /// Where `child` sits among these children, if it is one of them.
    pub fn position(self, child: Applied<'_>) -> Option<usize> {
        let offset = child.index.checked_sub(self.start)?;
        (offset < self.len && std::ptr::eq(self.doc, child.doc)).then_some(offset as usize)
    }
}

impl std::fmt::Debug for AppliedDoc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppliedDoc")
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

impl<'a> AppliedDoc<'a> {
    /// Parse the annotation text; `None` unless it is a JSON object.
    pub fn parse(text: &'a str) -> Option<Self> {
        Parser {
            text,
            pos: 0,
            side: String::new(),
        }
        .document()
    }

    /// The document of a `serde_json::Value` object (used for normalized Secrets).
    pub fn from_value(value: &Value) -> Option<AppliedDoc<'static>> {
        if !value.is_object() {
            return None;
        }
        let mut doc = AppliedDoc {
            nodes: Vec::new(),
            side: String::new(),
        };
        let root = doc.node_of(Text::Borrowed(""), value)?;
        doc.nodes.push(root);
        Some(doc)
    }

    /// The root map.
    pub fn root(&self) -> Applied<'_> {
        Applied {
            doc: self,
            index: u32::try_from(self.nodes.len().saturating_sub(1)).unwrap_or(0),
        }
    }

    fn text(&self, text: Text<'a>) -> &str {
        match text {
            Text::Borrowed(s) => s,
            Text::Side { start, end } => self.side.get(start as usize..end as usize).unwrap_or(""),
        }
    }

    /// Append to the side buffer; `None` past 4 GiB (indexes are `u32`).
    fn side_text(&mut self, s: &str) -> Option<Text<'static>> {
        let start = u32::try_from(self.side.len()).ok()?;
        self.side.push_str(s);
        let end = u32::try_from(self.side.len()).ok()?;
        Some(Text::Side { start, end })
    }

    /// Build the node for `value`, appending its descendants (children first).
    fn node_of(&mut self, key: Text<'a>, value: &Value) -> Option<Node<'a>> {
        let slot = match value {
            Value::Null => Slot::Null,
            Value::Bool(b) => Slot::Bool(*b),
            Value::Number(n) => Slot::Number(n.clone()),
            Value::String(s) => Slot::String(self.side_text(s)?),
            Value::Array(items) => {
                let children = items
                    .iter()
                    .map(|item| self.node_of(Text::Borrowed(""), item))
                    .collect::<Option<Vec<Node<'a>>>>()?;
                let (start, len) = self.append(children)?;
                Slot::List { start, len }
            }
            Value::Object(map) => {
                let children = map
                    .iter()
                    .map(|(k, v)| {
                        let key = self.side_text(k)?;
                        self.node_of(key, v)
                    })
                    .collect::<Option<Vec<Node<'a>>>>()?;
                let (start, len) = self.append(children)?;
                Slot::Map { start, len }
            }
        };
        Some(Node { key, slot })
    }

    fn append(&mut self, children: Vec<Node<'a>>) -> Option<(u32, u32)> {
        let start = u32::try_from(self.nodes.len()).ok()?;
        let len = u32::try_from(children.len()).ok()?;
        self.nodes.extend(children);
        Some((start, len))
    }
}

/// A container being parsed.
struct Frame<'a> {
    is_map: bool,
    /// Where its children start in the pending stack.
    first_child: usize,
    /// Its own key in the enclosing map.
    key: Text<'a>,
}

/// The position of the first byte at or after `from` that ends a plain run of string
/// content: `"`, `\\` or a control character (which JSON forbids raw). Eight bytes per step:
/// annotation strings are short, but there are many of them and this scan is most of a parse.
fn special_byte(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `v` that is zero. A borrow can also flag bytes above a true
    // hit, never below it, so the lowest flag is exact.
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGH_BITS;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at.checked_add(8)?) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let hits = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGH_BITS);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes
        .get(at..)?
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|offset| at + offset)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    side: String,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.skip_whitespace();
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.pos.checked_add(word.len())?;
        (self.text.as_bytes().get(self.pos..end)? == word.as_bytes()).then(|| self.pos = end)
    }

    /// A string starting at the opening quote (not yet consumed).
    fn string(&mut self) -> Option<Text<'a>> {
        let bytes = self.text.as_bytes();
        let open = self.pos;
        let mut at = special_byte(bytes, open + 1)?;
        match *bytes.get(at)? {
            b'"' => {
                self.pos = at + 1;
                return Some(Text::Borrowed(self.text.get(open + 1..at)?));
            }
            b'\\' => {}
            _ => return None,
        }
        // Escapes: find the closing quote, then let serde_json decode (\u surrogates etc.).
        loop {
            match *bytes.get(at)? {
                b'"' => break,
                b'\\' => at += 2,
                _ => at += 1,
            }
        }
        let decoded: String = serde_json::from_str(self.text.get(open..=at)?).ok()?;
        self.pos = at + 1;
        let start = self.side.len();
        self.side.push_str(&decoded);
        Some(Text::Side {
            start: u32::try_from(start).ok()?,
            end: u32::try_from(self.side.len()).ok()?,
        })
    }

    /// A map key and the colon after it.
    fn key(&mut self) -> Option<Text<'a>> {
        self.skip_whitespace();
        if self.peek()? != b'"' {
            return None;
        }
        let key = self.string()?;
        (self.next_token()? == b':').then_some(key)
    }

    fn number(&mut self) -> Option<Number> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > from
        };
        let mut at = start;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return None,
        }
        let mut integer = true;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return None;
            }
            integer = false;
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            if !digits(&mut at) {
                return None;
            }
            integer = false;
        }
        self.pos = at;
        let literal = self.text.get(start..at)?;
        if integer && !literal.starts_with('-') {
            if let Ok(n) = literal.parse::<u64>() {
                return Some(Number::from(n));
            }
        }
        // Negative, fractional, exponent or too large: exactly as serde_json reads it.
        serde_json::from_str(literal).ok()
    }

    fn document(mut self) -> Option<AppliedDoc<'a>> {
        let mut nodes: Vec<Node<'a>> = Vec::with_capacity(self.text.len() / 12 + 1);
        let mut pending: Vec<Node<'a>> = Vec::with_capacity(32);
        let mut frames: Vec<Frame<'a>> = Vec::with_capacity(16);
        let mut key = Text::Borrowed("");
        loop {
            // A value starts here; containers open a frame and go on with their first child.
            let mut done = match self.next_token()? {
                b'{' | b'[' if frames.len() >= MAX_DEPTH => return None,
                open @ (b'{' | b'[') => {
                    let is_map = open == b'{';
                    frames.push(Frame {
                        is_map,
                        first_child: pending.len(),
                        key,
                    });
                    self.skip_whitespace();
                    let close = if is_map { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        None
                    } else {
                        key = if is_map {
                            self.key()?
                        } else {
                            Text::Borrowed("")
                        };
                        continue;
                    }
                }
                b'"' => {
                    self.pos -= 1;
                    Some(Slot::String(self.string()?))
                }
                b't' => {
                    self.pos -= 1;
                    self.literal("true")?;
                    Some(Slot::Bool(true))
                }
                b'f' => {
                    self.pos -= 1;
                    self.literal("false")?;
                    Some(Slot::Bool(false))
                }
                b'n' => {
                    self.pos -= 1;
                    self.literal("null")?;
                    Some(Slot::Null)
                }
                b'-' | b'0'..=b'9' => {
                    self.pos -= 1;
                    Some(Slot::Number(self.number()?))
                }
                _ => return None,
            }
            .map(|slot| Node { key, slot });
            // Place the finished value; close every container that ends right after it.
            loop {
                let node = match done.take() {
                    Some(node) => node,
                    None => {
                        // The innermost frame just closed: its children move to the arena.
                        let frame = frames.pop()?;
                        let start = u32::try_from(nodes.len()).ok()?;
                        let len = u32::try_from(pending.len() - frame.first_child).ok()?;
                        nodes.extend(pending.drain(frame.first_child..));
                        let slot = if frame.is_map {
                            Slot::Map { start, len }
                        } else {
                            Slot::List { start, len }
                        };
                        Node {
                            key: frame.key,
                            slot,
                        }
                    }
                };
                let Some(frame) = frames.last() else {
                    self.skip_whitespace();
                    if self.pos != self.text.len() || !matches!(node.slot, Slot::Map { .. }) {
                        return None;
                    }
                    nodes.push(node);
                    return Some(AppliedDoc {
                        nodes,
                        side: self.side,
                    });
                };
                pending.push(node);
                match (self.next_token()?, frame.is_map) {
                    (b',', true) => {
                        key = self.key()?;
                        break;
                    }
                    (b',', false) => {
                        key = Text::Borrowed("");
                        break;
                    }
                    (b'}', true) | (b']', false) => {}
                    _ => return None,
                }
            }
        }
    }
}

impl<'a> Applied<'a> {
    fn node(self) -> Option<&'a Node<'a>> {
        self.doc.nodes.get(self.index as usize)
    }

    /// What this node is.
    pub fn view(self) -> View<'a> {
        let doc = self.doc;
        let Some(node) = self.node() else {
            return View::Null;
        };
        match &node.slot {
            Slot::Null => View::Null,
            Slot::Bool(b) => View::Bool(*b),
            Slot::Number(n) => View::Number(n),
            Slot::String(text) => View::String(doc.text(*text)),
            Slot::List { start, len } => View::List(Children {
                doc,
                start: *start,
                len: *len,
            }),
            Slot::Map { start, len } => View::Map(Children {
                doc,
                start: *start,
                len: *len,
            }),
        }
    }

    pub fn is_null(self) -> bool {
        matches!(self.view(), View::Null)
    }

    pub fn is_string(self) -> bool {
        matches!(self.view(), View::String(_))
    }

    pub fn is_list(self) -> bool {
        matches!(self.view(), View::List(_))
    }

    /// Back to a `serde_json::Value` (for reported key values and tests).
    pub fn to_value(self) -> Value {
        match self.view() {
            View::Null => Value::Null,
            View::Bool(b) => Value::Bool(b),
            View::Number(n) => Value::Number(n.clone()),
            View::String(s) => Value::String(s.to_string()),
            View::List(items) => Value::Array(items.items().map(Applied::to_value).collect()),
            View::Map(entries) => Value::Object(
                entries
                    .entries()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }

    /// Unset in the API server's eyes: null, "", [], {}.
    pub fn is_blank(self) -> bool {
        match self.view() {
            View::Null => true,
            View::String(s) => s.is_empty(),
            View::List(children) | View::Map(children) => children.is_empty(),
            View::Bool(_) | View::Number(_) => false,
        }
    }

    /// The child at `key` of a map node (the last one, should the key repeat).
    pub fn get(self, key: &str) -> Option<Applied<'a>> {
        match self.view() {
            View::Map(entries) => entries
                .entries()
                .rev()
                .find(|(k, _)| schema::same_key(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// True when this scalar equals `value` as a list key (`"8080"` = `8080`).
    fn key_equals(self, value: &Value) -> bool {
        match (self.view(), value) {
            (View::String(a), Value::String(b)) => a == b,
            (View::String(a), Value::Number(b)) => {
                schema::numeric_string(a).is_some_and(|a| b.as_u64() == Some(a))
            }
            (View::Number(a), Value::Number(b)) => {
                a == b || a.as_f64().is_some_and(|a| b.as_f64() == Some(a))
            }
            (View::Number(a), Value::String(b)) => {
                schema::numeric_string(b).is_some_and(|b| a.as_u64() == Some(b))
            }
            (View::Bool(a), Value::Bool(b)) => a == *b,
            _ => false,
        }
    }

    /// The key field value of an item, with the server's default for missing ones.
    fn key_field(self, field: &str) -> Option<KeyValue<'a>> {
        let value = self.get(field);
        match value.map(Applied::view) {
            None | Some(View::Null) => schema::default_key_value(field).map(KeyValue::Default),
            Some(View::String("")) => schema::default_key_value(field).map(KeyValue::Default),
            Some(View::String(_) | View::Number(_) | View::Bool(_)) => value.map(KeyValue::Applied),
            Some(_) => None,
        }
    }

    /// True when this list item has the key `key`.
    pub fn item_has_key(self, key: &ItemKey<'_>) -> bool {
        key.spec
            .fields
            .iter()
            .zip(key.values())
            .all(|(field, want)| match self.key_field(field) {
                Some(KeyValue::Applied(v)) => v.key_equals(want),
                Some(KeyValue::Default(d)) => schema::key_values_equal(d, want),
                None => false,
            })
    }

    /// The key of this list item under `spec` as `(field, value)` pairs.
    pub fn item_key_fields(self, spec: &KeySpec) -> Option<Vec<(String, Value)>> {
        spec.fields
            .iter()
            .map(|field| {
                let value = match self.key_field(field)? {
                    KeyValue::Applied(v) => v.to_value(),
                    KeyValue::Default(d) => d.clone(),
                };
                let value = match &value {
                    Value::String(s) => {
                        schema::numeric_string(s).map_or(value.clone(), Value::from)
                    }
                    _ => value,
                };
                Some(((*field).to_string(), value))
            })
            .collect()
    }
}

enum KeyValue<'a> {
    Applied(Applied<'a>),
    Default(&'static Value),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn parsed(text: &str) -> Option<Value> {
        AppliedDoc::parse(text).map(|doc| doc.root().to_value())
    }

    /// What serde_json makes of `text`, when it is an object.
    fn reference(text: &str) -> Option<Value> {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
    }

    #[test]
    fn parses_borrowing_and_round_trips() {
        let text = r#"{"spec":{"ports":[{"port":80,"name":"http"}],"x":null,"q":"a\"b"}}"#;
        let Some(doc) = AppliedDoc::parse(text) else {
            panic!("parse");
        };
        let applied = doc.root();
        assert_eq!(
            applied.to_value(),
            json!({"spec": {"ports": [{"port": 80, "name": "http"}], "x": null, "q": "a\"b"}})
        );
        assert_eq!(doc.side, "a\"b", "only the escaped string is decoded");
        assert!(AppliedDoc::parse("[1]").is_none());
        assert!(AppliedDoc::parse("{").is_none());
        let port = applied.get("spec").and_then(|s| s.get("ports"));
        let Some(View::List(items)) = port.map(Applied::view) else {
            panic!("ports");
        };
        let Some(item) = items.items().next() else {
            panic!("one port");
        };
        let live = json!({"port": 80, "protocol": "TCP"});
        let spec = match schema::list_kind("Service", "ports", std::slice::from_ref(&live)) {
            schema::ListKind::Keyed(spec) => spec,
            other => panic!("{other:?}"),
        };
        let Some(key) = ItemKey::of(spec, &live) else {
            panic!("key");
        };
        assert!(item.item_has_key(&key));
        assert_eq!(
            item.item_key_fields(spec),
            Some(vec![
                ("port".into(), json!(80)),
                ("protocol".into(), json!("TCP"))
            ])
        );
    }

    #[test]
    fn a_repeated_key_counts_once_with_its_last_value_and_debug_shows_no_values() {
        let text = r#"{"data":{"password":"first-s3cr3t","password":"second-s3cr3t"}}"#;
        let Some(doc) = AppliedDoc::parse(text) else {
            panic!("parse");
        };
        let data = doc.root().get("data");
        let password = data.and_then(|d| d.get("password")).map(Applied::to_value);
        assert_eq!(password, Some(json!("second-s3cr3t")));
        let Some(View::Map(entries)) = data.map(Applied::view) else {
            panic!("data is a map");
        };
        assert!(entries.is_shadowed(0));
        assert!(!entries.is_shadowed(1));
        assert_eq!(parsed(text), reference(text));
        let debug = format!("{doc:?} {:?}", doc.root());
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }

    #[test]
    fn a_real_last_applied_annotation_parses_as_serde_json_reads_it() {
        // As kubectl writes it: Go's encoder escapes <, > and & as \u003c, \u003e, \u0026.
        let text = concat!(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"#,
            r#""labels":{"app":"web"},"name":"web","namespace":"shop"},"spec":{"replicas":3,"#,
            r#""template":{"spec":{"containers":[{"args":["--x=a\u0026b","\u003cok\u003e"],"#,
            r#""image":"web:1.4.2","name":"web","resources":{"limits":{"cpu":0.5,"memory":"1Gi"}}}]}}}}"#,
            "\n"
        );
        assert_eq!(parsed(text), reference(text));
        assert!(parsed(text).is_some());
    }

    #[test]
    fn numbers_match_serde_json() {
        for number in [
            "0",
            "-0",
            "7",
            "-7",
            "1.5",
            "-2.5e3",
            "1E2",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1e400",
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "+1",
        ] {
            let text = format!(r#"{{"n":{number}}}"#);
            assert_eq!(parsed(&text), reference(&text), "{number}");
        }
    }

    #[test]
    fn malformed_documents_are_refused_without_panic() {
        for text in [
            "",
            " ",
            "{",
            "}",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":"x"} x"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\ud800"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":"unterminated}"#,
            r#"{"a":"\"#,
            r#"{a:1}"#,
            r#"{"a":{"b":]}}"#,
            r#"{"a":[}"#,
            "[]",
            "null",
            "1",
        ] {
            assert_eq!(parsed(text), reference(text), "{text:?}");
        }
    }

    #[test]
    fn special_byte_finds_the_first_quote_backslash_or_control_byte() {
        let slow = |bytes: &[u8], from: usize| {
            (from..bytes.len()).find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
        };
        let samples: [&[u8]; 8] = [
            b"",
            b"plain text without anything",
            b"0123456789abcdef\"tail",
            b"ab\\cd\"",
            "é😀 utf-8 \u{1f} then \"".as_bytes(),
            b"\x7f\x80\xff\x20\x21\x5b\x5d\x1f",
            b"!!!!!!!\"!!!!!!!!\\",
            b"\x00",
        ];
        for bytes in samples {
            for from in 0..=bytes.len() {
                assert_eq!(
                    special_byte(bytes, from),
                    slow(bytes, from),
                    "{bytes:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn depth_is_bounded_without_recursion() {
        let deep = format!("{}{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        assert_eq!(parsed(&deep), None);
        let ok = format!("{}1{}", r#"{"a":"#.repeat(100), "}".repeat(100));
        assert_eq!(parsed(&ok), reference(&ok));
    }

    #[test]
    fn from_value_matches_the_value() {
        let value = json!({"data": {"k": "v\u{1F600}"}, "list": [1, "two", null, {"x": []}]});
        let Some(doc) = AppliedDoc::from_value(&value) else {
            panic!("object");
        };
        assert_eq!(doc.root().to_value(), value);
        assert!(AppliedDoc::from_value(&json!([1])).is_none());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            "[a-z\\\\\"<>&\\x00-\\x1fé😀]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((".{0,8}", inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn special_byte_agrees_with_a_byte_loop(
            bytes in prop::collection::vec(
                prop_oneof![any::<u8>(), Just(b'"'), Just(b'\\'), 0u8..0x20], 0..48),
            from in 0usize..50,
        ) {
            let slow = (from..bytes.len()).find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f));
            prop_assert_eq!(special_byte(&bytes, from), slow);
        }

        #[test]
        fn agrees_with_serde_json_on_valid_documents(value in json_value()) {
            let object = json!({"root": value});
            for text in [
                serde_json::to_string(&object).unwrap_or_default(),
                serde_json::to_string_pretty(&object).unwrap_or_default(),
            ] {
                prop_assert_eq!(parsed(&text), reference(&text));
                prop_assert!(parsed(&text).is_some());
            }
        }

        #[test]
        fn agrees_with_serde_json_on_damaged_documents(
            value in json_value(),
            cut in any::<prop::sample::Index>(),
            insert in any::<prop::sample::Index>(),
            byte in prop::sample::select(b"{}[]\",:\\ 0-.eE tfnu".to_vec()),
        ) {
            let text = serde_json::to_string(&json!({"root": value})).unwrap_or_default();
            let mut bytes = text.into_bytes();
            let at = cut.index(bytes.len());
            bytes.remove(at);
            let at = insert.index(bytes.len() + 1);
            bytes.insert(at, byte);
            if let Ok(text) = String::from_utf8(bytes) {
                prop_assert_eq!(parsed(&text), reference(&text), "{:?}", text);
            }
        }
    }
}
