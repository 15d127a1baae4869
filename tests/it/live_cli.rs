//! The headless commands against sandbox clusters: `kubedrift status` (table, JSON, exit
//! codes) and `kubedrift diff` (masked, `--exit-code`, `--server-side`).

use crate::live_support::Fixture;
use kubedrift_testkit::Run;
use std::process::Command;

/// The kubedrift binary with `args`, on the fixture's kubeconfig and config only.
pub(crate) fn kubedrift_command(fx: &Fixture, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
    command
        .args(args)
        .arg("--kubeconfig")
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", fx.config_path())
        .env("NO_COLOR", "1")
        // A `status --watch` serves `diff` on a socket there: the test's own directory.
        .env("XDG_RUNTIME_DIR", fx.dir.path().join("run"))
        .env_remove("KUBECONFIG");
    command
}

pub(crate) fn kubedrift(fx: &Fixture, args: &[&str]) -> (i32, String, String) {
    let run: Run = kubedrift_command(fx, args)
        .output()
        .expect("kubedrift runs")
        .into();
    (run.code, run.stdout, run.stderr)
}

/// Neither value [`SECRET`] ever held (base64 or plain text) appears in `texts`.
fn assert_secret_values_not_shown(texts: &[&str]) {
    for text in texts {
        assert!(
            !text.contains("czNjcjN0") && !text.contains("bGVha2Vk"),
            "base64 leaked"
        );
        assert!(
            !text.contains("s3cr3t-hunter2") && !text.contains("leaked-in-chat"),
            "plaintext leaked"
        );
    }
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\n  namespace: shop\n  labels:\n    kubedrift.io/app: web\ntype: Opaque\ndata:\n  password: czNjcjN0LWh1bnRlcjI=\n";

#[test]
fn status_and_diff_exit_codes_tables_json_and_masking() {
    let fx = Fixture::start(&["dev", "prod"], &[("dev", "dev"), ("prod", "prod")]);
    fx.commit(
        &[("apps/web/dev/secret.yaml".to_string(), SECRET.to_string())],
        "web: db secret",
    );
    fx.deploy("dev", "dev");
    fx.deploy("prod", "prod");

    // All synced: exit 0, one row per app and environment.
    let (code, stdout, stderr) = kubedrift(&fx, &["status"]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("APP")
            && lines[0].contains("CLUSTER")
            && lines[0].ends_with("MESSAGE")
    );
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[1].starts_with("web") && lines[1].contains("Synced") && lines[1].contains("main@")
    );

    // Drift in dev (the Secret's value changed live, and replicas): exit 1, JSON names it.
    fx.scale_web("dev", 3);
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "patch",
        "secret",
        "web-db",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"password":"bGVha2VkLWluLWNoYXQ="}}"#,
    ]);
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--env", "dev", "--output", "json"]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(doc["exitCode"], 1);
    assert_eq!(doc["apps"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["apps"][0]["sync"], "OutOfSync");
    let deploy = doc["apps"][0]["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["kind"] == "Deployment"))
        .expect("deployment");
    assert_eq!(deploy["paths"][0], "spec.replicas");
    assert_eq!(deploy["attribution"]["direction"], "LiveDrift");
    assert_secret_values_not_shown(&[&stdout, &stderr]);

    // diff: masked, exit 1 with --exit-code.
    let (code, stdout, stderr) = kubedrift(&fx, &["diff", "web", "--env", "dev", "--exit-code"]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("# web@dev apps/Deployment/shop/web (OutOfSync)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-  replicas: 3") && stdout.contains("+  replicas: 2"),
        "{stdout}"
    );
    assert!(stdout.contains("Secret/shop/web-db"), "{stdout}");
    assert_secret_values_not_shown(&[&stdout, &stderr]);
    // prod has no difference.
    let (code, stdout, _) = kubedrift(&fx, &["diff", "web", "--env", "prod", "--exit-code"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");

    // Server-side dry run: the API server's result of applying Git now differs from live.
    let (code, stdout, stderr) = kubedrift(
        &fx,
        &[
            "diff",
            "web",
            "--env",
            "dev",
            "--server-side",
            "--exit-code",
        ],
    );
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("(server-side dry run)") && stdout.contains("replicas"),
        "{stdout}"
    );
    // Dry run stored nothing.
    let replicas = fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "3");

    // An unreachable cluster: exit 2 with the error, the other cluster still reported.
    fx.sandbox
        .cluster("prod")
        .expect("prod")
        .faults()
        .set_down(true);
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--timeout", "20s"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let prod = stdout
        .lines()
        .find(|l| l.contains("prod"))
        .expect("prod row");
    assert!(
        prod.contains("Unreachable") && prod.contains("never reached"),
        "{prod}"
    );
    let dev = stdout
        .lines()
        .find(|l| l.contains(" dev "))
        .expect("dev row");
    assert!(dev.contains("OutOfSync"), "{dev}");

    // Unknown environment: a clear error, exit 2.
    let (code, _, stderr) = kubedrift(&fx, &["status", "--env", "prdo"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("prdo"), "{stderr}");
}

#[test]
fn status_watch_prints_a_line_when_an_app_changes() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let mut child = kubedrift_command(&fx, &["status", "--watch", "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kubedrift status --watch starts");
    let lines = kubedrift_testkit::lines_of(child.stdout.take().expect("stdout"));
    // The initial report is a pretty-printed document ending with a closing brace line.
    let mut initial = String::new();
    for line in lines.iter() {
        initial.push_str(&line);
        initial.push('\n');
        if line == "}" {
            break;
        }
    }
    let doc: serde_json::Value = serde_json::from_str(&initial).expect("initial json");
    assert_eq!(doc["apps"][0]["sync"], "Synced", "{initial}");

    fx.scale_web("dev", 4);
    let mut seen = Vec::new();
    let found =
        kubedrift_testkit::wait_for_line(&lines, crate::live_support::WAIT, &mut seen, |line| {
            let row: serde_json::Value = serde_json::from_str(line).expect("one JSON row per line");
            row["sync"] == "OutOfSync"
        });
    let _ = child.kill();
    let _ = child.wait();
    let row: serde_json::Value =
        serde_json::from_str(&found.expect("a changed row for web@dev")).expect("JSON row");
    let before: Vec<serde_json::Value> = seen
        .iter()
        .map(|line| serde_json::from_str(line).expect("one JSON row per line"))
        .collect();
    // The rows of the initial report are not printed a second time.
    assert!(
        !before.contains(&doc["apps"][0]),
        "initial row repeated: {before:?}"
    );
    assert_eq!(row["app"], "web");
    assert_eq!(row["env"], "dev");
}

/// A ConfigMap without `metadata.namespace`: the app's namespace (shop) places it.
const FLAGS: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-flags\n  labels:\n    kubedrift.io/app: web\ndata:\n  CHECKOUT: \"on\"\n";

#[test]
fn diff_uses_ignore_rules_and_app_namespace_and_status_reports_broken_files_and_typos() {
    let fx = Fixture::dev_with_undeployed_file("flags.yaml", FLAGS, "web: flags");
    let flags = fx.repo_path().join("apps/web/dev/flags.yaml");
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "apply",
        "--server-side",
        "--field-manager=kubedrift",
        "-f",
        flags.to_str().expect("utf-8 path"),
    ]);
    let mut config = std::fs::read_to_string(fx.config_path()).expect("config");
    config
        .push_str("[[app.ignore]]\nkind = \"Deployment\"\njson_pointers = [\"/spec/replicas\"]\n");
    std::fs::write(fx.config_path(), &config).expect("config written");
    fx.scale_web("dev", 3);

    // Replicas are ignored: in sync, and the server-side dry run (in shop, not the
    // kubeconfig's default namespace) shows nothing either.
    let (code, stdout, stderr) = kubedrift(&fx, &["status"]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let (code, stdout, stderr) = kubedrift(
        &fx,
        &[
            "diff",
            "web",
            "--env",
            "dev",
            "--server-side",
            "--exit-code",
        ],
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");

    // The image changes live: the diff shows the image, never the ignored replicas.
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "set",
        "image",
        "deployment/web",
        "web=registry.example.com/shop/web:1.5.0",
    ]);
    let (code, stdout, stderr) = kubedrift(&fx, &["diff", "web", "--env", "dev", "--exit-code"]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("web:1.5.0"), "{stdout}");
    assert!(!stdout.contains("replicas"), "{stdout}");

    // A typo in the app name: unknown app, with a suggestion.
    let (code, _, stderr) = kubedrift(&fx, &["diff", "wbe", "--env", "dev"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("did you mean \"web\""), "{stderr}");

    // A manifest that does not parse: the app is an error (exit 2), the file is named.
    fx.commit(
        &[(
            "apps/web/dev/broken.yaml".to_string(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-broken\n  labels: [unclosed\n"
                .to_string(),
        )],
        "web: broken manifest",
    );
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--env", "dev"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("web"))
        .expect("web row");
    assert!(
        row.contains("Error") && row.contains("broken.yaml"),
        "{row}"
    );

    // With [[discover]], a typo still exits 2 with a suggestion instead of an empty table.
    let discover = config
        .split("[[app]]")
        .next()
        .expect("config head")
        .to_string()
        + "[[discover]]\nrepo = \"gitops\"\npattern = \"apps/{app}/{env}\"\n";
    std::fs::write(fx.config_path(), discover).expect("config written");
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--app", "wbe"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("did you mean \"web\""), "{stderr}");
    let (_, stdout, stderr) = kubedrift(&fx, &["status", "--app", "web"]);
    assert!(
        stdout.contains("web"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn a_context_missing_from_the_kubeconfig_fails_only_its_environment() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev"), ("stage", "stage")]);
    fx.deploy("dev", "dev");
    let (code, stdout, stderr) = kubedrift(&fx, &["status"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let dev = stdout
        .lines()
        .find(|l| l.contains(" dev "))
        .expect("dev row");
    assert!(dev.contains("Synced"), "{dev}");
    let stage = stdout
        .lines()
        .find(|l| l.contains(" stage "))
        .expect("stage row");
    assert!(
        stage.contains("Unreachable") && stage.contains("no context named \"stage\""),
        "{stage}"
    );
    // Asked for alone, it is still shown (exit 2), not a crash.
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--env", "stage"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("no context named \"stage\""), "{stderr}");

    // An app that exists but not in the selected environment: exit 2, not an empty table.
    let config = std::fs::read_to_string(fx.config_path())
        .expect("config")
        .replace(
            "namespace = \"shop\"\n",
            "namespace = \"shop\"\nenvironments = [\"stage\"]\n",
        );
    std::fs::write(fx.config_path(), config).expect("config written");
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--app", "web", "--env", "dev"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("app \"web\" is in none of the selected environments"),
        "{stderr}"
    );
}

#[test]
fn a_failing_fetch_is_shown_as_a_repo_error() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let repo = git2::Repository::open(fx.repo_path()).expect("repo");
    let gone = fx.dir.path().join("no-such-remote.git");
    repo.remote("origin", &format!("file://{}", gone.display()))
        .expect("remote");
    let config = std::fs::read_to_string(fx.config_path())
        .expect("config")
        .replace("fetch_interval_seconds = 0", "fetch_interval_seconds = 300")
        .replace(
            "name = \"gitops\"\n",
            &format!("name = \"gitops\"\nurl = \"file://{}\"\n", gone.display()),
        );
    std::fs::write(fx.config_path(), config).expect("config written");
    // The fetch runs at start (not after one interval) and its error is a repo error: exit 2,
    // while the app is still compared at the commit the clone has.
    let (code, stdout, stderr) = kubedrift(&fx, &["status"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains("error: repo gitops: fetch origin"),
        "{stderr}"
    );
    assert!(stdout.contains("Synced"), "{stdout}");
}
