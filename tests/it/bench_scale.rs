//! `kubedrift bench` at a tiny size through the binary, so the harness cannot rot: it must
//! produce a complete report whose fields are sane, and kubectl and kubedrift must name the
//! same differing resources. No timing is asserted (numbers belong to the README's table).

#![cfg(unix)]

use serde_json::Value;
use std::process::Command;

fn number(value: &Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} is not a number in the report"))
}

#[test]
fn bench_tiny_reports_every_measure_and_kubectl_agrees_with_kubedrift() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.json");
    let run = Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args([
            "bench",
            "--sizes",
            "tiny",
            // Half the apps through Kustomize, a third of the resources drifted: every
            // comparison below has something to name.
            "--kustomize",
            "0.5",
            "--drift",
            "0.3",
            "--edits",
            "4",
            "--commits",
            "2",
            "--unrelated-commits",
            "1",
            "--git-poll-seconds",
            "1",
            "--per-app",
            "4",
            "--out",
        ])
        .arg(&out)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .env("HOME", dir.path())
        // Exported as the team's by-hand setup asks: the measured runs must not use it.
        .env("KUBEDRIFT_CACHE_DIR", dir.path().join("exported-cache"))
        .output()
        .expect("run kubedrift bench");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "bench failed: {stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("== tiny"), "{stdout}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report")).expect("json");
    assert!(number(&report, "/machine/cpus") >= 1.0);
    let size = &report["sizes"][0];
    assert_eq!(size["label"], "tiny");
    assert_eq!(number(size, "/live_objects"), 32.0);
    let expected = number(size, "/expected_differing");
    assert!(expected > 0.0, "a 30% drift spec drifts something");

    // Cold and warm `status`: complete, the generator's drift exactly, a measured child.
    let status = size["status"].as_array().expect("status runs");
    assert_eq!(status.len(), 2);
    for run in status {
        assert_eq!(run["complete"], true, "{run}");
        assert_eq!(run["matches_generator"], true, "{run}");
        assert_eq!(number(run, "/differing"), expected);
        assert_eq!(number(run, "/resources"), 32.0);
        assert_eq!(number(run, "/run/exit_code"), 1.0, "drift exits 1");
        assert!(number(run, "/run/wall_ms") > 0.0 && number(run, "/run/max_rss_mib") > 1.0);
        let split = number(run, "/run/user_ms") + number(run, "/run/sys_ms");
        assert!((split - number(run, "/run/cpu_ms")).abs() < 1.0, "{run}");
        assert!(number(run, "/beside/sandbox_cpu_ms") >= 0.0, "{run}");
        assert!(number(run, "/beside/others_cpu_ms") >= 0.0, "{run}");
    }
    // The children ran a pinned copy of the binary, with caches of their own.
    assert!(dir.path().join("work/bin/kubedrift").is_file());
    assert!(
        !dir.path().join("exported-cache").exists(),
        "the measured runs used the exported KUBEDRIFT_CACHE_DIR"
    );
    assert!(dir
        .path()
        .join("work/tiny/cache/kubedrift/renders")
        .is_dir());
    assert!(
        number(&status[0], "/tool_runs") >= 1.0,
        "the cold start renders the Kustomize apps"
    );

    // Per app: kubectl diff --server-side and kubedrift diff name the same resources, and
    // between them they name some (the comparison is not vacuous); Kustomize apps included.
    let per_app = size["per_app"].as_array().expect("per app");
    assert_eq!(per_app.len(), 4);
    for compared in per_app {
        assert_eq!(compared["kubectl_error"], Value::Null, "{compared}");
        assert_eq!(compared["kubedrift_error"], Value::Null, "{compared}");
        assert_eq!(compared["same_resources"], true, "{compared}");
        assert_eq!(compared["server_side_same_resources"], true, "{compared}");
        assert_eq!(compared["matches_generator"], true, "{compared}");
        assert!(number(compared, "/ratio") > 0.0);
        // The same diff answered by the running `status --watch`: every run, same bytes.
        let served = &compared["served"];
        assert_eq!(served["answered"], served["runs"], "{compared}");
        assert_eq!(served["same_as_one_shot"], true, "{compared}");
        assert_eq!(served["same_resources"], true, "{compared}");
        // Started through the launcher: the peak RSS is the client's, at least the floor.
        let floor = number(served, "/rss_floor_mib");
        assert!(
            floor > 0.0 && number(served, "/max_rss_mib") >= floor,
            "{compared}"
        );
    }
    assert!(per_app.iter().any(|c| c["kustomize"] == true));
    assert!(per_app
        .iter()
        .any(|c| c["kubectl_named"].as_array().is_some_and(|n| !n.is_empty())));

    // A whole environment: kubectl diff over every app vs kubedrift status --env.
    let env = &size["environment"];
    assert_eq!(env["kubectl_error"], Value::Null, "{env}");
    assert_eq!(env["same_resources"], true, "{env}");
    assert_eq!(env["matches_generator"], true, "{env}");
    assert!(number(env, "/kubectl_named") > 0.0);
    assert!(number(size, "/kubectl_get_items") >= 32.0 - expected);
    assert!(number(size, "/status_table/wall_ms") > 0.0);

    // The live layer through `status --watch`: every edit and commit reached its verdict.
    let live = &size["live"];
    assert!(number(live, "/first_status_ms") > 0.0);
    assert!(number(live, "/watcher/max_rss_mib") > 1.0);
    assert_eq!(number(live, "/edits/count"), 4.0, "{live}");
    assert_eq!(number(live, "/edits/timeouts"), 0.0);
    assert!(number(live, "/edits/p99_ms") >= number(live, "/edits/p50_ms"));
    assert_eq!(number(live, "/commits/count"), 2.0, "{live}");
    assert_eq!(live["unrelated_commits"].as_array().map(Vec::len), Some(1));
    assert_eq!(size["sandbox_alive_at_end"], true);
}
