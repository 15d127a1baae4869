//! Live layer: one task set per kubeconfig context, watching the kinds that are needed.
//!
//! Each cluster runs independently: discovery (cached, refreshed when CRDs change), one
//! watcher per needed kind (namespace-scoped when the app namespaces are known), and a
//! reachability probe. Everything a cluster learns is sent as a [`ClusterEvent`] to the state
//! task; nothing here decides sync status, and nothing a view does waits on these tasks.
//!
//! Failures are per cluster and per kind: an unreachable cluster reconnects with capped
//! exponential backoff ([`Backoff`], never giving up) while the others keep updating; a kind
//! the user may not list (403) is reported and retried, everything else keeps working; a watch
//! that can no longer resume (410 Gone) relists.

pub mod dry_run;
pub mod kubeconfig;
mod tasks;

pub use tasks::{spawn_cluster, ClusterPlan, ClusterTask};

use crate::model::Object;
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// A kind of object, as discovery and the state know it: API group and kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct GroupKind {
    /// Empty for the core group.
    pub group: String,
    pub kind: String,
}

impl GroupKind {
    pub fn new(group: &str, kind: &str) -> Self {
        GroupKind {
            group: group.to_string(),
            kind: kind.to_string(),
        }
    }

    /// The kind of a resource identity.
    pub fn of_key(key: &crate::model::ResourceKey) -> Self {
        GroupKind::new(&key.group, &key.kind)
    }
}

impl fmt::Display for GroupKind {
    /// `Deployment.apps`, `ConfigMap` (kubectl's spelling).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}.{}", self.kind, self.group)
        }
    }
}

/// What one cluster task reports. `at` is when the task saw it (the state is clock-free).
///
/// `Debug` (used by tracing) shows each object's identity and resourceVersion, never its
/// content: objects may be Secrets.
#[derive(Clone)]
pub enum ClusterEvent {
    /// The API server answered (probe or discovery): the cluster is reachable.
    Seen { at: jiff::Timestamp },
    /// The API server could not be reached (connection refused, TLS, timeout...).
    Unreachable { error: String, at: jiff::Timestamp },
    /// Discovery ran: `served` kinds will be watched, `missing` ones do not exist here.
    /// `scoped` lists which served kinds are cluster-scoped.
    Discovered {
        served: Vec<GroupKind>,
        cluster_scoped: Vec<GroupKind>,
        missing: Vec<GroupKind>,
        at: jiff::Timestamp,
    },
    /// A complete (re)list of `kind` within `namespace` (None: all namespaces): replaces
    /// everything known of that kind there.
    Listed {
        kind: GroupKind,
        namespace: Option<String>,
        objects: Vec<Object>,
        /// From a metadata-only watch: objects carry apiVersion, kind and metadata only.
        metadata_only: bool,
        at: jiff::Timestamp,
    },
    /// An object was created or changed.
    Applied {
        kind: GroupKind,
        object: Object,
        metadata_only: bool,
        at: jiff::Timestamp,
    },
    /// An object was deleted.
    Deleted {
        kind: GroupKind,
        object: Object,
        metadata_only: bool,
        at: jiff::Timestamp,
    },
    /// `kind` cannot be listed: `forbidden` when the API said 403.
    KindFailed {
        kind: GroupKind,
        reason: String,
        forbidden: bool,
        at: jiff::Timestamp,
    },
}

