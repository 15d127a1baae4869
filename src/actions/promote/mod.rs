//! Promotion of an app from one environment to the next, on git objects and refs only —
//! never the user's work tree or index.
//!
//! [`prepare`] reads git and returns a [`Proposal`]: what the target ref will become and the
//! diff of it, computed in memory (nothing written). [`commit::execute`] writes it with a
//! [`GitWriteCapability`]: blobs, tree and commit objects, then a compare-and-swap update of
//! the target ref (a ref that moved meanwhile is never overwritten: the promotion is rebuilt
//! on the new tip when it touches other files, else it stops). [`commit::push`] pushes
//! through git2 (credential helper, ssh-agent); a rejected push keeps the local commit.
//!
//! Models: [`branch`] (fast-forward or merge the target environment's branch), [`folder`]
//! (copy chosen files between environment folders), [`image`] (kustomize `images:` newTag or
//! a Helm values key), [`value`] (values at YAML paths, edited in place: [`yaml_path`]).
//!
//! [`GitWriteCapability`]: crate::actions::GitWriteCapability

pub mod branch;
pub mod commit;
pub mod folder;
pub mod image;
pub mod masked;
pub mod value;
pub mod yaml_path;

use crate::config::{AppSpec, Config, PromotionModel};
use git2::{Oid, Repository};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromoteError {
    #[error("{0}")]
    Config(String),
    #[error("git: {0}")]
    Git(String),
    #[error("{target} is not a fast-forward of {source_ref} (they diverged); nothing written. Use --merge to merge instead")]
    NotFastForward { target: String, source_ref: String },
    #[error("merging {source_ref} into {target} conflicts in {}; nothing written", .paths.join(", "))]
    MergeConflict {
        target: String,
        source_ref: String,
        paths: Vec<String>,
    },
    #[error("{0}")]
    Model(String),
    #[error("{target} moved from {planned} to {now} while promoting, and the new commits touch the promoted files; nothing written (run the promotion again)")]
    TargetMoved {
        target: String,
        planned: String,
        now: String,
    },
    #[error("branch {0} already exists; nothing written")]
    BranchExists(String),
    #[error("{branch} is checked out in {worktree}: moving it would leave that work tree and index behind (git refuses the same, receive.denyCurrentBranch); nothing written. Use --branch to commit on a new branch")]
    CheckedOut { branch: String, worktree: String },
    #[error("`{0}` is not a valid branch name; nothing written")]
    InvalidRefName(String),
    #[error("the git capability is for {have}, not {want}")]
    WrongRepo { have: String, want: String },
    #[error("the git capability is for {have}, not {want}; nothing written")]
    WrongTarget { have: String, want: String },
    #[error("no git identity: set user.name and user.email (git config) ({0})")]
    NoIdentity(String),
}

impl From<git2::Error> for PromoteError {
    fn from(e: git2::Error) -> Self {
        PromoteError::Git(e.message().to_string())
    }
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub app: String,
    pub from: String,
    pub to: String,
    /// Branch model: merge when the target cannot be fast-forwarded.
    pub merge: bool,
    /// Commit on a new `promote/<app>/<to>/<short-sha>` branch instead of the target's.
    pub new_branch: bool,
}

/// One file the promotion changes.
#[derive(Clone, Serialize)]
pub struct FileEdit {
    /// Repo-relative path.
    pub path: String,
    #[serde(skip)]
    pub old: Option<Vec<u8>>,
    #[serde(skip)]
    pub new: Vec<u8>,
}

impl std::fmt::Debug for FileEdit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileEdit({})", self.path)
    }
}

/// How the target ref changes.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Move the target ref to an existing commit (branch model).
    FastForward {
        #[serde(serialize_with = "oid_hex")]
        to: Oid,
    },
    /// A merge commit of the target and the source (branch model with --merge).
    Merge {
        #[serde(serialize_with = "oid_hex")]
        source: Oid,
    },
    /// A commit on top of the target changing these files (folder and image models).
    Files { edits: Vec<FileEdit> },
}

fn oid_hex<S: serde::Serializer>(oid: &Oid, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(oid)
}

