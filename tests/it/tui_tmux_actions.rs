//! End-to-end in tmux, writable: the real binary's `s` on an OutOfSync app shows the plan
//! (an object Git dropped left alone until `x` turns prune on, then listed as pruned), `y`
//! applies it and the app turns Synced from the watch; `p` shows the promotion plan with
//! its choices, `u` turns the push on, `y` commits on a new promote/ branch and pushes it —
//! checked afterwards in the git objects, the bare remote and the cluster.

use crate::live_support::{deployment, Fixture};
use crate::tui_tmux::{shell_quote, tmux_available, Tmux};
use std::path::Path;

fn tools_missing() -> bool {
    kubedrift_testkit::tool_missing("tmux is not installed", !tmux_available())
        || kubedrift_testkit::kubectl_missing()
}

/// The TUI, writable, on the fixture's config in a 160×48 tmux pane.
fn open_tui(fx: &Fixture, name: &str) -> (Tmux, std::path::PathBuf) {
    let exit_file = fx.dir.path().join(format!("{name}-exit-code"));
    let home = fx.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let command = format!(
        "{} --kubeconfig {} --config {}; echo $? > {}",
        shell_quote(Path::new(env!("CARGO_BIN_EXE_kubedrift"))),
        shell_quote(&fx.kubeconfig_path()),
        shell_quote(&fx.config_path()),
        shell_quote(&exit_file),
    );
    let data = fx.dir.path().join("data");
    let tmux = Tmux::start(
        name,
        &command,
        &[
            ("HOME", &home.display().to_string()),
            ("KUBEDRIFT_DATA_DIR", &data.display().to_string()),
        ],
    );
    (tmux, exit_file)
}

fn quit(tmux: &Tmux, exit_file: &Path) {
    tmux.keys(&["Escape"]);
    tmux.wait_for("the overview again", |s| s.contains("sort:"));
    tmux.keys(&["q"]);
    let code = tmux.wait_for_exit(exit_file);
    assert_eq!(code, "0", "exit code; screen:\n{}", tmux.screen());
}

#[test]
fn s_in_tmux_plans_confirms_and_the_app_turns_synced_from_the_watch() {
    if tools_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    // Git moves on: a new image for dev, not deployed.
    fx.commit(
        &[(
            "apps/web/dev/deployment.yaml".to_string(),
            deployment("registry.example.com/shop/web:1.5.0", 2),
        )],
        "web: 1.5.0 in dev",
    );
    // An object an earlier sync of web in dev made, which Git no longer has.
    let dropped = fx.file(
        "web-old.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-old\n  namespace: shop\n  labels:\n    kubedrift.io/app: web\n    kubedrift.io/env: dev\ndata:\n  LOG_LEVEL: debug\n",
    );
    fx.apply_as_kubedrift("dev", Path::new(&dropped));
    let (tmux, exit_file) = open_tui(&fx, "sync");
    tmux.wait_for("web OutOfSync in dev", |s| {
        s.contains("DEV") && s.contains(" 1 outofsync") && !s.contains("loading")
    });
    assert!(!tmux.screen().contains("READ-ONLY"));

    tmux.keys(&["s"]);
    let plan = tmux.wait_for("the sync plan", |s| {
        s.contains("apply this plan? y / Enter") && s.contains("web:1.5.0")
    });
    assert!(plan.contains("sync web in dev (now OutOfSync)"), "{plan}");
    assert!(plan.contains("update apps/Deployment/shop/web"), "{plan}");
    assert!(plan.contains("prune off (x)"), "{plan}");
    assert!(
        plan.contains("left alone ConfigMap/shop/web-old: not in Git any more"),
        "{plan}"
    );
    // x: prune on, planned again; the plan lists the one object it deletes.
    tmux.keys(&["x"]);
    let plan = tmux.wait_for("the plan with prune", |s| {
        s.contains("prune ON (x): 1 object(s)") && s.contains("apply this plan?")
    });
    assert!(plan.contains("prune  ConfigMap/shop/web-old"), "{plan}");
    assert!(plan.contains("update apps/Deployment/shop/web"), "{plan}");
    // Nothing applied before the confirmation.
    assert_eq!(
        fx.jsonpath(
            &["--context", "dev", "-n", "shop", "deployment/web"],
            "{.spec.template.spec.containers[0].image}"
        ),
        "registry.example.com/shop/web:1.4.2"
    );

    tmux.keys(&["y"]);
    let result = tmux.wait_for("the result", |s| s.contains("synced: every step succeeded"));
    assert!(result.contains("ConfigMap/shop/web-old pruned"), "{result}");
    // The verdict comes from the watch, not from the result.
    tmux.wait_for("web Synced in dev, as the watch sees it", |s| {
        s.contains("sync web in dev (now Synced)")
    });
    assert_eq!(
        fx.jsonpath(
            &["--context", "dev", "-n", "shop", "deployment/web"],
            "{.spec.template.spec.containers[0].image}"
        ),
        "registry.example.com/shop/web:1.5.0"
    );
    let gone = fx.kubectl(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "get",
        "configmap",
        "web-old",
    ]);
    assert!(gone.stderr.contains("NotFound"), "{}", gone.stderr);
    // Only what the plan listed: the app's other objects are still there.
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "get",
        "configmap",
        "web-config",
    ]);
    quit(&tmux, &exit_file);
    let (audit, _) = kubedrift::actions::audit::read(&fx.dir.path().join("data/audit.jsonl"), None)
        .expect("audit log");
    assert_eq!(
        audit
            .iter()
            .map(|e| (e.action.as_str(), e.env.as_str(), e.ok))
            .collect::<Vec<_>>(),
        [("sync", "dev", true)]
    );
}

