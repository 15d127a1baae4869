//! Defaulting, as a real API server (v1.32) does on every write (create, update, patch, apply):
//! [`apply_defaults`] is the `SetDefaults_*` functions of the built-in API groups (what the
//! writer is recorded as owning in managedFields); [`apply_server_fields`] is what admission
//! plugins, create strategies and allocators add afterwards (owned by nobody). Every default
//! only fills what is missing, so both are idempotent.
//!
//! Malformed input (a `spec` that is a string, ...) is left alone: validation rejects it, and
//! defaulting must never panic on it.

use serde_json::{json, Map, Value};

/// Fill the fields a real API server defaults for `group`/`kind` (e.g. Deployment strategy,
/// Pod template restartPolicy, Service type). `obj` is the full object. The Service cluster IP
/// and node ports need cluster state: see [`allocate_cluster_ip`] and [`allocate_node_ports`].
/// Job selectors are generated from `metadata.uid`, so call this after the uid is set.
pub fn apply_defaults(group: &str, kind: &str, obj: &mut Value) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    match (group, kind) {
        ("", "Namespace") => default_namespace(root),
        ("", "Secret") => set_default(root, "type", json!("Opaque")),
        ("", "Service") => default_service(root),
        ("", "Endpoints") => default_endpoints(root),
        ("", "Pod") => default_pod(root),
        ("", "PersistentVolumeClaim") => default_pvc(root),
        ("", "ReplicationController") => default_replicated(root, false),
        ("", "PodTemplate") => {
            if let Some(template) = map_at(root, "template") {
                default_pod_template(template, false);
            }
        }
        ("apps", "Deployment") => default_deployment(root),
        ("apps", "ReplicaSet") => default_replicated(root, true),
        ("apps", "StatefulSet") => default_statefulset(root),
        ("apps", "DaemonSet") => default_daemonset(root),
        ("batch", "Job") => default_job(root),
        ("batch", "CronJob") => default_cronjob(root),
        ("networking.k8s.io", "Ingress") => default_ingress(root),
        ("autoscaling", "HorizontalPodAutoscaler") => default_hpa(root),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            default_binding(root)
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => default_crd(root),
        _ => {}
    }
}

/// Fill what the server sets on a write *outside* defaulting — admission plugins, create
/// strategies and the Service IP-family allocator: Pod `serviceAccountName`, `priority`,
/// `preemptionPolicy`, not-ready/unreachable tolerations, status phase and QoS class; a Job's
/// generated selector and pod labels (needs `metadata.uid`); a Service's `ipFamilies` and
/// `ipFamilyPolicy`. A real server does not attribute these to the writer, so call this after
/// [`super::managed::record_write`] (and after apply). Idempotent.
pub fn apply_server_fields(group: &str, kind: &str, obj: &mut Value) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    if has_status_struct(group, kind) {
        // Go serialises the (non-pointer) status struct even when empty.
        set_default(root, "status", json!({}));
    }
    match (group, kind) {
        ("", "Pod") => server_fields_pod(root),
        ("batch", "Job") => server_fields_job(root),
        ("", "Service") => server_fields_service(root),
        ("", "Secret") => fold_string_data(root),
        _ => {}
    }
}

/// Fold a Secret's `stringData` into `data` where a real server does it for non-apply writes:
/// while decoding the request (v1 → internal conversion), so before managedFields are
/// recorded — an Update writer is recorded as owning `f:data.<key>`. Server-side apply records
/// the `f:stringData` of the applied configuration instead, so there the fold happens later,
/// in [`apply_server_fields`]. Other kinds are left alone.
pub fn fold_secret_string_data(group: &str, kind: &str, obj: &mut Value) {
    if let ("", "Secret", Some(root)) = (group, kind, obj.as_object_mut()) {
        fold_string_data(root);
    }
}

