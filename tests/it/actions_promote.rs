//! `kubedrift promote` through the real binary on temp git repos (and a bare remote): every
//! model, diverged and conflicting branches leave refs untouched, a concurrent commit on the
//! target is never lost, a rejected push keeps the local commit, read-only writes nothing,
//! and the user's work tree and index are byte-identical afterwards.

use git2::{Oid, Repository, Signature};
use kubedrift::actions::capability::{git_access, Session};
use kubedrift::actions::promote::{self, commit, PromoteError, Request};
use kubedrift::config::Config;
use kubedrift_testkit::show;
use kubedrift_testkit::Run;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Repo {
    dir: tempfile::TempDir,
}

const KUSTOMIZATION: &str = "resources:\n  - deployment.yaml\nimages:\n  - name: registry.example.com/shop/web\n    newTag: \"{tag}\" # set by promotion\n";
const VALUES: &str =
    "replicas: 2\nimage:\n  repository: registry.example.com/shop/web\n  tag: {tag}\n";

impl Repo {
    /// A non-bare repo with a work tree, user identity, app `web` in `dev` and `stage` on
    /// main, plus an uncommitted edit and a staged file (which must survive untouched).
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path().join("gitops")).expect("init");
        repo.set_head("refs/heads/main").expect("head");
        let mut cfg = repo.config().expect("config");
        cfg.set_str("user.name", "Dana SRE").expect("name");
        cfg.set_str("user.email", "dana@example.com")
            .expect("email");
        let fx = Repo { dir };
        let mut files = Vec::new();
        for (env, tag) in [("dev", "1.5.0"), ("stage", "1.4.2")] {
            files.push((
                format!("apps/web/{env}/version.yml"),
                format!("version: {tag}\n"),
            ));
            files.push((
                format!("apps/web/{env}/kustomization.yaml"),
                KUSTOMIZATION.replace("{tag}", tag),
            ));
            files.push((
                format!("apps/web/{env}/values.yaml"),
                VALUES.replace("{tag}", tag),
            ));
            files.push((
                format!("apps/web/{env}/deployment.yaml"),
                "kind: Deployment\n".into(),
            ));
        }
        fx.commit_on("main", &files, "web: initial");
        // The user works on their own branch: main, which promotions move, is not checked
        // out (a checked-out branch is refused, see below).
        fx.branch("main", "work");
        repo.set_head("refs/heads/work").expect("head on work");
        // The user's own work in progress.
        std::fs::write(
            fx.path().join("apps/web/stage/version.yml"),
            "version: wip\n",
        )
        .expect("wip");
        std::fs::write(fx.path().join("notes.txt"), "staged\n").expect("notes");
        let mut index = repo.index().expect("index");
        index.add_path(Path::new("notes.txt")).expect("stage");
        index.write().expect("index write");
        fx
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("gitops")
    }

    fn repo(&self) -> Repository {
        Repository::open(self.path()).expect("open")
    }

    /// Commit `files` onto `branch` with git objects only (no work tree, no index).
    fn commit_on(&self, branch: &str, files: &[(String, String)], message: &str) -> Oid {
        let repo = self.repo();
        let reference = format!("refs/heads/{branch}");
        let parent = repo
            .find_reference(&reference)
            .ok()
            .and_then(|r| r.peel_to_commit().ok());
        let mut index = git2::Index::new().expect("mem index");
        if let Some(parent) = &parent {
            index
                .read_tree(&parent.tree().expect("tree"))
                .expect("read tree");
        }
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).expect("blob");
            let entry = git2::IndexEntry {
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
            };
            index.add(&entry).expect("add");
        }
        let tree = repo
            .find_tree(index.write_tree_to(&repo).expect("tree"))
            .expect("tree");
        let sig = Signature::now("Dana SRE", "dana@example.com").expect("sig");
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let oid = repo
            .commit(Some(&reference), &sig, &sig, message, &tree, &parents)
            .expect("commit");
        if repo.find_reference("refs/heads/main").is_ok() && branch == "main" && parent.is_none() {
            // First commit: check it out so the work tree and index match it.
            repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
                .expect("checkout");
        }
        oid
    }

    fn branch(&self, from: &str, name: &str) {
        let repo = self.repo();
        let commit = repo
            .find_reference(&format!("refs/heads/{from}"))
            .and_then(|r| r.peel_to_commit())
            .expect("from");
        repo.branch(name, &commit, false).expect("branch");
    }

    fn tip(&self, branch: &str) -> Oid {
        self.repo()
            .refname_to_id(&format!("refs/heads/{branch}"))
            .expect("tip")
    }

    /// Every ref and its target.
    fn refs(&self) -> BTreeMap<String, String> {
        let repo = self.repo();
        let mut refs = BTreeMap::new();
        for reference in repo.references().expect("refs").flatten() {
            if let (Ok(name), Some(target)) = (reference.name(), reference.target()) {
                refs.insert(name.to_string(), target.to_string());
            }
        }
        refs
    }

    /// The bytes of every work-tree file and of the index (and HEAD).
    fn user_state(&self) -> BTreeMap<String, Vec<u8>> {
        fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
                let path = entry.path();
                let rel = path.strip_prefix(root).expect("rel").display().to_string();
                if rel == ".git" {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.insert(rel, std::fs::read(&path).expect("read"));
                }
            }
        }
        let mut state = BTreeMap::new();
        walk(&self.path(), &self.path(), &mut state);
        for file in [".git/index", ".git/HEAD"] {
            state.insert(
                file.into(),
                std::fs::read(self.path().join(file)).expect("git file"),
            );
        }
        state
    }

    fn file_at(&self, rev: &str, path: &str) -> String {
        let repo = self.repo();
        let tree = repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_tree())
            .expect("tree");
        let blob = tree
            .get_path(Path::new(path))
            .and_then(|e| e.to_object(&repo))
            .and_then(|o| o.peel_to_blob())
            .expect("blob");
        String::from_utf8(blob.content().to_vec()).expect("utf8")
    }

    /// A config with dev and stage (refs given) and app web with `promotion` (TOML lines).
    fn config(&self, refs: (&str, &str), promotion: &str, extra_stage: &str) -> PathBuf {
        let text = format!(
            "[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n\
             [[environment]]\nname = \"dev\"\ncontext = \"dev\"\nref = \"{}\"\n\n\
             [[environment]]\nname = \"stage\"\ncontext = \"stage\"\nref = \"{}\"\n{extra_stage}\n\
             [[app]]\nname = \"web\"\npath = \"apps/{{app}}/{{env}}\"\n{promotion}\n",
            self.path().display(),
            refs.0,
            refs.1
        );
        let path = self.dir.path().join("kubedrift.toml");
        std::fs::write(&path, text).expect("config");
        path
    }

    fn kubedrift(&self, config: &Path, args: &[&str]) -> Run {
        Command::new(env!("CARGO_BIN_EXE_kubedrift"))
            .args(args)
            .env("KUBEDRIFT_CONFIG", config)
            .env("KUBEDRIFT_DATA_DIR", self.dir.path().join("data"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("kubedrift runs")
            .into()
    }
}

const FOLDER: &str = "[app.promotion]\nmodel = \"folder\"\nfiles = [\"version.yml\"]\n";
const PROMOTE: [&str; 6] = ["promote", "web", "--from", "dev", "--to", "stage"];

#[test]
fn folder_model_previews_then_commits_only_git_objects_and_the_ref() {
    let fx = Repo::new();
    let config = fx.config(("main", "main"), FOLDER, "");
    let user = fx.user_state();
    let refs = fx.refs();

    let run = fx.kubedrift(&config, &PROMOTE);
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout.contains("nothing done (use --yes)"),
        "{}",
        show(&run)
    );
    assert!(
        run.stdout.contains("-version: 1.4.2") && run.stdout.contains("+version: 1.5.0"),
        "preview diff: {}",
        show(&run)
    );
    assert_eq!(fx.refs(), refs, "a preview moved a ref");

    let before = fx.tip("main");
    let mut args = PROMOTE.to_vec();
    args.push("--yes");
    let run = fx.kubedrift(&config, &args);
    assert_eq!(run.code, 0, "{}", show(&run));
    let tip = fx.tip("main");
    let repo = fx.repo();
    let commit = repo.find_commit(tip).expect("commit");
    assert_eq!(commit.parent_id(0).expect("parent"), before);
    let message = commit.message().expect("message");
    assert!(message.starts_with("promote web: dev → stage"), "{message}");
    assert!(
        message.contains(&format!("Source-Commit: {before}")),
        "{message}"
    );
    assert_eq!(commit.author().name(), Ok("Dana SRE"));
    assert_eq!(
        fx.file_at("main", "apps/web/stage/version.yml"),
        "version: 1.5.0\n"
    );
    assert_eq!(
        fx.file_at("main", "apps/web/stage/values.yaml"),
        VALUES.replace("{tag}", "1.4.2")
    );
    assert_eq!(fx.user_state(), user, "work tree or index changed");

    // JSON: the proposal and what was written (here: nothing left to promote).
    let run = fx.kubedrift(&config, &[&args[..], &["-o", "json"]].concat());
    assert_eq!(run.code, 0, "{}", show(&run));
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(doc["proposal"]["model"], "folder");
    assert_eq!(doc["proposal"]["target_tip"], tip.to_string());
    assert_eq!(doc["exitCode"], 0);

    // Promoting again: nothing to do.
    let run = fx.kubedrift(&config, &args);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(run.stdout.contains("Nothing to promote"), "{}", show(&run));
    let history = fx.kubedrift(&config, &["history", "--app", "web"]);
    assert!(
        history.stdout.contains("promote  web@stage"),
        "{}",
        show(&history)
    );
    let committed = format!("ok  committed {} on main", &tip.to_string()[..7]);
    assert!(history.stdout.contains(&committed), "{}", show(&history));
}

