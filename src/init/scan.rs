//! The edge of `init`: reading the repository's branches and trees (git2, object database
//! only) and the kubeconfig's contexts, into the plain data the layout guess works on.

use super::layout::{BranchTree, RepoListing};
use super::names::KubeContext;
use crate::git::{GitError, GitRepo};
use std::path::Path;

/// Directory levels listed below the root: deeper than any layout `init` recognises.
const MAX_DEPTH: usize = 10;
/// Files listed per branch; a larger repository is listed in part (and says so).
const MAX_FILES: usize = 50_000;
/// Branches looked at; branch-per-environment repositories have a handful.
const MAX_BRANCHES: usize = 40;

/// The listing, and what was left out (for the user to know the guess saw part of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub listing: RepoListing,
    /// `origin`'s URL, unless it embeds credentials (those are never copied anywhere).
    pub origin_url: Option<String>,
    pub notes: Vec<String>,
}

/// Lists the repository at `root`: the default branch (`HEAD`'s) and every branch (local,
/// and `origin`'s remote-tracking ones without a local branch), each branch's files.
pub fn scan_repo(root: &Path) -> Result<Scanned, GitError> {
    let repo = GitRepo::open(root)?;
    let default_branch = repo
        .head_branch()?
        .unwrap_or_else(|| crate::config::DEFAULT_BRANCH.to_string());
    let head = repo.resolve(&default_branch)?;
    let mut notes = Vec::new();
    let listing = repo.list_files(&head.commit, MAX_DEPTH, MAX_FILES)?;
    if listing.truncated {
        notes.push(format!(
            "Branch `{default_branch}` was listed in part (more than {MAX_FILES} files or {MAX_DEPTH} directory levels)."
        ));
    }
    let mut branches = Vec::new();
    let all = repo.branches()?;
    if all.len() > MAX_BRANCHES {
        notes.push(format!(
            "Only the first {MAX_BRANCHES} of {} branches were looked at for a branch per environment.",
            all.len()
        ));
    }
    for branch in all.into_iter().take(MAX_BRANCHES) {
        let files = if branch.name == default_branch {
            listing.files.clone()
        } else {
            // One unreadable branch (a partial clone without its trees, a broken ref) is left
            // out, not the end of init.
            match repo
                .resolve(&branch.name)
                .and_then(|resolved| repo.list_files(&resolved.commit, MAX_DEPTH, MAX_FILES))
            {
                Ok(listed) => listed.files,
                Err(err) => {
                    notes.push(format!(
                        "Branch `{}` could not be read, so it was not looked at: {err}",
                        branch.name
                    ));
                    continue;
                }
            }
        };
        branches.push(BranchTree {
            branch: branch.name,
            files,
            remote_only: branch.remote_only,
        });
    }
    let origin_url = match repo.origin_url()? {
        Some(url) if embeds_credentials(&url) => {
            notes.push(
                "The `origin` URL embeds credentials, so it was not copied into the config; \
                 set `url` yourself (without them: kubedrift uses your git credential setup)."
                    .to_string(),
            );
            None
        }
        other => other,
    };
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Scanned {
        listing: RepoListing {
            name,
            default_branch,
            files: listing.files,
            branches,
        },
        origin_url,
        notes,
    })
}

/// Whether `url` carries a secret: a password (`user:pass@`), or any user part over HTTP(S),
/// where it is a token (`https://ghp_...@github.com/...`). An SSH user (`ssh://git@host/...`)
/// is a login name, not a secret (the key stays in the agent).
fn embeds_credentials(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => {
            userinfo.contains(':')
                || matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        }
        None => false,
    }
}

/// The kubeconfig's contexts with the cluster each uses, in file order.
pub fn contexts(kubeconfig: &kube::config::Kubeconfig) -> Vec<KubeContext> {
    kubeconfig
        .contexts
        .iter()
        .map(|named| KubeContext {
            name: named.name.clone(),
            cluster: named
                .context
                .as_ref()
                .map(|c| c.cluster.clone())
                .unwrap_or_default(),
        })
        .collect()
}