/// A prepared promotion: everything needed to show it and to write it. Read-only outside
/// this module (getters): [`crate::actions::capability::git_access`] judges a proposal by its
/// target and ref, and `commit::execute` writes exactly what was judged.
#[derive(Clone, Serialize)]
pub struct Proposal {
    pub(crate) app: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) model: PromotionModel,
    pub(crate) repo: PathBuf,
    /// The source environment's ref and its commit.
    pub(crate) source_ref: String,
    #[serde(serialize_with = "oid_hex")]
    pub(crate) source_commit: Oid,
    /// The target environment's branch (`refs/heads/...`) and its tip when prepared.
    pub(crate) target_ref: String,
    #[serde(serialize_with = "oid_hex")]
    pub(crate) target_tip: Oid,
    /// The ref the result goes to: `target_ref`, or a new `refs/heads/promote/...` branch.
    pub(crate) write_ref: String,
    pub(crate) change: Change,
    /// The git diff of the promotion (target tip → result), as text.
    pub(crate) diff: String,
    /// The commit message (for models that commit).
    pub(crate) message: String,
}

impl Proposal {
    pub fn app(&self) -> &str {
        &self.app
    }
    pub fn from(&self) -> &str {
        &self.from
    }
    /// The target environment.
    pub fn to(&self) -> &str {
        &self.to
    }
    pub fn model(&self) -> PromotionModel {
        self.model
    }
    pub fn repo(&self) -> &Path {
        &self.repo
    }
    pub fn source_ref(&self) -> &str {
        &self.source_ref
    }
    pub fn source_commit(&self) -> Oid {
        self.source_commit
    }
    pub fn target_ref(&self) -> &str {
        &self.target_ref
    }
    pub fn target_tip(&self) -> Oid {
        self.target_tip
    }
    pub fn write_ref(&self) -> &str {
        &self.write_ref
    }
    pub fn change(&self) -> &Change {
        &self.change
    }
    /// The masked git diff of the promotion (Secret values never appear).
    pub fn diff(&self) -> &str {
        &self.diff
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Without the diff: Debug output ends up in logs.
impl std::fmt::Debug for Proposal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proposal")
            .field("app", &self.app)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("model", &self.model)
            .field("source_ref", &self.source_ref)
            .field("source_commit", &self.source_commit)
            .field("target_ref", &self.target_ref)
            .field("write_ref", &self.write_ref)
            .field("change", &self.change)
            .finish_non_exhaustive()
    }
}

impl Proposal {
    /// True when the target already has what the source has.
    pub fn is_noop(&self) -> bool {
        match &self.change {
            Change::FastForward { to } => *to == self.target_tip,
            Change::Merge { .. } => false,
            Change::Files { edits } => edits.is_empty(),
        }
    }

    /// Whether the result goes onto the ref the target environment reads.
    pub fn onto_env_ref(&self) -> bool {
        self.write_ref == self.target_ref
    }
}

/// Open `path` without searching parent directories.
pub fn open_repo(path: &Path) -> Result<Repository, PromoteError> {
    Repository::open_ext(
        path,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .map_err(PromoteError::from)
}

/// The local branch `rev` names (`stage`, `refs/heads/stage`), as a full ref name.
fn branch_ref(repo: &Repository, rev: &str) -> Result<String, PromoteError> {
    let name = if rev.starts_with("refs/heads/") {
        rev.to_string()
    } else {
        format!("refs/heads/{rev}")
    };
    repo.find_reference(&name).map_err(|_| {
        PromoteError::Config(format!(
            "`{rev}` is not a local branch; promotion writes to branches only"
        ))
    })?;
    Ok(name)
}

/// Err when `branch` (a full ref name) is the checked-out branch of the repo's work tree or
/// of one of its linked worktrees: the ref would move under the user's files and index.
pub(crate) fn refuse_checked_out(repo: &Repository, branch: &str) -> Result<(), PromoteError> {
    let head_of = |r: &Repository| {
        r.find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string))
    };
    let refuse = |worktree: &Path| PromoteError::CheckedOut {
        branch: branch.trim_start_matches("refs/heads/").to_string(),
        worktree: worktree.display().to_string(),
    };
    if let Some(workdir) = repo.workdir() {
        if head_of(repo).as_deref() == Some(branch) {
            return Err(refuse(workdir));
        }
    }
    for name in repo.worktrees()?.iter().flatten().flatten() {
        let worktree = repo.find_worktree(name)?;
        // A worktree whose directory is gone cannot be opened; git prunes those.
        if let Ok(linked) = Repository::open_from_worktree(&worktree) {
            if head_of(&linked).as_deref() == Some(branch) {
                return Err(refuse(worktree.path()));
            }
        }
    }
    Ok(())
}

