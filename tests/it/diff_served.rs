//! `kubedrift diff` answered by a running `kubedrift status --watch` over its Unix socket:
//! the same stdout and exit code as a one-shot read (`diff --fresh`), no request to the
//! cluster, live edits seen by watch, Git changes never answered stale, requests outside the
//! server's scope and dead sockets falling back to the one-shot read. Through the binary
//! against the sandbox.

use crate::live_cli::kubedrift_command;
use crate::live_support::{Fixture, WAIT};
use kubedrift::serve::identity::ScopeInputs;
use kubedrift_testkit::show;
use kubedrift_testkit::Run;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::Ordering;
use std::time::Instant;

const SERVED: &str = "answered by the watching kubedrift";

/// A `status --watch` child, killed on drop.
struct Watching {
    child: Child,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `status --watch` (plus `extra` flags) and wait for its first report (settled).
fn watch(fx: &Fixture, extra: &[&str]) -> Watching {
    let mut args = vec!["status", "--watch", "--output", "json"];
    args.extend_from_slice(extra);
    let mut child = kubedrift_command(fx, &args)
        .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubedrift status --watch starts");
    let lines = kubedrift_testkit::lines_of(child.stdout.take().expect("stdout"));
    let watching = Watching { child };
    let mut seen = Vec::new();
    let end = kubedrift_testkit::wait_for_line(&lines, WAIT, &mut seen, |line| line == "}");
    assert!(end.is_some(), "no first report: {seen:?}");
    // Keep reading (and dropping) the watch lines so that the child never blocks on a pipe.
    std::thread::spawn(move || for _ in lines.iter() {});
    watching
}

fn diff(fx: &Fixture, args: &[&str]) -> Run {
    kubedrift_command(fx, args)
        .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
        .output()
        .expect("kubedrift runs")
        .into()
}

/// Run `diff` until `done` holds for it (the server catches up by watch), at most [`WAIT`].
fn diff_until(fx: &Fixture, args: &[&str], done: impl Fn(&Run) -> bool) -> Run {
    let deadline = Instant::now() + WAIT;
    loop {
        let run = diff(fx, args);
        if done(&run) {
            return run;
        }
        assert!(Instant::now() < deadline, "never: {}", show(&run));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn served(run: &Run) -> bool {
    run.stderr.contains(SERVED)
}

/// The pid of the watching kubedrift that answered `run` (None: not served).
fn served_by(run: &Run) -> Option<u32> {
    let (_, after) = run.stderr.split_once(&format!("{SERVED} (pid "))?;
    after.split(',').next()?.parse().ok()
}

/// Stop `server` as `kill` stops it (SIGTERM) and wait until it ended.
fn stop(server: &mut Watching) {
    // SAFETY: signalling our own child process.
    let rc = unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + WAIT;
    while server.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "status --watch ignored SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The socket a server of this fixture (flags of `kubedrift_command`) following `env` and
/// `app` (None: every one) listens on.
fn socket_path(fx: &Fixture, env: Option<&str>, app: Option<&str>) -> PathBuf {
    let canonical = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
    let config_path = canonical(fx.config_path());
    let kubeconfig = canonical(fx.kubeconfig_path());
    let inputs = ScopeInputs {
        config_bytes: std::fs::read(&config_path).ok(),
        config_path,
        kubeconfigs: vec![(kubeconfig.clone(), std::fs::read(&kubeconfig).ok())],
        contexts: Vec::new(),
        from: None,
        binary: kubedrift::serve::identity::binary_stamp(std::path::Path::new(env!(
            "CARGO_BIN_EXE_kubedrift"
        ))),
        // The child inherits PATH and HELM_* from this process.
        render_env: kubedrift::serve::identity::render_environment(),
    };
    fx.dir
        .path()
        .join("run/kubedrift")
        .join(inputs.identity().socket_name(env, app))
}

#[test]
fn a_watching_status_answers_diff_as_the_one_shot_read_would() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    fx.scale_web("dev", 5);
    let _server = watch(&fx, &[]);

    let args = ["diff", "web", "--env", "dev"];
    let first = diff_until(&fx, &args, served);
    let fresh = diff(&fx, &["diff", "web", "--env", "dev", "--fresh"]);
    assert!(
        !served(&fresh),
        "--fresh reads the clusters: {}",
        show(&fresh)
    );
    assert_eq!(first.code, 1, "{}", show(&first));
    assert_eq!(first.code, fresh.code);
    assert_eq!(first.stdout, fresh.stdout, "stdout byte for byte");
    assert!(first.stdout.contains("replicas"), "{}", show(&first));

    // The server answered: the cluster saw no request from this diff.
    let api = fx.sandbox.cluster("dev").expect("dev").api_server();
    let lists = api.list_requests.load(Ordering::Relaxed);
    let discovery = api.discovery_requests.load(Ordering::Relaxed);
    let again = diff(&fx, &args);
    assert!(served(&again), "{}", show(&again));
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(api.list_requests.load(Ordering::Relaxed), lists, "no LIST");
    assert_eq!(
        api.discovery_requests.load(Ordering::Relaxed),
        discovery,
        "no discovery"
    );

    // Private: the directory 0700, the socket 0600.
    use std::os::unix::fs::PermissionsExt;
    let socket = socket_path(&fx, None, None);
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(socket.parent().expect("dir")), 0o700);

    // A live edit arrives by watch.
    fx.scale_web("dev", 7);
    let edited = diff_until(&fx, &args, |run| {
        served(run) && run.stdout.contains("replicas: 7")
    });
    let fresh = diff(&fx, &["diff", "web", "--env", "dev", "--fresh"]);
    assert_eq!(edited.stdout, fresh.stdout, "{}", show(&edited));
    assert_eq!(edited.code, fresh.code);

    // Git moves to what runs: the very next diff says in sync, served or not (the server
    // waits for its follower or declines; it never answers from the older commit).
    fx.commit(
        &[(
            "apps/web/dev/deployment.yaml".to_string(),
            crate::live_support::deployment("registry.example.com/shop/web:1.4.2", 7),
        )],
        "web: 7 replicas",
    );
    let after_commit = diff(&fx, &args);
    assert_eq!(after_commit.code, 0, "{}", show(&after_commit));
    assert_eq!(after_commit.stdout, "");
    let in_sync = diff_until(&fx, &args, served);
    assert_eq!(in_sync.code, 0, "{}", show(&in_sync));
    assert_eq!(in_sync.stdout, "");
}

#[test]
fn requests_outside_the_servers_scope_are_read_from_the_clusters() {
    let fx = Fixture::start(&["dev", "prod"], &[("dev", "dev"), ("prod", "prod")]);
    fx.deploy("dev", "dev");
    fx.deploy("prod", "prod");
    fx.scale_web("prod", 3);
    let _server = watch(&fx, &["--env", "dev"]);
    // Its scope: environment dev.
    let dev = diff_until(&fx, &["diff", "web", "--env", "dev"], served);
    assert_eq!(dev.code, 0, "{}", show(&dev));

    // Every environment: more than it follows. Its socket is not one a client of every
    // environment tries, so it is not asked; the answer is the one-shot's.
    let all = diff(&fx, &["diff", "web"]);
    let fresh = diff(&fx, &["diff", "web", "--fresh"]);
    assert!(!served(&all), "{}", show(&all));
    assert!(!all.stderr.contains("did not answer"), "{}", show(&all));
    assert_eq!(all.code, 1, "{}", show(&all));
    assert_eq!(all.stdout, fresh.stdout);
    assert!(all.stdout.contains("web@prod"), "{}", show(&all));

    // Another context selection is another scope: no server for it, silently.
    let other = diff(&fx, &["diff", "web", "--env", "prod", "--context", "prod"]);
    assert!(!served(&other), "{}", show(&other));
    assert!(!other.stderr.contains("did not answer"), "{}", show(&other));
    assert_eq!(other.code, 1, "{}", show(&other));
    assert_eq!(other.stdout, fresh.stdout);

    // An unknown app: declined, and the one-shot read names it.
    let unknown = diff(&fx, &["diff", "wbe", "--env", "dev"]);
    assert_eq!(unknown.code, 2, "{}", show(&unknown));
    assert!(unknown.stderr.contains("web"), "{}", show(&unknown));
}

/// App `api` in environment dev: one ConfigMap, deployed with `LOG_LEVEL: info` while Git
/// has `debug` (drift). [`Fixture::start`] knows app `web` only.
fn add_api_app(fx: &Fixture) {
    let configmap = |level: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-config\n  namespace: shop\n  \
             labels:\n    kubedrift.io/app: api\ndata:\n  LOG_LEVEL: {level}\n"
        )
    };
    let mut config = std::fs::read_to_string(fx.config_path()).expect("config");
    config.push_str(
        "\n[[app]]\nname = \"api\"\nrepo = \"gitops\"\npath = \"apps/{app}/{env}\"\nnamespace = \"shop\"\n",
    );
    std::fs::write(fx.config_path(), config).expect("config written");
    let deployed = fx.file("api-configmap.yaml", &configmap("info"));
    fx.apply_as_kubedrift("dev", std::path::Path::new(&deployed));
    fx.commit(
        &[(
            "apps/api/dev/configmap.yaml".to_string(),
            configmap("debug"),
        )],
        "api: debug logs",
    );
}

