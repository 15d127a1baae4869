//! `kubedrift status`: sync and health of every app in every environment.

use super::{Exit, GlobalArgs, OutputFormat};

/// Show APP, ENV, CLUSTER, SYNC, HEALTH, REVISION, MESSAGE for every app and environment.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift status\n  kubedrift status --env prod --output json\n  kubedrift status --app web --watch"
)]
pub struct StatusArgs {
    /// Only this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Only this app.
    #[arg(long)]
    pub app: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Keep running and print changes as they happen.
    #[arg(long)]
    pub watch: bool,
}

pub fn run(_global: &GlobalArgs, _args: StatusArgs) -> color_eyre::Result<Exit> {
    color_eyre::eyre::bail!("status: not wired yet")
}
