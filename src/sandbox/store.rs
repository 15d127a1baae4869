//! Per-cluster object store: etcd-like resourceVersions, bounded event history, watch fan-out.
//!
//! One mutex guards every resource of a cluster so that resourceVersions are a single
//! increasing counter and events are broadcast in commit order. Objects are stored as
//! `Arc<Value>` so lists and watch events share them instead of cloning.

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// How many events a cluster keeps for watch resumption before answering 410 Gone.
pub const DEFAULT_HISTORY: usize = 20_000;

/// Capacity of the live event channel; a watcher that falls this far behind is closed.
const BROADCAST_CAPACITY: usize = 16_384;

/// (group, plural): which collection an object lives in.
pub type Collection = (String, String);

/// (namespace, name); namespace is empty for cluster-scoped objects.
pub type ObjectName = (String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One committed change.
#[derive(Clone)]
pub struct StoreEvent {
    pub rv: u64,
    pub group: String,
    pub plural: String,
    pub namespace: String,
    pub event_type: EventType,
    pub object: Arc<Value>,
    /// The watch-event line (`{"type":..,"object":..}\n`), serialized once and shared by
    /// every watcher that sends the object as stored.
    pub line: std::sync::OnceLock<axum::body::Bytes>,
}

impl std::fmt::Debug for StoreEvent {
    /// Identity only: objects may be Secrets, whose values are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self
            .object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        f.debug_struct("StoreEvent")
            .field("rv", &self.rv)
            .field("type", &self.event_type)
            .field("resource", &format_args!("{}/{}", self.group, self.plural))
            .field("namespace", &self.namespace)
            .field("name", &name)
            .finish()
    }
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("resourceVersion precondition failed")]
    Conflict,
    #[error("too old resource version: {requested} ({oldest})")]
    Gone { requested: u64, oldest: u64 },
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchStart {
    /// resourceVersion unset or "0": synthetic ADDED for every current object, then changes.
    Snapshot,
    /// Changes after this resourceVersion (from history, then live).
    After(u64),
}

/// A watch's starting point: events to replay first, then the live receiver.
pub struct Subscription {
    pub replay: Vec<Arc<StoreEvent>>,
    pub live: broadcast::Receiver<Arc<StoreEvent>>,
    /// The resourceVersion the replay brings the watcher up to.
    pub start_rv: u64,
}

struct Inner {
    rv: u64,
    collections: HashMap<Collection, BTreeMap<ObjectName, Arc<Value>>>,
    history: VecDeque<Arc<StoreEvent>>,
    history_limit: usize,
    /// Every event with rv <= this has been dropped from history.
    compacted_through: u64,
}

/// One cluster's objects.
pub struct Store {
    inner: Mutex<Inner>,
    events: broadcast::Sender<Arc<StoreEvent>>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new(DEFAULT_HISTORY)
    }
}

