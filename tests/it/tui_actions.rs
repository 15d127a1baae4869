//! The TUI's `s` / `p` keys against sandbox clusters, through the model driven by key events
//! with its effects run by the same tasks the terminal UI runs (`kubedrift::tui::tasks`):
//! read-only (`--read-only`, or viewer credentials without the flag) every key of the keymap
//! pressed in every view writes nothing — counted by the API server — and leaves the repo's
//! refs and files as they were; writable, `s` plans, confirms and syncs a drifted app.

use crate::live_support::{Fixture, WAIT};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kubedrift::actions::Session;
use kubedrift::config::Config;
use kubedrift::live::{Live, LiveOptions};
use kubedrift::state::SyncState;
use kubedrift::tui::keymap::{Key, BINDINGS};
use kubedrift::tui::model::{Effect, Model, Msg, PromoteStage, Prompt, SyncStage, View};
use kubedrift::tui::tasks::{self, TaskContext};
use kubedrift::tui::theme::Theme;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The model, the live layer and the tasks, wired as the terminal UI's event loop wires them.
struct Driver {
    model: Model,
    live: Live,
    config: Config,
    kubeconfig: kube::config::Kubeconfig,
    tasks: TaskContext,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    /// Tasks started whose reply has not come yet (each task replies once).
    pending: usize,
    /// Drop the access check (so that `s` goes on to plan and `y` to ask for the capability).
    skip_access_check: bool,
}

fn live_options(config: &Config, kubeconfig: &kube::config::Kubeconfig) -> LiveOptions {
    LiveOptions {
        config: config.clone(),
        kubeconfig: kubeconfig.clone(),
        contexts: Vec::new(),
        env: None,
        app: None,
        revision: None,
    }
}

impl Driver {
    async fn start(
        fx: &Fixture,
        config_path: &Path,
        read_only: bool,
        skip_access_check: bool,
    ) -> Driver {
        let config = Config::load_file(config_path).expect("config").config;
        let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
            .expect("kubeconfig");
        let live = Live::start(live_options(&config, &kubeconfig)).expect("live starts");
        let (snapshot, ok) = live
            .wait_until(WAIT, |s| {
                s.app("web", "dev")
                    .is_some_and(|a| a.sync == SyncState::OutOfSync)
            })
            .await;
        assert!(
            ok,
            "web@dev never drifted: {:?}",
            snapshot.app("web", "dev")
        );
        let model = Model::new(
            snapshot,
            config.environments.iter().map(|e| e.name.clone()).collect(),
            Theme::dark(),
            read_only,
            None,
            jiff::Timestamp::now(),
        );
        let (tx, rx) = mpsc::unbounded_channel();
        let mut driver = Driver {
            model,
            live,
            tasks: TaskContext {
                config: config.clone(),
                kubeconfig: kubeconfig.clone(),
                session: Session::new(read_only),
                audit_log: Some(fx.dir.path().join("data/audit.jsonl")),
            },
            config,
            kubeconfig,
            tx,
            rx,
            pending: 0,
            skip_access_check,
        };
        driver.model.update(Msg::Resize(160, 48));
        driver.message(Msg::Tick(jiff::Timestamp::now())).await;
        let snapshot = driver.live.snapshot();
        driver.message(Msg::Snapshot(snapshot)).await;
        driver
    }

