//! Writing a prepared promotion: git objects, then a compare-and-swap ref update; and the
//! optional push. Never a checkout: the user's work tree and index are not touched.

use super::{branch, masked, read_file, Change, PromoteError, Proposal};
use crate::actions::capability::GitWriteCapability;
use git2::{Oid, Repository};
use serde::Serialize;
use std::collections::BTreeMap;

/// The diff the promotion makes to the target tip, as `git diff` text, file by file; a file
/// holding Secrets is shown masked or hidden ([`super::masked`]), never its values.
pub fn diff_text(
    repo: &Repository,
    target_tip: Oid,
    change: &Change,
) -> Result<String, PromoteError> {
    let old_tree = repo.find_commit(target_tip)?.tree()?;
    let diff = match change {
        Change::FastForward { to } => {
            let new_tree = repo.find_commit(*to)?.tree()?;
            repo.diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)?
        }
        Change::Merge { source } => {
            let index = repo.merge_commits(
                &repo.find_commit(target_tip)?,
                &repo.find_commit(*source)?,
                None,
            )?;
            repo.diff_tree_to_index(Some(&old_tree), Some(&index), None)?
        }
        Change::Files { edits } => {
            let mut text = String::new();
            for edit in edits {
                text.push_str(&masked::file_text(
                    &edit.path,
                    edit.old.as_deref(),
                    Some(&edit.new),
                    || plain_file_diff(edit),
                ));
            }
            return Ok(text);
        }
    };
    let blob = |id: Oid| -> Result<Option<Vec<u8>>, PromoteError> {
        if id.is_zero() {
            return Ok(None);
        }
        Ok(Some(repo.find_blob(id)?.content().to_vec()))
    };
    let mut text = String::new();
    for (index, delta) in diff.deltas().enumerate() {
        let path = delta
            .new_file()
            .path()
            .or(delta.old_file().path())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = blob(delta.old_file().id())?;
        let new = blob(delta.new_file().id())?;
        let plain = match git2::Patch::from_diff(&diff, index)? {
            Some(mut patch) => String::from_utf8_lossy(&patch.to_buf()?).into_owned(),
            None => String::new(),
        };
        text.push_str(&masked::file_text(
            &path,
            old.as_deref(),
            new.as_deref(),
            || plain,
        ));
    }
    Ok(text)
}

/// One file edit as a unified diff (the files models).
fn plain_file_diff(edit: &super::FileEdit) -> String {
    let old = String::from_utf8_lossy(edit.old.as_deref().unwrap_or_default()).into_owned();
    let new = String::from_utf8_lossy(&edit.new).into_owned();
    let old_name = if edit.old.is_some() {
        format!("a/{}", edit.path)
    } else {
        "/dev/null".to_string()
    };
    format!(
        "diff --git a/{0} b/{0}\n{1}",
        edit.path,
        similar::TextDiff::from_lines(&old, &new)
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &format!("b/{}", edit.path))
    )
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// The ref that now points at `commit`.
    pub reference: String,
    pub commit: String,
    /// The ref's previous tip (None: a new branch).
    pub previous: Option<String>,
    /// The target moved after the plan and the promotion was rebuilt on its new tip.
    pub rebuilt_on: Option<String>,
}

/// Write the promotion: objects, then the ref — compare-and-swap against the tip it was
/// built on, so a commit that landed meanwhile is never lost. When the target moved since
/// [`super::prepare`], file promotions are rebuilt on the new tip if the new commits did not
/// touch the promoted files, merges likewise (a conflict stops), and a fast-forward that no
/// longer is one stops ([`PromoteError::TargetMoved`]: nothing written).
/// [`build`] then [`update_ref`].
pub fn execute(
    proposal: &Proposal,
    capability: &GitWriteCapability,
) -> Result<Written, PromoteError> {
    let built = build(proposal, capability)?;
    update_ref(proposal, capability, &built)
}

/// The commit a promotion makes, written as objects but not yet on any ref, and the tip it
/// was made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Built {
    base: Oid,
    commit: Oid,
}

