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

#[cfg(unix)]
#[test]
fn status_that_times_out_mid_render_leaves_no_tool_running_and_no_temp_dir() {
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
    // The tool and a child of its own (as a shim or a plugin would start), both far slower
    // than the status timeout.
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
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");

    let started = Instant::now();
    let run: kubedrift_testkit::Run = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(["status", "--timeout", "3s", "--kubeconfig"])
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", fx.config_path())
        .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
        .env("TMPDIR", &tmp)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubedrift runs")
        .into();
    assert_eq!(run.code, 2, "timed out: {}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);

    // The tool had started (its temp dir existed) before the exit.
    let started_tools: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert_eq!(
        started_tools.len(),
        2,
        "the slow kustomize ran: {started_tools:?}"
    );
    // Killed processes are gone once reaped by init: allow a moment, far less than their sleep.
    let deadline = Instant::now() + Duration::from_secs(10);
    while started_tools.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<u32> = started_tools
        .into_iter()
        .filter(|pid| alive(*pid))
        .collect();
    for pid in &left {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    assert!(
        left.is_empty(),
        "still running after status exited: {left:?} ({:?} after start)",
        started.elapsed()
    );
    assert_eq!(kustomize_dirs(&tmp), Vec::<String>::new(), "temp dirs left");
}
