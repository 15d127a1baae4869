//! The demo's GitOps repository, written with git2: a short, realistic history (the apps
//! arriving one commit each, by different people), then whatever commits the demo adds.

use super::apps::{helm_chart_files, SampleApp, APPS, ENVIRONMENTS};
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
        if layout.helm {
            demo.commit(
                &helm_chart_files(),
                "metrics-exporter: Helm chart with values per environment",
                AUTHORS[1],
            )?;
        }
        Ok(demo)
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
