//! `kubedrift render APP --env ENV`: print the rendered desired manifests.

use super::{Exit, GlobalArgs};

/// Print the desired manifests of one app in one environment, as rendered from Git.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift render web --env prod\n  kubedrift render web --env dev --ref feature/x"
)]
pub struct RenderArgs {
    /// App name (as configured or discovered).
    pub app: String,
    /// Environment name.
    #[arg(long)]
    pub env: String,
    /// Git ref to render instead of the environment's (branch, tag or commit).
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,
}

pub fn run(_global: &GlobalArgs, _args: RenderArgs) -> color_eyre::Result<Exit> {
    color_eyre::eyre::bail!("render: not wired yet")
}
