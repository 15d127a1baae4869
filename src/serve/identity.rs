//! Which watching kubedrift can answer a command: a digest of everything that decides what
//! the live layer follows — the config file (canonical path and bytes), the kubeconfig files
//! (paths and bytes, as `load_default` finds them), the `--context` filters and `--from`.
//! The client computes it from files and flags only (no Git, no kube client); the server
//! computes the same at start; the kubedrift binary's size and modification time are part of
//! it too, so an upgraded client never gets the answer of an older server's output code.
//! Each server's socket is named after it and after the server's `--env`/`--app` selection
//! ([`Identity::socket_name`]), so servers of one identity with different selections (a
//! `status --watch --app web` and the TUI) each have their own socket, and a client only ever
//! reaches a server of its own identity. A client tries the few sockets whose selection covers
//! its request ([`Identity::covering_sockets`], narrowest first): a broader server answers
//! what a narrower one does not follow.

use crate::config::{Config, CONFIG_ENV_VAR};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Bumped when a change of kubedrift may change the bytes a server writes for a request.
const SCOPE_FORMAT: &str = concat!("kubedrift-serve-1 ", env!("CARGO_PKG_VERSION"));

/// The scope digest, hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity(String);

/// What the digest is computed from (read by [`ScopeInputs::read`], or given by tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeInputs {
    pub config_path: PathBuf,
    /// None: the file could not be read (the command will say why; nothing is served).
    pub config_bytes: Option<Vec<u8>>,
    /// Each kubeconfig file in merge order, with its bytes (None: missing).
    pub kubeconfigs: Vec<(PathBuf, Option<Vec<u8>>)>,
    pub contexts: Vec<String>,
    /// `--from argocd|flux`.
    pub from: Option<String>,
    /// The running binary ([`binary_stamp`]).
    pub binary: String,
    /// What decides which render tools run and how ([`render_environment`]): a server started
    /// from a shell with another `PATH` may render with another helm or kustomize.
    pub render_env: String,
}

/// `PATH` and every `HELM_*` variable, in a stable order.
pub fn render_environment() -> String {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            (name == "PATH" || name.starts_with("HELM_"))
                .then(|| (name, value.to_string_lossy().into_owned()))
        })
        .collect();
    vars.sort();
    vars.iter()
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect()
}

impl ScopeInputs {
    /// Read the files the flags and environment name, as `load_config` and
    /// `kubeconfig::load_default` would find them. None when there is no config file.
    pub fn read(global: &crate::cli::GlobalArgs) -> Option<ScopeInputs> {
        let path = Config::locate(
            global.config.as_deref(),
            std::env::var_os(CONFIG_ENV_VAR),
            Config::default_path(),
        )
        .ok()?;
        let config_path = canonical(&path);
        let config_bytes = std::fs::read(&config_path).ok();
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        let kubeconfig_env = std::env::var_os("KUBECONFIG");
        let kubeconfigs = crate::cluster::kubeconfig::kubeconfig_paths(
            global.kubeconfig.as_deref(),
            kubeconfig_env.as_deref(),
            home.as_deref(),
        )
        .into_iter()
        .map(|path| {
            let path = canonical(&path);
            let bytes = std::fs::read(&path).ok();
            (path, bytes)
        })
        .collect();
        Some(ScopeInputs {
            config_path,
            config_bytes,
            kubeconfigs,
            contexts: global.contexts.clone(),
            from: global.from.map(|tool| format!("{tool:?}")),
            binary: std::env::current_exe()
                .map(|exe| binary_stamp(&exe))
                .unwrap_or_default(),
            render_env: render_environment(),
        })
    }

