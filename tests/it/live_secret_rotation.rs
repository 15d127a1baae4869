//! kubedrift on a Secret whose password was rotated live (applied with `stringData`, then
//! `kubectl patch` of `data.password`): OutOfSync, and the diff shows the change masked.

use crate::live_support;
use kubedrift_testkit::Run;
use serde_json::{json, Value};

/// The Secret of app `web` in Git: its password in plain text, as many repos keep it
/// (sealed or templated in real life).
const WEB_SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: web-db
  namespace: shop
  labels:
    kubedrift.io/app: web
type: Opaque
stringData:
  password: first-password-1
";

/// kubedrift with `args`, on the fixture's kubeconfig and config only.
fn kubedrift(fx: &live_support::Fixture, args: &[&str]) -> Run {
    std::process::Command::new(env!("CARGO_BIN_EXE_kubedrift"))
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

/// Neither password (plain or base64) appears in `text`.
fn assert_no_password(text: &str) {
    for value in ["first-password-1", "rotated-live-2"] {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        assert!(
            !text.contains(value) && !text.contains(&encoded),
            "a password leaked:\n{text}"
        );
    }
}

#[test]
fn a_secret_rotated_live_is_out_of_sync_and_its_diff_is_masked() {
    use base64::Engine as _;
    // dev: applied the way kubedrift syncs (server-side apply); prod: `kubectl apply`.
    let fx = live_support::Fixture::start(&["dev", "prod"], &[("dev", "dev"), ("prod", "prod")]);
    for env in ["dev", "prod"] {
        fx.commit(
            &[(
                format!("apps/web/{env}/secret.yaml"),
                WEB_SECRET.to_string(),
            )],
            "web: db password",
        );
    }
    fx.deploy("dev", "dev");
    let prod_dir = fx.repo_path().join("apps/web/prod");
    fx.ok(&["--context", "prod", "create", "namespace", "shop"]);
    fx.ok(&[
        "--context",
        "prod",
        "apply",
        "-f",
        prod_dir.to_str().expect("utf-8 path"),
    ]);

    let run = kubedrift(&fx, &["status"]);
    assert_eq!(
        run.code, 0,
        "in sync after the apply:\n{}\n{}",
        run.stdout, run.stderr
    );

    // Rotate the password live, as someone with kubectl would.
    let rotated = base64::engine::general_purpose::STANDARD.encode("rotated-live-2");
    for context in ["dev", "prod"] {
        fx.ok(&[
            "--context",
            context,
            "-n",
            "shop",
            "patch",
            "secret",
            "web-db",
            "--type=merge",
            "-p",
            &format!(r#"{{"data":{{"password":"{rotated}"}}}}"#),
        ]);
    }

    let run = kubedrift(&fx, &["status", "--output", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    for env in ["dev", "prod"] {
        let app = doc["apps"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["env"] == env)
            .unwrap_or_else(|| panic!("no row for {env}: {doc:#}"));
        assert_eq!(app["sync"], "OutOfSync", "{env}: {app:#}");
        let secret = app["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["kind"] == "Secret")
            .unwrap_or_else(|| panic!("no Secret row in {env}: {app:#}"));
        assert_eq!(secret["sync"], "OutOfSync", "{env}: {secret:#}");
        assert_eq!(
            secret["paths"],
            json!(["data.password"]),
            "{env}: {secret:#}"
        );
    }
    assert_no_password(&run.stdout);
    assert_no_password(&run.stderr);

    for env in ["dev", "prod"] {
        let run = kubedrift(&fx, &["diff", "web", "--env", env, "--exit-code"]);
        assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stdout
                .contains(&format!("# web@{env} Secret/shop/web-db (OutOfSync)")),
            "{env}:\n{}",
            run.stdout
        );
        let changed: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.contains("password:") && (l.starts_with('-') || l.starts_with('+')))
            .collect();
        assert_eq!(
            changed.len(),
            2,
            "{env}: one masked line each side:\n{}",
            run.stdout
        );
        let masks: Vec<&str> = changed
            .iter()
            .map(|line| {
                line.split_once("password:")
                    .map(|(_, v)| v.trim())
                    .unwrap_or("")
            })
            .collect();
        for (line, mask) in changed.iter().zip(&masks) {
            assert!(
                !mask.is_empty() && mask.chars().all(|c| c == '+'),
                "{env}: not masked: {line}"
            );
        }
        assert_ne!(
            masks[0], masks[1],
            "{env}: a changed value gets another mask"
        );
        assert_no_password(&run.stdout);
        assert_no_password(&run.stderr);
    }
}
