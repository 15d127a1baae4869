//! Recognising a GitOps repository's layout from file listings (pure: listings and context
//! names in, a [`Guess`] out; the git reading is in `scan`).
//!
//! Recognised, in this order (a directory explained by one layout is not looked at again):
//! - `apps/{app}/envs/{env}` (also `overlays`, `environments`, `env`; any literal prefix);
//! - `envs/{env}` at the root with a shared base: the repository is one app;
//! - `{env}/{app}`, where the first segment looks like an environment (also in a container:
//!   `envs/{env}/{app}`);
//! - `apps/{app}/{env}`, where the last segment looks like an environment (or is a Flux
//!   cluster directory: one holding `flux-system`);
//! - `{env}` at the root holding manifests itself: the repository is one app;
//! - Helm charts with `values-{env}.yaml` (or `values.{env}.yaml`) next to `Chart.yaml`;
//! - app directories without environments (`apps/{app}`), in every environment;
//! - a branch per environment (`prod`, `env/prod`, ...), apps read from those branches.

use super::names::{
    config_name, env_words_in, match_context, promotion_key, repo_dir_name, ContextMatch,
    KubeContext,
};
use detect::{
    app_then_env, apps_only, env_branches, env_dirs_at_root, env_then_app, helm_values_per_env,
    overlay_per_env, shared_base, TreeFacts,
};
use std::collections::{BTreeMap, BTreeSet};

/// What `init` reads from the repository.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoListing {
    /// The repository's name (its directory), for a repository that is one app.
    pub name: String,
    /// The branch `HEAD` names.
    pub default_branch: String,
    /// Files on the default branch, repo-relative.
    pub files: Vec<String>,
    /// The other branches and their files.
    pub branches: Vec<BranchTree>,
}

/// One branch's files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BranchTree {
    pub branch: String,
    pub files: Vec<String>,
    /// Only `origin`'s remote-tracking branch exists (a fresh clone): it moves only when the
    /// clone is fetched.
    pub remote_only: bool,
}

/// A recognised layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `apps/{app}/envs/{env}`: a directory (overlay) per app and environment.
    OverlayPerEnv,
    /// `envs/{env}` with a shared base: the repository is one app.
    SharedBase,
    /// `{env}/{app}`: a directory per environment holding its apps.
    EnvThenApp,
    /// `apps/{app}/{env}`: a directory per app holding one per environment.
    AppThenEnv,
    /// `{env}` at the root: the repository is one app, a directory per environment.
    EnvDirs,
    /// A Helm chart with a values file per environment.
    HelmValuesPerEnv,
    /// App directories without environments: every app in every environment.
    AppsOnly,
    /// A branch per environment; the apps are directories on those branches.
    BranchPerEnv,
}

impl Layout {
    pub fn describe(self) -> &'static str {
        match self {
            Layout::OverlayPerEnv => "a directory per app and environment",
            Layout::SharedBase => "one app: a directory per environment over a shared base",
            Layout::EnvThenApp => "a directory per environment holding its apps",
            Layout::AppThenEnv => "a directory per app holding one per environment",
            Layout::EnvDirs => "one app: a directory per environment",
            Layout::HelmValuesPerEnv => "a Helm chart with a values file per environment",
            Layout::AppsOnly => "app directories without environments, each in every environment",
            Layout::BranchPerEnv => "a branch per environment, apps as directories on it",
        }
    }
}

/// How the config finds the apps of one layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// A `[[discover]]` pattern (`apps/{app}/envs/{env}`).
    Discover { pattern: String },
    /// A listed `[[app]]`.
    App {
        name: String,
        /// Path template (`envs/{env}`) or a fixed directory.
        path: String,
        /// Rendered with Helm, with this values file per environment (`values-{env}.yaml`).
        helm_values: Option<String>,
        /// The environments it exists in; empty: every environment.
        environments: Vec<String>,
    },
}

/// One layout found, the rule for it and the apps it found (app → environments it was seen
/// in; an empty set means every environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub layout: Layout,
    pub rule: Rule,
    pub apps: BTreeMap<String, BTreeSet<String>>,
    /// Where it was seen, when not the default branch (`branches dev, prod`), or a detail.
    pub detail: Option<String>,
    /// Why the rule is written commented out (it would clash with an earlier one).
    pub disabled: Option<String>,
}

impl Found {
    /// `apps/{app}/envs/{env}` or `app web: envs/{env}`.
    pub fn shape(&self) -> String {
        match &self.rule {
            Rule::Discover { pattern } => pattern.clone(),
            Rule::App { name, path, .. } if path.is_empty() => {
                format!("app {name}: the repository root")
            }
            Rule::App { name, path, .. } => format!("app {name}: {path}"),
        }
    }
}

/// One environment: its name, the branch it reads (branch per environment) and its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvGuess {
    pub name: String,
    pub git_ref: Option<String>,
    pub context: ContextMatch,
    /// Where the name came from (`directories`, `branch prod`, `context names`).
    pub source: String,
}