/// For a repo kubedrift fetches, the live view follows `origin/<branch>`
/// ([`crate::live::git_follow`]) while promotion reads and writes the local branch: when the
/// two disagree, what would be promoted is not what the user sees. Refuse then.
fn same_as_followed(
    repo: &Repository,
    git_ref: &str,
    local: Oid,
    fetched: bool,
) -> Result<(), PromoteError> {
    let Some(tracking) = crate::live::git_follow::followed_tracking_ref(git_ref, fetched) else {
        return Ok(());
    };
    let Ok(followed) = repo.refname_to_id(&tracking) else {
        // Not fetched yet: the live view falls back to the local branch too.
        return Ok(());
    };
    if followed == local {
        return Ok(());
    }
    Err(PromoteError::Config(format!(
        "local branch {git_ref} ({}) and origin/{git_ref} ({}) differ, and kubedrift's live view \
         follows origin/{git_ref}: bring the local branch level with it (git pull --ff-only, or \
         push) first; nothing written",
        short(local),
        short(followed)
    )))
}

fn ref_commit(repo: &Repository, rev: &str) -> Result<Oid, PromoteError> {
    Ok(repo.revparse_single(rev)?.peel_to_commit()?.id())
}

/// Prepare promoting `request.app` from `request.from` to `request.to`. `from_app` and
/// `to_app` are the app resolved in each environment (repo, ref, path).
pub fn prepare(
    config: &Config,
    from_app: &AppSpec,
    to_app: &AppSpec,
    request: &Request,
) -> Result<Proposal, PromoteError> {
    if from_app.repo != to_app.repo {
        return Err(PromoteError::Config(format!(
            "{} reads repo {} in {} but {} in {}; promotion works within one repo",
            request.app, from_app.repo, request.from, to_app.repo, request.to
        )));
    }
    let repo_path = config
        .repo(&to_app.repo)
        .map(|r| r.path.clone())
        .ok_or_else(|| PromoteError::Config(format!("no repo {}", to_app.repo)))?;
    let repo = open_repo(&repo_path)?;
    let promotion = config
        .apps
        .iter()
        .find(|a| a.name == request.app)
        .and_then(|a| a.promotion.clone());
    let model = promotion
        .as_ref()
        .map(|p| p.model)
        .unwrap_or(PromotionModel::Branch);
    let fetched = config.repo(&to_app.repo).is_some_and(|r| r.url.is_some());
    let source_commit = ref_commit(&repo, &from_app.git_ref)?;
    same_as_followed(&repo, &from_app.git_ref, source_commit, fetched)?;
    let target_ref = branch_ref(&repo, &to_app.git_ref)?;
    let target_tip = ref_commit(&repo, &target_ref)?;
    same_as_followed(&repo, &to_app.git_ref, target_tip, fetched)?;
    // Value model: which values change, for the commit message.
    let mut changed_values: Vec<String> = Vec::new();
    let change = match (model, &promotion) {
        (PromotionModel::Branch, _) => {
            if from_app.git_ref == to_app.git_ref {
                return Err(PromoteError::Config(format!(
                    "{} and {} read the same ref `{}`: the branch model needs a branch per environment (configure [app.promotion])",
                    request.from, request.to, to_app.git_ref
                )));
            }
            branch::change(&repo, source_commit, target_tip, request.merge).map_err(
                |e| match e {
                    branch::BranchError::NotFastForward => PromoteError::NotFastForward {
                        target: to_app.git_ref.clone(),
                        source_ref: from_app.git_ref.clone(),
                    },
                    branch::BranchError::Conflict(paths) => PromoteError::MergeConflict {
                        target: to_app.git_ref.clone(),
                        source_ref: from_app.git_ref.clone(),
                        paths,
                    },
                    branch::BranchError::Git(e) => PromoteError::Git(e),
                },
            )?
        }
        (PromotionModel::Folder, Some(p)) => Change::Files {
            edits: folder::edits(
                &repo,
                source_commit,
                &from_app.path,
                target_tip,
                &to_app.path,
                &p.files,
            )?,
        },
        (PromotionModel::Image, Some(p)) => Change::Files {
            edits: image::edits(
                &repo,
                source_commit,
                &from_app.path,
                target_tip,
                &to_app.path,
                p,
            )?,
        },
        (PromotionModel::Value, Some(p)) => {
            let found = value::edits(
                &repo,
                &request.app,
                source_commit,
                &request.from,
                target_tip,
                &request.to,
                &p.copy,
            )?;
            changed_values = found.changed;
            Change::Files { edits: found.edits }
        }
        (_, None) => {
            return Err(PromoteError::Config(
                "the folder, image and value models need [app.promotion] settings".into(),
            ))
        }
    };
    let source_short = short(source_commit);
    let write_ref = if request.new_branch {
        format!(
            "refs/heads/promote/{}/{}/{source_short}",
            request.app, request.to
        )
    } else {
        target_ref.clone()
    };
    let values: String = changed_values
        .iter()
        .map(|line| format!("Value: {line}\n"))
        .collect();
    let message = format!(
        "promote {app}: {from} → {to}\n\nApp: {app}\nFrom: {from} ({from_ref}@{source_short})\nTo: {to} ({to_ref})\nModel: {model}\n{values}Source-Commit: {source_commit}\n",
        app = request.app,
        from = request.from,
        to = request.to,
        from_ref = from_app.git_ref,
        to_ref = to_app.git_ref,
        model = model_name(model),
    );
    if !git2::Reference::is_valid_name(&write_ref) {
        return Err(PromoteError::InvalidRefName(write_ref));
    }
    if write_ref == target_ref {
        refuse_checked_out(&repo, &write_ref)?;
    }
    let diff = commit::diff_text(&repo, target_tip, &change)?;
    Ok(Proposal {
        app: request.app.clone(),
        from: request.from.clone(),
        to: request.to.clone(),
        model,
        repo: repo_path,
        source_ref: from_app.git_ref.clone(),
        source_commit,
        target_ref,
        target_tip,
        write_ref,
        change,
        diff,
        message,
    })
}

