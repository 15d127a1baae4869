//! The config file `init` writes: TOML with comments saying what was guessed and why, and
//! what to check. Pure: a [`Guess`] in, text out. Environments without a clear context are
//! written commented out, so the file loads as it is and covers what is certain.

use super::layout::{EnvGuess, Found, Guess, Rule};
use super::names::ContextMatch;
use std::fmt::Write as _;

/// Where the guesses came from, for the header and the `[[repo]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `[[repo]]` name.
    pub repo_name: String,
    /// The repository path as written into `path`.
    pub repo_path: String,
    pub default_branch: String,
    /// `origin`'s URL, written commented out (fetching is the user's choice).
    pub url: Option<String>,
    /// The kubeconfig file(s) read, for the header.
    pub kubeconfig: String,
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn quoted_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|i| quoted(i)).collect();
    format!("[{}]", parts.join(", "))
}

/// Every line of `block` as a TOML comment.
fn commented(block: &str) -> String {
    block
        .lines()
        .map(|line| {
            if line.is_empty() {
                "#".to_string()
            } else {
                format!("# {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `api (dev, prod), web (every environment)`.
pub fn apps_summary(found: &Found) -> String {
    found
        .apps
        .iter()
        .map(|(app, envs)| {
            if envs.is_empty() {
                format!("{app} (every environment)")
            } else {
                format!(
                    "{app} ({})",
                    envs.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names of the environments written active (with a context).
pub fn active_environments(guess: &Guess) -> Vec<String> {
    guess
        .environments
        .iter()
        .filter(|e| e.context.context().is_some())
        .map(|e| e.name.clone())
        .collect()
}

/// The whole config file.
pub fn config_text(guess: &Guess, origin: &Origin) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# kubedrift configuration, written by `kubedrift init`."
    );
    let _ = writeln!(out, "#");
    let _ = writeln!(
        out,
        "# Repository: {} (default branch {})",
        origin.repo_path, origin.default_branch
    );
    let _ = writeln!(out, "# Kubeconfig: {}", origin.kubeconfig);
    let _ = writeln!(out, "#");
    let _ = writeln!(
        out,
        "# Everything below is a guess from directory, branch and context names. Read the CHECK\n\
         # notes, then run `kubedrift status`. Every key is explained in config.example.toml\n\
         # (in kubedrift's repository); unknown keys are errors, so typos cannot go unnoticed."
    );
    let _ = writeln!(out, "#\n# Recognised:");
    for found in &guess.found {
        let detail = found
            .detail
            .as_deref()
            .map(|d| format!("; {d}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "#   {} ({}{detail}): {}",
            found.shape(),
            found.layout.describe(),
            apps_summary(found)
        );
    }
    if !guess.checks.is_empty() {
        let _ = writeln!(out, "#\n# CHECK:");
        for check in &guess.checks {
            let _ = writeln!(out, "#   - {check}");
        }
    }
    if !guess.unused_contexts.is_empty() {
        let _ = writeln!(
            out,
            "#\n# Contexts no environment uses: {}",
            guess.unused_contexts.join(", ")
        );
    }

    let _ = writeln!(out, "\n[[repo]]");
    let _ = writeln!(out, "name = {}", quoted(&origin.repo_name));
    let _ = writeln!(out, "path = {}", quoted(&origin.repo_path));
    let _ = writeln!(out, "default_branch = {}", quoted(&origin.default_branch));
    if let Some(url) = &origin.url {
        let _ = writeln!(
            out,
            "# Uncomment to fetch `origin` every fetch_interval_seconds (60 by default).\n# url = {}",
            quoted(url)
        );
    }

    let _ = writeln!(
        out,
        "\n# Environments in promotion order (the order of this file)."
    );
    for env in &guess.environments {
        out.push('\n');
        out.push_str(&environment_block(env));
    }

    let active = active_environments(guess);
    let _ = writeln!(out, "\n# Apps.");
    for found in &guess.found {
        out.push('\n');
        out.push_str(&rule_block(found, &active));
    }
    out
}

fn environment_block(env: &EnvGuess) -> String {
    let mut table = String::new();
    let _ = writeln!(table, "[[environment]]");
    let _ = writeln!(table, "name = {}", quoted(&env.name));
    let contexts: Vec<&String> = match &env.context {
        ContextMatch::Exact { context } | ContextMatch::Named { context, .. } => vec![context],
        ContextMatch::Ambiguous { candidates } => candidates.iter().collect(),
        ContextMatch::Unmatched => vec![],
    };
    for context in &contexts {
        let _ = writeln!(table, "context = {}", quoted(context));
    }
    if contexts.is_empty() {
        let _ = writeln!(table, "context = \"\"");
    }
    if let Some(git_ref) = &env.git_ref {
        let _ = writeln!(table, "ref = {}", quoted(git_ref));
    }
    if super::names::says_production(&env.name) {
        let _ = writeln!(
            table,
            "# Production? Ask for the name to be typed before any write (sync, promotion):\n# protected = true"
        );
    }
    let from = format!("# Name from {}.", env.source);
    match &env.context {
        ContextMatch::Exact { .. } => format!("{from}\n# A context has this very name.\n{table}"),
        ContextMatch::Named { context, same_cluster } => {
            let also = if same_cluster.is_empty() {
                String::new()
            } else {
                format!(
                    "\n# Same cluster, other user: {} (shortest name chosen).",
                    same_cluster.join(", ")
                )
            };
            format!(
                "{from}\n# CHECK: context `{context}` chosen because its name says `{}`.{also}\n{table}",
                env.name
            )
        }
        ContextMatch::Ambiguous { .. } => format!(
            "{from}\n# CHECK: several contexts on different clusters fit `{}`: keep the right `context`\n\
             # line, delete the others and uncomment the block.\n{}",
            env.name,
            commented(&table)
        ),
        ContextMatch::Unmatched => format!(
            "{from}\n# CHECK: no context's name says `{}`: set `context` and uncomment the block.\n{}",
            env.name,
            commented(&table)
        ),
    }
}

fn rule_block(found: &Found, active: &[String]) -> String {
    let heading = format!(
        "# {} ({}): {}",
        found.shape(),
        found.layout.describe(),
        apps_summary(found)
    );
    let mut table = String::new();
    let mut disabled = found.disabled.clone();
    match &found.rule {
        Rule::Discover { pattern } => {
            let _ = writeln!(table, "[[discover]]");
            let _ = writeln!(table, "pattern = {}", quoted(pattern));
        }
        Rule::App {
            name,
            path,
            helm_values,
            environments,
        } => {
            let _ = writeln!(table, "[[app]]");
            let _ = writeln!(table, "name = {}", quoted(name));
            let path = if path.is_empty() { "." } else { path.as_str() };
            let _ = writeln!(table, "path = {}", quoted(path));
            if helm_values.is_some() {
                let _ = writeln!(table, "renderer = \"helm\"");
            }
            if !environments.is_empty() {
                let kept: Vec<String> = environments
                    .iter()
                    .filter(|e| active.contains(e))
                    .cloned()
                    .collect();
                if kept.is_empty() && disabled.is_none() {
                    disabled = Some("none of its environments has a context yet".to_string());
                }
                let mut listed = if kept.is_empty() {
                    environments.clone()
                } else {
                    kept
                };
                listed.sort_by_key(|e| super::names::promotion_key(e));
                let _ = writeln!(table, "environments = {}", quoted_list(&listed));
            }
            if let Some(values) = helm_values {
                let _ = writeln!(table, "\n[app.helm]");
                let _ = writeln!(
                    table,
                    "values = {}",
                    quoted_list(std::slice::from_ref(values))
                );
            }
        }
    }
    match disabled {
        Some(reason) => format!(
            "{heading}\n# CHECK: commented out because {reason}.\n{}",
            commented(&table)
        ),
        None => format!("{heading}\n{table}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AppPath, Config, RendererKind};
    use crate::init::layout::{guess, BranchTree, RepoListing};
    use crate::init::names::KubeContext;
    use std::path::Path;

    fn ctx(name: &str, cluster: &str) -> KubeContext {
        KubeContext {
            name: name.into(),
            cluster: cluster.into(),
        }
    }

    fn listing(files: &[&str]) -> RepoListing {
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        RepoListing {
            name: "platform".into(),
            default_branch: "trunk".into(),
            files: files.clone(),
            branches: vec![BranchTree {
                branch: "trunk".into(),
                files,
                remote_only: false,
            }],
        }
    }

    fn origin() -> Origin {
        Origin {
            repo_name: "platform".into(),
            repo_path: "/srv/git/platform".into(),
            default_branch: "trunk".into(),
            url: Some("git@git.example.com:acme/platform.git".into()),
            kubeconfig: "/home/me/.kube/config".into(),
        }
    }

    #[test]
    fn written_config_loads_with_only_the_clear_environments_active() {
        let guess = guess(
            &listing(&[
                "apps/web/envs/dev/kustomization.yaml",
                "apps/web/envs/prod/kustomization.yaml",
                "charts/redis/Chart.yaml",
                "charts/redis/values-dev.yaml",
                "charts/redis/values-prod.yaml",
            ]),
            &[
                ctx("kind-dev", "dev"),
                ctx("prod-eu1", "eu"),
                ctx("prod-us1", "us"),
            ],
        );
        let text = config_text(&guess, &origin());
        let config = Config::from_str(&text, Path::new("/tmp/config.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(config.repos[0].default_branch, "trunk");
        // Fetching is offered, not switched on.
        assert_eq!(config.repos[0].url, None);
        assert!(
            text.contains("# url = \"git@git.example.com:acme/platform.git\"\n"),
            "{text}"
        );
        let envs: Vec<(&str, &str)> = config
            .environments
            .iter()
            .map(|e| (e.name.as_str(), e.context.as_str()))
            .collect();
        assert_eq!(envs, vec![("dev", "kind-dev")]);
        assert_eq!(
            config.discover[0].pattern.to_string(),
            "apps/{app}/envs/{env}"
        );
        let redis = &config.apps[0];
        assert_eq!(redis.renderer, RendererKind::Helm);
        assert_eq!(redis.path, AppPath::Template("charts/redis".into()));
        assert_eq!(redis.environments, Some(vec!["dev".to_string()]));
        assert_eq!(redis.helm.values, vec!["values-{env}.yaml".to_string()]);
        // The ambiguous choice is there, commented out, for the user to make.
        assert!(
            text.contains("# [[environment]]\n# name = \"prod\"\n# context = \"prod-eu1\"\n# context = \"prod-us1\"\n"),
            "{text}"
        );
    }

    #[test]
    fn an_app_with_no_environment_left_is_written_commented_out() {
        let guess = guess(
            &listing(&["envs/qa/kustomization.yaml", "infra/dns/kustomization.yaml"]),
            &[
                ctx("kind-qa-eu", "a"),
                ctx("kind-qa-us", "b"),
                ctx("kind-dev", "d"),
            ],
        );
        let text = config_text(&guess, &origin());
        assert!(
            text.contains("# CHECK: commented out because none of its environments has a context yet.\n# [[app]]\n# name = \"platform\""),
            "{text}"
        );
        // No environment is active: the file says so by not loading, naming what is missing.
        let err = Config::from_str(&text, Path::new("/tmp/config.toml")).unwrap_err();
        assert!(err.to_string().contains("environment"), "{err}");
    }

    #[test]
    fn clashing_rules_leave_a_config_that_loads() {
        let guess = guess(
            &listing(&[
                "apps/redis/envs/dev/kustomization.yaml",
                "infra/redis/kustomization.yaml",
                "charts/redis/Chart.yaml",
                "charts/redis/values-dev.yaml",
                "vendor/redis/Chart.yaml",
                "vendor/redis/values-dev.yaml",
            ]),
            &[ctx("kind-dev", "dev")],
        );
        let text = config_text(&guess, &origin());
        let config = Config::from_str(&text, Path::new("/tmp/config.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(config.discover.len(), 1, "{text}");
        assert_eq!(config.apps.len(), 1, "{text}");
        assert_eq!(
            config.apps[0].path,
            AppPath::Template("charts/redis".into())
        );
    }

    #[test]
    fn an_apps_environments_are_written_in_promotion_order() {
        let guess = guess(
            &listing(&[
                "charts/shop/Chart.yaml",
                "charts/shop/values-dev.yaml",
                "charts/shop/values-prod.yaml",
                "charts/shop/values-staging.yaml",
            ]),
            &[
                ctx("kind-dev", "d"),
                ctx("kind-staging", "s"),
                ctx("kind-prod", "p"),
            ],
        );
        let text = config_text(&guess, &origin());
        assert!(
            text.contains("environments = [\"dev\", \"staging\", \"prod\"]\n"),
            "{text}"
        );
    }

    #[test]
    fn strings_are_toml_quoted() {
        for text in ["plain", "a\"b\\c", "it's", "C:\\x\ny"] {
            let line = format!("k = {}", quoted(text));
            let table: toml::Table =
                toml::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(table["k"].as_str(), Some(text), "{line}");
        }
        assert_eq!(commented("a\n\nb\n"), "# a\n#\n# b\n");
    }
}