#[test]
fn image_model_bumps_the_kustomize_tag_or_the_helm_values_key() {
    let fx = Repo::new();
    let user = fx.user_state();
    let kustomize = fx.config(
        ("main", "main"),
        "[app.promotion]\nmodel = \"image\"\nimage = \"registry.example.com/shop/web\"\n",
        "",
    );
    let mut args = PROMOTE.to_vec();
    args.push("--yes");
    let run = fx.kubedrift(&kustomize, &args);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(
        run.stdout
            .contains("+    newTag: \"1.5.0\" # set by promotion"),
        "{}",
        show(&run)
    );
    assert_eq!(
        fx.file_at("main", "apps/web/stage/kustomization.yaml"),
        KUSTOMIZATION.replace("{tag}", "1.5.0")
    );

    let helm = fx.config(
        ("main", "main"),
        "[app.promotion]\nmodel = \"image\"\nvalues_file = \"values.yaml\"\nvalues_key = \"image.tag\"\n",
        "",
    );
    let run = fx.kubedrift(&helm, &args);
    assert_eq!(run.code, 0, "{}", show(&run));
    assert_eq!(
        fx.file_at("main", "apps/web/stage/values.yaml"),
        VALUES.replace("{tag}", "1.5.0")
    );
    // The folder's other files are untouched.
    assert_eq!(
        fx.file_at("main", "apps/web/stage/version.yml"),
        "version: 1.4.2\n"
    );
    assert_eq!(fx.user_state(), user, "work tree or index changed");
}

