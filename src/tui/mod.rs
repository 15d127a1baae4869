//! The terminal UI. Elm-style and one-way: the live layer's snapshot and change stream, input
//! and task replies become [`model::Msg`]s; `Model::update` returns [`model::Effect`]s that
//! the runtime here performs (tasks, clipboard, refresh); `views::draw` draws the model.
//! Nothing awaits, reads Git or touches the network while drawing.
//!
//! The terminal is restored on quit, on error and on panic (a hook installed before the
//! alternate screen is entered), and whatever the clusters do at start.

pub mod diffdoc;
#[doc(hidden)]
pub mod fixture;
pub mod gitfacts;
pub mod keymap;
pub mod model;
mod runtime;
pub mod tasks;
pub mod theme;
pub mod track;
pub mod views;

use crate::live::LiveOptions;

/// What the TUI needs.
pub struct TuiOptions {
    pub live: LiveOptions,
    /// Writes disabled (the badge shows; `s` and `p` say why and never get a capability).
    pub read_only: bool,
    /// Theme name or file (`--theme`, else the config's `theme`).
    pub theme: Option<String>,
    /// A line the footer shows (e.g. "demo: kustomize not found, apps rendered as plain YAML").
    pub notice: Option<String>,
    /// Answer `kubedrift diff` of this scope from the live layer (see `serve`).
    #[cfg(unix)]
    pub serve: Option<crate::serve::server::ServeScope>,
}

/// Run the TUI until the user quits. Exit code: 0 (`InSync`) on a normal quit.
pub fn run(options: TuiOptions) -> color_eyre::Result<crate::cli::Exit> {
    runtime::run(options)
}
