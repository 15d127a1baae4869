//! Git source (git2): resolve refs and read subtrees from git objects, never the work tree.
//!
//! Everything here reads the object database only (commits, trees, blobs, refs). The working
//! tree and the index are never consulted, so a dirty checkout, a half-finished rebase or a
//! bare mirror all give the same answer for the same commit.
//!
//! Sharing: [`GitRepo`] holds only the repository path and opens a `git2::Repository` per
//! call. `git2::Repository` is `Send` but not `Sync`; opening is cheap (a few file reads) next
//! to the tree walks we do, and a path-only handle is `Send + Sync + Clone`, so the live layer
//! can share one `GitRepo` across tasks (and run calls in `spawn_blocking`) without a mutex
//! serialising every reader. It also means refs updated by a fetch are seen by the next call.

mod history;
mod listing;
mod paths;
pub mod transport;
mod tree;

pub use listing::{BranchName, FileListing};
pub use paths::{join_path, normalize_path, EscapesRoot};
pub use tree::CommitSource;

use git2::{ObjectType, Oid, Repository, RepositoryOpenFlags};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Everything that can go wrong reading a repository. Messages name the repo and the ref or
/// path involved, because during an incident "not found" alone is useless.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("cannot open git repository {repo}: {message}")]
    Open { repo: PathBuf, message: String },
    #[error("unknown revision `{rev}` in git repository {repo} (not a branch, remote branch `origin/{rev}`, tag or commit)")]
    UnknownRev { rev: String, repo: PathBuf },
    #[error("revision `{rev}` in git repository {repo} is ambiguous: {message}")]
    AmbiguousRev {
        rev: String,
        repo: PathBuf,
        message: String,
    },
    #[error("revision `{rev}` in git repository {repo} does not point to a commit")]
    NotACommit { rev: String, repo: PathBuf },
    #[error("path {path:?} not found at {revision} in git repository {repo}")]
    PathNotFound {
        path: String,
        revision: String,
        repo: PathBuf,
    },
    #[error("path {path:?} is not a directory at {revision} in git repository {repo}")]
    NotADirectory {
        path: String,
        revision: String,
        repo: PathBuf,
    },
    #[error("file {path:?} at {revision} in git repository {repo} is {size} bytes, over the limit of {limit} bytes")]
    FileTooLarge {
        path: String,
        revision: String,
        repo: PathBuf,
        size: usize,
        limit: usize,
    },
    #[error("invalid path {path:?}: it escapes the repository root")]
    InvalidPath { path: String },
    #[error("git error in repository {repo}: {message}")]
    Git { repo: PathBuf, message: String },
}

impl From<EscapesRoot> for GitError {
    fn from(e: EscapesRoot) -> Self {
        GitError::InvalidPath { path: e.path }
    }
}

/// What kind of name a revision was resolved through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevKind {
    Head,
    Branch,
    RemoteBranch,
    Tag,
    Commit,
    /// Any other git revision expression (`main~2`, `v1.0^{commit}`).
    Expression,
}

/// One commit, as shown to people: who, when, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Full commit id (hex).
    pub commit: String,
    /// First 7 hex digits, for display.
    pub short: String,
    /// First line of the message (lossy UTF-8).
    pub summary: String,
    /// Author name (lossy UTF-8).
    pub author: String,
    /// Author time.
    pub time: jiff::Timestamp,
}

/// A revision name resolved to a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedRev {
    /// The revision as asked for (`main`, `v1.2.0`, `1a2b3c4`).
    pub rev: String,
    /// How it was resolved.
    pub kind: RevKind,
    /// The full reference name used, when it was a reference (`refs/remotes/origin/main`).
    pub reference: Option<String>,
    /// Full commit id (hex).
    pub commit: String,
    /// First 7 hex digits.
    pub short: String,
    pub summary: String,
    pub author: String,
    pub time: jiff::Timestamp,
}

impl ResolvedRev {
    /// The commit part, without how it was named.
    pub fn info(&self) -> CommitInfo {
        CommitInfo {
            commit: self.commit.clone(),
            short: self.short.clone(),
            summary: self.summary.clone(),
            author: self.author.clone(),
            time: self.time,
        }
    }