#[test]
fn branch_model_fast_forwards_or_opens_a_promote_branch_and_diverged_branches_write_nothing() {
    let fx = Repo::new();
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    let ahead = fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.6.0\n".into())],
        "web: 1.6.0 in dev",
    );
    let config = fx.config(("dev", "stage"), "", "");
    let user = fx.user_state();

    // --branch: a new promote/<app>/<to>/<short> branch; stage itself does not move.
    let stage = fx.tip("stage");
    let mut args = PROMOTE.to_vec();
    args.extend(["--yes", "--branch"]);
    let run = fx.kubedrift(&config, &args);
    assert_eq!(run.code, 0, "{}", show(&run));
    let short: String = ahead.to_string().chars().take(7).collect();
    assert_eq!(fx.tip(&format!("promote/web/stage/{short}")), ahead);
    assert_eq!(fx.tip("stage"), stage);

    // Fast-forward.
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}", show(&run));
    assert_eq!(fx.tip("stage"), ahead);

    // Diverged: stage got its own commit. Without --merge: refused, nothing written.
    fx.commit_on(
        "stage",
        &[("apps/web/stage/values.yaml".into(), "replicas: 3\n".into())],
        "stage: hotfix",
    );
    fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.7.0\n".into())],
        "web: 1.7.0 in dev",
    );
    let refs = fx.refs();
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes"]].concat());
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(run.stderr.contains("not a fast-forward"), "{}", show(&run));
    assert_eq!(fx.refs(), refs);

    // --merge: a merge commit with both parents.
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes", "--merge"]].concat());
    assert_eq!(run.code, 0, "{}", show(&run));
    let repo = fx.repo();
    let merged = repo.find_commit(fx.tip("stage")).expect("merge");
    assert_eq!(merged.parent_count(), 2);
    assert_eq!(merged.parent_id(1).expect("source"), fx.tip("dev"));
    assert_eq!(
        fx.file_at("stage", "apps/web/dev/version.yml"),
        "version: 1.7.0\n"
    );
    assert_eq!(
        fx.file_at("stage", "apps/web/stage/values.yaml"),
        "replicas: 3\n"
    );

    // A conflicting merge leaves every ref as it was.
    fx.commit_on(
        "stage",
        &[("shared.txt".into(), "stage\n".into())],
        "stage side",
    );
    fx.commit_on("dev", &[("shared.txt".into(), "dev\n".into())], "dev side");
    let refs = fx.refs();
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes", "--merge"]].concat());
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stderr.contains("conflicts in shared.txt"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.refs(), refs);
    assert_eq!(fx.user_state(), user, "work tree or index changed");
}

