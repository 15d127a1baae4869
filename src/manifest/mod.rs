//! Manifest parsing: bytes of YAML/JSON files → Kubernetes objects with their source position.
//! Pure: takes bytes, returns data. (`load_path` is the one exception: it reads a local
//! directory into a [`SourceTree`](crate::source::SourceTree) for the offline `compare`.)
//!
//! A file is all-or-nothing: one bad document makes the whole file an error rather than a
//! partial result, because half a file would show its other objects as Missing and mislead.

pub(crate) mod convert;
mod local;
mod parse;
mod split;
pub(crate) mod tree;

pub(crate) use local::digest;
pub use local::{content_id, load_path, LoadError, LoadedPath};
pub use parse::parse_file;
pub use tree::{find_duplicates, parse_tree, DuplicateError, TreeParse};

use crate::model::Object;

/// Limits applied to every manifest file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestLimits {
    /// Files larger than this are rejected (default 10 MB).
    pub max_file_bytes: u64,
}

impl Default for ManifestLimits {
    fn default() -> Self {
        ManifestLimits {
            max_file_bytes: 10 * 1024 * 1024,
        }
    }
}

/// Where an object came from: file and the 1-based line its YAML document starts on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: usize,
}

/// One Kubernetes object parsed from a manifest file.
#[derive(Clone, PartialEq)]
pub struct ManifestObject {
    pub object: Object,
    pub source: SourceLocation,
}

impl std::fmt::Debug for ManifestObject {
    /// Secret values are masked: Debug output ends up in logs, test failures and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManifestObject")
            .field("object", &masked_for_debug(&self.object))
            .field("source", &self.source)
            .finish()
    }
}

/// A copy of `object` safe to print: for Secrets, every `data`/`stringData` value and the
/// last-applied-configuration annotation (which holds them too) become `***`.
fn masked_for_debug(object: &Object) -> std::borrow::Cow<'_, Object> {
    let is_secret = object.get("kind").and_then(Object::as_str) == Some("Secret");
    if !is_secret {
        return std::borrow::Cow::Borrowed(object);
    }
    let mut copy = object.clone();
    for field in ["data", "stringData"] {
        if let Some(values) = copy.get_mut(field).and_then(Object::as_object_mut) {
            for value in values.values_mut() {
                *value = Object::String("***".into());
            }
        }
    }
    if let Some(annotations) = copy
        .pointer_mut("/metadata/annotations")
        .and_then(Object::as_object_mut)
    {
        if let Some(value) = annotations.get_mut("kubectl.kubernetes.io/last-applied-configuration")
        {
            *value = Object::String("***".into());
        }
    }
    std::borrow::Cow::Owned(copy)
}

/// Everything parsed from one file: its objects, plus warnings for documents that were
/// skipped (e.g. YAML without apiVersion/kind that is not a Kubernetes object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFile {
    pub objects: Vec<ManifestObject>,
    pub warnings: Vec<String>,
}

/// Why a file could not be parsed. Every variant names the file (and line where known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: {size} bytes is over the {limit} byte limit")]
    TooLarge { file: String, size: u64, limit: u64 },
    #[error("{file}: binary or non-UTF-8 content")]
    NotText { file: String },
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: cannot be read: {message}")]
    Unreadable { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
}
