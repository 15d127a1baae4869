//! The demo's GitOps repository, written with git2: a short, realistic history (the apps
//! arriving one commit each, by different people), then whatever commits the demo adds.

use super::apps::{
    helm_chart_files, to_yaml, SampleApp, APPS, BRANCH_APP, BRANCH_APP_PATH, ENVIRONMENTS,
};
use std::path::{Path, PathBuf};

/// The branch every environment reads.
pub const BRANCH: &str = "main";

/// Why the sample repo could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What the repo holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Kustomize overlays (else plain YAML per environment).
    pub kustomize: bool,
    /// The Helm chart app.
    pub helm: bool,
}

/// The branch environment `env` reads the branch-per-environment app from.
pub fn env_branch(env: &str) -> String {
    format!("env/{env}")
}

/// People committing to the sample repo.
pub const AUTHORS: [(&str, &str); 4] = [
    ("Priya Raman", "priya@acme.example"),
    ("Jonas Weber", "jonas@acme.example"),
    ("Ana Souza", "ana@acme.example"),
    ("Deploy Bot", "deploy-bot@acme.example"),
];

/// A work-tree repository on branch [`BRANCH`].
pub struct DemoRepo {
    repo: git2::Repository,
    path: PathBuf,
    layout: Layout,
}

impl std::fmt::Debug for DemoRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoRepo")
            .field("path", &self.path)
            .field("layout", &self.layout)
            .finish()
    }
}

impl DemoRepo {
    /// Create the repository at `path` with the sample apps, one commit per app.
    pub fn create(path: &Path, layout: Layout) -> Result<DemoRepo, RepoError> {
        let mut options = git2::RepositoryInitOptions::new();
        options.initial_head(BRANCH);
        let repo = git2::Repository::init_opts(path, &options)?;
        let demo = DemoRepo {
            repo,
            path: path.to_path_buf(),
            layout,
        };
        demo.commit(
            &[(
                "README.md".to_string(),
                "# acme-shop GitOps\n\nOne folder per environment under `envs/`; shared bases under `bases/`.\n".to_string(),
            )],
            "Initial commit",
            AUTHORS[0],
        )?;
        for (i, app) in APPS.iter().enumerate() {
            let mut files = Vec::new();
            if layout.kustomize {
                files.extend(app.base_files());
            }
            for (e, env) in ENVIRONMENTS.iter().enumerate() {
                files.extend(app.env_files(env, app.tags[e], layout.kustomize));
            }
            demo.commit(
                &files,
                &format!("{}: add to all environments", app.name),
                AUTHORS[i % 3],
            )?;
        }
        let rollout_files: Vec<(String, String)> = ENVIRONMENTS
            .iter()
            .flat_map(|env| super::rollout::env_files(env))
            .collect();
        demo.commit(
            &rollout_files,
            &format!(
                "{}: canary with Argo Rollouts in all environments",
                super::rollout::APP
            ),
            AUTHORS[2],
        )?;
        demo.write_env_branches()?;
        if layout.helm {
            demo.commit(
                &helm_chart_files(),
                "metrics-exporter: Helm chart with values per environment",
                AUTHORS[1],
            )?;
        }
        Ok(demo)
    }

    /// The branch-per-environment app: one release per commit on a line of its own, the
    /// branch of each environment at the release it runs (dev newest, prod oldest).
    fn write_env_branches(&self) -> Result<(), RepoError> {
        let mut parent: Option<git2::Oid> = None;
        // Oldest release first: prod's, stage's, dev's.
        for (i, env) in ENVIRONMENTS.iter().enumerate().rev() {
            let tag = BRANCH_APP.tags[i];
            let manifest = BRANCH_APP
                .branch_objects(tag)
                .iter()
                .map(to_yaml)
                .collect::<Vec<_>>()
                .join("---\n");
            let file = format!("{BRANCH_APP_PATH}/{}.yaml", BRANCH_APP.name);
            let tree = self.tree_of(&[(file.as_str(), manifest.as_str())])?;
            let tree = self.repo.find_tree(tree)?;
            let author = git2::Signature::now(AUTHORS[i % 3].0, AUTHORS[i % 3].1)?;
            let parents: Vec<git2::Commit> = match parent {
                Some(id) => vec![self.repo.find_commit(id)?],
                None => Vec::new(),
            };
            let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
            let id = self.repo.commit(
                None,
                &author,
                &author,
                &format!("{}: release {tag}", BRANCH_APP.name),
                &tree,
                &parent_refs,
            )?;
            self.repo.reference(
                &format!("refs/heads/{}", env_branch(env)),
                id,
                true,
                "kubedrift demo: environment branch",
            )?;
            parent = Some(id);
        }
        Ok(())
    }