#[test]
fn push_lands_on_the_remote_and_a_rejected_push_keeps_the_local_commit() {
    let fx = Repo::new();
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    let remote_path = fx.dir.path().join("remote.git");
    let remote = Repository::init_bare(&remote_path).expect("bare");
    let local = fx.repo();
    local
        .remote("origin", remote_path.to_str().expect("utf-8"))
        .expect("origin");
    local
        .find_remote("origin")
        .expect("origin")
        .push(&["refs/heads/stage:refs/heads/stage"], None)
        .expect("initial push");
    let ahead = fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.6.0\n".into())],
        "web: 1.6.0",
    );
    let config = fx.config(("dev", "stage"), "", "");
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes", "--push"]].concat());
    assert_eq!(run.code, 0, "{}", show(&run));
    assert!(run.stdout.contains("Pushed to origin"), "{}", show(&run));
    assert_eq!(
        remote
            .refname_to_id("refs/heads/stage")
            .expect("remote stage"),
        ahead
    );

    // Someone else pushes to the remote's stage: our next push is not a fast-forward there.
    let other = {
        let sig = Signature::now("Sam", "sam@example.com").expect("sig");
        let parent = remote.find_commit(ahead).expect("parent");
        let tree = parent.tree().expect("tree");
        remote
            .commit(
                Some("refs/heads/stage"),
                &sig,
                &sig,
                "remote-only",
                &tree,
                &[&parent],
            )
            .expect("remote commit")
    };
    let next = fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.7.0\n".into())],
        "web: 1.7.0",
    );
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes", "--push"]].concat());
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stdout.contains("Push rejected by origin") && run.stdout.contains("is kept"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.tip("stage"), next, "the local commit is kept");
    assert_eq!(
        remote.refname_to_id("refs/heads/stage").expect("remote"),
        other,
        "the remote's commit is not overwritten"
    );
}

#[test]
fn read_only_session_config_or_environment_writes_no_ref_and_no_file() {
    let fx = Repo::new();
    let user = fx.user_state();
    let refs = fx.refs();
    let mut args = PROMOTE.to_vec();
    args.push("--yes");

    let config = fx.config(("main", "main"), FOLDER, "");
    let run = fx.kubedrift(&config, &[&args[..], &["--read-only"]].concat());
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout.contains("started with --read-only"),
        "{}",
        show(&run)
    );

    let global = fx.config(("main", "main"), FOLDER, "");
    let text = std::fs::read_to_string(&global).expect("config");
    std::fs::write(&global, format!("[settings]\nread_only = true\n\n{text}")).expect("write");
    let run = fx.kubedrift(&global, &args);
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(run.stdout.contains("settings.read_only"), "{}", show(&run));

    let per_env = fx.config(("main", "main"), FOLDER, "read_only = true\n");
    let run = fx.kubedrift(&per_env, &args);
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(
        run.stdout
            .contains("read_only = true for environment stage"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.refs(), refs);
    assert_eq!(fx.user_state(), user);

    // A read-only environment may still get a promote/... branch for a pull request.
    let run = fx.kubedrift(&per_env, &[&args[..], &["--branch"]].concat());
    assert_eq!(run.code, 0, "{}", show(&run));
    assert_eq!(fx.refs().len(), refs.len() + 1);

    // A protected environment needs its name typed (headless: --confirm-env).
    let protected = fx.config(("main", "main"), FOLDER, "protected = true\n");
    let refs = fx.refs();
    let run = fx.kubedrift(&protected, &args);
    assert_eq!(run.code, 1, "{}", show(&run));
    assert!(run.stdout.contains("stage is protected"), "{}", show(&run));
    assert_eq!(fx.refs(), refs);
    let run = fx.kubedrift(
        &protected,
        &[&args[..], &["--confirm-env", "stage"]].concat(),
    );
    assert_eq!(run.code, 0, "{}", show(&run));
}

