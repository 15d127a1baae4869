//! The sandbox's controller loop, pure part: how status moves like a cluster's would.
//!
//! The server's loop calls [`reconcile`] for an object with its children (the objects whose
//! controller ownerReference points at it: a Deployment's ReplicaSets, a ReplicaSet's Pods, ...)
//! and the current time, then writes what comes back: the new status (through the status
//! subresource, as `kube-controller-manager`), objects to create (the server assigns uid,
//! creationTimestamp, defaults), objects to replace (e.g. a ReplicaSet scaled) and objects to
//! delete. Calling it again with the result applied converges; nothing is returned when nothing
//! needs to change, so the loop can run on a timer.
//!
//! Time model: a Pod becomes Ready `ready_after` after its creationTimestamp, so every spec change
//! that creates Pods (a new Deployment template, a scale-up) is "available" only after that delay.
//! There is one node, [`NODE_NAME`].

use jiff::{SignedDuration, Timestamp};
use kubedrift_core::model::{group_of, ResourceKey};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// The sandbox cluster's single node.
pub const NODE_NAME: &str = "sandbox-control-plane";
/// The node's IP.
pub const NODE_IP: &str = "172.18.0.2";

/// A Pod annotated `sandbox.kubedrift.io/kubelet: manual` is left alone by the simulated
/// kubelet: whoever set the annotation writes its status (the demo uses it to show a
/// CrashLoopBackOff, which the sandbox cannot produce by running a container).
pub const MANUAL_KUBELET_ANNOTATION: &str = "sandbox.kubedrift.io/kubelet";
const MANUAL_KUBELET_POINTER: &str = "/metadata/annotations/sandbox.kubedrift.io~1kubelet";

/// Images from a registry under the reserved `.invalid` top-level domain (RFC 2606; it never
/// resolves) cannot be pulled: their containers stay waiting in `ImagePullBackOff`, as on a
/// real cluster given an image that does not exist.
pub fn image_is_unpullable(image: &str) -> bool {
    let Some((first, _)) = image.split_once('/') else {
        return false;
    };
    let host = first.split(':').next().unwrap_or(first);
    host.ends_with(".invalid")
}

/// What a reconcile step needs besides the object.
#[derive(Debug, Clone, Copy)]
pub struct ControllerContext<'a> {
    /// The current time.
    pub now: Timestamp,
    /// How long after creation a Pod becomes Ready.
    pub ready_after: Duration,
    /// Objects controlled by the reconciled one (ownerReferences with its uid). For a
    /// StatefulSet, include the PVCs named after its claim templates too.
    pub children: &'a [Value],
}

/// What the server should write after a reconcile step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileOutput {
    /// The new `status`, if it differs from the current one.
    pub status: Option<Value>,
    /// Annotations to set on the reconciled object itself (e.g. the Deployment revision).
    pub annotations: Map<String, Value>,
    /// Objects to create (without uid/resourceVersion; defaults not yet applied).
    pub create: Vec<Value>,
    /// Existing objects to replace with these versions (e.g. a ReplicaSet scaled, a Pod bound to
    /// the node). Write these before `status`: an update of the reconciled object itself carries
    /// its old status.
    pub update: Vec<Value>,
    /// Objects to delete.
    pub delete: Vec<ResourceKey>,
}

impl ReconcileOutput {
    /// Whether the step has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.annotations.is_empty()
            && self.create.is_empty()
            && self.update.is_empty()
            && self.delete.is_empty()
    }
}

/// One controller step for `obj` (see the module docs). Kinds without a controller, and
/// malformed objects, yield an empty output.
pub fn reconcile(obj: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    if obj
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        return ReconcileOutput::default();
    }
    let mut out = match (group_of(api_version), kind) {
        ("", "Pod") if text(obj, MANUAL_KUBELET_POINTER) == "manual" => ReconcileOutput::default(),
        ("", "Pod") => reconcile_pod(obj, ctx),
        ("apps", "Deployment") => reconcile_deployment(obj, ctx),
        ("apps", "ReplicaSet") => reconcile_replicaset(obj, ctx),
        ("apps", "StatefulSet") => reconcile_statefulset(obj, ctx),
        ("apps", "DaemonSet") => reconcile_daemonset(obj, ctx),
        ("batch", "Job") => reconcile_job(obj, ctx),
        ("", "PersistentVolumeClaim") => reconcile_pvc(obj),
        ("", "Service") => reconcile_service(obj),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => reconcile_crd(obj, ctx),
        _ => ReconcileOutput::default(),
    };
    if out.status.as_ref() == Some(obj.get("status").unwrap_or(&Value::Null)) {
        out.status = None;
    }
    out.annotations.retain(|k, v| {
        obj.pointer(&format!(
            "/metadata/annotations/{}",
            k.replace('~', "~0").replace('/', "~1")
        )) != Some(v)
    });
    out
}

// ---------------------------------------------------------------- helpers

fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn int(obj: &Value, pointer: &str, default: i64) -> i64 {
    obj.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or(default)
}

