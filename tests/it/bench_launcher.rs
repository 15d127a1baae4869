//! The bench harness's launcher: a child started through it reports its own peak RSS, not
//! the peak of the process that asked for it (Linux carries the spawner's into the child's
//! `wait4` rusage).

use kubedrift::bench::launcher::Launcher;
use kubedrift::bench::process;
use std::process::Command;

#[cfg(target_os = "linux")]
#[test]
fn a_child_started_by_the_launcher_reports_its_own_peak_rss() {
    let kubedrift = std::path::Path::new(env!("CARGO_BIN_EXE_kubedrift"));
    let dir = tempfile::tempdir().expect("temp dir");
    // Started while this process is small; it stays small whatever this process does after.
    let mut launcher = Launcher::start(kubedrift, dir.path()).expect("launcher starts");

    // This process grows to 256 MiB and more (the harness holding a 50k-object setup).
    let mut ballast = vec![0u8; 256 << 20];
    for page in ballast.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(&ballast);

    let mut version = Command::new(kubedrift);
    version
        .arg("--version")
        .env("NO_COLOR", "1")
        .env_remove("KUBEDRIFT_LOG");
    let direct = process::run(&mut version).expect("--version runs");
    let launched = launcher
        .run(&version)
        .expect("--version runs through the launcher");
    std::hint::black_box(&ballast);

    assert_eq!(launched.exit_code, Some(0));
    assert_eq!(launched.stdout, direct.stdout);
    assert!(
        launched.stdout.starts_with("kubedrift "),
        "{}",
        launched.stdout
    );
    assert!(launched.wall_ms > 0.0 && launched.cpu_ms >= 0.0);
    // Spawned from here, the child shows this process's peak; through the launcher, its own.
    assert!(
        direct.max_rss_mib >= 256.0,
        "direct: {} MiB",
        direct.max_rss_mib
    );
    assert!(
        launched.max_rss_mib < 128.0,
        "launched: {} MiB",
        launched.max_rss_mib
    );
    let floor = launcher
        .floor_mib()
        .expect("`true` ran through the launcher");
    assert!(floor < 64.0, "launcher floor {floor} MiB");
    assert!(launched.max_rss_mib >= floor);
}
