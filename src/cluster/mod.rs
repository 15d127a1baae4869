//! Live layer: one task set per kubeconfig context, watching the kinds that are needed.
//!
//! Each cluster runs independently: discovery (cached, refreshed when CRDs change), one
//! watcher per needed kind (in the app namespace when there is one; cluster-wide narrowed to
//! the app namespaces when there are several, per namespace where that is forbidden), and a
//! reachability probe. Discovery and probe requests are bounded one by one and retried when
//! they time out: a slow cluster shows as slow, only one that refuses or never answers as
//! unreachable. Everything a cluster learns is sent as a [`ClusterEvent`] to the state
//! task; nothing here decides sync status, and nothing a view does waits on these tasks.
//!
//! Failures are per cluster and per kind: an unreachable cluster reconnects with capped
//! exponential backoff ([`Backoff`], never giving up) while the others keep updating; a kind
//! the user may not list (403) is reported and retried, everything else keeps working; a watch
//! that can no longer resume (410 Gone) relists.

pub mod compact;
mod discovery;
pub mod discovery_cache;
pub mod dry_run;
pub mod kubeconfig;
pub mod one_shot;
mod tasks;
mod watch_idle;
pub mod wire;

pub use tasks::{
    set_first_lists_at_once, set_forbidden_watch_retry, set_watch_timeout, spawn_cluster,
    ClusterTask,
};

use std::time::Duration;

/// Capped exponential backoff: `initial`, doubling, never above `cap`; `reset` after success.
/// Reconnecting never gives up; the cap keeps a long outage from delaying recovery by more
/// than a minute.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    cap: Duration,
    next: Duration,
}

/// The most a cluster task waits between reconnect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_millis(250), MAX_BACKOFF)
    }
}

impl Backoff {
    pub fn new(initial: Duration, cap: Duration) -> Self {
        let initial = initial.min(cap);
        Backoff {
            initial,
            cap,
            next: initial,
        }
    }

    /// The delay before the next attempt (and double it for the one after).
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.cap);
        delay
    }

    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_at_sixty_seconds_and_resets() {
        let mut backoff = Backoff::default();
        let delays: Vec<Duration> = (0..12).map(|_| backoff.next_delay()).collect();
        assert_eq!(delays[0], Duration::from_millis(250));
        assert_eq!(delays[1], Duration::from_millis(500));
        assert!(delays.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*delays.last().expect("delays"), MAX_BACKOFF);
        assert!(delays.iter().all(|d| *d <= MAX_BACKOFF));
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(250));
    }
}
