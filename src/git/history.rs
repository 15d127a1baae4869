//! Which commits changed a path, by comparing the path's object id (tree id for a directory,
//! blob id for a file) with the parents'.
//!
//! A commit "touched" `path` when:
//! - it has no parent and the directory exists in it;
//! - it has one parent and the directory's tree id differs from the parent's (added, removed
//!   or changed);
//! - it is a merge and the directory differs from *every* parent. A merge whose result equals
//!   one parent only brings in changes made by the merged commits, which the walk visits and
//!   counts themselves; counting the merge too would report "behind by 3" for two real
//!   changes. A merge that differs from all parents (a conflict resolution, an evil merge)
//!   made a change of its own and is counted.

use super::{commit_info, normalize_path, CommitInfo, GitError, GitRepo};
use git2::{Oid, Repository, Sort};
use std::collections::HashMap;

/// The object id at `path` below `root` (a tree for a directory, a blob for a file), so that
/// history works for single files as well as app directories.
fn entry_id(root: &git2::Tree<'_>, path: &str) -> Option<Oid> {
    if path.is_empty() {
        return Some(root.id());
    }
    root.get_path(std::path::Path::new(path))
        .ok()
        .map(|e| e.id())
}

/// Remembers the path's object id per commit, since each commit is looked at both as
/// itself and as a parent.
struct PathTrees<'a> {
    repo: &'a Repository,
    path: &'a str,
    cache: HashMap<Oid, Option<Oid>>,
}

impl PathTrees<'_> {
    fn of(&mut self, commit: Oid) -> Result<Option<Oid>, git2::Error> {
        if let Some(known) = self.cache.get(&commit) {
            return Ok(*known);
        }
        let tree = self.repo.find_commit(commit)?.tree()?;
        let id = entry_id(&tree, self.path);
        self.cache.insert(commit, id);
        Ok(id)
    }

    fn touched(&mut self, commit: &git2::Commit<'_>) -> Result<bool, git2::Error> {
        let own = self.of(commit.id())?;
        let parents: Vec<Oid> = commit.parent_ids().collect();
        if parents.is_empty() {
            return Ok(own.is_some());
        }
        for parent in parents {
            if self.of(parent)? == own {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Walks commits reachable from `include` minus those reachable from `exclude`, newest first,
/// keeping those that touched `path`, stopping after `limit` kept.
fn walk(
    repo: &GitRepo,
    include: &str,
    exclude: Option<&str>,
    path: &str,
    limit: usize,
) -> Result<Vec<CommitInfo>, GitError> {
    let path = normalize_path(path)?;
    let git = repo.repository()?;
    let include = repo.commit_by_id(&git, include)?.id();
    let exclude = match exclude {
        Some(rev) => Some(repo.commit_by_id(&git, rev)?.id()),
        None => None,
    };
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    let mut revwalk = git.revwalk().map_err(|e| repo.git_err(e))?;
    revwalk
        .set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(|e| repo.git_err(e))?;
    revwalk.push(include).map_err(|e| repo.git_err(e))?;
    if let Some(exclude) = exclude {
        revwalk.hide(exclude).map_err(|e| repo.git_err(e))?;
    }
    let mut trees = PathTrees {
        repo: &git,
        path: &path,
        cache: HashMap::new(),
    };
    for oid in revwalk {
        let oid = oid.map_err(|e| repo.git_err(e))?;
        let commit = git.find_commit(oid).map_err(|e| repo.git_err(e))?;
        if trees.touched(&commit).map_err(|e| repo.git_err(e))? {
            out.push(commit_info(&commit));
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

pub(super) fn history(
    repo: &GitRepo,
    commit: &str,
    path: &str,
    limit: usize,
) -> Result<Vec<CommitInfo>, GitError> {
    walk(repo, commit, None, path, limit)
}

pub(super) fn count_between(
    repo: &GitRepo,
    from: &str,
    to: &str,
    path: &str,
) -> Result<usize, GitError> {
    Ok(walk(repo, to, Some(from), path, usize::MAX)?.len())
}
