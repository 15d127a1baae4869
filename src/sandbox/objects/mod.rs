//! Pure object logic of the sandbox API server: what a real API server does to an object on
//! every write, without any I/O. The HTTP layer calls these; tests call them directly.

pub mod apply;
pub mod controller;
pub mod defaults;
pub mod managed;
pub mod merge;
