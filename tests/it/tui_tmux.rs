//! End-to-end: the real binary's terminal UI in a 160×48 tmux pane, against sandbox clusters
//! (dev, stage, prod) where `kubectl scale` changed web's replicas in prod. Keys go in with
//! `send-keys`, the screen comes back with `capture-pane`.

use crate::live_support::Fixture;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A bound against hangs, not a timing assertion.
const SCREEN_WAIT: Duration = Duration::from_secs(90);

pub(crate) fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux server of our own (its own socket), killed on drop.
pub(crate) struct Tmux {
    socket: String,
}

impl Tmux {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("tmux");
        command.arg("-L").arg(&self.socket).args(args);
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "tui"])
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "tui"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Wait until the screen satisfies `wanted`; panics with the last screen.
    pub(crate) fn wait_for(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SCREEN_WAIT;
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}; last screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Tmux {
    /// A 160×48 session `tui` on a server of our own running `command` (sh -c), with `env` set,
    /// TERM=xterm-256color and no KUBECONFIG; the pane stays after the command ends.
    pub(crate) fn start(name: &str, command: &str, env: &[(&str, &str)]) -> Tmux {
        let tmux = Tmux {
            socket: format!("kubedrift-{name}-{}", std::process::id()),
        };
        let mut args: Vec<String> = [
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "tui",
            "-x",
            "160",
            "-y",
            "48",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        for (key, value) in env
            .iter()
            .copied()
            .chain([("TERM", "xterm-256color"), ("KUBECONFIG", "")])
        {
            args.push("-e".into());
            args.push(format!("{key}={value}"));
        }
        args.extend(["sh".into(), "-c".into(), format!("{command}; sleep 600")]);
        tmux.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        tmux.run(&["set-option", "-t", "tui", "remain-on-exit", "on"]);
        tmux
    }

    /// Wait for the exit code `command` wrote to `exit_file`, then check the terminal left the
    /// alternate screen.
    pub(crate) fn wait_for_exit(&self, exit_file: &Path) -> String {
        let deadline = Instant::now() + SCREEN_WAIT;
        let code = loop {
            if let Ok(text) = std::fs::read_to_string(exit_file) {
                if !text.trim().is_empty() {
                    break text.trim().to_string();
                }
            }
            assert!(
                Instant::now() < deadline,
                "kubedrift did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let alternate = self.run(&["display-message", "-p", "-t", "tui", "#{alternate_on}"]);
        assert_eq!(
            alternate.trim(),
            "0",
            "the terminal is still on the alternate screen"
        );
        code
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]).output();
    }
}

/// CPU time (user + system, in clock ticks) of a process, from /proc/PID/stat.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start at the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A measurement, not an assertion: how much CPU the idle TUI uses over `seconds` (printed;
/// run with `--nocapture`).
fn report_idle_cpu(tmux: &Tmux, seconds: u64) {
    let shell = tmux.run(&["display-message", "-p", "-t", "tui", "#{pane_pid}"]);
    let children = std::fs::read_to_string(format!(
        "/proc/{}/task/{}/children",
        shell.trim(),
        shell.trim()
    ))
    .expect("children of the pane's shell");
    let pid = children
        .split_whitespace()
        .next()
        .expect("kubedrift's pid")
        .to_string();
    let before = cpu_ticks(&pid).expect("stat");
    std::thread::sleep(Duration::from_secs(seconds));
    let after = cpu_ticks(&pid).expect("stat");
    let ms = (after - before) * 10; // USER_HZ is 100 on Linux
    eprintln!(
        "idle CPU of the TUI over {seconds} s: {ms} ms ({:.2}% of one core)",
        ms as f64 / (seconds as f64 * 10.0)
    );
}

/// `KUBEDRIFT_SCREEN_CAPTURE=DIR` keeps the screens the tests see (the README's captures in
/// assets/ come from here).
fn capture(name: &str, screen: &str) {
    if let Some(dir) = std::env::var_os("KUBEDRIFT_SCREEN_CAPTURE") {
        std::fs::write(Path::new(&dir).join(name), screen).expect("capture written");
    }
}

pub(crate) fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn overview_problem_app_diff_help_and_quit_in_tmux() {
    if !tmux_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required in CI for the terminal end-to-end test"
        );
        eprintln!("skipping: tmux is not installed (the terminal end-to-end test needs it)");
        return;
    }
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(
        &["dev", "stage", "prod"],
        &[("dev", "dev"), ("stage", "stage"), ("prod", "prod")],
    );
    for env in ["dev", "stage", "prod"] {
        fx.deploy(env, env);
    }
    fx.scale_web("prod", 5);

    let exit_file: PathBuf = fx.dir.path().join("tui-exit-code");
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let command = format!(
        "{} --kubeconfig {} --config {} --read-only; echo $? > {}",
        // KUBEDRIFT_TUI_BIN: measure another build (e.g. release) in the same setup.
        shell_quote(Path::new(
            &std::env::var("KUBEDRIFT_TUI_BIN")
                .unwrap_or_else(|_| env!("CARGO_BIN_EXE_kubedrift").to_string())
        )),
        shell_quote(&fx.kubeconfig_path()),
        shell_quote(&fx.config_path()),
        shell_quote(&exit_file),
    );
    let tmux = Tmux::start("e2e", &command, &[("HOME", &home.display().to_string())]);

    // The overview with the three environments, settled, web drifting in prod.
    let overview = tmux.wait_for("the overview with dev/stage/prod and the drift", |s| {
        s.contains("DEV")
            && s.contains("STAGE")
            && s.contains("PROD")
            && s.contains("drift")
            && !s.contains("loading")
    });
    assert!(overview.contains("READ-ONLY"), "{overview}");
    capture("screen-overview.txt", &overview);
    // s and p say why they are disabled; nothing is written (counted by the API servers).
    let writes = || -> u64 {
        ["dev", "stage", "prod"]
            .iter()
            .map(|c| fx.sandbox.cluster(c).expect("cluster").write_requests())
            .sum()
    };
    let writes_before = writes();
    tmux.keys(&["s"]);
    tmux.wait_for("why s is disabled", |s| {
        s.contains("sync disabled: dev is read-only: the session was started with --read-only")
    });
    tmux.keys(&["p"]);
    tmux.wait_for("why p is disabled", |s| {
        s.contains("promote disabled: dev is read-only")
    });
    assert_eq!(writes(), writes_before);
    if let Some(seconds) = std::env::var("KUBEDRIFT_IDLE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        report_idle_cpu(&tmux, seconds);
    }

    // Resize below 80×24 and back: a clear message, then the overview again.
    tmux.run(&["resize-window", "-t", "tui", "-x", "70", "-y", "20"]);
    tmux.wait_for("the too-small message", |s| {
        s.contains("terminal too small")
    });
    tmux.run(&["resize-window", "-t", "tui", "-x", "160", "-y", "48"]);
    tmux.wait_for("the overview after the resize", |s| {
        s.contains("PROD") && s.contains("drift")
    });

    // n: the first problem (web@prod); Enter: the app; d: the drifted Deployment's diff.
    tmux.keys(&["n"]);
    tmux.keys(&["Enter"]);
    let app = tmux.wait_for("the app view of web@prod", |s| {
        s.contains("web@prod") && s.contains("Deployment")
    });
    capture("screen-app.txt", &app);
    tmux.keys(&["d"]);
    let diff = tmux.wait_for("the replicas change", |s| {
        s.contains("replicas: 5") && s.contains("replicas: 2")
    });
    assert!(diff.contains("apps/Deployment/shop/web"), "{diff}");
    capture("screen-diff.txt", &diff);

    // ?: help for the diff view, generated from the keymap.
    tmux.keys(&["?"]);
    let help = tmux.wait_for("the help", |s| s.contains("keys in the diff view"));
    assert!(help.contains("side-by-side"), "{help}");

    // q backs out step by step (help, diff, app) and quits from the overview.
    tmux.keys(&["q"]);
    tmux.wait_for("the diff again", |s| s.contains("replicas: 5"));
    tmux.keys(&["q"]);
    tmux.wait_for("the app view again", |s| s.contains("Deployment (apps)"));
    tmux.keys(&["q"]);
    tmux.wait_for("the overview again", |s| {
        s.contains("PROD") && s.contains("sort:")
    });
    // c: the clusters view, with each API server's version from the background probe.
    tmux.keys(&["c"]);
    let clusters = tmux.wait_for("the clusters with their versions", |s| {
        s.matches("/version answered in").count() == 3
    });
    assert!(clusters.contains("apps/Deployment"), "{clusters}");
    capture("screen-clusters.txt", &clusters);
    tmux.keys(&["q"]);
    // r: re-read Git and relist everything; the drift is found again.
    tmux.keys(&["r"]);
    tmux.wait_for("the overview after a refresh", |s| {
        s.contains("refreshing") && s.contains("drift") && !s.contains("loading")
    });
    tmux.wait_for("the overview again", |s| {
        s.contains("PROD") && s.contains("sort:")
    });
    tmux.keys(&["q"]);

    let code = tmux.wait_for_exit(&exit_file);
    assert_eq!(code, "0", "exit code; screen:\n{}", tmux.screen());
    let after = tmux.screen();
    assert!(
        !after.contains("READ-ONLY"),
        "the UI is still drawn:\n{after}"
    );
}

