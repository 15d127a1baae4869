//! `kubedrift demo`: sandbox clusters, a sample GitOps repo and realistic trouble.
//!
//! `--headless` keeps everything up and prints where it is, for `kubectl` and
//! `kubedrift status`, until Ctrl-C (SIGINT) or SIGTERM; stdin is not read, so the demo can
//! run in the background (`kubedrift demo --headless &`). Until the TUI is wired in, the
//! command without `--headless` behaves the same.

use super::{Exit, GlobalArgs};
use crate::demo::{Demo, DemoOptions};
use crate::tui::TuiOptions;
use color_eyre::eyre::WrapErr;
use std::io::Write;
use std::time::Duration;

/// Start three sandbox clusters with a sample GitOps repo, drift and broken rollouts.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift demo\n  kubedrift demo --read-only\n  \
kubedrift demo --headless        # then paste the printed kubectl / kubedrift lines elsewhere\n\n\
Everything lives in one temp dir (repo, kubeconfig, config); stopping the demo (Ctrl-C, SIGTERM) \
stops the clusters and removes it.\n\n\
Exit codes: 0 stopped (quit, Ctrl-C, SIGTERM), 2 error (a cluster could not start, the repo or \
config could not be written)."
)]
pub struct DemoArgs {
    /// No terminal UI: print the kubeconfig and config paths and keep running until Ctrl-C or
    /// SIGTERM.
    #[arg(long)]
    pub headless: bool,
    /// Inspect only: every environment is read-only (no sync or promote).
    #[arg(long)]
    pub read_only: bool,
    /// Seconds between the background changes (a live edit or a Git commit).
    #[arg(long, default_value_t = 20, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub interval: u64,
}

pub fn run(global: &GlobalArgs, args: DemoArgs) -> color_eyre::Result<Exit> {
    let read_only = args.read_only || global.read_only;
    eprintln!("starting the demo: three sandbox clusters and a sample GitOps repo ...");
    let demo = Demo::start(DemoOptions {
        read_only,
        trouble_interval: Duration::from_secs(args.interval),
        ..DemoOptions::default()
    })
    .wrap_err("could not start the demo")?;
    if !args.headless {
        // The terminal UI on the demo's clusters and repo; the demo lives until it returns
        // (quit, error or panic: the TUI restores the terminal first), then stops and cleans up.
        let live = demo
            .live_options()
            .wrap_err("could not read the demo's kubeconfig")?;
        let outcome = crate::tui::run(TuiOptions {
            live,
            read_only,
            theme: global.theme.clone(),
            notice: demo.notice(),
            #[cfg(unix)]
            serve: None,
        });
        drop(demo);
        outcome?;
        return Ok(Exit::InSync);
    }
    print!("{}", usage_text(&demo));
    std::io::stdout().flush().ok();
    let waited = super::sandbox::wait_for_shutdown_signal();
    drop(demo);
    waited?;
    eprintln!("demo stopped; its clusters and temp dir are gone");
    Ok(Exit::InSync)
}

/// What to tell the user once the demo runs.
pub fn usage_text(demo: &Demo) -> String {
    let kubeconfig = demo.kubeconfig_path().display();
    let config = demo.config_path().display();
    let mut out = String::from("kubedrift demo is running: clusters dev, stage, prod\n\n");
    out.push_str(&format!("Demo directory: {}\n", demo.dir().display()));
    out.push_str(&format!("Kubeconfig:     {kubeconfig}\n"));
    out.push_str(&format!("Config:         {config}\n"));
    out.push_str(&format!("Git repo:       {}\n", demo.repo_path().display()));
    if let Some(notice) = demo.notice() {
        out.push_str(&format!("Note:           {notice}\n"));
    }
    if !demo.has_helm_app() {
        out.push_str("Note:           helm not found: the Helm chart app is left out\n");
    }
    out.push_str(&format!(
        "\nTry:\n  kubectl --kubeconfig {kubeconfig} get pods -A\n  \
         kubedrift status --config {config} --kubeconfig {kubeconfig}\n"
    ));
    out.push_str("\nPress Ctrl-C to stop.\n");
    out
}
