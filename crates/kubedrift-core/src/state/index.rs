//! Indices that let the state find the apps a live object concerns, and the live objects an
//! app claims, without scanning every app or every live object.
//!
//! A live object's ownership marks are read once, when it is stored; an app's keys are noted
//! when its desired objects or results change. Every change to the live cache goes through
//! [`LiveIndex`]'s methods, and `State` notes every change to an app's keys in its context's
//! [`KeyIndex`], so the indices are never out of date (`index_tests` checks them against a
//! full recompute).

use super::live_object::LiveObject;
use super::AppId;
use crate::model::{GroupKind, ResourceKey};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Hash maps and sets with a fast hasher: the state looks keys up per watch event.
pub(super) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(super) type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// A cluster's live objects, with who they are tracked to (each object's ownership marks
/// were read once, when it arrived: [`LiveObject::ownership`]) and where they are (kind and
/// namespace). Each key is stored once and shared by the indices.
#[derive(Default)]
pub(super) struct LiveIndex {
    objects: FastMap<Arc<ResourceKey>, Arc<LiveObject>>,
    /// Keys of live objects by app name they are tracked to.
    tracked: FastMap<String, FastSet<Arc<ResourceKey>>>,
    /// Keys of live objects by kind, group and namespace (None: cluster-scoped), so that a
    /// list finds what it replaces without scanning the whole cluster. By kind and group
    /// apart, so that a key's place is found without building a `GroupKind`.
    scopes: FastMap<Arc<str>, FastMap<Arc<str>, Namespaces>>,
}

/// Keys of one kind by namespace.
type Namespaces = FastMap<Option<Arc<str>>, FastSet<Arc<ResourceKey>>>;

impl LiveIndex {
    pub(super) fn get(&self, key: &ResourceKey) -> Option<&Arc<LiveObject>> {
        self.objects.get(key)
    }

    pub(super) fn len(&self) -> usize {
        self.objects.len()
    }

    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = (&ResourceKey, &Arc<LiveObject>)> {
        self.objects
            .iter()
            .map(|(key, object)| (key.as_ref(), object))
    }

    pub(super) fn insert(&mut self, key: ResourceKey, object: Arc<LiveObject>) {
        self.remove(&key);
        let key = Arc::new(key);
        for name in object.ownership().tracked_names() {
            self.tracked
                .entry(name)
                .or_default()
                .insert(Arc::clone(&key));
        }
        let groups = match self.scopes.get_mut(&key.kind) {
            Some(groups) => groups,
            None => self.scopes.entry(key.kind.clone()).or_default(),
        };
        let namespaces = match groups.get_mut(&key.group) {
            Some(namespaces) => namespaces,
            None => groups.entry(key.group.clone()).or_default(),
        };
        match namespaces.get_mut(&key.namespace) {
            Some(keys) => {
                keys.insert(Arc::clone(&key));
            }
            None => {
                namespaces.insert(
                    key.namespace.clone(),
                    FastSet::from_iter([Arc::clone(&key)]),
                );
            }
        }
        self.objects.insert(key, object);
    }

    pub(super) fn remove(&mut self, key: &ResourceKey) -> Option<Arc<LiveObject>> {
        let object = self.objects.remove(key)?;
        for name in object.ownership().tracked_names() {
            if let Some(keys) = self.tracked.get_mut(&name) {
                keys.remove(key);
                if keys.is_empty() {
                    self.tracked.remove(&name);
                }
            }
        }
        if let Some(groups) = self.scopes.get_mut(&key.kind) {
            if let Some(namespaces) = groups.get_mut(&key.group) {
                if let Some(keys) = namespaces.get_mut(&key.namespace) {
                    keys.remove(key);
                    if keys.is_empty() {
                        namespaces.remove(&key.namespace);
                    }
                }
                if namespaces.is_empty() {
                    groups.remove(&key.group);
                }
            }
            if groups.is_empty() {
                self.scopes.remove(&key.kind);
            }
        }
        Some(object)
    }

