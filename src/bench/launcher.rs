//! A small process that starts measured children for the harness, so their peak RSS is
//! their own.
//!
//! Linux carries the spawning process's high-water RSS into a child: at exec the old memory
//! map's peak goes into the child's `maxrss` (with vfork/posix_spawn the old map *is* the
//! parent's), and `wait4` reports it. Spawned by a harness holding a 50k-object setup, a
//! 13 MB `kubedrift diff` showed 181 MiB. The launcher is this binary started with
//! [`ARG`] (dispatched at the top of `main`, before anything else allocates): an exec gives
//! it a fresh memory map, it never holds a child's output (children write to files), so the
//! peak it passes on stays that of a process that just started (it forks, so only the pages
//! it wrote) — measured with `true` and reported beside every number as the floor
//! ([`Launcher::floor_mib`]): a child's peak RSS below it cannot be seen.

use super::process::{load_average, Finished, ProcessError};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// The first argument that makes `kubedrift` a launcher.
pub const ARG: &str = "__bench-launcher";

/// What to start: a [`Command`]'s program, arguments and environment changes.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    program: String,
    args: Vec<String>,
    /// Variables set (Some) or removed (None).
    env: Vec<(String, Option<String>)>,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// How it ran, measured in the launcher (spawn to reaped, `wait4`'s rusage).
#[derive(Debug, Serialize, Deserialize)]
struct Reply {
    error: Option<String>,
    wall_ms: f64,
    max_rss_kib: f64,
    user_ms: f64,
    sys_ms: f64,
    exit_code: Option<i32>,
    signal: Option<i32>,
}

/// The launcher's loop: one request line in, one reply line out, until stdin closes.
/// Returns the process's exit code.
pub fn serve() -> u8 {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { return 2 };
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(request) => launch(&request),
            Err(err) => failed(format!("malformed request: {err}")),
        };
        let Ok(mut text) = serde_json::to_string(&reply) else {
            return 2;
        };
        text.push('\n');
        if out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return 2;
        }
    }
    0
}

fn failed(error: String) -> Reply {
    Reply {
        error: Some(error),
        wall_ms: 0.0,
        max_rss_kib: 0.0,
        user_ms: 0.0,
        sys_ms: 0.0,
        exit_code: None,
        signal: None,
    }
}

fn launch(request: &Request) -> Reply {
    let (stdout, stderr) = match (
        std::fs::File::create(&request.stdout),
        std::fs::File::create(&request.stderr),
    ) {
        (Ok(stdout), Ok(stderr)) => (stdout, stderr),
        (Err(err), _) | (_, Err(err)) => return failed(format!("output file: {err}")),
    };
    let mut command = Command::new(&request.program);
    command
        .args(&request.args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    for (name, value) in &request.env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    // fork, not vfork (std's posix_spawn): a forked child starts from a copy holding only
    // the launcher's written pages, while vfork hands exec the launcher's whole map, whose
    // peak counts every page of the binary it touched.
    // SAFETY: the closure does nothing (no allocation, no lock) between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || Ok(()));
    }
    let started = Instant::now();
    let child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return failed(format!("could not start {}: {err}", request.program)),
    };
    let reaped = super::process::wait4(child.id(), &request.program);
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    // Reaped by wait4: the Child is only dropped, never waited on again.
    drop(child);
    let (exit_code, signal, usage) = match reaped {
        Ok(reaped) => reaped,
        Err(err) => return failed(err.to_string()),
    };
    Reply {
        error: None,
        wall_ms,
        max_rss_kib: usage.ru_maxrss as f64,
        user_ms: super::process::tv_ms(usage.ru_utime),
        sys_ms: super::process::tv_ms(usage.ru_stime),
        exit_code,
        signal,
    }
}