    /// `main@1a2b3c4`, for messages.
    pub fn label(&self) -> String {
        if self.kind == RevKind::Commit {
            self.short.clone()
        } else {
            format!("{}@{}", self.rev, self.short)
        }
    }
}

/// A local git repository (bare or not), by path. Cheap to clone and share between threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRepo {
    path: PathBuf,
}

impl GitRepo {
    /// Opens the repository at `path` (a work tree, its `.git` dir, or a bare repo). Parent
    /// directories are not searched: a configured path must be the repository itself.
    pub fn open(path: impl AsRef<Path>) -> Result<GitRepo, GitError> {
        let repo = GitRepo {
            path: path.as_ref().to_path_buf(),
        };
        repo.repository()?;
        Ok(repo)
    }

    /// The path this handle was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens a fresh `git2::Repository` (see the module docs for why per call).
    pub(crate) fn repository(&self) -> Result<Repository, GitError> {
        Repository::open_ext(
            &self.path,
            RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&std::ffi::OsStr>(),
        )
        .map_err(|e| GitError::Open {
            repo: self.path.clone(),
            message: e.message().to_string(),
        })
    }

    pub(crate) fn git_err(&self, e: git2::Error) -> GitError {
        GitError::Git {
            repo: self.path.clone(),
            message: e.message().to_string(),
        }
    }

    /// Resolves `rev` to a commit. Tried in order: `HEAD`, local branch, remote-tracking
    /// branch `origin/<rev>` (or `<remote>/<branch>` spelled out), tag (annotated or
    /// lightweight, peeled to its commit), full or abbreviated commit id, then any other git
    /// revision expression (`main~1`).
    pub fn resolve(&self, rev: &str) -> Result<ResolvedRev, GitError> {
        let repo = self.repository()?;
        let rev_trimmed = rev.trim();
        if rev_trimmed.is_empty() {
            return Err(GitError::UnknownRev {
                rev: rev.to_string(),
                repo: self.path.clone(),
            });
        }
        let (commit, kind, reference) = self.find_commit(&repo, rev_trimmed)?;
        let info = commit_info(&commit);
        Ok(ResolvedRev {
            rev: rev_trimmed.to_string(),
            kind,
            reference,
            commit: info.commit,
            short: info.short,
            summary: info.summary,
            author: info.author,
            time: info.time,
        })
    }