/// RFC 3339 with second precision, as the API server writes timestamps.
pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_time(obj: &Value, pointer: &str) -> Option<Timestamp> {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

fn ready_delay(ctx: &ControllerContext<'_>) -> SignedDuration {
    SignedDuration::try_from(ctx.ready_after).unwrap_or(SignedDuration::MAX)
}

/// When a child created at `created` becomes ready (missing timestamps count as long ago).
fn ready_at(obj: &Value, ctx: &ControllerContext<'_>) -> Option<Timestamp> {
    parse_time(obj, "/metadata/creationTimestamp")
        .and_then(|t| t.checked_add(ready_delay(ctx)).ok())
}

fn fnv32a(data: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in data {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Kubernetes' `SafeEncodeString` alphabet (no vowels, no confusable characters).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn safe_encode(text: &str) -> String {
    text.bytes()
        .map(|b| char::from(SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()]))
        .collect()
}

/// The `pod-template-hash` of a pod template, in the same shape a real controller produces.
/// Keys are hashed in sorted order so that the same template always gets the same hash, however
/// a patch happened to order its fields.
pub fn pod_template_hash(template: &Value) -> String {
    let mut template = template.clone();
    if let Some(labels) = template
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("pod-template-hash");
    }
    let mut canonical = String::new();
    write_canonical(&template, &mut canonical);
    safe_encode(&fnv32a(canonical.as_bytes()).to_string())
}

/// `value` as JSON with object keys sorted.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(child) = map.get(key) {
                    write_canonical(child, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A 5-character name suffix like a real `generateName`, derived from `seed`.
fn name_suffix(seed: &str) -> String {
    safe_encode(&format!("{:05}", fnv32a(seed.as_bytes()) % 100_000))
        .chars()
        .take(5)
        .collect()
}

fn children_of_kind<'a>(ctx: &ControllerContext<'a>, kind: &str) -> Vec<&'a Value> {
    ctx.children
        .iter()
        .filter(|c| c.get("kind").and_then(Value::as_str) == Some(kind))
        .filter(|c| {
            c.pointer("/metadata/deletionTimestamp")
                .is_none_or(Value::is_null)
        })
        .collect()
}

fn owner_reference(owner: &Value) -> Value {
    json!({
        "apiVersion": text(owner, "/apiVersion"),
        "kind": text(owner, "/kind"),
        "name": text(owner, "/metadata/name"),
        "uid": text(owner, "/metadata/uid"),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

fn key_of(obj: &Value, group: &str, kind: &str) -> ResourceKey {
    let namespace = obj.pointer("/metadata/namespace").and_then(Value::as_str);
    ResourceKey::new(group, kind, namespace, text(obj, "/metadata/name"))
}

/// A condition in Go field order, keeping `lastTransitionTime` (and `lastUpdateTime`) from
/// `previous` when nothing about it changed.
fn condition(
    previous: Option<&Value>,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
    with_update_time: bool,
) -> Value {
    let same_status = previous.is_some_and(|p| text(p, "/status") == status);
    let same_all = same_status
        && previous.is_some_and(|p| text(p, "/reason") == reason && text(p, "/message") == message);
    let keep = |field: &str, keep_it: bool| -> Value {
        match previous.and_then(|p| p.get(field)) {
            Some(v) if keep_it => v.clone(),
            _ => json!(now),
        }
    };
    let mut map = Map::new();
    map.insert("type".into(), json!(kind));
    map.insert("status".into(), json!(status));
    if with_update_time {
        map.insert("lastUpdateTime".into(), keep("lastUpdateTime", same_all));
    }
    map.insert(
        "lastTransitionTime".into(),
        keep("lastTransitionTime", same_status),
    );
    if !reason.is_empty() {
        map.insert("reason".into(), json!(reason));
    }
    if !message.is_empty() {
        map.insert("message".into(), json!(message));
    }
    Value::Object(map)
}

fn previous_condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        })
}

/// Insert `value` under `key` unless it is zero (Go's `omitempty` on counters).
fn put_count(map: &mut Map<String, Value>, key: &str, value: i64) {
    if value != 0 {
        map.insert(key.into(), json!(value));
    }
}

/// A pod from `template`, owned by `owner`.
fn pod_from_template(
    owner: &Value,
    template: &Value,
    name: &str,
    extra_labels: &Map<String, Value>,
) -> Value {
    let mut metadata = template
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    metadata.remove("creationTimestamp");
    metadata.insert("name".into(), json!(name));
    if let Some(ns) = owner.pointer("/metadata/namespace") {
        metadata.insert("namespace".into(), ns.clone());
    }
    let labels = metadata.entry("labels").or_insert_with(|| json!({}));
    if let Some(labels) = labels.as_object_mut() {
        for (k, v) in extra_labels {
            labels.insert(k.clone(), v.clone());
        }
    }
    metadata.insert("ownerReferences".into(), json!([owner_reference(owner)]));
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    })
}

