//! Noticing new commits without waiting for the Git poll interval: a cheap fingerprint of
//! the files and directories where git keeps refs (`HEAD`, `packed-refs`, `refs/`), checked
//! at a short interval. Git (the CLI and libgit2) updates a ref by renaming a lock file over
//! it, which changes the ref file and its directory; a fetch or a `pack-refs` rewrites
//! `packed-refs`. Stat calls only: no git objects are read until something moved.
//!
//! A stat-based check rather than inotify: it needs no extra dependency or per-platform
//! code, works the same on network file systems, and costs a few dozen `stat`s per check.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How often the refs are checked between two polls.
pub const REF_CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// Directories deeper than this below `refs/` are not walked (a guard against odd trees).
const MAX_DEPTH: usize = 8;

/// The paths whose changes mean "a ref may have moved", for a set of repositories.
#[derive(Debug, Clone, Default)]
pub struct RefWatch {
    paths: Vec<PathBuf>,
}

impl RefWatch {
    /// Watch the repositories at `repo_paths` (work trees or bare repos). A path that is not
    /// a repository (yet) is watched itself, so a clone appearing there is noticed too.
    pub fn for_repos<'a>(repo_paths: impl IntoIterator<Item = &'a Path>) -> RefWatch {
        let mut paths = Vec::new();
        for path in repo_paths {
            match git2::Repository::open_ext(
                path,
                git2::RepositoryOpenFlags::NO_SEARCH,
                std::iter::empty::<&std::ffi::OsStr>(),
            ) {
                Ok(repo) => {
                    // HEAD is per work tree; refs and packed-refs are shared (commondir).
                    paths.push(repo.path().join("HEAD"));
                    let common = repo.commondir();
                    paths.push(common.join("packed-refs"));
                    paths.push(common.join("refs"));
                }
                Err(_) => paths.push(path.to_path_buf()),
            }
        }
        paths.sort();
        paths.dedup();
        RefWatch { paths }
    }

    /// A value that changes whenever a watched ref file or directory changes (stat only).
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        for path in &self.paths {
            stat_into(path, &mut hasher, 0);
        }
        hasher.finish()
    }
}

/// Hash what `stat` says of `path` (missing is a state too); walk into directories, in
/// sorted order so that the order of `read_dir` does not matter.
fn stat_into(path: &Path, hasher: &mut DefaultHasher, depth: usize) {
    path.hash(hasher);
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        0u8.hash(hasher);
        return;
    };
    meta.len().hash(hasher);
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .hash(hasher);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.ino().hash(hasher);
        meta.ctime_nsec().hash(hasher);
    }
    if meta.is_dir() && depth < MAX_DEPTH {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        children.sort();
        for child in children {
            stat_into(&child, hasher, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(repo: &git2::Repository, reference: &str, file: &str) -> git2::Oid {
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let mut builder = repo.treebuilder(None).unwrap();
        let blob = repo.blob(file.as_bytes()).unwrap();
        builder.insert(file, blob, 0o100644).unwrap();
        let tree = repo.find_tree(builder.write().unwrap()).unwrap();
        let parent = repo
            .find_reference(reference)
            .ok()
            .and_then(|r| r.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some(reference), &sig, &sig, file, &tree, &parents)
            .unwrap()
    }

    #[test]
    fn commits_branches_and_packed_refs_change_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        commit(&repo, "refs/heads/main", "a");
        let watch = RefWatch::for_repos([dir.path()]);
        let mut last = watch.fingerprint();
        assert_eq!(watch.fingerprint(), last, "nothing moved");
        let mut moved = |what: &str| {
            let now = watch.fingerprint();
            assert_ne!(now, last, "{what} not noticed");
            last = now;
        };
        commit(&repo, "refs/heads/main", "b");
        moved("a commit on main");
        commit(&repo, "refs/heads/env/dev", "c");
        moved("a new nested branch");
        let head = repo.refname_to_id("refs/heads/main").unwrap();
        repo.reference("refs/remotes/origin/main", head, true, "fetch")
            .unwrap();
        moved("a remote-tracking ref");
        std::fs::write(
            dir.path().join(".git/packed-refs"),
            format!("# pack-refs with: peeled fully-peeled sorted\n{head} refs/tags/v1\n"),
        )
        .unwrap();
        moved("packed-refs");
        repo.set_head("refs/heads/env/dev").unwrap();
        moved("HEAD");
    }

    #[test]
    fn a_missing_repo_is_watched_until_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later");
        let watch = RefWatch::for_repos([path.as_path()]);
        let before = watch.fingerprint();
        git2::Repository::init(&path).unwrap();
        assert_ne!(watch.fingerprint(), before);
    }
}
