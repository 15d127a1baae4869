//! Reading a local file or directory into a [`SourceTree`], for the offline `compare` command.
//! (The manifest parsing itself is pure and lives in the core crate.)

use crate::manifest::tree::{is_manifest_file, join_root, parse_tree, TreeParse};
use crate::manifest::{parse_file, ManifestError, ManifestLimits};
use crate::source::SourceTree;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Directory depth below which `load_path` stops descending (guards against pathological
/// trees; symlinked directories are not followed at all, so there are no loops).
const MAX_DEPTH: usize = 64;

/// Why a local path could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

/// A local file or directory read into memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadedPath {
    /// The manifests read. `root` is the path as given (`/`-separated, no trailing slash);
    /// for a single file it is the file's directory.
    pub tree: SourceTree,
    /// Files that were found but not read (over the size limit, unreadable).
    pub errors: Vec<ManifestError>,
    /// Set when the path was a single file: its key in `tree.files`. Such a file is parsed
    /// whatever its extension, since the user named it explicitly.
    pub single_file: Option<String>,
}

impl LoadedPath {
    /// Parse what was loaded; files that could not be read are reported as errors too.
    pub fn parse(&self, limits: &ManifestLimits) -> TreeParse {
        let mut out = match &self.single_file {
            Some(rel) => {
                let mut out = TreeParse::default();
                if let Some(bytes) = self.tree.files.get(rel) {
                    match parse_file(&join_root(&self.tree.root, rel), bytes, limits) {
                        Ok(parsed) => {
                            out.objects = parsed.objects;
                            out.warnings = parsed.warnings;
                        }
                        Err(err) => out.errors.push(err),
                    }
                }
                out
            }
            None => parse_tree(&self.tree, limits),
        };
        out.errors.splice(0..0, self.errors.iter().cloned());
        out
    }
}

/// Read a local manifest file, or every `.yaml`/`.yml`/`.json` file under a directory
/// (recursively; `.git` and symlinked directories skipped). Files over
/// `limits.max_file_bytes` are not read; they are reported in [`LoadedPath::errors`].
pub fn load_path(path: &Path, limits: &ManifestLimits) -> Result<LoadedPath, LoadError> {
    let shown = display_path(path);
    let metadata = fs::metadata(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound {
            path: shown.clone(),
        },
        _ => LoadError::Io {
            path: shown.clone(),
            message: err.to_string(),
        },
    })?;
    let mut loaded = LoadedPath::default();
    if metadata.is_dir() {
        loaded.tree.root = if shown == "." { String::new() } else { shown };
        walk(path, "", 0, limits, &mut loaded);
    } else {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        loaded.tree.root = path.parent().map(display_path).unwrap_or_default();
        if loaded.tree.root == "." {
            loaded.tree.root.clear();
        }
        read_into(path, &name, metadata.len(), limits, &mut loaded);
        loaded.single_file = Some(name);
    }
    loaded.tree.id = content_id(&loaded.tree.files);
    Ok(loaded)
}

fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() && text.starts_with('/') {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

fn walk(dir: &Path, rel: &str, depth: usize, limits: &ManifestLimits, out: &mut LoadedPath) {
    let shown = join_root(&out.tree.root, rel);
    if depth > MAX_DEPTH {
        out.errors.push(ManifestError::Unreadable {
            file: shown,
            message: format!("directory nesting deeper than {MAX_DEPTH} levels"),
        });
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            out.errors.push(ManifestError::Unreadable {
                file: if shown.is_empty() { ".".into() } else { shown },
                message: err.to_string(),
            });
            return;
        }
    };
    let mut children: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            )
        })
        .collect();
    children.sort();
    for (name, child) in children {
        let child_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let Ok(link_meta) = fs::symlink_metadata(&child) else {
            continue;
        };
        if link_meta.is_dir() {
            if name != ".git" {
                walk(&child, &child_rel, depth + 1, limits, out);
            }
            continue;
        }
        if !is_manifest_file(&name) {
            continue;
        }
        // Follows a symlink to a file; a symlink to a directory is skipped (no loops).
        match fs::metadata(&child) {
            Ok(meta) if meta.is_file() => read_into(&child, &child_rel, meta.len(), limits, out),
            _ => continue,
        }
    }
}

fn read_into(path: &Path, rel: &str, size: u64, limits: &ManifestLimits, out: &mut LoadedPath) {
    let shown = join_root(&out.tree.root, rel);
    if size > limits.max_file_bytes {
        out.errors.push(ManifestError::TooLarge {
            file: shown,
            size,
            limit: limits.max_file_bytes,
        });
        return;
    }
    match fs::read(path) {
        Ok(bytes) => {
            out.tree.files.insert(rel.to_string(), bytes);
        }
        Err(err) => out.errors.push(ManifestError::Unreadable {
            file: shown,
            message: err.to_string(),
        }),
    }
}

/// A content hash of a set of files (SHA-1 over paths and contents), so that equal ids mean
/// equal content, as [`SourceTree::id`] requires.
pub fn content_id(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut canonical = Vec::new();
    for (path, bytes) in files {
        canonical
            .extend_from_slice(format!("{}:{}:{}\n", path.len(), path, bytes.len()).as_bytes());
        canonical.extend_from_slice(bytes);
        canonical.push(b'\n');
    }
    digest(&canonical)
}

/// SHA-1 hex of `bytes` (via libgit2, already a dependency), with an FNV-1a fallback should
/// libgit2 ever fail to hash.
pub fn digest(bytes: &[u8]) -> String {
    match git2::Oid::hash_object(git2::ObjectType::Blob, bytes) {
        Ok(oid) => oid.to_string(),
        Err(_) => {
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for byte in bytes {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
            format!("fnv{hash:016x}")
        }
    }
}