/// Pods for `owner` until there are `wanted`, named `<base>-<suffix>`.
fn create_pods(
    owner: &Value,
    template: &Value,
    existing: &[&Value],
    wanted: i64,
    extra_labels: &Map<String, Value>,
) -> Vec<Value> {
    let base = text(owner, "/metadata/name");
    let mut names: Vec<String> = existing
        .iter()
        .map(|p| text(p, "/metadata/name").to_string())
        .collect();
    let mut out = Vec::new();
    let mut attempt = 0u32;
    while ((existing.len() + out.len()) as i64) < wanted && attempt < 10_000 {
        let seed = format!("{}/{}/{attempt}", text(owner, "/metadata/uid"), base);
        attempt += 1;
        let name = format!("{base}-{}", name_suffix(&seed));
        if names.contains(&name) {
            continue;
        }
        names.push(name.clone());
        out.push(pod_from_template(owner, template, &name, extra_labels));
    }
    out
}

fn pod_is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| {
            c.iter()
                .any(|c| text(c, "/type") == "Ready" && text(c, "/status") == "True")
        })
}

fn pod_phase(pod: &Value) -> &str {
    text(pod, "/status/phase")
}

// ---------------------------------------------------------------- Pod

/// A 64-hex-digit digest derived from `seed` (container IDs, image digests).
fn digest_hex(seed: &str) -> String {
    (0..8u8)
        .map(|i| format!("{:08x}", fnv32a(format!("{i}{seed}").as_bytes())))
        .collect()
}

/// The image as the kubelet reports it: `nginx:1.27` → `docker.io/library/nginx:1.27`.
fn qualified_image(image: &str) -> String {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tagged = if last.contains(':') || digest.is_some() {
        name.to_string()
    } else {
        format!("{name}:latest")
    };
    let first = tagged.split('/').next().unwrap_or_default();
    let has_registry = tagged.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    let full = if has_registry {
        tagged
    } else if tagged.contains('/') {
        format!("docker.io/{tagged}")
    } else {
        format!("docker.io/library/{tagged}")
    };
    match digest {
        Some(digest) => format!("{full}@{digest}"),
        None => full,
    }
}

fn pod_ip(pod: &Value) -> String {
    let hash = fnv32a(
        format!(
            "{}/{}",
            text(pod, "/metadata/namespace"),
            text(pod, "/metadata/name")
        )
        .as_bytes(),
    );
    format!("10.244.{}.{}", (hash >> 8) % 250, hash % 250 + 2)
}

fn reconcile_pod(pod: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let now = format_time(ctx.now);
    let created = parse_time(pod, "/metadata/creationTimestamp").unwrap_or(ctx.now);
    let ready_time = ready_at(pod, ctx).unwrap_or(ctx.now);
    let pull_failed = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| image_is_unpullable(text(c, "/image"))));
    let started = ctx.now >= ready_time && !pull_failed;
    let run_to_completion = matches!(text(pod, "/spec/restartPolicy"), "Never" | "OnFailure")
        && pod
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(|o| text(o, "/kind") == "Job"));
    let created_s = format_time(created);
    let ready_s = format_time(ready_time);
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let state = match (started, run_to_completion) {
                (false, _) if image_is_unpullable(text(c, "/image")) => json!({"waiting": {
                    "reason": "ImagePullBackOff",
                    "message": format!("Back-off pulling image \"{}\"", text(c, "/image")),
                }}),
                (false, _) => json!({"waiting": {"reason": "ContainerCreating"}}),
                (true, false) => json!({"running": {"startedAt": ready_s}}),
                (true, true) => json!({"terminated": {"exitCode": 0, "reason": "Completed",
                                      "startedAt": created_s, "finishedAt": ready_s}}),
            };
            let image = text(c, "/image");
            let mut status = Map::new();
            if started {
                let id_seed = format!("{}/{}", text(pod, "/metadata/uid"), text(c, "/name"));
                status.insert(
                    "containerID".into(),
                    json!(format!("containerd://{}", digest_hex(&id_seed))),
                );
            }
            status.insert("image".into(), json!(qualified_image(image)));
            let image_id = if started {
                let repository = qualified_image(image);
                let repository = repository
                    .rsplit_once(':')
                    .map_or(repository.as_str(), |(r, _)| r);
                format!("{repository}@sha256:{}", digest_hex(image))
            } else {
                String::new()
            };
            status.insert("imageID".into(), json!(image_id));
            status.insert("lastState".into(), json!({}));
            status.insert("name".into(), json!(text(c, "/name")));
            status.insert("ready".into(), json!(started && !run_to_completion));
            status.insert("restartCount".into(), json!(0));
            status.insert("started".into(), json!(started && !run_to_completion));
            status.insert("state".into(), state);
            Value::Object(status)
        })
        .collect();
    let ready = started && !run_to_completion;
    let (phase, ready_reason) = match (started, run_to_completion) {
        (false, _) => ("Pending", "ContainersNotReady"),
        (true, false) => ("Running", ""),
        (true, true) => ("Succeeded", "PodCompleted"),
    };
    let status_word = if ready { "True" } else { "False" };
    let message = if ready_reason == "ContainersNotReady" {
        let names: Vec<&str> = containers.iter().map(|c| text(c, "/name")).collect();
        format!("containers with unready status: [{}]", names.join(" "))
    } else {
        String::new()
    };
    let cond = |kind: &str, status: &str, reason: &str, msg: &str| {
        let c = condition(
            previous_condition(pod, kind),
            kind,
            status,
            reason,
            msg,
            &now,
            false,
        );
        c.as_object()
            .map(|c| with_probe_value(c, Value::Null))
            .unwrap_or_default()
    };
    let mut status = Map::new();
    status.insert("phase".into(), json!(phase));
    status.insert(
        "conditions".into(),
        json!([
            cond(
                "PodReadyToStartContainers",
                if ctx.now >= ready_time {
                    "True"
                } else {
                    "False"
                },
                "",
                ""
            ),
            cond(
                "Initialized",
                "True",
                if run_to_completion && started {
                    "PodCompleted"
                } else {
                    ""
                },
                ""
            ),
            cond("Ready", status_word, ready_reason, &message),
            cond("ContainersReady", status_word, ready_reason, &message),
            cond("PodScheduled", "True", "", ""),
        ]),
    );
    status.insert("hostIP".into(), json!(NODE_IP));
    status.insert("hostIPs".into(), json!([{"ip": NODE_IP}]));
    let ip = pod_ip(pod);
    status.insert("podIP".into(), json!(ip));
    status.insert("podIPs".into(), json!([{"ip": ip}]));
    status.insert("startTime".into(), json!(created_s));
    status.insert("containerStatuses".into(), Value::Array(statuses));
    if let Some(qos) = pod.pointer("/status/qosClass") {
        status.insert("qosClass".into(), qos.clone());
    }
    let mut out = ReconcileOutput {
        status: Some(Value::Object(status)),
        ..Default::default()
    };
    // The scheduler binds every pod to the single node.
    if pod.pointer("/spec/nodeName").is_none_or(Value::is_null) {
        let mut bound = pod.clone();
        if let Some(spec) = bound.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeName".into(), json!(NODE_NAME));
            out.update.push(bound);
        }
    }
    out
}