    /// A tree holding exactly `files` (repo-relative path, content), nested directories
    /// included.
    fn tree_of(&self, files: &[(&str, &str)]) -> Result<git2::Oid, RepoError> {
        let mut builder = self.repo.treebuilder(None)?;
        let mut subdirs: std::collections::BTreeMap<&str, Vec<(&str, &str)>> =
            std::collections::BTreeMap::new();
        for (path, content) in files {
            match path.split_once('/') {
                Some((dir, rest)) => subdirs.entry(dir).or_default().push((rest, content)),
                None => {
                    let blob = self.repo.blob(content.as_bytes())?;
                    builder.insert(path, blob, 0o100_644)?;
                }
            }
        }
        for (dir, inner) in subdirs {
            let tree = self.tree_of(&inner)?;
            builder.insert(dir, tree, 0o040_000)?;
        }
        Ok(builder.write()?)
    }

    /// The content of `relative` at the tip of branch `branch`, if both exist.
    pub fn file_on_branch(&self, branch: &str, relative: &str) -> Option<String> {
        let reference = self
            .repo
            .find_reference(&format!("refs/heads/{branch}"))
            .ok()?;
        let tree = reference.peel_to_tree().ok()?;
        let entry = tree.get_path(Path::new(relative)).ok()?;
        let blob = self.repo.find_blob(entry.id()).ok()?;
        String::from_utf8(blob.content().to_vec()).ok()
    }

    /// Open an existing demo repository.
    pub fn open(path: &Path, layout: Layout) -> Result<DemoRepo, RepoError> {
        Ok(DemoRepo {
            repo: git2::Repository::open(path)?,
            path: path.to_path_buf(),
            layout,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Write `files` (repo-relative path, content) into the work tree and commit them to
    /// [`BRANCH`] as `author`. Returns the new commit id.
    pub fn commit(
        &self,
        files: &[(String, String)],
        message: &str,
        author: (&str, &str),
    ) -> Result<String, RepoError> {
        for (relative, content) in files {
            let full = self.path.join(relative);
            let write = |result: std::io::Result<()>| {
                result.map_err(|source| RepoError::Write {
                    path: full.clone(),
                    source,
                })
            };
            if let Some(parent) = full.parent() {
                write(std::fs::create_dir_all(parent))?;
            }
            write(std::fs::write(&full, content))?;
        }
        let mut index = self.repo.index()?;
        index.add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)?;
        index.write()?;
        let tree = self.repo.find_tree(index.write_tree()?)?;
        let signature = git2::Signature::now(author.0, author.1)?;
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let id = self.repo.commit(
            Some(&format!("refs/heads/{BRANCH}")),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )?;
        Ok(id.to_string())
    }

    /// Commit environment `env` of `app` running image tag `tag`.
    pub fn commit_image(
        &self,
        app: &SampleApp,
        env: &str,
        tag: &str,
        author: (&str, &str),
    ) -> Result<String, RepoError> {
        self.commit(
            &app.env_files(env, tag, self.layout.kustomize),
            &format!("{}: bump image to {tag} in {env}", app.name),
            author,
        )
    }

    /// The file's content at the tip of [`BRANCH`], if it exists there.
    pub fn file_at_head(&self, relative: &str) -> Option<String> {
        let tree = self.repo.head().ok()?.peel_to_tree().ok()?;
        let entry = tree.get_path(Path::new(relative)).ok()?;
        let blob = self.repo.find_blob(entry.id()).ok()?;
        String::from_utf8(blob.content().to_vec()).ok()
    }

    /// Number of commits on [`BRANCH`].
    pub fn commit_count(&self) -> usize {
        let Ok(mut walk) = self.repo.revwalk() else {
            return 0;
        };
        if walk.push_head().is_err() {
            return 0;
        }
        walk.count()
    }
}
