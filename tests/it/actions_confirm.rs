//! The interactive confirmation of `kubedrift sync` on a real terminal (tmux): a protected
//! environment asks for its name; a wrong answer writes nothing, the right one syncs.

use crate::live_support::Fixture;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A bound against hangs, not a timing assertion.
const SCREEN_WAIT: Duration = Duration::from_secs(90);

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, session: &str, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SCREEN_WAIT;
        loop {
            let screen = self.run(&["capture-pane", "-p", "-t", session]);
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

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn a_protected_environment_asks_for_its_name_on_the_terminal() {
    if kubedrift_testkit::tool_missing("tmux is not installed", !tmux_available()) {
        return;
    }
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.commit(
        &[(
            "apps/web/dev/namespace.yaml".to_string(),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n".to_string(),
        )],
        "web: namespace",
    );
    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    std::fs::write(
        fx.config_path(),
        config.replacen(
            "context = \"dev\"\n",
            "context = \"dev\"\nprotected = true\n",
            1,
        ),
    )
    .expect("protected");
    let tmux = Tmux {
        socket: format!("kubedrift-confirm-{}", std::process::id()),
    };
    let writes = || fx.sandbox.cluster("dev").expect("dev").write_requests();
    for (session, answer, code) in [("wrong", "prod", "1"), ("right", "dev", "0")] {
        let exit_file = fx.dir.path().join(format!("exit-{session}"));
        let command = format!(
            "env NO_COLOR=1 KUBEDRIFT_DATA_DIR={} {} --kubeconfig {} --config {} sync web --env dev; echo $? > {}",
            quote(&fx.dir.path().join("data")),
            quote(Path::new(env!("CARGO_BIN_EXE_kubedrift"))),
            quote(&fx.kubeconfig_path()),
            quote(&fx.config_path()),
            quote(&exit_file),
        );
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "160",
            "-y",
            "48",
            &command,
        ]);
        tmux.wait_for(session, "the question", |s| {
            s.contains("dev is protected: type its name to confirm:")
        });
        assert_eq!(writes(), 0, "written before the answer");
        tmux.run(&["send-keys", "-t", session, answer, "Enter"]);
        let deadline = Instant::now() + SCREEN_WAIT;
        while !exit_file.exists() {
            assert!(Instant::now() < deadline, "sync never ended");
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(100));
        let exit = std::fs::read_to_string(&exit_file).expect("exit code");
        assert_eq!(exit.trim(), code, "answer {answer:?}");
        if code == "1" {
            assert_eq!(writes(), 0, "a wrong name wrote");
        }
    }
    assert!(writes() > 0);
    fx.ok(&["-n", "shop", "get", "deployment", "web"]);
}
