//! Sandbox TLS through the `kubedrift sandbox` command: kubectl against what the binary serves.

// ---------------------------------------------------------------------------------------------
// The `kubedrift sandbox` command (HTTPS by default) end to end: start the binary, wait for its "ready" text
// on stdout (no sleeping), use the kubeconfig it wrote with kubectl, stop it with SIGINT.

#[cfg(unix)]
mod sandbox_command {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// Kills the child if the test fails before stopping it.
    struct Child(std::process::Child);

    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn sandbox_tls_serves_kubectl_and_stops_cleanly_on_ctrl_c() {
        if kubedrift_testkit::kubectl_missing() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kd.yaml");
        let mut child = Child(
            Command::new(env!("CARGO_BIN_EXE_kubedrift"))
                .args(["sandbox", "--clusters", "dev,prod", "--kubeconfig-out"])
                .arg(&kubeconfig)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start kubedrift sandbox"),
        );
        let stdout = child.0.stdout.take().expect("stdout");
        let mut banner = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read stdout");
            banner.push_str(&line);
            banner.push('\n');
            if line.contains("Press Ctrl-C to stop.") {
                break;
            }
        }
        assert!(
            banner.contains(&format!("export KUBECONFIG={}", kubeconfig.display())),
            "{banner}"
        );
        assert!(
            banner.contains("kubectl --context dev get deploy -A"),
            "{banner}"
        );
        assert!(banner.contains("https://127.0.0.1:"), "{banner}");

        let config = std::fs::read_to_string(&kubeconfig).expect("kubeconfig written");
        assert!(config.contains("certificate-authority-data"));
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&kubeconfig)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "kubeconfig holds tokens: owner-only");

        let kubectl = |args: &[&str]| {
            kubedrift_testkit::kubectl_command(&kubeconfig, dir.path())
                .args(args)
                .output()
                .expect("run kubectl")
        };
        let out = kubectl(&["--context", "prod", "get", "namespaces"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.starts_with("NAME"), "{text}");
        assert!(text.contains("STATUS") && text.contains("AGE"), "{text}");
        assert!(text.contains("default "), "{text}");

        let out = kubectl(&["--context", "dev-viewer", "get", "configmaps", "-A"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let pid = child.0.id().to_string();
        let killed = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = child.0.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "sandbox exits 0 on Ctrl-C");
    }
}