/// `stringData` is write-only: the API server merges it into `data` (base64, overriding
/// keys of the same name) and never stores or returns it.
fn fold_string_data(root: &mut Map<String, Value>) {
    use base64::Engine as _;
    let Some(Value::Object(string_data)) = root.remove("stringData") else {
        return;
    };
    let data = root
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Value::Object(data) = data {
        for (key, value) in string_data {
            let text = match value {
                Value::String(text) => text,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            data.insert(key, Value::String(encoded));
        }
    }
}

/// Kinds whose Go type has a non-pointer `status` struct, so a real server always returns one.
fn has_status_struct(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "",
            "Pod" | "Service" | "Namespace" | "PersistentVolumeClaim" | "ReplicationController"
        ) | (
            "apps",
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet"
        ) | ("batch", "Job" | "CronJob")
            | ("networking.k8s.io", "Ingress")
            | ("autoscaling", "HorizontalPodAutoscaler")
            | ("policy", "PodDisruptionBudget")
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
    )
}

fn server_fields_service(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    if str_of(spec, "type") == Some("ExternalName") {
        return;
    }
    set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
    set_default(spec, "ipFamilies", json!(["IPv4"]));
    // A client that names only `clusterIP` (or "None") gets it mirrored in `clusterIPs`.
    let named = str_of(spec, "clusterIP")
        .filter(|ip| !ip.is_empty())
        .map(str::to_string);
    let listed = spec
        .get("clusterIPs")
        .and_then(Value::as_array)
        .is_some_and(|ips| !ips.is_empty());
    if let (Some(ip), false) = (named, listed) {
        spec.insert("clusterIPs".into(), json!([ip]));
    }
}

/// The child map at `key`, created when missing or null; None when it holds something else.
fn map_at<'a>(parent: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    let slot = parent.entry(key.to_string()).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

/// The child map at `key` only if it already exists.
fn existing_map<'a>(
    parent: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    parent.get_mut(key).and_then(Value::as_object_mut)
}

/// The maps of the list at `key`, if it exists.
fn list_maps<'a>(
    parent: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    parent
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|items| items.iter_mut().filter_map(Value::as_object_mut))
}

fn set_default(map: &mut Map<String, Value>, key: &str, value: Value) {
    let slot = map.entry(key.to_string()).or_insert(Value::Null);
    if slot.is_null() {
        *slot = value;
    }
}

fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

fn default_namespace(root: &mut Map<String, Value>) {
    let name = root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if let (Some(name), Some(metadata)) = (name, map_at(root, "metadata")) {
        if let Some(labels) = map_at(metadata, "labels") {
            // The server always (re)sets this label to the name.
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        }
    }
    if let Some(spec) = map_at(root, "spec") {
        set_default(spec, "finalizers", json!(["kubernetes"]));
    }
    if let Some(status) = map_at(root, "status") {
        set_default(status, "phase", json!("Active"));
    }
}

