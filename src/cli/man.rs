//! `kubedrift man [COMMAND]`: the man page (roff), generated from the same clap definitions
//! as the parser and `--help`.

use super::{Cli, Exit};
use clap::CommandFactory;
use color_eyre::eyre::eyre;
use std::io::Write;

/// Print the man page of kubedrift, or of one of its commands.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
kubedrift man | man -l -\n  \
kubedrift man > /usr/local/share/man/man1/kubedrift.1\n  \
kubedrift man status > /usr/local/share/man/man1/kubedrift-status.1\n\n\
Exit codes: 0 printed, 2 error (an unknown command, the output could not be written).")]
pub struct ManArgs {
    /// A command (`status`, `diff`, ...): its own page, `kubedrift-COMMAND(1)`.
    pub command: Option<String>,
}

pub fn run(args: ManArgs) -> color_eyre::Result<Exit> {
    let mut root = Cli::command();
    // Builds the tree, so each command's page lists the global options too.
    root.build();
    let (page, title) = match &args.command {
        None => (root, "kubedrift".to_string()),
        Some(name) => {
            let names: Vec<String> = root
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let sub = root.find_subcommand(name).cloned().ok_or_else(|| {
                eyre!("unknown command {name:?} (commands: {})", names.join(", "))
            })?;
            let title = format!("kubedrift-{}", sub.get_name());
            let usage = format!("kubedrift {}", sub.get_name());
            let page = sub
                .display_name(title.clone())
                .bin_name(usage)
                .version(env!("CARGO_PKG_VERSION"));
            (page, title)
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).title(title).render(&mut roff)?;
    std::io::stdout().lock().write_all(&roff)?;
    Ok(Exit::InSync)
}