#[test]
fn a_narrow_and_a_broad_server_each_serve_what_they_follow_side_by_side() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    fx.scale_web("dev", 5);
    add_api_app(&fx);
    // The narrow one first: it used to hold the one socket of this config and kubeconfig, and
    // the broad one then served nothing.
    let mut narrow = watch(&fx, &["--app", "web"]);
    let broad = watch(&fx, &[]);
    let (narrow_pid, broad_pid) = (narrow.child.id(), broad.child.id());
    let api_server = fx.sandbox.cluster("dev").expect("dev").api_server();
    let lists = || api_server.list_requests.load(Ordering::Relaxed);

    // App api: only the broad one follows it, and it answers, not the clusters.
    let api_args = ["diff", "api", "--env", "dev"];
    let api = diff_until(&fx, &api_args, |run| served_by(run) == Some(broad_pid));
    let fresh_api = diff(&fx, &["diff", "api", "--env", "dev", "--fresh"]);
    assert_eq!(api.code, 1, "{}", show(&api));
    assert_eq!(api.code, fresh_api.code);
    assert_eq!(api.stdout, fresh_api.stdout, "stdout byte for byte");
    assert!(api.stdout.contains("LOG_LEVEL"), "{}", show(&api));
    let before = lists();
    let again = diff(&fx, &api_args);
    assert_eq!(served_by(&again), Some(broad_pid), "{}", show(&again));
    assert_eq!(again.stdout, api.stdout);
    assert_eq!(lists(), before, "no LIST during a served diff of api");

    // App web: the narrow one still serves it (the narrowest covering server is asked first).
    let web_args = ["diff", "web", "--env", "dev"];
    let web = diff_until(&fx, &web_args, |run| served_by(run) == Some(narrow_pid));
    let fresh_web = diff(&fx, &["diff", "web", "--env", "dev", "--fresh"]);
    assert_eq!(web.code, 1, "{}", show(&web));
    assert_eq!(web.stdout, fresh_web.stdout, "stdout byte for byte");
    assert!(web.stdout.contains("replicas"), "{}", show(&web));
    let before = lists();
    let again = diff(&fx, &web_args);
    assert_eq!(served_by(&again), Some(narrow_pid), "{}", show(&again));
    assert_eq!(lists(), before, "no LIST during a served diff of web");

    // Each has its own socket; stopping one leaves the other's.
    let narrow_socket = socket_path(&fx, None, Some("web"));
    let broad_socket = socket_path(&fx, None, None);
    assert!(narrow_socket.exists() && broad_socket.exists());
    stop(&mut narrow);
    assert!(
        !narrow_socket.exists(),
        "the narrow server's socket left behind"
    );
    assert!(
        broad_socket.exists(),
        "the broad server's socket went with the narrow one"
    );

    // The broad one now answers web too, still without a LIST.
    let before = lists();
    let web_after = diff(&fx, &web_args);
    assert_eq!(
        served_by(&web_after),
        Some(broad_pid),
        "{}",
        show(&web_after)
    );
    assert_eq!(web_after.code, web.code);
    assert_eq!(web_after.stdout, web.stdout);
    assert_eq!(lists(), before, "no LIST after the narrow server stopped");
}

