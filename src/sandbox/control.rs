//! The controller loop: status moves like a cluster's. Workloads become available
//! `ready_after` their last spec change, LoadBalancer Services get an IP, PVCs bind, Jobs
//! complete. Writes go through the same cluster operations as API requests (manager
//! `kube-controller-manager`, `/status` subresource), so watchers see status events.
//!
//! Private stand-in: `objects::controller` (pure reconcile steps) is still empty; the status
//! shapes below should move there when it lands.

use super::cluster::{timestamp, Cluster, PatchKind, Subresource, WriteOptions};
use super::store::{EventType, StoreEvent};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

const TICK: Duration = Duration::from_millis(50);
const MANAGER: &str = "kube-controller-manager";

/// The kinds this loop reconciles: (group, plural, kind).
const WATCHED: &[(&str, &str, &str)] = &[
    ("apps", "deployments", "Deployment"),
    ("apps", "statefulsets", "StatefulSet"),
    ("apps", "daemonsets", "DaemonSet"),
    ("apps", "replicasets", "ReplicaSet"),
    ("", "services", "Service"),
    ("", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("batch", "jobs", "Job"),
];

type Key = (String, String, String, String);

fn key_of(group: &str, plural: &str, obj: &Value) -> Key {
    let text = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (
        group.to_string(),
        plural.to_string(),
        text("/metadata/namespace"),
        text("/metadata/name"),
    )
}

/// Remove volatile timestamps so "already converged" ignores them.
fn without_times(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "lastUpdateTime"
                            | "lastTransitionTime"
                            | "startTime"
                            | "completionTime"
                            | "lastHeartbeatTime"
                    )
                })
                .map(|(k, v)| (k.clone(), without_times(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_times).collect()),
        other => other.clone(),
    }
}

fn converged(obj: &Value, patch: &Value) -> bool {
    let mut patched = obj.clone();
    super::objects::merge::json_merge_patch(&mut patched, patch);
    without_times(&patched) == without_times(obj)
}

fn pod_template_hash(obj: &Value) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    obj.pointer("/spec/template")
        .map(|t| t.to_string())
        .unwrap_or_default()
        .hash(&mut hasher);
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut n = hasher.finish();
    (0..10)
        .map(|_| {
            let c = ALPHABET.get((n % 27) as usize).copied().unwrap_or(b'b');
            n /= 27;
            char::from(c)
        })
        .collect()
}

fn condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
    with_update: bool,
) -> Value {
    let mut c = json!({"type": kind, "status": status});
    if with_update {
        c["lastUpdateTime"] = json!(now);
    }
    c["lastTransitionTime"] = json!(now);
    c["reason"] = json!(reason);
    c["message"] = json!(message);
    c
}

fn nonzero(n: i64) -> Value {
    if n == 0 {
        Value::Null
    } else {
        json!(n)
    }
}

/// Status patches for an object: (immediate, after `ready_after`). Either may be None.
/// The second element may also carry a main-resource patch (PVC volumeName).
struct Plan {
    now_status: Option<Value>,
    ready_status: Option<Value>,
    ready_spec: Option<Value>,
}

