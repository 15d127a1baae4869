//! The resource catalog: which kinds a sandbox cluster serves, and how discovery describes them.
//!
//! Built-in kinds are fixed; kinds defined by CustomResourceDefinitions are registered when the
//! CRD is written and removed when it is deleted, so discovery and routing follow the CRDs.

use serde_json::{json, Value};

/// Everything the server and discovery need to know about one served resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group, empty for core.
    pub group: String,
    /// Served version (CRD-defined kinds can have several; see `versions`).
    pub version: String,
    /// All served versions, preferred (storage) first.
    pub versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Serves `/status`.
    pub status_subresource: bool,
    /// Serves `/scale` (autoscaling/v1 Scale): spec path `.spec.replicas`.
    pub scale_subresource: bool,
    /// Defined by a CustomResourceDefinition (vs built in).
    pub custom: bool,
    /// Additional printer columns of a CRD (the `additionalPrinterColumns` array), if any.
    pub printer_columns: Vec<Value>,
}

impl ResourceInfo {
    /// `apps/v1`, `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The same resource, described in `version` (for multi-version CRDs).
    pub fn at_version(&self, version: &str) -> ResourceInfo {
        let mut info = self.clone();
        info.version = version.to_string();
        info
    }

    /// Whether writes to spec bump `metadata.generation` (as for workloads and custom
    /// resources; not for ConfigMaps, Secrets, Pods, Services, ...).
    pub fn tracks_generation(&self) -> bool {
        self.custom
            || matches!(
                self.group.as_str(),
                "apps" | "batch" | "networking.k8s.io" | "autoscaling" | "apiextensions.k8s.io"
            )
    }