    /// Perform effects as the runtime does (quit is ignored: the test goes on).
    async fn perform(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Quit => self.model.quit = false,
                Effect::Refresh => {
                    self.live = Live::start(live_options(&self.config, &self.kubeconfig))
                        .expect("live restarts");
                    let (_, ok) = self
                        .live
                        .wait_until(WAIT, |s| {
                            s.app("web", "dev")
                                .is_some_and(|a| a.sync != SyncState::Loading)
                        })
                        .await;
                    assert!(ok, "the new live layer never loaded web@dev");
                    queue.extend(self.model.update(Msg::Snapshot(self.live.snapshot())));
                }
                Effect::Copy(_) | Effect::LoadTheme(_) => {}
                Effect::CheckWrite { .. } if self.skip_access_check => {}
                task => {
                    let handed_back =
                        tasks::spawn(task, &self.tasks, self.live.snapshot(), &self.tx);
                    assert!(handed_back.is_none(), "{handed_back:?} is a task");
                    self.pending += 1;
                }
            }
        }
    }

    /// Send `msg`, then wait for every task it started (and their follow-ups) to answer.
    async fn message(&mut self, msg: Msg) {
        let effects = self.model.update(msg);
        self.perform(effects).await;
        while self.pending > 0 {
            let reply = tokio::time::timeout(WAIT, self.rx.recv())
                .await
                .expect("every task answers")
                .expect("the channel is open");
            self.pending -= 1;
            let effects = self.model.update(reply);
            self.perform(effects).await;
        }
    }

    async fn press(&mut self, event: KeyEvent) {
        self.message(Msg::Key(event)).await;
        let snapshot = self.live.snapshot();
        self.message(Msg::Snapshot(snapshot)).await;
    }

    async fn char(&mut self, c: char) {
        self.press(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
            .await;
    }

    async fn code(&mut self, code: KeyCode) {
        self.press(KeyEvent::new(code, KeyModifiers::NONE)).await;
    }

    /// Back to the overview with no prompt and no filter.
    async fn home(&mut self) {
        for _ in 0..12 {
            if self.model.prompt == Prompt::None
                && self.model.view() == View::Overview
                && self.model.filter.is_empty()
            {
                return;
            }
            self.code(KeyCode::Esc).await;
        }
        panic!("Esc never led back to the overview");
    }

    /// Go to `view` the way a user does; false when it cannot be reached in this session.
    async fn go(&mut self, view: View) -> bool {
        self.home().await;
        match view {
            View::Overview => {}
            View::App => self.code(KeyCode::Enter).await,
            View::Diff => {
                self.code(KeyCode::Enter).await;
                self.char('d').await;
            }
            View::Promotion => self.char('P').await,
            View::Clusters => self.char('c').await,
            View::Events => self.char('e').await,
            View::Help => self.char('?').await,
            View::Sync => self.char('s').await,
            View::Promote => {
                // Into stage, from dev.
                self.char('l').await;
                self.char('p').await;
            }
        }
        self.model.view() == view
    }

    /// Every key of the keymap, each pressed in every view.
    async fn press_every_key_in_every_view(&mut self) -> Vec<View> {
        let views = [
            View::Overview,
            View::App,
            View::Diff,
            View::Promotion,
            View::Clusters,
            View::Events,
            View::Help,
            View::Sync,
            View::Promote,
        ];
        let mut reached = Vec::new();
        for view in views {
            for binding in BINDINGS {
                for key in binding.keys {
                    if !self.go(view).await {
                        break;
                    }
                    self.press(event(*key)).await;
                    // A key that opened a prompt: type into it and run it too.
                    if self.model.prompt != Prompt::None {
                        self.char('w').await;
                        self.code(KeyCode::Enter).await;
                    }
                }
            }
            if self.go(view).await {
                reached.push(view);
            }
        }
        reached
    }
}

fn event(key: Key) -> KeyEvent {
    let plain = |code| KeyEvent::new(code, KeyModifiers::NONE);
    match key {
        Key::Char(c) => plain(KeyCode::Char(c)),
        Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
        Key::Enter => plain(KeyCode::Enter),
        Key::Esc => plain(KeyCode::Esc),
        Key::Up => plain(KeyCode::Up),
        Key::Down => plain(KeyCode::Down),
        Key::Left => plain(KeyCode::Left),
        Key::Right => plain(KeyCode::Right),
        Key::PageUp => plain(KeyCode::PageUp),
        Key::PageDown => plain(KeyCode::PageDown),
        Key::Home => plain(KeyCode::Home),
        Key::End => plain(KeyCode::End),
        Key::Tab => plain(KeyCode::Tab),
    }
}

