//! `kubedrift init`: look at a GitOps repository and the kubeconfig, write a commented config,
//! and say what was guessed and what to check. Never overwrites a file without `--force`.

use super::{Exit, GlobalArgs};
use crate::cluster::kubeconfig::select_contexts;
use crate::git::GitRepo;
use crate::init::{self, ContextMatch, Guess, Origin};
use color_eyre::eyre::{eyre, WrapErr};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write a first config from a GitOps repository's layout and the kubeconfig's contexts.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Write a first config from a GitOps repository's layout and the kubeconfig's contexts.\n\n\
Recognised layouts: apps/{app}/envs/{env} (or overlays/, environments/), envs/{env} with a shared \
base, {env}/{app} (also envs/{env}/{app}), apps/{app}/{env} (also clusters/{cluster} holding Flux's flux-system), {env} at \
the root holding manifests, Helm charts with values-{env}.yaml, app directories without \
environments, and a branch per environment. The repository is read from git objects (every branch), \
never the work tree. Environments are matched to contexts whose names say them (kind-prod, prod-eu1, \
gke_acme_europe-west1_prod → prod); an environment several clusters fit, or none, is written \
commented out for you to choose.",
    after_help = "Examples:\n  kubedrift init\n  kubedrift init --repo ~/src/platform-gitops --kubeconfig ~/.kube/config\n  \
kubedrift init --output ./kubedrift.toml --force\n  kubedrift init --output -   (print, write nothing)\n  \
kubedrift init --context kind-dev --context prod-eu1   (only these contexts)\n\n\
Exit codes: 0 written, 2 error (the output file exists and --force was not given, no git \
repository, no kubeconfig, no layout recognised)."
)]
pub struct InitArgs {
    /// The GitOps repository (a work tree, a directory in it, or a bare repository; default:
    /// the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Where to write the config (default: --config, $KUBEDRIFT_CONFIG, then the XDG config
    /// dir's kubedrift/config.toml); `-` prints it instead.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(global: &GlobalArgs, args: InitArgs) -> color_eyre::Result<Exit> {
    let output = output_path(global, &args)?;
    let to_stdout = output.as_os_str() == "-";
    if !to_stdout && !args.force && output.exists() {
        return Err(eyre!(
            "{} already exists; kubedrift init never overwrites a config: pass --force to replace \
             it, or --output FILE to write elsewhere",
            output.display()
        ));
    }

    let start = match &args.repo {
        Some(path) => path.clone(),
        None => std::env::current_dir().wrap_err("cannot read the current directory")?,
    };
    let root = GitRepo::discover_root(&start)
        .map_err(|e| eyre!("{e} (pass --repo with the GitOps repository)"))?;
    let root = root.canonicalize().unwrap_or(root);
    let scanned = init::scan::scan_repo(&root)?;
    let kubeconfig = crate::cluster::kubeconfig::load_default(global.kubeconfig.as_deref())?;
    let mut contexts = init::scan::contexts(&kubeconfig);
    // A `--context` naming no context is an error (with a suggestion), not a silent filter
    // leaving every environment without one.
    let all: Vec<String> = contexts.iter().map(|c| c.name.clone()).collect();
    let selected = select_contexts(&kubeconfig, &all, &global.contexts)?;
    contexts.retain(|c| selected.contains(&c.name));
    let mut guess = init::guess(&scanned.listing, &contexts);
    guess.checks.extend(scanned.notes.iter().cloned());
    if guess.found.is_empty() {
        return Err(eyre!(
            "found no app directories in {} on branch {} (looked for kustomizations, Helm charts \
             and YAML manifests in the layouts `kubedrift init --help` lists); write the config \
             by hand from config.example.toml",
            root.display(),
            scanned.listing.default_branch
        ));
    }

    let origin = Origin {
        repo_name: repo_name(&scanned.listing.name),
        repo_path: root.display().to_string(),
        default_branch: scanned.listing.default_branch.clone(),
        url: scanned.origin_url.clone(),
        kubeconfig: match &global.kubeconfig {
            Some(path) => path.display().to_string(),
            None => std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".to_string()),
        },
    };
    let text = init::config_text(&guess, &origin);
    if to_stdout {
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(Exit::InSync);
    }
    write_config(&output, &text, args.force)?;
    let summary = summary(&guess, &origin, &output, global.kubeconfig.as_deref());
    std::io::stdout().lock().write_all(summary.as_bytes())?;
    Ok(Exit::InSync)
}

/// `--output`, else where kubedrift would read its config.
fn output_path(global: &GlobalArgs, args: &InitArgs) -> color_eyre::Result<PathBuf> {
    if let Some(path) = args.output.as_ref().or(global.config.as_ref()) {
        return Ok(path.clone());
    }
    crate::config::Config::default_path()
        .ok_or_else(|| eyre!("no home directory to put the config in; pass --output FILE"))
}

/// Writes `text`; without `force`, only if the file does not exist (checked by the create
/// itself, so a file appearing meanwhile is not overwritten either).
fn write_config(path: &Path, text: &str, force: bool) -> color_eyre::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .wrap_err_with(|| format!("cannot create {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            eyre!(
                "{} already exists; kubedrift init never overwrites a config: pass --force",
                path.display()
            )
        } else {
            eyre!("cannot write {}: {e}", path.display())
        }
    })?;
    file.write_all(text.as_bytes())
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A `[[repo]]` name from the directory name.
fn repo_name(dir_name: &str) -> String {
    init::names::repo_dir_name(dir_name).unwrap_or_else(|| "gitops".to_string())
}

/// What was guessed and what to check, for the terminal. `kubeconfig`: the one init was told
/// to read, which the suggested `status` needs too (the config does not name it).
fn summary(guess: &Guess, origin: &Origin, output: &Path, kubeconfig: Option<&Path>) -> String {
    let mut out = format!(
        "Looked at {} (default branch {}).\n\nLayout:\n",
        origin.repo_path, origin.default_branch
    );
    for found in &guess.found {
        let state = if found.disabled.is_some() {
            " [commented out]"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {} — {}{state}\n    apps: {}\n",
            found.shape(),
            found.layout.describe(),
            init::write::apps_summary(found)
        ));
    }
    out.push_str("\nEnvironments:\n");
    for env in &guess.environments {
        let branch = env
            .git_ref
            .as_deref()
            .map(|r| format!(" (branch {r})"))
            .unwrap_or_default();
        let context = match &env.context {
            ContextMatch::Exact { context } => format!("context {context}"),
            ContextMatch::Named { context, .. } => {
                format!("context {context} (its name says {})", env.name)
            }
            ContextMatch::Ambiguous { candidates } => format!(
                "ambiguous: {} — left commented out, choose one",
                candidates.join(", ")
            ),
            ContextMatch::Unmatched => "no matching context — left commented out".to_string(),
        };
        out.push_str(&format!("  {}{branch} → {context}\n", env.name));
    }
    if !guess.unused_contexts.is_empty() {
        out.push_str(&format!(
            "  (contexts not used: {})\n",
            guess.unused_contexts.join(", ")
        ));
    }
    out.push_str(&format!("\nWrote {}.\n", output.display()));
    if !guess.checks.is_empty() {
        out.push_str("\nCheck:\n");
        for check in &guess.checks {
            out.push_str(&format!("  - {check}\n"));
        }
    }
    let kubeconfig = kubeconfig
        .map(|path| format!(" --kubeconfig {}", path.display()))
        .unwrap_or_default();
    out.push_str(&format!(
        "\nNext: kubedrift status --config {}{kubeconfig}\n",
        output.display()
    ));
    out
}
