//! Reading directories out of git tree objects.
//!
//! Entry policy (documented once, applied everywhere):
//! - regular and executable files (blobs) are read;
//! - symlinks are skipped: their blob is a target path, not content, and following it could
//!   leave the app directory or the repository; Argo CD and Flux do not follow them into
//!   manifests either. Skipping is silent because a symlink is a legitimate repo layout, not an
//!   error, and renderers see exactly the files that are really there;
//! - submodules (commit entries) are skipped: their content is in another repository;
//! - sub-trees are read recursively.

use super::{normalize_path, GitError, GitRepo, ResolvedRev};
use crate::source::{SourceError, SourceTree, TreeSource};
use git2::{FileMode, ObjectType, Oid, Repository, Tree};
use std::collections::BTreeMap;
use std::path::Path;

/// One commit of a repository as a [`TreeSource`]: directories read from git objects.
#[derive(Debug, Clone)]
pub struct CommitSource {
    repo: GitRepo,
    commit: String,
    label: String,
    max_file_bytes: Option<usize>,
}

impl CommitSource {
    /// The source for the commit `resolved` names.
    pub fn new(repo: GitRepo, resolved: &ResolvedRev) -> CommitSource {
        CommitSource {
            repo,
            commit: resolved.commit.clone(),
            label: resolved.label(),
            max_file_bytes: None,
        }
    }

    /// Refuse files larger than `bytes` (a [`SourceError::Read`] naming the file), checked
    /// from the object header before the blob is loaded, so a stray multi-GB file in the repo
    /// cannot exhaust memory.
    pub fn with_max_file_bytes(mut self, bytes: usize) -> CommitSource {
        self.max_file_bytes = Some(bytes);
        self
    }

    /// Full commit id (hex).
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// The repository this reads from.
    pub fn repo(&self) -> &GitRepo {
        &self.repo
    }

    fn read(&self, path: &str) -> Result<SourceTree, GitError> {
        let root_path = normalize_path(path)?;
        let repo = self.repo.repository()?;
        let commit = self.repo.commit_by_id(&repo, &self.commit)?;
        let root = commit.tree().map_err(|e| self.repo.git_err(e))?;
        let tree = if root_path.is_empty() {
            root
        } else {
            let entry =
                root.get_path(Path::new(&root_path))
                    .map_err(|_| GitError::PathNotFound {
                        path: root_path.clone(),
                        revision: self.label.clone(),
                        repo: self.repo.path().to_path_buf(),
                    })?;
            if entry.kind() != Some(ObjectType::Tree) {
                return Err(GitError::NotADirectory {
                    path: root_path.clone(),
                    revision: self.label.clone(),
                    repo: self.repo.path().to_path_buf(),
                });
            }
            repo.find_tree(entry.id())
                .map_err(|e| self.repo.git_err(e))?
        };
        let mut files = BTreeMap::new();
        self.read_tree(&repo, &tree, &root_path, "", &mut files)?;
        Ok(SourceTree {
            root: root_path,
            id: tree.id().to_string(),
            files,
        })
    }

    fn read_tree(
        &self,
        repo: &Repository,
        tree: &Tree<'_>,
        root: &str,
        prefix: &str,
        files: &mut BTreeMap<String, Vec<u8>>,
    ) -> Result<(), GitError> {
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            match entry_class(entry.filemode(), entry.kind()) {
                EntryClass::File => {
                    if let Some(max) = self.max_file_bytes {
                        let odb = repo.odb().map_err(|e| self.repo.git_err(e))?;
                        let (size, _) = odb
                            .read_header(entry.id())
                            .map_err(|e| self.read_err(&rel, e))?;
                        if size > max {
                            return Err(GitError::FileTooLarge {
                                path: join_root(root, &rel),
                                revision: self.label.clone(),
                                repo: self.repo.path().to_path_buf(),
                                size,
                                limit: max,
                            });
                        }
                    }
                    let blob = repo
                        .find_blob(entry.id())
                        .map_err(|e| self.read_err(&rel, e))?;
                    files.insert(rel, blob.content().to_vec());
                }
                EntryClass::Dir => {
                    let sub = repo
                        .find_tree(entry.id())
                        .map_err(|e| self.read_err(&rel, e))?;
                    self.read_tree(repo, &sub, root, &rel, files)?;
                }
                EntryClass::Skipped => {}
            }
        }
        Ok(())
    }

    fn read_err(&self, rel: &str, e: git2::Error) -> GitError {
        GitError::Git {
            repo: self.repo.path().to_path_buf(),
            message: format!("reading {rel:?} at {}: {}", self.label, e.message()),
        }
    }
}

impl TreeSource for CommitSource {
    fn subtree(&self, path: &str) -> Result<SourceTree, SourceError> {
        self.read(path).map_err(|e| match e {
            GitError::PathNotFound { path, revision, .. } => {
                SourceError::PathNotFound { path, revision }
            }
            GitError::NotADirectory { path, revision, .. } => {
                SourceError::NotADirectory { path, revision }
            }
            other => SourceError::Read {
                path: path.to_string(),
                message: other.to_string(),
            },
        })
    }

    fn revision(&self) -> String {
        self.label.clone()
    }
}

/// `root/rel`, or `rel` at the repository root.
fn join_root(root: &str, rel: &str) -> String {
    if root.is_empty() {
        rel.to_string()
    } else {
        format!("{root}/{rel}")
    }
}

pub(super) enum EntryClass {
    File,
    Dir,
    Skipped,
}

pub(super) fn entry_class(mode: i32, kind: Option<ObjectType>) -> EntryClass {
    if mode == i32::from(FileMode::Link) || mode == i32::from(FileMode::Commit) {
        return EntryClass::Skipped;
    }
    match kind {
        Some(ObjectType::Blob) => EntryClass::File,
        Some(ObjectType::Tree) => EntryClass::Dir,
        _ => EntryClass::Skipped,
    }
}

/// The tree id of directory `path` (normalized) below `root`, `None` if absent or not a dir.
pub(super) fn dir_tree_id(root: &Tree<'_>, path: &str) -> Option<Oid> {
    if path.is_empty() {
        return Some(root.id());
    }
    let entry = root.get_path(Path::new(path)).ok()?;
    (entry.kind() == Some(ObjectType::Tree)).then(|| entry.id())
}

/// Appends the directories below `tree` (whose path is `prefix`) down to `depth` levels.
pub(super) fn collect_dirs(
    repo: &Repository,
    tree: &Tree<'_>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<(), git2::Error> {
    if depth == 0 {
        return Ok(());
    }
    for entry in tree.iter() {
        if !matches!(entry_class(entry.filemode(), entry.kind()), EntryClass::Dir) {
            continue;
        }
        let name = String::from_utf8_lossy(entry.name_bytes());
        let path = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let sub = repo.find_tree(entry.id())?;
        out.push(path.clone());
        collect_dirs(repo, &sub, &path, depth - 1, out)?;
    }
    Ok(())
}