/// [`prepare`] for an app named in `request`, resolved in both environments from the config
/// (listed or discovered): what the CLI and the TUI's `p` key call.
pub fn prepare_request(config: &Config, request: &Request) -> Result<Proposal, PromoteError> {
    let repos = crate::desired::Repos::open(config);
    let resolve = |env: &str| {
        crate::desired::find_app(config, &repos, env, &request.app)
            .map_err(|e| PromoteError::Config(e.to_string()))
    };
    let from_app = resolve(&request.from)?;
    let to_app = resolve(&request.to)?;
    prepare(config, &from_app, &to_app, request)
}

pub fn model_name(model: PromotionModel) -> &'static str {
    match model {
        PromotionModel::Branch => "branch",
        PromotionModel::Folder => "folder",
        PromotionModel::Image => "image",
        PromotionModel::Value => "value",
    }
}

/// The 7-character short form of a commit id (an `Oid` or its hex text).
pub fn short(id: impl std::fmt::Display) -> String {
    id.to_string().chars().take(7).collect()
}

/// `dir/file` for repo paths (`dir` may be empty or end in `/`).
pub(crate) fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_string()
    } else {
        format!("{}/{file}", dir.trim_end_matches('/'))
    }
}

/// The bytes of `path` at `commit`, None when absent (or not a file).
pub(crate) fn read_file(
    repo: &Repository,
    commit: Oid,
    path: &str,
) -> Result<Option<Vec<u8>>, PromoteError> {
    let tree = repo.find_commit(commit)?.tree()?;
    match tree.get_path(Path::new(path)) {
        Ok(entry) => match entry.to_object(repo)?.into_blob() {
            Ok(blob) => Ok(Some(blob.content().to_vec())),
            Err(_) => Ok(None),
        },
        Err(_) => Ok(None),
    }
}
