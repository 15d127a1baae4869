//! Set-up shared by the tests (of every crate) that drive sandbox clusters from outside: the real kubectl
//! (isolated from the user's kubeconfig, cache and HOME), a sandbox with its kubeconfig in a
//! temp dir, and the lines a child process prints.
//!
//! kubectl only sends bearer tokens over HTTPS, so the sandboxes started here serve TLS. Every
//! kubectl run through [`SandboxEnv`] has `--request-timeout`, so a server bug fails a test
//! instead of hanging it.
// Test support: a failed set-up should fail the test loudly, so `expect` is the point here.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod git_http;

use kubedrift_sandbox::{Sandbox, SandboxOptions};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const KUBECTL: &str = "/usr/bin/kubectl";

/// True (and says so on stderr) when kubectl is not installed: the test is skipped —
/// unless `KUBEDRIFT_REQUIRE_TOOLS` is set (CI), where a skip would be a test that cannot
/// fail: then it panics.
pub fn kubectl_missing() -> bool {
    tool_missing(
        &format!("{KUBECTL} not installed"),
        !Path::new(KUBECTL).exists(),
    )
}

/// `missing` (and says why on stderr); panics instead when `KUBEDRIFT_REQUIRE_TOOLS` is set.
pub fn tool_missing(why: &str, missing: bool) -> bool {
    if missing {
        assert!(
            std::env::var_os("KUBEDRIFT_REQUIRE_TOOLS").is_none(),
            "KUBEDRIFT_REQUIRE_TOOLS is set but {why}"
        );
        eprintln!("skipping: {why}");
    }
    missing
}

/// How a process ended and what it printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A run as a test failure message shows it: exit code, stdout, stderr.
pub fn show(run: &Run) -> String {
    format!(
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    )
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The real kubectl reading only `kubeconfig`: `$KUBECONFIG` removed, its discovery cache and
/// `HOME` inside `scratch` (a temp dir), so nothing of the machine's own setup leaks in.
pub fn kubectl_command(kubeconfig: &Path, scratch: &Path) -> Command {
    let mut command = Command::new(KUBECTL);
    command
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(scratch.join("cache"))
        .env_remove("KUBECONFIG")
        .env("HOME", scratch);
    command
}

/// Sandbox clusters and a temp dir holding their kubeconfig (`<dir>/kubeconfig`, contexts
/// `<cluster>` admin and `<cluster>-viewer`).
pub struct SandboxEnv {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    /// Given to every kubectl run as `--request-timeout`.
    request_timeout: Duration,
}

impl SandboxEnv {
    /// Start the sandbox described by `options` (TLS is forced on: kubectl needs it to send
    /// tokens) and write its kubeconfig.
    pub fn start(options: SandboxOptions, request_timeout: Duration) -> SandboxEnv {
        let sandbox = Sandbox::start(SandboxOptions {
            tls: true,
            ..options
        })
        .expect("sandbox starts");
        let dir = tempfile::tempdir().expect("tempdir");
        sandbox
            .write_kubeconfig(&dir.path().join("kubeconfig"))
            .expect("kubeconfig written");
        SandboxEnv {
            sandbox,
            dir,
            request_timeout,
        }
    }

    /// One cluster, `dev`, ready at once.
    pub fn dev(request_timeout: Duration) -> SandboxEnv {
        SandboxEnv::start(
            SandboxOptions {
                clusters: vec!["dev".into()],
                ready_after: Duration::ZERO,
                ..SandboxOptions::default()
            },
            request_timeout,
        )
    }

    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// kubectl with `args`, not started yet (to add environment or pipes).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = kubectl_command(&self.kubeconfig_path(), self.dir.path());
        command
            .arg(format!(
                "--request-timeout={}s",
                self.request_timeout.as_secs()
            ))
            .args(args);
        command
    }

    /// Run kubectl, whatever its exit code.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("kubectl runs").into()
    }

    /// Run kubectl and require exit 0; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.kubectl(args);
        assert_eq!(
            run.code, 0,
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        );
        run.stdout
    }

    /// `kubectl get <object> -o jsonpath=<template>` (exit 0 required): fields as kubectl
    /// prints them. `object` is what names the object: kind, name, `-n`, flags.
    pub fn jsonpath(&self, object: &[&str], template: &str) -> String {
        let output = format!("jsonpath={template}");
        let mut args = vec!["get"];
        args.extend_from_slice(object);
        args.extend(["-o", output.as_str()]);
        self.ok(&args)
    }

    /// Write `content` to `name` in the temp dir; its path, for `kubectl -f`.
    pub fn file(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write manifest");
        path.display().to_string()
    }
}

/// The lines `stdout` (a child's piped output) prints, as they come, read on a thread that
/// ends with the stream or when the receiver is dropped.
pub fn lines_of(stdout: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line of `seen` that satisfies `wanted`, else read lines into `seen` until one
/// does (returned), the stream ends or `bound` has passed (None). The bound is a hang guard,
/// not a timing assertion.
pub fn wait_for_line(
    lines: &mpsc::Receiver<String>,
    bound: Duration,
    seen: &mut Vec<String>,
    wanted: impl Fn(&str) -> bool,
) -> Option<String> {
    if let Some(line) = seen.iter().find(|line| wanted(line)) {
        return Some(line.clone());
    }
    let deadline = Instant::now() + bound;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let line = match lines.recv_timeout(left) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => return None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
        };
        let found = wanted(&line);
        seen.push(line);
        if found {
            return seen.last().cloned();
        }
    }
}