impl fmt::Debug for ClusterEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterEvent::Seen { at } => f.debug_struct("Seen").field("at", at).finish(),
            ClusterEvent::Unreachable { error, at } => f
                .debug_struct("Unreachable")
                .field("error", error)
                .field("at", at)
                .finish(),
            ClusterEvent::Discovered {
                served,
                cluster_scoped,
                missing,
                at,
            } => f
                .debug_struct("Discovered")
                .field("served", served)
                .field("cluster_scoped", cluster_scoped)
                .field("missing", missing)
                .field("at", at)
                .finish(),
            ClusterEvent::Listed {
                kind,
                namespace,
                objects,
                metadata_only,
                at,
            } => f
                .debug_struct("Listed")
                .field("kind", kind)
                .field("namespace", namespace)
                .field(
                    "objects",
                    &objects.iter().map(ObjectIdentity).collect::<Vec<_>>(),
                )
                .field("metadata_only", metadata_only)
                .field("at", at)
                .finish(),
            ClusterEvent::Applied {
                kind,
                object,
                metadata_only,
                at,
            }
            | ClusterEvent::Deleted {
                kind,
                object,
                metadata_only,
                at,
            } => {
                let name = if matches!(self, ClusterEvent::Applied { .. }) {
                    "Applied"
                } else {
                    "Deleted"
                };
                f.debug_struct(name)
                    .field("kind", kind)
                    .field("object", &ObjectIdentity(object))
                    .field("metadata_only", metadata_only)
                    .field("at", at)
                    .finish()
            }
            ClusterEvent::KindFailed {
                kind,
                reason,
                forbidden,
                at,
            } => f
                .debug_struct("KindFailed")
                .field("kind", kind)
                .field("reason", reason)
                .field("forbidden", forbidden)
                .field("at", at)
                .finish(),
        }
    }
}

/// Debug view of a live object: `namespace/name@resourceVersion`, nothing of its content.
struct ObjectIdentity<'a>(&'a Object);

impl fmt::Debug for ObjectIdentity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |pointer: &str| {
            self.0
                .pointer(pointer)
                .and_then(|v| v.as_str())
                .unwrap_or("-")
        };
        let namespace = self
            .0
            .pointer("/metadata/namespace")
            .and_then(|v| v.as_str());
        if let Some(namespace) = namespace {
            write!(f, "{namespace}/")?;
        }
        write!(
            f,
            "{}@{}",
            text("/metadata/name"),
            text("/metadata/resourceVersion")
        )
    }
}

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

    /// A Secret as a watch delivers it.
    fn live_secret() -> Object {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {
                "name": "db-credentials", "namespace": "shop",
                "uid": "4d6f8a0c-2e4b-4c6d-9f1a-3b5d7f9a1c3e", "resourceVersion": "77120",
                "creationTimestamp": "2026-03-02T10:00:00Z",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"stringData\":{\"password\":\"s3cr3t-hunter2-value\"}}"},
                "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                                   "apiVersion": "v1", "time": "2026-03-02T10:00:00Z",
                                   "fieldsType": "FieldsV1",
                                   "fieldsV1": {"f:data": {"f:password": {}}}}]
            },
            "data": {"password": "czNjcjN0LWh1bnRlcjItdmFsdWU="}
        })
    }

    #[test]
    fn debug_of_events_shows_identity_never_object_content() {
        let at = jiff::Timestamp::UNIX_EPOCH;
        let kind = GroupKind::new("", "Secret");
        let events = [
            ClusterEvent::Applied {
                kind: kind.clone(),
                object: live_secret(),
                metadata_only: false,
                at,
            },
            ClusterEvent::Deleted {
                kind: kind.clone(),
                object: live_secret(),
                metadata_only: false,
                at,
            },
            ClusterEvent::Listed {
                kind,
                namespace: Some("shop".into()),
                objects: vec![live_secret()],
                metadata_only: false,
                at,
            },
        ];
        for event in &events {
            let debug = format!("{event:?} {event:#?}");
            assert!(debug.contains("shop/db-credentials@77120"), "{debug}");
            for leak in [
                "czNjcjN0LWh1bnRlcjItdmFsdWU=",
                "s3cr3t-hunter2-value",
                "password",
            ] {
                assert!(!debug.contains(leak), "{leak} leaked: {debug}");
            }
        }
        assert!(format!("{:?}", events[1]).starts_with("Deleted"));
    }

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

    #[test]
    fn group_kind_displays_like_kubectl() {
        assert_eq!(
            GroupKind::new("apps", "Deployment").to_string(),
            "Deployment.apps"
        );
        assert_eq!(GroupKind::new("", "ConfigMap").to_string(), "ConfigMap");
    }
}