    /// The `APIResource` entries of this resource in an `APIResourceList`.
    pub fn discovery_entries(&self) -> Vec<Value> {
        let mut main = json!({
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs,
        });
        if let Some(map) = main.as_object_mut() {
            if !self.short_names.is_empty() {
                map.insert("shortNames".into(), json!(self.short_names));
            }
            if !self.categories.is_empty() {
                map.insert("categories".into(), json!(self.categories));
            }
        }
        let mut entries = vec![main];
        if self.status_subresource {
            entries.push(json!({
                "name": format!("{}/status", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        if self.scale_subresource {
            entries.push(json!({
                "name": format!("{}/scale", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": ["get", "patch", "update"],
            }));
        }
        entries
    }
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Built-in resource table: (group, version, kind, plural, namespaced, shortNames, categories,
/// status, scale).
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    bool,
    bool,
    bool,
);

const BUILTINS: &[Builtin] = &[
    // group, version, kind, plural, namespaced, shortNames, in "all", status, scale
    (
        "",
        "v1",
        "Namespace",
        "namespaces",
        false,
        &["ns"],
        false,
        true,
        false,
    ),
    (
        "",
        "v1",
        "Node",
        "nodes",
        false,
        &["no"],
        false,
        true,
        false,
    ),
    (
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        true,
        &["cm"],
        false,
        false,
        false,
    ),
    (
        "",
        "v1",
        "Secret",
        "secrets",
        true,
        &[],
        false,
        false,
        false,
    ),
    (
        "",
        "v1",
        "Service",
        "services",
        true,
        &["svc"],
        true,
        true,
        false,
    ),
    (
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        true,
        &["sa"],
        false,
        false,
        false,
    ),
    (
        "",
        "v1",
        "Endpoints",
        "endpoints",
        true,
        &["ep"],
        false,
        false,
        false,
    ),
    ("", "v1", "Pod", "pods", true, &["po"], true, true, false),
    (
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
        &["pvc"],
        false,
        true,
        false,
    ),
    (
        "",
        "v1",
        "Event",
        "events",
        true,
        &["ev"],
        false,
        false,
        false,
    ),
    (
        "apps",
        "v1",
        "Deployment",
        "deployments",
        true,
        &["deploy"],
        true,
        true,
        true,
    ),
    (
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        true,
        &["rs"],
        true,
        true,
        true,
    ),
    (
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        true,
        &["sts"],
        true,
        true,
        true,
    ),
    (
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        true,
        &["ds"],
        true,
        true,
        false,
    ),
    ("batch", "v1", "Job", "jobs", true, &[], true, true, false),
    (
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        true,
        &["cj"],
        true,
        true,
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
        &["ing"],
        false,
        true,
        false,
    ),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
        &["hpa"],
        true,
        true,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        true,
        &[],
        false,
        false,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        &[],
        false,
        false,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        &[],
        false,
        false,
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        &[],
        false,
        false,
        false,
    ),
    (
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        true,
        &["quota"],
        false,
        true,
        false,
    ),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
        &["pdb"],
        false,
        true,
        false,
    ),
    (
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        false,
        &["pc"],
        false,
        false,
        false,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        &["crd", "crds"],
        false,
        true,
        false,
    ),
];

/// The review kinds (group, kind, plural): create-only questions about the caller, answered
/// and never stored (see `sandbox::review`).
pub const REVIEWS: &[(&str, &str, &str)] = &[
    (
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
    ),
    (
        "authorization.k8s.io",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
    ),
    (
        "authentication.k8s.io",
        "SelfSubjectReview",
        "selfsubjectreviews",
    ),
];

/// Why a CRD cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrdError {
    #[error("spec.{0}: Required value")]
    Missing(&'static str),
    #[error("spec.versions: Invalid value: must have exactly one storage version")]
    NoServedVersion,
    #[error("metadata.name: Invalid value: {0:?}: must be spec.names.plural+\".\"+spec.group")]
    BadName(String),
}

/// The kinds a cluster serves: built-ins plus CRD-defined ones.
#[derive(Debug, Clone)]
pub struct Catalog {
    resources: Vec<ResourceInfo>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::builtin()
    }
}

impl Catalog {
    /// The built-in kinds only.
    pub fn builtin() -> Self {
        let mut resources: Vec<ResourceInfo> = BUILTINS
            .iter()
            .map(
                |&(group, version, kind, plural, namespaced, short, in_all, status, scale)| {
                    ResourceInfo {
                        group: group.into(),
                        version: version.into(),
                        versions: vec![version.into()],
                        kind: kind.into(),
                        plural: plural.into(),
                        singular: kind.to_lowercase(),
                        namespaced,
                        verbs: ALL_VERBS.iter().map(|v| v.to_string()).collect(),
                        short_names: short.iter().map(|s| s.to_string()).collect(),
                        categories: if in_all { vec!["all".into()] } else { vec![] },
                        status_subresource: status,
                        scale_subresource: scale,
                        custom: false,
                        printer_columns: vec![],
                    }
                },
            )
            .collect();
        resources.extend(REVIEWS.iter().map(|&(group, kind, plural)| ResourceInfo {
            group: group.into(),
            version: "v1".into(),
            versions: vec!["v1".into()],
            kind: kind.into(),
            plural: plural.into(),
            singular: kind.to_lowercase(),
            namespaced: false,
            verbs: vec!["create".into()],
            short_names: vec![],
            categories: vec![],
            status_subresource: false,
            scale_subresource: false,
            custom: false,
            printer_columns: vec![],
        }));
        Catalog { resources }
    }

    pub fn resources(&self) -> &[ResourceInfo] {
        &self.resources
    }

    /// The resource served at `/{group}/{version}/{plural}` (version-adjusted for CRDs).
    pub fn by_plural(&self, group: &str, version: &str, plural: &str) -> Option<ResourceInfo> {
        self.resources
            .iter()
            .find(|r| {
                r.group == group && r.plural == plural && r.versions.iter().any(|v| v == version)
            })
            .map(|r| r.at_version(version))
    }

    /// The resource for a group and kind (storage version).
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<&ResourceInfo> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.kind == kind)
    }

    /// Groups in discovery order (core excluded): name and versions, preferred first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in self.resources.iter().filter(|r| !r.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, versions)) => {
                    for v in &r.versions {
                        if !versions.contains(v) {
                            versions.push(v.clone());
                        }
                    }
                }
                None => groups.push((r.group.clone(), r.versions.clone())),
            }
        }
        groups
    }

    /// Resources served in `group`/`version`.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<ResourceInfo> {
        self.resources
            .iter()
            .filter(|r| r.group == group && r.versions.iter().any(|v| v == version))
            .map(|r| r.at_version(version))
            .collect()
    }

    /// Register (or re-register) the kind a CRD defines. Built-in kinds cannot be replaced.
    pub fn register_crd(&mut self, crd: &Value) -> Result<ResourceInfo, CrdError> {
        let info = crd_resource(crd)?;
        let expected = format!("{}.{}", info.plural, info.group);
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if name != expected {
            return Err(CrdError::BadName(name.to_string()));
        }
        self.resources
            .retain(|r| !(r.custom && r.group == info.group && r.plural == info.plural));
        self.resources.push(info.clone());
        Ok(info)
    }

    /// Forget the kind defined by the CRD named `plural.group`.
    pub fn unregister_crd(&mut self, crd_name: &str) -> Option<ResourceInfo> {
        let pos = self
            .resources
            .iter()
            .position(|r| r.custom && format!("{}.{}", r.plural, r.group) == crd_name)?;
        Some(self.resources.remove(pos))
    }
}

