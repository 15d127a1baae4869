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
        .map(|line| if line.is_empty() { "#".to_string() } else { format!("# {line}") })
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
                format!("{app} ({})", envs.iter().cloned().collect::<Vec<_>>().join(", "))
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
    let _ = writeln!(out, "# kubedrift configuration, written by `kubedrift init`.");
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
        let detail = found.detail.as_deref().map(|d| format!("; {d}")).unwrap_or_default();
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
                let listed = if kept.is_empty() { environments.clone() } else { kept };
                let _ = writeln!(table, "environments = {}", quoted_list(&listed));
            }
            if let Some(values) = helm_values {
                let _ = writeln!(table, "\n[app.helm]");
                let _ = writeln!(table, "values = {}", quoted_list(&[values.clone()]));
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
