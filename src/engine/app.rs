//! One app in one environment: match desired objects with live ones by identity and decide
//! every resource's verdict and health, plus the app's overall sync and health.
//!
//! Pure: the caller brings the rendered desired objects and the live objects it knows of
//! (from a cluster cache, or a `kubectl get -o yaml` dump). Live objects that are not desired
//! count only when they carry a tracking mark of this app (see `ownership`); everything else
//! in the cluster is none of this app's business.

use crate::engine::compare::{compare, CompareOptions, Verdict};
use crate::engine::health::{self, Health, HealthStatus};
use crate::engine::ownership;
use crate::model::{Object, ResourceKey};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One desired object with its identity and where it came from (for messages).
#[derive(Debug, Clone)]
pub struct DesiredResource<'a> {
    pub key: ResourceKey,
    pub object: &'a Object,
    /// `file:line` of the manifest, when known.
    pub origin: Option<String>,
}

/// The verdict and health of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceStatus {
    pub key: ResourceKey,
    pub verdict: Verdict,
    /// Health of the live object (`Missing` when it does not exist); None for kinds without
    /// a health rule.
    pub health: Option<Health>,
    /// `file:line` of the desired manifest, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// The app's sync status: the summary of its resources' verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AppSync {
    Synced,
    OutOfSync,
    /// Some verdict could not be decided and none drifted.
    Unknown,
}

/// Result of comparing one app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppComparison {
    /// Sorted by identity, desired and extraneous alike.
    pub resources: Vec<ResourceStatus>,
    pub sync: AppSync,
    /// The worst health among the resources; None when no resource has a health rule.
    pub health: Option<HealthStatus>,
}

impl AppComparison {
    /// True when any resource drifted (OutOfSync, Missing or Extraneous).
    pub fn has_drift(&self) -> bool {
        self.resources.iter().any(|r| r.verdict.is_drift())
    }
}

/// Which live objects belong to the app even when Git no longer has them.
#[derive(Debug, Clone, Copy)]
pub enum Tracking<'a> {
    /// Live objects with a tracking mark naming this app are Extraneous when not desired.
    App(&'a str),
    /// No app identity is known (offline compare without `--app`): live-only objects are
    /// never Extraneous.
    None,
}

/// Compare one app: every desired resource against its live twin (by identity), plus the
/// live objects tracked to the app that Git does not have.
pub fn compare_app(
    desired: &[DesiredResource<'_>],
    live: &HashMap<ResourceKey, &Object>,
    tracking: Tracking<'_>,
    opts: &CompareOptions<'_>,
) -> AppComparison {
    let mut by_key: BTreeMap<&ResourceKey, ResourceStatus> = BTreeMap::new();
    for resource in desired {
        let live_obj = live.get(&resource.key).copied();
        let verdict = compare(Some(resource.object), live_obj, opts);
        let health = match live_obj {
            Some(obj) => health::assess(obj),
            None => Some(Health {
                status: HealthStatus::Missing,
                message: None,
            }),
        };
        by_key.insert(
            &resource.key,
            ResourceStatus {
                key: resource.key.clone(),
                verdict,
                health,
                origin: resource.origin.clone(),
            },
        );
    }
    if let Tracking::App(app) = tracking {
        for (key, obj) in live {
            if by_key.contains_key(key) || !ownership::is_tracked_to(obj, app) {
                continue;
            }
            by_key.insert(
                key,
                ResourceStatus {
                    key: key.clone(),
                    verdict: compare(None, Some(obj), opts),
                    health: health::assess(obj),
                    origin: None,
                },
            );
        }
    }
    let resources: Vec<ResourceStatus> = by_key.into_values().collect();
    let sync = summarize_sync(&resources);
    let health = health::worst(
        resources
            .iter()
            .filter_map(|r| r.health.as_ref().map(|h| h.status)),
    );
    AppComparison {
        resources,
        sync,
        health,
    }
}

fn summarize_sync(resources: &[ResourceStatus]) -> AppSync {
    if resources.iter().any(|r| r.verdict.is_drift()) {
        AppSync::OutOfSync
    } else if resources
        .iter()
        .any(|r| matches!(r.verdict, Verdict::Unknown { .. }))
    {
        AppSync::Unknown
    } else {
        AppSync::Synced
    }
}
