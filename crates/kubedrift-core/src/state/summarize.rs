//! The published views: one app's sync, health and message from its resources' results, and
//! one cluster's reachability and watched kinds.

use super::summary::{AppSummary, SyncCause};
use super::{
    AppState, AppView, ClusterState, ClusterView, KindState, KindStatus, Reach, ResourceView,
    SyncState,
};
use crate::engine::app::{summarize_sync, AppSync};
use crate::engine::compare::Verdict;
use crate::engine::health;
use crate::model::GroupKind;
use std::sync::Arc;

pub(super) fn cluster_view(context: &str, cluster: &ClusterState) -> ClusterView {
    let mut kinds: Vec<(GroupKind, KindStatus)> = cluster
        .planned_kinds
        .iter()
        .map(|k| {
            let status = match cluster.kind_state(k) {
                KindState::Pending => KindStatus::Listing,
                KindState::Listed => KindStatus::Watching,
                KindState::Failed {
                    reason,
                    forbidden: true,
                } => KindStatus::Forbidden { reason },
                KindState::Failed {
                    reason,
                    forbidden: false,
                } => KindStatus::Failed { reason },
            };
            (k.clone(), status)
        })
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    ClusterView {
        context: context.to_string(),
        reach: cluster.reach.clone(),
        last_seen: cluster.last_seen,
        settled: cluster.settled(),
        objects: cluster.live.len(),
        kinds,
    }
}

pub(super) fn app_view(app: &AppState, cluster: Option<&ClusterState>) -> AppView {
    let resources: Vec<Arc<ResourceView>> = app.results.values().cloned().collect();
    let health = health::worst(
        resources
            .iter()
            .filter_map(|r| r.health.as_ref().map(|h| h.status)),
    );
    let reach = cluster.map(|c| c.reach.clone()).unwrap_or_default();
    let last_seen = cluster.and_then(|c| c.last_seen);
    // The resources' verdicts decide as they do for `compare` ([`summarize_sync`]); what only
    // the live state knows (render failed, cluster unreachable, lists still coming) comes first
    // or refines it. The text is the views' business ([`AppSummary::message`]).
    let (sync, cause) = if let Some(error) = &app.render_error {
        (
            SyncState::Error,
            SyncCause::RenderFailed {
                error: error.clone(),
            },
        )
    } else if let Reach::Unreachable { error } = &reach {
        (
            SyncState::Unreachable,
            SyncCause::Unreachable {
                error: error.clone(),
                last_seen,
            },
        )
    } else {
        match summarize_sync(resources.iter().map(|r| &r.verdict)) {
            AppSync::OutOfSync => {
                let count =
                    |is: fn(&Verdict) -> bool| resources.iter().filter(|r| is(&r.verdict)).count();
                let first_attribution = resources
                    .iter()
                    .find_map(|r| r.attribution.as_ref().map(|a| (r.key.clone(), a.clone())));
                (
                    SyncState::OutOfSync,
                    SyncCause::Drift {
                        out_of_sync: count(|v| matches!(v, Verdict::OutOfSync { .. })),
                        missing: count(|v| matches!(v, Verdict::Missing)),
                        extraneous: count(|v| matches!(v, Verdict::Extraneous)),
                        first_attribution,
                    },
                )
            }
            AppSync::Unknown => {
                let reason_of = |r: &ResourceView| match &r.verdict {
                    Verdict::Unknown { reason } => reason.clone(),
                    _ => String::new(),
                };
                match resources.iter().find(|r| r.awaiting_list) {
                    Some(waiting) => (
                        SyncState::Loading,
                        SyncCause::AwaitingList {
                            reason: reason_of(waiting),
                        },
                    ),
                    None => {
                        let first = resources
                            .iter()
                            .find(|r| matches!(r.verdict, Verdict::Unknown { .. }))
                            .map(|r| (r.key.clone(), reason_of(r)));
                        (SyncState::Unknown, SyncCause::Undecided { first })
                    }
                }
            }
            // Slow before any answer is still connecting.
            AppSync::Synced
                if (matches!(reach, Reach::Connecting)
                    || (matches!(reach, Reach::Slow { .. }) && last_seen.is_none()))
                    && !app.desired.is_empty() =>
            {
                (SyncState::Loading, SyncCause::Connecting)
            }
            AppSync::Synced => (SyncState::Synced, SyncCause::Synced),
        }
    };
    // Some manifest failed to parse: what the broken file held is undecided, so the app is
    // an error (exit 2) whatever the rest says, as `compare` treats the same file.
    let incomplete =
        !app.complete && app.render_error.is_none() && !matches!(sync, SyncState::Unreachable);
    let sync = if incomplete { SyncState::Error } else { sync };
    let summary = AppSummary {
        cause,
        incomplete,
        problems: app.problems.clone(),
    };
    AppView {
        id: app.id.clone(),
        context: app.context.clone(),
        namespace: app.namespace.clone(),
        revision: app.revision.clone(),
        sync,
        health,
        summary,
        resources,
        ignore: app.ignore.clone(),
        controller: None,
    }
}
