//! The engine: pure, synchronous functions from data to data. No I/O, no async, no clocks.
//!
//! Everything that decides "does the cluster match Git" lives here, so it can be tested
//! exhaustively with realistic objects and proptest, and reused unchanged by the CLI, the live
//! layer and the TUI.

pub mod app;
pub mod attribution;
pub mod compare;
pub mod defaults;
pub mod diff;
pub mod fieldpath;
pub mod health;
pub mod ignore;
pub mod managed;
pub mod mask;
pub mod normalize;
pub mod ownership;
pub mod quantity;
pub mod rollout;
pub mod schema;
