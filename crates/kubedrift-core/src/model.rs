//! Shared vocabulary: what a Kubernetes object is to kubedrift and how it is identified.
//!
//! Objects are kept as `serde_json::Value`, exactly as the API server (or a manifest) gives
//! them, so that no field a type library does not know about is ever lost.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

mod stored;
pub use stored::StoredObject;

/// A Kubernetes object as JSON (what the API server returns, or a parsed manifest).
pub type Object = Value;

/// The field manager kubedrift uses for server-side apply.
pub const FIELD_MANAGER: &str = "kubedrift";

/// The label kubedrift's sync writes so that extraneous objects can be found later.
pub const TRACKING_LABEL: &str = "kubedrift.io/app";

/// Identity of a resource: group, kind, namespace and name.
///
/// The namespace is `None` for cluster-scoped kinds and always `Some` for namespaced ones
/// (defaulted when a manifest leaves it out), so two spellings of the same object compare equal.
///
/// The parts are `Arc<str>` because a key is copied into many maps and views per resource
/// (desired, live, results, indices): a clone only bumps reference counts and every copy
/// shares the same text. `Arc<str>` orders, hashes and serializes exactly like `String`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceKey {
    /// API group, empty for the core group.
    pub group: Arc<str>,
    pub kind: Arc<str>,
    pub namespace: Option<Arc<str>>,
    pub name: Arc<str>,
}

/// Why an object has no identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not an object")]
    NotAnObject,
    #[error("missing apiVersion")]
    MissingApiVersion,
    #[error("missing kind")]
    MissingKind,
    #[error("missing metadata.name")]
    MissingName,
}

impl ResourceKey {
    pub fn new(group: &str, kind: &str, namespace: Option<&str>, name: &str) -> Self {
        ResourceKey {
            group: Arc::from(group),
            kind: Arc::from(kind),
            namespace: namespace.map(Arc::from),
            name: Arc::from(name),
        }
    }

    /// The identity of `obj`. Namespaced kinds without a namespace get `default_namespace`
    /// (or "default"); cluster-scoped kinds drop any namespace they carry.
    ///
    /// `scope` answers "is this group/kind cluster-scoped?"; use [`builtin_cluster_scoped`]
    /// when nothing better (discovery) is known.
    pub fn from_object(
        obj: &Value,
        default_namespace: Option<&str>,
        scope: &dyn Fn(&str, &str) -> bool,
    ) -> Result<Self, KeyError> {
        let fields = IdentityFields::of(obj)?;
        let namespace = if scope(fields.group, fields.kind) {
            None
        } else {
            Some(fields.namespace.or(default_namespace).unwrap_or("default"))
        };
        Ok(ResourceKey::new(
            fields.group,
            fields.kind,
            namespace,
            fields.name,
        ))
    }

    /// The identity of a live object exactly as the API server returned it: no namespace
    /// means cluster-scoped (the server always sets it on namespaced objects).
    pub fn from_live(obj: &Value) -> Result<Self, KeyError> {
        let fields = IdentityFields::of(obj)?;
        Ok(ResourceKey::new(
            fields.group,
            fields.kind,
            fields.namespace,
            fields.name,
        ))
    }
}

/// The identity fields an object carries, checked (empty counts as missing).
struct IdentityFields<'a> {
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

impl<'a> IdentityFields<'a> {
    fn of(obj: &'a Value) -> Result<Self, KeyError> {
        let map = obj.as_object().ok_or(KeyError::NotAnObject)?;
        let text =
            |value: Option<&'a Value>| value.and_then(Value::as_str).filter(|s| !s.is_empty());
        let api_version = text(map.get("apiVersion")).ok_or(KeyError::MissingApiVersion)?;
        let kind = text(map.get("kind")).ok_or(KeyError::MissingKind)?;
        let metadata = map.get("metadata");
        let name = text(metadata.and_then(|m| m.get("name"))).ok_or(KeyError::MissingName)?;
        Ok(IdentityFields {
            group: group_of(api_version),
            kind,
            namespace: text(metadata.and_then(|m| m.get("namespace"))),
            name,
        })
    }
}

impl fmt::Display for ResourceKey {
    /// `apps/Deployment/shop/web`, `Namespace/shop` (core group and cluster scope elided).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.group.is_empty() {
            write!(f, "{}/", self.group)?;
        }
        write!(f, "{}/", self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        write!(f, "{}", self.name)
    }
}

