//! A `[[discover]]` rule takes every directory its pattern matches as an app, manifests or
//! not (`{app}` at the root also takes `.github`, `docs`, `scripts`). When a rule init found
//! would take more than the apps it found, its apps are written as listed `[[app]]`s instead,
//! so that the config says exactly what init reported. Pure.

use super::{Found, Rule};
use crate::config::{discover_apps, PathPattern};
use std::collections::BTreeSet;

/// The directories `pattern` would take as apps that are not among `found`'s apps (for
/// `environments`; a `{env}` directory of another name is skipped by discovery too), nor
/// `listed_elsewhere` (another rule's app of that name replaces the discovered one).
fn taken_beyond(
    found: &Found,
    pattern: &str,
    dirs: &[String],
    environments: &[String],
    listed_elsewhere: &BTreeSet<String>,
) -> Vec<String> {
    let Ok(pattern) = PathPattern::parse(pattern) else {
        return Vec::new();
    };
    discover_apps(&pattern, dirs, environments)
        .into_iter()
        .filter(|app| match (found.apps.get(&app.name), &app.env) {
            (None, _) => !listed_elsewhere.contains(&app.name),
            (Some(envs), Some(env)) => !envs.is_empty() && !envs.contains(env),
            (Some(_), None) => false,
        })
        .map(|app| app.path)
        .collect()
}

/// `pattern` with its `{app}` segment replaced by `app`.
fn app_path(pattern: &str, app: &str) -> String {
    pattern
        .split('/')
        .map(|segment| if segment == "{app}" { app } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// Replaces every discover rule of `found` that would take directories beyond its apps by one
/// listed app per app; says so in `checks`. `dirs_of` gives the directories a rule is matched
/// against (the default branch's, or the environment branches' for a branch per environment).
pub(super) fn list_apps_of_wide_patterns(
    found: Vec<Found>,
    dirs_of: impl Fn(&Found) -> Vec<String>,
    checks: &mut Vec<String>,
) -> Vec<Found> {
    let environments: Vec<String> = found
        .iter()
        .flat_map(|f| f.apps.values().flatten().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let listed: BTreeSet<String> = found
        .iter()
        .filter_map(|f| match &f.rule {
            Rule::App { name, .. } => Some(name.clone()),
            Rule::Discover { .. } => None,
        })
        .collect();
    let mut out = Vec::new();
    for one in found {
        let Rule::Discover { pattern } = &one.rule else {
            out.push(one);
            continue;
        };
        let beyond = taken_beyond(&one, pattern, &dirs_of(&one), &environments, &listed);
        if beyond.is_empty() {
            out.push(one);
            continue;
        }
        checks.push(format!(
            "Pattern `{pattern}` would also take {} as apps of their own (init found none \
             there), so its apps are listed one by one as [[app]]: list new ones too, or keep \
             apps under a directory of their own and use a [[discover]] pattern.",
            super::checks::listed(&beyond)
        ));
        for (app, envs) in &one.apps {
            out.push(Found {
                layout: one.layout,
                rule: Rule::App {
                    name: app.clone(),
                    path: app_path(pattern, app),
                    helm_values: None,
                    environments: envs.iter().cloned().collect(),
                },
                apps: [(app.clone(), envs.clone())].into_iter().collect(),
                detail: one.detail.clone(),
                disabled: None,
            });
        }
    }
    out
}
