//! What each cluster must watch, derived from the desired apps: pure planning, so the live
//! layer (the app crate's `cluster` tasks) only executes it.

use super::{AppId, DesiredApp};
use crate::model::GroupKind;
use std::collections::{BTreeMap, BTreeSet};

/// What to watch in one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterPlan {
    /// The kinds needed: kinds in the desired set plus kinds where tracked extraneous objects
    /// can live.
    pub kinds: BTreeSet<GroupKind>,
    /// Namespaces to watch namespaced kinds in; None watches all namespaces (needed when an
    /// app's namespace is not known).
    pub namespaces: Option<BTreeSet<String>>,
    /// Kinds of `kinds` watched for their metadata only (`PartialObjectMetadata`): nothing
    /// desired is of these kinds, so only tracking marks matter (and Secret values are never
    /// fetched).
    pub metadata_only: BTreeSet<GroupKind>,
}

/// Kinds watched in every cluster besides the desired ones, because objects tracked to an app
/// that Git no longer has (Extraneous) commonly live there.
pub const TRACKED_KINDS: &[(&str, &str)] = &[
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "CronJob"),
    ("networking.k8s.io", "Ingress"),
];

/// What one app needs watched.
pub struct AppNeeds {
    context: String,
    namespace: Option<String>,
    kinds: BTreeSet<GroupKind>,
    namespaces: BTreeSet<String>,
}

impl AppNeeds {
    pub fn of(app: &DesiredApp) -> Self {
        let mut kinds = BTreeSet::new();
        let mut namespaces = BTreeSet::new();
        if let Ok(rendered) = &app.rendered {
            for obj in &rendered.objects {
                kinds.insert(GroupKind::of_key(&obj.key));
                if let Some(ns) = &obj.key.namespace {
                    namespaces.insert(ns.to_string());
                }
            }
        }
        AppNeeds {
            context: app.context.clone(),
            namespace: app.namespace.clone(),
            kinds,
            namespaces,
        }
    }
}

/// Desired kinds plus [`TRACKED_KINDS`]; namespace-scoped when every app of the context
/// names its namespace.
pub fn plan_for(context: &str, apps: &BTreeMap<AppId, AppNeeds>) -> ClusterPlan {
    let tracked: BTreeSet<GroupKind> = TRACKED_KINDS
        .iter()
        .map(|(g, k)| GroupKind::new(g, k))
        .collect();
    let mut desired_kinds = BTreeSet::new();
    let mut namespaces = Some(BTreeSet::new());
    for needs in apps.values().filter(|n| n.context == context) {
        desired_kinds.extend(needs.kinds.iter().cloned());
        match (&mut namespaces, &needs.namespace) {
            (Some(set), Some(ns)) => {
                set.insert(ns.clone());
                set.extend(needs.namespaces.iter().cloned());
            }
            _ => namespaces = None,
        }
    }
    if namespaces.as_ref().is_some_and(BTreeSet::is_empty) {
        namespaces = None;
    }
    let metadata_only: BTreeSet<GroupKind> = tracked.difference(&desired_kinds).cloned().collect();
    let kinds = tracked.union(&desired_kinds).cloned().collect();
    ClusterPlan {
        kinds,
        namespaces,
        metadata_only,
    }
}
