//! Recognising a GitOps repository's layout from file listings (pure: listings and context
//! names in, a [`Guess`] out; the git reading is in `scan`).
//!
//! Recognised, in this order (a directory explained by one layout is not looked at again):
//! - `apps/{app}/envs/{env}` (also `overlays`, `environments`, `env`; any literal prefix);
//! - `envs/{env}` at the root with a shared base: the repository is one app;
//! - `{env}/{app}`, where the first segment looks like an environment;
//! - `apps/{app}/{env}`, where the last segment looks like an environment;
//! - Helm charts with `values-{env}.yaml` (or `values.{env}.yaml`) next to `Chart.yaml`;
//! - app directories without environments (`apps/{app}`), in every environment;
//! - a branch per environment (`prod`, `env/prod`, ...), apps read from those branches.

use super::names::{
    env_words_in, is_env_like, match_context, promotion_key, ContextMatch, KubeContext,
};
use std::collections::{BTreeMap, BTreeSet};

/// Directory names that hold one directory per environment.
const ENV_CONTAINERS: &[&str] = &["envs", "env", "environments", "overlays"];
/// Directory names that hold shared pieces, never an environment or an app of their own.
const SHARED: &[&str] = &[
    "base",
    "bases",
    "common",
    "shared",
    "components",
    "templates",
];
/// Top-level directories that hold no apps.
const NOT_APPS: &[&str] = &[
    "docs", "doc", "scripts", "hack", "test", "tests", "examples", "ci", "tools", "crds",
];
/// `prefix/{env}` branch names (`env/prod`, `environment/prod`, `deploy/prod`).
const BRANCH_PREFIXES: &[&str] = &["env", "envs", "environment", "environments", "deploy"];
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

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
    found.extend(overlay_per_env(&facts, &mut claimed));
    found.extend(shared_base(&facts, &app_name, &mut claimed));
    found.extend(env_then_app(&facts, contexts, &mut claimed));
    found.extend(app_then_env(&facts, contexts, &mut claimed));
    found.extend(helm_values_per_env(&facts, &app_name, &mut claimed));

    let branch_envs = env_branches(listing, contexts);
    let mut checks = Vec::new();
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

/// What a tree holds, by directory.
#[derive(Debug, Default)]
struct TreeFacts {
    /// Directories with manifests: a kustomization, a chart, or YAML files (not chart
    /// internals, not the root with loose YAML only).
    deployable: BTreeSet<String>,
    charts: BTreeSet<String>,
    /// Directory → the names of its files.
    files_in: BTreeMap<String, Vec<String>>,
}

impl TreeFacts {
    fn of(files: &[String]) -> TreeFacts {
        let mut facts = TreeFacts::default();
        let split = |path: &str| -> (String, String) {
            match path.rsplit_once('/') {
                Some((dir, name)) => (dir.to_string(), name.to_string()),
                None => (String::new(), path.to_string()),
            }
        };
        let visible: Vec<(String, String)> = files
            .iter()
            .filter(|path| !path.split('/').any(|segment| segment.starts_with('.')))
            .map(|path| split(path))
            .collect();
        for (dir, name) in &visible {
            if name == "Chart.yaml" {
                facts.charts.insert(dir.clone());
            }
        }
        for (dir, name) in visible {
            let in_chart = facts.charts.iter().any(|c| is_below(&dir, c));
            let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            let deployable = if facts.charts.contains(&dir) {
                true
            } else if in_chart {
                false
            } else if KUSTOMIZATION_FILES.contains(&name.as_str()) {
                true
            } else {
                is_yaml && !dir.is_empty()
            };
            if deployable {
                facts.deployable.insert(dir.clone());
            }
            facts.files_in.entry(dir).or_default().push(name);
        }
        facts
    }

