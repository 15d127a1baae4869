//! Decoding of the few Kubernetes protobuf request bodies kubectl sends.
//!
//! kubectl's typed clients (`kubectl create namespace|configmap|secret|serviceaccount`) send
//! `application/vnd.kubernetes.protobuf` and do not fall back to JSON, so the sandbox decodes
//! those kinds' protobuf into the JSON object a JSON client would have sent. Other kinds answer
//! 415 (a documented gap). Responses are always JSON, which these clients accept.

use base64::Engine;
use serde_json::{json, Map, Value};

/// Why a protobuf body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtobufError {
    #[error("protobuf body is malformed: {0}")]
    Malformed(&'static str),
    #[error("the sandbox does not decode protobuf bodies of kind {0:?}; send JSON")]
    UnsupportedKind(String),
}

/// The magic prefix of Kubernetes protobuf envelopes.
const MAGIC: &[u8] = b"k8s\x00";

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self
                .data
                .split_first()
                .ok_or(ProtobufError::Malformed("truncated varint"))?;
            self.data = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtobufError::Malformed("varint too long"))
    }

    fn skip(&mut self, n: usize) -> Result<&'a [u8], ProtobufError> {
        if n > self.data.len() {
            return Err(ProtobufError::Malformed("field runs past the end"));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn next(&mut self) -> Result<Option<(u64, Field<'a>)>, ProtobufError> {
        if self.data.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| ProtobufError::Malformed("length overflow"))?;
                Field::Bytes(self.skip(len)?)
            }
            5 => {
                self.skip(4)?;
                Field::Fixed
            }
            _ => return Err(ProtobufError::Malformed("unsupported wire type")),
        };
        Ok(Some((key >> 3, field)))
    }
}

fn fields(data: &[u8]) -> Result<Vec<(u64, Field<'_>)>, ProtobufError> {
    let mut reader = Reader { data };
    let mut out = Vec::new();
    while let Some(field) = reader.next()? {
        out.push(field);
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> Result<String, ProtobufError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ProtobufError::Malformed("string is not UTF-8"))
}

