//! Manifest parsing: bytes of YAML/JSON files → Kubernetes objects with their source position.
//! Pure: takes bytes, returns data. (Reading a local directory for the offline `compare` is
//! the app crate's `local_source`.)
//!
//! A file is all-or-nothing: one bad document makes the whole file an error rather than a
//! partial result, because half a file would show its other objects as Missing and mislead.

pub mod convert;
mod duplicate_key;
mod parse;
mod split;
pub mod tree;

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
    /// Secret values are masked the way every other output masks them
    /// ([`mask_secret`](crate::engine::mask::mask_secret)): Debug output ends up in logs, test
    /// failures and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.object.clone();
        crate::engine::mask::mask_secret(&mut shown);
        f.debug_struct("ManifestObject")
            .field("object", &shown)
            .field("source", &self.source)
            .finish()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn located(object: Object) -> ManifestObject {
        ManifestObject {
            object,
            source: SourceLocation {
                file: "live/payments.yaml".into(),
                line: 1,
            },
        }
    }

    /// Debug masks a Secret exactly as the diff does (same masks, last-applied included) and
    /// leaves other kinds alone.
    #[test]
    fn debug_masks_secrets_like_every_other_output() {
        let secret = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "creationTimestamp": "2026-02-11T08:30:05Z",
                "name": "payments-gateway",
                "namespace": "payments",
                "resourceVersion": "90213",
                "uid": "3e9b7c20-51d4-4f0a-a6c2-8d1e5b7f4a93",
                "annotations": {
                    crate::engine::mask::LAST_APPLIED_ANNOTATION:
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"payments-gateway\",\"namespace\":\"payments\"},\"stringData\":{\"api-key\":\"pk_live_7Qx2mR9vT4\"}}\n"
                }
            },
            "data": {"api-key": "cGtfbGl2ZV83UXgybVI5dlQ0", "webhook-secret": "d2hzZWNfWnA0MUxrUTg="}
        });
        let debug = format!("{:?}", located(secret.clone()));
        for leaked in [
            "pk_live_7Qx2mR9vT4",
            "cGtfbGl2ZV83UXgybVI5dlQ0",
            "d2hzZWNfWnA0MUxrUTg=",
        ] {
            assert!(!debug.contains(leaked), "{leaked:?} leaked in {debug}");
        }
        let mut masked = secret.clone();
        crate::engine::mask::mask_secret(&mut masked);
        assert_eq!(
            debug,
            format!(
                "ManifestObject {{ object: {masked:?}, source: SourceLocation {{ file: \"live/payments.yaml\", line: 1 }} }}"
            )
        );
        assert!(
            debug.contains("\"api-key\": String(\"++++++++\")"),
            "{debug}"
        );

        let config_map = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "web-config", "namespace": "shop"},
            "data": {"LOG_LEVEL": "info"}
        });
        assert!(format!("{:?}", located(config_map)).contains("String(\"info\")"));
    }
}