/// The harness's end of a running launcher.
pub struct Launcher {
    child: Child,
    requests: ChildStdin,
    replies: BufReader<ChildStdout>,
    /// Where children's stdout and stderr go, read back after each run.
    dir: PathBuf,
    /// The peak RSS `true` reports through it, MiB (see [`Launcher::floor_mib`]).
    floor_mib: Option<f64>,
}

impl Launcher {
    /// Start `kubedrift` (the binary measured) as a launcher; outputs go to files in `dir`.
    pub fn start(kubedrift: &Path, dir: &Path) -> Result<Launcher, ProcessError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| ProcessError::Other(format!("{}: {e}", dir.display())))?;
        let mut child = Command::new(kubedrift)
            .arg(ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| ProcessError::Spawn {
                program: format!("{} {ARG}", kubedrift.display()),
                source,
            })?;
        let (Some(requests), Some(replies)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(ProcessError::Other("launcher without pipes".to_string()));
        };
        let mut launcher = Launcher {
            child,
            requests,
            replies: BufReader::new(replies),
            dir: dir.to_path_buf(),
            floor_mib: None,
        };
        launcher.floor_mib = launcher
            .run(&Command::new("true"))
            .ok()
            .map(|run| run.max_rss_mib);
        Ok(launcher)
    }

    /// Run `command` to the end through the launcher, stdin closed, output captured.
    /// Only the program, its arguments and environment changes are carried over.
    pub fn run(&mut self, command: &Command) -> Result<Finished, ProcessError> {
        let text = |s: &std::ffi::OsStr| {
            s.to_str()
                .map(str::to_string)
                .ok_or_else(|| ProcessError::Other(format!("not UTF-8: {s:?}")))
        };
        let program = text(command.get_program())?;
        let stdout = self.dir.join("stdout");
        let stderr = self.dir.join("stderr");
        let request = Request {
            program: program.clone(),
            args: command.get_args().map(text).collect::<Result<_, _>>()?,
            env: command
                .get_envs()
                .map(|(name, value)| Ok((text(name)?, value.map(text).transpose()?)))
                .collect::<Result<_, ProcessError>>()?,
            stdout: stdout.clone(),
            stderr: stderr.clone(),
        };
        if command.get_current_dir().is_some() {
            return Err(ProcessError::Other(
                "the launcher runs children in its own directory".to_string(),
            ));
        }
        let broken = |e: String| ProcessError::Other(format!("bench launcher: {e}"));
        let mut line = serde_json::to_string(&request).map_err(|e| broken(e.to_string()))?;
        line.push('\n');
        self.requests
            .write_all(line.as_bytes())
            .and_then(|()| self.requests.flush())
            .map_err(|e| broken(e.to_string()))?;
        let mut answer = String::new();
        self.replies
            .read_line(&mut answer)
            .map_err(|e| broken(e.to_string()))?;
        let reply: Reply = serde_json::from_str(&answer).map_err(|e| broken(e.to_string()))?;
        if let Some(error) = reply.error {
            return Err(broken(error));
        }
        let read = |path: &Path| {
            std::fs::read(path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .map_err(|e| broken(format!("{}: {e}", path.display())))
        };
        Ok(Finished {
            wall_ms: reply.wall_ms,
            // Linux reports ru_maxrss in KiB.
            max_rss_mib: reply.max_rss_kib / 1024.0,
            cpu_ms: reply.user_ms + reply.sys_ms,
            user_ms: reply.user_ms,
            sys_ms: reply.sys_ms,
            exit_code: reply.exit_code,
            signal: reply.signal,
            load: load_average(),
            stdout: read(&stdout)?,
            stderr: read(&stderr)?,
        })
    }

    /// The peak RSS a child that does nothing (`true`) reports through the launcher, MiB:
    /// what the launcher passes on, plus that child's own. A child's peak at or below it is
    /// not seen.
    pub fn floor_mib(&self) -> Option<f64> {
        self.floor_mib
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        // Between requests it has no child running: ending it leaves nothing behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
