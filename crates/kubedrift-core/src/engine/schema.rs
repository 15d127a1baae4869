//! Field knowledge the compare engine needs without a full OpenAPI schema: which lists are
//! keyed (and by what, matching the server-side-apply list-map keys so paths line up with
//! managedFields), which fields hold quantities or int-or-string values, and which fields the
//! server owns.

use serde_json::{Map, Value};
use std::sync::LazyLock;

/// How the items of a keyed list are identified.
#[derive(Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// Key fields, in the order shown in paths (`containerPort`, `protocol`).
    pub fields: &'static [&'static str],
    /// Controllers add items to this list on their own (ServiceAccount `secrets` by the token
    /// controller), so live items Git does not name are not drift unless we applied them.
    pub extra_live_items_allowed: bool,
    /// A strategic-merge list (`patchStrategy: merge` in the Kubernetes API): `kubectl apply`,
    /// client- or server-side, keeps the items it never applied (a sidecar or env var a
    /// webhook injected), so in a three-way compare such a live-only item is not drift.
    pub kept_by_apply: bool,
}

/// How a list is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Items matched by key fields, order irrelevant.
    Keyed(&'static KeySpec),
    /// Items matched by content, order irrelevant (Endpoints `subsets`).
    Set,
    /// Items compared by position.
    Ordered,
}

const fn keyed(fields: &'static [&'static str]) -> KeySpec {
    KeySpec {
        fields,
        extra_live_items_allowed: false,
        kept_by_apply: false,
    }
}

/// A strategic-merge list keyed by `fields` (see [`KeySpec::kept_by_apply`]).
const fn merged(fields: &'static [&'static str]) -> KeySpec {
    KeySpec {
        fields,
        extra_live_items_allowed: false,
        kept_by_apply: true,
    }
}

// The one table of list semantics: which lists are keyed, by what, and which are
// strategic-merge lists (k8s.io/api `patchStrategy:"merge"`: PodSpec containers,
// initContainers, ephemeralContainers, volumes, imagePullSecrets, hostAliases,
// topologySpreadConstraints, resourceClaims, schedulingGates; Container env, ports,
// volumeMounts, volumeDevices; ServiceSpec ports; webhooks). Lists without a patch strategy
// (tolerations, args, command, RBAC rules, readinessGates, resizePolicy, claims) are atomic:
// apply replaces them whole.
static BY_NAME: KeySpec = keyed(&["name"]);
static BY_NAME_MERGED: KeySpec = merged(&["name"]);
static BY_MOUNT_PATH: KeySpec = merged(&["mountPath"]);
static BY_DEVICE_PATH: KeySpec = merged(&["devicePath"]);
static BY_IP: KeySpec = keyed(&["ip"]);
static HOST_ALIASES: KeySpec = merged(&["ip"]);
static BY_TYPE: KeySpec = keyed(&["type"]);
static BY_CONDITION_TYPE: KeySpec = keyed(&["conditionType"]);
static BY_RESOURCE_NAME: KeySpec = keyed(&["resourceName"]);
static BY_TOPOLOGY: KeySpec = merged(&["topologyKey", "whenUnsatisfiable"]);
static CONTAINER_PORTS: KeySpec = merged(&["containerPort", "protocol"]);
static SERVICE_PORTS: KeySpec = merged(&["port", "protocol"]);
static SERVICE_ACCOUNT_SECRETS: KeySpec = KeySpec {
    fields: &["name"],
    extra_live_items_allowed: true,
    kept_by_apply: true,
};

/// `map[key]`; small maps (most Kubernetes objects) are scanned, which beats hashing.
#[inline]
pub fn field_of<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() <= 16 {
        map.iter().find(|(k, _)| same_key(k, key)).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// String equality that rejects most different keys by length and last byte before
/// comparing bytes (field names of equal length rarely share their last byte).
#[inline]
pub fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// The value the API server defaults a missing key field to.
pub fn default_key_value(field: &str) -> Option<&'static Value> {
    static TCP: LazyLock<Value> = LazyLock::new(|| Value::String("TCP".to_string()));
    (field == "protocol").then(|| &*TCP)
}

/// The key fields of one list item, borrowed from the item (or from the static defaults).
#[derive(Debug, Clone, Copy)]
pub struct ItemKey<'a> {
    pub spec: &'static KeySpec,
    values: [Option<&'a Value>; 3],
}

