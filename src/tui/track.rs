//! What the snapshot does not hold but the screen shows, derived by watching successive
//! snapshots: since when each resource drifts, the events timeline, and the history of the
//! drifted-resource count (the sparkline). Pure: snapshots and times in, memory out.

use crate::model::ResourceKey;
use crate::state::{AppId, Reach, Snapshot, SyncState};
use jiff::Timestamp;
use std::collections::{HashMap, VecDeque};

/// Events kept for the session.
pub const MAX_EVENTS: usize = 1000;
/// Samples of the drifted count kept (one per [`SAMPLE_EVERY_SECONDS`]).
pub const MAX_SAMPLES: usize = 240;
pub const SAMPLE_EVERY_SECONDS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Started,
    DriftAppeared,
    DriftCleared,
    RevisionMoved,
    ClusterDown,
    ClusterUp,
    RenderFailed,
    RenderRecovered,
}

impl EventKind {
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Started => "started",
            EventKind::DriftAppeared => "drift",
            EventKind::DriftCleared => "cleared",
            EventKind::RevisionMoved => "git",
            EventKind::ClusterDown => "down",
            EventKind::ClusterUp => "up",
            EventKind::RenderFailed => "render",
            EventKind::RenderRecovered => "render ok",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: Timestamp,
    pub kind: EventKind,
    pub text: String,
}

struct ResourceMemo {
    drifting: bool,
    since: Option<Timestamp>,
    verdict: &'static str,
}

struct AppMemo {
    revision: String,
    failed: bool,
}

/// Memory of what was seen.
#[derive(Default)]
pub struct Tracker {
    started: bool,
    last_generation: Option<u64>,
    resources: HashMap<(AppId, ResourceKey), ResourceMemo>,
    apps: HashMap<AppId, AppMemo>,
    clusters: HashMap<String, bool>,
    events: VecDeque<Event>,
    samples: VecDeque<u64>,
    last_sample: Option<Timestamp>,
    drifted: u64,
    /// Per app: its earliest drifting resource's start (read for every cell drawn).
    app_since: HashMap<AppId, Timestamp>,
}

/// When the cluster moved away from Git, per the attribution: the time a live edit wrote the
/// drifting field (managedFields). Git-ahead drift began when the commit landed, which the
/// live object does not record, so it counts from when it was first seen.
fn written_at(resource: &crate::state::ResourceView) -> Option<Timestamp> {
    use crate::engine::attribution::Direction;
    resource
        .attribution
        .as_ref()?
        .fields
        .iter()
        .filter(|f| f.exact && matches!(f.direction, Direction::LiveDrift | Direction::Both))
        .filter_map(|f| f.writer.as_ref()?.time.as_ref()?.parse::<Timestamp>().ok())
        .max()
}

impl Tracker {
    pub fn new() -> Self {
        Tracker::default()
    }

