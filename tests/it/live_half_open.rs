//! Watches whose connection goes half-open (a proxy or NAT that stops forwarding without FIN
//! or RST): the sandbox keeps them open but sends nothing more. A change made meanwhile must
//! still reach the live state within about a minute (it took kube-runtime's idle timeout of
//! 290 + 5 s before), without a relist, and the silent spell must count as trouble, so the
//! diff server does not answer from the stale state right after.

use crate::live_cli::kubedrift_command;
use crate::live_support::{Fixture, WAIT};
use kubedrift::state::{Reach, Snapshot};
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Generous bound for a change made while the watches are silent: a minute and a half more
/// than the product's watch timeout (55 s) needs, far less than the 295 s the old default
/// needed. A hang guard, not a timing assertion.
const SILENT_WAIT: Duration = Duration::from_secs(120);

/// Watchers keep starting for a moment after the first lists (every kind the plan needs):
/// wait until `cluster` got no new watch request for two seconds, so that silencing the open
/// watches silences all of them (bounded: 30 s).
fn wait_until_no_new_watches(cluster: &kubedrift_sandbox::ClusterHandle) {
    let watches = || cluster.api_server().watch_requests.load(Ordering::Relaxed);
    let mut last = watches();
    let mut quiet_seconds = 0;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_secs(1));
        let now = watches();
        quiet_seconds = if now == last { quiet_seconds + 1 } else { 0 };
        last = now;
        if quiet_seconds == 2 {
            return;
        }
    }
}

fn replicas_seen(snapshot: &Snapshot) -> Option<i64> {
    crate::live_faults::replicas_seen(snapshot, "dev")
}

/// The live layer (in process, watch timeout shortened to 10 s by the test knob): the silent
/// watches are dropped, reported as the cluster unreachable, and resumed from their last
/// resourceVersion without a LIST; the change made meanwhile arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_behind_silenced_watches_arrives_without_a_relist_and_counts_as_trouble() {
    // Process-wide: watchers started from now on ask for 10 s watches (product: 55 s).
    kubedrift::cluster::set_watch_timeout(Duration::from_secs(10));
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let live = fx.live(None);
    let (snapshot, ok) = live
        .wait_until(WAIT, |s| replicas_seen(s) == Some(2) && s.settled())
        .await;
    assert!(ok, "never settled: replicas {:?}", replicas_seen(&snapshot));

    let dev = fx.sandbox.cluster("dev").expect("dev");
    tokio::task::block_in_place(|| wait_until_no_new_watches(dev));
    let lists_before = dev.api_server().list_requests.load(Ordering::Relaxed);
    let watches_before = dev.api_server().watch_requests.load(Ordering::Relaxed);
    dev.faults().silence_open_watches();
    // The sandbox applies the switch within its fault check interval (50 ms).
    tokio::time::sleep(Duration::from_millis(300)).await;
    fx.scale_web("dev", 4);

    let mut unreachable_because_silent = false;
    let (snapshot, ok) = live
        .wait_until(SILENT_WAIT, |s| {
            if s.clusters.get("dev").is_some_and(
                |c| matches!(&c.reach, Reach::Unreachable { error } if error.contains("silent")),
            ) {
                unreachable_because_silent = true;
            }
            replicas_seen(s) == Some(4)
        })
        .await;
    assert!(
        ok,
        "the scale made behind silenced watches never arrived: replicas {:?}",
        replicas_seen(&snapshot)
    );
    assert!(
        unreachable_because_silent,
        "the silent watch was never reported as the cluster unreachable (the diff server's \
         trouble)"
    );
    assert_eq!(
        dev.api_server().list_requests.load(Ordering::Relaxed),
        lists_before,
        "a silent watch is resumed, not relisted"
    );
    assert!(
        dev.api_server().watch_requests.load(Ordering::Relaxed) > watches_before,
        "the silent watches were resumed by new watch requests"
    );
}

/// Through the binary, with the product's watch timeout: `status --watch` prints the change
/// made behind its silenced watches within the bound, and a `diff` right after is not answered
/// from the watching process (it was in trouble moments ago) but read from the cluster.
#[test]
fn status_watch_sees_a_change_behind_silenced_watches_and_the_diff_server_declines_after() {
    let fx = Fixture::start(&["dev"], &[("dev", "dev")]);
    fx.deploy("dev", "dev");
    let cache = fx.dir.path().join("cache");
    let mut child = kubedrift_command(&fx, &["status", "--watch", "--output", "json"])
        .env("KUBEDRIFT_CACHE_DIR", &cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubedrift status --watch starts");
    let lines = kubedrift_testkit::lines_of(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    let end = kubedrift_testkit::wait_for_line(&lines, WAIT, &mut seen, |line| line == "}");
    assert!(end.is_some(), "no first report: {seen:?}");
    let diff = || -> kubedrift_testkit::Run {
        kubedrift_command(&fx, &["diff", "web", "--env", "dev"])
            .env("KUBEDRIFT_CACHE_DIR", &cache)
            .output()
            .expect("kubedrift diff runs")
            .into()
    };
    let served =
        |run: &kubedrift_testkit::Run| run.stderr.contains("answered by the watching kubedrift");
    // The watching process serves diff once its watches run.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let run = diff();
        if served(&run) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never served: {}",
            kubedrift_testkit::show(&run)
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let dev = fx.sandbox.cluster("dev").expect("dev");
    wait_until_no_new_watches(dev);
    dev.faults().silence_open_watches();
    std::thread::sleep(Duration::from_millis(300));
    fx.scale_web("dev", 4);
    seen.clear();
    let changed = kubedrift_testkit::wait_for_line(&lines, SILENT_WAIT, &mut seen, |line| {
        serde_json::from_str::<serde_json::Value>(line)
            .is_ok_and(|row| row["app"] == "web" && row["sync"] == "OutOfSync")
    });
    let after = diff();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        changed.is_some(),
        "the scale made behind silenced watches never reached status --watch: {seen:?}"
    );
    assert!(
        !served(&after) && after.stderr.contains("unreachable"),
        "a diff right after the silent spell must be read from the cluster: {}",
        kubedrift_testkit::show(&after)
    );
    assert!(
        after.stdout.contains("replicas"),
        "{}",
        kubedrift_testkit::show(&after)
    );
}
