//! Folder per environment: copy chosen files (names or `*`/`?` globs, relative to the app
//! directory) from the source environment's folder to the target's.

use super::{join, read_file, FileEdit, PromoteError};
use git2::{Oid, Repository, TreeWalkMode, TreeWalkResult};

/// The edits that make the target folder's matching files equal to the source's. Files
/// already equal are left out; a pattern that matches nothing in the source is an error
/// (a typo must not silently promote nothing).
pub fn edits(
    repo: &Repository,
    source: Oid,
    source_dir: &str,
    target: Oid,
    target_dir: &str,
    patterns: &[String],
) -> Result<Vec<FileEdit>, PromoteError> {
    let files = files_under(repo, source, source_dir)?;
    let mut edits = Vec::new();
    for pattern in patterns {
        let matched: Vec<&String> = files.iter().filter(|f| glob_match(pattern, f)).collect();
        if matched.is_empty() {
            return Err(PromoteError::Model(format!(
                "`{pattern}` matches no file in {source_dir} at the source"
            )));
        }
        for relative in matched {
            let target_path = join(target_dir, relative);
            if edits.iter().any(|e: &FileEdit| e.path == target_path) {
                continue;
            }
            let new = read_file(repo, source, &join(source_dir, relative))?.unwrap_or_default();
            let old = read_file(repo, target, &target_path)?;
            if old.as_deref() != Some(new.as_slice()) {
                edits.push(FileEdit {
                    path: target_path,
                    old,
                    new,
                });
            }
        }
    }
    edits.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(edits)
}

/// Every file below `dir` at `commit`, relative to `dir`.
fn files_under(repo: &Repository, commit: Oid, dir: &str) -> Result<Vec<String>, PromoteError> {
    let root = repo.find_commit(commit)?.tree()?;
    let tree = if dir.is_empty() {
        root
    } else {
        let entry = root.get_path(std::path::Path::new(dir)).map_err(|_| {
            PromoteError::Model(format!("{dir} does not exist at the source commit"))
        })?;
        entry
            .to_object(repo)?
            .into_tree()
            .map_err(|_| PromoteError::Model(format!("{dir} is not a directory")))?
    };
    let mut files = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            if let Ok(name) = entry.name() {
                files.push(format!("{parent}{name}"));
            }
        }
        TreeWalkResult::Ok
    })?;
    Ok(files)
}

/// `*` any run of characters except `/`, `?` one such character; everything else literal.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some('*'), _) => {
                go(&p[1..], s) || (s.first().is_some_and(|c| *c != '/') && go(p, &s[1..]))
            }
            (Some('?'), Some(c)) if *c != '/' => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    go(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs_match_within_one_directory_level() {
        assert!(glob_match("version.yml", "version.yml"));
        assert!(glob_match("*.env", "a.env"));
        assert!(!glob_match("*.env", "config/a.env"));
        assert!(glob_match("config/*.env", "config/a.env"));
        assert!(glob_match("v?.yml", "v1.yml"));
        assert!(!glob_match("version.yml", "version.yaml"));
    }
}
