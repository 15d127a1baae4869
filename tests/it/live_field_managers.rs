//! `[settings] field_managers` through the binary against a sandbox cluster: objects a CI job
//! applied server-side as `ci-deploy` are three-way compared against that manager's record
//! when it is configured, so a key it applied and Git has since dropped is drift (`status`
//! exits 1, `diff` shows it); without the setting, the same key is just a live-only field.

use crate::live_support::{Fixture, CONFIGMAP, INITIAL_FILES};
use kubedrift_testkit::Run;
use std::process::Command;

fn kubedrift(fx: &Fixture, args: &[&str]) -> Run {
    Command::new(env!("CARGO_BIN_EXE_kubedrift"))
        .args(args)
        .arg("--kubeconfig")
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", fx.config_path())
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubedrift runs")
        .into()
}

#[test]
fn a_key_the_configured_manager_applied_and_git_dropped_is_drift() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let _ = fx.kubectl(&["--context", "dev", "create", "namespace", "shop"]);
    // What the CI job applied last: Git's manifests, the ConfigMap with a key Git dropped.
    let applied_config_map = format!("{CONFIGMAP}  LEGACY_CHECKOUT: \"on\"\n");
    let applied = fx.file("applied-configmap.yaml", &applied_config_map);
    let mut files = vec![applied];
    for file in INITIAL_FILES.iter().filter(|f| **f != "configmap.yaml") {
        files.push(
            fx.repo_path()
                .join(format!("apps/web/dev/{file}"))
                .display()
                .to_string(),
        );
    }
    for file in &files {
        fx.ok(&[
            "--context",
            "dev",
            "apply",
            "--server-side",
            "--field-manager=ci-deploy",
            "-f",
            file,
        ]);
    }

    // Not configured: ci-deploy is someone else; the extra key is live-only, not drift.
    let run = kubedrift(&fx, &["status", "--timeout", "20s"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );

    // Configured: its apply would remove the key.
    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    let config = config.replacen(
        "[settings]\n",
        "[settings]\nfield_managers = [\"ci-deploy\"]\n",
        1,
    );
    std::fs::write(fx.config_path(), config).expect("config written");
    let run = kubedrift(&fx, &["status", "--timeout", "20s"]);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("OutOfSync"), "{}", run.stdout);
    let run = kubedrift(&fx, &["diff", "web", "--timeout", "20s"]);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("\n-  LEGACY_CHECKOUT: 'on'\n")
            || run.stdout.contains("\n-  LEGACY_CHECKOUT: on\n"),
        "{}",
        run.stdout
    );
}
