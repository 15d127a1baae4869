//! Git follow.
