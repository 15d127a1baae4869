//! `status` without `--watch` exits without tearing its threads down (seconds saved at 50k
//! objects); a render still running at that moment must not outlive it: its tool (and what the
//! tool started) is ended and its temp dir removed. Made deterministic with a `kustomize` on
//! PATH that never finishes in time and a `--timeout` shorter than it.

use crate::live_support::{Fixture, INITIAL_FILES};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n";

/// Alive and not a zombie waiting for its parent.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_string();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

fn kustomize_dirs(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("kubedrift-"))
                .collect()
        })
        .unwrap_or_default()
}

/// A fixture whose one app renders with a `kustomize` that starts a child of its own (as a
/// shim or a plugin would) and outlasts any timeout; both pids go to `pids`.
#[cfg(unix)]
struct SlowRender {
    fx: Fixture,
    pids: std::path::PathBuf,
    tmp: std::path::PathBuf,
    path: std::ffi::OsString,
}

#[cfg(unix)]
impl SlowRender {
    fn new() -> SlowRender {
        use std::os::unix::fs::PermissionsExt;
        let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
        fx.commit(
            &[(
                "apps/web/dev/kustomization.yaml".to_string(),
                KUSTOMIZATION.to_string(),
            )],
            "web: kustomize",
        );
        fx.deploy_files("dev", &INITIAL_FILES, "dev");
        let bin = fx.dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        let pids = fx.dir.path().join("pids");
        let script = format!(
            "#!/bin/sh\necho $$ >> '{pids}'\nsleep 120 &\necho $! >> '{pids}'\nwait\n",
            pids = pids.display()
        );
        std::fs::write(bin.join("kustomize"), script).expect("slow kustomize");
        std::fs::set_permissions(
            bin.join("kustomize"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        let tmp = fx.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("tmp");
        let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .expect("PATH");
        SlowRender {
            fx,
            pids,
            tmp,
            path,
        }
    }

    fn status(&self, timeout: &str) -> Command {
        self.kubedrift(&["status", "--timeout", timeout])
    }

    fn kubedrift(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
        command
            .args(args)
            .arg("--kubeconfig")
            .arg(self.fx.kubeconfig_path())
            .env("KUBEDRIFT_CONFIG", self.fx.config_path())
            .env("KUBEDRIFT_CACHE_DIR", self.fx.dir.path().join("cache"))
            .env("TMPDIR", &self.tmp)
            .env("PATH", &self.path)
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG");
        command
    }

    /// The tool's pid, then its child's.
    fn tool_pids(&self) -> Vec<u32> {
        std::fs::read_to_string(&self.pids)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

/// Wait (far less than the tools' sleep) for `pids` to be gone; the ones still alive, killed.
fn still_alive_after_a_while(pids: &[u32]) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<u32> = pids.iter().copied().filter(|pid| alive(*pid)).collect();
    for pid in &left {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    left
}

#[cfg(unix)]
#[test]
fn status_that_times_out_mid_render_leaves_no_tool_running_and_no_temp_dir() {
    let slow = SlowRender::new();
    let run: kubedrift_testkit::Run = slow.status("3s").output().expect("kubedrift runs").into();
    assert_eq!(run.code, 2, "timed out: {}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    let tools = slow.tool_pids();
    assert_eq!(tools.len(), 2, "the slow kustomize ran: {tools:?}");
    let left = still_alive_after_a_while(&tools);
    assert!(
        left.is_empty(),
        "still running after status exited: {left:?}"
    );
    assert_eq!(
        kustomize_dirs(&slow.tmp),
        Vec::<String>::new(),
        "temp dirs left"
    );
}

/// Ctrl-C reaches only kubedrift (the tool runs in its own process group): the tool and what
/// it started must not outlive it, and its temp dir is removed.
#[cfg(unix)]
#[test]
fn status_interrupted_mid_render_takes_its_tool_with_it() {
    let slow = SlowRender::new();
    interrupted_mid_render_takes_its_tool_with_it(&slow, slow.status("60s"), "-INT");
}

/// Every one-shot command that renders ends its tools when interrupted, not only `status`.
#[cfg(unix)]
#[test]
fn render_and_diff_interrupted_or_terminated_mid_render_take_their_tools_with_them() {
    let slow = SlowRender::new();
    let render = slow.kubedrift(&["render", "web", "--env", "dev"]);
    interrupted_mid_render_takes_its_tool_with_it(&slow, render, "-INT");
    let slow = SlowRender::new();
    let diff = slow.kubedrift(&["diff", "web", "--fresh"]);
    interrupted_mid_render_takes_its_tool_with_it(&slow, diff, "-TERM");
}

#[cfg(unix)]
fn interrupted_mid_render_takes_its_tool_with_it(
    slow: &SlowRender,
    mut command: Command,
    signal: &str,
) {
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("kubedrift starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while slow.tool_pids().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let tools = slow.tool_pids();
    assert_eq!(tools.len(), 2, "the slow kustomize ran: {tools:?}");
    // kubedrift is waiting for the render by now (it catches Ctrl-C from then on).
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .arg(signal)
        .arg(child.id().to_string())
        .status();
    let status = child.wait().expect("kubedrift ends");
    assert_eq!(status.code(), Some(2), "{status:?}");
    let left = still_alive_after_a_while(&tools);
    assert!(left.is_empty(), "the tool outlived kubedrift: {left:?}");
    assert_eq!(
        kustomize_dirs(&slow.tmp),
        Vec::<String>::new(),
        "temp dirs left"
    );
}