fn default_service(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    set_default(spec, "type", json!("ClusterIP"));
    let service_type = str_of(spec, "type").unwrap_or("ClusterIP").to_string();
    set_default(spec, "sessionAffinity", json!("None"));
    if str_of(spec, "sessionAffinity") == Some("ClientIP") {
        if let Some(config) = map_at(spec, "sessionAffinityConfig") {
            if let Some(client_ip) = map_at(config, "clientIP") {
                set_default(client_ip, "timeoutSeconds", json!(10800));
            }
        }
    }
    for port in list_maps(spec, "ports") {
        set_default(port, "protocol", json!("TCP"));
        let unset = match port.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.is_empty(),
            _ => false,
        };
        if unset {
            if let Some(number) = port.get("port").cloned() {
                port.insert("targetPort".into(), number);
            }
        }
    }
    if service_type == "ExternalName" {
        return;
    }
    set_default(spec, "internalTrafficPolicy", json!("Cluster"));
    if service_type == "NodePort" || service_type == "LoadBalancer" {
        set_default(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if service_type == "LoadBalancer" {
        set_default(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    if let Some(status) = map_at(root, "status") {
        set_default(status, "loadBalancer", json!({}));
    }
}

/// Whether the Service still needs a cluster IP (not headless, not ExternalName, none set).
pub fn needs_cluster_ip(obj: &Value) -> bool {
    let spec = obj.get("spec");
    let service_type = spec
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    let current = spec
        .and_then(|s| s.get("clusterIP"))
        .and_then(Value::as_str)
        .unwrap_or("");
    service_type != "ExternalName" && current.is_empty()
}

/// Give the Service the cluster IP `ip` the server picked (`clusterIP` and `clusterIPs`), unless
/// it has one, is headless (`None`) or is ExternalName.
pub fn allocate_cluster_ip(obj: &mut Value, ip: &str) {
    if !needs_cluster_ip(obj) {
        return;
    }
    if let Some(spec) = obj.as_object_mut().and_then(|root| map_at(root, "spec")) {
        spec.insert("clusterIP".into(), json!(ip));
        spec.insert("clusterIPs".into(), json!([ip]));
    }
}

/// How many Service ports still need a node port (NodePort and LoadBalancer Services, unless
/// `allocateLoadBalancerNodePorts` is false).
pub fn needs_node_ports(obj: &Value) -> usize {
    let Some(spec) = obj.get("spec") else {
        return 0;
    };
    let service_type = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    let wanted = match service_type {
        "NodePort" => true,
        "LoadBalancer" => {
            spec.get("allocateLoadBalancerNodePorts")
                .and_then(Value::as_bool)
                != Some(false)
        }
        _ => false,
    };
    if !wanted {
        return 0;
    }
    spec.get("ports")
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .filter(|p| p.get("nodePort").is_none_or(|n| n.is_null() || n == 0))
                .count()
        })
        .unwrap_or(0)
}

/// Give the ports without a node port the node ports the server picked, in order (as many as
/// [`needs_node_ports`] said; extra ports are ignored).
pub fn allocate_node_ports(obj: &mut Value, node_ports: &[u16]) {
    if needs_node_ports(obj) == 0 {
        return;
    }
    let mut picked = node_ports.iter();
    let Some(spec) = obj
        .as_object_mut()
        .and_then(|root| existing_map(root, "spec"))
    else {
        return;
    };
    for port in list_maps(spec, "ports") {
        if port.get("nodePort").is_none_or(|n| n.is_null() || n == 0) {
            match picked.next() {
                Some(node_port) => {
                    port.insert("nodePort".into(), json!(node_port));
                }
                None => return,
            }
        }
    }
}

/// Whether a LoadBalancer Service with `externalTrafficPolicy: Local` still needs its health
/// check node port.
pub fn needs_health_check_node_port(obj: &Value) -> bool {
    let Some(spec) = obj.get("spec") else {
        return false;
    };
    let text = |key: &str| spec.get(key).and_then(Value::as_str);
    text("type") == Some("LoadBalancer")
        && text("externalTrafficPolicy") == Some("Local")
        && spec
            .get("healthCheckNodePort")
            .is_none_or(|n| n.is_null() || n == 0)
}

/// Give the Service the health check node port the server picked, if it needs one.
pub fn allocate_health_check_node_port(obj: &mut Value, node_port: u16) {
    if !needs_health_check_node_port(obj) {
        return;
    }
    if let Some(spec) = obj
        .as_object_mut()
        .and_then(|root| existing_map(root, "spec"))
    {
        spec.insert("healthCheckNodePort".into(), json!(node_port));
    }
}

/// On a Service update, what the server keeps of the live object that the request left out,
/// and what it drops because the type changed (the Service storage's `patchAllocatedValues`
/// and `dropTypeDependentFields`): a replace without `clusterIP` keeps the allocated IP, a
/// port without `nodePort` keeps its node port (matched by port name), and switching to a type
/// that has no use for an allocated value drops it when the request did not change it.
pub fn keep_allocated_service_values(live: &Value, desired: &mut Value) {
    let Some(live_spec) = live.get("spec").and_then(Value::as_object) else {
        return;
    };
    let Some(spec) = desired
        .as_object_mut()
        .and_then(|root| existing_map(root, "spec"))
    else {
        return;
    };
    let type_of =
        |spec: &Map<String, Value>| str_of(spec, "type").unwrap_or("ClusterIP").to_string();
    let (old_type, new_type) = (type_of(live_spec), type_of(spec));
    let has_cluster_ip = |t: &str| t != "ExternalName";
    let has_node_ports = |t: &str| t == "NodePort" || t == "LoadBalancer";
    let is_unset = |value: Option<&Value>| match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Number(n)) => n.as_i64() == Some(0),
        _ => false,
    };
    if has_cluster_ip(&old_type) && has_cluster_ip(&new_type) {
        for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            if let (true, Some(old)) = (is_unset(spec.get(key)), live_spec.get(key)) {
                spec.insert(key.into(), old.clone());
            }
        }
    }
    let node_ports = |spec: &Map<String, Value>| -> Vec<(String, i64)> {
        spec.get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                let port = p
                    .get("nodePort")
                    .and_then(Value::as_i64)
                    .filter(|n| *n != 0)?;
                Some((name.to_string(), port))
            })
            .collect()
    };
    let (old_ports, new_ports) = (node_ports(live_spec), node_ports(spec));
    if has_node_ports(&old_type) && has_node_ports(&new_type) {
        // Node ports the request names itself cannot be handed to another port.
        let taken: Vec<i64> = new_ports.iter().map(|(_, p)| *p).collect();
        for port in list_maps(spec, "ports") {
            if !is_unset(port.get("nodePort")) {
                continue;
            }
            let name = str_of(port, "name").unwrap_or("");
            let old = old_ports.iter().find(|(n, _)| n == name).map(|(_, p)| *p);
            if let Some(old) = old.filter(|p| !taken.contains(p)) {
                port.insert("nodePort".into(), json!(old));
            }
        }
        if new_type == "LoadBalancer"
            && old_type == "LoadBalancer"
            && is_unset(spec.get("healthCheckNodePort"))
            && str_of(spec, "externalTrafficPolicy") == Some("Local")
        {
            if let Some(old) = live_spec.get("healthCheckNodePort") {
                spec.insert("healthCheckNodePort".into(), old.clone());
            }
        }
    }
    // The rest only applies when the type changes (as the server does).
    if old_type == new_type {
        return;
    }
    if has_cluster_ip(&old_type) && !has_cluster_ip(&new_type) {
        for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            if spec.get(key) == live_spec.get(key) {
                spec.remove(key);
            }
        }
    }
    if has_node_ports(&old_type) && !has_node_ports(&new_type) && old_ports == new_ports {
        for port in list_maps(spec, "ports") {
            port.remove("nodePort");
        }
    }
    if new_type != "LoadBalancer"
        && spec.get("healthCheckNodePort") == live_spec.get("healthCheckNodePort")
    {
        spec.remove("healthCheckNodePort");
    }
    if !has_node_ports(&new_type)
        && spec.get("externalTrafficPolicy") == live_spec.get("externalTrafficPolicy")
    {
        spec.remove("externalTrafficPolicy");
    }
    if new_type != "LoadBalancer"
        && spec.get("allocateLoadBalancerNodePorts")
            == live_spec.get("allocateLoadBalancerNodePorts")
    {
        spec.remove("allocateLoadBalancerNodePorts");
    }
}

