//! `kubedrift wait`: block until an environment runs a Git revision of an app (live matches
//! the desired state rendered at that revision) and, when asked, is Healthy. Built on the
//! live layer: the verdicts come from the watch.

use crate::engine::compare::Verdict;
use crate::engine::health::HealthStatus;
use crate::live::Live;
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
                message: format!("{}: {}", app.id, app.message()),
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
                    app.context,
                    app.message()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::health::Health;
    use crate::model::ResourceKey;
    use crate::state::ResourceView;
    use std::sync::Arc;

    fn app(sync: SyncState, resources: Vec<(Verdict, HealthStatus)>) -> AppView {
        let resources: Vec<Arc<ResourceView>> = resources
            .into_iter()
            .enumerate()
            .map(|(i, (verdict, status))| {
                Arc::new(ResourceView {
                    key: ResourceKey::new("apps", "Deployment", Some("shop"), &format!("web{i}")),
                    verdict,
                    health: Some(Health {
                        status,
                        message: None,
                    }),
                    origin: None,
                    attribution: None,
                    awaiting_list: false,
                    desired: None,
                    live: None,
                })
            })
            .collect();
        let health = crate::engine::health::worst(
            resources
                .iter()
                .filter_map(|r| r.health.as_ref().map(|h| h.status)),
        );
        AppView {
            id: AppId::new("web", "dev"),
            context: "dev".into(),
            namespace: Some("shop".into()),
            revision: "main@1a2b3c4".into(),
            sync,
            health,
            summary: crate::state::AppSummary {
                cause: crate::state::SyncCause::RenderFailed {
                    error: "boom".into(),
                },
                ..Default::default()
            },
            resources,
            ignore: Vec::new(),
            controller: None,
        }
    }

    #[test]
    fn synced_is_done_and_healthy_is_required_only_when_asked() {
        let progressing = app(
            SyncState::Synced,
            vec![(Verdict::Synced, HealthStatus::Progressing)],
        );
        assert_eq!(judge(Some(&progressing), false), Judgement::Done);
        assert_eq!(
            judge(Some(&progressing), true),
            Judgement::Pending {
                remaining: vec!["apps/Deployment/shop/web0 Progressing".into()]
            }
        );
        let healthy = app(
            SyncState::Synced,
            vec![(Verdict::Synced, HealthStatus::Healthy)],
        );
        assert_eq!(judge(Some(&healthy), true), Judgement::Done);
    }

    #[test]
    fn what_still_differs_is_named_and_degraded_ends_the_wait_once_synced() {
        let drift = app(
            SyncState::OutOfSync,
            vec![
                (Verdict::Missing, HealthStatus::Missing),
                (Verdict::Synced, HealthStatus::Healthy),
            ],
        );
        assert_eq!(
            judge(Some(&drift), false),
            Judgement::Pending {
                remaining: vec!["apps/Deployment/shop/web0 Missing".into()]
            }
        );
        let degraded = app(
            SyncState::Synced,
            vec![(Verdict::Synced, HealthStatus::Degraded)],
        );
        assert!(matches!(
            judge(Some(&degraded), true),
            Judgement::Degraded { .. }
        ));
        assert_eq!(judge(Some(&degraded), false), Judgement::Done);
        let broken = app(SyncState::Error, Vec::new());
        assert_eq!(
            judge(Some(&broken), false),
            Judgement::Error {
                message: "web@dev: render failed: boom".into()
            }
        );
        assert!(matches!(judge(None, false), Judgement::Pending { .. }));
    }
}
