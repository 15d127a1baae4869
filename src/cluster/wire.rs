//! Objects as the watchers and the one-shot read receive them: parsed once, straight into the
//! `serde_json::Value` the live state stores.
//!
//! Why: kube's `DynamicObject` parses every object into a typed `ObjectMeta` plus a flattened
//! map (serde buffers a flattened struct's whole input first), and the watchers then serialized
//! it back into a `Value`: three passes over each object, ~27 % of all CPU of `status` at 50k
//! objects. A [`WireObject`] is parsed once into a `Value`; the only typed metadata it keeps is
//! the little kube-runtime's watcher reads (the resourceVersion it resumes from) and the
//! identity that helps a reader of logs. Nothing of the content is typed, normalized or
//! dropped: the stored object is what the server sent.

use crate::state::LiveObject;
use kube::api::{ApiResource, ObjectMeta};
use kube::core::DynamicResourceScope;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// One object of a kind known at run time (`DynamicType = ApiResource`), as received.
/// `METADATA_ONLY` makes kube ask for `PartialObjectMetadata` (lists and watches of kinds
/// whose content is not compared).
#[derive(Clone)]
pub struct WireObject<const METADATA_ONLY: bool> {
    /// Name, namespace, uid and resourceVersion only (kube-runtime's watcher resumes from the
    /// resourceVersion of the last object it saw).
    meta: ObjectMeta,
    value: Value,
}

impl<const METADATA_ONLY: bool> WireObject<METADATA_ONLY> {
    /// The object as the live state keeps it: apiVersion and kind filled in (list items may
    /// lack them; a metadata-only answer says `PartialObjectMetadata`, replaced by the real
    /// kind), managedFields packed (see `compact::pack_managed_fields`).
    pub fn into_live(self, resource: &ApiResource) -> LiveObject {
        let mut value = self.value;
        if let Some(map) = value.as_object_mut() {
            if METADATA_ONLY {
                map.insert("apiVersion".into(), resource.api_version.clone().into());
                map.insert("kind".into(), resource.kind.clone().into());
            } else {
                map.entry("apiVersion")
                    .or_insert_with(|| resource.api_version.clone().into());
                map.entry("kind")
                    .or_insert_with(|| resource.kind.clone().into());
            }
        }
        // Kept until the object changes again, as compact text (see `LiveObject`).
        super::compact::pack_managed_fields(&mut value);
        LiveObject::new(value)
    }
}

impl<'de, const METADATA_ONLY: bool> Deserialize<'de> for WireObject<METADATA_ONLY> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_map(ObjectVisitor::<METADATA_ONLY>)?;
        let metadata = value.get("metadata");
        let text = |field: &str| {
            metadata
                .and_then(|m| m.get(field))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let meta = ObjectMeta {
            name: text("name"),
            namespace: text("namespace"),
            uid: text("uid"),
            resource_version: text("resourceVersion"),
            ..ObjectMeta::default()
        };
        Ok(WireObject { meta, value })
    }
}

/// A JSON object into a `Value`; metadata-only, everything but apiVersion, kind and
/// metadata is skipped unread: a server (or proxy) that ignored the metadata-only request
/// and sent whole objects never gets a Secret's data into the store.
struct ObjectVisitor<const METADATA_ONLY: bool>;

impl<'de, const METADATA_ONLY: bool> Visitor<'de> for ObjectVisitor<METADATA_ONLY> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if METADATA_ONLY && !matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                access.next_value::<IgnoredAny>()?;
            } else {
                let value: Value = access.next_value()?;
                map.insert(key, value);
            }
        }
        Ok(Value::Object(map))
    }
}

/// Identity and version only: the object may be a Secret.
impl<const METADATA_ONLY: bool> fmt::Debug for WireObject<METADATA_ONLY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meta = &self.meta;
        if let Some(namespace) = &meta.namespace {
            write!(f, "{namespace}/")?;
        }
        write!(
            f,
            "{}@{}",
            meta.name.as_deref().unwrap_or("-"),
            meta.resource_version.as_deref().unwrap_or("-")
        )
    }
}

