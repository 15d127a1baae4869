//! Checks about what the layout guess left out or cannot know, one sentence each for the
//! user to read (pure: the guess's data in, sentences out).

use super::detect::TreeFacts;
use super::{BranchTree, EnvGuess};
use crate::init::names::{env_words_in, promotion_key, KubeContext};
use std::collections::{BTreeMap, BTreeSet};

/// `` `a`, `b`, `c` `` (at most eight, then how many more).
pub(super) fn listed(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut out = items
        .iter()
        .take(SHOWN)
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

/// Directories with something deployable that no app was guessed for.
pub(super) fn not_guessed(facts: &TreeFacts, claimed: &[String], checks: &mut Vec<String>) {
    if !facts.values_only.is_empty() {
        let dirs: Vec<String> = facts.values_only.iter().cloned().collect();
        checks.push(format!(
            "Helm values files without a chart in {} (the chart comes from a Helm repository, \
             as in an Argo CD multi-source app or a Flux HelmRelease): kubedrift renders \
             charts from Git only, so no app is guessed there.",
            listed(&dirs)
        ));
    }
    let left = facts.left_between(claimed);
    if !left.is_empty() {
        checks.push(format!(
            "Manifests next to the app directories in {}: no app includes them, so they are \
             not compared; add an [[app]] for them if they matter.",
            listed(&left)
        ));
    }
}

/// Environment branches only `origin` has (a fresh clone) move only when the clone is fetched.
pub(super) fn remote_only_branches(
    branch_envs: &[(String, &BranchTree)],
    checks: &mut Vec<String>,
) {
    let remote_only: Vec<String> = branch_envs
        .iter()
        .filter(|(_, t)| t.remote_only)
        .map(|(_, t)| format!("origin/{}", t.branch))
        .collect();
    if !remote_only.is_empty() {
        checks.push(format!(
            "Environment branches exist here only as remote-tracking branches ({}): they move \
             only when this clone is fetched, so uncomment the repo's `url` (kubedrift then \
             fetches it) or fetch yourself, or the environments show stale desired state.",
            listed(&remote_only)
        ));
    }
}

/// A cluster whose context name says an environment the repository does not name (one
/// `values-production.yaml` made the only environment) is likely missing, not unrelated. One
/// context per cluster (the shortest name: the admin's, not `...-viewer`).
pub(super) fn contexts_naming_other_environments(
    contexts: &[KubeContext],
    used: &BTreeSet<&str>,
    environments: &[EnvGuess],
    checks: &mut Vec<String>,
) {
    let mut by_cluster: BTreeMap<&str, &str> = BTreeMap::new();
    for context in contexts.iter().filter(|c| {
        !used.contains(c.name.as_str())
            && env_words_in(&c.name).iter().any(|word| {
                environments
                    .iter()
                    .all(|e| promotion_key(&e.name).0 != promotion_key(word).0)
            })
    }) {
        let shortest = by_cluster.entry(&context.cluster).or_insert(&context.name);
        if context.name.len() < shortest.len() {
            *shortest = &context.name;
        }
    }
    let named_elsewhere: Vec<String> = by_cluster.values().map(|c| c.to_string()).collect();
    if !environments.is_empty() && !named_elsewhere.is_empty() {
        checks.push(format!(
            "Contexts naming environments the repository does not: {}; add an \
             [[environment]] for each whose cluster runs these apps too (apps of every \
             environment then include it).",
            listed(&named_elsewhere)
        ));
    }
}
