//! A slow cluster is not a down cluster: with injected latency every request still answers
//! within its own bound, so `kubedrift status` reports the cluster's real verdicts (the old
//! single timeout around the whole, serial discovery, ~7 requests, declared it unreachable);
//! a request that gets no answer in time shows the cluster as slow while it is retried; a
//! cluster that refuses connections is still reported unreachable, without blocking the others.

use crate::live_cli::kubedrift;
use crate::live_support::{wait_app, Fixture, WAIT};
use kubedrift::state::{Reach, SyncState};
use std::time::Duration;

/// Per request, below the 8 s request bound; the old discovery (about seven requests one
/// after another, 10 s for all) could not finish under it.
const SLOW_LATENCY: Duration = Duration::from_secs(3);

fn row<'a>(stdout: &'a str, env: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(env))
        .unwrap_or_else(|| panic!("no row for {env}:\n{stdout}"))
}

#[test]
fn status_reports_a_slow_cluster_with_its_verdicts_and_a_down_one_as_unreachable() {
    let fx = Fixture::start(&["dev", "prod"], &[("dev", "dev"), ("prod", "prod")]);
    fx.deploy("dev", "dev");
    fx.deploy("prod", "prod");
    fx.scale_web("dev", 5);
    let dev = fx.sandbox.cluster("dev").expect("dev");
    dev.faults().set_latency(SLOW_LATENCY);

    // dev answers slowly: reachable, its drift reported (exit 1), prod Synced.
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--timeout", "120s"]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stdout.contains("Unreachable"), "{stdout}");
    assert!(row(&stdout, "dev").contains("OutOfSync"), "{stdout}");
    assert!(row(&stdout, "prod").contains("Synced"), "{stdout}");

    // prod down (connection refused) while dev is still slow: prod is reported unreachable
    // as soon as it refuses (status settles, no "timed out" waiting for it), dev's verdict
    // is still there.
    let prod = fx.sandbox.cluster("prod").expect("prod");
    assert!(prod.faults().set_down_and_wait(true), "prod went down");
    let (code, stdout, stderr) = kubedrift(&fx, &["status", "--timeout", "120s"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stderr.contains("timed out"), "{stderr}");
    let prod_row = row(&stdout, "prod");
    assert!(
        prod_row.contains("Unreachable") && prod_row.contains("never reached"),
        "{stdout}"
    );
    assert!(row(&stdout, "dev").contains("OutOfSync"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_answer_in_time_shows_slow_and_is_retried_not_unreachable() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let dev = fx.sandbox.cluster("dev").expect("dev");
    // Longer than one request's bound: the first attempts time out.
    dev.faults().set_latency(Duration::from_secs(9));
    let live = fx.live(None);
    let (snapshot, slow) = live
        .wait_until(WAIT, |s| {
            s.clusters
                .get("dev")
                .is_some_and(|c| matches!(c.reach, Reach::Slow { .. }))
        })
        .await;
    assert!(
        slow,
        "dev never shown slow: {:?}",
        snapshot.clusters.get("dev").map(|c| &c.reach)
    );
    let app = snapshot.app("web", "dev").expect("row");
    assert_ne!(app.sync, SyncState::Unreachable, "{}", app.message());
    assert!(!snapshot.clusters["dev"].settled);

    // The server speeds up: the retry answers, and the cluster is followed as usual.
    dev.faults().set_latency(Duration::ZERO);
    wait_app(&live, "web", "dev", "Synced", |a| {
        a.sync == SyncState::Synced
    })
    .await;
    fx.scale_web("dev", 4);
    wait_app(&live, "web", "dev", "OutOfSync", |a| {
        a.sync == SyncState::OutOfSync
    })
    .await;
}
