//! `kubedrift sandbox`: run in-process Kubernetes API servers until Ctrl-C.
//!
//! The servers themselves come from [`crate::sandbox::Sandbox`] (their own runtime, stopped on
//! drop). This command checks the cluster names, writes the kubeconfig (owner-only: it holds
//! bearer tokens), tells the user how to point kubectl and kubedrift at the clusters, and waits
//! for Ctrl-C (or SIGTERM) to stop them and exit 0.

use super::{Exit, GlobalArgs};
use crate::sandbox::kubeconfig::{admin_context, viewer_context};
use crate::sandbox::{Sandbox, SandboxError, SandboxOptions};
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Start sandbox clusters (in-process Kubernetes API servers) on 127.0.0.1.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  kubedrift sandbox --clusters dev,stage,prod --kubeconfig /tmp/kd.yaml\n  \
KUBECONFIG=/tmp/kd.yaml kubectl --context dev get deploy -A\n\n\
Servers use HTTPS with a CA generated at start (written into the kubeconfig).\n\n\
Exit codes: 0 stopped (Ctrl-C), 2 error (a server could not start, the kubeconfig could not be \
written)."
)]
pub struct SandboxArgs {
    /// Cluster names, comma separated; one server and one kubeconfig context each.
    #[arg(long, value_delimiter = ',', default_value = "dev,stage,prod")]
    pub clusters: Vec<String>,
    /// Where to write the kubeconfig (default: a file in the system temp dir, removed on exit).
    /// The global `--kubeconfig FILE` names it too.
    #[arg(long = "kubeconfig-out", value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS. kube-rs clients work either way, but kubectl does
    /// not send bearer tokens over plain HTTP, so kubectl then gets 401 Unauthorized.
    #[arg(long)]
    pub no_tls: bool,
    /// Fill the clusters before serving from DIR/<cluster>.jsonl (one JSON line per object:
    /// `{"apply": OBJ, "manager": M}`, `{"create": ...}` or `{"merge": PATCH, "target": ...}`),
    /// without an HTTP request per object. The scale benchmark writes these files.
    #[arg(long, value_name = "DIR")]
    pub preload: Option<PathBuf>,
    /// Do not run the controller loop (no ReplicaSets, Pods or status): for measuring a
    /// client without thousands of simulated rollouts on the same cores.
    #[arg(long)]
    pub no_controller: bool,
    /// Read fault switches and `stats` from stdin, one command a line (`fault CLUSTER down|up|
    /// errors F|throttle S|latency MS|cut-watches MS|gone on|off|silence-watches|clear`,
    /// `clear-all`, `stats`);
    /// each is answered with one line on stdout.
    #[arg(long)]
    pub control_stdin: bool,
}

/// Why the sandbox command cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxCliError {
    #[error("no cluster names given (use --clusters dev,stage,prod)")]
    NoClusters,
    #[error(
        "invalid cluster name {0:?}: use lowercase letters, digits and '-', starting and ending \
         with a letter or digit, at most 63 characters"
    )]
    InvalidName(String),
    #[error("cluster name {0:?} given twice")]
    DuplicateName(String),
    #[error(
        "cluster name {0:?} clashes with the viewer context of cluster {1:?}; pick another name"
    )]
    ContextClash(String, String),
    #[error("could not write the kubeconfig to {path}: {source}")]
    WriteKubeconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not start the sandbox: {0}")]
    Start(#[from] SandboxError),
    #[error("could not preload: {0}")]
    Preload(#[from] super::sandbox_control::PreloadError),
    #[error("could not wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
}

pub fn run(global: &GlobalArgs, args: SandboxArgs) -> color_eyre::Result<Exit> {
    let clusters = validate_cluster_names(&args.clusters)?;
    // For this command the kubeconfig is an output: `--kubeconfig PATH` says where to write it.
    let (path, remove_on_exit) = match args.kubeconfig_out.as_ref().or(global.kubeconfig.as_ref()) {
        Some(path) => (path.clone(), false),
        None => (default_kubeconfig_path(), true),
    };
    let sandbox = Sandbox::start(SandboxOptions {
        clusters,
        tls: !args.no_tls,
        controller: !args.no_controller,
        ..SandboxOptions::default()
    })
    .map_err(SandboxCliError::Start)?;
    if let Some(dir) = &args.preload {
        let started = std::time::Instant::now();
        let lines = super::sandbox_control::preload(&sandbox, dir)?;
        eprintln!(
            "preloaded {lines} objects from {} in {:.1} s",
            dir.display(),
            started.elapsed().as_secs_f64()
        );
    }
    write_kubeconfig(&path, &sandbox.kubeconfig_yaml())?;
    let endpoints: Vec<(String, String)> = sandbox
        .clusters()
        .iter()
        .map(|c| (c.name().to_string(), c.url().to_string()))
        .collect();
    print!("{}", usage_text(&path, &endpoints));
    // Flushing makes the "ready" text visible to scripts reading a pipe before we block.
    std::io::stdout().flush().ok();
    if args.control_stdin {
        super::sandbox_control::spawn_stdin_control(super::sandbox_control::control_targets(
            &sandbox,
        ));
    }

    let waited = wait_for_shutdown_signal();
    drop(sandbox);
    if remove_on_exit {
        // Its tokens die with the servers; do not leave credentials-shaped files in /tmp.
        let _ = std::fs::remove_file(&path);
    }
    waited?;
    eprintln!("sandbox stopped");
    Ok(Exit::InSync)
}

/// Block until Ctrl-C (SIGINT) or, on Unix, SIGTERM.
pub(crate) fn wait_for_shutdown_signal() -> Result<(), SandboxCliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SandboxCliError::Signal)?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut terminate = signal(SignalKind::terminate()).map_err(SandboxCliError::Signal)?;
            tokio::select! {
                result = tokio::signal::ctrl_c() => result.map_err(SandboxCliError::Signal),
                _ = terminate.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c()
                .await
                .map_err(SandboxCliError::Signal)
        }
    })
}

