//! `kubedrift render APP --env ENV`: print the rendered desired manifests.

use super::{Exit, GlobalArgs, OutputFormat};
use crate::config::Config;
use crate::desired::{self, Repos};
use crate::engine::{diff, mask};
use crate::manifest::ManifestLimits;
use crate::render::RenderCache;
use color_eyre::eyre::eyre;
use std::io::Write;

/// Print the desired manifests of one app in one environment, as rendered from Git.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  kubedrift render web --env prod\n  \
kubedrift render web --env dev --ref feature/x\n  \
kubedrift render web --env prod --output json | jq '.items[].kind'\n\n\
Secret values are masked. Exit codes: 0 rendered, 2 error (the app could not be rendered\n\
completely; what could be rendered is still printed).")]
pub struct RenderArgs {
    /// App name (as configured or discovered).
    pub app: String,
    /// Environment name.
    #[arg(long)]
    pub env: String,
    /// Git ref to render instead of the environment's (branch, tag or commit).
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,
    /// Output format: YAML documents (table) or a JSON List.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(global: &GlobalArgs, args: RenderArgs) -> color_eyre::Result<Exit> {
    let loaded = Config::load(global.config.as_deref()).map_err(|e| eyre!("{e}"))?;
    let config = &loaded.config;
    let repos = Repos::open(config);
    let app = desired::find_app(config, &repos, &args.env, &args.app).map_err(|e| eyre!("{e}"))?;
    let limits = ManifestLimits {
        max_file_bytes: config.settings.max_manifest_bytes,
    };
    let mut cache = RenderCache::new(1);
    let rendered = desired::render_app(&app, &repos, args.git_ref.as_deref(), &limits, &mut cache)
        .map_err(|e| eyre!("{}: {e}", app.path))?;

    let mut out = std::io::stdout().lock();
    let mut objects: Vec<serde_json::Value> = rendered
        .rendered
        .objects
        .iter()
        .map(|o| o.object.clone())
        .collect();
    for object in &mut objects {
        mask::mask_secret(object);
    }
    match args.output {
        OutputFormat::Json => {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects});
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            writeln!(
                out,
                "# {} in {} at {} ({} renderer)",
                app.name,
                app.env,
                rendered.revision.label(),
                rendered.rendered.renderer_used
            )?;
            for object in &objects {
                writeln!(out, "---")?;
                write!(out, "{}", diff::display_yaml(object))?;
            }
        }
    }
    let mut err = std::io::stderr().lock();
    for warning in &rendered.rendered.warnings {
        writeln!(err, "warning: {warning}")?;
    }
    let mut exit = Exit::InSync;
    for error in &rendered.rendered.errors {
        writeln!(err, "error: {error}")?;
        exit = Exit::Error;
    }
    for duplicate in &rendered.rendered.duplicates {
        writeln!(err, "error: {duplicate}")?;
        exit = Exit::Error;
    }
    Ok(exit)
}