impl<const METADATA_ONLY: bool> kube::Resource for WireObject<METADATA_ONLY> {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn kind(resource: &ApiResource) -> Cow<'_, str> {
        resource.kind.as_str().into()
    }

    fn group(resource: &ApiResource) -> Cow<'_, str> {
        resource.group.as_str().into()
    }

    fn version(resource: &ApiResource) -> Cow<'_, str> {
        resource.version.as_str().into()
    }

    fn api_version(resource: &ApiResource) -> Cow<'_, str> {
        resource.api_version.as_str().into()
    }

    fn plural(resource: &ApiResource) -> Cow<'_, str> {
        resource.plural.as_str().into()
    }

    fn metadata_api() -> bool {
        METADATA_ONLY
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::GroupVersionKind;
    use kube::Resource;
    use serde_json::json;

    type FullObject = WireObject<false>;
    type MetadataObject = WireObject<true>;

    fn deployments() -> ApiResource {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apps", "v1", "Deployment"),
            "deployments",
        )
    }

    fn secret_json() -> Value {
        json!({
            "metadata": {"name": "db", "namespace": "shop", "uid": "u-1", "resourceVersion": "7",
                "creationTimestamp": null, "labels": {"b": "2", "a": "1"},
                "managedFields": [{"manager": "kubectl", "operation": "Apply",
                    "apiVersion": "v1", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:password": {}}}}]},
            "data": {"password": "c2VjcmV0"},
            "type": "Opaque"
        })
    }

    #[test]
    fn keeps_what_the_server_sent_and_the_identity_kube_reads() {
        let wire: FullObject = serde_json::from_value(secret_json()).expect("object");
        assert_eq!(wire.meta().name.as_deref(), Some("db"));
        assert_eq!(wire.meta().namespace.as_deref(), Some("shop"));
        assert_eq!(wire.meta().uid.as_deref(), Some("u-1"));
        assert_eq!(wire.meta().resource_version.as_deref(), Some("7"));
        // Debug names the object, never its content.
        let debug = format!("{wire:?}");
        assert_eq!(debug, "shop/db@7");
        assert!(!debug.contains("c2VjcmV0"));

        let secrets = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("", "v1", "Secret"),
            "secrets",
        );
        let live = wire.into_live(&secrets);
        let stored = live.value();
        // Filled in where a list item lacks them; nothing else added, typed or dropped (a
        // null stays null, label order stays the server's).
        assert_eq!(stored["apiVersion"], "v1");
        assert_eq!(stored["kind"], "Secret");
        assert_eq!(stored["metadata"]["creationTimestamp"], Value::Null);
        let labels: Vec<&String> = stored["metadata"]["labels"]
            .as_object()
            .expect("labels")
            .keys()
            .collect();
        assert_eq!(labels, ["b", "a"]);
        assert_eq!(stored["data"]["password"], "c2VjcmV0");
        // managedFields packed as the live state stores them.
        let entry = &stored["metadata"]["managedFields"][0];
        assert_eq!(entry["fieldsV1"], r#"{"f:data":{"f:password":{}}}"#);
        assert!(entry.get("apiVersion").is_none() && entry.get("fieldsType").is_none());
        assert_eq!(live.resource_version(), Some("7"));
    }

    #[test]
    fn a_metadata_only_answer_takes_the_real_kind_and_asks_for_metadata() {
        assert!(MetadataObject::metadata_api());
        assert!(!FullObject::metadata_api());
        let wire: MetadataObject = serde_json::from_value(json!({
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "9"}
        }))
        .expect("object");
        let live = wire.into_live(&deployments());
        let stored = live.value();
        assert_eq!(stored["apiVersion"], "apps/v1");
        assert_eq!(stored["kind"], "Deployment");
        assert_eq!(
            live.key().map(|k| &*k.name),
            Some("web"),
            "keyed as the real kind"
        );

        // A server that ignored the metadata-only request sent the whole Secret: nothing
        // but its metadata is kept.
        let wire: MetadataObject = serde_json::from_value(secret_json()).expect("object");
        assert_eq!(wire.meta().resource_version.as_deref(), Some("7"));
        let secrets = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("", "v1", "Secret"),
            "secrets",
        );
        let stored = wire.into_live(&secrets).value().into_owned();
        let keys: Vec<&String> = stored.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["metadata", "apiVersion", "kind"]);
        assert!(!serde_json::to_string(&stored)
            .expect("json")
            .contains("c2VjcmV0"));
    }

    #[test]
    fn a_full_object_keeps_its_own_kind_and_anything_but_an_object_is_refused() {
        let wire: FullObject = serde_json::from_value(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "3"},
            "spec": {"replicas": 2}
        }))
        .expect("object");
        let live = wire.into_live(&deployments());
        assert_eq!(live.value()["spec"]["replicas"], 2);
        assert!(serde_json::from_value::<FullObject>(json!(["not", "an", "object"])).is_err());
        assert!(serde_json::from_value::<FullObject>(json!("text")).is_err());
    }
}
