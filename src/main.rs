use clap::Parser;
use kubedrift::cli::{self, Cli, Exit};
use std::process::ExitCode;

fn main() -> ExitCode {
    if let Err(err) = color_eyre::install() {
        eprintln!("kubedrift: {err}");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUBEDRIFT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        // A closed pipe (`kubedrift status | head`) is the reader's choice, not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // The message chain is what an operator needs; the full report (locations,
            // backtrace) only when asked for.
            if std::env::var_os("KUBEDRIFT_DEBUG").is_some() {
                eprintln!("Error: {err:?}");
            } else {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(Exit::Error.code())
        }
    }
}

fn is_broken_pipe(err: &color_eyre::Report) -> bool {
    err.chain().any(|cause| {
        let io_kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        io_kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
