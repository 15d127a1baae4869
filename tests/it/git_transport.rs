//! Git over HTTP for real: a smart-HTTP server (`git http-backend` behind HTTP Basic auth, on
//! 127.0.0.1, started by the test) and the user's own credential helper (`credential.helper =
//! store --file ...` in the repo's config). Through the binary: `kubedrift promote --push`
//! pushes with the helper's credentials; refused credentials stop the push at once (no retry
//! loop), keep the local commit and say so; and the live layer's fetch (`kubedrift status`)
//! updates what is compared, or shows why it could not.

use crate::live_support::Fixture;
use git2::{Oid, Repository, Signature};
use kubedrift_testkit::git_http::GitHttpServer;
use kubedrift_testkit::show;
use kubedrift_testkit::Run;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "dana";
const PASSWORD: &str = "right-pass-7f3a";

/// Run `command` to its end, failing the test if it is still running after two minutes (a
/// credentials loop would hang here).
fn run_bounded(mut command: Command) -> Run {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubedrift starts");
    let pid = child.id();
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match wait.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output.expect("kubedrift output").into(),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("kubedrift did not end within two minutes (a credentials loop?)");
        }
    }
}

/// The user's environment for git: a HOME of its own (no global config or helpers of the
/// machine), no system config.
fn isolate_git(command: &mut Command, home: &Path) {
    std::fs::create_dir_all(home).expect("home");
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("SSH_AUTH_SOCK");
}

/// Store `user:password` for the server in `file`, as `git credential-store` writes it, and
/// make it the repo's credential helper.
fn use_credential_store(repo: &Repository, file: &Path, server: &GitHttpServer, password: &str) {
    let base = server.base();
    let line = base.replacen("http://", &format!("http://{USER}:{password}@"), 1);
    std::fs::write(file, format!("{line}\n")).expect("credentials file");
    repo.config()
        .expect("config")
        .set_str(
            "credential.helper",
            &format!("store --file {}", file.display()),
        )
        .expect("credential.helper");
}

/// Commit `files` onto `branch` from git objects only.
fn commit_on(repo: &Repository, branch: &str, files: &[(&str, &str)], message: &str) -> Oid {
    let reference = format!("refs/heads/{branch}");
    let parent = repo
        .find_reference(&reference)
        .ok()
        .and_then(|r| r.peel_to_commit().ok());
    let mut index = git2::Index::new().expect("index");
    if let Some(parent) = &parent {
        index
            .read_tree(&parent.tree().expect("tree"))
            .expect("read");
    }
    for (path, content) in files {
        let blob = repo.blob(content.as_bytes()).expect("blob");
        index
            .add(&git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            })
            .expect("add");
    }
    let tree = repo
        .find_tree(index.write_tree_to(repo).expect("tree"))
        .expect("tree");
    let sig = Signature::now("Dana SRE", "dana@example.com").expect("sig");
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some(&reference), &sig, &sig, message, &tree, &parents)
        .expect("commit")
}

struct PushFixture {
    dir: tempfile::TempDir,
    server: GitHttpServer,
    remote: Repository,
}

