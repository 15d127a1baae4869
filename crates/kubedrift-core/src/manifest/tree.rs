//! Parsing a whole directory of manifests, and finding objects defined more than once.

use super::{parse_file, ManifestError, ManifestLimits, ManifestObject, SourceLocation};
use crate::model::ResourceKey;
use crate::source::SourceTree;
use std::collections::HashMap;

/// Everything parsed from a directory. Per-file errors do not stop the other files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TreeParse {
    /// Objects of every file that parsed, in path order then document order.
    pub objects: Vec<ManifestObject>,
    /// One error per file that could not be parsed (its objects are not in `objects`).
    pub errors: Vec<ManifestError>,
    /// Skipped documents, naming file:line.
    pub warnings: Vec<String>,
}

impl TreeParse {
    /// True when every manifest file parsed. When false, `objects` is incomplete, so an
    /// object missing from it must not be reported as extraneous in the cluster.
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Is this file a manifest by its name?
pub fn is_manifest_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// `root/rel`, or `rel` for the repository root.
pub fn join_root(root: &str, rel: &str) -> String {
    if root.is_empty() {
        rel.to_string()
    } else {
        format!("{root}/{rel}")
    }
}

/// Parse every `.yaml`/`.yml`/`.json` file of `tree` (recursively, in sorted path order).
/// File names in objects, errors and warnings include the tree's root, so they are repo paths.
pub fn parse_tree(tree: &SourceTree, limits: &ManifestLimits) -> TreeParse {
    let mut out = TreeParse::default();
    for (rel, bytes) in &tree.files {
        if !is_manifest_file(rel) {
            continue;
        }
        let name = join_root(&tree.root, rel);
        match parse_file(&name, bytes, limits) {
            Ok(parsed) => {
                out.objects.extend(parsed.objects);
                out.warnings.extend(parsed.warnings);
            }
            Err(err) => out.errors.push(err),
        }
    }
    out
}

/// The same resource defined twice in one app's desired manifests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} is defined twice: {}:{} and {}:{}", first.file, first.line, second.file, second.line)]
pub struct DuplicateError {
    pub key: ResourceKey,
    /// Where it is first defined (this definition is the one kept).
    pub first: SourceLocation,
    /// The later, conflicting definition.
    pub second: SourceLocation,
}

/// Find objects with the same identity (group, kind, namespace, name; namespaces defaulted
/// with `default_namespace`, cluster-scoped kinds per `scope`). Each later definition is
/// reported against the first one. Objects without an identity are ignored here (parsing
/// already rejects them).
pub fn find_duplicates(
    objects: &[ManifestObject],
    default_namespace: Option<&str>,
    scope: &dyn Fn(&str, &str) -> bool,
) -> Vec<DuplicateError> {
    let mut first_seen: HashMap<ResourceKey, &SourceLocation> = HashMap::new();
    let mut duplicates = Vec::new();
    for object in objects {
        let Ok(key) = ResourceKey::from_object(&object.object, default_namespace, scope) else {
            continue;
        };
        match first_seen.get(&key) {
            Some(first) => duplicates.push(DuplicateError {
                key,
                first: (*first).clone(),
                second: object.source.clone(),
            }),
            None => {
                first_seen.insert(key, &object.source);
            }
        }
    }
    duplicates
}
