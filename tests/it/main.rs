//! The app crate's integration tests, one binary: config, Git, rendering, the live layer
//! against sandbox clusters over HTTP, and the `kubedrift` binary end to end.

mod actions_confirm;
mod actions_promote;
mod actions_sync;
mod actions_value_promotion;
mod actions_wait;
mod bench_sandbox;
mod bench_scale;
mod chart_repo;
mod cli_compare;
mod cli_conventions;
mod cli_hints;
mod cli_init;
mod cli_render;
mod cli_sandbox;
mod config;
mod controllers;
mod demo;
mod git_listing;
mod git_source;
mod git_transport;
mod live_cli;
mod live_discovery;
mod live_drift;
mod live_faults;
mod live_field_managers;
mod live_rollouts;
mod live_secret_rotation;
mod live_slow;
mod live_support;
mod live_watch_scope;
mod local_source;
mod render;
mod tui_actions;
mod tui_tmux;
mod tui_tmux_actions;
