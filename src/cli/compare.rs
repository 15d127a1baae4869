//! `kubedrift compare DESIRED LIVE`: offline compare of two sets of manifests.

use super::{Exit, GlobalArgs, OutputFormat};
use std::path::PathBuf;

/// Compare manifests on disk: a Git folder against a `kubectl get -o yaml` dump.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift compare apps/web/envs/prod live.yaml\n  \
kubectl get deploy,svc -n shop -o yaml > live.yaml && kubedrift compare desired/ live.yaml --diff\n  \
kubedrift compare desired/ live/ --output json"
)]
pub struct CompareArgs {
    /// Desired manifests: a file or a directory (searched recursively).
    pub desired: PathBuf,
    /// Live objects: a file or directory (a List, multi-document YAML or JSON).
    pub live: PathBuf,
    /// Show the masked unified diff of each differing resource.
    #[arg(long)]
    pub diff: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t)]
    pub output: OutputFormat,
}

pub fn run(_global: &GlobalArgs, _args: CompareArgs) -> color_eyre::Result<Exit> {
    color_eyre::eyre::bail!("compare: not wired yet")
}