/// The group part of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core).
pub fn group_of(api_version: &str) -> &str {
    match api_version.split_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// Cluster-scoped built-in kinds (plus the common CRD-defined ones kubedrift meets).
/// Anything not listed is treated as namespaced until discovery says otherwise.
pub fn builtin_cluster_scoped(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("", "Namespace")
            | ("", "Node")
            | ("", "PersistentVolume")
            | ("", "ComponentStatus")
            | ("rbac.authorization.k8s.io", "ClusterRole")
            | ("rbac.authorization.k8s.io", "ClusterRoleBinding")
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | ("apiregistration.k8s.io", "APIService")
            | (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration"
            )
            | (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration"
            )
            | ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy")
            | (
                "admissionregistration.k8s.io",
                "ValidatingAdmissionPolicyBinding"
            )
            | ("storage.k8s.io", "StorageClass")
            | ("storage.k8s.io", "CSIDriver")
            | ("storage.k8s.io", "CSINode")
            | ("storage.k8s.io", "VolumeAttachment")
            | ("scheduling.k8s.io", "PriorityClass")
            | ("node.k8s.io", "RuntimeClass")
            | ("networking.k8s.io", "IngressClass")
            | ("certificates.k8s.io", "CertificateSigningRequest")
            | ("flowcontrol.apiserver.k8s.io", _)
    )
}

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
    pub fn of_key(key: &ResourceKey) -> Self {
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

/// Which kinds are cluster-scoped: the built-in knowledge ([`builtin_cluster_scoped`]) plus
/// kinds learned from discovery or from live objects. The one place the CLI and the state
/// decide a kind's scope and re-key objects by it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    learned: HashSet<GroupKind>,
}

impl Scopes {
    /// Built-in knowledge only.
    pub fn new() -> Self {
        Scopes::default()
    }

    /// Kinds discovery (or another authority) says are cluster-scoped.
    pub fn learn(&mut self, cluster_scoped: impl IntoIterator<Item = GroupKind>) {
        self.learned.extend(cluster_scoped);
    }