// ---------------------------------------------------------------- ReplicaSet

fn reconcile_replicaset(rs: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let wanted = int(rs, "/spec/replicas", 1).max(0);
    let pods = children_of_kind(ctx, "Pod");
    let template = rs
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut out = ReconcileOutput::default();
    let count = pods.len() as i64;
    if count < wanted {
        out.create = create_pods(rs, &template, &pods, wanted, &Map::new());
    } else if count > wanted {
        // Like the real controller: unready and newest pods go first.
        let mut doomed: Vec<&&Value> = pods.iter().collect();
        doomed.sort_by_key(|p| {
            (
                pod_is_ready(p),
                std::cmp::Reverse(text(p, "/metadata/creationTimestamp").to_string()),
            )
        });
        out.delete = doomed
            .iter()
            .take((count - wanted) as usize)
            .map(|p| key_of(p, "", "Pod"))
            .collect();
    }
    let ready = pods.iter().filter(|p| pod_is_ready(p)).count() as i64;
    let mut status = Map::new();
    status.insert("replicas".into(), json!(count));
    put_count(&mut status, "fullyLabeledReplicas", count);
    put_count(&mut status, "readyReplicas", ready);
    put_count(&mut status, "availableReplicas", ready);
    put_count(
        &mut status,
        "observedGeneration",
        int(rs, "/metadata/generation", 0),
    );
    out.status = Some(Value::Object(status));
    out
}

// ---------------------------------------------------------------- Deployment

fn percent_or_int(value: Option<&Value>, total: i64, round_up: bool) -> i64 {
    match value {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) if round_up => (p * total + 99) / 100,
            Some(p) => p * total / 100,
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    }
}

