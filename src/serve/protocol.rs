//! The diff server's wire format, over a Unix stream socket: the client writes one request
//! (a JSON line), the server writes one reply — a JSON line (the header), then, when it
//! served, exactly `stdout_len` bytes: what the command prints on stdout. Both sides read
//! with a size cap, so a wrong peer cannot make the other allocate without bound.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};

/// Bumped on any incompatible change; a request of another version is declined.
pub const VERSION: u32 = 1;

/// A request line is small (names and flags).
const MAX_REQUEST: u64 = 64 * 1024;
/// A header line is small too; the diff text follows it.
const MAX_HEADER: u64 = 64 * 1024;
/// A diff larger than this is not served (the one-shot read prints it).
pub const MAX_STDOUT: u64 = 256 * 1024 * 1024;

/// What the client asks. Read requests only: nothing a server does for it writes anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub version: u32,
    /// The client's [`super::identity::Identity`], checked against the server's.
    pub identity: String,
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// `kubedrift diff APP [--env ENV]`.
    Diff {
        app: String,
        env: Option<String>,
        /// Whether the client's stdout shows colour.
        color: bool,
    },
}

/// The header of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// Answered: `stdout_len` bytes of stdout follow; the exit code the command returns.
    Served {
        exit: u8,
        stdout_len: u64,
        /// The serving process, and since when it watches (RFC 3339).
        pid: u32,
        since: String,
    },
    /// Not answered (the client reads the clusters itself); why, for one stderr line.
    Declined { pid: u32, reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("malformed message: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("message longer than {0} bytes")]
    TooLong(u64),
    #[error("the connection closed mid-message")]
    Truncated,
}

/// Write `message` as one JSON line.
pub fn write_line<T: Serialize>(out: &mut impl Write, message: &T) -> Result<(), ProtocolError> {
    let mut line = serde_json::to_vec(message)?;
    line.push(b'\n');
    out.write_all(&line)?;
    Ok(())
}

/// Read one JSON line of at most `limit` bytes.
fn read_line<T: for<'de> Deserialize<'de>>(
    input: &mut impl BufRead,
    limit: u64,
) -> Result<T, ProtocolError> {
    let mut line = Vec::new();
    input.take(limit + 1).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(if line.len() as u64 > limit {
            ProtocolError::TooLong(limit)
        } else {
            ProtocolError::Truncated
        });
    }
    Ok(serde_json::from_slice(&line)?)
}

pub fn read_request(input: &mut impl BufRead) -> Result<Request, ProtocolError> {
    read_line(input, MAX_REQUEST)
}

/// A served reply: the header, then the stdout bytes.
pub fn write_served(
    out: &mut impl Write,
    exit: u8,
    pid: u32,
    since: &str,
    stdout: &[u8],
) -> Result<(), ProtocolError> {
    write_line(
        out,
        &Reply::Served {
            exit,
            stdout_len: stdout.len() as u64,
            pid,
            since: since.to_string(),
        },
    )?;
    out.write_all(stdout)?;
    out.flush()?;
    Ok(())
}

/// The reply header and, when served, the stdout bytes (all of them, or an error).
pub fn read_reply(input: &mut impl BufRead) -> Result<(Reply, Vec<u8>), ProtocolError> {
    let reply: Reply = read_line(input, MAX_HEADER)?;
    let Reply::Served { stdout_len, .. } = &reply else {
        return Ok((reply, Vec::new()));
    };
    if *stdout_len > MAX_STDOUT {
        return Err(ProtocolError::TooLong(MAX_STDOUT));
    }
    let mut stdout = Vec::new();
    input.take(*stdout_len).read_to_end(&mut stdout)?;
    if stdout.len() as u64 != *stdout_len {
        return Err(ProtocolError::Truncated);
    }
    Ok((reply, stdout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn request() -> Request {
        Request {
            version: VERSION,
            identity: "ab".repeat(32),
            command: Command::Diff {
                app: "web".to_string(),
                env: Some("prod".to_string()),
                color: false,
            },
        }
    }

    #[test]
    fn a_request_reads_back_as_written() {
        let mut bytes = Vec::new();
        write_line(&mut bytes, &request()).unwrap();
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 1);
        let read = read_request(&mut Cursor::new(bytes)).unwrap();
        assert_eq!(read, request());
    }

    #[test]
    fn a_served_reply_carries_stdout_byte_for_byte() {
        // Diff text has newlines, colour escapes and any UTF-8.
        let stdout = "# web@prod apps/Deployment shop/web (OutOfSync)\n-  replicas: 2\n+  replicas: 5\n\x1b[31mé\x1b[0m\n";
        let mut bytes = Vec::new();
        write_served(&mut bytes, 1, 42, "2026-12-06T11:00:00Z", stdout.as_bytes()).unwrap();
        let (reply, body) = read_reply(&mut Cursor::new(bytes)).unwrap();
        assert_eq!(
            reply,
            Reply::Served {
                exit: 1,
                stdout_len: stdout.len() as u64,
                pid: 42,
                since: "2026-12-06T11:00:00Z".to_string()
            }
        );
        assert_eq!(body, stdout.as_bytes());
    }

    #[test]
    fn a_declined_reply_has_no_body() {
        let mut bytes = Vec::new();
        let declined = Reply::Declined {
            pid: 7,
            reason: "cluster prod is not watched yet".to_string(),
        };
        write_line(&mut bytes, &declined).unwrap();
        let (reply, body) = read_reply(&mut Cursor::new(bytes)).unwrap();
        assert_eq!(reply, declined);
        assert!(body.is_empty());
    }

    #[test]
    fn a_cut_reply_is_an_error_not_a_short_diff() {
        let mut bytes = Vec::new();
        write_served(&mut bytes, 1, 42, "t", b"0123456789").unwrap();
        bytes.truncate(bytes.len() - 3);
        assert!(matches!(
            read_reply(&mut Cursor::new(bytes)),
            Err(ProtocolError::Truncated)
        ));
        // A header cut before its newline.
        assert!(matches!(
            read_reply(&mut Cursor::new(b"{\"reply\":\"served\"".to_vec())),
            Err(ProtocolError::Truncated)
        ));
    }

    #[test]
    fn oversized_or_malformed_messages_are_refused() {
        let long = vec![b'x'; (MAX_REQUEST + 10) as usize];
        assert!(matches!(
            read_request(&mut Cursor::new(long)),
            Err(ProtocolError::TooLong(_))
        ));
        assert!(matches!(
            read_request(&mut Cursor::new(b"{\"version\":1}\n".to_vec())),
            Err(ProtocolError::Malformed(_))
        ));
        let huge = format!(
            "{{\"reply\":\"served\",\"exit\":0,\"stdout_len\":{},\"pid\":1,\"since\":\"t\"}}\n",
            MAX_STDOUT + 1
        );
        assert!(matches!(
            read_reply(&mut Cursor::new(huge.into_bytes())),
            Err(ProtocolError::TooLong(_))
        ));
    }

    #[test]
    fn an_unknown_command_is_malformed() {
        let line = b"{\"version\":1,\"identity\":\"x\",\"command\":{\"command\":\"sync\",\"app\":\"web\"}}\n";
        assert!(matches!(
            read_request(&mut Cursor::new(line.to_vec())),
            Err(ProtocolError::Malformed(_))
        ));
    }
}