    /// Deployable directories not explained by a layout yet.
    fn unclaimed<'a>(&'a self, claimed: &'a [String]) -> impl Iterator<Item = &'a String> + 'a {
        self.deployable
            .iter()
            .filter(move |dir| !claimed.iter().any(|c| is_below(dir, c)))
    }
}

/// `dir` is `parent` or inside it.
fn is_below(dir: &str, parent: &str) -> bool {
    parent.is_empty()
        || dir == parent
        || (dir.len() > parent.len()
            && dir.starts_with(parent)
            && dir.as_bytes()[parent.len()] == b'/')
}

fn segments(dir: &str) -> Vec<&str> {
    dir.split('/').filter(|s| !s.is_empty()).collect()
}

fn pattern(parts: &[&str]) -> String {
    parts.join("/")
}

/// Adds `dir` as app `app` in `env` of the discover rule `pattern`.
/// Whether a directory name can be an app or environment name in the config (names may
/// not hold whitespace; braces would read as placeholders).
fn usable_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '{' || c == '}')
}

/// Adds `dir` as app `app` in `env` of the discover rule `pattern` (a name the config cannot
/// hold is left out: that directory is simply not guessed).
fn add_discovered(
    groups: &mut BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    pattern: String,
    app: &str,
    env: Option<&str>,
) {
    if !usable_name(app)
        || env.is_some_and(|e| !usable_name(e))
        || crate::config::PathPattern::parse(&pattern).is_err()
    {
        return;
    }
    let envs = groups
        .entry(pattern)
        .or_default()
        .entry(app.to_string())
        .or_default();
    if let Some(env) = env {
        envs.insert(env.to_string());
    }
}

fn discover_rules(
    layout: Layout,
    groups: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
) -> Vec<Found> {
    groups
        .into_iter()
        .map(|(pattern, apps)| Found {
            layout,
            rule: Rule::Discover { pattern },
            apps,
            detail: None,
            disabled: None,
        })
        .collect()
}

fn overlay_per_env(facts: &TreeFacts, claimed: &mut Vec<String>) -> Vec<Found> {
    let mut groups = BTreeMap::new();
    for dir in facts.deployable.iter() {
        let segs = segments(dir);
        let n = segs.len();
        if n < 3 {
            continue;
        }
        let (prefix, app, container, env) = (&segs[..n - 3], segs[n - 3], segs[n - 2], segs[n - 1]);
        if !ENV_CONTAINERS.contains(&container)
            || SHARED.contains(&env)
            || ENV_CONTAINERS.contains(&app)
            || SHARED.contains(&app)
            || prefix.iter().any(|s| ENV_CONTAINERS.contains(s))
        {
            continue;
        }
        let mut parts = prefix.to_vec();
        parts.extend(["{app}", container, "{env}"]);
        add_discovered(&mut groups, pattern(&parts), app, Some(env));
        claimed.push(dir.clone());
    }
    discover_rules(Layout::OverlayPerEnv, groups)
}

fn shared_base(facts: &TreeFacts, app_name: &str, claimed: &mut Vec<String>) -> Vec<Found> {
    let mut per_container: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for dir in facts.unclaimed(claimed) {
        if let [container, env] = segments(dir)[..] {
            if ENV_CONTAINERS.contains(&container) && !SHARED.contains(&env) && usable_name(env) {
                per_container
                    .entry(container.to_string())
                    .or_default()
                    .insert(env.to_string());
            }
        }
    }
    let bases: Vec<&String> = facts
        .deployable
        .iter()
        .filter(|dir| segments(dir).iter().any(|s| SHARED.contains(s)))
        .collect();
    let mut out = Vec::new();
    for (container, envs) in per_container {
        for env in &envs {
            claimed.push(format!("{container}/{env}"));
        }
        let detail = match bases.first() {
            Some(base) => format!("shared base {base}"),
            None => "no shared base directory found".to_string(),
        };
        out.push(Found {
            layout: Layout::SharedBase,
            rule: Rule::App {
                name: app_name.to_string(),
                path: format!("{container}/{{env}}"),
                helm_values: None,
                environments: envs.iter().cloned().collect(),
            },
            apps: BTreeMap::from([(app_name.to_string(), envs)]),
            detail: Some(detail),
            disabled: None,
        });
    }
    out
}

