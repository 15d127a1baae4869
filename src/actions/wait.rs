//! `kubedrift wait`: block until an environment runs a Git revision of an app (live matches
//! the desired state rendered at that revision) and, when asked, is Healthy. Built on the
//! live layer: the verdicts come from the watch.

use crate::engine::compare::Verdict;
use crate::engine::health::HealthStatus;
use crate::state::live::Live;
use crate::state::{AppId, AppView, SyncState};
use serde::Serialize;
use std::time::Duration;

/// Where an app stands against what `wait` waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Judgement {
    /// Live matches the revision (and is Healthy when asked).
    Done,
    /// Not yet: what is still different.
    Pending { remaining: Vec<String> },
    /// The revision is running but the app is Degraded (with --healthy): give up now.
    Degraded { remaining: Vec<String> },
    /// The revision cannot be judged (render error, unknown app).
    Error { message: String },
}

/// Judge one app row. `healthy`: Healthy is required too.
pub fn judge(app: Option<&AppView>, healthy: bool) -> Judgement {
    let Some(app) = app else {
        return Judgement::Pending {
            remaining: vec!["the app is not known yet".into()],
        };
    };
    match app.sync {
        SyncState::Error => {
            return Judgement::Error {
                message: format!("{}: {}", app.id, app.message),
            }
        }
        SyncState::Loading => {
            return Judgement::Pending {
                remaining: vec!["the cluster's first list is still running".into()],
            }
        }
        SyncState::Unreachable => {
            return Judgement::Pending {
                remaining: vec![format!(
                    "cluster {} unreachable: {}",
                    app.context, app.message
                )],
            }
        }
        _ => {}
    }
    let mut remaining: Vec<String> = app
        .resources
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Synced => None,
            Verdict::OutOfSync { paths } => Some(format!(
                "{} OutOfSync: {}",
                r.key,
                paths
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Verdict::Unknown { reason } => Some(format!("{} Unknown: {reason}", r.key)),
            other => Some(format!("{} {}", r.key, other.label())),
        })
        .collect();
    let synced = remaining.is_empty();
    if healthy {
        for r in &app.resources {
            if let Some(health) = &r.health {
                // A suspended CronJob is as healthy as it means to be.
                if !matches!(
                    health.status,
                    HealthStatus::Healthy | HealthStatus::Suspended
                ) {
                    remaining.push(format!(
                        "{} {}{}",
                        r.key,
                        health.status.label(),
                        health
                            .message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
    }
    if remaining.is_empty() {
        Judgement::Done
    } else if healthy && synced && app.health == Some(HealthStatus::Degraded) {
        Judgement::Degraded { remaining }
    } else {
        Judgement::Pending { remaining }
    }
}

/// Wait for `id` on `live` until it is done, Degraded, in error, or `timeout` passed; the
/// last judgement either way. `progress` hears what is still different each time that
/// changes (for CI logs).
pub async fn wait(
    live: &Live,
    id: &AppId,
    healthy: bool,
    timeout: Duration,
    mut progress: impl FnMut(&[String]),
) -> Judgement {
    let mut last: Option<Vec<String>> = None;
    let (snapshot, _) = live
        .wait_until(timeout, |s| {
            if !s.sources_loaded {
                return false;
            }
            match judge(s.apps.get(id).map(|a| a.as_ref()), healthy) {
                Judgement::Pending { remaining } => {
                    if last.as_ref() != Some(&remaining) {
                        progress(&remaining);
                        last = Some(remaining);
                    }
                    false
                }
                _ => true,
            }
        })
        .await;
    if !snapshot.sources_loaded {
        return Judgement::Pending {
            remaining: vec!["Git was not read yet".into()],
        };
    }
    judge(snapshot.apps.get(id).map(|a| a.as_ref()), healthy)
}
