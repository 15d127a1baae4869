//! `kubedrift completions SHELL`: the shell completion script, generated from the same clap
//! definitions as the parser (so it never lists a flag that does not exist).

use super::{Cli, Exit};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
kubedrift completions bash > ~/.local/share/bash-completion/completions/kubedrift\n  \
kubedrift completions zsh > \"${fpath[1]}/_kubedrift\"\n  \
kubedrift completions fish > ~/.config/fish/completions/kubedrift.fish\n\n\
Exit codes: 0 printed, 2 error (the output could not be written).")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> color_eyre::Result<Exit> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kubedrift", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(Exit::InSync)
}
