//! A live object as the state keeps it for as long as the cluster has it: the object as
//! compact JSON text ([`StoredObject`]), plus what the state reads of it without reading the
//! whole object back: its key, its resourceVersion and its ownership marks (the state asks
//! every app of a cluster whether it claims each live object).

use crate::engine::ownership::Ownership;
use crate::model::{Object, ResourceKey, StoredObject};
use std::borrow::Cow;
use std::fmt;

#[derive(Clone, PartialEq)]
pub struct LiveObject {
    /// None when the object has no valid identity (the state ignores it).
    key: Option<ResourceKey>,
    resource_version: Option<Box<str>>,
    ownership: Ownership,
    object: StoredObject,
}

impl LiveObject {
    pub fn new(object: Object) -> Self {
        let key = ResourceKey::from_live(&object).ok();
        let resource_version = object
            .pointer("/metadata/resourceVersion")
            .and_then(|v| v.as_str())
            .map(Box::from);
        let ownership = Ownership::of(&object);
        LiveObject {
            key,
            resource_version,
            ownership,
            object: StoredObject::new(object),
        }
    }

    pub fn key(&self) -> Option<&ResourceKey> {
        self.key.as_ref()
    }

    /// Keep `known`'s copy of the key when it is the same key (its strings are shared:
    /// the state holds the key of nearly every live object already, from Git).
    pub(super) fn share_key(&mut self, known: Option<ResourceKey>) {
        if let (Some(key), Some(known)) = (&mut self.key, known) {
            if *key == known {
                *key = known;
            }
        }
    }

    pub fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref()
    }

    /// Which apps track or claim the object (see `engine::ownership`).
    pub fn ownership(&self) -> &Ownership {
        &self.ownership
    }

    /// The whole object, read back from its text (keep it only while needed).
    pub fn value(&self) -> Cow<'_, Object> {
        self.object.value()
    }

    /// Bytes of the stored text, for measurements.
    pub fn text_len(&self) -> usize {
        self.object.text_len()
    }
}

impl From<Object> for LiveObject {
    fn from(object: Object) -> Self {
        LiveObject::new(object)
    }
}

/// `namespace/name@resourceVersion`, nothing of the content (the object may be a Secret).
impl fmt::Debug for LiveObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(namespace) = self.key.as_ref().and_then(|k| k.namespace.as_deref()) {
            write!(f, "{namespace}/")?;
        }
        write!(
            f,
            "{}@{}",
            self.key.as_ref().map_or("-", |k| &*k.name),
            self.resource_version().unwrap_or("-")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn keeps_the_object_and_answers_what_the_state_asks_without_reading_it() {
        let object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "42",
                "labels": {"app.kubernetes.io/instance": "web", "kubedrift.io/app": "shop",
                           "kubedrift.io/env": "prod"}},
            "spec": {"replicas": 2}});
        let live = LiveObject::new(object.clone());
        assert_eq!(live.value().as_ref(), &object);
        assert_eq!(live.key(), ResourceKey::from_live(&object).ok().as_ref());
        assert_eq!(live.resource_version(), Some("42"));
        // Argo CD's instance label names `web`, kubedrift's own label `shop` in `prod`.
        let own = live.ownership();
        assert!(own.is_tracked_to("web") && own.is_tracked_to("shop"));
        assert!(!own.is_tracked_to("other") && !own.is_tracked_to(""));
        assert!(own.claims("shop", Some("prod")) && own.claims("shop", None));
        assert!(!own.claims("shop", Some("dev")));
        assert!(!own.claims("other", None));

        // Made by a controller: tracked (the labels were copied) but never claimed.
        let mut pod = object.clone();
        pod["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                    "uid": "u", "controller": true}]);
        let pod = LiveObject::new(pod);
        assert!(pod.ownership().is_tracked_to("shop"));
        assert!(!pod.ownership().claims("shop", Some("prod")));
        assert_eq!(format!("{live:?}"), "shop/web@42");
    }

    #[test]
    fn takes_the_strings_of_a_known_equal_key_only() {
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"}});
        let known = ResourceKey::new("apps", "Deployment", Some("shop"), "web");
        let mut live = LiveObject::new(object.clone());
        assert!(!Arc::ptr_eq(&live.key().unwrap().name, &known.name));
        live.share_key(Some(known.clone()));
        let key = live.key().unwrap();
        assert_eq!(key, &known);
        assert!(Arc::ptr_eq(&key.name, &known.name) && Arc::ptr_eq(&key.kind, &known.kind));
        assert_eq!(live.value().as_ref(), &object);

        // Another key (same name elsewhere) is never taken.
        let other = ResourceKey::new("apps", "Deployment", Some("shop-dev"), "web");
        let mut live = LiveObject::new(object);
        live.share_key(Some(other.clone()));
        let key = live.key().unwrap();
        assert_eq!(key.namespace.as_deref(), Some("shop"));
        assert!(!Arc::ptr_eq(&key.name, &other.name));
    }
}
