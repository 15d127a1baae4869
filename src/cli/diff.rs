//! `kubedrift diff APP`: masked unified diff of desired vs live, per resource.

use super::{Exit, GlobalArgs};

/// Show what differs between Git and the cluster for one app, Secrets masked.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift diff web --env prod\n  kubedrift diff web --env prod --server-side --exit-code"
)]
pub struct DiffArgs {
    /// App name.
    pub app: String,
    /// Only this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Exit 1 when there is a difference (0 otherwise), like `git diff --exit-code`.
    #[arg(long)]
    pub exit_code: bool,
    /// Diff against a dry-run server-side apply (shows defaulting and webhook effects).
    #[arg(long)]
    pub server_side: bool,
}

pub fn run(_global: &GlobalArgs, _args: DiffArgs) -> color_eyre::Result<Exit> {
    color_eyre::eyre::bail!("diff: not wired yet")
}