impl Built {
    /// The target tip the commit was made on (the compare-and-swap's expected value).
    pub fn base(&self) -> Oid {
        self.base
    }

    pub fn commit(&self) -> Oid {
        self.commit
    }
}

fn check_capability(
    proposal: &Proposal,
    capability: &GitWriteCapability,
) -> Result<(), PromoteError> {
    if capability.repo() != proposal.repo {
        return Err(PromoteError::WrongRepo {
            have: capability.repo().display().to_string(),
            want: proposal.repo.display().to_string(),
        });
    }
    if capability.env() != proposal.to || capability.write_ref() != proposal.write_ref {
        return Err(PromoteError::WrongTarget {
            have: format!("{} in {}", capability.write_ref(), capability.env()),
            want: format!("{} in {}", proposal.write_ref, proposal.to),
        });
    }
    Ok(())
}

/// Write the promotion's objects (blobs, trees, the commit) on the target's current tip, or
/// stop when that tip moved in a way the preview does not cover. No ref moves.
pub fn build(proposal: &Proposal, capability: &GitWriteCapability) -> Result<Built, PromoteError> {
    check_capability(proposal, capability)?;
    let repo = super::open_repo(&proposal.repo)?;
    let signature = repo
        .signature()
        .map_err(|e| PromoteError::NoIdentity(e.message().to_string()))?;
    let current = repo.refname_to_id(&proposal.target_ref)?;
    let moved = |now: Oid| PromoteError::TargetMoved {
        target: proposal.target_ref.clone(),
        planned: super::short(proposal.target_tip),
        now: super::short(now),
    };
    let base = if current == proposal.target_tip {
        current
    } else {
        match &proposal.change {
            Change::Files { edits } => {
                for edit in edits {
                    if read_file(&repo, current, &edit.path)? != edit.old {
                        return Err(moved(current));
                    }
                }
                current
            }
            Change::FastForward { to } if repo.graph_descendant_of(*to, current)? => current,
            // The merge is made again on the new tip only when the commits that landed
            // there touch none of the paths the previewed merge changes: then the result
            // differs from the preview only by those commits (a conflict still stops below).
            Change::Merge { source } => {
                let planned = repo.find_commit(proposal.target_tip)?.tree()?;
                let merged = repo.merge_commits(
                    &repo.find_commit(proposal.target_tip)?,
                    &repo.find_commit(*source)?,
                    None,
                )?;
                let merge_paths =
                    changed_paths(&repo.diff_tree_to_index(Some(&planned), Some(&merged), None)?);
                let landed = repo.find_commit(current)?.tree()?;
                let landed_paths =
                    changed_paths(&repo.diff_tree_to_tree(Some(&planned), Some(&landed), None)?);
                if !merge_paths.is_disjoint(&landed_paths) {
                    return Err(moved(current));
                }
                current
            }
            Change::FastForward { .. } => return Err(moved(current)),
        }
    };
    let new_commit = match &proposal.change {
        Change::FastForward { to } => *to,
        Change::Merge { source } => {
            branch::conflicts(&repo, base, *source).map_err(|e| match e {
                branch::BranchError::Conflict(paths) => PromoteError::MergeConflict {
                    target: proposal.target_ref.clone(),
                    source_ref: proposal.source_ref.clone(),
                    paths,
                },
                branch::BranchError::NotFastForward => moved(current),
                branch::BranchError::Git(e) => PromoteError::Git(e),
            })?;
            let mut index =
                repo.merge_commits(&repo.find_commit(base)?, &repo.find_commit(*source)?, None)?;
            let tree = repo.find_tree(index.write_tree_to(&repo)?)?;
            let parents = [&repo.find_commit(base)?, &repo.find_commit(*source)?];
            repo.commit(
                None,
                &signature,
                &signature,
                &proposal.message,
                &tree,
                &parents,
            )?
        }
        Change::Files { edits } => {
            let base_commit = repo.find_commit(base)?;
            let mut blobs: BTreeMap<String, Oid> = BTreeMap::new();
            for edit in edits {
                blobs.insert(edit.path.clone(), repo.blob(&edit.new)?);
            }
            let tree_id = write_tree(&repo, Some(base_commit.tree()?), &blobs)?;
            let tree = repo.find_tree(tree_id)?;
            repo.commit(
                None,
                &signature,
                &signature,
                &proposal.message,
                &tree,
                &[&base_commit],
            )?
        }
    };
    Ok(Built {
        base,
        commit: new_commit,
    })
}

