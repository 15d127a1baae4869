//! Live layer against in-process sandbox clusters over HTTPS: initial sync across two
//! clusters, `kubectl scale` / `kubectl edit` (the real kubectl) as live drift attributed to
//! kubectl's field manager, and a Git commit as Git ahead.

use crate::live_support::{deployment, resource, wait_app, Fixture};
use kubedrift::engine::attribution::Direction;
use kubedrift::state::{ChangeKind, SyncState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_sync_live_drift_by_kubectl_and_git_ahead() {
    let fx = Fixture::start(&["dev", "prod"], &[("dev", "dev"), ("prod", "prod")]);
    fx.deploy("dev", "dev");
    fx.deploy("prod", "prod");
    let live = fx.live(None);
    let mut changes = live.subscribe();

    // Initial sync: both clusters list, both apps Synced.
    let (snapshot, settled) = live.wait_settled(crate::live_support::WAIT).await;
    assert!(settled, "clusters never settled: {:?}", snapshot.clusters);
    for env in ["dev", "prod"] {
        let snapshot = wait_app(&live, "web", env, "Synced", |a| a.sync == SyncState::Synced).await;
        let app = snapshot.app("web", env).expect("row");
        assert_eq!(app.context, env);
        assert!(app.revision.contains("main"), "revision {}", app.revision);
        let kinds: Vec<String> = app
            .resources
            .iter()
            .map(|r| r.key.kind.to_string())
            .collect();
        assert_eq!(
            kinds,
            vec!["ConfigMap", "Service", "Deployment"],
            "{kinds:?}"
        );
    }

    // kubectl scale in dev: live drift attributed to kubectl; prod untouched.
    fx.scale_web("dev", 5);
    let snapshot = wait_app(&live, "web", "dev", "OutOfSync", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    let deploy = resource(app, "Deployment");
    let attribution = deploy.attribution.as_ref().expect("attributed");
    assert_eq!(
        attribution.direction,
        Direction::LiveDrift,
        "{attribution:?}"
    );
    let field = &attribution.fields[0];
    assert_eq!(field.path.to_string(), "spec.replicas");
    let writer = field.writer.as_ref().expect("writer");
    assert!(
        writer.manager.starts_with("kubectl"),
        "manager {}",
        writer.manager
    );
    assert!(writer.time.is_some());
    assert!(
        app.message().contains("live drift"),
        "message {}",
        app.message()
    );
    assert_eq!(
        snapshot.app("web", "prod").map(|a| a.sync),
        Some(SyncState::Synced),
        "prod must not be affected"
    );

    // The change stream said which resource changed.
    let mut saw_resource = false;
    while let Ok(change) = changes.try_recv() {
        if let ChangeKind::Resource { app, key } = &change.what {
            if app.env == "dev" && &*key.kind == "Deployment" {
                saw_resource = true;
            }
        }
    }
    assert!(saw_resource, "no Resource change for the scaled Deployment");

    // kubectl edit (non-interactive editor) of the ConfigMap: live drift by kubectl-edit.
    let editor = fx.dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' \"$1\"\n",
    )
    .expect("editor");
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let out = fx
        .command(&[
            "--context",
            "dev",
            "-n",
            "shop",
            "edit",
            "configmap/web-config",
        ])
        .env("KUBE_EDITOR", &editor)
        .output()
        .expect("kubectl edit runs");
    assert!(
        out.status.success(),
        "kubectl edit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snapshot = wait_app(&live, "web", "dev", "ConfigMap drifted", |a| {
        a.resources
            .iter()
            .any(|r| &*r.key.kind == "ConfigMap" && r.verdict.is_drift())
    })
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    let cm = resource(app, "ConfigMap");
    let attribution = cm.attribution.as_ref().expect("attributed");
    assert_eq!(attribution.direction, Direction::LiveDrift);
    assert_eq!(attribution.fields[0].path.to_string(), "data.LOG_LEVEL");
    assert_eq!(
        attribution.fields[0]
            .writer
            .as_ref()
            .map(|w| w.manager.as_str()),
        Some("kubectl-edit")
    );

    // A Git commit changing prod's image: Git ahead (live still has what was applied).
    fx.commit(
        &[(
            "apps/web/prod/deployment.yaml".to_string(),
            deployment("registry.example.com/shop/web:1.5.0", 2),
        )],
        "web: release 1.5.0 to prod",
    );
    let snapshot = wait_app(&live, "web", "prod", "OutOfSync (Git ahead)", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
    let app = snapshot.app("web", "prod").expect("row");
    let deploy = resource(app, "Deployment");
    let attribution = deploy.attribution.as_ref().expect("attributed");
    assert_eq!(
        attribution.direction,
        Direction::GitAhead,
        "{attribution:?}"
    );
    assert_eq!(
        attribution.fields[0].path.to_string(),
        "spec.template.spec.containers[name=web].image"
    );
    assert_eq!(
        attribution.fields[0]
            .writer
            .as_ref()
            .map(|w| w.manager.as_str()),
        Some("kubedrift")
    );

    // A Secret tracked to web but not in Git is Extraneous; an unmarked one is not the app's.
    // Secrets are not desired here, so they are watched metadata-only: values never fetched.
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "create",
        "secret",
        "generic",
        "web-old-token",
        "--from-literal=token=tok-9f8e7d6c5b4a",
    ]);
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "label",
        "secret",
        "web-old-token",
        "kubedrift.io/app=web",
    ]);
    fx.ok(&[
        "--context",
        "dev",
        "-n",
        "shop",
        "create",
        "secret",
        "generic",
        "someone-elses",
        "--from-literal=token=tok-0000",
    ]);
    let snapshot = wait_app(&live, "web", "dev", "Extraneous Secret", |a| {
        a.resources.iter().any(|r| &*r.key.name == "web-old-token")
    })
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    let extraneous = app
        .resources
        .iter()
        .find(|r| &*r.key.name == "web-old-token")
        .expect("secret");
    assert_eq!(
        extraneous.verdict,
        kubedrift::engine::compare::Verdict::Extraneous
    );
    let live_secret = extraneous.live.as_ref().expect("live object").get();
    assert_eq!(live_secret["kind"], "Secret");
    assert!(
        live_secret.get("data").is_none(),
        "metadata-only watch must not hold Secret data"
    );
    assert!(!app
        .resources
        .iter()
        .any(|r| &*r.key.name == "someone-elses"));
}
