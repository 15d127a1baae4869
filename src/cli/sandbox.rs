//! `kubedrift sandbox`: run in-process Kubernetes API servers until Ctrl-C.

use super::{Exit, GlobalArgs};
use std::path::PathBuf;

/// Start sandbox clusters (in-process Kubernetes API servers) on 127.0.0.1.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift sandbox --clusters dev,stage,prod --kubeconfig /tmp/kd.yaml\n  \
KUBECONFIG=/tmp/kd.yaml kubectl --context dev get deploy -A"
)]
pub struct SandboxArgs {
    /// Cluster names, comma separated; one server and one kubeconfig context each.
    #[arg(long, value_delimiter = ',', default_value = "dev,stage,prod")]
    pub clusters: Vec<String>,
    /// Where to write the kubeconfig (default: a file in the system temp dir).
    #[arg(long = "kubeconfig-out", value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Serve HTTPS with a generated CA (written into the kubeconfig).
    #[arg(long)]
    pub tls: bool,
}

pub fn run(_global: &GlobalArgs, _args: SandboxArgs) -> color_eyre::Result<Exit> {
    color_eyre::eyre::bail!("sandbox: not wired yet")
}