    /// Drop every object of `kind`.
    pub(super) fn remove_kind(&mut self, kind: &GroupKind) {
        for key in self.keys_in_scope(kind, None) {
            self.remove(&key);
        }
    }

    /// Keys of `kind` within `namespace` (None: all namespaces).
    pub(super) fn keys_in_scope(
        &self,
        kind: &GroupKind,
        namespace: Option<&str>,
    ) -> Vec<Arc<ResourceKey>> {
        let Some(namespaces) = self
            .scopes
            .get(kind.kind.as_str())
            .and_then(|groups| groups.get(kind.group.as_str()))
        else {
            return Vec::new();
        };
        namespaces
            .iter()
            .filter(|(ns, _)| namespace.is_none_or(|want| ns.as_deref() == Some(want)))
            .flat_map(|(_, keys)| keys.iter().cloned())
            .collect()
    }

    /// The index by kind and namespace, rebuilt from the objects (for the tests).
    #[cfg(test)]
    pub(super) fn scopes_checked(&self) -> Result<(), String> {
        let mut rebuilt: HashMap<(GroupKind, Option<String>), HashSet<ResourceKey>> =
            HashMap::new();
        for key in self.objects.keys() {
            rebuilt
                .entry((
                    GroupKind::of_key(key),
                    key.namespace.as_deref().map(str::to_string),
                ))
                .or_default()
                .insert(ResourceKey::clone(key));
        }
        let mut indexed: HashMap<(GroupKind, Option<String>), HashSet<ResourceKey>> =
            HashMap::new();
        for (kind, groups) in &self.scopes {
            if groups.is_empty() {
                return Err(format!("empty kind {kind} kept"));
            }
            for (group, namespaces) in groups {
                let kind = GroupKind::new(group, kind);
                if namespaces.is_empty() {
                    return Err(format!("empty kind {kind} kept"));
                }
                for (namespace, keys) in namespaces {
                    if keys.is_empty() {
                        return Err(format!("empty scope {kind} {namespace:?} kept"));
                    }
                    indexed.insert(
                        (kind.clone(), namespace.as_deref().map(str::to_string)),
                        keys.iter().map(|k| ResourceKey::clone(k)).collect(),
                    );
                }
            }
        }
        if rebuilt == indexed {
            Ok(())
        } else {
            Err(format!("scopes {indexed:?} != rebuilt {rebuilt:?}"))
        }
    }

    /// The app names the object at `key` is tracked to.
    pub(super) fn tracked_names(&self, key: &ResourceKey) -> Vec<String> {
        self.objects
            .get(key)
            .map(|object| object.ownership().tracked_names())
            .unwrap_or_default()
    }

    /// Keys of the live objects `app` in `env` claims (`ownership::claims`).
    pub(super) fn claimed_by<'a>(
        &'a self,
        app: &'a str,
        env: &'a str,
    ) -> impl Iterator<Item = &'a ResourceKey> + 'a {
        self.tracked
            .get(app)
            .into_iter()
            .flatten()
            .map(|key| key.as_ref())
            .filter(move |key| {
                self.objects
                    .get(*key)
                    .is_some_and(|object| object.ownership().claims(app, Some(env)))
            })
    }
}

/// Which apps of one context desire or report each key. A key nearly always belongs to one
/// app: a short list costs far less than a set per key. The lists share one copy of each app
/// id (an id is two strings: a copy per key was ~100 bytes of heap each, 5 MB at 50k keys).
#[derive(Default)]
pub(super) struct KeyIndex {
    apps: HashMap<ResourceKey, Vec<Arc<AppId>>>,
    /// The shared copy of each app id noted, with how many keys name it.
    ids: HashMap<AppId, (Arc<AppId>, usize)>,
}

impl KeyIndex {
    /// Record whether `id` desires or reports `key`.
    pub(super) fn note(&mut self, id: &AppId, key: &ResourceKey, present: bool) {
        if present {
            if let Some(ids) = self.apps.get_mut(key) {
                if !ids.iter().any(|i| **i == *id) {
                    ids.push(share(&mut self.ids, id));
                }
            } else {
                let shared = share(&mut self.ids, id);
                self.apps.insert(key.clone(), vec![shared]);
            }
        } else if let Some(ids) = self.apps.get_mut(key) {
            let before = ids.len();
            ids.retain(|i| **i != *id);
            if ids.len() < before {
                unshare(&mut self.ids, id);
            }
            if ids.is_empty() {
                self.apps.remove(key);
            }
        }
    }