/// Every ref (name → target) and every file under the repo (`.git` included) with its bytes.
fn repo_state(repo: &Path) -> (BTreeMap<String, String>, BTreeMap<PathBuf, Vec<u8>>) {
    let git = git2::Repository::open(repo).expect("open repo");
    let refs = git
        .references()
        .expect("refs")
        .flatten()
        .map(|r| {
            let target = r
                .target()
                .map(|t| t.to_string())
                .or_else(|| r.symbolic_target().ok().flatten().map(str::to_string))
                .unwrap_or_default();
            (r.name().unwrap_or("?").to_string(), target)
        })
        .collect();
    let mut files = BTreeMap::new();
    let mut dirs = vec![repo.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).expect("read file"));
            }
        }
    }
    (refs, files)
}

/// Write requests both clusters' API servers counted.
fn dev_writes(fx: &Fixture) -> u64 {
    ["dev", "stage"]
        .iter()
        .map(|c| fx.sandbox.cluster(c).expect("cluster").write_requests())
        .sum()
}

/// Clusters `dev` and `stage` (environments of the same names), app `web` deployed in both,
/// then its ConfigMap deleted in dev (Missing); Git has a newer image for dev than stage.
fn drifted_dev() -> Fixture {
    let fx = Fixture::start(&["dev", "stage"], &[("dev", "dev"), ("stage", "stage")]);
    fx.commit(
        &[(
            "apps/web/dev/deployment.yaml".to_string(),
            crate::live_support::deployment("registry.example.com/shop/web:1.5.0", 2),
        )],
        "web: 1.5.0 in dev",
    );
    fx.deploy("dev", "dev");
    fx.deploy("stage", "stage");
    // Promotion copies the Deployment's file from dev's folder to stage's.
    let mut config = std::fs::read_to_string(fx.config_path()).expect("config");
    config.push_str("[app.promotion]\nmodel = \"folder\"\nfiles = [\"deployment.yaml\"]\n");
    std::fs::write(fx.config_path(), config).expect("config written");
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "delete",
        "configmap",
        "web-config",
    ]);
    fx
}