/// Whether `segs` (a prefix) holds no environment-looking or container segment.
fn plain_prefix(segs: &[&str], contexts: &[KubeContext]) -> bool {
    segs.iter()
        .all(|s| !ENV_CONTAINERS.contains(s) && !SHARED.contains(s) && !is_env_like(s, contexts))
}

fn env_then_app(
    facts: &TreeFacts,
    contexts: &[KubeContext],
    claimed: &mut Vec<String>,
) -> Vec<Found> {
    let mut groups = BTreeMap::new();
    let mut taken = Vec::new();
    for dir in facts.unclaimed(claimed) {
        let segs = segments(dir);
        let n = segs.len();
        if n < 2 {
            continue;
        }
        let (prefix, env, app) = (&segs[..n - 2], segs[n - 2], segs[n - 1]);
        if !is_env_like(env, contexts)
            || ENV_CONTAINERS.contains(&env)
            || SHARED.contains(&app)
            || !plain_prefix(prefix, contexts)
        {
            continue;
        }
        let mut parts = prefix.to_vec();
        parts.extend(["{env}", "{app}"]);
        add_discovered(&mut groups, pattern(&parts), app, Some(env));
        taken.push(dir.clone());
    }
    claimed.extend(taken);
    discover_rules(Layout::EnvThenApp, groups)
}

fn app_then_env(
    facts: &TreeFacts,
    contexts: &[KubeContext],
    claimed: &mut Vec<String>,
) -> Vec<Found> {
    let mut groups = BTreeMap::new();
    let mut taken = Vec::new();
    for dir in facts.unclaimed(claimed) {
        let segs = segments(dir);
        let n = segs.len();
        if n < 2 {
            continue;
        }
        let (prefix, app, env) = (&segs[..n - 2], segs[n - 2], segs[n - 1]);
        if !is_env_like(env, contexts)
            || is_env_like(app, contexts)
            || ENV_CONTAINERS.contains(&app)
            || SHARED.contains(&app)
            || !plain_prefix(prefix, contexts)
        {
            continue;
        }
        let mut parts = prefix.to_vec();
        parts.extend(["{app}", "{env}"]);
        add_discovered(&mut groups, pattern(&parts), app, Some(env));
        taken.push(dir.clone());
    }
    claimed.extend(taken);
    discover_rules(Layout::AppThenEnv, groups)
}

/// `values-prod.yaml` → (`values-{env}.yaml`, `prod`).
fn env_values_file(name: &str) -> Option<(String, String)> {
    let (stem, ext) = name.rsplit_once('.')?;
    if ext != "yaml" && ext != "yml" {
        return None;
    }
    for separator in ["-", "."] {
        if let Some(env) = stem.strip_prefix(&format!("values{separator}")) {
            if !env.is_empty() && !env.contains(['.', '/']) && !env.chars().any(char::is_whitespace)
            {
                return Some((format!("values{separator}{{env}}.{ext}"), env.to_string()));
            }
        }
    }
    None
}