/// A `map<string, string|bytes>` entry.
fn map_entry(bytes: &[u8], binary: bool) -> Result<(String, Value), ProtobufError> {
    let mut key = String::new();
    let mut value = Value::String(String::new());
    for (number, field) in fields(bytes)? {
        match (number, field) {
            (1, Field::Bytes(b)) => key = text(b)?,
            (2, Field::Bytes(b)) if binary => {
                value = Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            (2, Field::Bytes(b)) => value = Value::String(text(b)?),
            _ => {}
        }
    }
    Ok((key, value))
}

fn insert_entry(
    map: &mut Map<String, Value>,
    key: &str,
    bytes: &[u8],
    binary: bool,
) -> Result<(), ProtobufError> {
    let (k, v) = map_entry(bytes, binary)?;
    if let Value::Object(inner) = map.entry(key).or_insert_with(|| json!({})) {
        inner.insert(k, v);
    }
    Ok(())
}

fn push_string(map: &mut Map<String, Value>, key: &str, bytes: &[u8]) -> Result<(), ProtobufError> {
    let value = Value::String(text(bytes)?);
    if let Value::Array(items) = map.entry(key).or_insert_with(|| json!([])) {
        items.push(value);
    }
    Ok(())
}

fn object_meta(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut meta = Map::new();
    for (number, field) in fields(bytes)? {
        if let Field::Bytes(b) = field {
            match number {
                1 => {
                    meta.insert("name".into(), Value::String(text(b)?));
                }
                2 => {
                    meta.insert("generateName".into(), Value::String(text(b)?));
                }
                3 => {
                    meta.insert("namespace".into(), Value::String(text(b)?));
                }
                11 => insert_entry(&mut meta, "labels", b, false)?,
                12 => insert_entry(&mut meta, "annotations", b, false)?,
                14 => push_string(&mut meta, "finalizers", b)?,
                _ => {}
            }
        }
    }
    meta.retain(|_, v| !matches!(v, Value::String(s) if s.is_empty()));
    Ok(Value::Object(meta))
}

fn typed(kind: &str, raw: &[u8], object: &mut Map<String, Value>) -> Result<(), ProtobufError> {
    for (number, field) in fields(raw)? {
        match (kind, number, field) {
            (_, 1, Field::Bytes(b)) => {
                object.insert("metadata".into(), object_meta(b)?);
            }
            ("Namespace", 2, Field::Bytes(b)) => {
                let mut spec = Map::new();
                for (n, f) in fields(b)? {
                    if let (1, Field::Bytes(s)) = (n, f) {
                        push_string(&mut spec, "finalizers", s)?;
                    }
                }
                object.insert("spec".into(), Value::Object(spec));
            }
            ("ConfigMap", 2, Field::Bytes(b)) => insert_entry(object, "data", b, false)?,
            ("ConfigMap", 3, Field::Bytes(b)) => insert_entry(object, "binaryData", b, true)?,
            ("ConfigMap", 4, Field::Varint(v)) | ("Secret", 5, Field::Varint(v)) => {
                object.insert("immutable".into(), Value::Bool(v != 0));
            }
            ("Secret", 2, Field::Bytes(b)) => insert_entry(object, "data", b, true)?,
            ("Secret", 3, Field::Bytes(b)) => {
                object.insert("type".into(), Value::String(text(b)?));
            }
            ("Secret", 4, Field::Bytes(b)) => insert_entry(object, "stringData", b, false)?,
            ("ServiceAccount", 4, Field::Varint(v)) => {
                object.insert("automountServiceAccountToken".into(), Value::Bool(v != 0));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Decode a `k8s\0`-prefixed protobuf body into the equivalent JSON object.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or(ProtobufError::Malformed("missing k8s protobuf prefix"))?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (number, field) in fields(envelope)? {
        match (number, field) {
            (1, Field::Bytes(type_meta)) => {
                for (n, f) in fields(type_meta)? {
                    match (n, f) {
                        (1, Field::Bytes(b)) => api_version = text(b)?,
                        (2, Field::Bytes(b)) => kind = text(b)?,
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    if !matches!(
        kind.as_str(),
        "Namespace" | "ConfigMap" | "Secret" | "ServiceAccount"
    ) || api_version != "v1"
    {
        return Err(ProtobufError::UnsupportedKind(kind));
    }
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(api_version));
    object.insert("kind".into(), Value::String(kind.clone()));
    typed(&kind, raw, &mut object)?;
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![
            u8::try_from(number << 3 | 2).unwrap_or(0),
            u8::try_from(payload.len()).unwrap_or(0),
        ];
        out.extend_from_slice(payload);
        out
    }

    /// What kubectl sends for `kubectl create configmap settings -n shop --from-literal=LOG_LEVEL=info`.
    fn configmap_body() -> Vec<u8> {
        let meta = [
            field(1, b"settings"),
            field(3, b"shop"),
            field(11, &[field(1, b"app"), field(2, b"web")].concat()),
        ]
        .concat();
        let raw = [
            field(1, &meta),
            field(2, &[field(1, b"LOG_LEVEL"), field(2, b"info")].concat()),
        ]
        .concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        [
            MAGIC.to_vec(),
            field(1, &type_meta),
            field(2, &raw),
            field(3, b""),
            field(4, b""),
        ]
        .concat()
    }

    #[test]
    fn decodes_a_configmap_like_kubectl_sends_it() {
        let obj = decode(&configmap_body()).expect("decodes");
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "settings", "namespace": "shop", "labels": {"app": "web"}},
                   "data": {"LOG_LEVEL": "info"}})
        );
    }

    #[test]
    fn garbage_and_other_kinds_are_errors_not_panics() {
        let body = configmap_body();
        for cut in 0..body.len() {
            let _ = decode(&body[..cut]);
        }
        assert!(matches!(
            decode(b"k8s\x00\x0a\xff\xff\xff"),
            Err(ProtobufError::Malformed(_))
        ));
        let type_meta = [field(1, b"apps/v1"), field(2, b"Deployment")].concat();
        let deploy = [MAGIC.to_vec(), field(1, &type_meta)].concat();
        assert_eq!(
            decode(&deploy),
            Err(ProtobufError::UnsupportedKind("Deployment".into()))
        );
    }
}