/// Point the write ref at `built.commit`: compare-and-swap against `built.base` for the
/// environment's ref (a ref that moved since [`build`] is never overwritten), a new branch
/// only if it does not exist.
pub fn update_ref(
    proposal: &Proposal,
    capability: &GitWriteCapability,
    built: &Built,
) -> Result<Written, PromoteError> {
    check_capability(proposal, capability)?;
    let repo = super::open_repo(&proposal.repo)?;
    let (base, new_commit) = (built.base, built.commit);
    let moved = |now: Oid| PromoteError::TargetMoved {
        target: proposal.target_ref.clone(),
        planned: super::short(base),
        now: super::short(now),
    };
    let log = format!(
        "kubedrift promote {}: {} → {}",
        proposal.app, proposal.from, proposal.to
    );
    let previous = if proposal.onto_env_ref() {
        // Checked out since the preview? Still never moved under a work tree.
        super::refuse_checked_out(&repo, &proposal.write_ref)?;
        // Compare-and-swap: fails if the ref is no longer `base`.
        repo.reference_matching(&proposal.write_ref, new_commit, true, base, &log)
            .map_err(|err| match repo.refname_to_id(&proposal.write_ref) {
                // The ref is not where it was: that is the CAS refusing.
                Ok(now) if now != base => moved(now),
                // Anything else (a lock held, a bad name, an I/O error) is git's error.
                _ => PromoteError::from(err),
            })?;
        Some(base.to_string())
    } else {
        repo.reference(&proposal.write_ref, new_commit, false, &log)
            .map_err(|err| {
                if repo.find_reference(&proposal.write_ref).is_ok() {
                    PromoteError::BranchExists(proposal.write_ref.clone())
                } else {
                    PromoteError::from(err)
                }
            })?;
        None
    };
    Ok(Written {
        reference: proposal.write_ref.clone(),
        commit: new_commit.to_string(),
        previous,
        rebuilt_on: (base != proposal.target_tip).then(|| base.to_string()),
    })
}

/// Every path a diff adds, removes or changes (both names of a rename).
fn changed_paths(diff: &git2::Diff<'_>) -> std::collections::BTreeSet<String> {
    diff.deltas()
        .flat_map(|d| [d.old_file().path(), d.new_file().path()])
        .flatten()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// A tree: `base` with the files in `blobs` (repo paths) replaced or added.
fn write_tree(
    repo: &Repository,
    base: Option<git2::Tree<'_>>,
    blobs: &BTreeMap<String, Oid>,
) -> Result<Oid, PromoteError> {
    let mut builder = repo.treebuilder(base.as_ref())?;
    let mut subdirs: BTreeMap<String, BTreeMap<String, Oid>> = BTreeMap::new();
    for (path, blob) in blobs {
        match path.split_once('/') {
            Some((dir, rest)) => {
                subdirs
                    .entry(dir.to_string())
                    .or_default()
                    .insert(rest.to_string(), *blob);
            }
            None => {
                let mode = base
                    .as_ref()
                    .and_then(|t| t.get_name(path).map(|e| e.filemode()))
                    .filter(|m| *m == 0o100755)
                    .unwrap_or(0o100644);
                builder.insert(path, *blob, mode)?;
            }
        }
    }
    for (dir, inner) in subdirs {
        let sub = base
            .as_ref()
            .and_then(|t| t.get_name(&dir).map(|e| e.id()))
            .and_then(|id| repo.find_tree(id).ok());
        let id = write_tree(repo, sub, &inner)?;
        builder.insert(&dir, id, 0o040000)?;
    }
    Ok(builder.write()?)
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "push", rename_all = "snake_case")]
pub enum PushResult {
    Pushed {
        remote: String,
    },
    /// The remote refused (non-fast-forward, hook, permissions); the local commit stays.
    Rejected {
        remote: String,
        message: String,
    },
}

