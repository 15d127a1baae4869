//! The command line: clap definitions and one handler module per subcommand.
//!
//! This is the binary's edge: handlers use `color_eyre` and map outcomes to exit codes
//! (0 in sync, 1 drift, 2 error) that scripts and CI can rely on.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[cfg(all(feature = "sandbox", unix))]
pub mod bench;
pub mod compare;
pub mod completions;
mod confirm;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod diff;
mod hints;
pub mod history;
pub mod init;
pub mod man;
pub mod promote;
pub mod render;
#[cfg(feature = "sandbox")]
pub mod sandbox;
#[cfg(feature = "sandbox")]
pub mod sandbox_control;
pub mod status;
pub mod sync;
mod table;
pub mod tui;
pub mod wait;

/// How a headless command ended, as scripts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything matches (exit 0).
    InSync,
    /// Something drifted (exit 1).
    Drift,
    /// Something could not be decided (exit 2).
    Error,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::InSync => 0,
            Exit::Drift => 1,
            Exit::Error => 2,
        }
    }

    /// The worse of two outcomes (Error > Drift > InSync).
    pub fn worst(self, other: Exit) -> Exit {
        if self.code() >= other.code() {
            self
        } else {
            other
        }
    }
}

/// One resource as the headless commands print it in JSON (`compare`, `status`): identity,
/// sync verdict with its paths or reason, health. Callers add what only they know.
pub(crate) fn resource_json(
    key: &crate::model::ResourceKey,
    verdict: &crate::engine::compare::Verdict,
    health: Option<&crate::engine::health::Health>,
) -> serde_json::Value {
    use crate::engine::compare::Verdict;
    use serde_json::json;
    let mut entry = json!({
        "group": key.group,
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
        "sync": verdict.label(),
        "health": health.map(|h| json!({"status": h.status.label(), "message": h.message})),
    });
    match verdict {
        Verdict::OutOfSync { paths } => {
            entry["paths"] = json!(paths.iter().map(ToString::to_string).collect::<Vec<_>>());
        }
        Verdict::Unknown { reason } => entry["reason"] = json!(reason),
        _ => {}
    }
    entry
}

/// Whether to colour terminal output: stdout is a terminal and `NO_COLOR` is not set.
pub fn color_enabled() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Whether to colour what goes to stderr (logs, error reports): stderr is a terminal and
/// `NO_COLOR` is not set.
pub fn stderr_color_enabled() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// The log filter: `KUBEDRIFT_LOG` when set (any `tracing` filter, library targets included),
/// else kubedrift's own warnings only — libraries (kube-rs, hyper, ...) stay quiet, since
/// what they would say (a cluster unreachable, ...) is already in kubedrift's output.
pub fn log_filter(kubedrift_log: Option<&str>) -> String {
    match kubedrift_log.map(str::trim).filter(|f| !f.is_empty()) {
        Some(filter) => filter.to_string(),
        None => "kubedrift=warn".to_string(),
    }
}

/// Output format of headless commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
}

/// Options shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Config file (default: $KUBEDRIFT_CONFIG, then the XDG config dir's kubedrift/config.toml).
    #[arg(long, global = true, env = "KUBEDRIFT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Only these kubeconfig contexts (repeatable).
    #[arg(long = "context", global = true, value_name = "NAME")]
    pub contexts: Vec<String>,
    /// Never write: no sync, prune, reconcile request, promotion commit or push (the TUI shows
    /// a READ-ONLY badge).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Set from the `--from` of the commands that take it ([`FromArg`]): not a global flag,
    /// because `promote --from ENV` means something else.
    #[arg(skip)]
    pub from: Option<crate::controllers::ControllerTool>,
    /// TUI colour theme: dark, light, high-contrast, colorblind, a name from
    /// ~/.config/kubedrift/themes/ or a theme file (default: the config's `theme`).
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub theme: Option<String>,
}

/// `--from argocd|flux`, on the commands that read apps (the TUI, status, diff, sync).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FromArg {
    /// Read the apps from Argo CD Applications (`argocd`) or Flux Kustomizations and
    /// HelmReleases (`flux`) on the selected contexts; no config file is needed.
    #[arg(long = "from", value_name = "argocd|flux", value_parser = crate::controllers::parse_tool)]
    pub tool: Option<crate::controllers::ControllerTool>,
}