    /// The digest of these inputs. Every field is length-prefixed, so no two different
    /// inputs hash the same bytes.
    pub fn identity(&self) -> Identity {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(SCOPE_FORMAT.as_bytes());
        field(self.config_path.as_os_str().as_encoded_bytes());
        field(optional(&self.config_bytes));
        field(&(self.kubeconfigs.len() as u64).to_le_bytes());
        for (path, bytes) in &self.kubeconfigs {
            field(path.as_os_str().as_encoded_bytes());
            field(optional(bytes));
        }
        // `--context a --context b` and `--context b --context a` select the same.
        let mut contexts = self.contexts.clone();
        contexts.sort();
        contexts.dedup();
        field(&(contexts.len() as u64).to_le_bytes());
        for context in &contexts {
            field(context.as_bytes());
        }
        field(self.from.as_deref().unwrap_or("").as_bytes());
        field(self.binary.as_bytes());
        field(self.render_env.as_bytes());
        let digest = hasher.finalize();
        Identity(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// Size and modification time of the binary at `exe` (empty when it cannot be read).
pub fn binary_stamp(exe: &Path) -> String {
    let Ok(meta) = std::fs::metadata(exe) else {
        return String::new();
    };
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}:{modified}", meta.len())
}

/// A missing file hashes differently from an empty one.
fn optional(bytes: &Option<Vec<u8>>) -> &[u8] {
    match bytes {
        Some(bytes) if bytes.is_empty() => b"\0empty",
        Some(bytes) => bytes,
        None => b"\0missing",
    }
}

/// The path with symlinks and `..` resolved, so two spellings of one file agree; as given
/// when it cannot be resolved (a missing file).
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Identity {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The socket's file name of a server of this identity following environment `env` and
    /// app `app` (None: every one): 32 hex digits (128 bits) of their digest, short enough
    /// for the ~100-byte limit of a socket path. The full identity and the selection are
    /// checked on every request too.
    pub fn socket_name(&self, env: Option<&str>, app: Option<&str>) -> String {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(self.0.as_bytes());
        // "no selection" and a selection of the empty name hash differently.
        for selected in [env, app] {
            match selected {
                None => field(b"*"),
                Some(name) => field(format!("={name}").as_bytes()),
            }
        }
        let digest = hasher.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("diff-{hex}.sock")
    }

    /// The sockets of every server selection that covers `diff APP [--env ENV]`, narrowest
    /// first: (env, app), (every env, app), (env, every app), (every env, every app). Without
    /// `--env` the diff shows every environment, which only a server following every
    /// environment covers. At most four: a client never scans the directory.
    pub fn covering_sockets(&self, app: &str, env: Option<&str>) -> Vec<String> {
        let mut selections = Vec::with_capacity(4);
        if env.is_some() {
            selections.push((env, Some(app)));
        }
        selections.push((None, Some(app)));
        if env.is_some() {
            selections.push((env, None));
        }
        selections.push((None, None));
        selections
            .into_iter()
            .map(|(env, app)| self.socket_name(env, app))
            .collect()
    }
}

/// Where sockets live: `$XDG_RUNTIME_DIR/kubedrift` (per user, 0700, emptied at logout),
/// else `run/` in the cache directory.
pub fn socket_dir() -> Option<PathBuf> {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => Some(dir.join("kubedrift")),
        _ => crate::render::cache_root().map(|root| root.join("run")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> ScopeInputs {
        ScopeInputs {
            config_path: PathBuf::from("/home/sre/.config/kubedrift/config.toml"),
            config_bytes: Some(b"[[environment]]\nname = \"prod\"\n".to_vec()),
            kubeconfigs: vec![(
                PathBuf::from("/home/sre/.kube/config"),
                Some(b"apiVersion: v1\n".to_vec()),
            )],
            contexts: vec!["prod".to_string(), "dev".to_string()],
            from: None,
            binary: "41234567:1765000000000000000".to_string(),
            render_env: "PATH=/usr/bin\n".to_string(),
        }
    }

    #[test]
    fn the_same_inputs_give_the_same_identity() {
        assert_eq!(inputs().identity(), inputs().identity());
        let hex = inputs().identity();
        assert_eq!(hex.as_str().len(), 64);
        assert!(hex.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hex.socket_name(None, None).len(), "diff-.sock".len() + 32);
    }

    #[test]
    fn each_selection_of_one_identity_has_its_own_socket() {
        let id = inputs().identity();
        let names = [
            id.socket_name(None, None),
            id.socket_name(Some("prod"), None),
            id.socket_name(None, Some("web")),
            id.socket_name(Some("prod"), Some("web")),
            id.socket_name(Some("dev"), Some("web")),
            id.socket_name(Some("web"), None),
            id.socket_name(Some(""), None),
        ];
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "{name} named twice");
        }
        assert_eq!(id.socket_name(Some("prod"), None), names[1], "stable");
        let mut other = inputs();
        other.contexts.clear();
        assert_ne!(other.identity().socket_name(None, None), names[0]);
    }

    #[test]
    fn a_request_tries_exactly_the_selections_that_cover_it_narrowest_first() {
        let id = inputs().identity();
        let name = |env, app| id.socket_name(env, app);
        assert_eq!(
            id.covering_sockets("web", Some("prod")),
            vec![
                name(Some("prod"), Some("web")),
                name(None, Some("web")),
                name(Some("prod"), None),
                name(None, None),
            ]
        );
        // Every environment: a server of one environment does not cover it.
        assert_eq!(
            id.covering_sockets("web", None),
            vec![name(None, Some("web")), name(None, None)]
        );
        assert!(!id
            .covering_sockets("api", Some("prod"))
            .contains(&name(None, Some("web"))));
    }

    #[test]
    fn context_order_and_repeats_do_not_matter() {
        let mut other = inputs();
        other.contexts = vec!["dev".to_string(), "prod".to_string(), "dev".to_string()];
        assert_eq!(other.identity(), inputs().identity());
    }

    #[test]
    fn every_input_that_changes_the_scope_changes_the_identity() {
        let base = inputs().identity();
        type Change = Box<dyn Fn(&mut ScopeInputs)>;
        let changes: Vec<(&str, Change)> = vec![
            (
                "config path",
                Box::new(|i| i.config_path = PathBuf::from("/etc/kubedrift.toml")),
            ),
            (
                "config bytes",
                Box::new(|i| i.config_bytes = Some(b"[[environment]]\nname = \"dev\"\n".to_vec())),
            ),
            ("config missing", Box::new(|i| i.config_bytes = None)),
            (
                "the render tools' environment",
                Box::new(|i| i.render_env = "PATH=/opt/helm-3.9/bin:/usr/bin\n".to_string()),
            ),
            (
                "config empty",
                Box::new(|i| i.config_bytes = Some(Vec::new())),
            ),
            (
                "kubeconfig bytes",
                Box::new(|i| i.kubeconfigs[0].1 = Some(b"apiVersion: v2\n".to_vec())),
            ),
            (
                "kubeconfig path",
                Box::new(|i| i.kubeconfigs[0].0 = PathBuf::from("/tmp/kubeconfig")),
            ),
            (
                "a second kubeconfig",
                Box::new(|i| i.kubeconfigs.push((PathBuf::from("/tmp/k2"), None))),
            ),
            (
                "contexts",
                Box::new(|i| i.contexts = vec!["prod".to_string()]),
            ),
            ("no context filter", Box::new(|i| i.contexts.clear())),
            ("from", Box::new(|i| i.from = Some("ArgoCd".to_string()))),
            (
                "another kubedrift binary",
                Box::new(|i| i.binary = "41234567:1765000000000000001".to_string()),
            ),
        ];
        let mut seen = vec![base.clone()];
        for (what, change) in changes {
            let mut changed = inputs();
            change(&mut changed);
            let identity = changed.identity();
            assert!(
                !seen.contains(&identity),
                "{what} did not change the identity"
            );
            seen.push(identity);
        }
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        // The same bytes split differently between two fields.
        let mut a = inputs();
        a.contexts = vec!["ab".to_string(), "c".to_string()];
        let mut b = inputs();
        b.contexts = vec!["a".to_string(), "bc".to_string()];
        assert_ne!(a.identity(), b.identity());
    }
}