/// Trimmed, validated cluster names: DNS-1123 labels (they become hostnames in URLs and
/// context names), unique, and not colliding with another cluster's `<name>-viewer` context.
pub fn validate_cluster_names(raw: &[String]) -> Result<Vec<String>, SandboxCliError> {
    let names: Vec<String> = raw
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(SandboxCliError::NoClusters);
    }
    let mut seen = HashSet::new();
    for name in &names {
        if !is_dns_label(name) {
            return Err(SandboxCliError::InvalidName(name.clone()));
        }
        if !seen.insert(name.as_str()) {
            return Err(SandboxCliError::DuplicateName(name.clone()));
        }
    }
    for name in &names {
        if let Some(owner) = names.iter().find(|other| viewer_context(other) == *name) {
            return Err(SandboxCliError::ContextClash(name.clone(), owner.clone()));
        }
    }
    Ok(names)
}

fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|&b| edge_ok(b) || b == b'-')
        && bytes.first().is_some_and(|&b| edge_ok(b))
        && bytes.last().is_some_and(|&b| edge_ok(b))
}

/// Where the kubeconfig goes when `--kubeconfig-out` is not given.
pub fn default_kubeconfig_path() -> PathBuf {
    std::env::temp_dir().join(format!("kubedrift-sandbox-{}.yaml", std::process::id()))
}

/// Write the kubeconfig readable by the owner only (it holds bearer tokens), replacing any
/// previous file atomically so a reader never sees half a config.
pub fn write_kubeconfig(path: &Path, yaml: &str) -> Result<(), SandboxCliError> {
    let fail = |source| SandboxCliError::WriteKubeconfig {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // tempfile creates the file with mode 0600 on Unix.
    let mut file = tempfile::NamedTempFile::new_in(&dir).map_err(fail)?;
    file.write_all(yaml.as_bytes()).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// What to tell the user once the servers are up.
pub fn usage_text(kubeconfig: &Path, clusters: &[(String, String)]) -> String {
    let mut out = String::from("Sandbox clusters running:\n");
    for (name, url) in clusters {
        out.push_str(&format!("  {name:<12} {url}\n"));
    }
    let path = kubeconfig.display();
    out.push_str(&format!(
        "\nKubeconfig written to {path}\n\n  export KUBECONFIG={path}\n"
    ));
    if let Some((first, _)) = clusters.first() {
        out.push_str(&format!(
            "  kubectl --context {} get deploy -A\n  kubectl --context {} get pods -A      \
             # read-only user: writes are Forbidden\n  kubedrift status\n",
            admin_context(first),
            viewer_context(first),
        ));
    }
    out.push_str("\nPress Ctrl-C to stop.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn valid_names_are_trimmed_and_kept_in_order() {
        assert_eq!(
            validate_cluster_names(&names(&["dev", " stage ", "prod-eu-1"])).expect("valid"),
            ["dev", "stage", "prod-eu-1"]
        );
    }

    #[test]
    fn bad_names_are_rejected_with_the_reason() {
        assert!(matches!(
            validate_cluster_names(&names(&[])),
            Err(SandboxCliError::NoClusters)
        ));
        assert!(matches!(
            validate_cluster_names(&names(&[" ", ""])),
            Err(SandboxCliError::NoClusters)
        ));
        for bad in ["Dev", "-dev", "dev-", "dev.eu", "dev_1", &"a".repeat(64)] {
            assert!(
                matches!(
                    validate_cluster_names(&names(&[bad])),
                    Err(SandboxCliError::InvalidName(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            validate_cluster_names(&names(&["dev", "dev"])),
            Err(SandboxCliError::DuplicateName(n)) if n == "dev"
        ));
        assert!(matches!(
            validate_cluster_names(&names(&["dev", "dev-viewer"])),
            Err(SandboxCliError::ContextClash(n, owner)) if n == "dev-viewer" && owner == "dev"
        ));
    }

    #[test]
    fn kubeconfig_is_written_owner_only_and_replaced_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kd.yaml");
        write_kubeconfig(&path, "first: 1\n").expect("write");
        write_kubeconfig(&path, "apiVersion: v1\nkind: Config\n").expect("rewrite");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "apiVersion: v1\nkind: Config\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let missing_dir = dir.path().join("nope").join("kd.yaml");
        assert!(matches!(
            write_kubeconfig(&missing_dir, "x"),
            Err(SandboxCliError::WriteKubeconfig { .. })
        ));
    }

    #[test]
    fn usage_text_names_the_contexts_and_export() {
        let text = usage_text(
            Path::new("/tmp/kd.yaml"),
            &[
                ("dev".into(), "https://127.0.0.1:40001".into()),
                ("prod".into(), "https://127.0.0.1:40002".into()),
            ],
        );
        assert!(text.contains("export KUBECONFIG=/tmp/kd.yaml"));
        assert!(text.contains("kubectl --context dev get deploy -A"));
        assert!(text.contains("kubectl --context dev-viewer get pods -A"));
        assert!(text.contains("https://127.0.0.1:40002"));
    }
}