/// Where the ServiceAccount admission plugin mounts the API credentials in every container.
pub const SERVICE_ACCOUNT_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// What the ServiceAccount admission plugin adds to a Pod on create (unless the Pod says
/// `automountServiceAccountToken: false` or already mounts something there): the projected
/// `kube-api-access-<suffix>` volume (token, cluster CA, namespace) and a read-only mount of it
/// in every container and init container. `suffix` is the random 5-character name suffix.
pub fn mount_service_account_token(obj: &mut Value, suffix: &str) {
    let Some(spec) = obj
        .as_object_mut()
        .and_then(|root| existing_map(root, "spec"))
    else {
        return;
    };
    if spec
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool)
        == Some(false)
    {
        return;
    }
    let mounted = ["containers", "initContainers"].iter().any(|key| {
        spec.get(*key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("volumeMounts").and_then(Value::as_array))
            .flatten()
            .any(|m| m.get("mountPath").and_then(Value::as_str) == Some(SERVICE_ACCOUNT_MOUNT_PATH))
    });
    if mounted {
        return;
    }
    let volume_name = format!("kube-api-access-{suffix}");
    let volume = json!({"name": volume_name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}});
    let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
    if volumes.is_null() {
        *volumes = json!([]);
    }
    let Some(volumes) = volumes.as_array_mut() else {
        return;
    };
    volumes.push(volume);
    let mount =
        json!({"mountPath": SERVICE_ACCOUNT_MOUNT_PATH, "name": volume_name, "readOnly": true});
    for key in ["containers", "initContainers"] {
        for container in list_maps(spec, key) {
            let mounts = container.entry("volumeMounts").or_insert_with(|| json!([]));
            if mounts.is_null() {
                *mounts = json!([]);
            }
            if let Some(mounts) = mounts.as_array_mut() {
                mounts.push(mount.clone());
            }
        }
    }
}

