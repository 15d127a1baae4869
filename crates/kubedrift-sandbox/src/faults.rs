//! Runtime-switchable faults for one sandbox cluster: what an SRE's tooling meets in an
//! incident (API server down, slow, erroring, throttling, watches dropping or expiring).
//!
//! All switches are atomics read on every request, so tests flip them while clients run.

use rand::Rng;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// Fault switches of one cluster. Cheap to share (`Arc<FaultControl>` in the handle).
#[derive(Debug)]
pub struct FaultControl {
    down: watch::Sender<bool>,
    /// Whether the listener is currently open (maintained by the server loop).
    listening: AtomicBool,
    latency_ms: AtomicU64,
    /// Fraction of requests answered 500, in millionths.
    error_rate_ppm: AtomicU32,
    /// Close every watch stream after this many events (0: never).
    watch_close_after_events: AtomicU64,
    /// Close every watch stream after this many milliseconds (0: never).
    watch_close_after_ms: AtomicU64,
    /// Answer every watch that resumes from a resourceVersion with a 410 ERROR event.
    gone_on_watch_resume: AtomicBool,
    /// Answer every request 429 with this Retry-After (0: off).
    throttle_retry_after_secs: AtomicU32,
    /// Answer every watch request 403, as for a role that may list but not watch.
    watch_forbidden: AtomicBool,
    /// Bumped by [`FaultControl::silence_open_watches`]: a watch started under an older value
    /// goes silent.
    silence_epoch: AtomicU64,
}

impl Default for FaultControl {
    fn default() -> Self {
        FaultControl {
            down: watch::channel(false).0,
            listening: AtomicBool::new(false),
            latency_ms: AtomicU64::new(0),
            error_rate_ppm: AtomicU32::new(0),
            watch_close_after_events: AtomicU64::new(0),
            watch_close_after_ms: AtomicU64::new(0),
            gone_on_watch_resume: AtomicBool::new(false),
            throttle_retry_after_secs: AtomicU32::new(0),
            watch_forbidden: AtomicBool::new(false),
            silence_epoch: AtomicU64::new(0),
        }
    }
}

impl FaultControl {
    /// Take the server down (listener closed, open connections dropped: clients see
    /// "connection refused") or bring it back up on the same port.
    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }

    /// Take the server down or up and wait (bounded, up to 5 s) until the listener really is
    /// closed or open again, so a test's next connection sees the new state.
    pub fn set_down_and_wait(&self, down: bool) -> bool {
        self.set_down(down);
        for _ in 0..1000 {
            if self.is_listening() != down {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// Whether the listener is open right now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Called by the server loop when it opens or closes its listener.
    pub fn mark_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
    }

    /// A receiver that changes when the server goes down or up.
    pub fn down_changes(&self) -> watch::Receiver<bool> {
        self.down.subscribe()
    }

    /// Delay every request by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    /// Answer this fraction (0.0..=1.0) of requests with 500 InternalError.
    pub fn set_error_rate(&self, fraction: f64) {
        let ppm = (fraction.clamp(0.0, 1.0) * 1_000_000.0).round() as u32;
        self.error_rate_ppm.store(ppm, Ordering::Relaxed);
    }

    /// Whether this request should fail with 500 (random draw against the error rate).
    pub fn should_fail_request(&self) -> bool {
        let ppm = self.error_rate_ppm.load(Ordering::Relaxed);
        ppm > 0 && rand::rng().random_range(0..1_000_000) < ppm
    }

    /// Close watch streams after `events` events (None: never).
    pub fn close_watches_after_events(&self, events: Option<u64>) {
        self.watch_close_after_events
            .store(events.unwrap_or(0), Ordering::Relaxed);
    }

    pub fn watch_event_limit(&self) -> Option<u64> {
        Some(self.watch_close_after_events.load(Ordering::Relaxed)).filter(|n| *n > 0)
    }

    /// Close watch streams after `after` (None: never).
    pub fn close_watches_after(&self, after: Option<Duration>) {
        let ms = after
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1))
            .unwrap_or(0);
        self.watch_close_after_ms.store(ms, Ordering::Relaxed);
    }

    pub fn watch_time_limit(&self) -> Option<Duration> {
        Some(self.watch_close_after_ms.load(Ordering::Relaxed))
            .filter(|n| *n > 0)
            .map(Duration::from_millis)
    }

    /// Make every watch that resumes from a resourceVersion get 410 Gone (forces a relist).
    pub fn set_gone_on_watch_resume(&self, gone: bool) {
        self.gone_on_watch_resume.store(gone, Ordering::Relaxed);
    }

    pub fn gone_on_watch_resume(&self) -> bool {
        self.gone_on_watch_resume.load(Ordering::Relaxed)
    }

    /// Answer every request 429 TooManyRequests with `Retry-After: secs` (None: off).
    pub fn set_throttle(&self, retry_after_secs: Option<u32>) {
        self.throttle_retry_after_secs.store(
            retry_after_secs
                .unwrap_or(0)
                .max(u32::from(retry_after_secs.is_some())),
            Ordering::Relaxed,
        );
    }

    pub fn throttle(&self) -> Option<u32> {
        Some(self.throttle_retry_after_secs.load(Ordering::Relaxed)).filter(|n| *n > 0)
    }

    /// Switch every fault off (and bring the server up).
    /// Forbid (403) every watch request; lists and gets stay allowed.
    pub fn set_watch_forbidden(&self, forbidden: bool) {
        self.watch_forbidden.store(forbidden, Ordering::Relaxed);
    }

    pub fn watch_forbidden(&self) -> bool {
        self.watch_forbidden.load(Ordering::Relaxed)
    }

    /// Make every watch stream open right now go silent, as behind a proxy or NAT that stopped
    /// forwarding without FIN or RST (a half-open connection): the connection stays open, but
    /// no event, bookmark or end (not even at its `timeoutSeconds`) reaches the client any
    /// more. Watches started afterwards, and every other request, work normally. Not undone
    /// by [`FaultControl::clear`]: the silenced streams stay silent until their clients go.
    pub fn silence_open_watches(&self) {
        self.silence_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Taken by a watch when it starts: it goes silent once [`FaultControl::silence_open_watches`]
    /// changes it.
    pub fn silence_epoch(&self) -> u64 {
        self.silence_epoch.load(Ordering::SeqCst)
    }

    pub fn clear(&self) {
        self.set_down(false);
        self.set_watch_forbidden(false);
        self.set_latency(Duration::ZERO);
        self.set_error_rate(0.0);
        self.close_watches_after_events(None);
        self.close_watches_after(None);
        self.set_gone_on_watch_resume(false);
        self.set_throttle(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_round_trip_and_clear() {
        let faults = FaultControl::default();
        faults.set_error_rate(1.0);
        assert!(faults.should_fail_request());
        faults.set_throttle(Some(0));
        assert_eq!(
            faults.throttle(),
            Some(1),
            "a zero Retry-After still throttles"
        );
        faults.close_watches_after_events(Some(3));
        faults.set_down(true);
        assert!(*faults.down_changes().borrow());
        faults.clear();
        assert!(!faults.should_fail_request());
        assert_eq!(faults.throttle(), None);
        assert_eq!(faults.watch_event_limit(), None);
        assert!(!*faults.down_changes().borrow());
    }
}
