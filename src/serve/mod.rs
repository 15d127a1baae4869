//! A watching kubedrift (`status --watch`) answers `kubedrift diff` over a Unix socket from
//! its live snapshot, in milliseconds instead of a one-shot read of Git and every cluster.
//! `identity` names the socket after the scope, `protocol` is the wire format, `server`
//! answers (or declines) and `client` asks and falls back.

pub mod client;
pub mod identity;
pub mod protocol;
pub mod server;