impl PushFixture {
    /// A repo `gitops` (app web in dev and stage, a branch per environment, HEAD on main)
    /// whose `origin` is `remote.git` on the HTTP server, stage already pushed there.
    fn new() -> PushFixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let served = dir.path().join("served");
        let remote = Repository::init_bare(served.join("remote.git")).expect("bare");
        let server = GitHttpServer::start(&served, USER, PASSWORD);
        let repo = Repository::init(dir.path().join("gitops")).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        let mut config = repo.config().expect("config");
        config.set_str("user.name", "Dana SRE").expect("name");
        config
            .set_str("user.email", "dana@example.com")
            .expect("email");
        let base = commit_on(
            &repo,
            "main",
            &[
                ("apps/web/dev/version.yml", "version: 1.5.0\n"),
                ("apps/web/stage/version.yml", "version: 1.5.0\n"),
            ],
            "web: initial",
        );
        for branch in ["dev", "stage"] {
            repo.reference(&format!("refs/heads/{branch}"), base, false, "branch")
                .expect("branch");
        }
        repo.remote("origin", &server.url("remote.git"))
            .expect("origin");
        // The remote starts with stage (pushed over the file system: no credentials needed).
        repo.remote_anonymous(served.join("remote.git").to_str().expect("utf-8"))
            .expect("file remote")
            .push(&["refs/heads/stage:refs/heads/stage"], None)
            .expect("initial push");
        let text = format!(
            "[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n\
             [[environment]]\nname = \"dev\"\ncontext = \"dev\"\nref = \"dev\"\n\n\
             [[environment]]\nname = \"stage\"\ncontext = \"stage\"\nref = \"stage\"\n\n\
             [[app]]\nname = \"web\"\npath = \"apps/{{app}}/{{env}}\"\n",
            dir.path().join("gitops").display()
        );
        std::fs::write(dir.path().join("kubedrift.toml"), text).expect("config");
        PushFixture {
            dir,
            server,
            remote,
        }
    }

    fn repo(&self) -> Repository {
        Repository::open(self.dir.path().join("gitops")).expect("open")
    }

    fn credentials_file(&self) -> PathBuf {
        self.dir.path().join("git-credentials")
    }

    fn bump_dev(&self, version: &str) -> Oid {
        commit_on(
            &self.repo(),
            "dev",
            &[("apps/web/dev/version.yml", &format!("version: {version}\n"))],
            &format!("web: {version}"),
        )
    }

    fn promote_and_push(&self) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
        command
            .args([
                "promote", "web", "--from", "dev", "--to", "stage", "--yes", "--push",
            ])
            .env("KUBEDRIFT_CONFIG", self.dir.path().join("kubedrift.toml"))
            .env("KUBEDRIFT_DATA_DIR", self.dir.path().join("data"))
            .env("NO_COLOR", "1");
        isolate_git(&mut command, &self.dir.path().join("home"));
        run_bounded(command)
    }

    fn remote_stage(&self) -> Oid {
        self.remote
            .refname_to_id("refs/heads/stage")
            .expect("remote stage")
    }

    fn local_stage(&self) -> Oid {
        self.repo()
            .refname_to_id("refs/heads/stage")
            .expect("local stage")
    }
}

#[test]
fn promote_pushes_over_http_with_the_credential_helper_and_refused_credentials_keep_the_commit() {
    let fx = PushFixture::new();
    use_credential_store(&fx.repo(), &fx.credentials_file(), &fx.server, PASSWORD);

    let promoted = fx.bump_dev("1.6.0");
    let run = fx.promote_and_push();
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(run.stdout.contains("Pushed to origin"), "{}", show(&run));
    assert_eq!(fx.local_stage(), promoted);
    assert_eq!(fx.remote_stage(), promoted, "the remote has the commit");
    assert!(fx.server.served() > 0);

    // Wrong password in the user's credential store: the server refuses it, the push stops
    // after one refusal (not libgit2's replay limit), the local commit stays.
    use_credential_store(
        &fx.repo(),
        &fx.credentials_file(),
        &fx.server,
        "wrong-pass-0d1e",
    );
    let refusals_before = fx.server.unauthorized();
    let started = Instant::now();
    let next = fx.bump_dev("1.7.0");
    let run = fx.promote_and_push();
    let elapsed = started.elapsed();
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stdout.contains("Push rejected by origin")
            && run
                .stdout
                .contains("refused the credentials of user dana that git's credential helper gave")
            && run.stdout.contains("is kept"),
        "{}",
        show(&run)
    );
    assert!(
        !run.stdout.contains("wrong-pass") && !run.stderr.contains("wrong-pass"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.local_stage(), next, "the local commit is kept");
    assert_eq!(fx.remote_stage(), promoted, "the remote did not move");
    let refusals = fx.server.unauthorized() - refusals_before;
    assert!(
        (1..=3).contains(&refusals),
        "{refusals} requests refused: the refused credentials were offered again ({elapsed:?})"
    );
    // As git does, the refused credentials are rejected: the store helper forgets them.
    let stored = std::fs::read_to_string(fx.credentials_file()).expect("credentials file");
    assert!(!stored.contains("wrong-pass"), "{stored}");

    // No credential helper at all: the push is refused with that reason, without a prompt.
    fx.repo()
        .config()
        .expect("config")
        .remove("credential.helper")
        .expect("unset helper");
    let later = fx.bump_dev("1.8.0");
    let run = fx.promote_and_push();
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stdout
            .contains("git's credential helpers have no credentials for it"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.local_stage(), later);
    assert_eq!(fx.remote_stage(), promoted);
}