fn reconcile_deployment(deploy: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let mut out = ReconcileOutput::default();
    let now = format_time(ctx.now);
    let name = text(deploy, "/metadata/name");
    let wanted = int(deploy, "/spec/replicas", 1).max(0);
    let template = deploy
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let hash = pod_template_hash(&template);
    let sets = children_of_kind(ctx, "ReplicaSet");
    let revision_of = |rs: &Value| -> i64 {
        text(
            rs,
            "/metadata/annotations/deployment.kubernetes.io~1revision",
        )
        .parse()
        .unwrap_or(0)
    };
    let max_revision = sets.iter().map(|rs| revision_of(rs)).max().unwrap_or(0);
    let current = sets
        .iter()
        .find(|rs| text(rs, "/metadata/labels/pod-template-hash") == hash)
        .copied();
    let max_surge = percent_or_int(
        deploy.pointer("/spec/strategy/rollingUpdate/maxSurge"),
        wanted,
        true,
    );
    let max_unavailable = percent_or_int(
        deploy.pointer("/spec/strategy/rollingUpdate/maxUnavailable"),
        wanted,
        false,
    );
    let deploy_annotations = |revision: i64| {
        json!({
            "deployment.kubernetes.io/desired-replicas": wanted.to_string(),
            "deployment.kubernetes.io/max-replicas": (wanted + max_surge).to_string(),
            "deployment.kubernetes.io/revision": revision.to_string(),
        })
    };
    let rs_name = format!("{name}-{hash}");
    let mut created_now = false;
    let new_revision = match current {
        Some(rs) => {
            let revision = revision_of(rs);
            if int(rs, "/spec/replicas", 1) != wanted {
                let mut scaled = rs.clone();
                if let Some(spec) = scaled.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("replicas".into(), json!(wanted));
                }
                if let Some(ann) = scaled
                    .pointer_mut("/metadata/annotations")
                    .and_then(Value::as_object_mut)
                {
                    ann.insert(
                        "deployment.kubernetes.io/desired-replicas".into(),
                        json!(wanted.to_string()),
                    );
                    ann.insert(
                        "deployment.kubernetes.io/max-replicas".into(),
                        json!((wanted + max_surge).to_string()),
                    );
                }
                out.update.push(scaled);
            }
            revision
        }
        None => {
            created_now = true;
            let revision = max_revision + 1;
            let mut labels = template
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            labels.insert("pod-template-hash".into(), json!(hash));
            let mut rs_template = template.clone();
            if let Some(meta) = rs_template
                .as_object_mut()
                .map(|t| t.entry("metadata").or_insert_with(|| json!({})))
            {
                if let Some(meta) = meta.as_object_mut() {
                    meta.insert("labels".into(), Value::Object(labels.clone()));
                }
            }
            let mut selector = deploy
                .pointer("/spec/selector")
                .cloned()
                .unwrap_or_else(|| json!({}));
            if let Some(sel) = selector.as_object_mut() {
                let match_labels = sel.entry("matchLabels").or_insert_with(|| json!({}));
                if let Some(ml) = match_labels.as_object_mut() {
                    ml.insert("pod-template-hash".into(), json!(hash));
                }
            }
            let mut metadata = json!({
                "name": rs_name,
                "labels": labels,
                "annotations": deploy_annotations(revision),
                "ownerReferences": [owner_reference(deploy)],
            });
            if let (Some(ns), Some(meta)) = (
                deploy.pointer("/metadata/namespace"),
                metadata.as_object_mut(),
            ) {
                meta.insert("namespace".into(), ns.clone());
            }
            out.create.push(json!({
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": metadata,
                "spec": {
                    "replicas": wanted,
                    "selector": selector,
                    "template": rs_template,
                },
            }));
            if let Some(min_ready) = deploy
                .pointer("/spec/minReadySeconds")
                .filter(|m| m.as_i64().is_some_and(|m| m > 0))
            {
                if let Some(spec) = out
                    .create
                    .last_mut()
                    .and_then(|rs| rs.get_mut("spec"))
                    .and_then(Value::as_object_mut)
                {
                    spec.insert("minReadySeconds".into(), min_ready.clone());
                }
            }
            revision
        }
    };
    out.annotations.insert(
        "deployment.kubernetes.io/revision".into(),
        json!(new_revision.to_string()),
    );

    let status_of = |rs: &Value, field: &str| int(rs, &format!("/status/{field}"), 0);
    let new_available = current
        .map(|rs| status_of(rs, "availableReplicas"))
        .unwrap_or(0);
    let new_complete = current.is_some() && new_available >= wanted;
    // Old ReplicaSets are scaled down once the new one is fully available.
    for rs in sets
        .iter()
        .filter(|rs| text(rs, "/metadata/labels/pod-template-hash") != hash)
    {
        if new_complete && int(rs, "/spec/replicas", 1) != 0 {
            let mut scaled = (*rs).clone();
            if let Some(spec) = scaled.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("replicas".into(), json!(0));
            }
            out.update.push(scaled);
        }
    }
    let replicas: i64 = sets.iter().map(|rs| status_of(rs, "replicas")).sum();
    // The real controller counts unavailable against the ReplicaSets' desired replicas.
    let scaled_to = |rs: &Value| {
        out.update
            .iter()
            .find(|u| u.pointer("/metadata/uid") == rs.pointer("/metadata/uid"))
            .map_or_else(
                || int(rs, "/spec/replicas", 1),
                |u| int(u, "/spec/replicas", 1),
            )
    };
    let desired_total: i64 =
        sets.iter().map(|rs| scaled_to(rs)).sum::<i64>() + if created_now { wanted } else { 0 };
    let ready: i64 = sets.iter().map(|rs| status_of(rs, "readyReplicas")).sum();
    let available: i64 = sets
        .iter()
        .map(|rs| status_of(rs, "availableReplicas"))
        .sum();
    let updated = current.map(|rs| status_of(rs, "replicas")).unwrap_or(0);
    let old_pods = replicas - updated;

    let (avail_status, avail_reason, avail_message) = if available >= wanted - max_unavailable {
        (
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let (prog_reason, prog_message) = if created_now || current.is_none() {
        (
            "NewReplicaSetCreated",
            format!("Created new replica set \"{rs_name}\""),
        )
    } else if updated == wanted && available >= wanted && old_pods == 0 && new_available >= wanted {
        (
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
        )
    } else {
        let previous_reason = previous_condition(deploy, "Progressing").map(|p| text(p, "/reason"));
        if previous_reason == Some("NewReplicaSetCreated") && updated == 0 {
            (
                "NewReplicaSetCreated",
                format!("Created new replica set \"{rs_name}\""),
            )
        } else {
            (
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{rs_name}\" is progressing."),
            )
        }
    };
    let mut status = Map::new();
    put_count(
        &mut status,
        "observedGeneration",
        int(deploy, "/metadata/generation", 0),
    );
    put_count(&mut status, "replicas", replicas);
    put_count(&mut status, "updatedReplicas", updated);
    put_count(&mut status, "readyReplicas", ready);
    put_count(&mut status, "availableReplicas", available);
    put_count(
        &mut status,
        "unavailableReplicas",
        (desired_total - available).max(0),
    );
    status.insert(
        "conditions".into(),
        json!([
            condition(
                previous_condition(deploy, "Available"),
                "Available",
                avail_status,
                avail_reason,
                avail_message,
                &now,
                true
            ),
            condition(
                previous_condition(deploy, "Progressing"),
                "Progressing",
                "True",
                prog_reason,
                &prog_message,
                &now,
                true
            ),
        ]),
    );
    out.status = Some(Value::Object(status));
    out
}

