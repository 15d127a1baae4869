//! The set of repository directories and files one render needs, read from a
//! [`TreeSource`], remembered by content id (for the cache key) and written to a temp dir
//! for the external tools.

use crate::manifest::tree::join_root;
use crate::source::{SourceError, SourceTree, TreeSource};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Resolve `reference` (as written in a kustomization, `../base`) against repo directory
/// `base`. Returns the normalized repo path, or why it cannot be used.
pub(crate) fn resolve(base: &str, reference: &str) -> Result<String, String> {
    if reference.starts_with('/') {
        return Err("absolute paths are not supported; use a path relative to the file".into());
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in reference.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("the path leaves the repository".into());
                }
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// The parent directory of a repo path (`""` for top-level entries).
pub(crate) fn parent(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((dir, name)) => (dir, name),
        None => ("", path),
    }
}

/// What a repo path turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    File,
    Dir,
    Missing,
}

/// Directories and single files read for one render.
pub(crate) struct Workspace<'a> {
    source: &'a dyn TreeSource,
    dirs: Vec<SourceTree>,
    files: BTreeMap<String, Vec<u8>>,
    /// (root, id) of every directory read, and (path, content hash) of every single file.
    ids: BTreeSet<(String, String)>,
}

impl<'a> Workspace<'a> {
    pub fn new(source: &'a dyn TreeSource) -> Self {
        Workspace {
            source,
            dirs: Vec::new(),
            files: BTreeMap::new(),
            ids: BTreeSet::new(),
        }
    }

    pub fn revision(&self) -> String {
        self.source.revision()
    }

    /// Add an already-read directory.
    pub fn add_dir(&mut self, tree: SourceTree) {
        self.ids.insert((tree.root.clone(), tree.id.clone()));
        self.dirs.push(tree);
    }

    /// Content ids of everything read, sorted: the part of the cache key that changes when
    /// any input of the render changes.
    pub fn ids(&self) -> impl Iterator<Item = &(String, String)> {
        self.ids.iter()
    }

    fn covering<'p>(&self, path: &'p str) -> Option<(&SourceTree, &'p str)> {
        self.dirs.iter().find_map(|tree| {
            if tree.root.is_empty() {
                Some((tree, path))
            } else if path == tree.root {
                Some((tree, ""))
            } else {
                path.strip_prefix(tree.root.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(|rel| (tree, rel))
            }
        })
    }

    /// The bytes of file `path`, if it has been read.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        if let Some((tree, rel)) = self.covering(path) {
            if let Some(bytes) = tree.files.get(rel) {
                return Some(bytes);
            }
        }
        self.files.get(path).map(Vec::as_slice)
    }

    /// Is `path` a file, a directory or missing? Reads it from the source if needed.
    pub fn classify(&mut self, path: &str) -> Result<Entry, SourceError> {
        if let Some((tree, rel)) = self.covering(path) {
            if rel.is_empty() || tree.files.contains_key(rel) {
                return Ok(if rel.is_empty() {
                    Entry::Dir
                } else {
                    Entry::File
                });
            }
            let prefix = format!("{rel}/");
            let is_dir = tree
                .files
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(key, _)| key.starts_with(&prefix));
            return Ok(if is_dir { Entry::Dir } else { Entry::Missing });
        }
        if self.files.contains_key(path) {
            return Ok(Entry::File);
        }
        match self.source.subtree(path) {
            Ok(tree) => {
                self.add_dir(tree);
                Ok(Entry::Dir)
            }
            // A file: read its directory and keep only the file.
            Err(SourceError::NotADirectory { .. }) | Err(SourceError::PathNotFound { .. })
                if !path.is_empty() =>
            {
                let (dir, name) = parent(path);
                match self.source.subtree(dir) {
                    Ok(tree) => match tree.files.get(name) {
                        Some(bytes) => {
                            // Keyed on the file's own content, so that changes to its
                            // siblings do not invalidate the render.
                            let id = format!("file:{}", crate::local_source::digest(bytes));
                            self.ids.insert((path.to_string(), id));
                            self.files.insert(path.to_string(), bytes.clone());
                            Ok(Entry::File)
                        }
                        None => Ok(Entry::Missing),
                    },
                    Err(SourceError::NotADirectory { .. })
                    | Err(SourceError::PathNotFound { .. }) => Ok(Entry::Missing),
                    Err(err) => Err(err),
                }
            }
            Err(SourceError::NotADirectory { .. }) | Err(SourceError::PathNotFound { .. }) => {
                Ok(Entry::Missing)
            }
            Err(err) => Err(err),
        }
    }

    /// Write everything read under `dir`, at its repo path.
    pub fn materialize(&self, dir: &Path) -> Result<(), String> {
        for tree in &self.dirs {
            for (rel, bytes) in &tree.files {
                write_file(dir, &join_root(&tree.root, rel), bytes)?;
            }
        }
        for (path, bytes) in &self.files {
            write_file(dir, path, bytes)?;
        }
        Ok(())
    }
}

/// Write one file below `dir`, refusing any path that could escape it.
fn write_file(dir: &Path, repo_path: &str, bytes: &[u8]) -> Result<(), String> {
    let safe = !repo_path.is_empty()
        && repo_path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\0'));
    if !safe {
        return Err(format!(
            "refusing to write unsafe path {repo_path:?} from the source tree"
        ));
    }
    let target = dir.join(repo_path);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|err| format!("{repo_path}: {err}"))?;
    }
    std::fs::write(&target, bytes).map_err(|err| format!("{repo_path}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_relative_references() {
        assert_eq!(
            resolve("apps/web/overlays/prod", "../../base").unwrap(),
            "apps/web/base"
        );
        assert_eq!(
            resolve("apps/web", "./deploy.yaml").unwrap(),
            "apps/web/deploy.yaml"
        );
        assert_eq!(resolve("", "a//b/./c").unwrap(), "a/b/c");
        assert_eq!(resolve("apps", "..").unwrap(), "");
        assert!(resolve("apps", "../..").is_err());
        assert!(resolve("apps", "/etc/passwd").is_err());
    }

    #[test]
    fn unsafe_paths_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_file(dir.path(), "../escape.yaml", b"x").is_err());
        assert!(write_file(dir.path(), "a//b", b"x").is_err());
        assert!(write_file(dir.path(), "a/b.yaml", b"x").is_ok());
    }
}
