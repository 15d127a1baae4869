//! Branch per environment: the target environment's branch is fast-forwarded to the
//! source's tip, or (when asked) a merge commit of the two is made. A divergence without
//! `--merge`, or a merge that conflicts, stops with nothing written.

use super::Change;
use git2::{Oid, Repository};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchError {
    NotFastForward,
    /// The merge conflicts in these paths.
    Conflict(Vec<String>),
    Git(String),
}

impl From<git2::Error> for BranchError {
    fn from(e: git2::Error) -> Self {
        BranchError::Git(e.message().to_string())
    }
}

/// How the target tip `target` becomes the source `source`.
pub fn change(
    repo: &Repository,
    source: Oid,
    target: Oid,
    merge: bool,
) -> Result<Change, BranchError> {
    if source == target || repo.graph_descendant_of(target, source)? {
        // Already there: nothing to move.
        return Ok(Change::FastForward { to: target });
    }
    if repo.graph_descendant_of(source, target)? {
        return Ok(Change::FastForward { to: source });
    }
    if !merge {
        return Err(BranchError::NotFastForward);
    }
    conflicts(repo, target, source)?;
    Ok(Change::Merge { source })
}

/// Err with the conflicting paths when merging `source` into `target` conflicts (computed
/// in memory: no object, ref, index or file is written).
pub fn conflicts(repo: &Repository, target: Oid, source: Oid) -> Result<(), BranchError> {
    let index = repo.merge_commits(&repo.find_commit(target)?, &repo.find_commit(source)?, None)?;
    if !index.has_conflicts() {
        return Ok(());
    }
    let mut paths: Vec<String> = index
        .conflicts()?
        .filter_map(Result::ok)
        .filter_map(|c| c.our.or(c.their).or(c.ancestor))
        .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
        .collect();
    paths.sort();
    paths.dedup();
    Err(BranchError::Conflict(paths))
}
