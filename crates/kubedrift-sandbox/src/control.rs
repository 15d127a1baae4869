//! The controller loop: runs the pure reconcile steps of `objects::controller` against the
//! store, so status moves like a cluster's (Deployments create ReplicaSets and Pods, become
//! available `ready_after` later; LoadBalancer Services get an IP; PVCs bind; Jobs complete).
//!
//! Event driven: a change marks the object (and its controlling owner) dirty; dirty objects are
//! reconciled every tick until their output is empty and the time-dependent part (Pods turning
//! Ready after `ready_after`) has passed. Writes go through the same cluster operations as API
//! requests (manager `kube-controller-manager`, `kubelet` for Pod status), so watchers see
//! every step.

use super::api_server::{ApiServer, DeleteOptions, PatchKind, Subresource, WriteOptions};
use super::catalog::ResourceInfo;
use super::objects::controller::{reconcile, ControllerContext, ReconcileOutput};
use super::store::{EventType, StoreEvent};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

const TICK: Duration = Duration::from_millis(100);

/// Extra time an object stays dirty after its last change beyond `ready_after`, so the step
/// that flips readiness is not missed.
const SETTLE: Duration = Duration::from_millis(1500);

/// Collections with a controller: (group, plural).
const CONTROLLED: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "services"),
    ("", "persistentvolumeclaims"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
];

/// Which child collections a kind's reconcile needs: (group, plural).
fn child_collections(group: &str, plural: &str) -> &'static [(&'static str, &'static str)] {
    match (group, plural) {
        ("apps", "deployments") => &[("apps", "replicasets")],
        ("apps", "replicasets") | ("apps", "daemonsets") | ("batch", "jobs") => &[("", "pods")],
        ("apps", "statefulsets") => &[("", "pods"), ("", "persistentvolumeclaims")],
        _ => &[],
    }
}

/// (group, plural, namespace, name)
type Key = (String, String, String, String);

fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

struct Controller {
    api: Arc<ApiServer>,
    ready_after: Duration,
    /// Objects to reconcile, with the time until which they stay dirty even when quiet.
    dirty: HashMap<Key, Instant>,
}

impl Controller {
    fn info(&self, group: &str, plural: &str) -> Option<ResourceInfo> {
        self.api
            .catalog()
            .resources()
            .iter()
            .find(|r| r.group == group && r.plural == plural)
            .cloned()
    }

    fn mark(&mut self, key: Key) {
        let until = Instant::now() + self.ready_after + SETTLE;
        let entry = self.dirty.entry(key).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    /// Mark an object and the owner that controls it.
    fn observe(&mut self, group: &str, plural: &str, obj: &Value) {
        let namespace = text(obj, "/metadata/namespace").to_string();
        if CONTROLLED.contains(&(group, plural)) {
            let name = text(obj, "/metadata/name").to_string();
            self.mark((group.into(), plural.into(), namespace.clone(), name));
        }
        let owners = obj
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array);
        for owner in owners.into_iter().flatten() {
            if owner.get("controller").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let owner_group =
                kubedrift_core::model::group_of(text(owner, "/apiVersion")).to_string();
            let catalog = self.api.catalog();
            if let Some(info) = catalog.by_kind(&owner_group, text(owner, "/kind")) {
                let key = (
                    owner_group.clone(),
                    info.plural.clone(),
                    namespace.clone(),
                    text(owner, "/name").to_string(),
                );
                self.mark(key);
            }
        }
    }