/// The README's first command as a newcomer runs it: `kubedrift demo --read-only` in a 160×48
/// pane, the overview of dev/stage/prod, the drifted prod Deployment found with `/` and `n`,
/// its replicas change in the diff, help, and a clean quit that leaves nothing behind.
#[test]
fn the_demo_in_tmux_shows_the_drift_and_cleans_up() {
    if kubedrift_testkit::tool_missing("tmux is not installed", !tmux_available()) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // The demo's temp dir goes under TMPDIR: it must be gone after quitting.
    let tmp = dir.path().join("tmp");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&tmp).expect("tmp");
    std::fs::create_dir_all(&home).expect("home");
    let exit_file = dir.path().join("exit-code");
    let command = format!(
        "{} demo --read-only; echo $? > {}",
        shell_quote(Path::new(env!("CARGO_BIN_EXE_kubedrift"))),
        shell_quote(&exit_file),
    );
    let tmux = Tmux::start(
        "demo",
        &command,
        &[
            ("HOME", &home.display().to_string()),
            ("TMPDIR", &tmp.display().to_string()),
        ],
    );

    let overview = tmux.wait_for("the demo's overview, settled, with drift", |s| {
        s.contains("DEV")
            && s.contains("STAGE")
            && s.contains("PROD")
            && s.contains("storefront")
            && s.contains("outofsync")
            && !s.contains("loading")
    });
    assert!(overview.contains("READ-ONLY"), "{overview}");
    assert!(overview.contains("synced"), "{overview}");
    capture("screen-demo-overview.txt", &overview);
    // The Argo Rollouts canary the demo paused in stage: a headline in the cell, its progress
    // in words and a bar in the app view.
    assert!(overview.contains("canary 40% paused"), "{overview}");
    for keys in [":app recommendations", ":env stage"] {
        tmux.keys(&["-l", keys]);
        tmux.keys(&["Enter"]);
    }
    tmux.keys(&["Enter"]);
    let rollout = tmux.wait_for("the app view of recommendations@stage", |s| {
        s.contains("recommendations@stage") && s.contains("Rollout (argoproj.io)")
    });
    for words in [
        "████░░░░░░  40%  canary step 4 of 8 (pause 10m), weight 40%",
        "paused at a pause step",
        "background analysis recommendations-7f9c6d5b8-4 running",
    ] {
        assert!(rollout.contains(words), "{words}:\n{rollout}");
    }
    capture("screen-demo-rollout.txt", &rollout);
    tmux.keys(&["q"]);
    tmux.wait_for("the overview again", |s| s.contains("sort:"));

    // Only storefront's row, then the next problem in it: prod, where replicas were scaled.
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "storefront"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the filtered overview", |s| !s.contains("catalog-api"));
    tmux.keys(&["n"]);
    tmux.keys(&["Enter"]);
    let app = tmux.wait_for("the app view of storefront@prod", |s| {
        s.contains("storefront@prod") && s.contains("Deployment (apps)")
    });
    assert!(
        app.contains("spec.replicas changed by kubectl"),
        "the attribution in words:\n{app}"
    );
    capture("screen-demo-app.txt", &app);
    tmux.keys(&["n"]);
    tmux.keys(&["d"]);
    let diff = tmux.wait_for("the replicas change", |s| {
        s.contains("replicas: 5") && s.contains("replicas: 3")
    });
    assert!(diff.contains("apps/Deployment/shop/storefront"), "{diff}");
    capture("screen-demo-diff.txt", &diff);
    tmux.keys(&["?"]);
    tmux.wait_for("the help", |s| s.contains("keys in the diff view"));
    // Back out: help, diff, app (q goes back everywhere but the overview).
    for _ in 0..3 {
        tmux.keys(&["q"]);
    }
    tmux.wait_for("the overview again", |s| s.contains("sort:"));
    tmux.keys(&["q"]);

    let code = tmux.wait_for_exit(&exit_file);
    assert_eq!(code, "0", "exit code; screen:\n{}", tmux.screen());
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .expect("tmp")
        .map(|e| e.map(|e| e.path()))
        .collect();
    assert!(left.is_empty(), "the demo left files behind: {left:?}");
}
