//! `kubedrift bench --soak` through the binary at a small size: the report carries every
//! number issue 13 asks of the soak (crashes, verdicts against a fresh `status` after each
//! recovery, RSS over time, watch reconnects per cluster), and a watcher that dies during the
//! soak is reported as a crash instead of failing the harness. No timing is asserted.

#![cfg(unix)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output};

fn soak(dir: &Path, duration: &str, checkpoint: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args([
            "bench",
            "--soak",
            duration,
            "--soak-checkpoint",
            checkpoint,
            "--clusters",
            "3",
            "--apps",
            "2",
            "--resources",
            "5",
            "--out",
        ])
        .arg(dir.join("report.json"))
        .arg("--work-dir")
        .arg(dir.join("work"))
        .env("HOME", dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run kubedrift bench --soak")
}

fn report(dir: &Path, run: &Output) -> Value {
    assert!(
        run.status.success(),
        "soak failed: {}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report"))
        .expect("report JSON")
}

fn number(value: &Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} is not a number in {value}"))
}

#[test]
fn bench_soak_reports_crashes_verdicts_rss_over_time_and_reconnects_per_cluster() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run = soak(dir.path(), "20s", "10s")
        .wait_with_output()
        .expect("wait for the soak");
    let report = report(dir.path(), &run);

    assert_eq!(report["crashes"], serde_json::json!([]), "{report}");
    assert_eq!(number(&report, "/clusters"), 3.0);
    assert_eq!(number(&report, "/live_objects"), 30.0);
    let faults: f64 = report["faults_injected"]
        .as_object()
        .expect("faults")
        .values()
        .filter_map(Value::as_f64)
        .sum();
    assert!(faults >= 1.0, "no fault was injected: {report}");

    // One checkpoint during the soak and one at the end, each comparing every resource; the
    // fresh `status` agrees with what the harness wrote, and the watcher with it.
    let checkpoints = report["checkpoints"].as_array().expect("checkpoints");
    assert!(checkpoints.len() >= 2, "{report}");
    for check in checkpoints {
        assert_eq!(number(check, "/compared_resources"), 30.0, "{check}");
        assert_eq!(number(check, "/model_mismatches"), 0.0, "{check}");
    }
    assert_eq!(
        number(&report, "/compared_resources"),
        30.0 * checkpoints.len() as f64
    );
    // Correctness, not speed: 30 s after recovery the watcher must agree.
    assert_eq!(number(&report, "/wrong_after_30s"), 0.0, "{report}");

    // RSS over time (with threads and open descriptors), not only start and end.
    let samples = report["rss_samples"].as_array().expect("rss samples");
    assert!(samples.len() >= 2, "{report}");
    let times: Vec<f64> = samples.iter().map(|s| number(s, "/at_seconds")).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    for sample in samples {
        assert!(number(sample, "/rss_mib") > 1.0);
        // RSS split into the heap's anonymous memory and the code pages touched: they add
        // up to it (read a moment apart).
        let (anon, file) = (number(sample, "/anon_mib"), number(sample, "/file_mib"));
        assert!(anon > 1.0 && file > 1.0, "{sample}");
        assert!(
            (anon + file - number(sample, "/rss_mib")).abs() < 8.0,
            "{sample}"
        );
        assert!(number(sample, "/open_fds") > 0.0);
        assert!(number(sample, "/threads") >= 1.0);
    }
    assert!(number(&report, "/watcher_peak_rss_mib") > 1.0);
    assert!(report["watcher_env"].is_object());

    // Watch reconnects and relists per cluster, every cluster named.
    for counter in ["watch_reconnects", "relists"] {
        let per_cluster = report[counter].as_object().expect("per cluster");
        let names: Vec<&str> = per_cluster.keys().map(String::as_str).collect();
        assert_eq!(names, ["c00", "c01", "c02"], "{counter}: {report}");
    }
}

/// The pid of the soak's `status --watch` child (its kubeconfig is under `work`).
fn watcher_pid(work: &Path) -> Option<i32> {
    let marker = format!("{}", work.display());
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.iter().any(|a| a.contains(&marker))
            && args.iter().any(|a| a == "status")
            && args.iter().any(|a| a == "--watch")
        {
            return Some(pid);
        }
    }
    None
}

#[test]
fn bench_soak_reports_a_watcher_that_dies_as_a_crash_with_its_signal() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = soak(dir.path(), "120s", "5m");
    // The harness says `soak: ...` once the watcher printed its first status and the faults
    // begin; then kill the watcher as a crash would end it.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.starts_with("soak: "));
    assert!(started, "the soak never started");
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let pid = watcher_pid(&dir.path().join("work")).expect("the watcher is running");
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let run = child.wait_with_output().expect("wait for the soak");
    let _ = rest.join();
    let report = report(dir.path(), &run);
    let crashes: Vec<&str> = report["crashes"]
        .as_array()
        .expect("crashes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        crashes
            .iter()
            .any(|c| c.contains("status --watch exited") && c.contains("signal 9")),
        "{report}"
    );
    // The soak stopped at the crash instead of running its 120 s, and compared nothing with
    // a dead watcher.
    assert!(number(&report, "/soak_seconds") < 120.0, "{report}");
    assert_eq!(report["checkpoints"], serde_json::json!([]), "{report}");
}
