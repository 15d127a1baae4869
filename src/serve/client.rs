//! The client side of `kubedrift diff`: ask a watching kubedrift of this scope whose
//! `--env`/`--app` selection covers the request, if one runs. Reads the config and
//! kubeconfig files (for the identity) and talks to at most four sockets: no Git, no kube
//! client, no TLS. Any failure means "not answered": the caller reads the
//! clusters itself, silently (a dead socket, no server) or after one stderr line (a server
//! that declined says why).

use super::identity::{socket_dir, ScopeInputs};
use super::protocol::{self, Command, Reply, Request};
use crate::cli::diff::DiffArgs;
use crate::cli::{Exit, GlobalArgs};
use std::io::{BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// Sending a request: the server reads it at once.
const WRITE_TIMEOUT: Duration = Duration::from_millis(500);
/// The server may wait [`super::server::GIT_WAIT`] for Git, then diffs one app. A server
/// that does not answer by then (stopped with Ctrl-Z, overloaded) is not waited for longer.
/// The search as a whole (every candidate server) starts no request after it.
const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Too little time left to ask one more server.
const MIN_WAIT: Duration = Duration::from_millis(50);

/// `diff` answered by a watching kubedrift: its stdout written, its exit code returned.
/// `Ok(None)`: not answered. `Err` only when writing our own stdout failed.
pub fn diff(global: &GlobalArgs, args: &DiffArgs) -> std::io::Result<Option<Exit>> {
    let Some(inputs) = ScopeInputs::read(global) else {
        return Ok(None);
    };
    // Apps from Argo CD / Flux objects are never served.
    if inputs.from.is_some() {
        return Ok(None);
    }
    let identity = inputs.identity();
    let Some(dir) = socket_dir() else {
        return Ok(None);
    };
    // Only a directory of ours that nobody else can write: a socket there is ours too.
    // `symlink_metadata`: a symlink (which another user could swap) is not trusted.
    let trusted = std::fs::symlink_metadata(&dir).is_ok_and(|meta| {
        meta.is_dir() && meta.uid() == super::server::effective_uid() && meta.mode() & 0o077 == 0
    });
    if !trusted {
        return Ok(None);
    }
    let request = Request {
        version: protocol::VERSION,
        identity: identity.as_str().to_string(),
        command: Command::Diff {
            app: args.app.clone(),
            env: args.env.clone(),
            color: crate::cli::color_enabled(),
        },
    };
    // Every server whose selection covers the request, narrowest first; one that declines
    // may be listing or see trouble another does not. All of them within READ_TIMEOUT.
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut declined = Vec::new();
    for name in identity.covering_sockets(&args.app, args.env.as_deref()) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left < MIN_WAIT {
            break;
        }
        match ask(&dir.join(name), &request, left) {
            Ok((Reply::Declined { pid, reason }, _)) => declined.push((pid, reason)),
            Ok((
                Reply::Served {
                    exit, pid, since, ..
                },
                stdout,
            )) => {
                let exit = match exit {
                    0 => Exit::InSync,
                    1 => Exit::Drift,
                    2 => Exit::Error,
                    _ => continue,
                };
                let mut out = std::io::stdout().lock();
                out.write_all(&stdout)?;
                out.flush()?;
                eprintln!(
                    "kubedrift: answered by the watching kubedrift (pid {pid}, since {since}) \
                     as of its watch streams; --fresh reads the clusters"
                );
                return Ok(Some(exit));
            }
            // No server there (the usual case), a dead one's socket, or one too slow.
            Err(err) => tracing::debug!(%err, "no answer from a watching kubedrift"),
        }
    }
    for (pid, reason) in declined {
        eprintln!(
            "kubedrift: the watching kubedrift (pid {pid}) did not answer ({reason}); \
             reading the clusters"
        );
    }
    Ok(None)
}

/// One request, one reply, each read within `timeout`.
fn ask(
    path: &std::path::Path,
    request: &Request,
    timeout: Duration,
) -> Result<(Reply, Vec<u8>), protocol::ProtocolError> {
    let stream = UnixStream::connect(path)?;
    // Only a server of this user is believed (the directory check alone can race).
    if super::server::peer_uid(&stream) != Some(super::server::effective_uid()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the socket's server is not this user's",
        )
        .into());
    }
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    stream.set_read_timeout(Some(timeout))?;
    protocol::write_line(&mut &stream, request)?;
    protocol::read_reply(&mut BufReader::new(&stream))
}