    /// Take in a snapshot seen at `now`. Snapshots before the first complete read (Git read,
    /// every cluster listed or unreachable) are skipped: loading is not drift appearing.
    pub fn observe(&mut self, snapshot: &Snapshot, now: Timestamp) {
        if !(snapshot.sources_loaded && snapshot.settled()) {
            return;
        }
        if self.last_generation == Some(snapshot.generation) && self.started {
            return;
        }
        self.last_generation = Some(snapshot.generation);
        let first = !self.started;
        let mut seen: HashMap<(AppId, ResourceKey), ResourceMemo> = HashMap::new();
        let mut drifted = 0;
        for app in snapshot.apps.values() {
            let failed = app.sync == SyncState::Error;
            let before = self
                .apps
                .get(&app.id)
                .map(|m| (m.revision.clone(), m.failed));
            match before {
                Some((revision, was_failed)) if !first => {
                    if revision != app.revision && !app.revision.is_empty() {
                        self.push(
                            now,
                            EventKind::RevisionMoved,
                            format!("{}: Git {revision} → {}", app.id, app.revision),
                        );
                    }
                    if failed && !was_failed {
                        self.push(
                            now,
                            EventKind::RenderFailed,
                            format!("{}: {}", app.id, app.message()),
                        );
                    } else if !failed && was_failed {
                        self.push(
                            now,
                            EventKind::RenderRecovered,
                            format!("{}: renders again", app.id),
                        );
                    }
                }
                None if !first && failed => {
                    self.push(
                        now,
                        EventKind::RenderFailed,
                        format!("{}: {}", app.id, app.message()),
                    );
                }
                _ => {}
            }
            self.apps.insert(
                app.id.clone(),
                AppMemo {
                    revision: app.revision.clone(),
                    failed,
                },
            );
            for resource in &app.resources {
                let id = (app.id.clone(), resource.key.clone());
                let drifting = resource.verdict.is_drift();
                if drifting {
                    drifted += 1;
                }
                let previous = self.resources.remove(&id);
                let was = previous.as_ref().is_some_and(|p| p.drifting);
                let since = match (&previous, drifting) {
                    (Some(p), true) if p.drifting => p.since,
                    (_, true) => Some(written_at(resource).unwrap_or(now).min(now)),
                    (_, false) => None,
                };
                if !first && drifting && !was {
                    let who = resource
                        .attribution
                        .as_ref()
                        .map(|a| format!(" — {}", a.summary()))
                        .unwrap_or_default();
                    self.push(
                        now,
                        EventKind::DriftAppeared,
                        format!(
                            "{} {} {}{who}",
                            app.id,
                            resource.key,
                            resource.verdict.label()
                        ),
                    );
                } else if !first && was && !drifting {
                    self.push(
                        now,
                        EventKind::DriftCleared,
                        format!("{} {} {}", app.id, resource.key, resource.verdict.label()),
                    );
                }
                seen.insert(
                    id,
                    ResourceMemo {
                        drifting,
                        since,
                        verdict: resource.verdict.label(),
                    },
                );
            }
        }
        // Resources no longer listed at all: their drift is over.
        let gone: Vec<(AppId, ResourceKey)> = self
            .resources
            .iter()
            .filter(|(_, m)| m.drifting)
            .map(|(k, _)| k.clone())
            .collect();
        for (app, key) in gone {
            let verdict = self
                .resources
                .get(&(app.clone(), key.clone()))
                .map(|m| m.verdict);
            self.push(
                now,
                EventKind::DriftCleared,
                format!("{app} {key} gone (was {})", verdict.unwrap_or("drifted")),
            );
        }
        self.resources = seen;
        self.app_since.clear();
        for ((app, _), memo) in &self.resources {
            if let (true, Some(since)) = (memo.drifting, memo.since) {
                let entry = self.app_since.entry(app.clone()).or_insert(since);
                *entry = (*entry).min(since);
            }
        }
        self.apps.retain(|id, _| snapshot.apps.contains_key(id));
        for cluster in snapshot.clusters.values() {
            let up = !matches!(cluster.reach, Reach::Unreachable { .. });
            let before = self.clusters.insert(cluster.context.clone(), up);
            match (before, up) {
                (Some(true), false) | (None, false) if !first || before.is_none() => {
                    let why = match &cluster.reach {
                        Reach::Unreachable { error } => error.clone(),
                        _ => String::new(),
                    };
                    self.push(
                        now,
                        EventKind::ClusterDown,
                        format!("cluster {} unreachable: {why}", cluster.context),
                    );
                }
                (Some(false), true) => self.push(
                    now,
                    EventKind::ClusterUp,
                    format!("cluster {} reachable again", cluster.context),
                ),
                _ => {}
            }
        }
        self.drifted = drifted;
        if first {
            self.started = true;
            self.push(
                now,
                EventKind::Started,
                format!(
                    "watching {} app environments in {} clusters: {drifted} resources drifted",
                    snapshot.apps.len(),
                    snapshot.clusters.len()
                ),
            );
            self.sample(now);
        }
    }

    /// Record the drifted count for the sparkline when a sample is due.
    pub fn sample(&mut self, now: Timestamp) {
        if !self.started {
            return;
        }
        let due = self
            .last_sample
            .is_none_or(|last| now.as_second() - last.as_second() >= SAMPLE_EVERY_SECONDS);
        if due {
            self.samples.push_back(self.drifted);
            while self.samples.len() > MAX_SAMPLES {
                self.samples.pop_front();
            }
            self.last_sample = Some(now);
        }
    }

