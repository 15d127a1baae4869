//! `kubedrift init`: a first config from a GitOps repository and the kubeconfig.
//!
//! Split so the guessing is pure and tested on listings: `names` (environment words, context
//! matching), `layout` (file listings → recognised layouts, environments, rules), `write`
//! (guess → commented TOML). `scan` is the edge that reads git and the kubeconfig; the CLI
//! handler (`cli::init`) writes the file and prints the summary.

pub mod layout;
pub mod names;
pub mod scan;
pub mod write;

pub use layout::{guess, BranchTree, EnvGuess, Found, Guess, Layout, RepoListing, Rule};
pub use names::{match_context, ContextMatch, KubeContext};
pub use write::{config_text, Origin};