impl<'a> ItemKey<'a> {
    /// The key of `item` under `spec`, or `None` if `item` is not an object carrying all key
    /// fields (defaults count).
    pub fn of(spec: &'static KeySpec, item: &'a Value) -> Option<Self> {
        let map = item.as_object()?;
        let mut values = [None; 3];
        for (slot, field) in values.iter_mut().zip(spec.fields) {
            // Normalization drops null and "" values, so they count as missing here too.
            let value = match field_of(map, field) {
                Some(Value::Null) | None => default_key_value(field)?,
                Some(Value::String(s)) if s.is_empty() => default_key_value(field)?,
                Some(v) => v,
            };
            if !matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                return None;
            }
            *slot = Some(value);
        }
        Some(ItemKey { spec, values })
    }

    /// The key values, in `spec.fields` order.
    pub fn values(&self) -> impl Iterator<Item = &'a Value> + '_ {
        self.values
            .iter()
            .take(self.spec.fields.len())
            .flatten()
            .copied()
    }

    /// Same key (int-or-string tolerant: `"8080"` = `8080`).
    pub fn same_as(&self, other: &ItemKey<'_>) -> bool {
        self.values()
            .zip(other.values())
            .all(|(a, b)| key_values_equal(a, b))
    }

    /// Same key as owned `(name, value)` pairs (from a path or a managedFields `k:` entry).
    pub fn matches_fields(&self, fields: &[(String, Value)]) -> bool {
        fields.len() == self.spec.fields.len()
            && self
                .spec
                .fields
                .iter()
                .zip(self.values())
                .all(|(name, value)| {
                    fields
                        .iter()
                        .any(|(n, v)| n == name && key_values_equal(value, v))
                })
    }

    /// Owned `(name, value)` pairs for a [`crate::engine::fieldpath::Segment::Item`].
    pub fn to_fields(&self) -> Vec<(String, Value)> {
        self.spec
            .fields
            .iter()
            .zip(self.values())
            .map(|(name, value)| ((*name).to_string(), canonical_key_value(value)))
            .collect()
    }
}

/// Key values compare int-or-string tolerant (`"8080"` = `8080`).
pub fn key_values_equal(a: &Value, b: &Value) -> bool {
    a == b || int_or_string_equal(a, b) || numbers_equal(a, b)
}

/// `1` and `1.0` are the same number.
fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            x.as_f64().is_some_and(|x| y.as_f64() == Some(x))
        }
        _ => false,
    }
}

/// A key value in canonical form (numeric strings become numbers).
fn canonical_key_value(value: &Value) -> Value {
    match value {
        Value::String(s) => numeric_string(s).map_or_else(|| value.clone(), Value::from),
        _ => value.clone(),
    }
}

/// `"8080"` → 8080: a string of ASCII digits without a superfluous leading zero.
pub fn numeric_string(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// True when one side is a numeric string and the other the same integer.
pub fn int_or_string_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            numeric_string(s).is_some_and(|v| n.as_u64() == Some(v))
        }
        _ => false,
    }
}

/// How the list at a field is identified, from the field alone.
enum Keying {
    /// By these key fields.
    By(&'static KeySpec),
    /// `ports`: container ports or Service ports, told apart by the items.
    Ports,
    /// Matched by content (Endpoints `subsets`).
    Set,
}

/// The keying of lists at `field` inside an object of kind `kind`; `None` for ordered lists.
fn keying(kind: &str, field: &str) -> Option<Keying> {
    Some(Keying::By(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "env"
        | "resourceClaims"
        | "schedulingGates"
        | "webhooks" => &BY_NAME_MERGED,
        "claims" | "versions" => &BY_NAME,
        "secrets" if kind == "ServiceAccount" => &SERVICE_ACCOUNT_SECRETS,
        "volumeMounts" => &BY_MOUNT_PATH,
        "volumeDevices" => &BY_DEVICE_PATH,
        "hostAliases" => &HOST_ALIASES,
        "addresses" | "notReadyAddresses" if kind == "Endpoints" => &BY_IP,
        "conditions" => &BY_TYPE,
        "readinessGates" => &BY_CONDITION_TYPE,
        "resizePolicy" => &BY_RESOURCE_NAME,
        "topologySpreadConstraints" => &BY_TOPOLOGY,
        "ports" => return Some(Keying::Ports),
        "subsets" if kind == "Endpoints" => return Some(Keying::Set),
        _ => return None,
    }))
}

/// True when lists at `field` are keyed lists when well formed (whatever their items).
pub fn is_keyed_field(kind: &str, field: &str) -> bool {
    keying(kind, field).is_some()
}