/// The race itself (someone pushes between the preview and the commit) can only be staged
/// between the library's two steps: the CLI runs them back to back.
#[test]
fn a_concurrent_commit_on_the_target_is_never_lost() {
    let fx = Repo::new();
    let config_path = fx.config(("main", "main"), FOLDER, "");
    let config = Config::load_file(&config_path).expect("config").config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "stage", "web").expect("stage");
    let request = Request {
        app: "web".into(),
        from: "dev".into(),
        to: "stage".into(),
        merge: false,
        new_branch: false,
    };
    let writable = Session::new(false);

    // Someone commits another file meanwhile: the promotion is rebuilt on top of it.
    let proposal = promote::prepare(&config, &from, &to, &request).expect("prepare");
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let theirs = fx.commit_on("main", &[("README.md".into(), "hello\n".into())], "docs");
    let written = commit::execute(&proposal, &capability).expect("execute");
    assert_eq!(
        written.rebuilt_on.as_deref(),
        Some(theirs.to_string().as_str())
    );
    let repo = fx.repo();
    let tip = repo.find_commit(fx.tip("main")).expect("tip");
    assert_eq!(
        tip.parent_id(0).expect("parent"),
        theirs,
        "their commit was lost"
    );
    assert_eq!(fx.file_at("main", "README.md"), "hello\n");

    // Someone changes the promoted file itself meanwhile: stop, nothing written.
    let second = fx.commit_on(
        "main",
        &[("apps/web/dev/version.yml".into(), "version: 1.6.0\n".into())],
        "dev: 1.6.0",
    );
    let proposal = promote::prepare(&config, &from, &to, &request).expect("prepare");
    let theirs = fx.commit_on(
        "main",
        &[(
            "apps/web/stage/version.yml".into(),
            "version: 1.5.1\n".into(),
        )],
        "stage hotfix",
    );
    assert_ne!(second, theirs);
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let err = commit::execute(&proposal, &capability).expect_err("moved");
    assert!(matches!(err, PromoteError::TargetMoved { .. }), "{err}");
    assert_eq!(fx.tip("main"), theirs);

    // Branch model: a fast-forward whose target moved stops; a merge is made on the new tip.
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    let branch_config_path = fx.config(("dev", "stage"), "", "");
    let config = Config::load_file(&branch_config_path)
        .expect("config")
        .config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "stage", "web").expect("stage");
    fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 2.0.0\n".into())],
        "dev 2.0.0",
    );
    let proposal = promote::prepare(&config, &from, &to, &request).expect("ff");
    let theirs = fx.commit_on(
        "stage",
        &[("STAGE.md".into(), "frozen\n".into())],
        "stage note",
    );
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let err = commit::execute(&proposal, &capability).expect_err("not a fast-forward any more");
    assert!(matches!(err, PromoteError::TargetMoved { .. }), "{err}");
    assert_eq!(fx.tip("stage"), theirs);
    let merge = Request {
        merge: true,
        ..request
    };
    let proposal = promote::prepare(&config, &from, &to, &merge).expect("merge");
    let later = fx.commit_on(
        "stage",
        &[("STAGE.md".into(), "thawed\n".into())],
        "stage note 2",
    );
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let written = commit::execute(&proposal, &capability).expect("merged on the new tip");
    assert_eq!(
        written.rebuilt_on.as_deref(),
        Some(later.to_string().as_str())
    );
    let repo = fx.repo();
    let merged = repo.find_commit(fx.tip("stage")).expect("merge");
    assert_eq!(
        merged.parent_id(0).expect("ours"),
        later,
        "their commit was lost"
    );
    assert_eq!(fx.file_at("stage", "STAGE.md"), "thawed\n");
}

#[test]
fn promotion_settings_are_checked_at_load_with_the_line_of_the_problem() {
    let base = "[[repo]]\nname = \"gitops\"\npath = \"/tmp/gitops\"\n\n[[environment]]\nname = \"dev\"\ncontext = \"dev\"\n\n[[app]]\nname = \"web\"\npath = \"apps/{app}/{env}\"\n";
    let load = |promotion: &str| {
        Config::from_str(
            &format!("{base}{promotion}"),
            Path::new("/tmp/kubedrift.toml"),
        )
    };
    let err = load("[app.promotion]\nmodel = \"folder\"\n").expect_err("no files");
    assert!(err.to_string().contains("needs `files`"), "{err}");
    assert!(err.to_string().contains("kubedrift.toml:13:"), "{err}");
    let err = load("[app.promotion]\nmodel = \"image\"\nvalues_file = \"values.yaml\"\n")
        .expect_err("no key");
    assert!(
        err.to_string().contains("`values_file` and `values_key`"),
        "{err}"
    );
    let err = load("[app.promotion]\nmodel = \"folder\"\nfiles = [\"../prod/secret.yaml\"]\n")
        .expect_err("escapes");
    assert!(err.to_string().contains("stay inside it"), "{err}");
    let err = load("[app.promotion]\nmodel = \"rsync\"\n").expect_err("unknown model");
    assert!(err.to_string().contains("rsync"), "{err}");
    let config =
        load("[app.promotion]\nmodel = \"folder\"\nfiles = [\"version.yml\"]\n").expect("valid");
    assert_eq!(
        config.apps[0].promotion.as_ref().map(|p| p.files.clone()),
        Some(vec!["version.yml".to_string()])
    );
}