// ---------------------------------------------------------------- StatefulSet

fn reconcile_statefulset(sts: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let mut out = ReconcileOutput::default();
    let name = text(sts, "/metadata/name");
    let wanted = int(sts, "/spec/replicas", 1).max(0);
    let template = sts
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let revision = format!("{name}-{}", pod_template_hash(&template));
    let parallel = text(sts, "/spec/podManagementPolicy") == "Parallel";
    let pods = children_of_kind(ctx, "Pod");
    let claims = children_of_kind(ctx, "PersistentVolumeClaim");
    let pod_named = |n: &str| {
        pods.iter()
            .find(|p| text(p, "/metadata/name") == n)
            .copied()
    };
    for ordinal in 0..wanted {
        let pod_name = format!("{name}-{ordinal}");
        if let Some(pod) = pod_named(&pod_name) {
            if !parallel && !pod_is_ready(pod) {
                break;
            }
            continue;
        }
        for claim in sts
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let claim_name = format!("{}-{pod_name}", text(claim, "/metadata/name"));
            if claims
                .iter()
                .any(|c| text(c, "/metadata/name") == claim_name)
            {
                continue;
            }
            let mut pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim_name, "labels": sts.pointer("/spec/selector/matchLabels").cloned().unwrap_or_else(|| json!({}))},
                "spec": claim.get("spec").cloned().unwrap_or_else(|| json!({}))});
            if let (Some(ns), Some(meta)) = (
                sts.pointer("/metadata/namespace"),
                pvc.get_mut("metadata").and_then(Value::as_object_mut),
            ) {
                meta.insert("namespace".into(), ns.clone());
            }
            out.create.push(pvc);
        }
        let mut labels = Map::new();
        labels.insert("controller-revision-hash".into(), json!(revision));
        labels.insert("statefulset.kubernetes.io/pod-name".into(), json!(pod_name));
        labels.insert(
            "apps.kubernetes.io/pod-index".into(),
            json!(ordinal.to_string()),
        );
        let mut pod = pod_from_template(sts, &template, &pod_name, &labels);
        if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("hostname".into(), json!(pod_name));
            if let Some(service) = sts
                .pointer("/spec/serviceName")
                .filter(|s| s.as_str().is_some_and(|s| !s.is_empty()))
            {
                spec.insert("subdomain".into(), service.clone());
            }
        }
        out.create.push(pod);
        if !parallel {
            break;
        }
    }
    for pod in &pods {
        let ordinal = text(pod, "/metadata/name")
            .strip_prefix(&format!("{name}-"))
            .and_then(|o| o.parse::<i64>().ok());
        if ordinal.is_none_or(|o| o >= wanted) {
            out.delete.push(key_of(pod, "", "Pod"));
        }
    }
    let count = pods.len() as i64;
    let ready = pods.iter().filter(|p| pod_is_ready(p)).count() as i64;
    let mut status = Map::new();
    put_count(
        &mut status,
        "observedGeneration",
        int(sts, "/metadata/generation", 0),
    );
    status.insert("replicas".into(), json!(count));
    put_count(&mut status, "readyReplicas", ready);
    put_count(&mut status, "currentReplicas", count);
    put_count(&mut status, "updatedReplicas", count);
    status.insert("currentRevision".into(), json!(revision));
    status.insert("updateRevision".into(), json!(revision));
    status.insert("collisionCount".into(), json!(0));
    status.insert("availableReplicas".into(), json!(ready));
    out.status = Some(Value::Object(status));
    out
}

// ---------------------------------------------------------------- DaemonSet

