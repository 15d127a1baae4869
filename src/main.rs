// Never panic on input: no unwrap/expect/panic in the binary (`cargo clippy` enforces it).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use kubedrift::cli::{self, Cli, Exit};
use std::process::ExitCode;

// glibc malloc gives each thread its own arena; at 50k objects the watcher threads' arenas
// held ~180 MB of freed but unreturned memory. See the allocator choice in the note on issue 13.
// The `system-alloc` feature turns it off for heap profilers, which see only malloc.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The bench harness's launcher: before anything else allocates, so the peak RSS it
    // passes on to the children it starts stays that of a process that just started.
    #[cfg(all(feature = "sandbox", unix))]
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(kubedrift::bench::launcher::ARG))
    {
        return ExitCode::from(kubedrift::bench::launcher::serve());
    }
    let color = cli::stderr_color_enabled();
    let mut hooks = color_eyre::config::HookBuilder::default();
    if !color {
        hooks = hooks.theme(color_eyre::config::Theme::new());
    }
    if let Err(err) = hooks.install() {
        eprintln!("kubedrift: {err}");
    }
    let requested = std::env::var("KUBEDRIFT_LOG").ok();
    let filter = tracing_subscriber::EnvFilter::try_new(cli::log_filter(requested.as_deref()))
        .unwrap_or_else(|err| {
            eprintln!("kubedrift: KUBEDRIFT_LOG is not a valid filter ({err}); using the default");
            tracing_subscriber::EnvFilter::new(cli::log_filter(None))
        });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(color)
        .with_writer(std::io::stderr)
        .init();
    #[allow(unused_mut)] // mutated on unix only
    let mut cli = Cli::parse();
    // A `diff` a watching kubedrift answers is done before the signal thread would start.
    #[cfg(unix)]
    let served = cli::diff::ask_server_first(&mut cli);
    #[cfg(not(unix))]
    let served = None;
    let result = match served {
        Some(result) => result,
        None => {
            #[cfg(unix)]
            if cli.ends_on_signals() {
                kubedrift::render::leftovers::end_on_signals();
            }
            cli::run(cli)
        }
    };
    // A command may return with renders still running (`status` skips its teardown): end
    // their tools and remove their temp dirs, so the exit leaves neither behind.
    kubedrift::render::leftovers::end_all();
    match result {
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
