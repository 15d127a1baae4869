//! Git source (git2): resolve refs and read subtrees from git objects, never the work tree.