/// The ResourceInfo a CRD object describes (validated just enough to serve it).
pub fn crd_resource(crd: &Value) -> Result<ResourceInfo, CrdError> {
    let spec = crd.get("spec").ok_or(CrdError::Missing("group"))?;
    let text = |path: &str| {
        spec.pointer(path)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let group = text("/group").ok_or(CrdError::Missing("group"))?;
    let plural = text("/names/plural").ok_or(CrdError::Missing("names.plural"))?;
    let kind = text("/names/kind").ok_or(CrdError::Missing("names.kind"))?;
    let singular = text("/names/singular")
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let namespaced = text("/scope") != Some("Cluster");
    let list_of_strings = |path: &str| -> Vec<String> {
        spec.pointer(path)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions_json = spec
        .get("versions")
        .and_then(Value::as_array)
        .ok_or(CrdError::Missing("versions"))?;
    let served: Vec<&Value> = versions_json
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(false))
        .collect();
    let storage = served
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool).unwrap_or(false))
        .or(served.first())
        .ok_or(CrdError::NoServedVersion)?;
    let storage_name = storage
        .get("name")
        .and_then(Value::as_str)
        .ok_or(CrdError::Missing("versions[].name"))?;
    let mut versions = vec![storage_name.to_string()];
    for v in &served {
        if let Some(name) = v.get("name").and_then(Value::as_str) {
            if !versions.iter().any(|x| x == name) {
                versions.push(name.to_string());
            }
        }
    }
    let status_subresource = storage.pointer("/subresources/status").is_some();
    let scale_subresource = storage.pointer("/subresources/scale").is_some();
    let printer_columns = storage
        .get("additionalPrinterColumns")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(ResourceInfo {
        group: group.into(),
        version: storage_name.into(),
        versions,
        kind: kind.into(),
        plural: plural.into(),
        singular,
        namespaced,
        verbs: ALL_VERBS.iter().map(|v| v.to_string()).collect(),
        short_names: list_of_strings("/names/shortNames"),
        categories: list_of_strings("/names/categories"),
        status_subresource,
        scale_subresource,
        custom: true,
        printer_columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widget_crd(scope: &str) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com", "uid": "5d0c3c55-2b7f-4c52-9a3a-1c1f7f0e7a10",
                         "resourceVersion": "812", "generation": 1},
            "spec": {
                "group": "example.com",
                "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets",
                          "singular": "widget", "shortNames": ["wd"]},
                "scope": scope,
                "versions": [
                    {"name": "v1beta1", "served": true, "storage": false,
                     "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                    {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                     "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}
                ]
            },
            "status": {"acceptedNames": {"kind": "", "plural": ""}, "storedVersions": ["v1"]}
        })
    }

    #[test]
    fn builtins_are_found_by_plural_and_kind() {
        let catalog = Catalog::builtin();
        let deploy = catalog
            .by_plural("apps", "v1", "deployments")
            .expect("deployments served");
        assert!(deploy.namespaced && deploy.scale_subresource);
        assert_eq!(
            catalog.by_kind("", "Namespace").map(|r| r.namespaced),
            Some(false)
        );
        assert!(catalog.by_plural("apps", "v2", "deployments").is_none());
        let entries = deploy.discovery_entries();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2]["name"], "deployments/scale");
    }

    #[test]
    fn crd_registration_serves_all_versions_storage_first() {
        let mut catalog = Catalog::builtin();
        let info = catalog
            .register_crd(&widget_crd("Namespaced"))
            .expect("valid CRD");
        assert_eq!(info.versions, vec!["v1".to_string(), "v1beta1".to_string()]);
        assert!(info.status_subresource && info.namespaced);
        assert!(catalog
            .by_plural("example.com", "v1beta1", "widgets")
            .is_some());
        assert!(catalog
            .groups()
            .iter()
            .any(|(g, v)| g == "example.com" && v[0] == "v1"));
        assert!(catalog.unregister_crd("widgets.example.com").is_some());
        assert!(catalog.by_plural("example.com", "v1", "widgets").is_none());
    }

    #[test]
    fn crd_with_wrong_name_is_rejected() {
        let mut crd = widget_crd("Cluster");
        crd["metadata"]["name"] = json!("gadgets.example.com");
        assert!(matches!(
            Catalog::builtin().register_crd(&crd),
            Err(CrdError::BadName(_))
        ));
    }
}
