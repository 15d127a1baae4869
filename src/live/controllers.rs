//! The live driver's side of the Argo CD / Flux sources: the watchers' reports go into the
//! [`ControllerFeed`]; when it changed, its apps go to the Git follower and the controllers'
//! opinions (and what cannot be read) to the state.

use super::git_follow::GitFollower;
use crate::controllers::feed::ControllerFeed;
use crate::controllers::watch::WatchReport;
use crate::state::{AppId, Input};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the first poll waits for the controllers' first lists.
const FIRST_LIST_WAIT: Duration = Duration::from_secs(20);

/// The feed, its reports, and what was last handed on (to notice removals).
pub(super) struct ControllerLink {
    /// None only while it is being read on the blocking pool.
    feed: Option<ControllerFeed>,
    reports: mpsc::UnboundedReceiver<WatchReport>,
    changed: bool,
    ids: BTreeSet<AppId>,
    failures: BTreeSet<String>,
}

/// What a refresh asks of the driver.
pub(super) struct Refreshed {
    /// Contexts the apps deploy to (each needs its cluster task).
    pub contexts: Vec<String>,
    /// kubedrift's clones (name → path), to fetch on the interval.
    pub clones: BTreeMap<String, PathBuf>,
}

impl ControllerLink {
    pub fn new(feed: ControllerFeed, reports: mpsc::UnboundedReceiver<WatchReport>) -> Self {
        ControllerLink {
            feed: Some(feed),
            reports,
            changed: true,
            ids: BTreeSet::new(),
            failures: BTreeSet::new(),
        }
    }

    /// Wait (bounded) for every watcher's first report: `status` must not settle on an
    /// empty app list.
    pub async fn first_lists(&mut self) {
        let Some(feed) = self.feed.as_mut() else {
            return;
        };
        let deadline = tokio::time::Instant::now() + FIRST_LIST_WAIT;
        while !feed.first_lists_done() {
            match tokio::time::timeout_at(deadline, self.reports.recv()).await {
                Ok(Some(report)) => feed.apply(report),
                _ => break,
            }
        }
    }

    /// Sleep `poll_every`, or less when a report arrives (a new Application shows without
    /// waiting for the next poll).
    pub async fn sleep_or_report(&mut self, poll_every: Duration) {
        let sleep = tokio::time::sleep(poll_every);
        tokio::pin!(sleep);
        tokio::select! {
            _ = &mut sleep => {}
            report = self.reports.recv() => match (report, self.feed.as_mut()) {
                (Some(report), Some(feed)) => {
                    feed.apply(report);
                    while let Ok(more) = self.reports.try_recv() {
                        feed.apply(more);
                    }
                    // Failures change what is shown too, not only objects.
                    self.changed = true;
                }
                // Every watcher has ended (the live layer is stopping): no report will come,
                // so sleep the whole interval rather than spin.
                _ => sleep.await,
            }
        }
        if self
            .feed
            .as_ref()
            .is_some_and(ControllerFeed::clone_retry_due)
        {
            self.changed = true;
        }
    }

    /// When something changed: hand the apps to `follower`, the opinions and read errors to
    /// the state. None when the live layer is shutting down.
    pub async fn refresh(
        &mut self,
        follower: &mut GitFollower,
        inputs: &mpsc::UnboundedSender<Input>,
    ) -> Option<Refreshed> {
        let mut refreshed = Refreshed {
            contexts: Vec::new(),
            clones: BTreeMap::new(),
        };
        if !self.changed {
            return Some(refreshed);
        }
        let Some(feed) = self.feed.take() else {
            return Some(refreshed);
        };
        self.changed = false;
        // Cloning is blocking (and may be slow): the blocking pool.
        let (feed, specs, clones) = tokio::task::spawn_blocking(move || {
            let mut feed = feed;
            let (specs, clones) = feed.specs();
            (feed, specs, clones)
        })
        .await
        .ok()?;
        let now = jiff::Timestamp::now();
        let failures: BTreeMap<String, String> = feed.failures().into_iter().collect();
        self.feed = Some(feed);
        for (name, error) in &failures {
            let _ = inputs.send(Input::Repo {
                name: name.clone(),
                error: Some(error.clone()),
                at: now,
            });
        }
        let failing: BTreeSet<String> = failures.into_keys().collect();
        for name in self.failures.difference(&failing) {
            let _ = inputs.send(Input::Repo {
                name: name.clone(),
                error: None,
                at: now,
            });
        }
        self.failures = failing;
        let ids: BTreeSet<AppId> = specs.iter().map(|s| s.id()).collect();
        for gone in self.ids.difference(&ids) {
            let _ = inputs.send(Input::Controller {
                id: gone.clone(),
                view: None,
            });
        }
        for spec in &specs {
            let _ = inputs.send(Input::Controller {
                id: spec.id(),
                view: Some(spec.controller.clone()),
            });
            if !refreshed.contexts.contains(&spec.context) {
                refreshed.contexts.push(spec.context.clone());
            }
        }
        self.ids = ids;
        refreshed.clones = clones.clone();
        follower.set_controller_apps(specs, clones);
        Some(refreshed)
    }
}
