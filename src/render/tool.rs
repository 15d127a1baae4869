//! Finding and running external tools (kustomize, kubectl, helm) with a time limit.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Where to look for tools and how long to let them run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    /// Directories to search, in `PATH` syntax. `None` uses the process's `PATH`.
    pub search_path: Option<OsString>,
    /// A tool still running after this long is killed (default 60 s, like Flux).
    pub timeout: Duration,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            search_path: None,
            timeout: Duration::from_secs(60),
        }
    }
}

impl Tools {
    /// The full path of executable `name`, if it is installed.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let path = match &self.search_path {
            Some(path) => path.clone(),
            None => std::env::var_os("PATH")?,
        };
        std::env::split_paths(&path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// What a finished tool produced.
#[derive(Debug)]
pub(crate) struct ToolOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why a tool did not produce output.
#[derive(Debug)]
pub(crate) enum RunError {
    Spawn(std::io::Error),
    TimedOut,
}

/// Run `program args` with no stdin, capturing stdout and stderr; kill it after `timeout`.
pub(crate) fn run(
    program: &Path,
    args: &[OsString],
    timeout: Duration,
) -> Result<ToolOutput, RunError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RunError::Spawn)?;
    // Read both pipes concurrently so a tool filling one of them never blocks.
    let stdout = child.stdout.take().map(read_in_background);
    let stderr = child.stderr.take().map(read_in_background);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::TimedOut);
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Spawn(err));
            }
        }
    };
    let collect = |handle: Option<thread::JoinHandle<Vec<u8>>>| {
        handle
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default()
    };
    Ok(ToolOutput {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

fn read_in_background<R: Read + Send + 'static>(mut pipe: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = pipe.read_to_end(&mut buffer);
        buffer
    })
}

/// Make a tool's stderr readable: temp-dir paths become repo paths, and klog's
/// `E1122 ... run.go:72] "command failed" err="..."` wrapper is reduced to the message.
pub(crate) fn clean_stderr(stderr: &[u8], workdir: &Path) -> String {
    let text = String::from_utf8_lossy(stderr);
    let mut prefix = workdir.as_os_str().to_os_string();
    prefix.push("/");
    let text = text
        .replace(prefix.to_string_lossy().as_ref(), "")
        .replace(OsStr::new(workdir).to_string_lossy().as_ref(), ".");
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.find("err=\"") {
            Some(start) => {
                let inner = &line[start + 5..];
                let inner = inner.strip_suffix('"').unwrap_or(inner);
                inner.replace("\\\"", "\"").replace("\\n", "\n")
            }
            None => line.to_string(),
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn klog_wrapper_and_temp_paths_are_cleaned() {
        let stderr = b"E1122 22:45:56.308215   14209 run.go:72] \"command failed\" err=\"accumulating resources: accumulation err='accumulating resources from '../base': '/tmp/.tmpAbC/apps/base' must resolve to a file'\"\n";
        let cleaned = clean_stderr(stderr, Path::new("/tmp/.tmpAbC"));
        assert_eq!(
            cleaned,
            "accumulating resources: accumulation err='accumulating resources from '../base': 'apps/base' must resolve to a file'"
        );
    }

    #[test]
    fn find_uses_the_given_search_path_only() {
        let tools = Tools {
            search_path: Some(OsString::new()),
            ..Tools::default()
        };
        assert_eq!(tools.find("sh"), None);
        let tools = Tools {
            search_path: Some(OsString::from("/bin:/usr/bin")),
            ..Tools::default()
        };
        assert!(tools.find("sh").is_some());
    }
}