/// Everything `init` guessed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Guess {
    pub found: Vec<Found>,
    /// In promotion order.
    pub environments: Vec<EnvGuess>,
    /// Contexts no environment uses.
    pub unused_contexts: Vec<String>,
    /// What the user should check, one sentence each.
    pub checks: Vec<String>,
}

/// Guesses the layout of `listing` and matches its environments to `contexts`.
pub fn guess(listing: &RepoListing, contexts: &[KubeContext]) -> Guess {
    let app_name = app_name_of_repo(&listing.name);
    let facts = TreeFacts::of(&listing.files);
    let mut claimed: Vec<String> = Vec::new();
    let mut found = Vec::new();
    let mut checks = Vec::new();
    found.extend(overlay_per_env(&facts, &mut claimed));
    found.extend(shared_base(&facts, &app_name, &mut claimed));
    found.extend(env_then_app(&facts, contexts, &mut claimed));
    found.extend(app_then_env(&facts, contexts, &mut claimed));
    found.extend(env_dirs_at_root(&facts, contexts, &app_name, &mut claimed));
    found.extend(helm_values_per_env(
        &facts,
        contexts,
        &app_name,
        &mut claimed,
        &mut checks,
    ));

    let branch_envs = env_branches(listing, contexts);
    checks::not_guessed(&facts, &claimed, &mut checks);
    if branch_envs.is_empty() {
        found.extend(apps_only(&facts, &app_name, &claimed, None));
    } else {
        let mut per_pattern: BTreeMap<String, Found> = BTreeMap::new();
        for (env, tree) in &branch_envs {
            let branch_facts = TreeFacts::of(&tree.files);
            for mut one in apps_only(&branch_facts, &app_name, &claimed, Some(env)) {
                one.layout = Layout::BranchPerEnv;
                let entry = per_pattern.entry(one.shape()).or_insert_with(|| Found {
                    apps: BTreeMap::new(),
                    ..one.clone()
                });
                for (app, envs) in one.apps {
                    entry.apps.entry(app).or_default().extend(envs);
                }
            }
        }
        let branches: Vec<&str> = branch_envs.iter().map(|(_, t)| t.branch.as_str()).collect();
        for one in per_pattern.values_mut() {
            one.detail = Some(format!("on branches {}", branches.join(", ")));
        }
        found.extend(per_pattern.into_values());
        checks::remote_only_branches(&branch_envs, &mut checks);
        if !branch_envs
            .iter()
            .any(|(_, t)| t.branch == listing.default_branch)
        {
            checks.push(format!(
                "The default branch `{}` is not an environment's branch; if one environment \
                 deploys from it, set that environment's `ref`.",
                listing.default_branch
            ));
        }
    }
    let branch_dirs: Vec<String> = branch_envs
        .iter()
        .flat_map(|(_, tree)| TreeFacts::of(&tree.files).dirs)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let default_dirs: Vec<String> = facts.dirs.iter().cloned().collect();
    let mut found = exact::list_apps_of_wide_patterns(
        found,
        |one| match one.layout {
            Layout::BranchPerEnv => branch_dirs.clone(),
            _ => default_dirs.clone(),
        },
        &mut checks,
    );
    disable_clashes(&mut found, &mut checks);

    let mut environments = environments_of(&found, &branch_envs, contexts);
    environments.sort_by_key(|e| promotion_key(&e.name));
    check_environments(&environments, &mut checks);
    let used: BTreeSet<&str> = environments
        .iter()
        .flat_map(|e| match &e.context {
            ContextMatch::Exact { context } => vec![context.as_str()],
            ContextMatch::Named {
                context,
                same_cluster,
            } => std::iter::once(context.as_str())
                .chain(same_cluster.iter().map(String::as_str))
                .collect(),
            ContextMatch::Ambiguous { candidates } => {
                candidates.iter().map(String::as_str).collect()
            }
            ContextMatch::Unmatched => vec![],
        })
        .collect();
    let unused_contexts = contexts
        .iter()
        .map(|c| c.name.clone())
        .filter(|c| !used.contains(c.as_str()))
        .collect();
    checks::contexts_naming_other_environments(contexts, &used, &environments, &mut checks);
    if !found.is_empty() {
        checks.push(
            "No namespace was guessed: objects without `metadata.namespace` are compared in \
             `default`; set `namespace` on an environment, app or discover rule where they \
             deploy elsewhere."
                .to_string(),
        );
    }
    Guess {
        found,
        environments,
        unused_contexts,
        checks,
    }
}

