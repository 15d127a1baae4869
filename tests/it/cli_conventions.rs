//! What a CLI user expects of kubedrift as of any Kubernetes tool: `diff` exits 1 on a
//! difference without a flag (as `kubectl diff`), every command's `--help` says its exit codes,
//! stderr carries kubedrift's own messages only (library logs with `KUBEDRIFT_LOG`, never
//! colour into a pipe), and completions and a man page come from the same clap definitions.

use crate::live_support::Fixture;
use kubedrift_testkit::Run;
use std::process::Command;

fn kubedrift_bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
    command.env_remove("KUBEDRIFT_LOG").env_remove("NO_COLOR");
    command
}

/// kubedrift with `args` on the fixture's kubeconfig and config, plus environment `vars`.
fn kubedrift(fx: &Fixture, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut command = kubedrift_bin();
    command
        .args(args)
        .arg("--kubeconfig")
        .arg(fx.kubeconfig_path())
        .env("KUBEDRIFT_CONFIG", fx.config_path())
        .env_remove("KUBECONFIG");
    for (key, value) in vars {
        command.env(key, value);
    }
    command.output().expect("kubedrift runs").into()
}

fn run(args: &[&str]) -> Run {
    kubedrift_bin()
        .args(args)
        .output()
        .expect("kubedrift runs")
        .into()
}

#[test]
fn diff_exits_1_on_a_difference_without_a_flag() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let same = kubedrift(&fx, &["diff", "web", "--env", "dev"], &[]);
    assert_eq!(
        (same.code, same.stdout.as_str()),
        (0, ""),
        "{}",
        same.stderr
    );

    fx.scale_web("dev", 3);
    let differs = kubedrift(&fx, &["diff", "web", "--env", "dev"], &[]);
    assert_eq!(differs.code, 1, "{}\n{}", differs.stdout, differs.stderr);
    assert!(differs.stdout.contains("replicas"), "{}", differs.stdout);
    // `--exit-code` is still accepted and changes nothing.
    let flagged = kubedrift(&fx, &["diff", "web", "--env", "dev", "--exit-code"], &[]);
    assert_eq!(flagged.code, 1, "{}", flagged.stderr);
    assert_eq!(flagged.stdout, differs.stdout);

    let unknown = kubedrift(&fx, &["diff", "nope", "--env", "dev"], &[]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(unknown.stderr.contains("\"nope\""), "{}", unknown.stderr);
}

#[test]
fn every_command_help_says_its_exit_codes() {
    let top = run(&["--help"]);
    assert_eq!(top.code, 0);
    let commands: Vec<String> = top
        .stdout
        .split("Commands:")
        .nth(1)
        .unwrap_or("")
        .lines()
        .skip(1)
        .map_while(|l| l.strip_prefix("  "))
        // A command starts its line; deeper-indented lines continue a wrapped description.
        .filter(|l| !l.starts_with(char::is_whitespace))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    for expected in [
        "compare",
        "render",
        "sandbox",
        "status",
        "diff",
        "completions",
        "man",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected} not in {commands:?}"
        );
    }
    for command in &commands {
        let help = run(&[command, "--help"]);
        assert_eq!(help.code, 0, "{command}: {}", help.stderr);
        let codes =
            help.stdout.split("Exit codes:").nth(1).unwrap_or_else(|| {
                panic!("`{command} --help` says no exit codes:\n{}", help.stdout)
            });
        assert!(
            codes.contains("0 ") && codes.contains("2 "),
            "{command}: {codes}"
        );
    }
    let diff = run(&["diff", "--help"]).stdout;
    assert!(diff.contains("1 differences"), "{diff}");
}

#[test]
fn stderr_has_no_library_logs_and_no_colour_unless_asked() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    let dev = fx.sandbox.cluster("dev").expect("dev");
    assert!(dev.faults().set_down_and_wait(true));

    let quiet = kubedrift(&fx, &["status", "--timeout", "20s"], &[]);
    assert_eq!(quiet.code, 2, "{}\n{}", quiet.stdout, quiet.stderr);
    assert!(quiet.stdout.contains("Unreachable"), "{}", quiet.stdout);
    for noise in ["kube_client", "hyper", "ERROR", "WARN", "\u{1b}["] {
        assert!(
            !quiet.stderr.contains(noise),
            "{noise:?} on stderr:\n{}",
            quiet.stderr
        );
    }

    // Asked for: the library's logs come, still without colour into a pipe.
    let verbose = kubedrift(
        &fx,
        &["status", "--timeout", "20s"],
        &[("KUBEDRIFT_LOG", "kube_client=debug,kubedrift=debug")],
    );
    assert_eq!(verbose.code, 2, "{}", verbose.stderr);
    assert!(verbose.stderr.contains("kube_client"), "{}", verbose.stderr);
    assert!(
        !verbose.stderr.contains('\u{1b}'),
        "colour into a pipe:\n{}",
        verbose.stderr
    );

    // An error report (KUBEDRIFT_DEBUG's full form) has no colour either.
    let mut command = kubedrift_bin();
    let report: Run = command
        .args(["status", "--config", "/nonexistent/kubedrift.toml"])
        .env("KUBEDRIFT_DEBUG", "1")
        .output()
        .expect("kubedrift runs")
        .into();
    assert_eq!(report.code, 2, "{}", report.stderr);
    assert!(report.stderr.contains("Error:"), "{}", report.stderr);
    assert!(
        !report.stderr.contains('\u{1b}'),
        "colour into a pipe:\n{}",
        report.stderr
    );
}

#[test]
fn completions_and_man_pages_come_from_the_clap_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let script = run(&["completions", shell]);
        assert_eq!(script.code, 0, "{shell}: {}", script.stderr);
        for word in ["status", "diff", "compare", "kubeconfig", "server-side"] {
            assert!(script.stdout.contains(word), "{shell}: no {word}");
        }
    }
    assert!(run(&["completions", "zsh"])
        .stdout
        .starts_with("#compdef kubedrift"));
    assert!(run(&["completions", "fish"])
        .stdout
        .contains("complete -c kubedrift"));
    // The bash script is valid bash.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubedrift.bash");
    std::fs::write(&path, run(&["completions", "bash"]).stdout).expect("write");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let unknown = run(&["completions", "tcsh"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);

    let page = run(&["man"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert!(page.stdout.contains(".TH kubedrift 1"), "{}", page.stdout);
    for sub in [
        "kubedrift\\-status(1)",
        "kubedrift\\-diff(1)",
        "kubedrift\\-man(1)",
    ] {
        assert!(
            page.stdout.contains(sub),
            "no {sub} in the SUBCOMMANDS section"
        );
    }
    let diff = run(&["man", "diff"]);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(
        diff.stdout.contains(".TH kubedrift-diff 1"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("kubeconfig"),
        "global options are listed"
    );
    assert!(
        diff.stdout.contains("Accepted for compatibility"),
        "{}",
        diff.stdout
    );
    // groff renders it without complaint.
    let rendered = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(diff.stdout.as_bytes())?;
            }
            child.wait_with_output()
        });
    if let Ok(out) = rendered {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let unknown = run(&["man", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown command \"nope\""),
        "{}",
        unknown.stderr
    );
}