    /// What live objects show: an API server always sets `metadata.namespace` on namespaced
    /// objects, so a kind whose every live object has none is cluster-scoped (custom kinds
    /// such as cert-manager's ClusterIssuer, which [`builtin_cluster_scoped`] cannot know).
    /// Kinds with no live object teach nothing; objects without apiVersion or kind are skipped.
    pub fn learn_from_live<'a>(&mut self, live: impl IntoIterator<Item = &'a Value>) {
        let mut without_namespace: HashMap<GroupKind, bool> = HashMap::new();
        for obj in live {
            let (Some(api_version), Some(kind)) = (
                obj.get("apiVersion").and_then(Value::as_str),
                obj.get("kind").and_then(Value::as_str),
            ) else {
                continue;
            };
            let has_namespace = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .is_some_and(|ns| !ns.is_empty());
            *without_namespace
                .entry(GroupKind::new(group_of(api_version), kind))
                .or_insert(true) &= !has_namespace;
        }
        self.learn(
            without_namespace
                .into_iter()
                .filter_map(|(kind, cluster_scoped)| cluster_scoped.then_some(kind)),
        );
    }

    pub fn is_cluster_scoped(&self, group: &str, kind: &str) -> bool {
        builtin_cluster_scoped(group, kind) || self.learned.contains(&GroupKind::new(group, kind))
    }

    /// Drop the namespace of a key whose kind is cluster-scoped; true when the key changed.
    pub fn rescope(&self, key: &mut ResourceKey) -> bool {
        let drop = key.namespace.is_some() && self.is_cluster_scoped(&key.group, &key.kind);
        if drop {
            key.namespace = None;
        }
        drop
    }

    /// [`ResourceKey::from_object`] with these scopes.
    pub fn key_of(
        &self,
        obj: &Value,
        default_namespace: Option<&str>,
    ) -> Result<ResourceKey, KeyError> {
        ResourceKey::from_object(obj, default_namespace, &|group, kind| {
            self.is_cluster_scoped(group, kind)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespaced_kind_gets_default_namespace() {
        let obj =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        let key = ResourceKey::from_object(&obj, Some("shop"), &builtin_cluster_scoped).unwrap();
        assert_eq!(
            key,
            ResourceKey::new("apps", "Deployment", Some("shop"), "web")
        );
        assert_eq!(key.to_string(), "apps/Deployment/shop/web");
    }

    #[test]
    fn cluster_scoped_kind_drops_namespace() {
        let obj = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                         "metadata": {"name": "view", "namespace": "ignored"}});
        let key = ResourceKey::from_object(&obj, None, &builtin_cluster_scoped).unwrap();
        assert_eq!(key.namespace, None);
        assert_eq!(
            key.to_string(),
            "rbac.authorization.k8s.io/ClusterRole/view"
        );
    }

    #[test]
    fn missing_identity_fields_are_errors() {
        let scope = &builtin_cluster_scoped;
        assert_eq!(
            ResourceKey::from_object(&json!([]), None, scope),
            Err(KeyError::NotAnObject)
        );
        assert_eq!(
            ResourceKey::from_object(&json!({"kind": "Pod"}), None, scope),
            Err(KeyError::MissingApiVersion)
        );
        assert_eq!(
            ResourceKey::from_object(&json!({"apiVersion": "v1"}), None, scope),
            Err(KeyError::MissingKind)
        );
        assert_eq!(
            ResourceKey::from_object(
                &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}}),
                None,
                scope
            ),
            Err(KeyError::MissingName)
        );
    }

    #[test]
    fn live_identity_is_what_the_server_returned() {
        let namespaced = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "uid": "1"}});
        assert_eq!(
            ResourceKey::from_live(&namespaced),
            Ok(ResourceKey::new("apps", "Deployment", Some("shop"), "web"))
        );
        // No namespace from the server: cluster-scoped, never "default".
        let cluster_scoped = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "namespace": ""}});
        assert_eq!(
            ResourceKey::from_live(&cluster_scoped),
            Ok(ResourceKey::new("example.com", "Widget", None, "w"))
        );
        assert_eq!(
            ResourceKey::from_live(&serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": ""}})),
            Err(KeyError::MissingName)
        );
    }

    #[test]
    fn group_kind_displays_like_kubectl() {
        assert_eq!(
            GroupKind::new("apps", "Deployment").to_string(),
            "Deployment.apps"
        );
        assert_eq!(GroupKind::new("", "ConfigMap").to_string(), "ConfigMap");
    }

    #[test]
    fn scopes_know_builtin_kinds_and_what_discovery_says() {
        let mut scopes = Scopes::new();
        assert!(scopes.is_cluster_scoped("", "Namespace"));
        assert!(scopes.is_cluster_scoped("rbac.authorization.k8s.io", "ClusterRole"));
        assert!(!scopes.is_cluster_scoped("cert-manager.io", "ClusterIssuer"));
        assert!(!scopes.is_cluster_scoped("apps", "Deployment"));
        scopes.learn([GroupKind::new("cert-manager.io", "ClusterIssuer")]);
        assert!(scopes.is_cluster_scoped("cert-manager.io", "ClusterIssuer"));
        // Same kind name, another group: still namespaced.
        assert!(!scopes.is_cluster_scoped("example.com", "ClusterIssuer"));
    }

    #[test]
    fn scopes_learn_kinds_whose_every_live_object_has_no_namespace() {
        let live = [
            json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                   "metadata": {"name": "letsencrypt"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget",
                   "metadata": {"name": "a"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget",
                   "metadata": {"name": "b", "namespace": "shop"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Gadget",
                   "metadata": {"name": "c", "namespace": ""}}),
            json!({"kind": "Orphan", "metadata": {"name": "no-api-version"}}),
        ];
        let mut scopes = Scopes::new();
        scopes.learn_from_live(&live);
        assert!(scopes.is_cluster_scoped("cert-manager.io", "ClusterIssuer"));
        // One object with a namespace: the kind is namespaced.
        assert!(!scopes.is_cluster_scoped("example.com", "Widget"));
        // An empty namespace is no namespace.
        assert!(scopes.is_cluster_scoped("example.com", "Gadget"));
        assert!(!scopes.is_cluster_scoped("", "Orphan"));
    }

    #[test]
    fn scopes_rescope_and_key_drop_namespaces_of_cluster_scoped_kinds_only() {
        let mut scopes = Scopes::new();
        scopes.learn([GroupKind::new("example.com", "Widget")]);
        let mut widget = ResourceKey::new("example.com", "Widget", Some("shop"), "w");
        assert!(scopes.rescope(&mut widget));
        assert_eq!(widget, ResourceKey::new("example.com", "Widget", None, "w"));
        assert!(!scopes.rescope(&mut widget));
        let mut deploy = ResourceKey::new("apps", "Deployment", Some("shop"), "web");
        assert!(!scopes.rescope(&mut deploy));
        assert_eq!(deploy.namespace.as_deref(), Some("shop"));

        let obj = json!({"apiVersion": "example.com/v1", "kind": "Widget",
                         "metadata": {"name": "w", "namespace": "shop"}});
        assert_eq!(
            scopes.key_of(&obj, Some("other")),
            Ok(ResourceKey::new("example.com", "Widget", None, "w"))
        );
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        assert_eq!(
            scopes.key_of(&cm, Some("shop")),
            Ok(ResourceKey::new("", "ConfigMap", Some("shop"), "c"))
        );
    }
}
