//! Where desired manifests come from, as data: a directory of files read into memory.
//!
//! The git source (the app's `git` module) produces these from git objects at a commit; the offline
//! `compare` command produces them from a local directory; renderers (the app's `render`) consume
//! them. Keeping the type here lets renderers be tested without a repository.

use std::collections::BTreeMap;

/// The files under one directory, read into memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceTree {
    /// Repo-relative path of the directory, `/`-separated, no leading or trailing slash
    /// (empty for the repository root).
    pub root: String,
    /// Content hash of the directory (the git tree OID in hex for git sources). Equal ids mean
    /// equal content, so it is the render cache key.
    pub id: String,
    /// File contents keyed by path relative to `root` (`/`-separated, e.g. `base/deploy.yaml`).
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Why a directory could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("path {path:?} not found at {revision}")]
    PathNotFound { path: String, revision: String },
    #[error("path {path:?} is not a directory at {revision}")]
    NotADirectory { path: String, revision: String },
    #[error("reading {path:?}: {message}")]
    Read { path: String, message: String },
}

/// Something that can hand out directories by repo-relative path, e.g. a git commit.
/// Renderers use it to follow references outside an app's own directory (Kustomize bases).
pub trait TreeSource {
    /// The directory at `path` (repo-relative, `/`-separated, `..` already resolved), with
    /// every file below it, recursively.
    fn subtree(&self, path: &str) -> Result<SourceTree, SourceError>;
    /// A short human name of the revision, for messages (`main@1a2b3c4`).
    fn revision(&self) -> String;
}