#[test]
fn a_dead_servers_socket_never_blocks_diff_and_the_next_server_replaces_it() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    fx.scale_web("dev", 4);
    // What a killed server leaves: a socket file nobody listens on.
    let socket = socket_path(&fx, None, None);
    let dir = socket.parent().expect("dir");
    std::fs::create_dir_all(dir).expect("dir");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("0700");
    drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind"));
    assert!(socket.exists());

    let without = diff(&fx, &["diff", "web", "--env", "dev"]);
    assert_eq!(without.code, 1, "{}", show(&without));
    assert!(without.stdout.contains("replicas"), "{}", show(&without));
    assert!(!served(&without), "{}", show(&without));
    assert!(without.stderr.is_empty(), "silent: {}", show(&without));

    let mut server = watch(&fx, &[]);
    let with = diff_until(&fx, &["diff", "web", "--env", "dev"], served);
    assert_eq!(with.code, 1, "{}", show(&with));
    assert_eq!(with.stdout, without.stdout);

    // Stopped as `kill` stops it (SIGTERM): it ends normally and takes its socket along.
    stop(&mut server);
    assert!(!socket.exists(), "socket left behind");
    let after = diff(&fx, &["diff", "web", "--env", "dev"]);
    assert_eq!(after.stdout, without.stdout);
    assert!(after.stderr.is_empty(), "silent: {}", show(&after));
}