fn default_endpoints(root: &mut Map<String, Value>) {
    for subset in list_maps(root, "subsets") {
        for port in list_maps(subset, "ports") {
            set_default(port, "protocol", json!("TCP"));
        }
    }
}

fn default_pvc(root: &mut Map<String, Value>) {
    if let Some(spec) = map_at(root, "spec") {
        set_default(spec, "volumeMode", json!("Filesystem"));
    }
    if let Some(status) = map_at(root, "status") {
        set_default(status, "phase", json!("Pending"));
    }
}

/// `imagePullPolicy` default: Always for `:latest` or an untagged image, else IfNotPresent.
fn pull_policy_for(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    match last_segment.rsplit_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

fn default_probe(container: &mut Map<String, Value>, key: &str) {
    let Some(probe) = existing_map(container, key) else {
        return;
    };
    set_default(probe, "timeoutSeconds", json!(1));
    set_default(probe, "periodSeconds", json!(10));
    set_default(probe, "successThreshold", json!(1));
    set_default(probe, "failureThreshold", json!(3));
    if let Some(http) = existing_map(probe, "httpGet") {
        set_default(http, "scheme", json!("HTTP"));
    }
}

fn default_container(container: &mut Map<String, Value>) {
    set_default(
        container,
        "terminationMessagePath",
        json!("/dev/termination-log"),
    );
    set_default(container, "terminationMessagePolicy", json!("File"));
    if let Some(image) = str_of(container, "image") {
        let policy = pull_policy_for(image);
        set_default(container, "imagePullPolicy", json!(policy));
    }
    set_default(container, "resources", json!({}));
    for port in list_maps(container, "ports") {
        set_default(port, "protocol", json!("TCP"));
    }
    for env in list_maps(container, "env") {
        if let Some(field_ref) =
            existing_map(env, "valueFrom").and_then(|v| existing_map(v, "fieldRef"))
        {
            set_default(field_ref, "apiVersion", json!("v1"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        default_probe(container, probe);
    }
}

fn default_volume(volume: &mut Map<String, Value>) {
    for source in ["configMap", "secret", "projected", "downwardAPI"] {
        if let Some(map) = existing_map(volume, source) {
            set_default(map, "defaultMode", json!(420));
        }
    }
    if let Some(host_path) = existing_map(volume, "hostPath") {
        set_default(host_path, "type", json!(""));
    }
}

/// PodSpec defaults. `restart_policy`: the default, or None for Job templates (a Job must say).
fn default_pod_spec(spec: &mut Map<String, Value>, restart_policy: Option<&str>) {
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        // Host-network pods expose container ports on the host: hostPort = containerPort.
        for key in ["containers", "initContainers"] {
            for container in list_maps(spec, key) {
                for port in list_maps(container, "ports") {
                    if let Some(number) = port.get("containerPort").cloned() {
                        set_default(port, "hostPort", number);
                    }
                }
            }
        }
    }
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    if let Some(policy) = restart_policy {
        set_default(spec, "restartPolicy", json!(policy));
    }
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for container in list_maps(spec, key) {
            default_container(container);
        }
    }
    for volume in list_maps(spec, "volumes") {
        default_volume(volume);
    }
}

/// `template.metadata` serialises Go's zero creation time as null, so a real server shows it.
fn default_pod_template(template: &mut Map<String, Value>, job: bool) {
    if let Some(metadata) = map_at(template, "metadata") {
        metadata.entry("creationTimestamp").or_insert(Value::Null);
    }
    if let Some(spec) = map_at(template, "spec") {
        default_pod_spec(spec, if job { None } else { Some("Always") });
    }
}

fn pod_qos_class(spec: &Map<String, Value>) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any_set = false;
    let mut guaranteed = !containers.is_empty();
    for container in &containers {
        let resources = container.get("resources");
        let requests = resources
            .and_then(|r| r.get("requests"))
            .and_then(Value::as_object);
        let limits = resources
            .and_then(|r| r.get("limits"))
            .and_then(Value::as_object);
        for resource in ["cpu", "memory"] {
            let request = requests.and_then(|r| r.get(resource));
            let limit = limits.and_then(|l| l.get(resource));
            any_set |= request.is_some() || limit.is_some();
            // Requests default to limits, so a limit alone is still guaranteed.
            let effective_request = request.or(limit);
            if limit.is_none() || effective_request != limit {
                guaranteed = false;
            }
        }
    }
    if !any_set {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn default_pod(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    default_pod_spec(spec, Some("Always"));
    set_default(spec, "enableServiceLinks", json!(true));
    // SetDefaults_Pod (Pods only, not templates): a limit without a request is the request.
    for key in ["containers", "initContainers"] {
        for container in list_maps(spec, key) {
            let Some(resources) = existing_map(container, "resources") else {
                continue;
            };
            let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
                continue;
            };
            if let Some(requests) = map_at(resources, "requests") {
                for (resource, limit) in limits {
                    requests.entry(resource).or_insert(limit);
                }
            }
        }
    }
}

/// What the ServiceAccount, Priority and DefaultTolerationSeconds admission plugins and the
/// Pod create strategy add (not attributed to the writer in managedFields).
fn server_fields_pod(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    set_default(spec, "serviceAccountName", json!("default"));
    let account = spec
        .get("serviceAccountName")
        .cloned()
        .unwrap_or(json!("default"));
    set_default(spec, "serviceAccount", account);
    set_default(spec, "priority", json!(0));
    set_default(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
    if spec.get("tolerations").is_none_or(Value::is_array) {
        let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
        if let Some(list) = tolerations.as_array_mut() {
            for taint in [
                "node.kubernetes.io/not-ready",
                "node.kubernetes.io/unreachable",
            ] {
                let present = list.iter().any(|t| {
                    t.get("key").and_then(Value::as_str) == Some(taint)
                        || (t.get("key").is_none()
                            && t.get("operator").and_then(Value::as_str) == Some("Exists"))
                });
                if !present {
                    list.push(
                        json!({"effect": "NoExecute", "key": taint, "operator": "Exists",
                                     "tolerationSeconds": 300}),
                    );
                }
            }
        }
    }
    let qos = pod_qos_class(spec);
    if let Some(status) = map_at(root, "status") {
        set_default(status, "phase", json!("Pending"));
        set_default(status, "qosClass", json!(qos));
    }
}

/// Defaults shared by ReplicaSet and ReplicationController: replicas 1, pod template.
fn default_replicated(root: &mut Map<String, Value>, _apps: bool) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    set_default(spec, "replicas", json!(1));
    if let Some(template) = existing_map(spec, "template") {
        default_pod_template(template, false);
    }
}

fn default_deployment(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    set_default(spec, "replicas", json!(1));
    if let Some(strategy) = map_at(spec, "strategy") {
        set_default(strategy, "type", json!("RollingUpdate"));
        if str_of(strategy, "type") == Some("RollingUpdate") {
            if let Some(rolling) = map_at(strategy, "rollingUpdate") {
                set_default(rolling, "maxUnavailable", json!("25%"));
                set_default(rolling, "maxSurge", json!("25%"));
            }
        }
    }
    set_default(spec, "revisionHistoryLimit", json!(10));
    set_default(spec, "progressDeadlineSeconds", json!(600));
    if let Some(template) = map_at(spec, "template") {
        default_pod_template(template, false);
    }
}

fn default_statefulset(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    set_default(spec, "replicas", json!(1));
    set_default(spec, "podManagementPolicy", json!("OrderedReady"));
    if let Some(strategy) = map_at(spec, "updateStrategy") {
        set_default(strategy, "type", json!("RollingUpdate"));
        if str_of(strategy, "type") == Some("RollingUpdate") {
            if let Some(rolling) = map_at(strategy, "rollingUpdate") {
                set_default(rolling, "partition", json!(0));
            }
        }
    }
    set_default(spec, "revisionHistoryLimit", json!(10));
    if let Some(policy) = map_at(spec, "persistentVolumeClaimRetentionPolicy") {
        set_default(policy, "whenDeleted", json!("Retain"));
        set_default(policy, "whenScaled", json!("Retain"));
    }
    for claim in list_maps(spec, "volumeClaimTemplates") {
        set_default(claim, "apiVersion", json!("v1"));
        set_default(claim, "kind", json!("PersistentVolumeClaim"));
        default_pvc(claim);
    }
    if let Some(template) = map_at(spec, "template") {
        default_pod_template(template, false);
    }
}

fn default_daemonset(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    if let Some(strategy) = map_at(spec, "updateStrategy") {
        set_default(strategy, "type", json!("RollingUpdate"));
        if str_of(strategy, "type") == Some("RollingUpdate") {
            if let Some(rolling) = map_at(strategy, "rollingUpdate") {
                set_default(rolling, "maxUnavailable", json!(1));
                set_default(rolling, "maxSurge", json!(0));
            }
        }
    }
    set_default(spec, "revisionHistoryLimit", json!(10));
    if let Some(template) = map_at(spec, "template") {
        default_pod_template(template, false);
    }
}

fn default_job(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    let completions_unset = spec.get("completions").is_none_or(Value::is_null);
    let parallelism_unset = spec.get("parallelism").is_none_or(Value::is_null);
    if completions_unset && parallelism_unset {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    } else if parallelism_unset {
        spec.insert("parallelism".into(), json!(1));
    }
    set_default(spec, "backoffLimit", json!(6));
    set_default(spec, "completionMode", json!("NonIndexed"));
    set_default(spec, "suspend", json!(false));
    let replacement = if spec.get("podFailurePolicy").is_some_and(|p| !p.is_null()) {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    set_default(spec, "podReplacementPolicy", json!(replacement));
    if let Some(template) = map_at(spec, "template") {
        default_pod_template(template, true);
    }
    job_labels_from_template(root);
}

/// `SetDefaults_Job`: a Job without labels takes its pod template's labels. A real server
/// defaults again when it reads the object back from etcd, so the labels the create strategy
/// generates on the template show up on the Job too.
fn job_labels_from_template(root: &mut Map<String, Value>) {
    let template_labels = root
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .filter(|labels| !labels.is_empty())
        .cloned();
    let Some(template_labels) = template_labels else {
        return;
    };
    if let Some(metadata) = map_at(root, "metadata") {
        let has_labels = metadata
            .get("labels")
            .and_then(Value::as_object)
            .is_some_and(|labels| !labels.is_empty());
        if !has_labels {
            metadata.insert("labels".into(), Value::Object(template_labels));
        }
    }
}

/// The Job create strategy's generated selector and pod labels (from the uid).
fn server_fields_job(root: &mut Map<String, Value>) {
    let uid = root
        .get("metadata")
        .and_then(|m| m.get("uid"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let name = root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if let (Some(uid), false) = (uid, manual) {
        if spec.get("selector").is_none_or(Value::is_null) {
            spec.insert(
                "selector".into(),
                json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
            );
            if let Some(labels) = map_at(spec, "template")
                .and_then(|t| map_at(t, "metadata"))
                .and_then(|m| map_at(m, "labels"))
            {
                set_default(labels, "batch.kubernetes.io/controller-uid", json!(uid));
                set_default(labels, "controller-uid", json!(uid));
                if let Some(name) = &name {
                    set_default(labels, "batch.kubernetes.io/job-name", json!(name));
                    set_default(labels, "job-name", json!(name));
                }
            }
        }
    }
    job_labels_from_template(root);
}

fn default_cronjob(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    set_default(spec, "concurrencyPolicy", json!("Allow"));
    set_default(spec, "suspend", json!(false));
    set_default(spec, "successfulJobsHistoryLimit", json!(3));
    set_default(spec, "failedJobsHistoryLimit", json!(1));
    if let Some(job_template) = map_at(spec, "jobTemplate") {
        if let Some(metadata) = map_at(job_template, "metadata") {
            metadata.entry("creationTimestamp").or_insert(Value::Null);
        }
        if let Some(template) = map_at(job_template, "spec").and_then(|s| map_at(s, "template")) {
            default_pod_template(template, true);
        }
    }
}

fn default_ingress(root: &mut Map<String, Value>) {
    if let Some(status) = map_at(root, "status") {
        set_default(status, "loadBalancer", json!({}));
    }
}

fn default_hpa(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    set_default(spec, "minReplicas", json!(1));
    set_default(
        spec,
        "metrics",
        json!([{"type": "Resource", "resource": {"name": "cpu",
                 "target": {"type": "Utilization", "averageUtilization": 80}}}]),
    );
    if let Some(behavior) = existing_map(spec, "behavior") {
        if let Some(up) = map_at(behavior, "scaleUp") {
            set_default(up, "stabilizationWindowSeconds", json!(0));
            set_default(up, "selectPolicy", json!("Max"));
            set_default(
                up,
                "policies",
                json!([{"type": "Pods", "value": 4, "periodSeconds": 15},
                                               {"type": "Percent", "value": 100, "periodSeconds": 15}]),
            );
        }
        if let Some(down) = map_at(behavior, "scaleDown") {
            set_default(down, "stabilizationWindowSeconds", json!(300));
            set_default(down, "selectPolicy", json!("Max"));
            set_default(
                down,
                "policies",
                json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]),
            );
        }
    }
}

fn default_binding(root: &mut Map<String, Value>) {
    if let Some(role_ref) = existing_map(root, "roleRef") {
        set_default(role_ref, "apiGroup", json!("rbac.authorization.k8s.io"));
    }
    for subject in list_maps(root, "subjects") {
        let group = match str_of(subject, "kind") {
            Some("User" | "Group") => "rbac.authorization.k8s.io",
            _ => "",
        };
        if subject.get("apiGroup").is_none_or(Value::is_null)
            && str_of(subject, "kind") != Some("ServiceAccount")
        {
            subject.insert("apiGroup".into(), json!(group));
        }
    }
}

fn default_crd(root: &mut Map<String, Value>) {
    let Some(spec) = map_at(root, "spec") else {
        return;
    };
    if let Some(names) = existing_map(spec, "names") {
        if let Some(kind) = str_of(names, "kind").map(str::to_string) {
            set_default(names, "singular", json!(kind.to_lowercase()));
            set_default(names, "listKind", json!(format!("{kind}List")));
        }
    }
    if let Some(conversion) = map_at(spec, "conversion") {
        set_default(conversion, "strategy", json!("None"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_string_data_is_folded_into_base64_data_like_a_real_server() {
        let mut secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"},
            "data": {"user": "b2xk", "keep": "a2VlcA=="},
            "stringData": {"user": "shop", "password": "hunter2"}});
        apply_server_fields("", "Secret", &mut secret);
        assert_eq!(secret.get("stringData"), None);
        assert_eq!(
            secret["data"],
            json!({"user": "c2hvcA==", "keep": "a2VlcA==", "password": "aHVudGVyMg=="})
        );
    }

    #[test]
    fn image_pull_policy_follows_tag() {
        assert_eq!(pull_policy_for("nginx"), "Always");
        assert_eq!(pull_policy_for("nginx:latest"), "Always");
        assert_eq!(pull_policy_for("nginx:1.27"), "IfNotPresent");
        assert_eq!(pull_policy_for("registry:5000/team/app"), "Always");
        assert_eq!(pull_policy_for("registry:5000/team/app:v2"), "IfNotPresent");
        assert_eq!(pull_policy_for("nginx@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn qos_classes() {
        let spec = |resources: Value| {
            json!({"containers": [{"name": "a", "resources": resources}]})
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(pod_qos_class(&spec(json!({}))), "BestEffort");
        assert_eq!(
            pod_qos_class(&spec(json!({"limits": {"cpu": "1", "memory": "1Gi"}}))),
            "Guaranteed"
        );
        assert_eq!(
            pod_qos_class(&spec(json!({"requests": {"cpu": "100m"}}))),
            "Burstable"
        );
    }
}
