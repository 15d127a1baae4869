//! Server-side printing: `meta.k8s.io/v1` Tables, as kube-apiserver v1.32 returns them when a
//! client asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get`
//! does).
//!
//! kubectl prints whatever columns and cells the server sends, so for `kubectl get` against the
//! sandbox to look like a real cluster, the columns (names, types, priorities) and the cell
//! formatting (ages, `80:30080/TCP`, `<none>`, `1/1`, ...) must match the real printers. Like the
//! real server, rows always carry the wide (priority 1) cells; kubectl hides those columns unless
//! `-o wide`.
//!
//! Pure: objects and the current time in, a Table out. Never panics on malformed objects: a
//! missing field prints the way the real printer prints a zero value.

use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What a resource is, as far as printing cares.
///
/// Temporary mirror of the fields printing uses from the server's catalog type
/// (`crate::catalog::ResourceInfo`, same field names); replaced by it after merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    /// Defined by a CustomResourceDefinition (vs built in).
    pub custom: bool,
    /// The CRD version's `additionalPrinterColumns`, if any.
    pub printer_columns: Vec<Value>,
}

/// The `includeObject` query parameter: what each row's `object` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No `object` in rows.
    None,
    /// A `PartialObjectMetadata` (the API server's default; kubectl needs it for `-A`, labels).
    #[default]
    Metadata,
    /// The full object.
    Object,
}

/// An `includeObject` value the API server does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid includeObject {0:?}: must be one of None, Metadata, Object")]
pub struct InvalidIncludeObject(pub String);

impl IncludeObject {
    /// Parse the query parameter (absent or empty means the default, `Metadata`).
    pub fn from_query(value: Option<&str>) -> Result<Self, InvalidIncludeObject> {
        match value {
            None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
            Some("None") => Ok(IncludeObject::None),
            Some("Object") => Ok(IncludeObject::Object),
            Some(other) => Err(InvalidIncludeObject(other.to_string())),
        }
    }
}

/// The Table for `objects` (all of kind `resource`), as kube-apiserver v1.32 prints them.
///
/// Built-in kinds with a printer get their columns; other built-in kinds get the API server's
/// default `NAME  CREATED AT`; custom resources get `NAME` plus the CRD's
/// `additionalPrinterColumns` (`NAME  AGE` when it declares none).
/// `metadata` is left empty: the caller adds the list's `resourceVersion` / `continue`.
pub fn to_table(
    resource: &ResourceInfo,
    objects: &[Value],
    now: Timestamp,
    include_object: IncludeObject,
) -> Value {
    if let Some(printer) = builtin_printer(&resource.group, &resource.kind) {
        let rows = objects
            .iter()
            .map(|obj| {
                let (cells, conditions) = (printer.cells)(obj, now);
                row(cells, conditions, obj, include_object)
            })
            .collect();
        return table(printer.columns, rows);
    }
    if resource.custom || !is_builtin_group(&resource.group) {
        to_table_with_printer_columns(&resource.printer_columns, objects, now, include_object)
    } else {
        default_table(objects, include_object)
    }
}

/// The Table for custom resources: `NAME` plus the CRD version's `additionalPrinterColumns`
/// (each `{name, type, format?, description?, priority?, jsonPath}`), or `NAME  AGE` when the
/// CRD declares none, as the apiextensions server does.
///
/// JSONPath subset: `.a.b`, `.a[0].b`, `.a[?(@.type=="Ready")].status` (and `\.` in keys).
/// A path that matches nothing, or a value of the wrong type, gives an empty (`null`) cell.
pub fn to_table_with_printer_columns(
    additional_printer_columns: &[Value],
    objects: &[Value],
    now: Timestamp,
    include_object: IncludeObject,
) -> Value {
    let mut columns = vec![name_column()];
    let mut paths = Vec::new();
    let declared: Vec<&Value> = additional_printer_columns
        .iter()
        .filter(|c| c.get("name").and_then(Value::as_str).is_some())
        .collect();
    if declared.is_empty() {
        columns.push(column("Age", "date", "", AGE_DESCRIPTION, 0));
        paths.push((
            "date".to_string(),
            JsonPath::parse(".metadata.creationTimestamp"),
        ));
    }
    for col in declared {
        let text = |key: &str| {
            col.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let ty = text("type");
        columns.push(json!({
            "name": text("name"),
            "type": ty,
            "format": text("format"),
            "description": text("description"),
            "priority": col.get("priority").and_then(Value::as_i64).unwrap_or(0),
        }));
        paths.push((ty, JsonPath::parse(&text("jsonPath"))));
    }
    let rows = objects
        .iter()
        .map(|obj| {
            let mut cells = vec![Value::String(name_of(obj).to_string())];
            for (ty, path) in &paths {
                let value = path.as_ref().ok().and_then(|p| p.first_match(obj));
                cells.push(value.map_or(Value::Null, |v| custom_cell(ty, v, now)));
            }
            row(cells, None, obj, include_object)
        })
        .collect();
    table(columns, rows)
}

/// Whether `group` is served by kube-apiserver itself (core, `apps`, `*.k8s.io`, ...), as
/// opposed to a CRD; CRD groups must contain a dot and may not end in `.k8s.io` unapproved.
pub fn is_builtin_group(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}

/// Kubernetes' `duration.HumanDuration`: `45s`, `5m12s`, `3h`, `2d3h`, `400d`, `3y12d`; `0s`
/// for up to two seconds in the future (clock skew) and `<invalid>` beyond that.
pub fn human_duration(d: SignedDuration) -> String {
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_remainder(minutes, "m", seconds % 60, "s");
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return with_remainder(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if days < 8 {
        return with_remainder(days, "d", hours % 24, "h");
    }
    if days < 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if years < 8 {
        return with_remainder(years, "y", days % 365, "d");
    }
    format!("{years}y")
}

fn with_remainder(major: i64, major_unit: &str, minor: i64, minor_unit: &str) -> String {
    if minor == 0 {
        format!("{major}{major_unit}")
    } else {
        format!("{major}{major_unit}{minor}{minor_unit}")
    }
}

// ---------------------------------------------------------------------------------------------
// Table assembly

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating \
resources, although some resources may allow a client to request the generation of an appropriate \
name automatically. Name is primarily intended for creation idempotence and configuration \
definition. Cannot be updated. More info: \
https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when \
this object was created. It is not guaranteed to be set in happens-before order across separate \
operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\n\
Populated by the system. Read-only. Null for lists. More info: \
https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS_DESCRIPTION: &str = "Names of each container in the template.";
const IMAGES_DESCRIPTION: &str = "Images referenced by each container in the template.";

fn column(name: &str, ty: &str, format: &str, description: &str, priority: i64) -> Value {
    json!({
        "name": name,
        "type": ty,
        "format": format,
        "description": description,
        "priority": priority,
    })
}

fn name_column() -> Value {
    column("Name", "string", "name", NAME_DESCRIPTION, 0)
}

fn age_column() -> Value {
    column("Age", "string", "", AGE_DESCRIPTION, 0)
}

fn text_column(name: &str, description: &str) -> Value {
    column(name, "string", "", description, 0)
}

fn wide_column(name: &str, description: &str) -> Value {
    column(name, "string", "", description, 1)
}

fn table(columns: Vec<Value>, rows: Vec<Value>) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn row(cells: Vec<Value>, conditions: Option<Value>, obj: &Value, include: IncludeObject) -> Value {
    let mut row = Map::new();
    row.insert("cells".into(), Value::Array(cells));
    if let Some(conditions) = conditions {
        row.insert("conditions".into(), conditions);
    }
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            let metadata = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
            row.insert(
                "object".into(),
                json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": metadata,
                }),
            );
        }
        IncludeObject::Object => {
            row.insert("object".into(), obj.clone());
        }
    }
    Value::Object(row)
}

/// The API server's default convertor for kinds without a printer (Role, ClusterRole, CRD...):
/// the name and the raw creation timestamp.
fn default_table(objects: &[Value], include: IncludeObject) -> Value {
    let columns = vec![
        name_column(),
        column("Created At", "date", "", AGE_DESCRIPTION, 0),
    ];
    let rows = objects
        .iter()
        .map(|obj| {
            let created = get(obj, &["metadata", "creationTimestamp"])
                .cloned()
                .unwrap_or(Value::Null);
            row(
                vec![Value::String(name_of(obj).to_string()), created],
                None,
                obj,
                include,
            )
        })
        .collect();
    table(columns, rows)
}

// ---------------------------------------------------------------------------------------------
// Field access that never panics

fn get<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, key| v.get(key))
}

fn text<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    get(obj, path).and_then(Value::as_str).unwrap_or("")
}

fn int(obj: &Value, path: &[&str]) -> i64 {
    get(obj, path).and_then(Value::as_i64).unwrap_or(0)
}