#[test]
fn p_in_tmux_shows_the_promotion_plan_then_commits_and_pushes_a_promote_branch() {
    if tools_missing() {
        return;
    }
    let fx = Fixture::start(&["dev", "stage"], &[("dev", "dev"), ("stage", "stage")]);
    fx.deploy("stage", "stage");
    fx.commit(
        &[(
            "apps/web/dev/deployment.yaml".to_string(),
            deployment("registry.example.com/shop/web:1.5.0", 2),
        )],
        "web: 1.5.0 in dev",
    );
    fx.deploy("dev", "dev");
    let mut config = std::fs::read_to_string(fx.config_path()).expect("config");
    config.push_str("[app.promotion]\nmodel = \"folder\"\nfiles = [\"deployment.yaml\"]\n");
    std::fs::write(fx.config_path(), config).expect("config written");
    let remote_path = fx.dir.path().join("remote.git");
    let remote = git2::Repository::init_bare(&remote_path).expect("bare remote");
    let repo = git2::Repository::open(fx.repo_path()).expect("repo");
    // The user's git identity, as their own config has it.
    let mut git_config = repo.config().expect("git config");
    git_config.set_str("user.name", "Dana SRE").expect("name");
    git_config
        .set_str("user.email", "dana@example.com")
        .expect("email");
    repo.remote("origin", remote_path.to_str().expect("utf-8"))
        .expect("origin");
    let main_before = repo.refname_to_id("refs/heads/main").expect("main");
    let stage_file = fx.repo_path().join("apps/web/stage/deployment.yaml");
    let stage_file_before = std::fs::read(&stage_file).expect("work tree file");
    let writes = |fx: &Fixture| -> u64 {
        ["dev", "stage"]
            .iter()
            .map(|c| fx.sandbox.cluster(c).expect("cluster").write_requests())
            .sum()
    };
    let writes_before = writes(&fx);

    let (tmux, exit_file) = open_tui(&fx, "promote");
    tmux.wait_for("dev and stage, settled and synced", |s| {
        s.contains("DEV")
            && s.contains("STAGE")
            && s.contains(" 2 synced")
            && !s.contains("loading")
    });
    tmux.keys(&["l"]);
    tmux.keys(&["p"]);
    let plan = tmux.wait_for("the promotion plan", |s| {
        s.contains("commit onto refs/heads/promote/web/stage/")
    });
    assert!(plan.contains("promote web from dev to stage"), "{plan}");
    assert!(plan.contains("from   dev (main at"), "{plan}");
    assert!(
        plan.contains("onto   new branch refs/heads/promote/web/stage/"),
        "{plan}"
    );
    assert!(plan.contains("push   no   u: push to origin"), "{plan}");
    assert!(plan.contains("+") && plan.contains("web:1.5.0"), "{plan}");
    // m: onto the environments' own ref, main — checked out in the work tree: refused, as
    // headless; m again goes back to a new branch.
    tmux.keys(&["m"]);
    let refused = tmux.wait_for("the checked-out branch refused", |s| {
        s.contains("could not prepare: main is checked out in")
    });
    assert!(refused.contains("m: on a new promote/ branch"), "{refused}");
    tmux.keys(&["m"]);
    tmux.wait_for("the promotion plan again", |s| {
        s.contains("commit onto refs/heads/promote/web/stage/")
    });

    tmux.keys(&["u"]);
    tmux.wait_for("the push turned on", |s| {
        s.contains("push   yes, to origin")
    });
    tmux.keys(&["y"]);
    let done = tmux.wait_for("the commit and the push", |s| {
        s.contains("committed ") && s.contains("pushed to origin")
    });
    let branch = repo
        .references_glob("refs/heads/promote/web/stage/*")
        .expect("glob")
        .flatten()
        .filter_map(|r| r.name().ok().map(str::to_string))
        .next()
        .unwrap_or_else(|| panic!("no promote branch; screen:\n{done}"));
    assert!(done.contains(&branch), "{done}");

    // Git: a commit on the new branch whose parent is main, with dev's Deployment in stage's
    // folder; main, the work tree and the clusters untouched; the remote has the branch.
    let tip = repo
        .find_reference(&branch)
        .and_then(|r| r.peel_to_commit())
        .expect("commit");
    assert_eq!(tip.parent_id(0).expect("parent"), main_before);
    let blob = tip
        .tree()
        .and_then(|t| t.get_path(Path::new("apps/web/stage/deployment.yaml")))
        .and_then(|e| e.to_object(&repo))
        .and_then(|o| o.peel_to_blob())
        .expect("promoted file");
    assert!(String::from_utf8_lossy(blob.content()).contains("web:1.5.0"));
    assert_eq!(
        repo.refname_to_id("refs/heads/main").expect("main"),
        main_before
    );
    assert_eq!(
        std::fs::read(&stage_file).expect("work tree file"),
        stage_file_before
    );
    assert_eq!(remote.refname_to_id(&branch).expect("pushed"), tip.id());
    assert_eq!(writes(&fx), writes_before, "a promotion writes no cluster");

    quit(&tmux, &exit_file);
}