    /// The copy of `key` kept here, if some app desires or reports it.
    pub(super) fn known_key(&self, key: &ResourceKey) -> Option<&ResourceKey> {
        self.apps.get_key_value(key).map(|(known, _)| known)
    }

    pub(super) fn apps(&self, key: &ResourceKey) -> impl Iterator<Item = &AppId> {
        self.apps
            .get(key)
            .into_iter()
            .flatten()
            .map(|id| id.as_ref())
    }

    #[cfg(test)]
    pub(super) fn entries(&self) -> HashMap<ResourceKey, BTreeSet<AppId>> {
        self.apps
            .iter()
            .map(|(key, ids)| (key.clone(), ids.iter().map(|id| AppId::clone(id)).collect()))
            .collect()
    }

    /// App ids kept shared (for the tests: none outlives its last key).
    #[cfg(test)]
    pub(super) fn shared_ids(&self) -> usize {
        self.ids.len()
    }
}

/// The shared copy of `id`, counted once more.
fn share(ids: &mut HashMap<AppId, (Arc<AppId>, usize)>, id: &AppId) -> Arc<AppId> {
    match ids.get_mut(id) {
        Some((shared, count)) => {
            *count += 1;
            Arc::clone(shared)
        }
        None => {
            let shared = Arc::new(id.clone());
            ids.insert(id.clone(), (Arc::clone(&shared), 1));
            shared
        }
    }
}

/// One key fewer names `id`; the shared copy goes with the last.
fn unshare(ids: &mut HashMap<AppId, (Arc<AppId>, usize)>, id: &AppId) {
    if let Some((_, count)) = ids.get_mut(id) {
        *count -= 1;
        if *count == 0 {
            ids.remove(id);
        }
    }
}

/// The apps of each context, by app name.
#[derive(Default)]
pub(super) struct AppsByContext {
    contexts: HashMap<String, HashMap<String, BTreeSet<AppId>>>,
}

impl AppsByContext {
    pub(super) fn insert(&mut self, context: &str, id: &AppId) {
        self.contexts
            .entry(context.to_string())
            .or_default()
            .entry(id.app.clone())
            .or_default()
            .insert(id.clone());
    }

    pub(super) fn remove(&mut self, context: &str, id: &AppId) {
        let Some(names) = self.contexts.get_mut(context) else {
            return;
        };
        if let Some(ids) = names.get_mut(&id.app) {
            ids.remove(id);
            if ids.is_empty() {
                names.remove(&id.app);
            }
        }
        if names.is_empty() {
            self.contexts.remove(context);
        }
    }

    /// Every app of `context`.
    pub(super) fn all(&self, context: &str) -> Vec<AppId> {
        let mut ids: Vec<AppId> = self
            .contexts
            .get(context)
            .into_iter()
            .flat_map(|names| names.values().flatten().cloned())
            .collect();
        ids.sort();
        ids
    }

    /// The apps of `context` called `name` (every environment on that cluster).
    pub(super) fn named<'a>(
        &'a self,
        context: &str,
        name: &str,
    ) -> impl Iterator<Item = &'a AppId> + 'a {
        self.contexts
            .get(context)
            .and_then(|names| names.get(name))
            .into_iter()
            .flatten()
    }

    #[cfg(test)]
    pub(super) fn count(&self) -> usize {
        self.contexts
            .values()
            .flat_map(|names| names.values())
            .map(BTreeSet::len)
            .sum()
    }
}

/// `key` is of `kind` (without building a `GroupKind` for it).
pub(super) fn is_of_kind(key: &ResourceKey, kind: &GroupKind) -> bool {
    *key.kind == *kind.kind && *key.group == *kind.group
}