fn plan(kind: &str, obj: &Value, now: &str) -> Plan {
    let generation = obj
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let replicas = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let none = Plan {
        now_status: None,
        ready_status: None,
        ready_spec: None,
    };
    match kind {
        "Deployment" => {
            let rs = format!("{name}-{}", pod_template_hash(obj));
            let progressing = json!({"status": {
            "observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": null, "availableReplicas": null, "unavailableReplicas": nonzero(replicas),
            "conditions": [
                condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now, true),
                condition("Progressing", "True", "ReplicaSetUpdated", &format!("ReplicaSet \"{rs}\" is progressing."), now, true),
            ]}});
            let ready = json!({"status": {
            "observedGeneration": generation, "replicas": nonzero(replicas), "updatedReplicas": nonzero(replicas),
            "readyReplicas": nonzero(replicas), "availableReplicas": nonzero(replicas), "unavailableReplicas": null,
            "conditions": [
                condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now, true),
                condition("Progressing", "True", "NewReplicaSetAvailable", &format!("ReplicaSet \"{rs}\" has successfully progressed."), now, true),
            ]}});
            Plan {
                now_status: Some(progressing),
                ready_status: Some(ready),
                ready_spec: None,
            }
        }
        "StatefulSet" => {
            let revision = format!("{name}-{}", pod_template_hash(obj));
            Plan {
                now_status: Some(
                    json!({"status": {"observedGeneration": generation, "replicas": replicas, "currentReplicas": replicas, "updatedReplicas": replicas, "readyReplicas": null, "availableReplicas": 0, "currentRevision": revision, "updateRevision": revision, "collisionCount": 0}}),
                ),
                ready_status: Some(
                    json!({"status": {"observedGeneration": generation, "replicas": replicas, "currentReplicas": replicas, "updatedReplicas": replicas, "readyReplicas": nonzero(replicas), "availableReplicas": replicas, "currentRevision": revision, "updateRevision": revision, "collisionCount": 0}}),
                ),
                ready_spec: None,
            }
        }
        "DaemonSet" => Plan {
            now_status: Some(
                json!({"status": {"observedGeneration": generation, "currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberMisscheduled": 0, "numberReady": 0, "updatedNumberScheduled": 1, "numberUnavailable": 1, "numberAvailable": null}}),
            ),
            ready_status: Some(
                json!({"status": {"observedGeneration": generation, "currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberMisscheduled": 0, "numberReady": 1, "updatedNumberScheduled": 1, "numberAvailable": 1, "numberUnavailable": null}}),
            ),
            ready_spec: None,
        },
        "ReplicaSet" => Plan {
            now_status: None,
            ready_status: Some(
                json!({"status": {"observedGeneration": generation, "replicas": replicas, "fullyLabeledReplicas": nonzero(replicas), "readyReplicas": nonzero(replicas), "availableReplicas": nonzero(replicas)}}),
            ),
            ready_spec: None,
        },
        "Service" if obj.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer") => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            obj.pointer("/metadata/uid")
                .map(|u| u.to_string())
                .unwrap_or_default()
                .hash(&mut hasher);
            let ip = format!("172.18.255.{}", 1 + hasher.finish() % 254);
            Plan {
                now_status: None,
                ready_status: Some(
                    json!({"status": {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}}),
                ),
                ready_spec: None,
            }
        }
        "PersistentVolumeClaim" => {
            let uid = obj
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or("");
            let storage = obj
                .pointer("/spec/resources/requests/storage")
                .cloned()
                .unwrap_or(json!("1Gi"));
            let access = obj
                .pointer("/spec/accessModes")
                .cloned()
                .unwrap_or(json!(["ReadWriteOnce"]));
            let volume = obj
                .pointer("/spec/volumeName")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty());
            Plan {
                now_status: Some(json!({"status": {"phase": "Pending"}})),
                ready_status: Some(
                    json!({"status": {"phase": "Bound", "accessModes": access, "capacity": {"storage": storage}}}),
                ),
                ready_spec: if volume.is_none() {
                    Some(json!({"spec": {"volumeName": format!("pvc-{uid}")}}))
                } else {
                    None
                },
            }
        }
        "Job" => {
            let completions = obj
                .pointer("/spec/completions")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let start = obj
                .pointer("/status/startTime")
                .and_then(Value::as_str)
                .unwrap_or(now)
                .to_string();
            Plan {
                now_status: Some(
                    json!({"status": {"startTime": start, "active": 1, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}}),
                ),
                ready_status: Some(json!({"status": {
                "startTime": start, "completionTime": now, "active": null, "succeeded": completions, "ready": 0, "terminating": 0,
                "uncountedTerminatedPods": {},
                "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": now, "lastTransitionTime": now, "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"},
                    {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now, "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"}
                ]}})),
                ready_spec: None,
            }
        }
        _ => none,
    }
}

struct Controller {
    cluster: Arc<Cluster>,
    ready_after: Duration,
    /// Objects waiting to become ready, with the time they do.
    pending: HashMap<Key, Instant>,
}

impl Controller {
    fn opts() -> WriteOptions {
        WriteOptions {
            field_manager: MANAGER.into(),
            dry_run: false,
        }
    }

