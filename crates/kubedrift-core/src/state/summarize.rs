//! The published views: one app's sync, health and message from its resources' results, and
//! one cluster's reachability and watched kinds.

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
    // or refines it.
    let (sync, message) = if let Some(error) = &app.render_error {
        (SyncState::Error, format!("render failed: {error}"))
    } else if let Reach::Unreachable { error } = &reach {
        let since = last_seen
            .map(|t| format!("last seen {}", t.strftime("%Y-%m-%dT%H:%M:%SZ")))
            .unwrap_or_else(|| "never reached".to_string());
        (
            SyncState::Unreachable,
            format!("cluster unreachable ({since}): {error}"),
        )
    } else {
        match summarize_sync(resources.iter().map(|r| &r.verdict)) {
            AppSync::OutOfSync => {
                let mut counts = [("OutOfSync", 0usize), ("Missing", 0), ("Extraneous", 0)];
                for resource in &resources {
                    let slot = match resource.verdict {
                        Verdict::OutOfSync { .. } => 0,
                        Verdict::Missing => 1,
                        Verdict::Extraneous => 2,
                        _ => continue,
                    };
                    counts[slot].1 += 1;
                }
                let parts: Vec<String> = counts
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(label, n)| format!("{n} {label}"))
                    .collect();
                let mut message = parts.join(", ");
                if let Some(first) = resources
                    .iter()
                    .find_map(|r| r.attribution.as_ref().map(|a| (r, a)))
                {
                    message.push_str(&format!("; {} {}", first.0.key, first.1.summary()));
                }
                (SyncState::OutOfSync, message)
            }
            AppSync::Unknown => {
                let reason_of = |r: &ResourceView| match &r.verdict {
                    Verdict::Unknown { reason } => reason.clone(),
                    _ => String::new(),
                };
                match resources.iter().find(|r| r.awaiting_list) {
                    Some(waiting) => (SyncState::Loading, reason_of(waiting)),
                    None => {
                        let undecided = resources
                            .iter()
                            .find(|r| matches!(r.verdict, Verdict::Unknown { .. }));
                        let reason = undecided
                            .map(|r| format!("{}: {}", r.key, reason_of(r)))
                            .unwrap_or_default();
                        (SyncState::Unknown, reason)
                    }
                }
            }
            AppSync::Synced if matches!(reach, Reach::Connecting) && !app.desired.is_empty() => {
                (SyncState::Loading, "connecting".to_string())
            }
            AppSync::Synced => (SyncState::Synced, String::new()),
        }
    };
    // Some manifest failed to parse: what the broken file held is undecided, so the app is
    // an error (exit 2) whatever the rest says, as `compare` treats the same file.
    let incomplete =
        !app.complete && app.render_error.is_none() && !matches!(sync, SyncState::Unreachable);
    let (sync, message) = if incomplete {
        let problems = if app.problems.is_empty() {
            "some manifests could not be read".to_string()
        } else {
            app.problems.join("; ")
        };
        let message = if message.is_empty() {
            format!("incomplete render: {problems}")
        } else {
            format!("incomplete render: {problems}; {message}")
        };
        (SyncState::Error, message)
    } else {
        (sync, message)
    };
    let message = if app.problems.is_empty() || sync == SyncState::Error {
        message
    } else if message.is_empty() {
        app.problems.join("; ")
    } else {
        format!("{message}; {}", app.problems.join("; "))
    };
    AppView {
        id: app.id.clone(),
        context: app.context.clone(),
        namespace: app.namespace.clone(),
        revision: app.revision.clone(),
        sync,
        health,
        message,
        resources,
        ignore: app.ignore.clone(),
    }
}
