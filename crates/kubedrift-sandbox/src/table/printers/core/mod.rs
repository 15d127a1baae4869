//! Printers of the core group (`v1`): Namespace, ConfigMap, Secret, ServiceAccount, Event,
//! Node, ReplicationController here; Pods, Services and Endpoints, volumes and claims in their
//! own files. All core columns are declared here.

mod pod;
mod service;
mod volume;

use crate::table::columns::{
    age_column, column, name_column, text_column, wide_column, CONTAINERS_DESCRIPTION,
    IMAGES_DESCRIPTION, NAME_DESCRIPTION,
};
use crate::table::duration::{age, parse_time, since};
use crate::table::fields::{condition_status, get, int, list, map_len, name_of, or_none, s, text};
use crate::table::format::{container_cells, format_labels, replicas_or_default};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use pod::pod_cells;
use serde_json::{json, Value};
use service::{endpoints_cells, service_cells};
use std::collections::BTreeSet;
use volume::{pv_cells, pvc_cells};

/// The printer of `kind` in the core group (`v1`); `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "Namespace" => Printer::new(
            vec![name_column(), text_column("Status", "The status of the namespace"), age_column()],
            namespace_cells,
        ),
        "ConfigMap" => Printer::new(
            vec![
                name_column(),
                text_column(
                    "Data",
                    "Data contains the configuration data. Each key must consist of alphanumeric \
                     characters, '-', '_' or '.'.",
                ),
                age_column(),
            ],
            config_map_cells,
        ),
        "Secret" => Printer::new(
            vec![
                name_column(),
                text_column("Type", "Used to facilitate programmatic handling of secret data."),
                text_column(
                    "Data",
                    "Data contains the secret data. Each key must consist of alphanumeric \
                     characters, '-', '_' or '.'.",
                ),
                age_column(),
            ],
            secret_cells,
        ),
        "Service" => Printer::new(
            vec![
                name_column(),
                text_column("Type", "type determines how the Service is exposed."),
                text_column("Cluster-IP", "clusterIP is the IP address of the service."),
                text_column(
                    "External-IP",
                    "externalIPs is a list of IP addresses for which nodes in the cluster will \
                     also accept traffic for this service.",
                ),
                text_column("Port(s)", "The list of ports that are exposed by this service."),
                age_column(),
                wide_column(
                    "Selector",
                    "Route service traffic to pods with label keys and values matching this \
                     selector.",
                ),
            ],
            service_cells,
        ),
        "ServiceAccount" => Printer::new(
            vec![
                name_column(),
                text_column(
                    "Secrets",
                    "Secrets is a list of the secrets in the same namespace that pods running \
                     using this ServiceAccount are allowed to use.",
                ),
                age_column(),
            ],
            service_account_cells,
        ),
        "Endpoints" => Printer::new(
            vec![
                name_column(),
                text_column(
                    "Endpoints",
                    "The set of all endpoints is the union of all subsets.",
                ),
                age_column(),
            ],
            endpoints_cells,
        ),
        "Pod" => Printer::new(
            vec![
                name_column(),
                text_column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
                text_column("Status", "The aggregate status of the containers in this pod."),
                text_column(
                    "Restarts",
                    "The number of times the containers in this pod have been restarted and \
                     when the last container in this pod has restarted.",
                ),
                age_column(),
                wide_column("IP", "podIP address allocated to the pod."),
                wide_column("Node", "NodeName indicates in which node this pod is scheduled."),
                wide_column(
                    "Nominated Node",
                    "nominatedNodeName is set only when this pod preempts other pods on the node.",
                ),
                wide_column(
                    "Readiness Gates",
                    "If specified, all readiness gates will be evaluated for pod readiness.",
                ),
            ],
            pod_cells,
        ),
        "PersistentVolumeClaim" => Printer::new(
            vec![
                name_column(),
                text_column("Status", "phase represents the current phase of PersistentVolumeClaim."),
                text_column("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
                text_column("Capacity", "capacity represents the actual resources of the underlying volume."),
                text_column("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."),
                text_column("StorageClass", "StorageClass of the pvc"),
                text_column("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
                age_column(),
                wide_column("VolumeMode", "volumeMode defines what type of volume is required by the claim."),
            ],
            pvc_cells,
        ),
        "Event" => Printer::new(
            vec![
                text_column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
                text_column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
                text_column("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
                text_column("Object", "The object that this event is about."),
                wide_column("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement."),
                wide_column("Source", "The component reporting this event. Should be a short machine understandable string."),
                text_column("Message", "A human-readable description of the status of this operation."),
                wide_column("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
                wide_column("Count", "The number of times this event has occurred."),
                column("Name", "string", "name", NAME_DESCRIPTION, 1),
            ],
            event_cells,
        ),
        "Node" => Printer::new(
            vec![
                name_column(),
                text_column("Status", "The status of the node"),
                text_column("Roles", "The roles of the node"),
                age_column(),
                text_column("Version", "Kubelet Version reported by the node."),
                wide_column("Internal-IP", "List of addresses reachable to the node."),
                wide_column("External-IP", "List of addresses reachable to the node."),
                wide_column("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
                wide_column("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
                wide_column("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
            ],
            node_cells,
        ),
        "ReplicationController" => Printer::new(
            vec![
                name_column(),
                column("Desired", "integer", "", "Replicas is the number of desired replicas.", 0),
                column("Current", "integer", "", "Replicas is the most recently observed number of replicas.", 0),
                column("Ready", "integer", "", "The number of ready replicas for this replication controller.", 0),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "Selector is a label query over pods that should match the Replicas count."),
            ],
            replication_controller_cells,
        ),
        "PersistentVolume" => Printer::new(
            vec![
                name_column(),
                text_column("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
                text_column("Access Modes", "accessModes contains all ways the volume can be mounted."),
                text_column("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
                text_column("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
                text_column("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
                text_column("StorageClass", "StorageClass of the pv"),
                text_column("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
                text_column("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
                age_column(),
                wide_column("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state."),
            ],
            pv_cells,
        ),
        _ => return None,
    })
}

fn namespace_cells(obj: &Value, now: Timestamp) -> Cells {
    let cells = vec![
        s(name_of(obj)),
        s(text(obj, &["status", "phase"])),
        age(obj, now),
    ];
    (cells, None)
}

fn config_map_cells(obj: &Value, now: Timestamp) -> Cells {
    let count = map_len(obj, &["data"]) + map_len(obj, &["binaryData"]);
    (vec![s(name_of(obj)), json!(count), age(obj, now)], None)
}

fn secret_cells(obj: &Value, now: Timestamp) -> Cells {
    // Only the number of keys: values never reach a table.
    let count = map_len(obj, &["data"]);
    (
        vec![
            s(name_of(obj)),
            s(text(obj, &["type"])),
            json!(count),
            age(obj, now),
        ],
        None,
    )
}

fn service_account_cells(obj: &Value, now: Timestamp) -> Cells {
    let count = list(obj, &["secrets"]).len();
    (vec![s(name_of(obj)), json!(count), age(obj, now)], None)
}

fn event_cells(obj: &Value, now: Timestamp) -> Cells {
    let first_seen = if parse_time(get(obj, &["firstTimestamp"])).is_some() {
        since(get(obj, &["firstTimestamp"]), now)
    } else {
        since(get(obj, &["eventTime"]), now)
    };
    let mut last_seen = if parse_time(get(obj, &["lastTimestamp"])).is_some() {
        since(get(obj, &["lastTimestamp"]), now)
    } else {
        first_seen.clone()
    };
    let mut count = int(obj, &["count"]);
    if let Some(series) = get(obj, &["series"]).filter(|v| v.is_object()) {
        last_seen = since(get(series, &["lastObservedTime"]), now);
        count = int(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let kind = text(obj, &["involvedObject", "kind"]).to_lowercase();
    let target = match text(obj, &["involvedObject", "name"]) {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let component = match text(obj, &["source", "component"]) {
        "" => text(obj, &["reportingComponent"]),
        c => c,
    };
    let instance = match text(obj, &["source", "host"]) {
        "" => text(obj, &["reportingInstance"]),
        h => h,
    };
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    let cells = vec![
        s(last_seen),
        s(text(obj, &["type"])),
        s(text(obj, &["reason"])),
        s(target),
        s(text(obj, &["involvedObject", "fieldPath"])),
        s(source),
        s(text(obj, &["message"]).trim()),
        s(first_seen),
        json!(count),
        s(name_of(obj)),
    ];
    (cells, None)
}

fn node_cells(obj: &Value, now: Timestamp) -> Cells {
    let mut status = vec![
        match condition_status(obj, &["status", "conditions"], "Ready") {
            Some("True") => "Ready",
            Some(_) => "NotReady",
            None => "Unknown",
        },
    ];
    if get(obj, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles = BTreeSet::new();
    if let Some(labels) = get(obj, &["metadata", "labels"]).and_then(Value::as_object) {
        for (key, value) in labels {
            if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role.to_string());
                }
            } else if key == "kubernetes.io/role" {
                if let Some(role) = value.as_str().filter(|r| !r.is_empty()) {
                    roles.insert(role.to_string());
                }
            }
        }
    }
    let address = |kind: &str| {
        list(obj, &["status", "addresses"])
            .iter()
            .find(|a| text(a, &["type"]) == kind)
            .map_or("<none>".to_string(), |a| text(a, &["address"]).to_string())
    };
    let info = |field: &str| match text(obj, &["status", "nodeInfo", field]) {
        "" => "<unknown>".to_string(),
        v => v.to_string(),
    };
    let cells = vec![
        s(name_of(obj)),
        s(status.join(",")),
        s(or_none(&roles.into_iter().collect::<Vec<_>>().join(","))),
        age(obj, now),
        s(text(obj, &["status", "nodeInfo", "kubeletVersion"])),
        s(address("InternalIP")),
        s(address("ExternalIP")),
        s(info("osImage")),
        s(info("kernelVersion")),
        s(info("containerRuntimeVersion")),
    ];
    (cells, None)
}

fn replication_controller_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        json!(replicas_or_default(obj)),
        json!(int(obj, &["status", "replicas"])),
        json!(int(obj, &["status", "readyReplicas"])),
        age(obj, now),
        names,
        images,
        s(format_labels(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}