fn helm_values_per_env(facts: &TreeFacts, app_name: &str, claimed: &mut Vec<String>) -> Vec<Found> {
    let mut out = Vec::new();
    for chart in &facts.charts {
        if claimed.iter().any(|c| is_below(chart, c)) {
            continue;
        }
        let mut by_form: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for name in facts.files_in.get(chart).into_iter().flatten() {
            if let Some((form, env)) = env_values_file(name) {
                by_form.entry(form).or_default().insert(env);
            }
        }
        // The spelling most environments use (ties: the first in name order).
        let Some((form, envs)) = by_form.into_iter().fold(
            None,
            |best: Option<(String, BTreeSet<String>)>, (form, envs)| match best {
                Some(b) if b.1.len() >= envs.len() => Some(b),
                _ => Some((form, envs)),
            },
        ) else {
            continue;
        };
        let name = match segments(chart).last() {
            Some(last) => last.to_string(),
            None => app_name.to_string(),
        };
        claimed.push(chart.clone());
        out.push(Found {
            layout: Layout::HelmValuesPerEnv,
            rule: Rule::App {
                name: name.clone(),
                path: chart.clone(),
                helm_values: Some(form.clone()),
                environments: envs.iter().cloned().collect(),
            },
            apps: BTreeMap::from([(name, envs)]),
            detail: Some(form),
            disabled: None,
        });
    }
    out
}

/// App directories without an environment: the shallowest unclaimed deployable directories,
/// grouped by parent into `parent/{app}` rules. `env` is the environment whose branch this
/// tree is (recorded as where each app was seen).
fn apps_only(
    facts: &TreeFacts,
    app_name: &str,
    claimed: &[String],
    env: Option<&str>,
) -> Vec<Found> {
    let candidates: Vec<&String> = facts
        .unclaimed(claimed)
        .filter(|dir| {
            let segs = segments(dir);
            !segs
                .iter()
                .any(|s| SHARED.contains(s) || ENV_CONTAINERS.contains(s))
                && !segs.first().is_some_and(|s| NOT_APPS.contains(s))
        })
        .collect();
    let tops: Vec<&String> = candidates
        .iter()
        .filter(|dir| {
            !candidates
                .iter()
                .any(|other| other != *dir && is_below(dir, other))
        })
        .copied()
        .collect();
    let mut groups = BTreeMap::new();
    let mut out = Vec::new();
    for dir in tops {
        if dir.is_empty() {
            let envs = env
                .map(|e| BTreeSet::from([e.to_string()]))
                .unwrap_or_default();
            out.push(Found {
                layout: Layout::AppsOnly,
                rule: Rule::App {
                    name: app_name.to_string(),
                    path: String::new(),
                    helm_values: None,
                    environments: Vec::new(),
                },
                apps: BTreeMap::from([(app_name.to_string(), envs)]),
                detail: None,
                disabled: None,
            });
            continue;
        }
        let segs = segments(dir);
        let n = segs.len();
        if n > 3 {
            continue;
        }
        let mut parts = segs[..n - 1].to_vec();
        parts.push("{app}");
        add_discovered(&mut groups, pattern(&parts), segs[n - 1], env);
    }
    out.extend(discover_rules(Layout::AppsOnly, groups));
    out
}

/// Branches that are environments, with the environment's name: `prod`, `env/prod`; only
/// those holding manifests. The default branch counts only when its name says so.
fn env_branches<'a>(
    listing: &'a RepoListing,
    contexts: &[KubeContext],
) -> Vec<(String, &'a BranchTree)> {
    let mut out: Vec<(String, &BranchTree)> = Vec::new();
    for tree in &listing.branches {
        let segs: Vec<&str> = tree.branch.split('/').collect();
        let env = match segs[..] {
            [name] => name,
            [prefix, name] if BRANCH_PREFIXES.contains(&prefix) => name,
            _ => continue,
        };
        if !is_env_like(env, contexts)
            || out.iter().any(|(e, _)| e == env)
            || TreeFacts::of(&tree.files).deployable.is_empty()
        {
            continue;
        }
        out.push((env.to_string(), tree));
    }
    out
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
                let name: String = context
                    .name
                    .chars()
                    .map(|c| {
                        if c == '/' || c.is_whitespace() {
                            '-'
                        } else {
                            c
                        }
                    })
                    .collect();
                names.insert(
                    name,
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
    let trimmed = name.strip_suffix(".git").unwrap_or(name);
    let cleaned: String = trimmed
        .chars()
        .map(|c| {
            if c == '/' || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() {
        "app".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests;