    fn kind_for(group: &str, plural: &str) -> Option<&'static str> {
        WATCHED
            .iter()
            .find(|(g, p, _)| *g == group && *p == plural)
            .map(|(_, _, k)| *k)
    }

    fn observe(&mut self, group: &str, plural: &str, obj: &Value) {
        let Some(kind) = Self::kind_for(group, plural) else {
            return;
        };
        if obj.pointer("/metadata/deletionTimestamp").is_some() {
            return;
        }
        let stamp = timestamp(jiff::Timestamp::now());
        let plan = plan(kind, obj, &stamp);
        let Some(ready) = &plan.ready_status else {
            return;
        };
        let spec_done = plan.ready_spec.as_ref().is_none_or(|s| converged(obj, s));
        if converged(obj, ready) && spec_done {
            return;
        }
        let key = key_of(group, plural, obj);
        if self.pending.contains_key(&key) {
            // Still waiting; a new spec generation restarts the clock below only if the
            // immediate (progressing) status no longer matches.
            if plan.now_status.as_ref().is_none_or(|s| converged(obj, s)) {
                return;
            }
        }
        if !self.ready_after.is_zero() {
            if let Some(progress) = &plan.now_status {
                if !converged(obj, progress) {
                    self.write_status(group, plural, &key, progress);
                }
            }
        }
        self.pending.insert(key, Instant::now() + self.ready_after);
    }

    fn write_status(&self, group: &str, plural: &str, key: &Key, patch: &Value) {
        let catalog = self.cluster.catalog();
        let Some(info) = catalog
            .resources()
            .iter()
            .find(|r| r.group == group && r.plural == plural)
        else {
            return;
        };
        let ns = Some(key.2.as_str()).filter(|n| !n.is_empty());
        if let Err(err) = self.cluster.patch(
            info,
            ns,
            &key.3,
            Subresource::Status,
            PatchKind::Merge,
            patch,
            &Self::opts(),
            jiff::Timestamp::now(),
        ) {
            tracing::debug!(%err, name = %key.3, "sandbox controller status write skipped");
        }
    }

    fn finish_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.pending.remove(&key);
            let catalog = self.cluster.catalog();
            let Some(info) = catalog
                .resources()
                .iter()
                .find(|r| r.group == key.0 && r.plural == key.1)
                .cloned()
            else {
                continue;
            };
            let Some(kind) = Self::kind_for(&key.0, &key.1) else {
                continue;
            };
            let Ok(obj) = self.cluster.get(&info, &key.2, &key.3) else {
                continue;
            };
            let stamp = timestamp(jiff::Timestamp::now());
            let plan = plan(kind, &obj, &stamp);
            let ns = Some(key.2.as_str()).filter(|n| !n.is_empty());
            if let Some(spec) = plan.ready_spec.filter(|s| !converged(&obj, s)) {
                let _ = self.cluster.patch(
                    &info,
                    ns,
                    &key.3,
                    Subresource::Main,
                    PatchKind::Merge,
                    &spec,
                    &Self::opts(),
                    jiff::Timestamp::now(),
                );
            }
            if let Some(ready) = plan.ready_status.filter(|s| !converged(&obj, s)) {
                self.write_status(&key.0, &key.1, &key, &ready);
            }
        }
    }

    fn rescan(&mut self) {
        for (group, plural, _) in WATCHED {
            let (_, objects) =
                self.cluster
                    .store
                    .list(&(group.to_string(), plural.to_string()), None, None);
            for obj in objects {
                self.observe(group, plural, &obj);
            }
        }
    }

    fn on_event(&mut self, event: &StoreEvent) {
        match event.event_type {
            EventType::Deleted => {
                let key = key_of(&event.group, &event.plural, &event.object);
                self.pending.remove(&key);
            }
            _ => self.observe(&event.group, &event.plural, &event.object),
        }
    }
}

/// Run the controller for one cluster until shutdown.
pub async fn run(
    cluster: Arc<Cluster>,
    ready_after: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut events = cluster.store.events();
    let mut controller = Controller {
        cluster,
        ready_after,
        pending: HashMap::new(),
    };
    controller.rescan();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => controller.finish_due(),
            received = events.recv() => match received {
                Ok(event) => controller.on_event(&event),
                Err(broadcast::error::RecvError::Lagged(_)) => controller.rescan(),
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
