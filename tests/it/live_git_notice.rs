//! New commits are noticed without waiting for the Git poll interval (the refs are watched),
//! and a commit that touches nothing an app renders from runs no renderer for it; through
//! `kubedrift status --watch` with a one-hour poll interval.

use crate::live_support::{Fixture, CONFIGMAP, INITIAL_FILES, WAIT};
use std::path::Path;
use std::process::{Command, Stdio};

const KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n";

fn other_config(level: &str) -> String {
    CONFIGMAP
        .replace("web-config", "other-config")
        .replace("kubedrift.io/app: web", "kubedrift.io/app: other")
        .replace("info", level)
}

/// A `kustomize` that counts its runs and renders with the real `kubectl kustomize`.
#[cfg(unix)]
fn counting_kustomize(bin: &Path, count: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let kubectl = kubedrift::render::Tools::default()
        .find("kubectl")
        .expect("kubectl on PATH");
    let script = format!(
        "#!/bin/sh\necho run >> '{}'\n[ \"$1\" = build ] && shift\nexec '{}' kustomize \"$@\"\n",
        count.display(),
        kubectl.display()
    );
    std::fs::write(bin.join("kustomize"), script).expect("fake kustomize");
    std::fs::set_permissions(
        bin.join("kustomize"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
}

/// Kills the child when the test ends, also when an assertion fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn runs(count: &Path) -> usize {
    std::fs::read_to_string(count)
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

#[cfg(unix)]
#[test]
fn commits_are_noticed_without_the_poll_interval_and_unrelated_ones_render_nothing() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[
            (
                "apps/web/dev/kustomization.yaml".to_string(),
                KUSTOMIZATION.to_string(),
            ),
            (
                "apps/other/dev/configmap.yaml".to_string(),
                other_config("info"),
            ),
        ],
        "web: kustomize; other app",
    );
    fx.deploy_files("dev", &INITIAL_FILES, "dev");
    let other = fx.repo_path().join("apps/other/dev/configmap.yaml");
    fx.apply_as_kubedrift("dev", &other);
    // One hour between polls: only watching the refs can make a commit show in time.
    let config = std::fs::read_to_string(fx.config_path())
        .expect("config")
        .replace("git_poll_seconds = 1", "git_poll_seconds = 3600");
    assert!(config.contains("git_poll_seconds = 3600"));
    std::fs::write(
        fx.config_path(),
        format!("{config}\n[[app]]\nname = \"other\"\nrepo = \"gitops\"\npath = \"apps/{{app}}/{{env}}\"\nnamespace = \"shop\"\n"),
    )
    .expect("config");

    let bin = fx.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let count = fx.dir.path().join("kustomize-runs");
    counting_kustomize(&bin, &count);
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_kubedrift"))
            .args(["status", "--watch", "--output", "json", "--kubeconfig"])
            .arg(fx.kubeconfig_path())
            .env("KUBEDRIFT_CONFIG", fx.config_path())
            .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .stdout(Stdio::piped())
            .spawn()
            .expect("kubedrift status --watch starts"),
    );
    let lines = kubedrift_testkit::lines_of(child.0.stdout.take().expect("stdout"));
    let mut initial = String::new();
    for line in lines.iter() {
        initial.push_str(&line);
        initial.push('\n');
        if line == "}" {
            break;
        }
    }
    let doc: serde_json::Value = serde_json::from_str(&initial).expect("initial json");
    let sync_of = |app: &str| {
        doc["apps"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| a["app"] == app))
            .map(|a| a["sync"].clone())
    };
    assert_eq!(sync_of("web"), Some("Synced".into()), "{initial}");
    assert_eq!(sync_of("other"), Some("Synced".into()), "{initial}");
    assert_eq!(runs(&count), 1);

    let row_of = |line: &str| -> serde_json::Value {
        serde_json::from_str(line).expect("one JSON row per line")
    };
    // A commit to the other app only: noticed (its row changes), web is not rendered again.
    fx.commit(
        &[(
            "apps/other/dev/configmap.yaml".to_string(),
            other_config("debug"),
        )],
        "other: debug logging",
    );
    let mut seen = Vec::new();
    let found = kubedrift_testkit::wait_for_line(&lines, WAIT, &mut seen, |line| {
        let row = row_of(line);
        row["app"] == "other" && row["sync"] == "OutOfSync"
    });
    assert!(
        found.is_some(),
        "a commit was not noticed within {WAIT:?} with a one-hour poll interval; saw {seen:?}"
    );
    assert_eq!(runs(&count), 1, "an unrelated commit ran kustomize for web");

    // A commit to web's inputs renders web again.
    fx.commit(
        &[(
            "apps/web/dev/configmap.yaml".to_string(),
            CONFIGMAP.replace("info", "debug"),
        )],
        "web: debug logging",
    );
    let found = kubedrift_testkit::wait_for_line(&lines, WAIT, &mut seen, |line| {
        let row = row_of(line);
        row["app"] == "web" && row["sync"] == "OutOfSync"
    });
    drop(child);
    assert!(
        found.is_some(),
        "web's commit was not noticed; saw {seen:?}"
    );
    assert_eq!(runs(&count), 2);
}