fn set_resource_version(obj: &mut Value, rv: u64) {
    if let Some(map) = obj.as_object_mut() {
        let meta = map.entry("metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
    }
}

/// The resourceVersion an object carries, if it is a number.
pub fn resource_version_of(obj: &Value) -> Option<u64> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

fn name_of(obj: &Value) -> ObjectName {
    let text = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (text("/metadata/namespace"), text("/metadata/name"))
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        Store {
            inner: Mutex::new(Inner {
                rv: 1,
                collections: HashMap::new(),
                history: VecDeque::new(),
                history_limit: history_limit.max(1),
                compacted_through: 0,
            }),
            events,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written map (every mutation is a
        // single insert/remove), so a poisoned lock is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current (latest committed) resourceVersion.
    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    pub fn get(&self, collection: &Collection, namespace: &str, name: &str) -> Option<Arc<Value>> {
        let inner = self.lock();
        inner
            .collections
            .get(collection)
            .and_then(|c| c.get(&(namespace.to_string(), name.to_string())))
            .cloned()
    }

    /// Objects of a collection (in one namespace, or all), sorted by namespace and name,
    /// starting after `after` (for continue tokens), with the resourceVersion of the snapshot.
    pub fn list(
        &self,
        collection: &Collection,
        namespace: Option<&str>,
        after: Option<&ObjectName>,
    ) -> (u64, Vec<Arc<Value>>) {
        let inner = self.lock();
        let Some(objects) = inner.collections.get(collection) else {
            return (inner.rv, Vec::new());
        };
        let items = match (namespace, after) {
            (Some(ns), after) => {
                let start = after
                    .cloned()
                    .unwrap_or_else(|| (ns.to_string(), String::new()));
                objects
                    .range(start..)
                    .filter(|(k, _)| after.is_none_or(|a| *k > a))
                    .take_while(|(k, _)| k.0 == ns)
                    .map(|(_, v)| Arc::clone(v))
                    .collect()
            }
            (None, Some(after)) => objects
                .range(after.clone()..)
                .filter(|(k, _)| *k > after)
                .map(|(_, v)| Arc::clone(v))
                .collect(),
            (None, None) => objects.values().cloned().collect(),
        };
        (inner.rv, items)
    }

    /// Number of objects across every collection.
    pub fn len(&self) -> usize {
        self.lock().collections.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn commit(
        &self,
        inner: &mut Inner,
        collection: &Collection,
        event_type: EventType,
        mut object: Value,
    ) -> Arc<Value> {
        inner.rv += 1;
        let rv = inner.rv;
        set_resource_version(&mut object, rv);
        let key = name_of(&object);
        let object = Arc::new(object);
        let entries = inner.collections.entry(collection.clone()).or_default();
        if event_type == EventType::Deleted {
            entries.remove(&key);
        } else {
            entries.insert(key.clone(), Arc::clone(&object));
        }
        let event = Arc::new(StoreEvent {
            rv,
            group: collection.0.clone(),
            plural: collection.1.clone(),
            namespace: key.0,
            event_type,
            object: Arc::clone(&object),
            line: std::sync::OnceLock::new(),
        });
        inner.history.push_back(Arc::clone(&event));
        while inner.history.len() > inner.history_limit {
            if let Some(dropped) = inner.history.pop_front() {
                inner.compacted_through = dropped.rv;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(event);
        object
    }

    /// Store a new object; its resourceVersion is assigned here.
    pub fn create(&self, collection: &Collection, object: Value) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let key = name_of(&object);
        if inner
            .collections
            .get(collection)
            .is_some_and(|c| c.contains_key(&key))
        {
            return Err(StoreError::AlreadyExists);
        }
        Ok(self.commit(&mut inner, collection, EventType::Added, object))
    }

    /// Replace an existing object. With `expected_rv`, fail with Conflict unless the live
    /// object still has that resourceVersion.
    pub fn update(
        &self,
        collection: &Collection,
        object: Value,
        expected_rv: Option<u64>,
    ) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let key = name_of(&object);
        let live = inner
            .collections
            .get(collection)
            .and_then(|c| c.get(&key))
            .ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected_rv {
            if resource_version_of(live) != Some(expected) {
                return Err(StoreError::Conflict);
            }
        }
        Ok(self.commit(&mut inner, collection, EventType::Modified, object))
    }

    /// Remove an object; the returned (and broadcast) copy carries the deletion's
    /// resourceVersion.
    pub fn delete(
        &self,
        collection: &Collection,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let key = (namespace.to_string(), name.to_string());
        let live = inner
            .collections
            .get(collection)
            .and_then(|c| c.get(&key))
            .ok_or(StoreError::NotFound)?;
        let object = (**live).clone();
        Ok(self.commit(&mut inner, collection, EventType::Deleted, object))
    }

    /// Every object in `namespace`, of any collection (for namespace deletion).
    pub fn objects_in_namespace(&self, namespace: &str) -> Vec<(Collection, Arc<Value>)> {
        let inner = self.lock();
        let mut found = Vec::new();
        for (collection, objects) in &inner.collections {
            let start = (namespace.to_string(), String::new());
            for (_, obj) in objects.range(start..).take_while(|(k, _)| k.0 == namespace) {
                found.push((collection.clone(), Arc::clone(obj)));
            }
        }
        found
    }

    /// Objects whose ownerReferences name `owner_uid` (for garbage collection).
    pub fn owned_by(&self, owner_uid: &str) -> Vec<(Collection, Arc<Value>)> {
        let inner = self.lock();
        let mut found = Vec::new();
        for (collection, objects) in &inner.collections {
            for obj in objects.values() {
                let owned = obj
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r.get("uid").and_then(Value::as_str) == Some(owner_uid))
                    });
                if owned {
                    found.push((collection.clone(), Arc::clone(obj)));
                }
            }
        }
        found
    }

    /// Subscribe to changes of `collection` (optionally one namespace) from `start`.
    /// Subscription and replay are taken under the same lock, so no event is missed or doubled.
    pub fn subscribe(
        &self,
        collection: &Collection,
        namespace: Option<&str>,
        start: WatchStart,
    ) -> Result<Subscription, StoreError> {
        let inner = self.lock();
        let live = self.events.subscribe();
        let in_scope = |group: &str, plural: &str, ns: &str| {
            group == collection.0 && plural == collection.1 && namespace.is_none_or(|n| n == ns)
        };
        let replay = match start {
            WatchStart::Snapshot => inner
                .collections
                .get(collection)
                .map(|objects| {
                    objects
                        .iter()
                        .filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns))
                        .map(|((ns, _), obj)| {
                            Arc::new(StoreEvent {
                                rv: inner.rv,
                                group: collection.0.clone(),
                                plural: collection.1.clone(),
                                namespace: ns.clone(),
                                event_type: EventType::Added,
                                object: Arc::clone(obj),
                                line: std::sync::OnceLock::new(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
            WatchStart::After(requested) => {
                if requested < inner.compacted_through {
                    let oldest = inner.history.front().map(|e| e.rv).unwrap_or(inner.rv);
                    return Err(StoreError::Gone { requested, oldest });
                }
                inner
                    .history
                    .iter()
                    .filter(|e| e.rv > requested && in_scope(&e.group, &e.plural, &e.namespace))
                    .cloned()
                    .collect()
            }
        };
        Ok(Subscription {
            replay,
            live,
            start_rv: inner.rv,
        })
    }

    /// Every committed event from now on (all collections).
    pub fn events(&self) -> broadcast::Receiver<Arc<StoreEvent>> {
        self.events.subscribe()
    }

    /// The oldest resourceVersion a watch can still resume from.
    pub fn oldest_resumable(&self) -> u64 {
        self.lock().compacted_through
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configmap(ns: &str, name: &str) -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}"),
                         "creationTimestamp": "2026-01-05T10:00:00Z"},
            "data": {"LOG_LEVEL": "info"}
        })
    }

    fn cms() -> Collection {
        (String::new(), "configmaps".into())
    }

    #[test]
    fn resource_versions_increase_and_conflicts_are_detected() {
        let store = Store::default();
        let created = store
            .create(&cms(), configmap("shop", "web"))
            .expect("create");
        let rv = resource_version_of(&created).expect("rv set");
        assert_eq!(
            store.create(&cms(), configmap("shop", "web")).err(),
            Some(StoreError::AlreadyExists)
        );
        let updated = store
            .update(&cms(), configmap("shop", "web"), Some(rv))
            .expect("update");
        assert!(resource_version_of(&updated) > Some(rv));
        assert_eq!(
            store
                .update(&cms(), configmap("shop", "web"), Some(rv))
                .err(),
            Some(StoreError::Conflict)
        );
        assert_eq!(
            store.delete(&cms(), "shop", "nope").err(),
            Some(StoreError::NotFound)
        );
    }

    #[test]
    fn list_is_sorted_and_continues_after_a_key() {
        let store = Store::default();
        for (ns, name) in [("b", "x"), ("a", "z"), ("a", "y"), ("c", "w")] {
            store.create(&cms(), configmap(ns, name)).expect("create");
        }
        let (_, all) = store.list(&cms(), None, None);
        let names: Vec<ObjectName> = all.iter().map(|o| name_of(o)).collect();
        assert_eq!(names[0], ("a".to_string(), "y".to_string()));
        let (_, rest) = store.list(&cms(), None, Some(&("a".to_string(), "z".to_string())));
        assert_eq!(rest.len(), 2);
        let (_, in_a) = store.list(&cms(), Some("a"), Some(&("a".to_string(), "y".to_string())));
        assert_eq!(in_a.len(), 1);
    }

    #[test]
    fn compacted_history_answers_gone() {
        let store = Store::new(2);
        for i in 0..5 {
            store
                .create(&cms(), configmap("shop", &format!("cm-{i}")))
                .expect("create");
        }
        assert!(matches!(
            store.subscribe(&cms(), None, WatchStart::After(2)),
            Err(StoreError::Gone { .. })
        ));
        let current = store.current_rv();
        let sub = store
            .subscribe(&cms(), None, WatchStart::After(current - 1))
            .expect("recent rv");
        assert_eq!(sub.replay.len(), 1);
        let snapshot = store
            .subscribe(&cms(), Some("shop"), WatchStart::Snapshot)
            .expect("snapshot");
        assert_eq!(snapshot.replay.len(), 5);
    }

    #[test]
    fn events_never_print_secret_values() {
        let store = Store::default();
        let mut events = store.events();
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                            "metadata": {"name": "db", "namespace": "shop", "uid": "0c6a5e4e-3f0e-4a53-a7f7-0d6f5b2d9a11"},
                            "data": {"password": "aHVudGVyMg=="}});
        store
            .create(&(String::new(), "secrets".into()), secret)
            .expect("create");
        let event = events.try_recv().expect("event broadcast");
        let printed = format!("{event:?}");
        assert!(
            printed.contains("db") && !printed.contains("aHVudGVyMg=="),
            "{printed}"
        );
    }
}