impl GlobalArgs {
    /// These options with a command's `--from`.
    pub fn with_from(&self, from: &FromArg) -> GlobalArgs {
        GlobalArgs {
            from: from.tool,
            ..self.clone()
        }
    }
}

/// The configuration a command runs on. With `--from argocd|flux` the source is added to the
/// config file when one is named (`--config`, `$KUBEDRIFT_CONFIG`) and used alone otherwise.
pub fn load_config(
    global: &GlobalArgs,
) -> Result<crate::config::Config, crate::config::ConfigError> {
    let Some(tool) = global.from else {
        return Ok(crate::config::Config::load(global.config.as_deref())?.config);
    };
    let mut config = match &global.config {
        Some(path) => crate::config::Config::load_file(path)?.config,
        None => crate::config::Config::from_source(crate::controllers::SourceConfig::new(tool)),
    };
    if !config.sources.iter().any(|s| s.kind == tool) {
        config
            .sources
            .push(crate::controllers::SourceConfig::new(tool));
    }
    Ok(config)
}

#[derive(Debug, Parser)]
#[command(
    name = "kubedrift",
    version,
    about = "Live, multi-cluster GitOps sync inspection",
    long_about = "kubedrift compares what Git says every cluster should run with what actually runs, \
                  per app and environment, and tells who changed what and when.",
    after_help = "Without a command, kubedrift opens the terminal UI on your config and kubeconfig.\n\n\
Exit codes of the headless commands: 0 in sync (or done), 1 drift, 2 error; \
each command's --help says what they mean for it.\n\n\
Logging: kubedrift's own warnings go to stderr; set KUBEDRIFT_LOG (e.g. `info`, \
`kube=debug`) for library logs too. No colour when the output is not a terminal or NO_COLOR is \
set."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// For the terminal UI (no command).
    #[command(flatten)]
    pub from: FromArg,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[cfg(all(feature = "sandbox", unix))]
    Bench(bench::BenchArgs),
    Compare(compare::CompareArgs),
    #[cfg(feature = "sandbox")]
    Demo(demo::DemoArgs),
    Render(render::RenderArgs),
    #[cfg(feature = "sandbox")]
    Sandbox(sandbox::SandboxArgs),
    Status(status::StatusArgs),
    Diff(diff::DiffArgs),
    Completions(completions::CompletionsArgs),
    Man(man::ManArgs),
    Sync(sync::SyncArgs),
    History(history::HistoryArgs),
    Promote(promote::PromoteArgs),
    Wait(wait::WaitArgs),
    Init(init::InitArgs),
}

impl Cli {
    /// Whether this command ends on Ctrl-C/SIGTERM/SIGHUP through
    /// [`crate::render::leftovers::end_on_signals`] (one-shot commands), rather than handling
    /// signals itself (the TUI, `status --watch`, the long-running sandbox, demo and bench).
    pub fn ends_on_signals(&self) -> bool {
        match &self.command {
            None => false,
            Some(Command::Status(args)) => !args.watch,
            #[cfg(all(feature = "sandbox", unix))]
            Some(Command::Bench(_)) => false,
            #[cfg(feature = "sandbox")]
            Some(Command::Demo(_) | Command::Sandbox(_)) => false,
            Some(_) => true,
        }
    }
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> color_eyre::Result<Exit> {
    let Some(command) = cli.command else {
        return tui::run(&cli.global.with_from(&cli.from));
    };
    match command {
        #[cfg(all(feature = "sandbox", unix))]
        Command::Bench(args) => bench::run(&cli.global, args),
        Command::Compare(args) => compare::run(&cli.global, args),
        #[cfg(feature = "sandbox")]
        Command::Demo(args) => demo::run(&cli.global, args),
        Command::Render(args) => render::run(&cli.global, args),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::run(&cli.global, args),
        Command::Status(args) => status::run(&cli.global.with_from(&args.from), args),
        Command::Diff(args) => diff::run(&cli.global.with_from(&args.from), args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Sync(args) => sync::run(&cli.global.with_from(&args.from), args),
        Command::History(args) => history::run(&cli.global, args),
        Command::Promote(args) => promote::run(&cli.global, args),
        Command::Wait(args) => wait::run(&cli.global.with_from(&args.from), args),
        Command::Init(args) => init::run(&cli.global, args),
    }
}