#[test]
fn a_read_only_tui_answers_diff_too() {
    use crate::tui_tmux::{shell_quote, tmux_available, Tmux};
    if !tmux_available() {
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    fx.scale_web("dev", 6);
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let command = format!(
        "{} --kubeconfig {} --config {} --read-only",
        shell_quote(std::path::Path::new(env!("CARGO_BIN_EXE_kubedrift"))),
        shell_quote(&fx.kubeconfig_path()),
        shell_quote(&fx.config_path()),
    );
    let runtime_dir = fx.dir.path().join("run").display().to_string();
    let cache_dir = fx.dir.path().join("cache").display().to_string();
    let _tmux = Tmux::start(
        "served",
        &command,
        &[
            ("HOME", &home.display().to_string()),
            ("XDG_RUNTIME_DIR", &runtime_dir),
            ("KUBEDRIFT_CACHE_DIR", &cache_dir),
        ],
    );
    let args = ["diff", "web", "--env", "dev"];
    let answered = diff_until(&fx, &args, served);
    let fresh = diff(&fx, &["diff", "web", "--env", "dev", "--fresh"]);
    assert_eq!(answered.code, 1, "{}", show(&answered));
    assert_eq!(answered.code, fresh.code);
    assert_eq!(answered.stdout, fresh.stdout);
    assert!(answered.stdout.contains("replicas"), "{}", show(&answered));
}

#[test]
fn ctrl_c_while_a_server_is_asked_ends_diff_as_it_ends_a_one_shot_diff() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    // A server that takes the connection and never answers (stopped with Ctrl-Z, say).
    let listener = bind_a_server_that_never_answers(&fx);

    for (signal, line) in [
        (libc::SIGINT, "kubedrift: interrupted"),
        (libc::SIGTERM, "kubedrift: terminated"),
    ] {
        let mut command = kubedrift_command(&fx, &["diff", "web", "--env", "dev"]);
        command
            .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        start_with_signal_actions(&mut command, &[]);
        let child = command.spawn().expect("kubedrift diff starts");
        // Connected: the client waits for the reply.
        let (_held, _) = listener.accept().expect("the client connects");
        std::thread::sleep(std::time::Duration::from_millis(200));
        // SAFETY: signalling our own child process.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0);
        let run: Run = child.wait_with_output().expect("diff ends").into();
        assert_eq!(run.code, 2, "{}", show(&run));
        assert_eq!(run.stderr.trim_end(), line, "{}", show(&run));
        assert_eq!(run.stdout, "", "{}", show(&run));
    }
}

/// Started with SIGHUP ignored (as under `nohup`), `diff` keeps ignoring it while it asks a
/// server — a hang-up does not end it — and Ctrl-C still does.
#[test]
fn a_hang_up_ignored_at_start_stays_ignored_while_a_server_is_asked() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let listener = bind_a_server_that_never_answers(&fx);

    let mut command = kubedrift_command(&fx, &["diff", "web", "--env", "dev"]);
    command
        .env("KUBEDRIFT_CACHE_DIR", fx.dir.path().join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    start_with_signal_actions(&mut command, &[libc::SIGHUP]);
    let mut child = command.spawn().expect("kubedrift diff starts");
    let (_held, _) = listener.accept().expect("the client connects");
    std::thread::sleep(std::time::Duration::from_millis(200));
    // SAFETY: signalling our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGHUP) },
        0
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "an ignored SIGHUP ended diff"
    );
    // SAFETY: as above.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let run: Run = child.wait_with_output().expect("diff ends").into();
    assert_eq!(run.code, 2, "{}", show(&run));
    assert_eq!(
        run.stderr.trim_end(),
        "kubedrift: interrupted",
        "{}",
        show(&run)
    );
}

/// A socket where a diff server of `fx` would be, whose connections are accepted and never
/// answered (a server stopped with Ctrl-Z, say).
fn bind_a_server_that_never_answers(fx: &Fixture) -> std::os::unix::net::UnixListener {
    use std::os::unix::fs::PermissionsExt;
    let socket = socket_path(fx, None, None);
    let dir = socket.parent().expect("dir");
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("0700");
    std::os::unix::net::UnixListener::bind(&socket).expect("bind")
}

/// The child starts with SIGINT, SIGTERM and SIGHUP at their default actions except `ignored`
/// (ignored): what a terminal gives a foreground command, whatever this test process
/// inherited (a CI runner started in the background ignores SIGINT, `nohup` SIGHUP — and
/// `diff` rightly keeps ignoring a signal ignored at its start).
fn start_with_signal_actions(command: &mut std::process::Command, ignored: &'static [i32]) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only signal(2), which is async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                let action = if ignored.contains(&signal) {
                    libc::SIG_IGN
                } else {
                    libc::SIG_DFL
                };
                libc::signal(signal, action);
            }
            Ok(())
        });
    }
}
