//! Per-app ignore rules (like Argo CD's ignoreDifferences and Flux's spec.ignore).

use serde::{Deserialize, Serialize};

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