/// The fixture's config with the environment on the viewer context (no `--read-only`).
fn viewer_config(fx: &Fixture) -> PathBuf {
    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    let path = fx.dir.path().join("viewer.toml");
    std::fs::write(
        &path,
        config
            .replacen("context = \"dev\"\n", "context = \"dev-viewer\"\n", 1)
            .replacen("context = \"stage\"\n", "context = \"stage-viewer\"\n", 1),
    )
    .expect("viewer config");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_flag_every_key_in_every_view_writes_nothing() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = drifted_dev();
    let mut tui = Driver::start(&fx, &fx.config_path(), true, false).await;
    let writes = dev_writes(&fx);
    let repo = repo_state(&fx.repo_path());

    tui.home().await;
    tui.char('s').await;
    assert_eq!(
        tui.model.status.as_deref(),
        Some("sync disabled: dev is read-only: the session was started with --read-only")
    );
    let reached = tui.press_every_key_in_every_view().await;

    assert!(
        !reached.contains(&View::Sync),
        "read-only: the sync view is never reached"
    );
    assert_eq!(
        reached.len(),
        7,
        "every other view was reached: {reached:?}"
    );
    assert!(!fx.dir.path().join("data/audit.jsonl").exists());
    assert_eq!(dev_writes(&fx), writes, "the API server saw writes");
    assert!(repo == repo_state(&fx.repo_path()), "the repo changed");
    assert!(!fx.dir.path().join("data/audit.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_credentials_without_the_flag_every_key_in_every_view_writes_nothing() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = drifted_dev();
    let config = viewer_config(&fx);
    let mut tui = Driver::start(&fx, &config, false, false).await;
    let writes = dev_writes(&fx);
    let repo = repo_state(&fx.repo_path());

    // The access check names the credentials; s and p say so.
    tui.home().await;
    tui.char('s').await;
    let status = tui.model.status.clone().unwrap_or_default();
    assert!(
        status.starts_with(
            "sync disabled: dev is read-only: the credentials of context dev-viewer may not write"
        ),
        "{status}"
    );
    let reached = tui.press_every_key_in_every_view().await;
    assert!(!reached.contains(&View::Sync), "{reached:?}");
    assert_eq!(dev_writes(&fx), writes, "the API server saw writes");

    // Without the access check's answer, s plans (the dry run meets 403) and y asks for the
    // capability, which is refused: still nothing written.
    drop(tui);
    let mut tui = Driver::start(&fx, &config, false, true).await;
    tui.char('s').await;
    assert_eq!(tui.model.view(), View::Sync);
    tui.char('y').await;
    let stage = tui.model.sync.as_ref().map(|s| s.stage.clone());
    let Some(SyncStage::Refused(reason)) = stage else {
        panic!("expected a refusal, got {stage:?}");
    };
    assert!(
        reason.starts_with("dev is read-only: the credentials of context dev-viewer may not write"),
        "{reason}"
    );
    // The same for a promotion into stage: prepared, then refused when asked to write.
    tui.home().await;
    tui.char('l').await;
    tui.char('p').await;
    assert_eq!(tui.model.view(), View::Promote, "{:?}", tui.model.status);
    tui.char('y').await;
    let stage = tui.model.promote.as_ref().map(|p| p.stage.clone());
    let Some(PromoteStage::NotWritten(reason)) = stage else {
        panic!("expected a refusal, got {stage:?}");
    };
    assert!(
        reason.starts_with(
            "stage is read-only: the credentials of context stage-viewer may not write"
        ),
        "{reason}"
    );
    let reached = tui.press_every_key_in_every_view().await;
    assert!(reached.contains(&View::Sync), "{reached:?}");
    assert!(reached.contains(&View::Promote), "{reached:?}");

    assert_eq!(dev_writes(&fx), writes, "the API server saw writes");
    assert!(repo == repo_state(&fx.repo_path()), "the repo changed");
    assert!(!fx.dir.path().join("data/audit.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_on_a_drifted_app_plans_confirms_and_syncs() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = drifted_dev();
    let mut tui = Driver::start(&fx, &fx.config_path(), false, false).await;
    let writes = dev_writes(&fx);

    tui.home().await;
    tui.char('s').await;
    assert_eq!(tui.model.view(), View::Sync, "{:?}", tui.model.status);
    let Some(SyncStage::Planned(planned)) = tui.model.sync.as_ref().map(|s| s.stage.clone()) else {
        panic!("no plan: {:?}", tui.model.sync);
    };
    let steps: Vec<String> = planned
        .plan
        .steps
        .iter()
        .map(|s| format!("{} {}", s.action.label(), s.key))
        .collect();
    assert_eq!(steps, ["create ConfigMap/shop/web-config"]);
    assert!(
        planned.plan.steps[0]
            .diff
            .unified
            .contains("+  LOG_LEVEL: info"),
        "{}",
        planned.plan.steps[0].diff.unified
    );
    assert_eq!(dev_writes(&fx), writes, "planning wrote");

    tui.char('y').await;
    let stage = tui.model.sync.as_ref().map(|s| s.stage.clone());
    let Some(SyncStage::Done(outcome)) = stage else {
        panic!("not synced: {stage:?}");
    };
    assert!(outcome.all_succeeded(), "{outcome:?}");
    assert!(dev_writes(&fx) > writes, "the sync wrote nothing");
    let (audit, bad) =
        kubedrift::actions::audit::read(&fx.dir.path().join("data/audit.jsonl"), None)
            .expect("audit log");
    assert!(bad.is_empty());
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!((audit[0].action.as_str(), audit[0].ok), ("sync", true));
    assert_eq!(
        (audit[0].app.as_str(), audit[0].env.as_str()),
        ("web", "dev")
    );

    // The watch sees the drift clear; the model shows it.
    let (snapshot, ok) = tui
        .live
        .wait_until(WAIT, |s| {
            s.app("web", "dev")
                .is_some_and(|a| a.sync == SyncState::Synced)
        })
        .await;
    assert!(ok, "web@dev never synced: {:?}", snapshot.app("web", "dev"));
    tui.message(Msg::Snapshot(Arc::clone(&snapshot))).await;
    assert_eq!(
        tui.model.snapshot.app("web", "dev").map(|a| a.sync),
        Some(SyncState::Synced)
    );
    assert_eq!(
        fx.jsonpath(
            &["--context", "dev", "-n", "shop", "configmap/web-config"],
            "{.data.LOG_LEVEL}"
        ),
        "info"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_shows_a_kubectl_scale_conflict_and_f_takes_the_field_over() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    fx.scale_web("dev", 5);
    let mut tui = Driver::start(&fx, &fx.config_path(), false, false).await;

    tui.home().await;
    tui.char('s').await;
    let Some(SyncStage::Planned(planned)) = tui.model.sync.as_ref().map(|s| s.stage.clone()) else {
        panic!("no plan: {:?}", tui.model.sync);
    };
    let conflicts: Vec<String> = planned
        .plan
        .conflicts()
        .iter()
        .map(|(key, c)| format!("{key} {} {}", c.field, c.manager))
        .collect();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(
        conflicts[0].contains(".spec.replicas") && conflicts[0].contains("kubectl"),
        "{conflicts:?}"
    );

    tui.char('F').await;
    let flow = tui.model.sync.clone().expect("sync");
    assert!(flow.force_conflicts);
    let SyncStage::Planned(forced) = flow.stage else {
        panic!("not re-planned: {:?}", flow.stage);
    };
    assert!(forced.plan.force_conflicts);
    tui.char('y').await;
    let stage = tui.model.sync.as_ref().map(|s| s.stage.clone());
    let Some(SyncStage::Done(outcome)) = stage else {
        panic!("not synced: {stage:?}");
    };
    assert!(outcome.all_succeeded(), "{outcome:?}");
    let (snapshot, ok) = tui
        .live
        .wait_until(WAIT, |s| {
            s.app("web", "dev")
                .is_some_and(|a| a.sync == SyncState::Synced)
        })
        .await;
    assert!(ok, "web@dev never synced: {:?}", snapshot.app("web", "dev"));
    assert_eq!(
        fx.jsonpath(
            &["--context", "dev", "-n", "shop", "deployment/web"],
            "{.spec.replicas}"
        ),
        "2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p_previews_confirms_and_commits_a_promotion_without_touching_the_worktree() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = drifted_dev();
    let mut tui = Driver::start(&fx, &fx.config_path(), false, false).await;
    let writes = dev_writes(&fx);
    let before = repo_state(&fx.repo_path()).1;
    let main_before = git2::Repository::open(fx.repo_path())
        .expect("repo")
        .refname_to_id("refs/heads/main")
        .expect("main");

    tui.home().await;
    tui.char('l').await;
    tui.char('p').await;
    assert_eq!(tui.model.view(), View::Promote, "{:?}", tui.model.status);
    let Some(PromoteStage::Prepared(prepared)) =
        tui.model.promote.as_ref().map(|p| p.stage.clone())
    else {
        panic!("not prepared: {:?}", tui.model.promote);
    };
    assert_eq!((prepared.0.from(), prepared.0.to()), ("dev", "stage"));
    assert!(prepared.0.diff().contains("+"), "{}", prepared.0.diff());
    assert!(prepared.0.diff().contains("1.5.0"), "{}", prepared.0.diff());
    // Nothing is written before the confirmation.
    assert_eq!(
        git2::Repository::open(fx.repo_path())
            .expect("repo")
            .refname_to_id("refs/heads/main")
            .expect("main"),
        main_before
    );

    tui.char('y').await;
    let stage = tui.model.promote.as_ref().map(|p| p.stage.clone());
    let Some(PromoteStage::Written(written)) = stage else {
        panic!("not written: {stage:?}");
    };
    let branch = written
        .split_once(" on ")
        .map(|(_, r)| r.to_string())
        .expect("commit on ref");
    assert!(
        branch.starts_with("refs/heads/promote/web/stage/"),
        "{written}"
    );
    let repo = git2::Repository::open(fx.repo_path()).expect("repo");
    assert_eq!(
        repo.refname_to_id("refs/heads/main").expect("main"),
        main_before,
        "the environments' ref did not move"
    );
    let tip = repo
        .find_reference(&branch)
        .expect("the new branch")
        .peel_to_commit()
        .expect("commit");
    assert_eq!(tip.parent_id(0).expect("parent"), main_before);
    let blob = tip
        .tree()
        .expect("tree")
        .get_path(Path::new("apps/web/stage/deployment.yaml"))
        .expect("promoted file")
        .to_object(&repo)
        .expect("object")
        .peel_to_blob()
        .expect("blob");
    assert!(String::from_utf8_lossy(blob.content()).contains("web:1.5.0"));
    // The working tree and index are as they were; only .git's objects and refs moved.
    let after = repo_state(&fx.repo_path()).1;
    let outside_git = |files: &BTreeMap<PathBuf, Vec<u8>>| -> BTreeMap<PathBuf, Vec<u8>> {
        files
            .iter()
            .filter(|(p, _)| {
                !p.starts_with(fx.repo_path().join(".git")) || p.ends_with(".git/index")
            })
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect()
    };
    assert!(
        outside_git(&before) == outside_git(&after),
        "the worktree or index changed"
    );
    assert_eq!(dev_writes(&fx), writes, "a promotion writes no cluster");
    let (audit, _) = kubedrift::actions::audit::read(&fx.dir.path().join("data/audit.jsonl"), None)
        .expect("audit log");
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].env.as_str()),
        ("promote", "stage")
    );
}

/// The TUI's `p` dispatches by the app's model: the value model's edit is what gets committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p_promotes_with_the_value_model_editing_only_the_value() {
    if kubedrift_testkit::kubectl_missing() {
        return;
    }
    let fx = drifted_dev();
    let config = std::fs::read_to_string(fx.config_path()).expect("config");
    let config = config.replace(
        "[app.promotion]\nmodel = \"folder\"\nfiles = [\"deployment.yaml\"]\n",
        "[app.promotion]\nmodel = \"value\"\ncopy = [{ file = \"apps/web/{env}/deployment.yaml\", path = \"spec.template.spec.containers[name=web].image\" }]\n",
    );
    std::fs::write(fx.config_path(), config).expect("config written");
    let repo = git2::Repository::open(fx.repo_path()).expect("repo");
    let stage_file = |commit: &git2::Commit| {
        let blob = commit
            .tree()
            .expect("tree")
            .get_path(Path::new("apps/web/stage/deployment.yaml"))
            .expect("file")
            .to_object(&repo)
            .expect("object")
            .peel_to_blob()
            .expect("blob");
        String::from_utf8_lossy(blob.content()).into_owned()
    };
    let main = repo
        .find_reference("refs/heads/main")
        .and_then(|r| r.peel_to_commit())
        .expect("main");
    let before = stage_file(&main);

    let mut tui = Driver::start(&fx, &fx.config_path(), false, false).await;
    tui.home().await;
    tui.char('l').await;
    tui.char('p').await;
    let Some(PromoteStage::Prepared(prepared)) =
        tui.model.promote.as_ref().map(|p| p.stage.clone())
    else {
        panic!("not prepared: {:?}", tui.model.promote);
    };
    assert_eq!(prepared.0.model(), kubedrift::config::PromotionModel::Value);
    tui.char('y').await;
    let stage = tui.model.promote.as_ref().map(|p| p.stage.clone());
    let Some(PromoteStage::Written(written)) = stage else {
        panic!("not written: {stage:?}");
    };
    let branch = written
        .split_once(" on ")
        .map(|(_, r)| r.to_string())
        .expect("commit on ref");
    let tip = repo
        .find_reference(&branch)
        .and_then(|r| r.peel_to_commit())
        .expect("the new branch");
    let after = stage_file(&tip);
    let old_image = before
        .lines()
        .find(|l| l.trim_start().starts_with("image:"))
        .expect("image line")
        .trim_start()
        .trim_start_matches("image: ")
        .to_string();
    assert_ne!(old_image, "registry.example.com/shop/web:1.5.0");
    assert_eq!(
        after,
        before.replace(&old_image, "registry.example.com/shop/web:1.5.0")
    );
    assert!(tip.message().unwrap_or("").contains("Model: value"));
}
