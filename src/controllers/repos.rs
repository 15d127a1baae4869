//! Repo URL → a local repository: a configured `[[repo]]` whose `url` is the same, else a bare
//! clone (git2) in kubedrift's cache dir, fetched on the usual interval. Credentials come from
//! the user's git setup (ssh agent, credential helper), never from the cluster.

use crate::config::{Config, RepoConfig};
use std::path::{Path, PathBuf};

/// The same repository written differently compares equal: scheme, user and `.git` are
/// dropped, so `https://host/org/repo.git/`, `ssh://git@host/org/repo` and `git@host:org/repo`
/// match; a local path matches its `file://` URL.
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let rest = if let Some(path) = url.strip_prefix("file://") {
        path.to_string()
    } else if let Some((_, rest)) = url.split_once("://") {
        // host[:port]/path, without user info.
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit('@').next().unwrap_or(authority);
        format!("{host}/{path}")
    } else {
        match url.split_once(':') {
            // scp-like `user@host:path` (a local path has no ':' before its first '/').
            Some((host, path)) if !host.contains('/') => {
                let host = host.rsplit('@').next().unwrap_or(host);
                format!("{host}/{}", path.trim_start_matches('/'))
            }
            _ => url.to_string(),
        }
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    rest.to_ascii_lowercase()
}

/// The configured `[[repo]]` for `url`, if any.
pub fn configured<'a>(config: &'a Config, url: &str) -> Option<&'a RepoConfig> {
    let wanted = normalize_url(url);
    config
        .repos
        .iter()
        .find(|repo| repo.url.as_deref().map(normalize_url).as_deref() == Some(wanted.as_str()))
}

/// The clone cache: one bare repository per URL.
#[derive(Debug, Clone)]
pub struct RepoCache {
    dir: PathBuf,
}

impl RepoCache {
    pub fn new(dir: PathBuf) -> Self {
        RepoCache { dir }
    }

    /// `repos/` below kubedrift's cache root ([`crate::render::cache_root`]).
    pub fn default_dir() -> Option<PathBuf> {
        crate::render::cache_root().map(|dir| dir.join("repos"))
    }

    /// The repo name kubedrift shows for a cached clone of `url` (credentials removed).
    pub fn name_for(url: &str) -> String {
        crate::config::redact_url(url.trim().trim_end_matches('/'))
    }

    /// Where the clone of `url` lives: a readable name plus a digest of the URL.
    pub fn path_for(&self, url: &str) -> PathBuf {
        let normalized = normalize_url(url);
        let readable: String = normalized
            .rsplit('/')
            .next()
            .unwrap_or("repo")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let digest = crate::local_source::digest(normalized.as_bytes());
        self.dir.join(format!(
            "{readable}-{}.git",
            &digest[..digest.len().min(12)]
        ))
    }

    /// The clone of `url`, cloned now if it is not there yet (blocking). Returns its path and
    /// its default branch (what `HEAD` means for it).
    pub fn ensure(&self, url: &str) -> Result<(PathBuf, String), String> {
        let path = self.path_for(url);
        if !path.join("HEAD").is_file() {
            clone_bare(url, &path)?;
        }
        let default_branch = default_branch(&path)?;
        Ok((path, default_branch))
    }
}

/// Clone `url` bare into `path` (through a temp name, so a failed clone leaves nothing half
/// done behind).
fn clone_bare(url: &str, path: &Path) -> Result<(), String> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("creating the clone cache {}: {e}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".clone-")
        .tempdir_in(parent)
        .map_err(|e| format!("creating a temp dir in {}: {e}", parent.display()))?;
    let target = staging.path().join("repo.git");
    // Not a repo yet: the credential helpers come from the user's global git config.
    let auth = crate::git::transport::Auth::new(parent);
    let mut fetch = git2::FetchOptions::new();
    fetch.remote_callbacks(auth.callbacks());
    let source = local_url(url);
    let cloned = git2::build::RepoBuilder::new()
        .bare(true)
        .fetch_options(fetch)
        .clone(&source, &target);
    auth.finish(cloned.is_ok());
    cloned.map_err(|e| {
        let message = auth.refused().unwrap_or_else(|| e.message().to_string());
        format!(
            "cloning {}: {}",
            crate::config::redact_url(url),
            crate::actions::promote::commit::redact_urls(&message)
        )
    })?;
    std::fs::rename(&target, path).map_err(|e| format!("moving the clone into place: {e}"))?;
    Ok(())
}

/// git2 takes local paths and `file://` URLs alike; a bare path stays a path.
fn local_url(url: &str) -> String {
    url.trim().to_string()
}

/// The branch `HEAD` points at in a bare clone (the remote's default branch).
fn default_branch(path: &Path) -> Result<String, String> {
    let repo = git2::Repository::open_bare(path)
        .map_err(|e| format!("opening the clone {}: {}", path.display(), e.message()))?;
    let head = repo
        .find_reference("HEAD")
        .map_err(|e| format!("reading HEAD of {}: {}", path.display(), e.message()))?;
    Ok(head
        .symbolic_target()
        .ok()
        .flatten()
        .and_then(|target| target.strip_prefix("refs/heads/"))
        .unwrap_or(crate::config::DEFAULT_BRANCH)
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_the_same_repo_match() {
        assert_eq!(
            normalize_url("https://github.com/Acme/Deploy.git/"),
            normalize_url("https://github.com/acme/deploy")
        );
        assert_eq!(
            normalize_url("file:///srv/gitops"),
            normalize_url("/srv/gitops")
        );
        assert_eq!(
            normalize_url("git@github.com:acme/deploy.git"),
            normalize_url("https://github.com/acme/deploy")
        );
        assert_eq!(
            normalize_url("ssh://git@github.com/acme/deploy"),
            normalize_url("https://user:token@github.com/acme/deploy.git")
        );
        assert_ne!(normalize_url("https://a/x"), normalize_url("https://a/y"));
    }

    #[test]
    fn clone_paths_are_stable_readable_and_distinct() {
        let cache = RepoCache::new(PathBuf::from("/cache/repos"));
        let a = cache.path_for("https://git.example.com/shop/deploy.git");
        assert_eq!(a, cache.path_for("https://git.example.com/shop/deploy"));
        assert!(a
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("deploy-")));
        assert_ne!(a, cache.path_for("https://git.example.com/other/deploy"));
        assert_eq!(
            RepoCache::name_for("https://user:token@git.example.com/x.git"),
            "https://***@git.example.com/x.git"
        );
    }
}