/// How the list at field `field` (inside an object of kind `kind`) is compared, judged from
/// its items: a keyed list whose items do not all carry distinct keys is compared in order.
pub fn list_kind(kind: &str, field: &str, items: &[Value]) -> ListKind {
    let spec: &'static KeySpec = match keying(kind, field) {
        None => return ListKind::Ordered,
        Some(Keying::Set) => return ListKind::Set,
        Some(Keying::By(spec)) => spec,
        Some(Keying::Ports) => {
            let all_have = |f: &str| {
                !items.is_empty()
                    && items.iter().all(|i| {
                        i.as_object()
                            .and_then(|m| field_of(m, f))
                            .is_some_and(|v| !v.is_null())
                    })
            };
            if all_have("containerPort") {
                &CONTAINER_PORTS
            } else if all_have("port") {
                &SERVICE_PORTS
            } else {
                return ListKind::Ordered;
            }
        }
    };
    // Keys of short lists (nearly all) stay on the stack.
    let mut stack: [Option<ItemKey<'_>>; 16] = [None; 16];
    let mut heap: Vec<ItemKey<'_>> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(key) = ItemKey::of(spec, item) else {
            return ListKind::Ordered;
        };
        let duplicate = stack.iter().flatten().chain(&heap).any(|k| k.same_as(&key));
        if duplicate {
            return ListKind::Ordered;
        }
        match stack.get_mut(index) {
            Some(slot) => *slot = Some(key),
            None => heap.push(key),
        }
    }
    ListKind::Keyed(spec)
}

/// True when every value of the map at `parent` is a quantity (`resources.limits`,
/// ResourceQuota `hard`, LimitRange `default`, ...).
pub fn is_quantity_map(kind: &str, parent: &str) -> bool {
    matches!(
        parent,
        "limits" | "requests" | "hard" | "used" | "capacity" | "allocatable" | "overhead"
    ) || (kind == "LimitRange"
        && matches!(
            parent,
            "default" | "defaultRequest" | "max" | "min" | "maxLimitRequestRatio"
        ))
}

/// True when the scalar at `key` (whose enclosing map is at `parent`) holds a quantity.
pub fn is_quantity_field(kind: &str, parent: &str, key: &str) -> bool {
    is_quantity_map(kind, parent)
        || key == "sizeLimit"
        || key == "storage" && parent == "requests"
        || kind == "HorizontalPodAutoscaler" && is_hpa_quantity(parent, key)
}

/// HPA metric targets: `target.averageValue` / `target.value` (autoscaling/v2), and
/// `targetAverageValue` / `targetValue` (autoscaling/v2beta1).
fn is_hpa_quantity(parent: &str, key: &str) -> bool {
    (parent == "target" && matches!(key, "averageValue" | "value"))
        || matches!(key, "targetAverageValue" | "targetValue")
}

/// Fields typed int-or-string (`intstr.IntOrString`): `"8080"` and `8080` mean the same.
pub fn is_int_or_string_field(key: &str) -> bool {
    matches!(
        key,
        "targetPort" | "port" | "maxSurge" | "maxUnavailable" | "minAvailable"
    )
}

/// Fields holding base64 bytes: compared by decoded content.
pub fn is_base64_map(kind: &str, parent: &str) -> bool {
    (kind == "Secret" && parent == "data") || (kind == "ConfigMap" && parent == "binaryData")
}

/// metadata fields the API server sets and owns; never drift.
pub const SERVER_OWNED_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// Annotations written by the server, controllers or client tooling; never drift.
pub const SERVER_OWNED_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// The annotation kubectl's client-side apply stores the applied manifest in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ports_are_keyed_by_port_and_protocol_with_tcp_default() {
        let items = [
            json!({"containerPort": 8080}),
            json!({"containerPort": 8080, "protocol": "UDP"}),
        ];
        assert_eq!(
            list_kind("Deployment", "ports", &items),
            ListKind::Keyed(&CONTAINER_PORTS)
        );
        let svc = [json!({"port": 80, "targetPort": "8080"})];
        assert_eq!(
            list_kind("Service", "ports", &svc),
            ListKind::Keyed(&SERVICE_PORTS)
        );
        let a = json!({"port": 80});
        let b = json!({"port": 80, "protocol": "TCP"});
        let (Some(ka), Some(kb)) = (
            ItemKey::of(&SERVICE_PORTS, &a),
            ItemKey::of(&SERVICE_PORTS, &b),
        ) else {
            panic!("keys expected");
        };
        assert!(ka.same_as(&kb));
    }

    #[test]
    fn duplicate_or_missing_keys_fall_back_to_order() {
        let dup = [json!({"name": "a"}), json!({"name": "a"})];
        assert_eq!(list_kind("Pod", "env", &dup), ListKind::Ordered);
        let missing = [json!({"value": "x"})];
        assert_eq!(list_kind("Pod", "env", &missing), ListKind::Ordered);
        assert_eq!(list_kind("Pod", "args", &[json!("a")]), ListKind::Ordered);
    }

    #[test]
    fn int_or_string_equality() {
        assert!(int_or_string_equal(&json!("8080"), &json!(8080)));
        assert!(!int_or_string_equal(&json!("08080"), &json!(8080)));
        assert!(!int_or_string_equal(&json!("http"), &json!(8080)));
    }
}