fn list<'a>(obj: &'a Value, path: &[&str]) -> &'a [Value] {
    get(obj, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn map_len(obj: &Value, path: &[&str]) -> usize {
    get(obj, path)
        .and_then(Value::as_object)
        .map_or(0, Map::len)
}

fn name_of(obj: &Value) -> &str {
    text(obj, &["metadata", "name"])
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

fn parse_time(value: Option<&Value>) -> Option<Timestamp> {
    value
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Timestamp>().ok())
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` when unset.
fn since(value: Option<&Value>, now: Timestamp) -> String {
    match parse_time(value) {
        Some(t) => human_duration(now.duration_since(t)),
        None => "<unknown>".to_string(),
    }
}

fn age(obj: &Value, now: Timestamp) -> Value {
    Value::String(since(get(obj, &["metadata", "creationTimestamp"]), now))
}

/// `labels.FormatLabels`: `k=v,k2=v2` sorted by key, `<none>` when empty.
fn format_labels(map: Option<&Value>) -> String {
    let Some(map) = map.and_then(Value::as_object) else {
        return "<none>".to_string();
    };
    let mut pairs: Vec<(&String, &str)> = map
        .iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    let joined = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    or_none(&joined)
}

/// A `LabelSelector` as `labels.Selector.String()`: requirements sorted by key.
/// `None` when the selector is malformed (unknown operator).
fn selector_string(selector: Option<&Value>) -> Option<String> {
    let Some(selector) = selector else {
        return Some(String::new());
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            requirements.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    for expr in list(selector, &["matchExpressions"]) {
        let key = text(expr, &["key"]);
        let mut values: Vec<&str> = list(expr, &["values"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let rendered = match text(expr, &["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        };
        requirements.push((key.to_string(), rendered));
    }
    requirements.sort();
    Some(
        requirements
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// `metav1.FormatLabelSelector`: `<none>` for an empty selector, `<error>` for a bad one.
fn format_label_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        Some(s) if s.is_empty() => "<none>".to_string(),
        Some(s) => s,
        None => "<error>".to_string(),
    }
}

/// Container names and images of a pod spec, comma separated (`layoutContainerCells`).
fn container_cells(pod_spec: Option<&Value>) -> (Value, Value) {
    let containers = pod_spec.map_or(&[][..], |spec| list(spec, &["containers"]));
    let names: Vec<&str> = containers.iter().map(|c| text(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| text(c, &["image"])).collect();
    (
        Value::String(names.join(",")),
        Value::String(images.join(",")),
    )
}

fn replicas_or_default(obj: &Value) -> i64 {
    // The API server defaults `spec.replicas` to 1 for these kinds; an object without it can
    // only come from a store that skipped defaulting, and printing 1 is what a client expects.
    get(obj, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

// ---------------------------------------------------------------------------------------------
// Built-in printers

type Cells = (Vec<Value>, Option<Value>);

struct Printer {
    columns: Vec<Value>,
    cells: fn(&Value, Timestamp) -> Cells,
}

fn builtin_printer(group: &str, kind: &str) -> Option<Printer> {
    let printer =
        |columns: Vec<Value>, cells: fn(&Value, Timestamp) -> Cells| Printer { columns, cells };
    Some(match (group, kind) {
        ("", "Namespace") => printer(
            vec![name_column(), text_column("Status", "The status of the namespace"), age_column()],
            namespace_cells,
        ),
        ("", "ConfigMap") => printer(
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
        ("", "Secret") => printer(
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
        ("", "Service") => printer(
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
        ("", "ServiceAccount") => printer(
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
        ("", "Endpoints") => printer(
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
        ("", "Pod") => printer(
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
        ("", "PersistentVolumeClaim") => printer(
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
        ("", "Event") => printer(
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
        ("", "Node") => printer(
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
        ("apps", "Deployment") => printer(
            vec![
                name_column(),
                text_column("Ready", "Number of the pod with ready state"),
                text_column("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
                text_column("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
            ],
            deployment_cells,
        ),
        ("apps", "ReplicaSet") => printer(
            vec![
                name_column(),
                column("Desired", "integer", "", "Replicas is the number of desired replicas.", 0),
                column("Current", "integer", "", "Replicas is the most recently observed number of replicas.", 0),
                column("Ready", "integer", "", "readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.", 0),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "Selector is a label query over pods that should match the replica count."),
            ],
            replica_set_cells,
        ),
        ("apps", "StatefulSet") => printer(
            vec![
                name_column(),
                text_column("Ready", "Number of the pod with ready state"),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
            ],
            stateful_set_cells,
        ),
        ("apps", "DaemonSet") => printer(
            vec![
                name_column(),
                column("Desired", "integer", "", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).", 0),
                column("Current", "integer", "", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", 0),
                column("Ready", "integer", "", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", 0),
                column("Up-to-date", "integer", "", "The total number of nodes that are running updated daemon pod", 0),
                column("Available", "integer", "", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)", 0),
                text_column("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "A label query over pods that are managed by the daemon set."),
            ],
            daemon_set_cells,
        ),
        ("batch", "Job") => printer(
            vec![
                name_column(),
                text_column("Status", "Status of the job."),
                text_column("Completions", "The number of pods which reached phase Succeeded."),
                text_column("Duration", "Time required to complete the job."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "A label query over pods that should match the pod count."),
            ],
            job_cells,
        ),
        ("batch", "CronJob") => printer(
            vec![
                name_column(),
                text_column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
                text_column("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
                column("Suspend", "boolean", "", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.", 0),
                column("Active", "integer", "", "A list of pointers to currently running jobs.", 0),
                text_column("Last Schedule", "Information when was the last time the job was successfully scheduled."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "A label query over pods that should match the pod count."),
            ],
            cron_job_cells,
        ),
        ("networking.k8s.io", "Ingress") => printer(
            vec![
                name_column(),
                text_column("Class", "The name of the IngressClass resource that should be used for additional configuration"),
                text_column("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
                text_column("Address", "Address is a list containing ingress points for the load-balancer"),
                text_column("Ports", "Ports of TLS configurations that open"),
                age_column(),
            ],
            ingress_cells,
        ),
        ("autoscaling", "HorizontalPodAutoscaler") => printer(
            vec![
                name_column(),
                text_column("Reference", "scaleTargetRef points to the target resource to scale."),
                text_column("Targets", "metrics contains the specifications for which to use to calculate the desired replica count."),
                text_column("MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
                text_column("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
                text_column("Replicas", "currentReplicas is current number of replicas of pods managed by this autoscaler."),
                age_column(),
            ],
            hpa_cells,
        ),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => printer(
            vec![
                name_column(),
                text_column("Role", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
                age_column(),
                wide_column("Users", "Users in the roleBinding"),
                wide_column("Groups", "Groups in the roleBinding"),
                wide_column("ServiceAccounts", "ServiceAccounts in the roleBinding"),
            ],
            role_binding_cells,
        ),
        ("", "ReplicationController") => printer(
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
        ("", "PersistentVolume") => printer(
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
        ("networking.k8s.io", "NetworkPolicy") => printer(
            vec![
                name_column(),
                text_column("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies."),
                age_column(),
            ],
            network_policy_cells,
        ),
        ("networking.k8s.io", "IngressClass") => printer(
            vec![
                name_column(),
                text_column("Controller", "Controller that is responsible for handling this class"),
                text_column("Parameters", "A reference to a resource with additional parameters"),
                age_column(),
            ],
            ingress_class_cells,
        ),
        ("policy", "PodDisruptionBudget") => printer(
            vec![
                name_column(),
                text_column("Min Available", "The minimum number of pods that must be available."),
                text_column("Max Unavailable", "The maximum number of pods that may be unavailable."),
                column("Allowed Disruptions", "integer", "", "Calculated number of pods that may be disrupted at this time.", 0),
                age_column(),
            ],
            pdb_cells,
        ),
        ("storage.k8s.io", "StorageClass") => printer(
            vec![
                name_column(),
                text_column("Provisioner", "provisioner indicates the type of the provisioner."),
                text_column("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
                text_column("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
                text_column("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand."),
                age_column(),
            ],
            storage_class_cells,
        ),
        ("discovery.k8s.io", "EndpointSlice") => printer(
            vec![
                name_column(),
                text_column("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
                text_column("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
                text_column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
                age_column(),
            ],
            endpoint_slice_cells,
        ),
        ("scheduling.k8s.io", "PriorityClass") => printer(
            vec![
                name_column(),
                column("Value", "integer", "", "value represents the integer value of this priority class.", 0),
                column("Global-Default", "boolean", "", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.", 0),
                age_column(),
                text_column("PreemptionPolicy", "preemptionPolicy is the Policy for preempting pods with lower priority."),
            ],
            priority_class_cells,
        ),
        ("coordination.k8s.io", "Lease") => printer(
            vec![
                name_column(),
                text_column("Holder", "holderIdentity contains the identity of the holder of a current lease."),
                age_column(),
            ],
            lease_cells,
        ),
        _ => return None,
    })
}

fn s(value: impl Into<String>) -> Value {
    Value::String(value.into())
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

fn service_cells(obj: &Value, now: Timestamp) -> Cells {
    let svc_type = match text(obj, &["spec", "type"]) {
        "" => "ClusterIP",
        other => other,
    };
    let cluster_ip = list(obj, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .unwrap_or_else(|| text(obj, &["spec", "clusterIP"]));
    let ports: Vec<String> = list(obj, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int(p, &["port"]);
            let protocol = match text(p, &["protocol"]) {
                "" => "TCP",
                other => other,
            };
            match int(p, &["nodePort"]) {
                node_port if node_port > 0 => format!("{port}:{node_port}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    let cells = vec![
        s(name_of(obj)),
        s(svc_type),
        s(or_none(cluster_ip)),
        s(service_external_ip(obj, svc_type)),
        s(or_none(&ports.join(","))),
        age(obj, now),
        s(format_labels(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}

fn service_external_ip(obj: &Value, svc_type: &str) -> String {
    let external_ips: Vec<&str> = list(obj, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match svc_type {
        "ClusterIP" | "NodePort" => or_none(&external_ips.join(",")),
        "LoadBalancer" => {
            let mut all: Vec<String> = load_balancer_addresses(obj);
            all.extend(external_ips.iter().map(|ip| ip.to_string()));
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => text(obj, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

/// `status.loadBalancer.ingress` IPs (or hostnames), sorted and de-duplicated.
fn load_balancer_addresses(obj: &Value) -> Vec<String> {
    let set: BTreeSet<String> = list(obj, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|ing| {
            let ip = text(ing, &["ip"]);
            let host = text(ing, &["hostname"]);
            if !ip.is_empty() {
                Some(ip.to_string())
            } else if !host.is_empty() {
                Some(host.to_string())
            } else {
                None
            }
        })
        .collect();
    set.into_iter().collect()
}

fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn endpoints_cells(obj: &Value, now: Timestamp) -> Cells {
    const MAX: usize = 3;
    let subsets = list(obj, &["subsets"]);
    let formatted = if subsets.is_empty() {
        "<none>".to_string()
    } else {
        let mut shown: Vec<String> = Vec::new();
        let mut count = 0usize;
        for subset in subsets {
            let addresses = list(subset, &["addresses"]);
            let ports = list(subset, &["ports"]);
            if ports.is_empty() {
                count += addresses.len();
                for addr in addresses {
                    if shown.len() == MAX {
                        break;
                    }
                    shown.push(text(addr, &["ip"]).to_string());
                }
                continue;
            }
            for port in ports {
                count += addresses.len();
                for addr in addresses {
                    if shown.len() == MAX {
                        break;
                    }
                    shown.push(join_host_port(text(addr, &["ip"]), int(port, &["port"])));
                }
            }
        }
        let joined = shown.join(",");
        if count > MAX {
            format!("{joined} + {} more...", count - MAX)
        } else {
            joined
        }
    };
    (vec![s(name_of(obj)), s(formatted), age(obj, now)], None)
}

fn condition_status<'a>(obj: &'a Value, path: &[&str], condition_type: &str) -> Option<&'a str> {
    list(obj, path)
        .iter()
        .find(|c| text(c, &["type"]) == condition_type)
        .map(|c| text(c, &["status"]))
}

/// `printPod`: the READY/STATUS/RESTARTS logic kubectl users know, including init containers,
/// sidecars (restartable init containers), waiting/terminated reasons and Terminating.
fn pod_cells(pod: &Value, now: Timestamp) -> Cells {
    let phase = text(pod, &["status", "phase"]);
    let mut reason = match text(pod, &["status", "reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    for cond in list(pod, &["status", "conditions"]) {
        if text(cond, &["type"]) == "PodScheduled" && text(cond, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }
    let conditions = match phase {
        "Succeeded" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
                                     "message": "The pod has completed successfully."}]),
        ),
        "Failed" => Some(
            json!([{"type": "Completed", "status": "True", "reason": "Failed",
                                  "message": "The pod failed."}]),
        ),
        _ => None,
    };

    let init_specs = list(pod, &["spec", "initContainers"]);
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .any(|c| text(c, &["name"]) == name && text(c, &["restartPolicy"]) == "Always")
    };
    let total = list(pod, &["spec", "containers"]).len()
        + init_specs
            .iter()
            .filter(|c| text(c, &["restartPolicy"]) == "Always")
            .count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;
    let later =
        |current: Option<Timestamp>, candidate: Option<Timestamp>| match (current, candidate) {
            (Some(a), Some(b)) if b > a => Some(b),
            (None, b) => b,
            (a, _) => a,
        };

    let mut initializing = false;
    let init_statuses = list(pod, &["status", "initContainerStatuses"]);
    for (i, status) in init_statuses.iter().enumerate() {
        let count = int(status, &["restartCount"]);
        let finished = parse_time(get(status, &["lastState", "terminated", "finishedAt"]));
        restarts += count;
        last_restart = later(last_restart, finished);
        let sidecar = is_sidecar(text(status, &["name"]));
        if sidecar {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, finished);
        }
        let terminated = get(status, &["state", "terminated"]);
        let waiting_reason = text(status, &["state", "waiting", "reason"]);
        let started = get(status, &["started"]).and_then(Value::as_bool) == Some(true);
        if terminated.is_some_and(|t| int(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && started {
            if get(status, &["ready"]).and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            reason = match text(t, &["reason"]) {
                "" if int(t, &["signal"]) != 0 => format!("Init:Signal:{}", int(t, &["signal"])),
                "" => format!("Init:ExitCode:{}", int(t, &["exitCode"])),
                r => format!("Init:{r}"),
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    let initialized =
        condition_status(pod, &["status", "conditions"], "Initialized") == Some("True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in list(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int(status, &["restartCount"]);
            last_restart = later(
                last_restart,
                parse_time(get(status, &["lastState", "terminated", "finishedAt"])),
            );
            let waiting_reason = text(status, &["state", "waiting", "reason"]);
            let terminated = get(status, &["state", "terminated"]);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = match text(t, &["reason"]) {
                    "" if int(t, &["signal"]) != 0 => format!("Signal:{}", int(t, &["signal"])),
                    "" => format!("ExitCode:{}", int(t, &["exitCode"])),
                    r => r.to_string(),
                };
            } else if get(status, &["ready"]).and_then(Value::as_bool) == Some(true)
                && get(status, &["state", "running"]).is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_status(pod, &["status", "conditions"], "Ready") == Some("True") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let deleting = get(pod, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    if deleting && text(pod, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts_text = match last_restart {
        Some(t) if restarts != 0 => {
            format!("{restarts} ({} ago)", human_duration(now.duration_since(t)))
        }
        _ => restarts.to_string(),
    };

    let pod_ip = list(pod, &["status", "podIPs"])
        .first()
        .map(|ip| text(ip, &["ip"]))
        .unwrap_or("");
    let gates = list(pod, &["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let passing = gates
            .iter()
            .filter(|g| {
                condition_status(pod, &["status", "conditions"], text(g, &["conditionType"]))
                    == Some("True")
            })
            .count();
        format!("{passing}/{}", gates.len())
    };
    let cells = vec![
        s(name_of(pod)),
        s(format!("{ready}/{total}")),
        s(reason),
        s(restarts_text),
        age(pod, now),
        s(or_none(pod_ip)),
        s(or_none(text(pod, &["spec", "nodeName"]))),
        s(or_none(text(pod, &["status", "nominatedNodeName"]))),
        s(readiness_gates),
    ];
    (cells, conditions)
}

/// `GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that order.
fn access_modes(modes: &[Value]) -> String {
    let has = |mode: &str| modes.iter().any(|m| m.as_str() == Some(mode));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

fn pvc_cells(obj: &Value, now: Timestamp) -> Cells {
    let deleting = get(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    let phase = if deleting {
        "Terminating"
    } else {
        text(obj, &["status", "phase"])
    };
    let volume = text(obj, &["spec", "volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            text(obj, &["status", "capacity", "storage"]).to_string(),
            access_modes(list(obj, &["status", "accessModes"])),
        )
    };
    let class = get(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    )
    .and_then(Value::as_str)
    .unwrap_or_else(|| text(obj, &["spec", "storageClassName"]));
    let attributes_class = get(obj, &["spec", "volumeAttributesClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<unset>");
    let volume_mode = get(obj, &["spec", "volumeMode"])
        .and_then(Value::as_str)
        .unwrap_or("<unset>");
    let cells = vec![
        s(name_of(obj)),
        s(phase),
        s(volume),
        s(capacity),
        s(modes),
        s(class),
        s(attributes_class),
        age(obj, now),
        s(volume_mode),
    ];
    (cells, None)
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

fn deployment_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let selector =
        selector_string(get(obj, &["spec", "selector"])).unwrap_or_else(|| "<invalid>".into());
    let cells = vec![
        s(name_of(obj)),
        s(format!(
            "{}/{}",
            int(obj, &["status", "readyReplicas"]),
            replicas_or_default(obj)
        )),
        json!(int(obj, &["status", "updatedReplicas"])),
        json!(int(obj, &["status", "availableReplicas"])),
        age(obj, now),
        names,
        images,
        s(selector),
    ];
    (cells, None)
}

fn replica_set_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        json!(replicas_or_default(obj)),
        json!(int(obj, &["status", "replicas"])),
        json!(int(obj, &["status", "readyReplicas"])),
        age(obj, now),
        names,
        images,
        s(format_label_selector(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}

fn stateful_set_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        s(format!(
            "{}/{}",
            int(obj, &["status", "readyReplicas"]),
            replicas_or_default(obj)
        )),
        age(obj, now),
        names,
        images,
    ];
    (cells, None)
}

fn daemon_set_cells(obj: &Value, now: Timestamp) -> Cells {
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        json!(int(obj, &["status", "desiredNumberScheduled"])),
        json!(int(obj, &["status", "currentNumberScheduled"])),
        json!(int(obj, &["status", "numberReady"])),
        json!(int(obj, &["status", "updatedNumberScheduled"])),
        json!(int(obj, &["status", "numberAvailable"])),
        s(format_labels(get(
            obj,
            &["spec", "template", "spec", "nodeSelector"],
        ))),
        age(obj, now),
        names,
        images,
        s(format_label_selector(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}

fn job_cells(obj: &Value, now: Timestamp) -> Cells {
    let succeeded = int(obj, &["status", "succeeded"]);
    let completions = match get(obj, &["spec", "completions"]).and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match int(obj, &["spec", "parallelism"]) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = parse_time(get(obj, &["status", "startTime"]));
    let end = parse_time(get(obj, &["status", "completionTime"]));
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.duration_since(start)),
        (Some(start), Some(end)) => human_duration(end.duration_since(start)),
    };
    // A condition counts only while True; the first condition of a type decides.
    let has = |ty: &str| condition_status(obj, &["status", "conditions"], ty) == Some("True");
    let deleting = get(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if deleting {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        s(status),
        s(completions),
        s(duration),
        age(obj, now),
        names,
        images,
        s(format_label_selector(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}

fn cron_job_cells(obj: &Value, now: Timestamp) -> Cells {
    let last_schedule = match get(obj, &["status", "lastScheduleTime"]) {
        Some(v) if !v.is_null() => since(Some(v), now),
        _ => "<none>".to_string(),
    };
    let suspend = match get(obj, &["spec", "suspend"]).and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let time_zone = get(obj, &["spec", "timeZone"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let job_spec = get(obj, &["spec", "jobTemplate", "spec"]);
    let (names, images) = container_cells(job_spec.and_then(|j| get(j, &["template", "spec"])));
    let cells = vec![
        s(name_of(obj)),
        s(text(obj, &["spec", "schedule"])),
        s(time_zone),
        s(suspend),
        json!(list(obj, &["status", "active"]).len()),
        s(last_schedule),
        age(obj, now),
        names,
        images,
        s(format_label_selector(
            job_spec.and_then(|j| j.get("selector")),
        )),
    ];
    (cells, None)
}

fn ingress_cells(obj: &Value, now: Timestamp) -> Cells {
    const MAX: usize = 3;
    let rules = list(obj, &["spec", "rules"]);
    let mut hosts: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == MAX {
            more = true;
        }
        let host = text(rule, &["host"]);
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if more {
        format!(
            "{} + {} more...",
            hosts.join(","),
            rules.len().saturating_sub(MAX)
        )
    } else {
        hosts.join(",")
    };
    let ports = if list(obj, &["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    let class = get(obj, &["spec", "ingressClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let cells = vec![
        s(name_of(obj)),
        s(class),
        s(hosts),
        s(load_balancer_addresses(obj).join(",")),
        s(ports),
        age(obj, now),
    ];
    (cells, None)
}

/// A quantity as the API server prints it; numbers (unusual in JSON) are printed plainly.
fn quantity(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(q)) => q.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    }
}

/// `formatHPAMetrics` for autoscaling/v2 (and v1's `targetCPUUtilizationPercentage`).
fn hpa_targets(obj: &Value) -> String {
    const MAX: usize = 2;
    let specs = list(obj, &["spec", "metrics"]);
    if specs.is_empty() {
        if let Some(target) =
            get(obj, &["spec", "targetCPUUtilizationPercentage"]).and_then(Value::as_i64)
        {
            let current = get(obj, &["status", "currentCPUUtilizationPercentage"])
                .and_then(Value::as_i64)
                .map_or("<unknown>".to_string(), |c| format!("{c}%"));
            return format!("cpu: {current}/{target}%");
        }
        return "<none>".to_string();
    }
    let statuses = list(obj, &["status", "currentMetrics"]);
    let mut shown = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        let metric_type = text(spec, &["type"]);
        let field = match metric_type {
            "External" => "external",
            "Pods" => "pods",
            "Object" => "object",
            "Resource" => "resource",
            "ContainerResource" => "containerResource",
            _ => {
                shown.push("<unknown type>".to_string());
                continue;
            }
        };
        let target = get(spec, &[field, "target"]);
        let current_of = |key: &str| {
            status
                .and_then(|st| get(st, &[field, "current", key]))
                .filter(|v| !v.is_null())
        };
        let status_present = status
            .and_then(|st| st.get(field))
            .is_some_and(|v| !v.is_null());
        let average_value = target
            .and_then(|t| t.get("averageValue"))
            .filter(|v| !v.is_null());
        let rendered = match metric_type {
            "External" | "Object" => {
                if let Some(avg) = average_value {
                    let current = current_of("averageValue")
                        .map_or("<unknown>".to_string(), |v| quantity(Some(v)));
                    format!("{current}/{} (avg)", quantity(Some(avg)))
                } else {
                    let current = if status_present {
                        quantity(current_of("value"))
                    } else {
                        "<unknown>".to_string()
                    };
                    format!(
                        "{current}/{}",
                        quantity(target.and_then(|t| t.get("value")))
                    )
                }
            }
            "Pods" => {
                let current = if status_present {
                    quantity(current_of("averageValue"))
                } else {
                    "<unknown>".to_string()
                };
                format!("{current}/{}", quantity(average_value))
            }
            _ => {
                let resource = text(spec, &[field, "name"]);
                if let Some(avg) = average_value {
                    let current = if status_present {
                        quantity(current_of("averageValue"))
                    } else {
                        "<unknown>".to_string()
                    };
                    format!("{resource}: {current}/{}", quantity(Some(avg)))
                } else {
                    let current = current_of("averageUtilization")
                        .and_then(Value::as_i64)
                        .map_or("<unknown>".to_string(), |c| format!("{c}%"));
                    let goal = target
                        .and_then(|t| t.get("averageUtilization"))
                        .and_then(Value::as_i64)
                        .map_or("<auto>".to_string(), |g| format!("{g}%"));
                    format!("{resource}: {current}/{goal}")
                }
            }
        };
        shown.push(rendered);
    }
    let count = shown.len();
    if count > MAX {
        shown.truncate(MAX);
        format!("{} + {} more...", shown.join(", "), count - MAX)
    } else {
        shown.join(", ")
    }
}

fn hpa_cells(obj: &Value, now: Timestamp) -> Cells {
    let reference = format!(
        "{}/{}",
        text(obj, &["spec", "scaleTargetRef", "kind"]),
        text(obj, &["spec", "scaleTargetRef", "name"])
    );
    let min_pods = get(obj, &["spec", "minReplicas"])
        .and_then(Value::as_i64)
        .map_or("<unset>".to_string(), |m| m.to_string());
    let cells = vec![
        s(name_of(obj)),
        s(reference),
        s(hpa_targets(obj)),
        s(min_pods),
        json!(int(obj, &["spec", "maxReplicas"])),
        json!(int(obj, &["status", "currentReplicas"])),
        age(obj, now),
    ];
    (cells, None)
}

fn role_binding_cells(obj: &Value, now: Timestamp) -> Cells {
    let role = format!(
        "{}/{}",
        text(obj, &["roleRef", "kind"]),
        text(obj, &["roleRef", "name"])
    );
    let (mut users, mut groups, mut service_accounts) = (Vec::new(), Vec::new(), Vec::new());
    for subject in list(obj, &["subjects"]) {
        let name = text(subject, &["name"]);
        match text(subject, &["kind"]) {
            "User" => users.push(name.to_string()),
            "Group" => groups.push(name.to_string()),
            "ServiceAccount" => {
                service_accounts.push(format!("{}/{name}", text(subject, &["namespace"])))
            }
            _ => {}
        }
    }
    let cells = vec![
        s(name_of(obj)),
        s(role),
        age(obj, now),
        s(users.join(", ")),
        s(groups.join(", ")),
        s(service_accounts.join(", ")),
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

/// `GetPersistentVolumeClass` / `GetPersistentVolumeClaimClass`: the beta annotation wins.
fn storage_class_of(obj: &Value) -> &str {
    get(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    )
    .and_then(Value::as_str)
    .unwrap_or_else(|| text(obj, &["spec", "storageClassName"]))
}

fn pv_cells(obj: &Value, now: Timestamp) -> Cells {
    let claim = match get(obj, &["spec", "claimRef"]).filter(|c| c.is_object()) {
        Some(claim) => format!("{}/{}", text(claim, &["namespace"]), text(claim, &["name"])),
        None => String::new(),
    };
    let deleting = get(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    let phase = if deleting {
        "Terminating"
    } else {
        text(obj, &["status", "phase"])
    };
    let cells = vec![
        s(name_of(obj)),
        s(quantity(get(obj, &["spec", "capacity", "storage"]))),
        s(access_modes(list(obj, &["spec", "accessModes"]))),
        s(text(obj, &["spec", "persistentVolumeReclaimPolicy"])),
        s(phase),
        s(claim),
        s(storage_class_of(obj)),
        s(get(obj, &["spec", "volumeAttributesClassName"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
        s(text(obj, &["status", "reason"])),
        age(obj, now),
        s(get(obj, &["spec", "volumeMode"])
            .and_then(Value::as_str)
            .unwrap_or("<unset>")),
    ];
    (cells, None)
}

fn network_policy_cells(obj: &Value, now: Timestamp) -> Cells {
    let selector = format_label_selector(Some(
        get(obj, &["spec", "podSelector"]).unwrap_or(&Value::Null),
    ));
    (vec![s(name_of(obj)), s(selector), age(obj, now)], None)
}

fn ingress_class_cells(obj: &Value, now: Timestamp) -> Cells {
    let parameters = match get(obj, &["spec", "parameters"]).filter(|p| p.is_object()) {
        Some(p) => {
            let mut kind = text(p, &["kind"]).to_string();
            if let Some(group) = get(p, &["apiGroup"]).and_then(Value::as_str) {
                kind = format!("{kind}.{group}");
            }
            format!("{kind}/{}", text(p, &["name"]))
        }
        None => "<none>".to_string(),
    };
    let cells = vec![
        s(name_of(obj)),
        s(text(obj, &["spec", "controller"])),
        s(parameters),
        age(obj, now),
    ];
    (cells, None)
}

/// An IntOrString as Go's `IntOrString.String()` prints it.
fn int_or_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "N/A".to_string(),
    }
}

fn pdb_cells(obj: &Value, now: Timestamp) -> Cells {
    let cells = vec![
        s(name_of(obj)),
        s(int_or_string(get(obj, &["spec", "minAvailable"]))),
        s(int_or_string(get(obj, &["spec", "maxUnavailable"]))),
        json!(int(obj, &["status", "disruptionsAllowed"])),
        age(obj, now),
    ];
    (cells, None)
}

fn storage_class_cells(obj: &Value, now: Timestamp) -> Cells {
    let annotations = get(obj, &["metadata", "annotations"]);
    let is_default = [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|key| {
        annotations
            .and_then(|a| a.get(*key))
            .and_then(Value::as_str)
            == Some("true")
    });
    let name = if is_default {
        format!("{} (default)", name_of(obj))
    } else {
        name_of(obj).to_string()
    };
    let cells = vec![
        s(name),
        s(text(obj, &["provisioner"])),
        s(get(obj, &["reclaimPolicy"])
            .and_then(Value::as_str)
            .unwrap_or("Delete")),
        s(get(obj, &["volumeBindingMode"])
            .and_then(Value::as_str)
            .unwrap_or("Immediate")),
        Value::Bool(
            get(obj, &["allowVolumeExpansion"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
        age(obj, now),
    ];
    (cells, None)
}

/// `listWithMoreString`: up to three items, then `+ N more...`; `<unset>` when empty.
fn list_with_more(items: Vec<String>) -> String {
    const MAX: usize = 3;
    let count = items.len();
    if count == 0 {
        return "<unset>".to_string();
    }
    let shown = items.into_iter().take(MAX).collect::<Vec<_>>().join(",");
    if count > MAX {
        format!("{shown} + {} more...", count - MAX)
    } else {
        shown
    }
}

fn endpoint_slice_cells(obj: &Value, now: Timestamp) -> Cells {
    let ports = list(obj, &["ports"])
        .iter()
        .map(|p| {
            match (
                get(p, &["port"]).and_then(Value::as_i64),
                get(p, &["name"]).and_then(Value::as_str),
            ) {
                (Some(port), _) => port.to_string(),
                (None, Some(name)) => name.to_string(),
                (None, None) => "*".to_string(),
            }
        })
        .collect();
    let addresses = list(obj, &["endpoints"])
        .iter()
        .flat_map(|e| {
            list(e, &["addresses"])
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let cells = vec![
        s(name_of(obj)),
        s(text(obj, &["addressType"])),
        s(list_with_more(ports)),
        s(list_with_more(addresses)),
        age(obj, now),
    ];
    (cells, None)
}

fn priority_class_cells(obj: &Value, now: Timestamp) -> Cells {
    let cells = vec![
        s(name_of(obj)),
        json!(int(obj, &["value"])),
        Value::Bool(
            get(obj, &["globalDefault"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
        age(obj, now),
        s(text(obj, &["preemptionPolicy"])),
    ];
    (cells, None)
}

fn lease_cells(obj: &Value, now: Timestamp) -> Cells {
    (
        vec![
            s(name_of(obj)),
            s(text(obj, &["spec", "holderIdentity"])),
            age(obj, now),
        ],
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// Custom resource columns

/// A cell for an `additionalPrinterColumns` value, typed as the CRD column says.
fn custom_cell(ty: &str, value: &Value, now: Timestamp) -> Value {
    match ty {
        "integer" => match value {
            Value::Number(n) if n.is_i64() => value.clone(),
            Value::Number(n) => n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map_or(Value::Null, |f| json!(f as i64)),
            _ => Value::Null,
        },
        "number" => value.as_f64().map_or(Value::Null, |f| json!(f)),
        "boolean" => value.as_bool().map_or(Value::Null, Value::Bool),
        "date" => match value.as_str().and_then(|t| t.parse::<Timestamp>().ok()) {
            Some(t) => s(human_duration(now.duration_since(t))),
            None => Value::Null,
        },
        _ => match value {
            Value::String(text) => s(text.clone()),
            Value::Null => Value::Null,
            other => s(other.to_string()),
        },
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Field(String),
    Index(usize),
    /// `[?(@.a.b=="value")]`: elements whose `a.b` equals the (string) value.
    Filter(Vec<String>, String),
}

#[derive(Debug, Clone, PartialEq)]
struct JsonPath(Vec<Segment>);

/// Why a printer column's JSONPath is outside the supported subset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported JSONPath {path:?}: {reason}")]
struct JsonPathError {
    path: String,
    reason: &'static str,
}

impl JsonPath {
    fn parse(path: &str) -> Result<JsonPath, JsonPathError> {
        let err = |reason| JsonPathError {
            path: path.to_string(),
            reason,
        };
        let trimmed = path.trim();
        let inner = trimmed
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .unwrap_or(trimmed);
        let chars: Vec<char> = inner.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    let mut field = String::new();
                    while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                        if chars[i] == '\\' && i + 1 < chars.len() {
                            i += 1;
                        }
                        field.push(chars[i]);
                        i += 1;
                    }
                    if field.is_empty() {
                        return Err(err("empty field name"));
                    }
                    segments.push(Segment::Field(field));
                }
                '[' => {
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == ']')
                        .map(|p| p + i)
                        .ok_or_else(|| err("unclosed ["))?;
                    let body: String = chars[i + 1..close].iter().collect();
                    segments
                        .push(Self::bracket(body.trim()).ok_or_else(|| err("unsupported [...]"))?);
                    i = close + 1;
                }
                _ => return Err(err("expected . or [")),
            }
        }
        Ok(JsonPath(segments))
    }

    fn bracket(body: &str) -> Option<Segment> {
        if let Ok(index) = body.parse::<usize>() {
            return Some(Segment::Index(index));
        }
        if let Some(quoted) = body
            .strip_prefix('\'')
            .and_then(|b| b.strip_suffix('\''))
            .or_else(|| body.strip_prefix('"').and_then(|b| b.strip_suffix('"')))
        {
            return Some(Segment::Field(quoted.to_string()));
        }
        let condition = body.strip_prefix("?(")?.strip_suffix(')')?;
        let (lhs, rhs) = condition.split_once("==")?;
        let field_path = lhs.trim().strip_prefix("@.")?;
        let rhs = rhs.trim();
        let value = rhs
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| rhs.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(rhs);
        let fields = field_path.split('.').map(str::to_string).collect();
        Some(Segment::Filter(fields, value.to_string()))
    }

    /// The first value the path selects (a filter may select several; columns show one).
    fn first_match<'a>(&self, obj: &'a Value) -> Option<&'a Value> {
        let mut current: Vec<&Value> = vec![obj];
        for segment in &self.0 {
            current = current
                .into_iter()
                .flat_map(|v| -> Vec<&Value> {
                    match segment {
                        Segment::Field(name) => v.get(name.as_str()).into_iter().collect(),
                        Segment::Index(i) => v.get(*i).into_iter().collect(),
                        Segment::Filter(fields, expected) => v
                            .as_array()
                            .map(|items| {
                                items
                                    .iter()
                                    .filter(|item| {
                                        let field = fields
                                            .iter()
                                            .try_fold(*item, |acc, f| acc.get(f.as_str()));
                                        match field {
                                            Some(Value::String(s)) => s == expected,
                                            Some(other) => {
                                                expected.parse::<Value>().is_ok_and(|e| e == *other)
                                            }
                                            None => false,
                                        }
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }
                })
                .collect();
        }
        current.into_iter().next()
    }
}

/// Plain-text rendering of a Table the way `kubectl get` lays it out: upper-case headers and
/// kubectl's tabwriter settings (cells padded by three spaces to at least six columns).
/// Null cells print as `<none>`. For tests, logs and debugging output.
pub fn render_plain(table: &Value, wide: bool) -> String {
    let columns = list(table, &["columnDefinitions"]);
    let shown: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| wide || int(c, &["priority"]) == 0)
        .map(|(i, _)| i)
        .collect();
    let mut grid: Vec<Vec<String>> = vec![shown
        .iter()
        .map(|&i| text(&columns[i], &["name"]).to_uppercase())
        .collect()];
    for row in list(table, &["rows"]) {
        let cells = list(row, &["cells"]);
        grid.push(
            shown
                .iter()
                .map(|&i| match cells.get(i) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => "<none>".to_string(),
                    Some(other) => other.to_string(),
                })
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..shown.len())
        .map(|c| {
            let widest = grid.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
            (widest + 3).max(6)
        })
        .collect();
    let mut out = String::new();
    for line in grid {
        let mut rendered = String::new();
        for (c, cell) in line.iter().enumerate() {
            if c + 1 == line.len() {
                rendered.push_str(cell);
            } else {
                let _ = write!(rendered, "{cell:<width$}", width = widths[c]);
            }
        }
        out.push_str(rendered.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2024-06-01T12:00:00Z".parse().expect("timestamp")
    }

    fn info(
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        namespaced: bool,
    ) -> ResourceInfo {
        ResourceInfo {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            custom: !is_builtin_group(group),
            printer_columns: Vec::new(),
        }
    }

    /// Metadata as the API server returns it: uid, resourceVersion, managedFields, ...
    fn meta(name: &str, namespace: Option<&str>, created: &str, api_version: &str) -> Value {
        let mut m = json!({
            "name": name,
            "uid": format!("6f1c1a52-{:04x}-4b5e-9a43-1f0c3d2e8b7a", name.len()),
            "resourceVersion": "48213",
            "creationTimestamp": created,
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop"},
            "managedFields": [{
                "manager": "kubectl-client-side-apply",
                "operation": "Update",
                "apiVersion": api_version,
                "time": created,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}
            }]
        });
        if let Some(ns) = namespace {
            m["namespace"] = json!(ns);
        }
        m
    }

    fn cells(table: &Value) -> Vec<Vec<Value>> {
        list(table, &["rows"])
            .iter()
            .map(|r| list(r, &["cells"]).to_vec())
            .collect()
    }

    fn column_names(table: &Value, wide: bool) -> Vec<String> {
        list(table, &["columnDefinitions"])
            .iter()
            .filter(|c| wide || int(c, &["priority"]) == 0)
            .map(|c| text(c, &["name"]).to_string())
            .collect()
    }

    fn print(resource: &ResourceInfo, objects: &[Value]) -> Value {
        let table = to_table(resource, objects, now(), IncludeObject::Metadata);
        let width = list(&table, &["columnDefinitions"]).len();
        for row in list(&table, &["rows"]) {
            assert_eq!(
                list(row, &["cells"]).len(),
                width,
                "cells must match columns"
            );
        }
        table
    }

    fn deployment() -> ResourceInfo {
        info("apps", "v1", "Deployment", "deployments", true)
    }

    fn web_deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "uid": "0b8f6f1e-58a4-4e43-9d0e-5d8f7b4a2c11",
                "resourceVersion": "90211",
                "generation": 3,
                "creationTimestamp": "2024-05-30T09:00:00Z",
                "labels": {"app": "web"},
                "annotations": {"deployment.kubernetes.io/revision": "3"},
                "managedFields": [{
                    "manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1",
                    "time": "2024-05-30T09:00:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:replicas": {}}}
                }]
            },
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web", "tier": "frontend"}},
                "template": {
                    "metadata": {"labels": {"app": "web", "tier": "frontend"}},
                    "spec": {
                        "containers": [
                            {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                             "resources": {}, "terminationMessagePath": "/dev/termination-log",
                             "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"},
                            {"name": "metrics", "image": "prom/statsd-exporter:v0.26.0",
                             "resources": {}, "terminationMessagePath": "/dev/termination-log",
                             "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
                        ],
                        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                        "dnsPolicy": "ClusterFirst", "securityContext": {}, "schedulerName": "default-scheduler"
                    }
                },
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600
            },
            "status": {
                "observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 2,
                "availableReplicas": 2, "unavailableReplicas": 1,
                "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]
            }
        })
    }

    #[test]
    fn human_duration_matches_kubernetes() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (312, "5m12s"),
            (599, "9m59s"),
            (600, "10m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 5 * 60 + 9, "3h5m"),
            (7 * 3600 + 59 * 60, "7h59m"),
            (8 * 3600 + 30 * 60, "8h"),
            (47 * 3600, "47h"),
            (51 * 3600, "2d3h"),
            (7 * 86400 + 23 * 3600, "7d23h"),
            (8 * 86400 + 5 * 3600, "8d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            ((3 * 365 + 12) * 86400, "3y12d"),
            (8 * 365 * 86400 + 86400, "8y"),
            (-1, "0s"),
            (-2, "<invalid>"),
            (-3600, "<invalid>"),
        ];
        for (secs, expected) in cases {
            assert_eq!(
                human_duration(SignedDuration::from_secs(*secs)),
                *expected,
                "{secs}s"
            );
        }
        // Go truncates toward zero: 1.5s in the future is still "now".
        assert_eq!(human_duration(SignedDuration::from_millis(-1500)), "0s");
        assert_eq!(human_duration(SignedDuration::from_millis(59_999)), "59s");
    }

    #[test]
    fn deployment_columns_cells_and_kubectl_layout() {
        let table = print(&deployment(), &[web_deployment()]);
        assert_eq!(table["kind"], "Table");
        assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(
            column_names(&table, false),
            ["Name", "Ready", "Up-to-date", "Available", "Age"]
        );
        assert_eq!(
            column_names(&table, true),
            [
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        let name_col = &table["columnDefinitions"][0];
        assert_eq!(name_col["format"], "name");
        assert_eq!(name_col["type"], "string");
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("web"),
                json!("2/3"),
                json!(2),
                json!(2),
                json!("2d3h"),
                json!("nginx,metrics"),
                json!("nginx:1.27,prom/statsd-exporter:v0.26.0"),
                json!("app=web,tier=frontend"),
            ]
        );
        assert_eq!(
            render_plain(&table, false),
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/3     2            2           2d3h\n"
        );
    }

    #[test]
    fn rows_carry_partial_object_metadata_or_the_object() {
        let obj = web_deployment();
        let table = to_table(
            &deployment(),
            std::slice::from_ref(&obj),
            now(),
            IncludeObject::Metadata,
        );
        let object = &table["rows"][0]["object"];
        assert_eq!(object["kind"], "PartialObjectMetadata");
        assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(object["metadata"]["namespace"], "shop");
        assert_eq!(object["metadata"]["uid"], obj["metadata"]["uid"]);
        assert!(object.get("spec").is_none());

        let table = to_table(
            &deployment(),
            std::slice::from_ref(&obj),
            now(),
            IncludeObject::Object,
        );
        assert_eq!(table["rows"][0]["object"], obj);

        let table = to_table(&deployment(), &[obj], now(), IncludeObject::None);
        assert!(table["rows"][0].get("object").is_none());

        assert_eq!(IncludeObject::from_query(None), Ok(IncludeObject::Metadata));
        assert_eq!(
            IncludeObject::from_query(Some("Object")),
            Ok(IncludeObject::Object)
        );
        assert_eq!(
            IncludeObject::from_query(Some("None")),
            Ok(IncludeObject::None)
        );
        assert!(IncludeObject::from_query(Some("object")).is_err());
    }

    fn pod(name: &str, spec_extra: Value, status: Value) -> Value {
        let mut spec = json!({
            "containers": [{"name": "app", "image": "ghcr.io/acme/app:2.1.0", "resources": {},
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "serviceAccount": "default", "nodeName": "worker-1",
            "securityContext": {}, "schedulerName": "default-scheduler", "priority": 0,
            "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority"
        });
        if let (Some(spec_map), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            for (k, v) in extra {
                spec_map.insert(k.clone(), v.clone());
            }
        }
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta(name, Some("shop"), "2024-06-01T11:00:00Z", "v1"),
            "spec": spec,
            "status": status
        })
    }

    fn running_status(restarts: i64, last_finished: Option<&str>) -> Value {
        let mut container = json!({
            "name": "app", "image": "ghcr.io/acme/app:2.1.0", "imageID": "ghcr.io/acme/app@sha256:1f2e",
            "containerID": "containerd://a1b2", "ready": true, "started": true,
            "restartCount": restarts, "state": {"running": {"startedAt": "2024-06-01T11:50:00Z"}},
            "lastState": {}
        });
        if let Some(finished) = last_finished {
            container["lastState"] = json!({"terminated": {"exitCode": 137, "reason": "OOMKilled",
                "startedAt": "2024-06-01T11:40:00Z", "finishedAt": finished, "containerID": "containerd://0f"}});
        }
        json!({
            "phase": "Running", "hostIP": "10.0.0.11", "hostIPs": [{"ip": "10.0.0.11"}],
            "podIP": "10.244.1.17", "podIPs": [{"ip": "10.244.1.17"}], "startTime": "2024-06-01T11:00:00Z",
            "qosClass": "BestEffort",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": "2024-06-01T11:00:00Z"},
                {"type": "Ready", "status": "True", "lastTransitionTime": "2024-06-01T11:50:01Z"},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2024-06-01T11:50:01Z"},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-06-01T11:00:00Z"}
            ],
            "containerStatuses": [container]
        })
    }

    fn pods() -> ResourceInfo {
        info("", "v1", "Pod", "pods", true)
    }

    #[test]
    fn running_pod_with_restarts_and_wide_columns() {
        let p = pod(
            "app-7d9c",
            json!({}),
            running_status(2, Some("2024-06-01T11:49:30Z")),
        );
        let table = print(&pods(), &[p]);
        assert_eq!(
            column_names(&table, false),
            ["Name", "Ready", "Status", "Restarts", "Age"]
        );
        assert_eq!(
            column_names(&table, true)[5..],
            ["IP", "Node", "Nominated Node", "Readiness Gates"]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("app-7d9c"),
                json!("1/1"),
                json!("Running"),
                json!("2 (10m ago)"),
                json!("60m"),
                json!("10.244.1.17"),
                json!("worker-1"),
                json!("<none>"),
                json!("<none>"),
            ]
        );
    }

    #[test]
    fn crash_looping_pending_and_init_pods() {
        let mut crashing = running_status(5, Some("2024-06-01T11:58:00Z"));
        crashing["containerStatuses"][0]["ready"] = json!(false);
        crashing["containerStatuses"][0]["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
            "message": "back-off 2m40s restarting failed container"}});
        let crashing = pod("crashy", json!({}), crashing);

        let pending = pod(
            "pending",
            json!({"nodeName": null}),
            json!({"phase": "Pending", "qosClass": "BestEffort",
                   "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}),
        );

        let init_spec =
            json!({"initContainers": [{"name": "migrate", "image": "ghcr.io/acme/migrate:1"}]});
        let initializing = pod(
            "init",
            init_spec.clone(),
            json!({"phase": "Pending",
                   "conditions": [{"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized"}],
                   "initContainerStatuses": [{"name": "migrate", "ready": false, "restartCount": 0,
                       "state": {"running": {"startedAt": "2024-06-01T11:59:00Z"}}}],
                   "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                       "state": {"waiting": {"reason": "PodInitializing"}}}]}),
        );
        let init_failed = pod(
            "init-failed",
            init_spec,
            json!({"phase": "Pending",
                   "initContainerStatuses": [{"name": "migrate", "ready": false, "restartCount": 3,
                       "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                       "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                           "finishedAt": "2024-06-01T11:57:00Z"}}}]}),
        );
        let table = print(&pods(), &[crashing, pending, initializing, init_failed]);
        let rows = cells(&table);
        assert_eq!(
            rows[0][1..4],
            [json!("0/1"), json!("CrashLoopBackOff"), json!("5 (2m ago)")]
        );
        assert_eq!(rows[1][1..4], [json!("0/1"), json!("Pending"), json!("0")]);
        assert_eq!(rows[1][6], json!("<none>"), "unscheduled pod has no node");
        assert_eq!(rows[2][1..4], [json!("0/1"), json!("Init:0/1"), json!("0")]);
        assert_eq!(
            rows[3][1..4],
            [
                json!("0/1"),
                json!("Init:CrashLoopBackOff"),
                json!("3 (3m ago)")
            ]
        );
    }

    #[test]
    fn completed_terminating_and_sidecar_pods() {
        let mut done = running_status(0, None);
        done["phase"] = json!("Succeeded");
        done["containerStatuses"][0]["ready"] = json!(false);
        done["containerStatuses"][0]["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
            "startedAt": "2024-06-01T11:00:05Z", "finishedAt": "2024-06-01T11:01:00Z"}});
        let done = pod("job-x7k2p", json!({"restartPolicy": "Never"}), done);

        let mut terminating = pod("old", json!({}), running_status(0, None));
        terminating["metadata"]["deletionTimestamp"] = json!("2024-06-01T11:59:50Z");
        terminating["metadata"]["deletionGracePeriodSeconds"] = json!(30);

        let mut sidecar_status = running_status(0, None);
        sidecar_status["initContainerStatuses"] = json!([{"name": "proxy", "ready": true, "started": true,
            "restartCount": 1, "state": {"running": {"startedAt": "2024-06-01T11:00:02Z"}},
            "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": "2024-06-01T11:00:01Z"}}}]);
        let sidecar = pod(
            "with-sidecar",
            json!({"initContainers": [{"name": "proxy", "image": "envoyproxy/envoy:v1.30", "restartPolicy": "Always"}],
                   "readinessGates": [{"conditionType": "acme.io/lb-registered"}]}),
            sidecar_status,
        );

        let table = print(&pods(), &[done, terminating, sidecar]);
        let rows = cells(&table);
        assert_eq!(rows[0][1..3], [json!("0/1"), json!("Completed")]);
        assert_eq!(table["rows"][0]["conditions"][0]["type"], "Completed");
        assert_eq!(table["rows"][0]["conditions"][0]["reason"], "Succeeded");
        assert_eq!(rows[1][2], json!("Terminating"));
        assert_eq!(
            rows[2][1..4],
            [json!("2/2"), json!("Running"), json!("1 (59m ago)")]
        );
        assert_eq!(
            rows[2][8],
            json!("0/1"),
            "readiness gate without condition is not passing"
        );
    }

    fn service(name: &str, spec: Value, status: Value) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": meta(name, Some("shop"), "2024-06-01T11:55:00Z", "v1"),
            "spec": spec, "status": status
        })
    }

    #[test]
    fn services_of_every_type() {
        let cluster_ip = service(
            "web",
            json!({"type": "ClusterIP", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"],
                   "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                   "internalTrafficPolicy": "Cluster", "selector": {"tier": "frontend", "app": "web"},
                   "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                             {"name": "grpc", "port": 9090, "targetPort": 9090, "protocol": "TCP"}]}),
            json!({"loadBalancer": {}}),
        );
        let node_port = service(
            "web-np",
            json!({"type": "NodePort", "clusterIP": "10.96.40.2", "clusterIPs": ["10.96.40.2"],
                   "externalTrafficPolicy": "Cluster",
                   "ports": [{"port": 80, "targetPort": 80, "nodePort": 30080, "protocol": "TCP"},
                             {"port": 53, "targetPort": 53, "nodePort": 30053, "protocol": "UDP"}],
                   "selector": {"app": "web"}}),
            json!({"loadBalancer": {}}),
        );
        let pending_lb = service(
            "edge",
            json!({"type": "LoadBalancer", "clusterIP": "10.96.0.50", "clusterIPs": ["10.96.0.50"],
                   "allocateLoadBalancerNodePorts": true,
                   "ports": [{"port": 443, "targetPort": 8443, "nodePort": 31443, "protocol": "TCP"}]}),
            json!({"loadBalancer": {}}),
        );
        let ready_lb = service(
            "edge-ready",
            json!({"type": "LoadBalancer", "clusterIP": "10.96.0.51", "clusterIPs": ["10.96.0.51"],
                   "externalIPs": ["198.51.100.9"],
                   "ports": [{"port": 443, "targetPort": 8443, "nodePort": 31444, "protocol": "TCP"}]}),
            json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ipMode": "VIP"},
                                                {"hostname": "lb.example.com"}]}}),
        );
        let external = service(
            "db",
            json!({"type": "ExternalName", "externalName": "db.internal.example.com",
                   "sessionAffinity": "None"}),
            json!({"loadBalancer": {}}),
        );
        let headless = service(
            "db-headless",
            json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
                   "ports": [{"port": 5432, "targetPort": 5432, "protocol": "TCP"}],
                   "selector": {"app": "db"}}),
            json!({"loadBalancer": {}}),
        );
        let table = print(
            &info("", "v1", "Service", "services", true),
            &[
                cluster_ip, node_port, pending_lb, ready_lb, external, headless,
            ],
        );
        assert_eq!(
            column_names(&table, true),
            [
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age",
                "Selector"
            ]
        );
        let rows = cells(&table);
        assert_eq!(
            rows[0],
            vec![
                json!("web"),
                json!("ClusterIP"),
                json!("10.96.12.7"),
                json!("<none>"),
                json!("80/TCP,9090/TCP"),
                json!("5m"),
                json!("app=web,tier=frontend"),
            ]
        );
        assert_eq!(rows[1][4], json!("80:30080/TCP,53:30053/UDP"));
        assert_eq!(rows[1][3], json!("<none>"));
        assert_eq!(rows[2][3], json!("<pending>"));
        assert_eq!(rows[2][6], json!("<none>"));
        assert_eq!(
            rows[3][3],
            json!("203.0.113.10,lb.example.com,198.51.100.9")
        );
        assert_eq!(
            rows[4][1..5],
            [
                json!("ExternalName"),
                json!("<none>"),
                json!("db.internal.example.com"),
                json!("<none>")
            ]
        );
        assert_eq!(rows[5][2], json!("None"));
    }

    #[test]
    fn secrets_show_type_and_key_count_never_values() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": meta("db-credentials", Some("shop"), "2024-05-31T12:00:00Z", "v1"),
            "type": "Opaque",
            "data": {"username": "c2hvcA==", "password": "aHVudGVyMg=="}
        });
        let tls = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": meta("web-tls", Some("shop"), "2024-06-01T11:59:15Z", "v1"),
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "LS0tLS1CRUdJTg==", "tls.key": "LS0tLS1CRUdJTiBQUklWQVRF", "ca.crt": "Q0E="}
        });
        let table = print(&info("", "v1", "Secret", "secrets", true), &[secret, tls]);
        assert_eq!(column_names(&table, true), ["Name", "Type", "Data", "Age"]);
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("db-credentials"),
                json!("Opaque"),
                json!(2),
                json!("24h")
            ]
        );
        assert_eq!(
            cells(&table)[1],
            vec![
                json!("web-tls"),
                json!("kubernetes.io/tls"),
                json!(3),
                json!("45s")
            ]
        );
        let rendered = serde_json::to_string(&table).expect("json");
        for value in ["aHVudGVyMg==", "c2hvcA==", "LS0tLS1CRUdJTiBQUklWQVRF"] {
            assert!(
                !rendered.contains(value),
                "secret value leaked into table: {value}"
            );
        }
    }

    #[test]
    fn config_maps_namespaces_and_service_accounts() {
        let cm = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": meta("web-config", Some("shop"), "2024-06-01T09:00:00Z", "v1"),
            "data": {"nginx.conf": "server {}", "LOG_LEVEL": "info"},
            "binaryData": {"logo.png": "iVBORw0KGgo="}
        });
        let table = print(&info("", "v1", "ConfigMap", "configmaps", true), &[cm]);
        assert_eq!(column_names(&table, true), ["Name", "Data", "Age"]);
        assert_eq!(
            cells(&table)[0],
            vec![json!("web-config"), json!(3), json!("3h")]
        );

        let mut terminating_meta = meta("old-team", None, "2024-05-01T12:00:00Z", "v1");
        terminating_meta["deletionTimestamp"] = json!("2024-06-01T11:59:00Z");
        let namespaces = [
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": meta("shop", None, "2024-05-25T12:00:00Z", "v1"),
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": terminating_meta,
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Terminating"}}),
        ];
        let table = print(
            &info("", "v1", "Namespace", "namespaces", false),
            &namespaces,
        );
        assert_eq!(column_names(&table, true), ["Name", "Status", "Age"]);
        assert_eq!(
            cells(&table)[0],
            vec![json!("shop"), json!("Active"), json!("7d")]
        );
        assert_eq!(
            cells(&table)[1],
            vec![json!("old-team"), json!("Terminating"), json!("31d")]
        );

        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": meta("default", Some("shop"), "2024-06-01T11:58:00Z", "v1")});
        let table = print(
            &info("", "v1", "ServiceAccount", "serviceaccounts", true),
            &[sa],
        );
        assert_eq!(column_names(&table, true), ["Name", "Secrets", "Age"]);
        assert_eq!(
            cells(&table)[0],
            vec![json!("default"), json!(0), json!("2m")]
        );
    }

    #[test]
    fn endpoints_list_addresses_and_truncate_after_three() {
        let many = json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "v1"),
            "subsets": [{
                "addresses": [
                    {"ip": "10.244.1.17", "nodeName": "worker-1", "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "shop"}},
                    {"ip": "10.244.2.4", "nodeName": "worker-2", "targetRef": {"kind": "Pod", "name": "web-2", "namespace": "shop"}}
                ],
                "notReadyAddresses": [{"ip": "10.244.3.9"}],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "grpc", "port": 9090, "protocol": "TCP"}]
            }]
        });
        let empty = json!({"apiVersion": "v1", "kind": "Endpoints",
                           "metadata": meta("pending", Some("shop"), "2024-06-01T11:00:00Z", "v1")});
        let ipv6 = json!({"apiVersion": "v1", "kind": "Endpoints",
                          "metadata": meta("v6", Some("shop"), "2024-06-01T11:00:00Z", "v1"),
                          "subsets": [{"addresses": [{"ip": "fd00::12"}], "ports": [{"port": 80, "protocol": "TCP"}]}]});
        let table = print(
            &info("", "v1", "Endpoints", "endpoints", true),
            &[many, empty, ipv6],
        );
        assert_eq!(column_names(&table, true), ["Name", "Endpoints", "Age"]);
        let rows = cells(&table);
        assert_eq!(
            rows[0][1],
            json!("10.244.1.17:8080,10.244.2.4:8080,10.244.1.17:9090 + 1 more...")
        );
        assert_eq!(rows[1][1], json!("<none>"));
        assert_eq!(rows[2][1], json!("[fd00::12]:80"));
    }

    #[test]
    fn persistent_volume_claims_bound_and_pending() {
        let bound = json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": meta("data-db-0", Some("shop"), "2024-05-31T00:00:00Z", "v1"),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
                     "storageClassName": "standard", "volumeMode": "Filesystem",
                     "volumeName": "pvc-3b1f0c2e-7d4a-4e8e-9f61-2c5d8a9b0e13"},
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "capacity": {"storage": "10Gi"}}
        });
        let pending = json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": meta("scratch", Some("shop"), "2024-06-01T11:59:00Z", "v1"),
            "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": "nfs", "volumeMode": "Filesystem"},
            "status": {"phase": "Pending"}
        });
        let table = print(
            &info(
                "",
                "v1",
                "PersistentVolumeClaim",
                "persistentvolumeclaims",
                true,
            ),
            &[bound, pending],
        );
        assert_eq!(
            column_names(&table, false),
            [
                "Name",
                "Status",
                "Volume",
                "Capacity",
                "Access Modes",
                "StorageClass",
                "VolumeAttributesClass",
                "Age"
            ]
        );
        let rows = cells(&table);
        assert_eq!(
            rows[0],
            vec![
                json!("data-db-0"),
                json!("Bound"),
                json!("pvc-3b1f0c2e-7d4a-4e8e-9f61-2c5d8a9b0e13"),
                json!("10Gi"),
                json!("RWO,ROX"),
                json!("standard"),
                json!("<unset>"),
                json!("36h"),
                json!("Filesystem"),
            ]
        );
        assert_eq!(
            rows[1][1..6],
            [
                json!("Pending"),
                json!(""),
                json!(""),
                json!(""),
                json!("nfs")
            ]
        );
    }

    #[test]
    fn workload_controllers() {
        let template = json!({"metadata": {"labels": {"app": "db"}},
                              "spec": {"containers": [{"name": "postgres", "image": "postgres:16"}],
                                       "nodeSelector": {"kubernetes.io/os": "linux"}}});
        let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": meta("web-5d8f7b4a2c", Some("shop"), "2024-06-01T10:00:00Z", "apps/v1"),
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d8f7b4a2c"}},
                     "template": template},
            "status": {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 1, "availableReplicas": 1,
                       "observedGeneration": 1}});
        let table = print(
            &info("apps", "v1", "ReplicaSet", "replicasets", true),
            &[rs],
        );
        assert_eq!(
            column_names(&table, false),
            ["Name", "Desired", "Current", "Ready", "Age"]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("web-5d8f7b4a2c"),
                json!(3),
                json!(3),
                json!(1),
                json!("120m"),
                json!("postgres"),
                json!("postgres:16"),
                json!("app=web,pod-template-hash=5d8f7b4a2c")
            ]
        );

        let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": meta("db", Some("shop"), "2024-06-01T10:00:00Z", "apps/v1"),
            "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                     "template": template, "podManagementPolicy": "OrderedReady",
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
            "status": {"replicas": 2, "readyReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2,
                       "availableReplicas": 2}});
        let table = print(
            &info("apps", "v1", "StatefulSet", "statefulsets", true),
            &[sts],
        );
        assert_eq!(
            column_names(&table, true),
            ["Name", "Ready", "Age", "Containers", "Images"]
        );
        assert_eq!(
            cells(&table)[0][..3],
            [json!("db"), json!("2/2"), json!("120m")]
        );

        let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": meta("node-exporter", Some("monitoring"), "2024-06-01T10:00:00Z", "apps/v1"),
            "spec": {"selector": {"matchLabels": {"app": "node-exporter"},
                                  "matchExpressions": [{"key": "tier", "operator": "In", "values": ["ops", "infra"]},
                                                       {"key": "canary", "operator": "DoesNotExist"}]},
                     "template": template},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                       "updatedNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 0}});
        let table = print(&info("apps", "v1", "DaemonSet", "daemonsets", true), &[ds]);
        assert_eq!(
            column_names(&table, false),
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age"
            ]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("node-exporter"),
                json!(3),
                json!(3),
                json!(2),
                json!(3),
                json!(2),
                json!("kubernetes.io/os=linux"),
                json!("120m"),
                json!("postgres"),
                json!("postgres:16"),
                json!("app=node-exporter,!canary,tier in (infra,ops)")
            ]
        );
    }

    #[test]
    fn jobs_and_cron_jobs() {
        let template = json!({"spec": {"containers": [{"name": "backup", "image": "acme/backup:3"}],
                                       "restartPolicy": "OnFailure"}});
        let complete = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": meta("backup-28613280", Some("shop"), "2024-06-01T11:00:00Z", "batch/v1"),
            "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
                     "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "9c1d"}},
                     "template": template, "suspend": false},
            "status": {"startTime": "2024-06-01T11:00:00Z", "completionTime": "2024-06-01T11:02:05Z",
                       "succeeded": 1, "ready": 0, "terminating": 0,
                       "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                      {"type": "Complete", "status": "True"}]}});
        let running = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": meta("reindex", Some("shop"), "2024-06-01T11:30:00Z", "batch/v1"),
            "spec": {"parallelism": 4, "backoffLimit": 6, "template": template,
                     "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "77aa"}}},
            "status": {"startTime": "2024-06-01T11:30:00Z", "active": 4, "ready": 4}});
        let failed = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": meta("flaky", Some("shop"), "2024-06-01T11:30:00Z", "batch/v1"),
            "spec": {"completions": 3, "parallelism": 1, "template": template},
            "status": {"startTime": "2024-06-01T11:30:00Z", "failed": 7, "succeeded": 1,
                       "conditions": [{"type": "FailureTarget", "status": "True"},
                                      {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}});
        let table = print(
            &info("batch", "v1", "Job", "jobs", true),
            &[complete, running, failed],
        );
        assert_eq!(
            column_names(&table, false),
            ["Name", "Status", "Completions", "Duration", "Age"]
        );
        let rows = cells(&table);
        assert_eq!(
            rows[0][..5],
            [
                json!("backup-28613280"),
                json!("Complete"),
                json!("1/1"),
                json!("2m5s"),
                json!("60m")
            ]
        );
        assert_eq!(rows[0][7], json!("batch.kubernetes.io/controller-uid=9c1d"));
        assert_eq!(
            rows[1][1..4],
            [json!("Running"), json!("0/1 of 4"), json!("30m")]
        );
        assert_eq!(rows[2][1..3], [json!("Failed"), json!("1/3")]);

        let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": meta("backup", Some("shop"), "2024-05-20T12:00:00Z", "batch/v1"),
            "spec": {"schedule": "0 * * * *", "concurrencyPolicy": "Forbid", "suspend": false,
                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                     "jobTemplate": {"spec": {"template": template}}},
            "status": {"lastScheduleTime": "2024-06-01T11:00:00Z", "lastSuccessfulTime": "2024-06-01T11:02:05Z",
                       "active": [{"kind": "Job", "name": "backup-28613340", "namespace": "shop"}]}});
        let table = print(&info("batch", "v1", "CronJob", "cronjobs", true), &[cron]);
        assert_eq!(
            column_names(&table, false),
            [
                "Name",
                "Schedule",
                "Timezone",
                "Suspend",
                "Active",
                "Last Schedule",
                "Age"
            ]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("backup"),
                json!("0 * * * *"),
                json!("<none>"),
                json!("False"),
                json!(1),
                json!("60m"),
                json!("12d"),
                json!("backup"),
                json!("acme/backup:3"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn ingress_hpa_and_rbac() {
        let ingress = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "networking.k8s.io/v1"),
            "spec": {"ingressClassName": "nginx",
                     "tls": [{"hosts": ["shop.example.com"], "secretName": "web-tls"}],
                     "rules": [{"host": "shop.example.com", "http": {"paths": []}},
                               {"host": "api.example.com"}, {"host": "admin.example.com"},
                               {"host": "legacy.example.com"}, {"http": {"paths": []}}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}});
        let table = print(
            &info("networking.k8s.io", "v1", "Ingress", "ingresses", true),
            &[ingress],
        );
        assert_eq!(
            column_names(&table, true),
            ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("web"),
                json!("nginx"),
                json!("shop.example.com,api.example.com,admin.example.com + 2 more..."),
                json!("203.0.113.7"),
                json!("80, 443"),
                json!("60m")
            ]
        );

        let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "autoscaling/v2"),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 2, "maxReplicas": 10,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                                 {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "512Mi"}}},
                                 {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}}]},
            "status": {"currentReplicas": 3, "desiredReplicas": 3,
                       "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "90m"}}}]}});
        let table = print(
            &info(
                "autoscaling",
                "v2",
                "HorizontalPodAutoscaler",
                "horizontalpodautoscalers",
                true,
            ),
            &[hpa],
        );
        assert_eq!(
            column_names(&table, true),
            [
                "Name",
                "Reference",
                "Targets",
                "MinPods",
                "MaxPods",
                "Replicas",
                "Age"
            ]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("web"),
                json!("Deployment/web"),
                json!("cpu: 45%/80%, memory: <unknown>/512Mi + 1 more..."),
                json!("2"),
                json!(10),
                json!(3),
                json!("60m")
            ]
        );

        let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": meta("shop-deployers", Some("shop"), "2024-06-01T11:00:00Z", "rbac.authorization.k8s.io/v1"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice@example.com"},
                         {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "sre"},
                         {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
                         {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob@example.com"}]});
        let table = print(
            &info(
                "rbac.authorization.k8s.io",
                "v1",
                "RoleBinding",
                "rolebindings",
                true,
            ),
            &[binding],
        );
        assert_eq!(column_names(&table, false), ["Name", "Role", "Age"]);
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("shop-deployers"),
                json!("ClusterRole/edit"),
                json!("60m"),
                json!("alice@example.com, bob@example.com"),
                json!("sre"),
                json!("ci/deployer")
            ]
        );

        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": meta("view-shop", None, "2024-05-01T08:30:00Z", "rbac.authorization.k8s.io/v1"),
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]});
        let table = print(
            &info(
                "rbac.authorization.k8s.io",
                "v1",
                "ClusterRole",
                "clusterroles",
                false,
            ),
            &[role],
        );
        assert_eq!(column_names(&table, true), ["Name", "Created At"]);
        assert_eq!(table["columnDefinitions"][1]["type"], "date");
        assert_eq!(
            cells(&table)[0],
            vec![json!("view-shop"), json!("2024-05-01T08:30:00Z")]
        );
        assert_eq!(
            render_plain(&table, false),
            "NAME        CREATED AT\nview-shop   2024-05-01T08:30:00Z\n"
        );
    }

    #[test]
    fn events_and_nodes() {
        let event = json!({"apiVersion": "v1", "kind": "Event",
            "metadata": meta("web-7d9c.17d4a1b2c3", Some("shop"), "2024-06-01T11:50:00Z", "v1"),
            "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-7d9c", "uid": "1a2b",
                               "apiVersion": "v1", "resourceVersion": "9000", "fieldPath": "spec.containers{app}"},
            "reason": "BackOff", "message": "Back-off restarting failed container app\n",
            "source": {"component": "kubelet", "host": "worker-1"},
            "firstTimestamp": "2024-06-01T11:50:00Z", "lastTimestamp": "2024-06-01T11:58:30Z",
            "count": 12, "type": "Warning", "eventTime": null, "reportingComponent": "kubelet",
            "reportingInstance": "worker-1"});
        let new_style = json!({"apiVersion": "v1", "kind": "Event",
            "metadata": meta("web.17d4a1", Some("shop"), "2024-06-01T11:59:00Z", "v1"),
            "involvedObject": {"kind": "Deployment", "namespace": "shop", "name": "web"},
            "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-5d8f to 3",
            "source": {}, "firstTimestamp": null, "lastTimestamp": null,
            "eventTime": "2024-06-01T11:59:00.123456Z", "type": "Normal",
            "reportingComponent": "deployment-controller", "reportingInstance": ""});
        let table = print(
            &info("", "v1", "Event", "events", true),
            &[event, new_style],
        );
        assert_eq!(
            column_names(&table, false),
            ["Last Seen", "Type", "Reason", "Object", "Message"]
        );
        let rows = cells(&table);
        assert_eq!(
            rows[0],
            vec![
                json!("90s"),
                json!("Warning"),
                json!("BackOff"),
                json!("pod/web-7d9c"),
                json!("spec.containers{app}"),
                json!("kubelet, worker-1"),
                json!("Back-off restarting failed container app"),
                json!("10m"),
                json!(12),
                json!("web-7d9c.17d4a1b2c3")
            ]
        );
        assert_eq!(rows[1][0], json!("59s"), "59.88s truncates like Go");
        assert_eq!(rows[1][5], json!("deployment-controller"));
        assert_eq!(rows[1][8], json!(1));

        let node = json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "cp-1", "uid": "n1", "resourceVersion": "777", "creationTimestamp": "2024-05-01T12:00:00Z",
                         "labels": {"kubernetes.io/hostname": "cp-1", "node-role.kubernetes.io/control-plane": "",
                                    "node-role.kubernetes.io/etcd": "", "kubernetes.io/os": "linux"}},
            "spec": {"podCIDR": "10.244.0.0/24", "unschedulable": true,
                     "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                      {"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "cp-1"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.2", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                    "kernelVersion": "6.8.0-45-generic", "containerRuntimeVersion": "containerd://1.7.24",
                                    "architecture": "amd64", "operatingSystem": "linux"}}});
        let table = print(&info("", "v1", "Node", "nodes", false), &[node]);
        assert_eq!(
            column_names(&table, false),
            ["Name", "Status", "Roles", "Age", "Version"]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("cp-1"),
                json!("Ready,SchedulingDisabled"),
                json!("control-plane,etcd"),
                json!("31d"),
                json!("v1.32.2"),
                json!("172.18.0.2"),
                json!("<none>"),
                json!("Debian GNU/Linux 12 (bookworm)"),
                json!("6.8.0-45-generic"),
                json!("containerd://1.7.24")
            ]
        );
    }

    fn certificate(name: &str, ready: &str, created: &str) -> Value {
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": meta(name, Some("shop"), created, "cert-manager.io/v1"),
            "spec": {"secretName": format!("{name}-tls"), "dnsNames": ["shop.example.com"],
                     "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}, "duration": "2160h"},
            "status": {"conditions": [
                {"type": "Issuing", "status": "False", "lastTransitionTime": created},
                {"type": "Ready", "status": ready, "reason": "Ready", "message": "Certificate is up to date and has not expired",
                 "lastTransitionTime": created, "observedGeneration": 1}],
                "notAfter": "2024-08-30T11:00:00Z", "revision": 4}})
    }

    #[test]
    fn custom_resources_use_additional_printer_columns() {
        let columns = [
            json!({"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
            json!({"name": "Secret", "type": "string", "jsonPath": ".spec.secretName"}),
            json!({"name": "Issuer", "type": "string", "priority": 1, "jsonPath": ".spec.issuerRef.name"}),
            json!({"name": "Revision", "type": "integer", "jsonPath": ".status.revision"}),
            json!({"name": "First DNS", "type": "string", "jsonPath": ".spec.dnsNames[0]"}),
            json!({"name": "Status", "type": "string", "priority": 1,
                   "jsonPath": ".status.conditions[?(@.type=='Ready')].message"}),
            json!({"name": "Missing", "type": "string", "jsonPath": ".status.nothing.here"}),
            json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}),
        ];
        let objects = [
            certificate("web", "True", "2024-05-31T12:00:00Z"),
            certificate("api", "False", "2024-06-01T11:59:30Z"),
        ];
        let table =
            to_table_with_printer_columns(&columns, &objects, now(), IncludeObject::Metadata);
        assert_eq!(
            column_names(&table, false),
            [
                "Name",
                "Ready",
                "Secret",
                "Revision",
                "First DNS",
                "Missing",
                "Age"
            ]
        );
        assert_eq!(table["columnDefinitions"][4]["type"], "integer");
        assert_eq!(table["columnDefinitions"][3]["priority"], 1);
        let rows = cells(&table);
        assert_eq!(
            rows[0],
            vec![
                json!("web"),
                json!("True"),
                json!("web-tls"),
                json!("letsencrypt"),
                json!(4),
                json!("shop.example.com"),
                json!("Certificate is up to date and has not expired"),
                Value::Null,
                json!("24h")
            ]
        );
        assert_eq!(rows[1][1], json!("False"));
        assert_eq!(rows[1][8], json!("30s"));
        assert_eq!(table["rows"][1]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn custom_resources_without_columns_print_name_and_age() {
        let resource = info("cert-manager.io", "v1", "Certificate", "certificates", true);
        let table = print(
            &resource,
            &[certificate("web", "True", "2024-05-31T12:00:00Z")],
        );
        assert_eq!(column_names(&table, true), ["Name", "Age"]);
        assert_eq!(cells(&table)[0], vec![json!("web"), json!("24h")]);
        assert_eq!(render_plain(&table, false), "NAME   AGE\nweb    24h\n");
    }

    #[test]
    fn to_table_uses_the_catalogs_printer_columns_for_custom_kinds() {
        let mut resource = info("cert-manager.io", "v1", "Certificate", "certificates", true);
        resource.printer_columns = vec![
            json!({"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
            json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}),
        ];
        let table = print(
            &resource,
            &[certificate("web", "True", "2024-05-31T12:00:00Z")],
        );
        assert_eq!(
            render_plain(&table, false),
            "NAME   READY   AGE\nweb    True    24h\n"
        );
    }

    #[test]
    fn custom_cells_are_typed_like_the_apiextensions_server() {
        let obj = json!({"metadata": {"name": "x", "creationTimestamp": "2024-06-01T11:00:00Z"},
                         "spec": {"replicas": 3.0, "ratio": 1, "paused": true, "labels": {"a": "b"},
                                  "when": "not a date"}});
        let columns = [
            json!({"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}),
            json!({"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"}),
            json!({"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"}),
            json!({"name": "Labels", "type": "string", "jsonPath": ".spec.labels"}),
            json!({"name": "When", "type": "date", "jsonPath": ".spec.when"}),
            json!({"name": "Wrong", "type": "integer", "jsonPath": ".spec.paused"}),
            json!({"name": "Broken", "type": "string", "jsonPath": "spec[?(@.x"}),
            json!({"name": "Dotted", "type": "string", "jsonPath": ".metadata.creationTimestamp"}),
        ];
        let table = to_table_with_printer_columns(&columns, &[obj], now(), IncludeObject::None);
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("x"),
                json!(3),
                json!(1.0),
                json!(true),
                json!("{\"a\":\"b\"}"),
                Value::Null,
                Value::Null,
                Value::Null,
                json!("2024-06-01T11:00:00Z")
            ]
        );
    }

    #[test]
    fn json_path_subset() {
        let obj = json!({"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
                         "status": {"conditions": [{"type": "Progressing", "status": "True"},
                                                   {"type": "Ready", "status": "False"}],
                                    "replicas": [{"n": 1}, {"n": 2}]}});
        let eval = |p: &str| {
            JsonPath::parse(p)
                .expect("parses")
                .first_match(&obj)
                .cloned()
        };
        assert_eq!(
            eval(".status.conditions[?(@.type==\"Ready\")].status"),
            Some(json!("False"))
        );
        assert_eq!(eval("{.status.replicas[1].n}"), Some(json!(2)));
        assert_eq!(
            eval(".metadata.labels.app\\.kubernetes\\.io/name"),
            Some(json!("web"))
        );
        assert_eq!(
            eval(".metadata.labels['app.kubernetes.io/name']"),
            Some(json!("web"))
        );
        assert_eq!(eval(".status.replicas[7].n"), None);
        assert_eq!(eval(".status.conditions[?(@.type==\"Gone\")].status"), None);
        assert!(JsonPath::parse(".a[").is_err());
        assert!(JsonPath::parse("a.b").is_err());
        assert!(JsonPath::parse(".a..b").is_err());
    }

    #[test]
    fn storage_policy_and_cluster_kinds() {
        let rc = json!({"apiVersion": "v1", "kind": "ReplicationController",
            "metadata": meta("legacy", Some("shop"), "2024-06-01T11:00:00Z", "v1"),
            "spec": {"replicas": 2, "selector": {"app": "legacy"},
                     "template": {"metadata": {"labels": {"app": "legacy"}},
                                  "spec": {"containers": [{"name": "app", "image": "acme/legacy:9"}]}}},
            "status": {"replicas": 2, "readyReplicas": 1, "availableReplicas": 1, "observedGeneration": 1}});
        let table = print(
            &info(
                "",
                "v1",
                "ReplicationController",
                "replicationcontrollers",
                true,
            ),
            &[rc],
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("legacy"),
                json!(2),
                json!(2),
                json!(1),
                json!("60m"),
                json!("app"),
                json!("acme/legacy:9"),
                json!("app=legacy")
            ]
        );

        let pv = json!({"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": meta("pvc-3b1f0c2e", None, "2024-05-31T00:00:00Z", "v1"),
            "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "standard",
                     "volumeMode": "Filesystem", "hostPath": {"path": "/var/lib/pv/3b1f", "type": ""},
                     "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-db-0",
                                  "uid": "3b1f0c2e", "apiVersion": "v1", "resourceVersion": "4410"}},
            "status": {"phase": "Bound", "lastPhaseTransitionTime": "2024-05-31T00:00:02Z"}});
        let table = print(
            &info("", "v1", "PersistentVolume", "persistentvolumes", false),
            &[pv],
        );
        assert_eq!(
            column_names(&table, false),
            [
                "Name",
                "Capacity",
                "Access Modes",
                "Reclaim Policy",
                "Status",
                "Claim",
                "StorageClass",
                "VolumeAttributesClass",
                "Reason",
                "Age"
            ]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("pvc-3b1f0c2e"),
                json!("10Gi"),
                json!("RWO"),
                json!("Delete"),
                json!("Bound"),
                json!("shop/data-db-0"),
                json!("standard"),
                json!("<unset>"),
                json!(""),
                json!("36h"),
                json!("Filesystem")
            ]
        );

        let netpol = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": meta("deny-all", Some("shop"), "2024-06-01T11:00:00Z", "networking.k8s.io/v1"),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}});
        let table = print(
            &info(
                "networking.k8s.io",
                "v1",
                "NetworkPolicy",
                "networkpolicies",
                true,
            ),
            &[netpol],
        );
        assert_eq!(
            cells(&table)[0],
            vec![json!("deny-all"), json!("<none>"), json!("60m")]
        );

        let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": meta("web", Some("shop"), "2024-06-01T11:00:00Z", "policy/v1"),
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
            "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3,
                       "observedGeneration": 1}});
        let table = print(
            &info(
                "policy",
                "v1",
                "PodDisruptionBudget",
                "poddisruptionbudgets",
                true,
            ),
            &[pdb],
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("web"),
                json!("50%"),
                json!("N/A"),
                json!(1),
                json!("60m")
            ]
        );

        let mut sc_meta = meta(
            "standard",
            None,
            "2024-05-01T12:00:00Z",
            "storage.k8s.io/v1",
        );
        sc_meta["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
        let sc = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": sc_meta,
            "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer"});
        let table = print(
            &info(
                "storage.k8s.io",
                "v1",
                "StorageClass",
                "storageclasses",
                false,
            ),
            &[sc],
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("standard (default)"),
                json!("rancher.io/local-path"),
                json!("Delete"),
                json!("WaitForFirstConsumer"),
                json!(false),
                json!("31d")
            ]
        );

        let class = json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": meta("nginx", None, "2024-06-01T11:00:00Z", "networking.k8s.io/v1"),
            "spec": {"controller": "k8s.io/ingress-nginx",
                     "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}}});
        let table = print(
            &info(
                "networking.k8s.io",
                "v1",
                "IngressClass",
                "ingressclasses",
                false,
            ),
            &[class],
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("nginx"),
                json!("k8s.io/ingress-nginx"),
                json!("IngressParameters.k8s.example.com/external-lb"),
                json!("60m")
            ]
        );

        let slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": meta("web-x7k2p", Some("shop"), "2024-06-01T11:00:00Z", "discovery.k8s.io/v1"),
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.244.1.17"], "conditions": {"ready": true}},
                          {"addresses": ["10.244.2.4"], "conditions": {"ready": true}},
                          {"addresses": ["10.244.3.9"], "conditions": {"ready": false}},
                          {"addresses": ["10.244.4.2"], "conditions": {"ready": true}}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]});
        let table = print(
            &info(
                "discovery.k8s.io",
                "v1",
                "EndpointSlice",
                "endpointslices",
                true,
            ),
            &[slice],
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("web-x7k2p"),
                json!("IPv4"),
                json!("8080"),
                json!("10.244.1.17,10.244.2.4,10.244.3.9 + 1 more..."),
                json!("60m")
            ]
        );

        let priority = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": meta("system-cluster-critical", None, "2024-05-01T12:00:00Z", "scheduling.k8s.io/v1"),
            "value": 2000000000, "description": "Used for system critical pods.",
            "preemptionPolicy": "PreemptLowerPriority"});
        let table = print(
            &info(
                "scheduling.k8s.io",
                "v1",
                "PriorityClass",
                "priorityclasses",
                false,
            ),
            &[priority],
        );
        assert_eq!(
            column_names(&table, false),
            ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("system-cluster-critical"),
                json!(2000000000),
                json!(false),
                json!("31d"),
                json!("PreemptLowerPriority")
            ]
        );

        let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": meta("kube-controller-manager", Some("kube-system"), "2024-05-01T12:00:00Z", "coordination.k8s.io/v1"),
            "spec": {"holderIdentity": "cp-1_9f2c", "leaseDurationSeconds": 15,
                     "acquireTime": "2024-05-01T12:00:05.000000Z", "renewTime": "2024-06-01T11:59:58.000000Z",
                     "leaseTransitions": 0}});
        let table = print(
            &info("coordination.k8s.io", "v1", "Lease", "leases", true),
            &[lease],
        );
        assert_eq!(
            cells(&table)[0],
            vec![
                json!("kube-controller-manager"),
                json!("cp-1_9f2c"),
                json!("31d")
            ]
        );
    }

    #[test]
    fn malformed_objects_never_panic_and_keep_the_column_count() {
        let kinds = [
            ("", "Namespace"),
            ("", "ConfigMap"),
            ("", "Secret"),
            ("", "Service"),
            ("", "ServiceAccount"),
            ("", "Endpoints"),
            ("", "Pod"),
            ("", "PersistentVolumeClaim"),
            ("", "Event"),
            ("", "Node"),
            ("apps", "Deployment"),
            ("apps", "ReplicaSet"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("batch", "Job"),
            ("batch", "CronJob"),
            ("networking.k8s.io", "Ingress"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("rbac.authorization.k8s.io", "Role"),
            ("example.com", "Widget"),
            ("", "ReplicationController"),
            ("", "PersistentVolume"),
            ("networking.k8s.io", "NetworkPolicy"),
            ("networking.k8s.io", "IngressClass"),
            ("policy", "PodDisruptionBudget"),
            ("storage.k8s.io", "StorageClass"),
            ("discovery.k8s.io", "EndpointSlice"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("coordination.k8s.io", "Lease"),
        ];
        let junk = [
            Value::Null,
            json!([1, 2]),
            json!("pod"),
            json!({}),
            json!({"metadata": [], "spec": "x", "status": 7}),
            json!({"metadata": {"name": 5, "creationTimestamp": "yesterday", "deletionTimestamp": 3},
                   "spec": {"containers": {"a": 1}, "ports": [null, {"port": "80"}], "selector": {"matchExpressions": [{"operator": "Near"}]},
                            "metrics": [{"type": "Resource"}, {"type": "Bogus"}], "replicas": "3"},
                   "status": {"conditions": "ready", "containerStatuses": [null, {"state": []}],
                              "initContainerStatuses": [{"state": {"terminated": {"exitCode": "x"}}}],
                              "loadBalancer": {"ingress": [{}]}},
                   "subsets": [{"addresses": [{}], "ports": [{}]}], "subjects": [7], "data": [1]}),
        ];
        for (group, kind) in kinds {
            let resource = info(group, "v1", kind, "things", true);
            let table = print(&resource, &junk);
            assert_eq!(list(&table, &["rows"]).len(), junk.len(), "{kind}");
            render_plain(&table, true);
        }
    }

    #[test]
    fn render_plain_hides_wide_columns_unless_asked() {
        let table = print(&deployment(), &[web_deployment()]);
        let wide = render_plain(&table, true);
        assert!(wide.starts_with(
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE    CONTAINERS      IMAGES  "
        ));
        assert!(wide.contains("app=web,tier=frontend"));
        assert!(!render_plain(&table, false).contains("CONTAINERS"));
    }
}
