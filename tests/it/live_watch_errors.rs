//! A watch that fails with an API error (500, 429) makes its kind Unknown and drops what was
//! known of it; once the cluster answers again the kind must be listed afresh and judged,
//! without waiting for some unrelated relist (found by the soak under faults: a cluster's
//! ConfigMaps and Secrets stayed Unknown more than 30 s after its 500s ended).

use crate::live_support::{wait_app, Fixture};
use kubedrift::engine::compare::Verdict;
use kubedrift::state::SyncState;
use std::time::Duration;

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
    wait_app(
        &live,
        "web",
        "dev",
        "a Deployment made Unknown by 500s",
        |a| {
            a.resources.iter().any(|r| {
                r.key.kind == "Deployment"
                    && matches!(&r.verdict, Verdict::Unknown { reason } if reason.contains("500"))
            })
        },
    )
    .await;

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
