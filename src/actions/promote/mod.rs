//! Promotion between environments on git objects and refs.
