//! `kubedrift wait` through the real binary against a sandbox cluster: 1 on timeout naming
//! what is still different, 0 as soon as a sync lands, `--revision` renders that commit,
//! an unknown revision is an error.

use crate::live_support::Fixture;
use kubedrift_testkit::show;
use kubedrift_testkit::Run;
use std::process::{Command, Stdio};

fn kubedrift_command(fx: &Fixture, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
    command
        .args(args)
        .arg("--kubeconfig")
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", fx.config_path())
        .env("KUBEDRIFT_DATA_DIR", fx.dir.path().join("data"))
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null());
    command
}

fn kubedrift(fx: &Fixture, args: &[&str]) -> Run {
    kubedrift_command(fx, args)
        .output()
        .expect("kubedrift runs")
        .into()
}

fn head(fx: &Fixture) -> String {
    git2::Repository::open(fx.repo_path())
        .and_then(|r| r.refname_to_id("refs/heads/main"))
        .expect("main")
        .to_string()
}

#[test]
fn wait_times_out_naming_the_difference_and_returns_0_when_a_sync_lands() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let deployed = head(&fx);

    // What runs is the current revision: done at once, Healthy once the sandbox rolls out.
    let run = kubedrift(
        &fx,
        &[
            "wait",
            "web",
            "--env",
            "dev",
            "--healthy",
            "--timeout",
            "60s",
        ],
    );
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout.contains("web@dev runs main and is Healthy"),
        "{}",
        show(&run)
    );

    // Git moves on: the new image is not running.
    fx.commit(
        &[(
            "apps/web/dev/deployment.yaml".to_string(),
            crate::live_support::deployment("registry.example.com/shop/web:1.5.0", 2),
        )],
        "web: 1.5.0",
    );
    let run = kubedrift(&fx, &["wait", "web", "--env", "dev", "--timeout", "2s"]);
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(run.stdout.contains("timed out after 2s"), "{}", show(&run));
    assert!(
        run.stdout.contains("still different: apps/Deployment/shop/web OutOfSync: spec.template.spec.containers[name=web].image"),
        "{}",
        show(&run)
    );

    // The previous revision is exactly what runs.
    let run = kubedrift(
        &fx,
        &[
            "wait",
            "web",
            "--env",
            "dev",
            "--revision",
            &deployed,
            "--timeout",
            "60s",
        ],
    );
    assert_eq!(run.code, 0, "{}", show(&run));

    // A waiting pipeline returns 0 when the sync lands (synced only once it says it waits).
    let mut waiting = kubedrift_command(&fx, &["wait", "web", "--env", "dev", "--timeout", "120s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wait starts");
    let progress = kubedrift_testkit::lines_of(waiting.stderr.take().expect("stderr"));
    let mut seen = Vec::new();
    kubedrift_testkit::wait_for_line(&progress, crate::live_support::WAIT, &mut seen, |l| {
        l.starts_with("waiting for web@dev: apps/Deployment/shop/web OutOfSync")
    })
    .unwrap_or_else(|| panic!("wait never said what it waits for: {seen:?}"));
    let sync = kubedrift(&fx, &["sync", "web", "--env", "dev", "--yes"]);
    assert_eq!(sync.code, 0, "{}", show(&sync));
    let run: Run = waiting.wait_with_output().expect("wait ends").into();
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(run.stdout.contains("web@dev runs main"), "{}", show(&run));

    let run = kubedrift(
        &fx,
        &[
            "wait",
            "web",
            "--env",
            "dev",
            "--revision",
            "0000000deadbeef",
            "--timeout",
            "5s",
        ],
    );
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(run.stderr.contains("0000000deadbeef"), "{}", show(&run));
}

/// An app with its own ref (`ref = "env/{env}"`): `--revision` is what is rendered, not the
/// app's branch — otherwise a CI wait for a commit that is not deployed says it runs.
#[test]
fn wait_revision_is_honoured_for_an_app_with_its_own_ref() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let repo = git2::Repository::open(fx.repo_path()).expect("open");
    let main = repo
        .find_reference("refs/heads/main")
        .and_then(|r| r.peel_to_commit())
        .expect("main");
    repo.branch("env/dev", &main, false).expect("env/dev");
    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    std::fs::write(
        fx.config_path(),
        config.replacen(
            "namespace = \"shop\"\n",
            "namespace = \"shop\"\nref = \"env/{env}\"\n",
            1,
        ),
    )
    .expect("config");
    fx.deploy("dev", "dev");
    // A new image lands on main only: env/dev (what is deployed) does not have it.
    fx.commit(
        &[(
            "apps/web/dev/deployment.yaml".to_string(),
            crate::live_support::deployment("registry.example.com/shop/web:1.5.0", 2),
        )],
        "web: 1.5.0",
    );
    let undeployed = head(&fx);
    let run = kubedrift(
        &fx,
        &[
            "wait",
            "web",
            "--env",
            "dev",
            "--revision",
            &undeployed,
            "--timeout",
            "3s",
        ],
    );
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(run.stdout.contains("does not run"), "{}", show(&run));
    assert!(
        run.stdout.contains("containers[name=web].image"),
        "{}",
        show(&run)
    );
    // Without --revision the app's own branch is what it waits for: that one runs.
    let run = kubedrift(&fx, &["wait", "web", "--env", "dev", "--timeout", "60s"]);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout.contains("web@dev runs env/dev"),
        "{}",
        show(&run)
    );
}
