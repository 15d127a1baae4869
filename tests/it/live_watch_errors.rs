//! A watch that fails with an API error (500, 429) makes its kind Unknown and drops what was
//! known of it; once the cluster answers again the kind must be listed afresh and judged,
//! without waiting for some unrelated relist (found by the soak under faults: a cluster's
//! ConfigMaps and Secrets stayed Unknown more than 30 s after its 500s ended).

use crate::live_support::{wait_app, Fixture};
use kubedrift::engine::compare::Verdict;
use kubedrift::live::Live;
use kubedrift::state::{AppView, SyncState};
use std::time::Duration;

/// Whether `app`'s Deployment is Unknown for a reason that says `why`.
fn deployment_unknown_because(app: &AppView, why: &str) -> bool {
    app.resources.iter().any(|r| {
        &*r.key.kind == "Deployment"
            && matches!(&r.verdict, Verdict::Unknown { reason } if reason.contains(why))
    })
}

/// Wait until `web@dev`'s Deployment is Unknown for a reason that says `why` (`what`: the
/// state waited for, as a failure names it).
async fn wait_deployment_unknown(live: &Live, why: &str, what: &str) {
    wait_app(live, "web", "dev", what, |a| {
        deployment_unknown_because(a, why)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_failed_by_500s_is_relisted_and_judged_again_when_they_stop() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let live = fx.live(None);
    wait_app(&live, "web", "dev", "Synced", |a| {
        a.sync == SyncState::Synced
    })
    .await;

    // Every request fails with 500 and open watches are cut, so the watches' resumes fail.
    let dev = fx.sandbox.cluster("dev").expect("dev");
    dev.faults().set_error_rate(1.0);
    dev.faults()
        .close_watches_after(Some(Duration::from_millis(200)));
    wait_deployment_unknown(&live, "500", "a Deployment made Unknown by 500s").await;

    // The 500s stop; nothing else changes (no 410, no new kind): the app is judged again.
    dev.faults().clear();
    let snapshot = wait_app(&live, "web", "dev", "Synced after the 500s", |a| {
        a.sync == SyncState::Synced
    })
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    assert!(
        app.resources
            .iter()
            .all(|r| !matches!(r.verdict, Verdict::Unknown { .. })),
        "{:?}",
        app.resources
    );
}

/// A role that may list a kind but not watch it: the kind is reported failed with the 403's
/// reason once and stays so, and the watcher retries the watch alone instead of listing the
/// kind again on every retry (a LIST per kind about every second, and verdicts flipping between
/// real and Unknown, before). Once watching is allowed again the kind recovers on its own: the
/// retried watch works, the kind is listed again and judged, with no object of it changing
/// (before, it stayed failed until one did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_that_may_be_listed_but_not_watched_is_failed_once_and_recovers_once_allowed() {
    // The watch is retried after 200 ms, then 400 ms, ... (minutes apart by default). Only
    // this test forbids watches; the setting is process-wide.
    kubedrift::cluster::set_forbidden_watch_retry(
        Duration::from_millis(200),
        Duration::from_secs(1),
    );
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let dev = fx.sandbox.cluster("dev").expect("dev");
    dev.faults().set_watch_forbidden(true);
    let live = fx.live(None);
    wait_deployment_unknown(&live, "cannot watch", "a Deployment Unknown: may not watch").await;

    // Every kind was listed once; watches are retried (with backoff), lists are not.
    let count =
        |counter: &std::sync::atomic::AtomicU64| counter.load(std::sync::atomic::Ordering::Relaxed);
    let lists = || count(&dev.api_server().list_requests);
    let watches = || count(&dev.api_server().watch_requests);
    // First the lists every kind needs (a cluster-wide watch falls back to one per namespace
    // on a 403) end: with the old relisting they never did (a relist every second or so).
    let mut last = lists();
    let mut quiet_seconds = 0;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = lists();
        if now == last {
            quiet_seconds += 1;
            if quiet_seconds == 2 {
                break;
            }
        } else {
            quiet_seconds = 0;
            last = now;
        }
    }
    let lists_before = lists();
    let watches_before = watches();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        lists(),
        lists_before,
        "no relist while the watch is forbidden"
    );
    assert!(
        watches() > watches_before,
        "the forbidden watches are retried ({watches_before} watch requests before, {} after)",
        watches()
    );
    let app = live.snapshot().app("web", "dev").cloned().expect("row");
    assert!(
        deployment_unknown_because(&app, "cannot watch"),
        "still failed: {:?}",
        app.resources
    );

    // Watching allowed again; nothing in the cluster changes: the retried watches work, the
    // kinds are listed again and `web` is judged.
    let version_before = dev.resource_version();
    dev.faults().set_watch_forbidden(false);
    let snapshot = wait_app(
        &live,
        "web",
        "dev",
        "Synced once watches are allowed",
        |a| a.sync == SyncState::Synced,
    )
    .await;
    let app = snapshot.app("web", "dev").expect("row");
    assert!(
        app.resources
            .iter()
            .all(|r| !matches!(r.verdict, Verdict::Unknown { .. })),
        "{:?}",
        app.resources
    );
    assert!(lists() > lists_before, "the kinds were listed again");
    assert_eq!(
        dev.resource_version(),
        version_before,
        "recovered with no object of the cluster changing"
    );
}
