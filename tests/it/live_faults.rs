//! Live layer under faults, against in-process sandbox clusters: a cluster taken down and
//! brought back while another keeps updating, watches answered 410 Gone on resume, and a
//! viewer token that may not list Secrets (a forbidden kind) while everything else works.

use crate::live_support::{wait_app, Fixture};
use kubedrift::engine::compare::Verdict;
use kubedrift::state::{KindStatus, Reach, SyncState};

pub(crate) fn replicas_seen(snapshot: &kubedrift::state::Snapshot, env: &str) -> Option<i64> {
    let app = snapshot.app("web", env)?;
    let deploy = app
        .resources
        .iter()
        .find(|r| &*r.key.kind == "Deployment")?;
    deploy
        .live
        .as_ref()?
        .get()
        .pointer("/spec/replicas")?
        .as_i64()
}

/// Wait until the live Deployment `web` of `env` has `replicas`; panics naming `how` it should
/// have been learned and the replicas last seen.
async fn wait_replicas(
    live: &kubedrift::live::Live,
    env: &str,
    replicas: i64,
    how: &str,
) -> std::sync::Arc<kubedrift::state::Snapshot> {
    let (snapshot, ok) = live
        .wait_until(crate::live_support::WAIT, |s| {
            replicas_seen(s, env) == Some(replicas)
        })
        .await;
    assert!(
        ok,
        "{how} never showed replicas {replicas}: {:?}",
        replicas_seen(&snapshot, env)
    );
    snapshot
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_cluster_is_unreachable_others_keep_updating_and_it_recovers() {
    let fx = Fixture::start(&["dev", "prod"], &[("dev", "dev"), ("prod", "prod")]);
    fx.deploy("dev", "dev");
    fx.deploy("prod", "prod");
    let live = fx.live(None);
    for env in ["dev", "prod"] {
        wait_app(&live, "web", env, "Synced", |a| a.sync == SyncState::Synced).await;
    }

    let dev = fx.sandbox.cluster("dev").expect("dev");
    dev.faults().set_down(true);
    let snapshot = wait_app(&live, "web", "dev", "Unreachable", |a| {
        a.sync == SyncState::Unreachable
    })
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    assert!(
        app.message().contains("cluster unreachable (last seen 20"),
        "{}",
        app.message()
    );
    assert!(matches!(
        snapshot.clusters["dev"].reach,
        Reach::Unreachable { .. }
    ));
    assert!(snapshot.clusters["dev"].last_seen.is_some());
    // Last known verdicts stay visible (nothing hidden).
    assert_eq!(app.resources.len(), 3);

    // prod keeps updating while dev is down.
    fx.scale_web("prod", 4);
    let snapshot = wait_app(&live, "web", "prod", "OutOfSync", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
    assert_eq!(
        snapshot.app("web", "dev").map(|a| a.sync),
        Some(SyncState::Unreachable)
    );

    // dev comes back: reconnects, and changes made there are seen again.
    dev.faults().set_down(false);
    wait_app(&live, "web", "dev", "Synced again", |a| {
        a.sync == SyncState::Synced
    })
    .await;
    fx.scale_web("dev", 6);
    let snapshot = wait_app(&live, "web", "dev", "OutOfSync after recovery", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
    assert_eq!(replicas_seen(&snapshot, "dev"), Some(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_gone_on_resume_relists_and_sees_changes() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let live = fx.live(None);
    wait_app(&live, "web", "dev", "Synced", |a| {
        a.sync == SyncState::Synced
    })
    .await;

    let dev = fx.sandbox.cluster("dev").expect("dev");
    // Every watch stream ends after one event, and resuming it gets 410 Gone: from now on
    // changes can only be learned by relisting.
    dev.faults().set_gone_on_watch_resume(true);
    dev.faults().close_watches_after_events(Some(1));
    fx.scale_web("dev", 3);
    wait_app(&live, "web", "dev", "OutOfSync (replicas 3)", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
    wait_replicas(&live, "dev", 3, "the watch").await;
    fx.scale_web("dev", 7);
    let snapshot = wait_replicas(&live, "dev", 7, "a relist").await;
    assert_eq!(
        snapshot.app("web", "dev").map(|a| a.sync),
        Some(SyncState::OutOfSync)
    );

    // Back to normal watches: a change back to Git's value syncs the app again.
    dev.faults().clear();
    fx.scale_web("dev", 2);
    wait_app(&live, "web", "dev", "Synced", |a| {
        a.sync == SyncState::Synced
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_token_may_not_list_secrets_which_are_unknown_while_the_rest_works() {
    // One first list at a time per cluster: the forbidden list of Secrets (listed before
    // Deployments) must give its turn back, or nothing after it is ever listed. Process-wide;
    // other tests only list one kind at a time meanwhile.
    kubedrift::cluster::set_first_lists_at_once(1);
    // The environment uses the read-only `viewer` user's context.
    let fx = Fixture::start(&["dev"], &[("dev", "dev-viewer")]);
    fx.commit(
        &[(
            "apps/web/dev/secret.yaml".to_string(),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\n  namespace: shop\n  labels:\n    kubedrift.io/app: web\ntype: Opaque\ndata:\n  password: czNjcjN0LWh1bnRlcjI=\n".to_string(),
        )],
        "web: database credentials",
    );
    fx.deploy("dev", "dev");
    let live = fx.live(None);
    let (snapshot, settled) = live.wait_settled(crate::live_support::WAIT).await;
    assert!(settled, "{:?}", snapshot.clusters);
    let snapshot = wait_app(&live, "web", "dev", "Unknown", |a| {
        a.sync == SyncState::Unknown
    })
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    for resource in &app.resources {
        match (&*resource.key.kind, &resource.verdict) {
            ("Secret", Verdict::Unknown { reason }) => {
                assert!(reason.contains("may not list Secret"), "{reason}");
                assert!(reason.contains("forbidden"), "{reason}");
            }
            ("Secret", other) => panic!("Secret should be Unknown, is {other:?}"),
            (_, verdict) => assert_eq!(verdict, &Verdict::Synced, "{}", resource.key),
        }
    }
    assert!(app.message().contains("Secret"), "{}", app.message());
    let kinds = &snapshot.clusters["dev-viewer"].kinds;
    assert!(kinds
        .iter()
        .any(|(k, s)| k.kind == "Secret" && matches!(s, KindStatus::Forbidden { .. })));
    // The secret's value is never in the snapshot's Debug or JSON.
    let debug = format!("{snapshot:?}");
    let json = serde_json::to_string(&*snapshot).expect("json");
    for text in [&debug, &json] {
        assert!(!text.contains("czNjcjN0LWh1bnRlcjI") && !text.contains("s3cr3t-hunter2"));
    }
}