    fn find_commit<'r>(
        &self,
        repo: &'r Repository,
        rev: &str,
    ) -> Result<(git2::Commit<'r>, RevKind, Option<String>), GitError> {
        let not_a_commit = || GitError::NotACommit {
            rev: rev.to_string(),
            repo: self.path.clone(),
        };
        if rev == "HEAD" {
            let head = repo.head().map_err(|_| GitError::UnknownRev {
                rev: rev.to_string(),
                repo: self.path.clone(),
            })?;
            let commit = head.peel_to_commit().map_err(|_| not_a_commit())?;
            return Ok((commit, RevKind::Head, Some("HEAD".to_string())));
        }
        let candidates = [
            (format!("refs/heads/{rev}"), RevKind::Branch),
            (format!("refs/remotes/origin/{rev}"), RevKind::RemoteBranch),
            (format!("refs/remotes/{rev}"), RevKind::RemoteBranch),
            (format!("refs/tags/{rev}"), RevKind::Tag),
        ];
        for (name, kind) in candidates {
            // An invalid ref name (spaces, `..`) is simply "not this kind".
            if let Ok(reference) = repo.find_reference(&name) {
                let commit = reference.peel_to_commit().map_err(|_| not_a_commit())?;
                return Ok((commit, kind, Some(name)));
            }
        }
        if rev.len() >= 4 && rev.len() <= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            match repo.find_commit_by_prefix(rev) {
                Ok(commit) => return Ok((commit, RevKind::Commit, None)),
                Err(e) if e.code() == git2::ErrorCode::Ambiguous => {
                    return Err(GitError::AmbiguousRev {
                        rev: rev.to_string(),
                        repo: self.path.clone(),
                        message: e.message().to_string(),
                    })
                }
                Err(_) => {}
            }
        }
        match repo.revparse_single(rev) {
            Ok(object) => {
                let commit = object.peel_to_commit().map_err(|_| not_a_commit())?;
                Ok((commit, RevKind::Expression, None))
            }
            Err(_) => Err(GitError::UnknownRev {
                rev: rev.to_string(),
                repo: self.path.clone(),
            }),
        }
    }

    /// A [`CommitSource`] reading directories at the commit `rev` resolves to.
    pub fn commit_source(&self, rev: &str) -> Result<CommitSource, GitError> {
        let resolved = self.resolve(rev)?;
        Ok(CommitSource::new(self.clone(), &resolved))
    }

    /// The commit with this full id, as a git2 object (internal).
    pub(crate) fn commit_by_id<'r>(
        &self,
        repo: &'r Repository,
        commit: &str,
    ) -> Result<git2::Commit<'r>, GitError> {
        let unknown = || GitError::UnknownRev {
            rev: commit.to_string(),
            repo: self.path.clone(),
        };
        let oid = Oid::from_str(commit).map_err(|_| unknown())?;
        let object = repo.find_object(oid, None).map_err(|_| unknown())?;
        if object.kind() != Some(ObjectType::Commit) {
            // Accept a tag object id too, peeled, as `git` would.
            return object.peel_to_commit().map_err(|_| GitError::NotACommit {
                rev: commit.to_string(),
                repo: self.path.clone(),
            });
        }
        object.peel_to_commit().map_err(|e| self.git_err(e))
    }

    /// The git tree id (hex) of directory `path` at `commit` (a full commit id), or `None`
    /// when there is no directory there. Reads only tree objects, never blobs: this is the
    /// cheap "did this app change?" check.
    pub fn tree_id(&self, commit: &str, path: &str) -> Result<Option<String>, GitError> {
        let path = normalize_path(path)?;
        let repo = self.repository()?;
        let commit = self.commit_by_id(&repo, commit)?;
        let root = commit.tree().map_err(|e| self.git_err(e))?;
        Ok(tree::dir_tree_id(&root, &path).map(|oid| oid.to_string()))
    }

    /// Directories below `prefix` at `commit`, down to `depth` levels (1 = direct children),
    /// as repo-relative paths, sorted. Submodules and files are not directories. A missing
    /// `prefix` yields an empty list: there is simply nothing to discover there.
    pub fn list_dirs(
        &self,
        commit: &str,
        prefix: &str,
        depth: usize,
    ) -> Result<Vec<String>, GitError> {
        let prefix = normalize_path(prefix)?;
        let repo = self.repository()?;
        let commit = self.commit_by_id(&repo, commit)?;
        let root = commit.tree().map_err(|e| self.git_err(e))?;
        let mut out = Vec::new();
        let Some(oid) = tree::dir_tree_id(&root, &prefix) else {
            return Ok(out);
        };
        let start = repo.find_tree(oid).map_err(|e| self.git_err(e))?;
        tree::collect_dirs(&repo, &start, &prefix, depth, &mut out).map_err(|e| self.git_err(e))?;
        out.sort();
        Ok(out)
    }

    /// Commits reachable from `commit` that changed `path` (a directory or a file), newest first, at most
    /// `limit`. See [`history`](self::history) for what "changed" means for merges.
    pub fn history(
        &self,
        commit: &str,
        path: &str,
        limit: usize,
    ) -> Result<Vec<CommitInfo>, GitError> {
        history::history(self, commit, path, limit)
    }

    /// How many commits reachable from `to` but not from `from` changed `path` ("behind by
    /// N"). Zero when `from` already contains `to`.
    pub fn count_between(&self, from: &str, to: &str, path: &str) -> Result<usize, GitError> {
        history::count_between(self, from, to, path)
    }
}

/// Who/when/what of a commit, tolerant of non-UTF-8 metadata.
pub(crate) fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let id = commit.id().to_string();
    let short = id.chars().take(7).collect();
    let summary = commit
        .summary_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let author_sig = commit.author();
    let author = String::from_utf8_lossy(author_sig.name_bytes()).into_owned();
    let seconds = author_sig.when().seconds();
    let time = jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    CommitInfo {
        commit: id,
        short,
        summary,
        author,
        time,
    }
}