/// A git capability is for one proposal's environment and ref: it cannot move another ref
/// (the read-only environment's own branch) or push one.
#[test]
fn a_git_capability_writes_and_pushes_only_the_ref_it_was_granted_for() {
    let fx = Repo::new();
    let config_path = fx.config(("main", "main"), FOLDER, "read_only = true\n");
    let config = Config::load_file(&config_path).expect("config").config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "stage", "web").expect("stage");
    let request = Request {
        app: "web".into(),
        from: "dev".into(),
        to: "stage".into(),
        merge: false,
        new_branch: true,
    };
    let on_branch = promote::prepare(&config, &from, &to, &request).expect("prepare");
    let onto_env_ref = promote::prepare(
        &config,
        &from,
        &to,
        &Request {
            new_branch: false,
            ..request
        },
    )
    .expect("prepare");
    let writable = Session::new(false);
    let capability =
        git_access(&writable, &config, &on_branch).expect("a new branch is allowed for stage");
    assert!(git_access(&writable, &config, &onto_env_ref).is_err());
    let refs = fx.refs();
    let err = commit::execute(&onto_env_ref, &capability).expect_err("not this ref");
    assert!(matches!(err, PromoteError::WrongTarget { .. }), "{err}");
    let err = commit::push(&capability, "refs/heads/main", None).expect_err("not this ref");
    assert!(matches!(err, PromoteError::WrongTarget { .. }), "{err}");
    assert_eq!(fx.refs(), refs, "a ref moved");
    let written = commit::execute(&on_branch, &capability).expect("the granted ref");
    assert_eq!(written.reference, capability.write_ref());
    assert_eq!(fx.tip("main"), on_branch.target_tip());
}

/// A remote URL may embed credentials; a failed push quotes it. The token never shows.
#[test]
fn a_failed_push_never_shows_the_credentials_of_the_remote_url() {
    let fx = Repo::new();
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    let missing = fx.dir.path().join("no-such-remote.git");
    let url = format!("file://dana:s3cr3t-t0ken@{}", missing.display());
    fx.repo().remote("origin", &url).expect("origin");
    fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.6.0\n".into())],
        "web: 1.6.0",
    );
    let config = fx.config(("dev", "stage"), "", "");
    for output in [&[][..], &["-o", "json"][..]] {
        let run = fx.kubedrift(
            &config,
            &[&PROMOTE[..], &["--yes", "--push", "--branch"], output].concat(),
        );
        assert_eq!(run.code, 2, "{}", show(&run));
        assert!(
            !run.stdout.contains("s3cr3t") && !run.stderr.contains("s3cr3t"),
            "{}",
            show(&run)
        );
    }
}

const SECRET_DEV: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\ntype: Opaque\nstringData:\n  password: hunter2-dev\ndata:\n  token: czNjcjN0LWRldg==\n";
const SECRET_STAGE: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\ntype: Opaque\nstringData:\n  password: hunter2-stage\ndata:\n  token: czNjcjN0LXN0YWdl\n";
/// Mentions a Secret, does not parse.
const SECRET_BROKEN: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-raw\nstringData:\n  password: hunter2-raw\n  x: [\n";

fn assert_no_secret_value(text: &str) {
    for value in ["hunter2", "czNjcjN0", "s3cr3t", "aHVudGVyMi"] {
        assert!(!text.contains(value), "{value} shown:\n{text}");
    }
}

/// The preview (text, JSON, Debug) of a folder promotion of a Secret manifest and of a
/// branch fast-forward touching Secrets shows keys and that values changed, never a value.
#[test]
fn a_promotion_preview_never_shows_secret_values() {
    let fx = Repo::new();
    fx.commit_on(
        "main",
        &[
            ("apps/web/dev/secret.yaml".into(), SECRET_DEV.into()),
            ("apps/web/stage/secret.yaml".into(), SECRET_STAGE.into()),
        ],
        "web: secrets",
    );
    let folder = "[app.promotion]\nmodel = \"folder\"\nfiles = [\"secret.yaml\"]\n";
    let config = fx.config(("main", "main"), folder, "");
    for output in [&[][..], &["-o", "json"][..]] {
        let run = fx.kubedrift(&config, &[&PROMOTE[..], output].concat());
        assert_eq!(run.code, 1, "{}", show(&run));
        assert!(run.stdout.contains("password"), "{}", show(&run));
        assert!(run.stdout.contains("+++++++"), "{}", show(&run));
        assert_no_secret_value(&run.stdout);
        assert_no_secret_value(&run.stderr);
    }
    let loaded = Config::load_file(&config).expect("config").config;
    let request = Request {
        app: "web".into(),
        from: "dev".into(),
        to: "stage".into(),
        merge: false,
        new_branch: false,
    };
    let proposal = promote::prepare_request(&loaded, &request).expect("prepare");
    assert_no_secret_value(&format!("{proposal:?}"));
    assert_no_secret_value(proposal.diff());

    // Branch model: a fast-forward touching a Secret and an unparsable file mentioning one.
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    fx.commit_on(
        "dev",
        &[
            (
                "apps/web/stage/secret.yaml".into(),
                SECRET_STAGE.replace("hunter2-stage", "hunter2-next"),
            ),
            ("apps/web/stage/raw.yaml".into(), SECRET_BROKEN.into()),
        ],
        "stage: rotate",
    );
    let config = fx.config(("dev", "stage"), "", "");
    for output in [&[][..], &["-o", "json"][..]] {
        let run = fx.kubedrift(&config, &[&PROMOTE[..], output].concat());
        assert_eq!(run.code, 1, "{}", show(&run));
        assert!(run.stdout.contains("content hidden"), "{}", show(&run));
        assert!(run.stdout.contains("password"), "{}", show(&run));
        assert_no_secret_value(&run.stdout);
        assert_no_secret_value(&run.stderr);
    }
}

/// A branch checked out in the work tree or in a linked worktree is never moved (git's
/// denyCurrentBranch): refused without --branch, nothing written; --branch works.
#[test]
fn a_checked_out_branch_is_not_moved() {
    let fx = Repo::new();
    let config = fx.config(("main", "main"), FOLDER, "");
    let repo = fx.repo();
    repo.set_head("refs/heads/main").expect("head on main");
    let refs = fx.refs();
    let user = fx.user_state();
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes"]].concat());
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stderr.contains("main is checked out in") && run.stderr.contains("--branch"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.refs(), refs);
    assert_eq!(fx.user_state(), user);
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes", "--branch"]].concat());
    assert_eq!(run.code, 0, "{}", show(&run));
    assert_eq!(
        fx.tip("main"),
        refs["refs/heads/main"].parse().expect("oid")
    );

    // A linked worktree on the target branch.
    repo.set_head("refs/heads/work").expect("head on work");
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    let linked = fx.dir.path().join("stage-tree");
    let stage = repo.find_reference("refs/heads/stage").expect("stage");
    let mut options = git2::WorktreeAddOptions::new();
    options.reference(Some(&stage));
    repo.worktree("stage-tree", &linked, Some(&options))
        .expect("worktree");
    fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.6.0\n".into())],
        "web: 1.6.0",
    );
    let config = fx.config(("dev", "stage"), "", "");
    let refs = fx.refs();
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes"]].concat());
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stderr.contains("stage is checked out in") && run.stderr.contains("stage-tree"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.refs(), refs);
}