    fn push(&mut self, at: Timestamp, kind: EventKind, text: String) {
        self.events.push_back(Event { at, kind, text });
        while self.events.len() > MAX_EVENTS {
            self.events.pop_front();
        }
    }

    /// Since when `app` has drifted (its earliest drifting resource).
    pub fn app_drift_since(&self, app: &AppId) -> Option<Timestamp> {
        self.app_since.get(app).copied()
    }

    /// Since when one resource has drifted.
    pub fn resource_drift_since(&self, app: &AppId, key: &ResourceKey) -> Option<Timestamp> {
        self.resources
            .get(&(app.clone(), key.clone()))
            .filter(|m| m.drifting)
            .and_then(|m| m.since)
    }

    /// Oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &Event> + ExactSizeIterator {
        self.events.iter()
    }

    pub fn samples(&self) -> Vec<u64> {
        self.samples.iter().copied().collect()
    }

    pub fn drifted(&self) -> u64 {
        self.drifted
    }
}

/// `45s`, `12m`, `3h`, `2d`: how long ago, for cells.
pub fn short_age(from: Timestamp, now: Timestamp) -> String {
    let seconds = (now.as_second() - from.as_second()).max(0);
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;
    use std::sync::Arc;

    fn later(minutes: i64) -> Timestamp {
        Timestamp::from_second(fixture::now().as_second() + minutes * 60).expect("time")
    }

    #[test]
    fn drift_since_comes_from_the_live_edit_and_events_follow_changes() {
        let mut tracker = Tracker::new();
        let sample = fixture::sample();
        tracker.observe(&sample, fixture::now());
        let web = AppId::new("web", "prod");
        // kubectl scaled it 12 minutes before "now".
        let since = tracker.app_drift_since(&web).expect("drifting");
        assert_eq!(short_age(since, fixture::now()), "12m");
        // Git-ahead drift counts from when it was first seen.
        let api = AppId::new("api", "stage");
        assert_eq!(tracker.app_drift_since(&api), Some(fixture::now()));
        assert_eq!(tracker.events().len(), 1, "only the start event");

        // web@prod comes back in line; api@stage's revision moves.
        let mut next = sample.clone();
        let synced = Arc::clone(
            next.apps
                .get(&AppId::new("web", "stage"))
                .expect("web@stage"),
        );
        let mut fixed = (*synced).clone();
        fixed.id = web.clone();
        next.apps.insert(web.clone(), Arc::new(fixed));
        let mut moved = (**next.apps.get(&api).expect("api@stage")).clone();
        moved.revision = "main@f00ba12".into();
        next.apps.insert(api.clone(), Arc::new(moved));
        next.generation += 1;
        tracker.observe(&next, later(1));
        let kinds: Vec<EventKind> = tracker.events().map(|e| e.kind).collect();
        assert!(kinds.contains(&EventKind::DriftCleared), "{kinds:?}");
        assert!(kinds.contains(&EventKind::RevisionMoved), "{kinds:?}");
        assert_eq!(tracker.app_drift_since(&web), None);
        let moved = tracker
            .events()
            .find(|e| e.kind == EventKind::RevisionMoved)
            .expect("moved");
        assert_eq!(moved.text, "api@stage: Git main@e4d2a91 → main@f00ba12");
    }

    #[test]
    fn loading_snapshots_are_not_drift_and_samples_are_bounded() {
        let mut tracker = Tracker::new();
        tracker.observe(&Snapshot::default(), fixture::now());
        assert_eq!(tracker.events().len(), 0);
        tracker.observe(&fixture::sample(), fixture::now());
        for i in 0..(MAX_SAMPLES as i64 + 50) {
            tracker.sample(
                Timestamp::from_second(fixture::now().as_second() + i * SAMPLE_EVERY_SECONDS)
                    .expect("t"),
            );
        }
        assert_eq!(tracker.samples().len(), MAX_SAMPLES);
        assert!(tracker.samples().iter().all(|n| *n == tracker.drifted()));
    }

    #[test]
    fn ages_are_short() {
        let t = fixture::now();
        assert_eq!(short_age(t, later(0)), "0s");
        assert_eq!(short_age(t, later(12)), "12m");
        assert_eq!(short_age(t, later(180)), "3h");
        assert_eq!(short_age(t, later(60 * 50)), "2d");
    }
}
