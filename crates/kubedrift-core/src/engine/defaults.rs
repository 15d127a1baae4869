//! Values the API server fills in when a write leaves a field out (Kubernetes `SetDefaults_*`
//! and the create strategies), as far as three-way compare needs them.
//!
//! Why three-way compare needs them: when the last apply set a field explicitly to its default
//! (`protocol: TCP`, `imagePullPolicy: IfNotPresent`, `type: ClusterIP`) and Git now omits it,
//! applying Git again removes the field and the server defaults it straight back to the same
//! value: nothing changes, `kubectl diff --server-side` shows nothing, so it is not drift. A
//! live value other than the default is drift as ever (apply resets it).
//!
//! One table, matched on the kind, the map keys leading to the field (list items are
//! transparent: `spec.template.spec.containers[name=web].ports[…]` is
//! `["spec", "template", "spec", "containers", "ports"]`) and the field name. Only defaults
//! that hold whatever else the object says are listed, plus `imagePullPolicy`, which follows
//! the container's image. The sandbox's defaulting agrees with this table (its tests check).

use serde_json::{Map, Value};

/// The value the server gives an omitted field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerDefault {
    Text(&'static str),
    Int(i64),
    /// `Always` for an untagged or `:latest` image, else `IfNotPresent`.
    ImagePullPolicy,
}

impl ServerDefault {
    /// True when `live` is the value the server would default the field to. `siblings` is the
    /// live map holding the field (the container, for `imagePullPolicy`).
    pub fn is(self, live: &Value, siblings: &Map<String, Value>) -> bool {
        match (self, live) {
            (ServerDefault::Text(text), Value::String(s)) => s == text,
            (ServerDefault::Int(n), Value::Number(m)) => m.as_i64() == Some(n),
            (ServerDefault::ImagePullPolicy, Value::String(s)) => siblings
                .get("image")
                .and_then(Value::as_str)
                .is_some_and(|image| pull_policy_for(image) == s),
            _ => false,
        }
    }
}

/// The pull policy the server defaults for `image`.
pub fn pull_policy_for(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    match last_segment.rsplit_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

/// The default of `field` in the map reached by `keys` inside an object of `kind`.
pub fn server_default(kind: &str, keys: &[&str], field: &str) -> Option<ServerDefault> {
    use ServerDefault::{ImagePullPolicy, Int, Text};
    const CONTAINERS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];
    const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];
    const VOLUME_SOURCES: [&str; 4] = ["configMap", "secret", "projected", "downwardAPI"];
    let parent = keys.last().copied().unwrap_or("");
    let grandparent = keys.len().checked_sub(2).and_then(|i| keys.get(i)).copied();
    Some(match field {
        // Container ports, Service ports, NetworkPolicy ports, Endpoints ports.
        "protocol" if parent == "ports" => Text("TCP"),
        "terminationMessagePath" if CONTAINERS.contains(&parent) => Text("/dev/termination-log"),
        "terminationMessagePolicy" if CONTAINERS.contains(&parent) => Text("File"),
        "imagePullPolicy" if CONTAINERS.contains(&parent) => ImagePullPolicy,
        "timeoutSeconds" | "successThreshold" if PROBES.contains(&parent) => Int(1),
        "periodSeconds" if PROBES.contains(&parent) => Int(10),
        "failureThreshold" if PROBES.contains(&parent) => Int(3),
        "scheme" if parent == "httpGet" && grandparent.is_some_and(|g| PROBES.contains(&g)) => {
            Text("HTTP")
        }
        "defaultMode" if VOLUME_SOURCES.contains(&parent) && grandparent == Some("volumes") => {
            Int(420)
        }
        "apiVersion" if parent == "fieldRef" && grandparent == Some("valueFrom") => Text("v1"),
        _ if is_pod_spec(kind, keys) => match field {
            "dnsPolicy" => Text("ClusterFirst"),
            "schedulerName" => Text("default-scheduler"),
            "terminationGracePeriodSeconds" => Int(30),
            // A Job's pods must say (Never or OnFailure); everything else restarts Always.
            "restartPolicy" if !matches!(kind, "Job" | "CronJob") => Text("Always"),
            _ => return None,
        },
        _ => return workload_default(kind, keys, field),
    })
}

/// A pod spec: a Pod's `spec`, or the `spec` of any pod `template`.
fn is_pod_spec(kind: &str, keys: &[&str]) -> bool {
    matches!(keys, [.., "template", "spec"]) || (kind == "Pod" && keys == ["spec"])
}

/// Top-level defaults of Services, Secrets and the workload kinds.
fn workload_default(kind: &str, keys: &[&str], field: &str) -> Option<ServerDefault> {
    use ServerDefault::{Int, Text};
    Some(match (kind, keys, field) {
        ("Service", ["spec"], "type") => Text("ClusterIP"),
        ("Service", ["spec"], "sessionAffinity") => Text("None"),
        ("Service", ["spec"], "internalTrafficPolicy") => Text("Cluster"),
        ("Secret", [], "type") => Text("Opaque"),
        ("Deployment" | "StatefulSet" | "ReplicaSet", ["spec"], "replicas") => Int(1),
        ("Deployment" | "StatefulSet" | "DaemonSet", ["spec"], "revisionHistoryLimit") => Int(10),
        ("Deployment", ["spec"], "progressDeadlineSeconds") => Int(600),
        ("Deployment", ["spec", "strategy"], "type") => Text("RollingUpdate"),
        ("Deployment", ["spec", "strategy", "rollingUpdate"], "maxSurge" | "maxUnavailable") => {
            Text("25%")
        }
        ("StatefulSet", ["spec"], "podManagementPolicy") => Text("OrderedReady"),
        ("StatefulSet" | "DaemonSet", ["spec", "updateStrategy"], "type") => Text("RollingUpdate"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_found_by_kind_place_and_field() {
        let container = ["spec", "template", "spec", "containers"];
        assert_eq!(
            server_default(
                "Deployment",
                &[&container[..], &["ports"]].concat(),
                "protocol"
            ),
            Some(ServerDefault::Text("TCP"))
        );
        assert_eq!(
            server_default("Deployment", &container, "terminationMessagePolicy"),
            Some(ServerDefault::Text("File"))
        );
        assert_eq!(
            server_default("Deployment", &["spec", "template", "spec"], "dnsPolicy"),
            Some(ServerDefault::Text("ClusterFirst"))
        );
        assert_eq!(
            server_default("Job", &["spec", "template", "spec"], "restartPolicy"),
            None
        );
        assert_eq!(
            server_default("Service", &["spec"], "type"),
            Some(ServerDefault::Text("ClusterIP"))
        );
        // `type` means something else elsewhere.
        assert_eq!(server_default("Deployment", &["spec"], "type"), None);
        assert_eq!(server_default("ConfigMap", &["data"], "protocol"), None);
    }

    #[test]
    fn pull_policy_follows_the_image() {
        let container = |image: &str| json!({"image": image});
        let is_default = |policy: &str, image: &str| {
            let siblings = container(image);
            siblings
                .as_object()
                .is_some_and(|siblings| ServerDefault::ImagePullPolicy.is(&json!(policy), siblings))
        };
        assert!(is_default("IfNotPresent", "nginx:1.27"));
        assert!(is_default("Always", "nginx"));
        assert!(is_default("Always", "registry:5000/shop/web:latest"));
        assert!(is_default("Always", "registry:5000/shop/web"));
        assert!(is_default("IfNotPresent", "nginx@sha256:0123"));
        assert!(!is_default("Always", "nginx:1.27"));
        assert!(!ServerDefault::Int(30).is(&json!("30"), &Map::new()));
    }
}