#[test]
fn m_in_tmux_moves_a_protected_environments_own_branch_after_its_name_is_typed_and_pushes_it() {
    if tools_missing() {
        return;
    }
    let fx = Fixture::start(&["dev", "stage"], &[("dev", "dev"), ("stage", "stage")]);
    fx.deploy("dev", "dev");
    fx.deploy("stage", "stage");
    let repo = git2::Repository::open(fx.repo_path()).expect("repo");
    let mut git_config = repo.config().expect("git config");
    git_config.set_str("user.name", "Dana SRE").expect("name");
    git_config
        .set_str("user.email", "dana@example.com")
        .expect("email");
    // A branch per environment (neither checked out); dev's is one commit ahead.
    let main = repo
        .find_reference("refs/heads/main")
        .and_then(|r| r.peel_to_commit())
        .expect("main");
    repo.branch("stage", &main, false).expect("stage branch");
    fx.commit(
        &[(
            "apps/web/stage/configmap.yaml".to_string(),
            crate::live_support::CONFIGMAP.replace("LOG_LEVEL: info", "LOG_LEVEL: debug"),
        )],
        "web: debug logging",
    );
    let ahead = repo.refname_to_id("refs/heads/main").expect("main");
    repo.reference("refs/heads/dev", ahead, false, "dev branch")
        .expect("dev branch");
    let config = std::fs::read_to_string(fx.config_path())
        .expect("config")
        .replace(
            "name = \"dev\"\ncontext = \"dev\"\n",
            "name = \"dev\"\ncontext = \"dev\"\nref = \"dev\"\n",
        )
        .replace(
            "name = \"stage\"\ncontext = \"stage\"\n",
            "name = \"stage\"\ncontext = \"stage\"\nref = \"stage\"\nprotected = true\n",
        );
    std::fs::write(fx.config_path(), config).expect("config written");
    let remote_path = fx.dir.path().join("remote.git");
    let remote = git2::Repository::init_bare(&remote_path).expect("bare remote");
    repo.remote("origin", remote_path.to_str().expect("utf-8"))
        .expect("origin");

    let (tmux, exit_file) = open_tui(&fx, "envref");
    tmux.wait_for("dev and stage, settled and synced", |s| {
        s.contains("DEV")
            && s.contains("STAGE")
            && s.contains(" 2 synced")
            && !s.contains("loading")
    });
    tmux.keys(&["l"]);
    tmux.keys(&["p"]);
    tmux.wait_for("the promotion plan", |s| {
        s.contains("onto   new branch refs/heads/promote/web/stage/")
    });
    // m: onto stage's own branch; stage is protected, so its name is asked after y.
    tmux.keys(&["m"]);
    let plan = tmux.wait_for("the plan onto stage's own branch", |s| {
        s.contains("onto   refs/heads/stage itself (compare-and-swap)")
    });
    assert!(
        plan.contains("stage is protected: y / Enter, then type its name"),
        "{plan}"
    );
    assert!(plan.contains("LOG_LEVEL: debug"), "{plan}");
    tmux.keys(&["u"]);
    tmux.wait_for("the push turned on", |s| {
        s.contains("push   yes, to origin")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the name asked for", |s| {
        s.contains("stage is protected: type its name, then Enter to commit onto refs/heads/stage")
    });
    // A wrong name writes nothing.
    tmux.keys(&["-l", "stag"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("still asking", |s| s.contains("(Esc cancels): stag"));
    assert_eq!(
        repo.refname_to_id("refs/heads/stage").expect("stage"),
        main.id()
    );
    tmux.keys(&["-l", "e"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the fast-forward and the push", |s| {
        s.contains("on refs/heads/stage") && s.contains("pushed to origin")
    });
    assert_eq!(
        repo.refname_to_id("refs/heads/stage").expect("stage"),
        ahead,
        "stage fast-forwarded to dev"
    );
    assert_eq!(
        remote.refname_to_id("refs/heads/stage").expect("pushed"),
        ahead
    );
    // The live view follows stage's new commit: the ConfigMap now differs in stage.
    tmux.keys(&["Escape"]);
    tmux.wait_for("stage drifting from its new commit", |s| {
        s.contains(" 1 outofsync")
    });
    quit(&tmux, &exit_file);
}
