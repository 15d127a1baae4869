//! Just enough of the built-in kinds' schema for merging and field ownership: which lists are
//! keyed (and by what), which are sets of primitives, which are atomic, and which structs are
//! atomic. This mirrors the `patchMergeKey`/`patchStrategy` and `listType`/`listMapKey` tags of
//! the Kubernetes Go types; anything not described here is granular for maps and atomic for
//! lists, which is also what a real server does for custom resources without list annotations.

/// Where in an object a value sits, as far as merge semantics are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// No schema knowledge: maps merge key by key, lists are atomic.
    Generic,
    /// The top level of an object of a known kind.
    Root(RootKind),
    ObjectMeta,
    /// `spec` of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job (selector + template).
    WorkloadSpec,
    CronJobSpec,
    /// `spec.jobTemplate` of a CronJob.
    JobTemplate,
    /// `metadata` + `spec` of a pod template.
    PodTemplate,
    PodSpec,
    Container,
    ResourceRequirements,
    ServiceSpec,
    /// `status` of any kind: conditions keyed by type.
    Status,
    /// A struct replaced as a whole (LabelSelector, Service selector).
    AtomicStruct,
}

/// The kinds whose top level needs special treatment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootKind {
    Pod,
    PodTemplate,
    Workload,
    CronJob,
    Service,
    ServiceAccount,
    PersistentVolumeClaim,
    OtherBuiltin,
    Custom,
}

/// How a list field merges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// Replaced as a whole (no patch strategy / `listType=atomic`).
    Atomic,
    /// A set of primitives (`patchStrategy=merge` on a scalar list / `listType=set`).
    Set,
    /// Items identified by key fields (`listType=map`).
    Map {
        /// Server-side apply key fields (`x-kubernetes-list-map-keys`), sorted by name.
        ssa_keys: &'static [&'static str],
        /// Strategic merge patch key (`patchMergeKey`).
        smp_key: &'static str,
        /// The type of each item.
        item: Ty,
    },
}

/// API groups served by a real API server itself (strategic merge patch works for these).
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "admissionregistration.k8s.io",
    "storage.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "scheduling.k8s.io",
    "node.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
];

/// Whether `group` is built into the API server (so its kinds have Go types and patch tags).
pub fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group)
}

/// The type of the top level of a `group`/`kind` object.
pub fn root_type(group: &str, kind: &str) -> Ty {
    let root = match (group, kind) {
        ("", "Pod") => RootKind::Pod,
        ("", "PodTemplate") => RootKind::PodTemplate,
        ("", "ReplicationController") => RootKind::Workload,
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => RootKind::Workload,
        ("batch", "Job") => RootKind::Workload,
        ("batch", "CronJob") => RootKind::CronJob,
        ("", "Service") => RootKind::Service,
        ("", "ServiceAccount") => RootKind::ServiceAccount,
        ("", "PersistentVolumeClaim") => RootKind::PersistentVolumeClaim,
        (g, _) if is_builtin_group(g) => RootKind::OtherBuiltin,
        _ => RootKind::Custom,
    };
    Ty::Root(root)
}

