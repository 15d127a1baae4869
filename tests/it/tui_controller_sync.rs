//! The TUI's `s` on an app read from an Argo CD Application, through the model driven by key
//! events with its effects run by the terminal UI's own tasks, against a sandbox cluster:
//! the sync asks Argo CD to reconcile (the refresh annotation on the Application, nothing
//! applied); `d` switches to a direct apply of the plan.

use crate::controllers::{apply, install_argocd};
use crate::live_support::{Fixture, WAIT};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kubedrift::actions::Session;
use kubedrift::live::{Live, LiveOptions};
use kubedrift::state::{AppId, SyncState};
use kubedrift::tui::model::{Effect, Model, Msg, SyncStage, View};
use kubedrift::tui::tasks::{self, TaskContext};
use kubedrift::tui::theme::Theme;
use tokio::sync::mpsc;

/// Run `effects` as the terminal UI does, feeding every reply back into the model until no
/// task is left.
async fn perform(
    model: &mut Model,
    live: &Live,
    context: &TaskContext,
    effects: Vec<Effect>,
) -> Vec<Effect> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut pending = 0usize;
    let mut seen = Vec::new();
    let mut queue = effects;
    loop {
        for effect in std::mem::take(&mut queue) {
            seen.push(effect.clone());
            if tasks::spawn(effect, context, live.snapshot(), &tx).is_none() {
                pending += 1;
            }
        }
        if pending == 0 {
            return seen;
        }
        let msg = tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("a task replied")
            .expect("channel open");
        pending -= 1;
        queue = model.update(msg);
    }
}

fn press(model: &mut Model, c: char) -> Vec<Effect> {
    model.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn application_annotations(fx: &Fixture) -> String {
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "argocd",
        "get",
        "application",
        "web",
        "-o",
        "jsonpath={.metadata.annotations}",
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_on_an_argocd_app_asks_argocd_to_reconcile_and_d_applies_directly() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    install_argocd(&fx, "dev");
    let _ = fx.kubectl(&["--context", "dev", "create", "namespace", "shop"]);
    apply(
        &fx,
        "dev",
        "web.yaml",
        &format!(
            r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: file://{}
    targetRevision: main
    path: apps/web/dev
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
"#,
            fx.repo_path().display()
        ),
    );
    // Only a source: no environment configured, as with `--from argocd`.
    let config_path = fx.file(
        "from-argocd.toml",
        &format!(
            "[settings]\ngit_poll_seconds = 1\n\n[[repo]]\nname = \"gitops\"\npath = \"{}\"\n\n[[source]]\nkind = \"argocd\"\n",
            fx.repo_path().display()
        ),
    );
    let config = kubedrift::config::Config::load_file(std::path::Path::new(&config_path))
        .expect("config")
        .config;
    let kubeconfig = kubedrift::cluster::kubeconfig::load_kubeconfig(&[fx.kubeconfig_path()])
        .expect("kubeconfig");
    let live = Live::start(LiveOptions {
        config: config.clone(),
        kubeconfig: kubeconfig.clone(),
        contexts: Vec::new(),
        env: None,
        app: None,
        revision: None,
    })
    .expect("live starts");
    let (snapshot, ok) = live
        .wait_until(WAIT, |s| {
            s.app("web", "dev")
                .is_some_and(|a| a.sync == SyncState::OutOfSync && a.controller.is_some())
        })
        .await;
    assert!(ok, "web@dev never showed: {:?}", snapshot.app("web", "dev"));
    let context = TaskContext {
        config: config.clone(),
        kubeconfig,
        session: Session::new(false),
        audit_log: Some(fx.dir.path().join("data/audit.jsonl")),
    };
    let mut model = Model::new(
        snapshot,
        Vec::new(),
        Theme::dark(),
        false,
        None,
        jiff::Timestamp::now(),
    );
    model.update(Msg::Resize(160, 48));
    assert_eq!(model.selected_id(), Some(AppId::new("web", "dev")));

    // `s`: the plan asks Argo CD to reconcile the Application.
    let effects = press(&mut model, 's');
    let seen = perform(&mut model, &live, &context, effects).await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            Effect::PlanSync {
                reconcile: true,
                ..
            }
        )),
        "{seen:?}"
    );
    assert_eq!(model.view(), View::Sync);
    let flow = model.sync.as_ref().expect("sync flow");
    let SyncStage::Planned(planned) = &flow.stage else {
        panic!("{:?}", flow.stage);
    };
    let request = planned.reconcile.as_ref().expect("a reconcile request");
    assert_eq!(
        (
            request.owner.kind.as_str(),
            request.owner.namespace.as_str(),
            request.owner.name.as_str(),
            request.context.as_str()
        ),
        ("Application", "argocd", "web", "dev")
    );
    assert!(
        !planned.plan.is_empty(),
        "what Argo CD will change is shown"
    );
    assert!(!application_annotations(&fx).contains("argocd.argoproj.io/refresh"));

    // `y`: the annotation is written; nothing is applied directly.
    let effects = press(&mut model, 'y');
    perform(&mut model, &live, &context, effects).await;
    let flow = model.sync.as_ref().expect("sync flow");
    let SyncStage::Done(outcome) = &flow.stage else {
        panic!("{:?}", flow.stage);
    };
    assert!(outcome.all_succeeded(), "{outcome:?}");
    assert!(
        application_annotations(&fx).contains("argocd.argoproj.io/refresh"),
        "{}",
        application_annotations(&fx)
    );
    let deployment = fx.kubectl(&["--context", "dev", "-n", "shop", "get", "deployment", "web"]);
    assert_ne!(deployment.code, 0, "nothing applied directly");

    // Again, and `d`: a direct apply of the plan.
    press(&mut model, 'y');
    let effects = press(&mut model, 's');
    perform(&mut model, &live, &context, effects).await;
    let effects = press(&mut model, 'd');
    let seen = perform(&mut model, &live, &context, effects).await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            Effect::PlanSync {
                reconcile: false,
                ..
            }
        )),
        "{seen:?}"
    );
    let flow = model.sync.as_ref().expect("sync flow");
    assert!(flow.direct);
    let SyncStage::Planned(planned) = &flow.stage else {
        panic!("{:?}", flow.stage);
    };
    assert!(planned.reconcile.is_none());
    let effects = press(&mut model, 'y');
    perform(&mut model, &live, &context, effects).await;
    let flow = model.sync.as_ref().expect("sync flow");
    let SyncStage::Done(outcome) = &flow.stage else {
        panic!("{:?}", flow.stage);
    };
    assert!(outcome.all_succeeded(), "{outcome:?}");
    fx.ok(&["--context", "dev", "-n", "shop", "get", "deployment", "web"]);
}
