//! What a cluster task reports to the state: plain data, produced by the live layer's
//! watchers (the app crate's `cluster` module) and consumed by [`State`](super::State).

use super::LiveObject;
use crate::model::GroupKind;
use std::fmt;

/// What one cluster task reports. `at` is when the task saw it (the state is clock-free).
///
/// `Debug` (used by tracing) shows each object's identity and resourceVersion, never its
/// content: objects may be Secrets.
#[derive(Clone)]
pub enum ClusterEvent {
    /// The API server answered (probe or discovery): the cluster is reachable.
    Seen { at: jiff::Timestamp },
    /// The API server could not be reached (connection refused, TLS, no answer after
    /// every retry...).
    Unreachable { error: String, at: jiff::Timestamp },
    /// A request got no answer within its bound and is being retried: the server is slow,
    /// not (yet) known to be down.
    Slow { detail: String, at: jiff::Timestamp },
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
        objects: Vec<LiveObject>,
        /// From a metadata-only watch: objects carry apiVersion, kind and metadata only.
        metadata_only: bool,
        at: jiff::Timestamp,
    },
    /// A watch saw an object created or changed (not an apply by kubedrift: see the actions).
    Upserted {
        kind: GroupKind,
        object: LiveObject,
        metadata_only: bool,
        at: jiff::Timestamp,
    },
    /// An object was deleted.
    Deleted {
        kind: GroupKind,
        object: LiveObject,
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
            ClusterEvent::Slow { detail, at } => f
                .debug_struct("Slow")
                .field("detail", detail)
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
                .field("objects", objects)
                .field("metadata_only", metadata_only)
                .field("at", at)
                .finish(),
            ClusterEvent::Upserted {
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
                let name = if matches!(self, ClusterEvent::Upserted { .. }) {
                    "Upserted"
                } else {
                    "Deleted"
                };
                f.debug_struct(name)
                    .field("kind", kind)
                    .field("object", object)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A Secret as a watch delivers it.
    fn live_secret() -> LiveObject {
        LiveObject::new(serde_json::json!({
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
        }))
    }

    #[test]
    fn debug_of_events_shows_identity_never_object_content() {
        let at = jiff::Timestamp::UNIX_EPOCH;
        let kind = GroupKind::new("", "Secret");
        let events = [
            ClusterEvent::Upserted {
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
}