fn reconcile_daemonset(ds: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let mut out = ReconcileOutput::default();
    let template = ds
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let pods = children_of_kind(ctx, "Pod");
    let hash = pod_template_hash(&template);
    if pods.is_empty() {
        let mut labels = Map::new();
        labels.insert("controller-revision-hash".into(), json!(hash));
        labels.insert(
            "pod-template-generation".into(),
            json!(int(ds, "/metadata/generation", 1).to_string()),
        );
        out.create = create_pods(ds, &template, &pods, 1, &labels);
        for pod in &mut out.create {
            if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("nodeName".into(), json!(NODE_NAME));
            }
        }
    } else if pods.len() > 1 {
        out.delete = pods.iter().skip(1).map(|p| key_of(p, "", "Pod")).collect();
    }
    let ready = pods.iter().take(1).filter(|p| pod_is_ready(p)).count() as i64;
    let scheduled = pods.len().min(1) as i64;
    let mut status = Map::new();
    status.insert("currentNumberScheduled".into(), json!(scheduled));
    status.insert("numberMisscheduled".into(), json!(0));
    status.insert("desiredNumberScheduled".into(), json!(1));
    status.insert("numberReady".into(), json!(ready));
    put_count(
        &mut status,
        "observedGeneration",
        int(ds, "/metadata/generation", 0),
    );
    put_count(&mut status, "updatedNumberScheduled", scheduled);
    put_count(&mut status, "numberAvailable", ready);
    put_count(&mut status, "numberUnavailable", 1 - ready);
    out.status = Some(Value::Object(status));
    out
}

// ---------------------------------------------------------------- Job

fn reconcile_job(job: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let mut out = ReconcileOutput::default();
    let now = format_time(ctx.now);
    let completions = int(job, "/spec/completions", 1).max(0);
    let parallelism = int(job, "/spec/parallelism", 1).max(0);
    let suspended = job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    let pods = children_of_kind(ctx, "Pod");
    let succeeded = pods.iter().filter(|p| pod_phase(p) == "Succeeded").count() as i64;
    let active: Vec<&&Value> = pods
        .iter()
        .filter(|p| !matches!(pod_phase(p), "Succeeded" | "Failed"))
        .collect();
    let complete = succeeded >= completions;
    let already_complete = previous_condition(job, "Complete").is_some();
    if !complete && !suspended && !already_complete {
        let wanted = (completions - succeeded).min(parallelism);
        let existing: Vec<&Value> = pods.to_vec();
        let template = job
            .pointer("/spec/template")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let to_create = (wanted - active.len() as i64).max(0);
        out.create = create_pods(
            job,
            &template,
            &existing,
            existing.len() as i64 + to_create,
            &Map::new(),
        );
    }
    let mut status = Map::new();
    if let Some(start) = job.pointer("/status/startTime").cloned() {
        status.insert("startTime".into(), start);
    } else if !suspended {
        status.insert("startTime".into(), json!(now));
    }
    put_count(
        &mut status,
        "active",
        if complete { 0 } else { active.len() as i64 },
    );
    put_count(&mut status, "succeeded", succeeded);
    status.insert("terminating".into(), json!(0));
    status.insert(
        "ready".into(),
        json!(active.iter().filter(|p| pod_is_ready(p)).count()),
    );
    status.insert("uncountedTerminatedPods".into(), json!({}));
    if complete || already_complete {
        let finished = job
            .pointer("/status/completionTime")
            .cloned()
            .unwrap_or_else(|| json!(now));
        let message = "Reached expected number of succeeded pods";
        status.insert(
            "conditions".into(),
            json!([
                condition(
                    previous_condition(job, "SuccessCriteriaMet"),
                    "SuccessCriteriaMet",
                    "True",
                    "CompletionsReached",
                    message,
                    &now,
                    false
                )
                .as_object()
                .map(|c| with_probe_time(c, &now))
                .unwrap_or_default(),
                condition(
                    previous_condition(job, "Complete"),
                    "Complete",
                    "True",
                    "CompletionsReached",
                    message,
                    &now,
                    false
                )
                .as_object()
                .map(|c| with_probe_time(c, &now))
                .unwrap_or_default(),
            ]),
        );
        status.insert("completionTime".into(), finished);
    }
    out.status = Some(Value::Object(status));
    out
}

/// Job conditions carry `lastProbeTime` (= the transition time) right after `status`.
fn with_probe_time(condition: &Map<String, Value>, now: &str) -> Value {
    let probe = condition
        .get("lastTransitionTime")
        .cloned()
        .unwrap_or_else(|| json!(now));
    with_probe_value(condition, probe)
}

/// `condition` with `lastProbeTime: probe` right after `status` (Go field order).
fn with_probe_value(condition: &Map<String, Value>, probe: Value) -> Value {
    let mut out = Map::new();
    for (k, v) in condition {
        out.insert(k.clone(), v.clone());
        if k == "status" {
            out.insert("lastProbeTime".into(), probe.clone());
        }
    }
    Value::Object(out)
}

