//! The client side of `kubedrift diff`: ask the watching kubedrift of this scope, if one
//! runs. Reads the config and kubeconfig files (for the identity) and talks to a socket:
//! no Git, no kube client, no TLS. Any failure means "not answered": the caller reads the
//! clusters itself, silently (a dead socket, no server) or after one stderr line (a server
//! that declined says why).

use super::identity::{socket_dir, ScopeInputs};
use super::protocol::{self, Command, Reply, Request};
use crate::cli::diff::DiffArgs;
use crate::cli::{Exit, GlobalArgs};
use std::io::{BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Sending a request: the server reads it at once.
const WRITE_TIMEOUT: Duration = Duration::from_millis(500);
/// The server may wait [`super::server::GIT_WAIT`] for Git, then diffs one app. A server
/// that does not answer by then (stopped with Ctrl-Z, overloaded) is not waited for longer.
const READ_TIMEOUT: Duration = Duration::from_secs(3);

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
    let reply = match ask(&dir.join(identity.socket_name()), &request) {
        Ok(reply) => reply,
        Err(err) => {
            tracing::debug!(%err, "no answer from a watching kubedrift");
            return Ok(None);
        }
    };
    match reply {
        (
            Reply::Served {
                exit, pid, since, ..
            },
            stdout,
        ) => {
            let exit = match exit {
                0 => Exit::InSync,
                1 => Exit::Drift,
                2 => Exit::Error,
                _ => return Ok(None),
            };
            let mut out = std::io::stdout().lock();
            out.write_all(&stdout)?;
            out.flush()?;
            eprintln!(
                "kubedrift: answered by the watching kubedrift (pid {pid}, since {since}) as of \
                 its watch streams; --fresh reads the clusters"
            );
            Ok(Some(exit))
        }
        (Reply::Declined { pid, reason }, _) => {
            eprintln!(
                "kubedrift: the watching kubedrift (pid {pid}) did not answer ({reason}); \
                 reading the clusters"
            );
            Ok(None)
        }
    }
}

/// One request, one reply.
fn ask(
    path: &std::path::Path,
    request: &Request,
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
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    protocol::write_line(&mut &stream, request)?;
    protocol::read_reply(&mut BufReader::new(&stream))
}