/// The type of field `field` inside a map of type `ty`.
pub fn child_type(ty: Ty, field: &str) -> Ty {
    match (ty, field) {
        (Ty::Root(RootKind::Custom), "metadata") => Ty::ObjectMeta,
        (Ty::Root(RootKind::Custom), _) => Ty::Generic,
        (Ty::Root(_), "metadata") => Ty::ObjectMeta,
        (Ty::Root(_), "status") => Ty::Status,
        (Ty::Root(RootKind::Pod), "spec") => Ty::PodSpec,
        (Ty::Root(RootKind::PodTemplate), "template") => Ty::PodTemplate,
        (Ty::Root(RootKind::Workload), "spec") => Ty::WorkloadSpec,
        (Ty::Root(RootKind::CronJob), "spec") => Ty::CronJobSpec,
        (Ty::Root(RootKind::Service), "spec") => Ty::ServiceSpec,
        (Ty::Root(RootKind::PersistentVolumeClaim), "spec") => Ty::WorkloadSpec,
        (Ty::WorkloadSpec, "selector") => Ty::AtomicStruct,
        (Ty::WorkloadSpec, "template") => Ty::PodTemplate,
        (Ty::CronJobSpec, "jobTemplate") => Ty::JobTemplate,
        (Ty::JobTemplate, "metadata") => Ty::ObjectMeta,
        (Ty::JobTemplate, "spec") => Ty::WorkloadSpec,
        (Ty::PodTemplate, "metadata") => Ty::ObjectMeta,
        (Ty::PodTemplate, "spec") => Ty::PodSpec,
        (Ty::Container, "resources") => Ty::ResourceRequirements,
        (Ty::ServiceSpec, "selector") => Ty::AtomicStruct,
        _ => Ty::Generic,
    }
}

const NAME: &[&str] = &["name"];

/// How list field `field` inside a map of type `ty` merges.
pub fn list_kind(ty: Ty, field: &str) -> ListKind {
    let map = |ssa_keys: &'static [&'static str], smp_key: &'static str, item: Ty| ListKind::Map {
        ssa_keys,
        smp_key,
        item,
    };
    match (ty, field) {
        (Ty::ObjectMeta, "finalizers") => ListKind::Set,
        (Ty::ObjectMeta, "ownerReferences") => map(&["uid"], "uid", Ty::Generic),
        (Ty::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
            map(NAME, "name", Ty::Container)
        }
        (Ty::PodSpec, "volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates") => {
            map(NAME, "name", Ty::Generic)
        }
        (Ty::PodSpec, "hostAliases") => map(&["ip"], "ip", Ty::Generic),
        (Ty::PodSpec, "topologySpreadConstraints") => map(
            &["topologyKey", "whenUnsatisfiable"],
            "topologyKey",
            Ty::Generic,
        ),
        (Ty::Container, "env") => map(NAME, "name", Ty::Generic),
        (Ty::Container, "ports") => {
            map(&["containerPort", "protocol"], "containerPort", Ty::Generic)
        }
        (Ty::Container, "volumeMounts") => map(&["mountPath"], "mountPath", Ty::Generic),
        (Ty::Container, "volumeDevices") => map(&["devicePath"], "devicePath", Ty::Generic),
        (Ty::ResourceRequirements, "claims") => map(NAME, "name", Ty::Generic),
        (Ty::ServiceSpec, "ports") => map(&["port", "protocol"], "port", Ty::Generic),
        (Ty::Root(RootKind::ServiceAccount), "secrets") => map(NAME, "name", Ty::Generic),
        (Ty::Status, "conditions") => map(&["type"], "type", Ty::Generic),
        _ => ListKind::Atomic,
    }
}

/// Key fields the API server defaults before keying list items (so an applied container port
/// without `protocol` matches the live `TCP` one).
pub fn key_default(field: &str) -> Option<serde_json::Value> {
    match field {
        "protocol" => Some(serde_json::Value::String("TCP".to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_containers_are_keyed_by_name() {
        let spec = child_type(root_type("apps", "Deployment"), "spec");
        let pod = child_type(child_type(spec, "template"), "spec");
        assert_eq!(pod, Ty::PodSpec);
        assert!(matches!(
            list_kind(pod, "containers"),
            ListKind::Map {
                smp_key: "name",
                ..
            }
        ));
        assert_eq!(list_kind(pod, "tolerations"), ListKind::Atomic);
    }

    #[test]
    fn custom_resources_have_atomic_lists() {
        let root = root_type("example.com", "Widget");
        assert_eq!(
            list_kind(child_type(root, "spec"), "containers"),
            ListKind::Atomic
        );
        assert!(!is_builtin_group("example.com"));
    }
}
