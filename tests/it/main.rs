//! The app crate's integration tests, one binary: config, Git, rendering, the live layer
//! against sandbox clusters over HTTP, and the `kubedrift` binary end to end.

mod actions_confirm;
mod actions_promote;
mod actions_sync;
mod actions_wait;
mod cli_compare;
mod cli_conventions;
mod cli_hints;
mod cli_render;
mod cli_sandbox;
mod config;
mod demo;
mod git_source;
mod live_cli;
mod live_discovery;
mod live_drift;
mod live_faults;
mod live_field_managers;
mod live_git_notice;
mod live_secret_rotation;
mod live_support;
mod local_source;
mod render;
mod render_cache_cli;
mod tui_actions;
mod tui_tmux;
