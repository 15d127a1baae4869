//! `kubedrift wait`: block until an environment runs a Git revision of an app.