/// A ref update that fails for another reason than a moved target (here: git's lock file)
/// is reported as git's error, not as "moved" or "exists"; names are validated up front.
#[test]
fn ref_update_errors_are_not_mistaken_for_a_moved_target() {
    let fx = Repo::new();
    let config_path = fx.config(("main", "main"), FOLDER, "");
    let config = Config::load_file(&config_path).expect("config").config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "stage", "web").expect("stage");
    let request = Request {
        app: "web".into(),
        from: "dev".into(),
        to: "stage".into(),
        merge: false,
        new_branch: false,
    };
    let writable = Session::new(false);
    let lock = fx.path().join(".git/refs/heads/main.lock");
    std::fs::write(&lock, "").expect("lock");
    let proposal = promote::prepare(&config, &from, &to, &request).expect("prepare");
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let err = commit::execute(&proposal, &capability).expect_err("locked");
    assert!(matches!(err, PromoteError::Git(_)), "{err:?}");
    std::fs::remove_file(&lock).expect("unlock");

    let branch = Request {
        new_branch: true,
        ..request.clone()
    };
    let proposal = promote::prepare(&config, &from, &to, &branch).expect("prepare");
    let lock = fx
        .path()
        .join(format!(".git/{}.lock", proposal.write_ref()));
    std::fs::create_dir_all(lock.parent().expect("dir")).expect("mkdir");
    std::fs::write(&lock, "").expect("lock");
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let err = commit::execute(&proposal, &capability).expect_err("locked");
    assert!(matches!(err, PromoteError::Git(_)), "{err:?}");

    // A name git would refuse (from an app name) stops before anything is computed on it.
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.6.0\n".into())],
        "web: 1.6.0",
    );
    let config = Config::load_file(&fx.config(("dev", "stage"), "", ""))
        .expect("config")
        .config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "stage", "web").expect("stage");
    let bad = Request {
        app: "we~b".into(),
        ..branch
    };
    let err = promote::prepare(&config, &from, &to, &bad).expect_err("invalid name");
    assert!(matches!(err, PromoteError::InvalidRefName(_)), "{err:?}");
}

