//! The layout detectors: each looks at one tree's directories (those not explained by an
//! earlier detector, `claimed`) and returns the rules it recognises. Pure.

use super::{BranchTree, Found, Layout, RepoListing, Rule};
use crate::init::names::{is_env_branch_name, is_env_like, KubeContext};
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
/// The directory `flux bootstrap` writes into a cluster's directory: Flux applies that cluster
/// directory as a whole (recursively), so `flux-system` is part of it, never an app.
const FLUX_SYSTEM: &str = "flux-system";

/// What a tree holds, by directory.
#[derive(Debug, Default)]
pub(super) struct TreeFacts {
    /// Directories with manifests: a kustomization, a chart, or YAML files (not chart
    /// internals, not the root with loose YAML only).
    pub(super) deployable: BTreeSet<String>,
    charts: BTreeSet<String>,
    /// Directories holding a `flux-system` directory: one cluster's directory each, so its
    /// name is an environment's whatever it says.
    cluster_dirs: BTreeSet<String>,
    /// Directories with Helm values files but no chart, kustomization or other manifests.
    pub(super) values_only: BTreeSet<String>,
    /// Every directory, hidden ones too (a `[[discover]]` pattern matches those as well).
    pub(super) dirs: BTreeSet<String>,
    /// Directory → the names of its files.
    files_in: BTreeMap<String, Vec<String>>,
}

impl TreeFacts {
    pub(super) fn of(files: &[String]) -> TreeFacts {
        let mut facts = TreeFacts::default();
        for path in files {
            let mut dir = path.as_str();
            while let Some((parent, _)) = dir.rsplit_once('/') {
                facts.dirs.insert(parent.to_string());
                dir = parent;
            }
        }
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
        let mut values_dirs = BTreeSet::new();
        for (dir, name) in visible {
            let in_chart = facts.charts.iter().any(|c| is_below(&dir, c));
            let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            let deployable = if facts.charts.contains(&dir) {
                true
            } else if in_chart {
                false
            } else if KUSTOMIZATION_FILES.contains(&name.as_str()) {
                true
            } else if is_yaml && is_values_file(&name) {
                // Values for a chart kept elsewhere (a Helm repository): no manifests.
                values_dirs.insert(dir.clone());
                false
            } else {
                is_yaml && !dir.is_empty()
            };
            match flux_cluster_dir(&dir) {
                Some(cluster) if deployable => {
                    facts.deployable.insert(cluster.to_string());
                    facts.cluster_dirs.insert(cluster.to_string());
                }
                Some(_) => {}
                None if deployable => {
                    facts.deployable.insert(dir.clone());
                }
                None => {}
            }
            facts.files_in.entry(dir).or_default().push(name);
        }
        facts.values_only = values_dirs
            .into_iter()
            .filter(|dir| !facts.deployable.contains(dir))
            .collect();
        facts
    }

    /// Deployable directories not claimed but holding claimed ones: their own manifests are in
    /// no app.
    pub(super) fn left_between(&self, claimed: &[String]) -> Vec<String> {
        self.unclaimed(claimed)
            .filter(|dir| !dir.is_empty() && holds_claimed(dir, claimed))
            .cloned()
            .collect()
    }

    /// Deployable directories not explained by a layout yet.
    fn unclaimed<'a>(&'a self, claimed: &'a [String]) -> impl Iterator<Item = &'a String> + 'a {
        self.deployable
            .iter()
            .filter(move |dir| !claimed.iter().any(|c| is_below(dir, c)))
    }
}

/// The cluster directory a directory in a `flux-system` directory belongs to (`clusters/prod`
/// for `clusters/prod/flux-system`); `None` outside one, or for one at the root.
fn flux_cluster_dir(dir: &str) -> Option<&str> {
    let at = dir.split('/').position(|s| s == FLUX_SYSTEM)?;
    let cluster_len = dir.split('/').take(at).map(|s| s.len() + 1).sum::<usize>();
    (cluster_len > 0).then(|| &dir[..cluster_len - 1])
}