    fn children(&self, key: &Key, obj: &Value) -> Vec<Value> {
        let uid = text(obj, "/metadata/uid");
        let name = &key.3;
        let mut children = Vec::new();
        for (group, plural) in child_collections(&key.0, &key.1) {
            let (_, objects) =
                self.api
                    .store
                    .list(&(group.to_string(), plural.to_string()), Some(&key.2), None);
            for child in objects {
                let owned = child
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|r| text(r, "/uid") == uid));
                // StatefulSet claims are named `<template>-<set>-<ordinal>` and not owned.
                let claim = *plural == "persistentvolumeclaims"
                    && text(&child, "/metadata/name").contains(&format!("-{name}-"));
                if owned || claim {
                    children.push((*child).clone());
                }
            }
        }
        children
    }

    fn step(&mut self, key: &Key) -> bool {
        let Some(info) = self.info(&key.0, &key.1) else {
            return false;
        };
        let Ok(obj) = self.api.get(&info, &key.2, &key.3) else {
            return false;
        };
        let children = self.children(key, &obj);
        let ctx = ControllerContext {
            now: jiff::Timestamp::now(),
            ready_after: self.ready_after,
            children: &children,
        };
        let output = reconcile(&obj, &ctx);
        if output.is_empty() {
            return false;
        }
        self.apply(&info, key, &obj, output);
        true
    }

    fn apply(&self, info: &ResourceInfo, key: &Key, obj: &Value, output: ReconcileOutput) {
        let now = jiff::Timestamp::now();
        let manager = WriteOptions {
            field_manager: "kube-controller-manager".into(),
            dry_run: false,
        };
        let catalog = self.api.catalog();
        let ns_of =
            |o: &Value| Some(text(o, "/metadata/namespace").to_string()).filter(|n| !n.is_empty());
        for child in output.update {
            let group = kubedrift_core::model::group_of(text(&child, "/apiVersion")).to_string();
            let Some(child_info) = catalog.by_kind(&group, text(&child, "/kind")) else {
                continue;
            };
            let ns = ns_of(&child);
            let name = text(&child, "/metadata/name").to_string();
            if let Err(err) = self.api.update(
                child_info,
                ns.as_deref(),
                &name,
                Subresource::Main,
                child,
                &manager,
                now,
            ) {
                tracing::debug!(%err, %name, "sandbox controller update skipped");
            }
        }
        for child in output.create {
            let group = kubedrift_core::model::group_of(text(&child, "/apiVersion")).to_string();
            let Some(child_info) = catalog.by_kind(&group, text(&child, "/kind")) else {
                continue;
            };
            let ns = ns_of(&child).or_else(|| Some(key.2.clone()).filter(|n| !n.is_empty()));
            if let Err(err) = self
                .api
                .create(child_info, ns.as_deref(), child, &manager, now)
            {
                tracing::debug!(%err, "sandbox controller create skipped");
            }
        }
        for gone in output.delete {
            let Some(child_info) = catalog.by_kind(&gone.group, &gone.kind) else {
                continue;
            };
            let _ = self.api.delete(
                child_info,
                gone.namespace.as_deref(),
                &gone.name,
                &DeleteOptions::default(),
                now,
            );
        }
        let ns = Some(key.2.as_str()).filter(|n| !n.is_empty());
        if !output.annotations.is_empty() {
            let patch = json!({"metadata": {"annotations": output.annotations}});
            let _ = self.api.patch(
                info,
                ns,
                &key.3,
                Subresource::Main,
                PatchKind::Merge,
                &patch,
                &manager,
                now,
            );
        }
        if let Some(status) = output.status {
            let writer = if info.group.is_empty() && info.kind == "Pod" {
                "kubelet"
            } else {
                "kube-controller-manager"
            };
            let opts = WriteOptions {
                field_manager: writer.into(),
                dry_run: false,
            };
            // Replace the whole status (a merge patch would keep fields the step dropped).
            let op = if obj.get("status").is_some() {
                "replace"
            } else {
                "add"
            };
            let patch = json!([{"op": op, "path": "/status", "value": status}]);
            if let Err(err) = self.api.patch(
                info,
                ns,
                &key.3,
                Subresource::Status,
                PatchKind::Json,
                &patch,
                &opts,
                now,
            ) {
                tracing::debug!(%err, name = %key.3, "sandbox controller status write skipped");
            }
        }
    }

    fn tick(&mut self) {
        let now = Instant::now();
        let keys: Vec<Key> = self.dirty.keys().cloned().collect();
        for key in keys {
            let busy = self.step(&key);
            if busy {
                self.mark(key);
            } else if self.dirty.get(&key).is_some_and(|until| *until <= now) {
                self.dirty.remove(&key);
            }
        }
    }

    fn rescan(&mut self) {
        for (group, plural) in CONTROLLED {
            let (_, objects) =
                self.api
                    .store
                    .list(&(group.to_string(), plural.to_string()), None, None);
            for obj in objects {
                self.observe(group, plural, &obj);
            }
        }
    }

    fn on_event(&mut self, event: &StoreEvent) {
        // A deleted child dirties its owner; the deleted object itself needs nothing more.
        self.observe(&event.group, &event.plural, &event.object);
        if event.event_type == EventType::Deleted {
            let name = text(&event.object, "/metadata/name").to_string();
            self.dirty.remove(&(
                event.group.clone(),
                event.plural.clone(),
                event.namespace.clone(),
                name,
            ));
        }
    }
}

/// Run the controller for one cluster until shutdown.
pub async fn run(api: Arc<ApiServer>, ready_after: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut events = api.store.events();
    let mut controller = Controller {
        api,
        ready_after,
        dirty: HashMap::new(),
    };
    controller.rescan();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => controller.tick(),
            received = events.recv() => match received {
                Ok(event) => controller.on_event(&event),
                Err(broadcast::error::RecvError::Lagged(_)) => controller.rescan(),
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