/// Discover rules finding the same app in the same environment would make the config fail
/// to load (kubedrift refuses to pick one); the later one is written commented out.
fn disable_clashes(found: &mut [Found], checks: &mut Vec<String>) {
    for later in 0..found.len() {
        for earlier in 0..later {
            if found[earlier].disabled.is_some() {
                continue;
            }
            let overlap = found[later]
                .apps
                .iter()
                .find(|(app, envs)| {
                    found[earlier].apps.get(*app).is_some_and(|other| {
                        envs.is_empty() || other.is_empty() || !envs.is_disjoint(other)
                    })
                })
                .map(|(app, _)| app.clone());
            let (first, second) = (&found[earlier], &found[later]);
            let reason = match (&first.rule, &second.rule) {
                // Listed app names are unique in a config, whatever their environments.
                (Rule::App { name: a, .. }, Rule::App { name: b, .. }) if a == b => Some(format!(
                    "an app named `{a}` is already listed ({})",
                    first.shape()
                )),
                (Rule::Discover { .. }, Rule::Discover { .. }) => overlap.map(|app| {
                    format!(
                        "it finds app `{app}` again (already found by {})",
                        first.shape()
                    )
                }),
                (Rule::App { .. }, Rule::Discover { .. })
                | (Rule::Discover { .. }, Rule::App { .. }) => {
                    if let Some(app) = overlap {
                        let (listed, discovered) = match first.rule {
                            Rule::App { .. } => (first, second),
                            Rule::Discover { .. } => (second, first),
                        };
                        checks.push(format!(
                            "The listed app `{app}` ({}) replaces the app of that name {} finds.",
                            listed.shape(),
                            discovered.shape()
                        ));
                    }
                    None
                }
                (Rule::App { .. }, Rule::App { .. }) => None,
            };
            if let Some(reason) = reason {
                checks.push(format!(
                    "{} is written commented out: {reason}; rename or choose.",
                    second.shape()
                ));
                found[later].disabled = Some(reason);
                break;
            }
        }
    }
}

fn environments_of(
    found: &[Found],
    branch_envs: &[(String, &BranchTree)],
    contexts: &[KubeContext],
) -> Vec<EnvGuess> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (env, tree) in branch_envs {
        names.insert(env.clone(), format!("branch {}", tree.branch));
    }
    for one in found.iter().filter(|f| f.layout != Layout::BranchPerEnv) {
        for envs in one.apps.values() {
            for env in envs {
                names
                    .entry(env.clone())
                    .or_insert_with(|| format!("{} ({})", one.shape(), one.layout.describe()));
            }
        }
    }
    if names.is_empty() && !found.is_empty() {
        // Nothing in the repo names an environment: one per environment word in the
        // context names, else one per context.
        for context in contexts {
            for word in env_words_in(&context.name) {
                names
                    .entry(word)
                    .or_insert_with(|| "kubeconfig context names".to_string());
            }
        }
        if names.is_empty() {
            for context in contexts {
                names.insert(
                    config_name(&context.name),
                    "kubeconfig contexts (one environment each)".to_string(),
                );
            }
        }
    }
    names
        .into_iter()
        .map(|(name, source)| EnvGuess {
            git_ref: branch_envs
                .iter()
                .find(|(env, _)| *env == name)
                .map(|(_, tree)| tree.branch.clone()),
            context: match_context(&name, contexts),
            name,
            source,
        })
        .collect()
}

fn check_environments(environments: &[EnvGuess], checks: &mut Vec<String>) {
    if !environments.is_empty() && environments.iter().all(|e| e.context.context().is_none()) {
        checks.push(
            "No environment has a context yet: the config does not load until at least one \
             environment block is completed and uncommented."
                .to_string(),
        );
    }
    let mut by_context: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for env in environments {
        if let Some(context) = env.context.context() {
            by_context.entry(context).or_default().push(&env.name);
        }
    }
    for (context, envs) in by_context.iter().filter(|(_, envs)| envs.len() > 1) {
        checks.push(format!(
            "Environments {} all use context `{context}`: keep the one it really is.",
            envs.iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for env in environments {
        match &env.context {
            ContextMatch::Ambiguous { candidates } => checks.push(format!(
                "Environment `{}`: several contexts on different clusters fit ({}); its block is \
                 commented out: uncomment it and keep the right `context`.",
                env.name,
                candidates.join(", ")
            )),
            ContextMatch::Unmatched => checks.push(format!(
                "Environment `{}`: no context's name says `{}`; its block is commented out: \
                 set its `context` and uncomment it.",
                env.name, env.name
            )),
            ContextMatch::Named { context, .. } => checks.push(format!(
                "Environment `{}` uses context `{context}` because the context's name says so: \
                 check it is that cluster.",
                env.name
            )),
            ContextMatch::Exact { .. } => {}
        }
    }
}

/// The repository's directory name as an app name (`platform.git` → `platform`).
fn app_name_of_repo(name: &str) -> String {
    repo_dir_name(name).unwrap_or_else(|| "app".to_string())
}

mod checks;
mod detect;
mod exact;

#[cfg(test)]
mod tests;
