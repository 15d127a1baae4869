//! Listing what a repository holds, for `kubedrift init`: its branches, the branch `HEAD`
//! names, and the files of a commit's tree. Object database only, like the rest of `git`.

use super::{tree, GitError, GitRepo};
use git2::{BranchType, Repository, Tree};
use std::path::{Path, PathBuf};

/// One branch, local or remote-tracking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchName {
    /// How kubedrift's `ref` names it: `prod` for `refs/heads/prod` and for
    /// `refs/remotes/origin/prod` (resolve falls back to `origin/<name>`).
    pub name: String,
    /// Only a remote-tracking branch of `origin` exists under this name.
    pub remote_only: bool,
}

/// A file listing that stopped early: how many entries were left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileListing {
    /// Repo-relative file paths, sorted.
    pub files: Vec<String>,
    /// Whether the limits (depth or count) cut the listing short.
    pub truncated: bool,
}

impl GitRepo {
    /// The repository containing `start` (it or a parent directory): its work tree root, or
    /// the repository itself when bare.
    pub fn discover_root(start: &Path) -> Result<PathBuf, GitError> {
        let repo = Repository::discover(start).map_err(|e| GitError::Open {
            repo: start.to_path_buf(),
            message: e.message().to_string(),
        })?;
        Ok(match repo.workdir() {
            Some(dir) => dir.to_path_buf(),
            None => repo.path().to_path_buf(),
        })
    }

    /// The branch `HEAD` points at (also when that branch has no commit yet), `None` when
    /// `HEAD` is detached or missing.
    pub fn head_branch(&self) -> Result<Option<String>, GitError> {
        let repo = self.repository()?;
        let head = match repo.find_reference("HEAD") {
            Ok(head) => head,
            Err(_) => return Ok(None),
        };
        Ok(head
            .symbolic_target_bytes()
            .and_then(|target| std::str::from_utf8(target).ok())
            .and_then(|target| target.strip_prefix("refs/heads/"))
            .map(str::to_string))
    }

    /// The URL of remote `origin`, if it has one.
    pub fn origin_url(&self) -> Result<Option<String>, GitError> {
        let repo = self.repository()?;
        let url = match repo.find_remote("origin") {
            Ok(remote) => remote.url().ok().map(str::to_string),
            Err(_) => None,
        };
        Ok(url)
    }

    /// Local branches, then `origin`'s remote-tracking branches that have no local branch of
    /// the same name; each list sorted.
    pub fn branches(&self) -> Result<Vec<BranchName>, GitError> {
        let repo = self.repository()?;
        let mut local = branch_names(&repo, BranchType::Local).map_err(|e| self.git_err(e))?;
        let remote = branch_names(&repo, BranchType::Remote).map_err(|e| self.git_err(e))?;
        local.sort();
        let mut remote_only: Vec<String> = remote
            .iter()
            .filter_map(|name| name.strip_prefix("origin/"))
            .filter(|name| *name != "HEAD" && !local.iter().any(|l| l == name))
            .map(str::to_string)
            .collect();
        remote_only.sort();
        let mut out: Vec<BranchName> = local
            .into_iter()
            .map(|name| BranchName {
                name,
                remote_only: false,
            })
            .collect();
        out.extend(remote_only.into_iter().map(|name| BranchName {
            name,
            remote_only: true,
        }));
        Ok(out)
    }

    /// The files of `commit` (a full id) down to `max_depth` directory levels, at most
    /// `max_files` of them; symlinks and submodules are not files (see [`tree`]).
    pub fn list_files(
        &self,
        commit: &str,
        max_depth: usize,
        max_files: usize,
    ) -> Result<FileListing, GitError> {
        let repo = self.repository()?;
        let commit = self.commit_by_id(&repo, commit)?;
        let root = commit.tree().map_err(|e| self.git_err(e))?;
        let mut listing = FileListing::default();
        collect_files(&repo, &root, "", max_depth, max_files, &mut listing)
            .map_err(|e| self.git_err(e))?;
        listing.files.sort();
        Ok(listing)
    }
}

fn branch_names(repo: &Repository, kind: BranchType) -> Result<Vec<String>, git2::Error> {
    let mut names = Vec::new();
    for branch in repo.branches(Some(kind))? {
        let (branch, _) = branch?;
        // A branch whose name is not UTF-8 cannot be written into a TOML config anyway.
        if let Ok(Some(name)) = branch.name() {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

fn collect_files(
    repo: &Repository,
    tree: &Tree<'_>,
    prefix: &str,
    depth_left: usize,
    max_files: usize,
    out: &mut FileListing,
) -> Result<(), git2::Error> {
    for entry in tree.iter() {
        let name = String::from_utf8_lossy(entry.name_bytes());
        let path = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        match tree::entry_class(entry.filemode(), entry.kind()) {
            tree::EntryClass::File => {
                if out.files.len() >= max_files {
                    out.truncated = true;
                    return Ok(());
                }
                out.files.push(path);
            }
            tree::EntryClass::Dir => {
                if depth_left == 0 {
                    out.truncated = true;
                    continue;
                }
                let sub = repo.find_tree(entry.id())?;
                collect_files(repo, &sub, &path, depth_left - 1, max_files, out)?;
            }
            tree::EntryClass::Skipped => {}
        }
    }
    Ok(())
}