/// Whether a directory below `dir` is claimed already: `dir` then holds apps, and is no app
/// itself (its render would hold theirs again).
fn holds_claimed(dir: &str, claimed: &[String]) -> bool {
    claimed.iter().any(|c| c != dir && is_below(c, dir))
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

pub(super) fn overlay_per_env(facts: &TreeFacts, claimed: &mut Vec<String>) -> Vec<Found> {
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

pub(super) fn shared_base(
    facts: &TreeFacts,
    app_name: &str,
    claimed: &mut Vec<String>,
) -> Vec<Found> {
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

pub(super) fn env_then_app(
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
        // `envs/{env}/{app}`: the environments may sit in a container directory of their own.
        let prefix_is_plain = match prefix.split_last() {
            Some((last, rest)) if ENV_CONTAINERS.contains(last) => plain_prefix(rest, contexts),
            _ => plain_prefix(prefix, contexts),
        };
        if !is_env_like(env, contexts)
            || ENV_CONTAINERS.contains(&env)
            || SHARED.contains(&app)
            || !prefix_is_plain
            || facts.cluster_dirs.contains(&pattern(&segs[..n - 1]))
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

pub(super) fn app_then_env(
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
        if !(is_env_like(env, contexts) || facts.cluster_dirs.contains(dir))
            || holds_claimed(dir, claimed)
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

/// Environment directories at the root holding manifests themselves (`prod/`, or a Flux
/// cluster directory): the repository is one app, read from `{env}`. One holding app
/// directories already found is not an app (see [`TreeFacts::left_between`]).
pub(super) fn env_dirs_at_root(
    facts: &TreeFacts,
    contexts: &[KubeContext],
    app_name: &str,
    claimed: &mut Vec<String>,
) -> Vec<Found> {
    let envs: BTreeSet<String> = facts
        .unclaimed(claimed)
        .filter(|dir| {
            !dir.is_empty()
                && !dir.contains('/')
                && usable_name(dir)
                && !ENV_CONTAINERS.contains(&dir.as_str())
                && !SHARED.contains(&dir.as_str())
                // `test/` with fixtures is no `test` environment.
                && !NOT_APPS.contains(&dir.as_str())
                && (is_env_like(dir, contexts) || facts.cluster_dirs.contains(*dir))
                && !holds_claimed(dir, claimed)
        })
        .cloned()
        .collect();
    if envs.is_empty() {
        return Vec::new();
    }
    claimed.extend(envs.iter().cloned());
    vec![Found {
        layout: Layout::EnvDirs,
        rule: Rule::App {
            name: app_name.to_string(),
            path: "{env}".to_string(),
            helm_values: None,
            environments: envs.iter().cloned().collect(),
        },
        apps: BTreeMap::from([(app_name.to_string(), envs)]),
        detail: None,
        disabled: None,
    }]
}

/// `values.yaml`, `values-prod.yaml`, `values.prod.yml`: Helm values, not manifests.
fn is_values_file(name: &str) -> bool {
    matches!(name, "values.yaml" | "values.yml") || env_values_file(name).is_some()
}

/// `values-prod.yaml` → (`values-{env}.yaml`, `prod`).
pub(super) fn env_values_file(name: &str) -> Option<(String, String)> {
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

/// Charts with a values file per environment. Values files whose name says no environment
/// (`values-ha.yaml`) are variants, not environments: a check names them.
pub(super) fn helm_values_per_env(
    facts: &TreeFacts,
    contexts: &[KubeContext],
    app_name: &str,
    claimed: &mut Vec<String>,
    checks: &mut Vec<String>,
) -> Vec<Found> {
    let mut out = Vec::new();
    for chart in &facts.charts {
        if claimed.iter().any(|c| is_below(chart, c)) {
            continue;
        }
        let mut by_form: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut variants = Vec::new();
        for name in facts.files_in.get(chart).into_iter().flatten() {
            match env_values_file(name) {
                Some((form, env)) if is_env_like(&env, contexts) => {
                    by_form.entry(form).or_default().insert(env);
                }
                Some(_) => variants.push(format!("`{name}`")),
                None => {}
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
        if !variants.is_empty() {
            checks.push(format!(
                "Chart `{}`: {} name no environment, so no environment uses them; add them to \
                 the app's `[app.helm] values` where they apply.",
                if chart.is_empty() {
                    "."
                } else {
                    chart.as_str()
                },
                variants.join(", ")
            ));
        }
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
pub(super) fn apps_only(
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
                && !holds_claimed(dir, claimed)
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
pub(super) fn env_branches<'a>(
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
        if !is_env_branch_name(env, contexts)
            || out.iter().any(|(e, _)| e == env)
            || TreeFacts::of(&tree.files).deployable.is_empty()
        {
            continue;
        }
        out.push((env.to_string(), tree));
    }
    out
}