/// A merge previewed on one tip is made again on a moved tip only when the commits that
/// landed there leave the merged paths alone; otherwise the tree would be one the user
/// never saw: stop, nothing written.
#[test]
fn a_merge_is_not_rebuilt_over_commits_touching_the_merged_files() {
    let fx = Repo::new();
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    fx.commit_on(
        "stage",
        &[("STAGE.md".into(), "frozen\n".into())],
        "stage note",
    );
    fx.commit_on(
        "dev",
        &[(
            "apps/web/dev/kustomization.yaml".into(),
            KUSTOMIZATION.replace("{tag}", "2.0.0"),
        )],
        "dev 2.0.0",
    );
    let config = Config::load_file(&fx.config(("dev", "stage"), "", ""))
        .expect("config")
        .config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "stage", "web").expect("stage");
    let request = Request {
        app: "web".into(),
        from: "dev".into(),
        to: "stage".into(),
        merge: true,
        new_branch: false,
    };
    let proposal = promote::prepare(&config, &from, &to, &request).expect("merge");
    assert!(proposal.diff().contains("2.0.0"), "{}", proposal.diff());
    // Someone edits another line of the same file on stage: git would merge it cleanly,
    // but the merged file is no longer the one previewed.
    let theirs = fx.commit_on(
        "stage",
        &[(
            "apps/web/dev/kustomization.yaml".into(),
            KUSTOMIZATION
                .replace("{tag}", "1.5.0")
                .replace("resources:\n", "resources: # stage\n"),
        )],
        "stage: annotate",
    );
    let capability = git_access(&Session::new(false), &config, &proposal).expect("writable");
    let err = commit::execute(&proposal, &capability).expect_err("merged files moved");
    assert!(matches!(err, PromoteError::TargetMoved { .. }), "{err}");
    assert_eq!(fx.tip("stage"), theirs);
}

/// The compare-and-swap itself: a ref that moves between building the commit and updating
/// the ref is not overwritten (and a new branch that appeared meanwhile is not either).
#[test]
fn the_ref_update_is_a_compare_and_swap() {
    let fx = Repo::new();
    let config_path = fx.config(("main", "main"), FOLDER, "");
    let config = Config::load_file(&config_path).expect("config").config;
    let repos = kubedrift::desired::Repos::open(&config);
    let from = kubedrift::desired::find_app(&config, &repos, "dev", "web").expect("dev");
    let to = kubedrift::desired::find_app(&config, &repos, "stage", "web").expect("stage");
    let request = Request {
        app: "web".into(),
        from: "dev".into(),
        to: "stage".into(),
        merge: false,
        new_branch: false,
    };
    let writable = Session::new(false);
    let proposal = promote::prepare(&config, &from, &to, &request).expect("prepare");
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let built = commit::build(&proposal, &capability).expect("build");
    assert_eq!(built.base(), proposal.target_tip());
    assert_eq!(fx.tip("main"), proposal.target_tip(), "build moved a ref");
    let theirs = fx.commit_on("main", &[("README.md".into(), "hi\n".into())], "docs");
    let err = commit::update_ref(&proposal, &capability, &built).expect_err("moved");
    assert!(matches!(err, PromoteError::TargetMoved { .. }), "{err}");
    assert_eq!(fx.tip("main"), theirs, "their commit was overwritten");

    let branch = Request {
        new_branch: true,
        ..request
    };
    let proposal = promote::prepare(&config, &from, &to, &branch).expect("prepare");
    let capability = git_access(&writable, &config, &proposal).expect("writable");
    let built = commit::build(&proposal, &capability).expect("build");
    let name = proposal
        .write_ref()
        .trim_start_matches("refs/heads/")
        .to_string();
    fx.branch("main", &name);
    let err = commit::update_ref(&proposal, &capability, &built).expect_err("exists");
    assert!(matches!(err, PromoteError::BranchExists(_)), "{err}");
    assert_eq!(fx.tip(&name), theirs);
}

/// For a repo with a `url`, the live view follows origin/<branch>: a promotion from or to a
/// local branch that disagrees with it is refused, nothing written.
#[test]
fn a_local_branch_that_disagrees_with_origin_is_not_promoted() {
    let fx = Repo::new();
    fx.branch("main", "dev");
    fx.branch("main", "stage");
    let remote_path = fx.dir.path().join("remote.git");
    Repository::init_bare(&remote_path).expect("bare");
    let url = remote_path.to_str().expect("utf-8").to_string();
    let local = fx.repo();
    local.remote("origin", &url).expect("origin");
    let mut origin = local.find_remote("origin").expect("origin");
    origin
        .push(
            &[
                "refs/heads/dev:refs/heads/dev",
                "refs/heads/stage:refs/heads/stage",
            ],
            None,
        )
        .expect("push");
    origin.fetch(&["dev", "stage"], None, None).expect("fetch");
    let config = fx.config(("dev", "stage"), "", "");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        text.replacen(
            "\n\n[[environment]]",
            &format!("\nurl = \"{url}\"\n\n[[environment]]"),
            1,
        ),
    )
    .expect("config");
    // A local commit on dev that origin (what kubedrift shows) does not have.
    fx.commit_on(
        "dev",
        &[("apps/web/dev/version.yml".into(), "version: 1.6.0\n".into())],
        "web: 1.6.0 (not pushed)",
    );
    let refs = fx.refs();
    let run = fx.kubedrift(&config, &[&PROMOTE[..], &["--yes"]].concat());
    assert_eq!(run.code, 2, "{}", show(&run));
    assert!(
        run.stderr.contains("local branch dev") && run.stderr.contains("origin/dev"),
        "{}",
        show(&run)
    );
    assert_eq!(fx.refs(), refs);
}