// ---------------------------------------------------------------- PVC, Service, CRD

fn reconcile_pvc(pvc: &Value) -> ReconcileOutput {
    let mut status = Map::new();
    status.insert("phase".into(), json!("Bound"));
    if let Some(modes) = pvc.pointer("/spec/accessModes") {
        status.insert("accessModes".into(), modes.clone());
    }
    if let Some(storage) = pvc.pointer("/spec/resources/requests/storage") {
        status.insert("capacity".into(), json!({"storage": storage}));
    }
    ReconcileOutput {
        status: Some(Value::Object(status)),
        ..Default::default()
    }
}

fn reconcile_service(service: &Value) -> ReconcileOutput {
    if text(service, "/spec/type") != "LoadBalancer" {
        return ReconcileOutput::default();
    }
    let hash = fnv32a(
        format!(
            "{}/{}",
            text(service, "/metadata/namespace"),
            text(service, "/metadata/name")
        )
        .as_bytes(),
    );
    let ip = format!("172.18.255.{}", hash % 200 + 20);
    let mut status = service.get("status").cloned().unwrap_or_else(|| json!({}));
    if let Some(map) = status.as_object_mut() {
        map.insert(
            "loadBalancer".into(),
            json!({"ingress": [{"ip": ip, "ipMode": "VIP"}]}),
        );
    }
    ReconcileOutput {
        status: Some(status),
        ..Default::default()
    }
}

fn reconcile_crd(crd: &Value, ctx: &ControllerContext<'_>) -> ReconcileOutput {
    let now = format_time(ctx.now);
    let storage: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").cloned())
        .collect();
    let mut stored: Vec<Value> = crd
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for version in storage {
        if !stored.contains(&version) {
            stored.push(version);
        }
    }
    let status = json!({
        "acceptedNames": crd.pointer("/spec/names").cloned().unwrap_or_else(|| json!({})),
        "conditions": [
            condition(previous_condition(crd, "NamesAccepted"), "NamesAccepted", "True", "NoConflicts", "no conflicts found", &now, false),
            condition(previous_condition(crd, "Established"), "Established", "True", "InitialNamesAccepted", "the initial names have been accepted", &now, false),
        ],
        "storedVersions": stored,
    });
    ReconcileOutput {
        status: Some(status),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_hash_ignores_key_order_and_its_own_label() {
        let a = json!({"metadata": {"labels": {"app": "web", "tier": "f"}}, "spec": {"containers": [{"name": "a", "image": "x"}]}});
        let b = json!({"spec": {"containers": [{"image": "x", "name": "a"}]}, "metadata": {"labels": {"tier": "f", "app": "web", "pod-template-hash": "zzz"}}});
        assert_eq!(pod_template_hash(&a), pod_template_hash(&b));
        let c = json!({"metadata": {"labels": {"app": "web", "tier": "f"}}, "spec": {"containers": [{"name": "a", "image": "y"}]}});
        assert_ne!(pod_template_hash(&a), pod_template_hash(&c));
        assert!(pod_template_hash(&a)
            .chars()
            .all(|ch| SAFE_ALPHABET.contains(&(ch as u8))));
    }

    fn pod(image: &str, annotations: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "p", "namespace": "n", "uid": "u1", "annotations": annotations,
                            "creationTimestamp": "2026-03-02T09:00:00Z"},
               "spec": {"nodeName": NODE_NAME, "containers": [{"name": "app", "image": image}]}})
    }

    fn ctx_at(now: &str) -> ControllerContext<'static> {
        ControllerContext {
            now: now.parse().expect("time"),
            ready_after: Duration::from_secs(2),
            children: &[],
        }
    }

    #[test]
    fn an_image_from_an_invalid_registry_stays_in_image_pull_back_off() {
        assert!(image_is_unpullable("registry.invalid/shop/web:1.0"));
        assert!(image_is_unpullable("registry.invalid:5000/web:1.0"));
        assert!(!image_is_unpullable("nginx:1.27"));
        assert!(!image_is_unpullable("ghcr.io/acme/web:1.0"));
        let later = ctx_at("2026-03-02T09:10:00Z");
        let status = reconcile(&pod("registry.invalid/shop/web:1.0", json!({})), &later)
            .status
            .expect("status");
        assert_eq!(status["phase"], "Pending");
        let waiting = &status["containerStatuses"][0]["state"]["waiting"];
        assert_eq!(waiting["reason"], "ImagePullBackOff");
        assert_eq!(status["containerStatuses"][0]["ready"], false);
        let fine = reconcile(&pod("nginx:1.27", json!({})), &later)
            .status
            .expect("status");
        assert_eq!(fine["phase"], "Running");
    }

    #[test]
    fn a_pod_with_a_manual_kubelet_is_left_alone() {
        let later = ctx_at("2026-03-02T09:10:00Z");
        let manual = pod("nginx:1.27", json!({MANUAL_KUBELET_ANNOTATION: "manual"}));
        assert!(reconcile(&manual, &later).is_empty());
    }
}