#[test]
fn the_live_fetch_over_http_uses_the_credential_helper_and_shows_a_refusal() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let repo = Repository::open(fx.repo_path()).expect("repo");
    let deployed = repo.refname_to_id("refs/heads/main").expect("main");

    // The remote is one commit ahead of the clone: LOG_LEVEL changed in Git, not deployed.
    let served = fx.dir.path().join("served");
    let remote = Repository::init_bare(served.join("remote.git")).expect("bare");
    let ahead = commit_on(
        &repo,
        "main",
        &[(
            "apps/web/dev/configmap.yaml",
            &crate::live_support::CONFIGMAP.replace("LOG_LEVEL: info", "LOG_LEVEL: debug"),
        )],
        "web: debug logging",
    );
    repo.remote_anonymous(served.join("remote.git").to_str().expect("utf-8"))
        .expect("file remote")
        .push(&["refs/heads/main:refs/heads/main"], None)
        .expect("push to the remote");
    assert_eq!(
        remote.refname_to_id("refs/heads/main").expect("remote"),
        ahead
    );
    repo.reference("refs/heads/main", deployed, true, "the clone is behind")
        .expect("reset main");

    let server = GitHttpServer::start(&served, USER, PASSWORD);
    repo.remote("origin", &server.url("remote.git"))
        .expect("origin");
    let config = std::fs::read_to_string(fx.config_path())
        .expect("config")
        .replace("fetch_interval_seconds = 0", "fetch_interval_seconds = 300")
        .replace(
            "name = \"gitops\"\n",
            &format!(
                "name = \"gitops\"\nurl = \"{}\"\n",
                server.url("remote.git")
            ),
        );
    std::fs::write(fx.config_path(), config).expect("config written");
    let status = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kubedrift"));
        command
            .args(["status", "--kubeconfig"])
            .arg(fx.kubeconfig_path())
            .env("KUBEDRIFT_CONFIG", fx.config_path())
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG");
        isolate_git(&mut command, &fx.dir.path().join("home"));
        run_bounded(command)
    };

    // Refused credentials: the fetch error is the repo's error (exit 2), the app is compared
    // at the commit the clone has, and kubedrift ends.
    let credentials = fx.dir.path().join("git-credentials");
    use_credential_store(&repo, &credentials, &server, "wrong-pass-0d1e");
    let run = status();
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stderr.contains("repo gitops: fetch origin")
            && run.stderr.contains("refused the credentials of user dana"),
        "{}",
        show(&run)
    );
    assert!(run.stdout.contains("Synced"), "{}", show(&run));
    assert!(!run.stderr.contains("wrong-pass") && !run.stdout.contains("wrong-pass"));
    assert!(repo.find_reference("refs/remotes/origin/main").is_err());

    // The right credentials: the fetch brings the remote's commit, and what is compared is
    // the remote's state (the ConfigMap differs from the cluster: drift, exit 1).
    use_credential_store(&repo, &credentials, &server, PASSWORD);
    let run = status();
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(run.stdout.contains("OutOfSync"), "{}", show(&run));
    assert_eq!(
        repo.refname_to_id("refs/remotes/origin/main")
            .expect("fetched"),
        ahead
    );
}