/// Push `reference` to the repo's `origin` (or `url` when there is no origin), without
/// force. Credentials come from the user's git setup ([`crate::git::transport`]): the ssh
/// agent, git's credential helpers; credentials the server refuses stop the push (no retry
/// loop) and it is reported as rejected, with the local commit kept.
pub fn push(
    capability: &GitWriteCapability,
    reference: &str,
    url: Option<&str>,
) -> Result<PushResult, PromoteError> {
    if reference != capability.write_ref() {
        return Err(PromoteError::WrongTarget {
            have: capability.write_ref().to_string(),
            want: reference.to_string(),
        });
    }
    let repo = super::open_repo(capability.repo())?;
    let mut remote = match repo.find_remote("origin") {
        Ok(remote) => remote,
        Err(_) => match url {
            Some(url) => repo
                .remote_anonymous(url)
                .map_err(|e| PromoteError::Git(redact_urls(e.message())))?,
            None => {
                return Err(PromoteError::Config(
                    "no remote `origin` and no `url` for the repo: nothing to push to".into(),
                ))
            }
        },
    };
    let name = match remote.name() {
        Ok(Some(name)) => name.to_string(),
        _ => crate::config::redact_url(remote.url().unwrap_or("remote")),
    };
    let auth = crate::git::transport::Auth::new(capability.repo());
    let mut rejected: Option<String> = None;
    let result = {
        let mut callbacks = auth.callbacks();
        callbacks.push_update_reference(|_, status| {
            if let Some(message) = status {
                rejected = Some(message.to_string());
            }
            Ok(())
        });
        let mut options = git2::PushOptions::new();
        options.remote_callbacks(callbacks);
        remote.push(&[format!("{reference}:{reference}")], Some(&mut options))
    };
    auth.finish(result.is_ok());
    match (result, rejected) {
        (Ok(()), None) => Ok(PushResult::Pushed { remote: name }),
        (Ok(()), Some(message)) => Ok(PushResult::Rejected {
            remote: name,
            message: redact_urls(&message),
        }),
        (Err(err), _) => Ok(PushResult::Rejected {
            remote: name,
            message: redact_urls(&auth.refused().unwrap_or_else(|| err.message().to_string())),
        }),
    }
}

/// The remote [`push`] would push to for the repo at `repo` (`origin`, else `url`), as shown
/// to the user (credentials redacted); None when there is none.
pub fn push_remote(repo: &std::path::Path, url: Option<&str>) -> Option<String> {
    let repo = super::open_repo(repo).ok()?;
    if let Ok(origin) = repo.find_remote("origin") {
        let shown = origin
            .url()
            .map(|u| format!(" ({})", crate::config::redact_url(u)))
            .unwrap_or_default();
        return Some(format!("origin{shown}"));
    }
    url.map(crate::config::redact_url)
}

/// Every URL in `text` with its userinfo replaced ([`crate::config::redact_url`]): git's
/// and the remote's messages quote the remote URL, which may embed credentials.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let scheme_start = rest[..found]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1);
        let end = rest[found..]
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>'))
            .map_or(rest.len(), |i| found + i);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&crate::config::redact_url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_urls;

    #[test]
    fn credentials_in_urls_inside_messages_are_redacted() {
        assert_eq!(
            redact_urls("failed to push to 'https://dana:s3cr3t@git.example.com/shop.git': denied"),
            "failed to push to 'https://***@git.example.com/shop.git': denied"
        );
        assert_eq!(
            redact_urls("a https://t0ken@h/x and ssh://git@h:22/y, plain"),
            "a https://***@h/x and ssh://***@h:22/y, plain"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
        assert_eq!(redact_urls("ünïcode ://x@y"), "ünïcode ://***@y");
    }
}
