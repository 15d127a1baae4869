//! `kubedrift` without a command: the terminal UI on the user's config and kubeconfig (found
//! as `status` finds them).

use super::{Exit, GlobalArgs};
use crate::live::LiveOptions;
use crate::tui::TuiOptions;

pub fn run(global: &GlobalArgs) -> color_eyre::Result<Exit> {
    let config = super::load_config(global)?;
    let kubeconfig = crate::cluster::kubeconfig::load_default(global.kubeconfig.as_deref())?;
    // The TUI follows every environment and app: it answers `kubedrift diff` of its scope.
    #[cfg(unix)]
    let serve = crate::serve::identity::ScopeInputs::read(global)
        .map(|inputs| crate::serve::server::ServeScope::of(inputs.identity(), &config, None, None));
    crate::tui::run(TuiOptions {
        live: LiveOptions {
            config,
            kubeconfig,
            contexts: global.contexts.clone(),
            env: None,
            app: None,
            revision: None,
        },
        read_only: global.read_only,
        theme: global.theme.clone(),
        notice: None,
        #[cfg(unix)]
        serve,
    })
}
