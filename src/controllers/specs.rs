//! Controller apps as the live layer follows them: an [`AppSpec`] in the environment of the
//! destination context, the local repository it reads, and what stops it from being compared
//! (an unsupported option, a missing source). Pure: where a repo URL lives locally is given.

use super::ControllerApp;
use crate::config::{AppOrigin, AppSpec, Config};
use crate::state::{AppId, ControllerView};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Where a repo URL is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoLocation {
    /// A configured `[[repo]]` (fetched by the usual machinery when it has a `url`).
    Configured {
        name: String,
        default_branch: String,
    },
    /// kubedrift's own bare clone.
    Cached {
        name: String,
        path: PathBuf,
        default_branch: String,
    },
    /// Could not be cloned (the message names the URL without credentials).
    Failed { name: String, error: String },
}

impl RepoLocation {
    pub fn name(&self) -> &str {
        match self {
            RepoLocation::Configured { name, .. }
            | RepoLocation::Cached { name, .. }
            | RepoLocation::Failed { name, .. } => name,
        }
    }
}

/// One controller app as the Git follower takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerSpec {
    pub spec: AppSpec,
    /// The destination context.
    pub context: String,
    /// The repository is fetched (read branches from `origin/<branch>`).
    pub fetched: bool,
    /// Why it is not rendered: "unsupported: …", a missing source, a failed clone.
    pub blocked: Option<String>,
    pub controller: ControllerView,
}

impl ControllerSpec {
    pub fn id(&self) -> AppId {
        AppId::new(&self.spec.name, &self.spec.env)
    }
}

/// The environment name of a context: the config's environment for it, else the context.
pub fn env_for_context(config: &Config, context: &str) -> String {
    config
        .environments
        .iter()
        .find(|e| e.context == context)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| context.to_string())
}

/// Build the follower's specs. `locate` says where each repo URL lives. Two objects naming
/// the same app in the same environment keep apart: the later one is called
/// `<namespace>.<name>`.
pub fn build(
    apps: &[ControllerApp],
    config: &Config,
    locate: &dyn Fn(&str) -> RepoLocation,
) -> Vec<ControllerSpec> {
    let mut seen: BTreeSet<AppId> = BTreeSet::new();
    let mut out = Vec::new();
    for app in apps {
        let context = match &app.context {
            Ok(context) => context.clone(),
            // Shown on the cluster the object lives on, with the reason.
            Err(_) => app.controller.context.clone(),
        };
        let env = env_for_context(config, &context);
        let mut name = app.name.clone();
        if seen.contains(&AppId::new(&name, &env)) {
            name = format!("{}.{}", app.controller.namespace, app.name);
        }
        seen.insert(AppId::new(&name, &env));
        let location = (!app.repo_url.is_empty()).then(|| locate(&app.repo_url));
        let (repo, default_branch, fetched, clone_error) = match &location {
            Some(RepoLocation::Configured {
                name,
                default_branch,
            }) => {
                let fetched = config.repo(name).is_some_and(|r| r.url.is_some());
                (name.clone(), default_branch.clone(), fetched, None)
            }
            Some(RepoLocation::Cached {
                name,
                default_branch,
                ..
            }) => (name.clone(), default_branch.clone(), true, None),
            Some(RepoLocation::Failed { name, error }) => {
                (name.clone(), String::new(), false, Some(error.clone()))
            }
            None => (String::new(), String::new(), false, None),
        };
        let git_ref = if app.git_ref == "HEAD" && !default_branch.is_empty() {
            default_branch
        } else {
            app.git_ref.clone()
        };
        let blocked = app
            .error
            .clone()
            .or_else(|| app.context.clone().err())
            .or_else(|| app.unsupported_message())
            .or(clone_error);
        out.push(ControllerSpec {
            spec: AppSpec {
                name,
                env,
                repo,
                git_ref,
                path: app.path.clone(),
                renderer: app.renderer,
                namespace: app.namespace.clone(),
                ignore: app.ignore.clone(),
                helm: app.helm.clone(),
                chart: app.chart.clone(),
                origin: AppOrigin::Controller {
                    object: format!(
                        "{} {}/{}",
                        app.controller.kind, app.controller.namespace, app.controller.name
                    ),
                },
                extras: app.extras.clone(),
            },
            context,
            fetched,
            blocked,
            controller: app.controller.clone(),
        });
    }
    out
}
